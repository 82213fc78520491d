// cel-go's parser limits, which kube-apiserver keeps at their defaults: expressions longer than
// 100,000 code points, nested deeper than 250 grammar levels (parser listener) or 250 visited
// operator/selection levels (parser visitor) do not compile. Checking them before and after
// parsing keeps hostile rules (`((((…))))`, `self.a.a.a…`) from overflowing the stack.
import type { Expr, ParsedExpr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';

/** ExpressionSizeCodePointLimit is cel-go's parser default (parser.ExpressionSizeCodePointLimit). */
export const expressionSizeCodePointLimit = 100_000;
/** MaxRecursionDepth is cel-go's parser default (parser.MaxRecursionDepth). */
export const maxRecursionDepth = 250;

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * ParenDepth is the deepest nesting of parentheses (groups and call arguments) outside string
 * literals: each level nests the grammar's rules once more, which cel-go's recursion listener
 * counts (250 levels fail, 249 pass). Nested list and map literals are not counted: kube accepts
 * them at 250 levels (after many seconds in ANTLR); deeper ones end in our parser's stack guard.
 */
function parenDepth(src: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'") {
      // Skip a string literal: '…', "…", '''…''', """…""" (raw or not; escapes skip one character).
      const triple = src.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      const raw = i > 0 && (src[i - 1] === 'r' || src[i - 1] === 'R');
      i += quote.length;
      while (i < src.length && !src.startsWith(quote, i)) {
        if (src[i] === '\\' && !raw) i++;
        else if (!triple && src[i] === '\n') break;
        i++;
      }
      i += quote.length - 1;
      continue;
    }
    if (c === '(') {
      depth++;
      if (depth > max) max = depth;
    } else if (c === ')') {
      depth = Math.max(0, depth - 1);
    }
  }
  return max;
}

/** PreParseError is the cel-go parser error a source fails with before parsing, if any. */
export function preParseError(src: string): string | undefined {
  const size = codePoints(src);
  if (size > expressionSizeCodePointLimit) {
    return `ERROR: <input>:-1:0: expression code point size exceeds limit: size: ${size}, limit ${expressionSizeCodePointLimit}`;
  }
  // The top-level expression is the listener's first level.
  if (parenDepth(src) + 1 > maxRecursionDepth) return `ERROR: <input>:-1:0: expression recursion limit exceeded: ${maxRecursionDepth}`;
  return undefined;
}

/** RecursionError is cel-go's visitor limit message (also used when the parser overflows the stack). */
export const recursionError = 'ERROR: <input>:-1:0: max recursion depth exceeded';

const counted: ReadonlySet<string> = new Set([
  // Relations and arithmetic (the grammar's relation and calc rules), indexing and the ternary.
  '_==_',
  '_!=_',
  '_<_',
  '_<=_',
  '_>_',
  '_>=_',
  '@in',
  '_+_',
  '_-_',
  '_*_',
  '_/_',
  '_%_',
  '_[_]',
  '_?_:_',
]);

/**
 * VisitDepth approximates the depth cel-go's parser visitor reaches: selections, member calls,
 * indexing, relations, arithmetic and ternaries nest; logical operators (balanced by cel-go),
 * negation and global calls do not. It walks iteratively.
 */
export function visitDepth(parsed: ParsedExpr): number {
  const root = parsed.expr;
  if (root === undefined) return 0;
  const stack: { e: Expr; d: number }[] = [{ e: root, d: 0 }];
  let max = 0;
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { e, d } = top;
    if (d > max) max = d;
    const k = e.exprKind;
    switch (k.case) {
      case 'selectExpr':
        if (k.value.operand !== undefined) stack.push({ e: k.value.operand, d: d + 1 });
        break;
      case 'callExpr': {
        const nested = k.value.target !== undefined || counted.has(k.value.function) ? d + 1 : d;
        if (k.value.target !== undefined) stack.push({ e: k.value.target, d: nested });
        for (const a of k.value.args) stack.push({ e: a, d: nested });
        break;
      }
      case 'listExpr':
        for (const x of k.value.elements) stack.push({ e: x, d });
        break;
      case 'structExpr':
        for (const en of k.value.entries) {
          if (en.keyKind.case === 'mapKey') stack.push({ e: en.keyKind.value, d });
          if (en.value !== undefined) stack.push({ e: en.value, d });
        }
        break;
      case 'comprehensionExpr': {
        // A macro (`x.all(...)`) is a member call in the source.
        const c = k.value;
        for (const x of [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result]) {
          if (x !== undefined) stack.push({ e: x, d: d + 1 });
        }
        break;
      }
      default:
        break;
    }
  }
  return max;
}
