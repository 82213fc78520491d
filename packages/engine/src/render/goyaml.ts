import { TrellisError } from '@trellis/sdk';

/**
 * A YAML marshaller that writes JSON values byte-for-byte as Go's `sigs.k8s.io/yaml.Marshal`
 * does (JSON → `go.yaml.in/yaml/v2` v2.4.x). Crossplane uses that encoder in two places users can
 * observe: the CompositionRevision hash (sha256 of the YAML of labels, annotations and spec) and
 * the output of `crossplane render`. Matching it exactly keeps revision names and render output
 * identical to upstream.
 *
 * What it reproduces from go-yaml v2: keys sorted in its "natural" order (digit runs compare as
 * numbers, letters before other characters); non-indented block sequences under mapping keys;
 * `{}`/`[]` for empty collections; the plain/single/double-quoted/literal scalar style choice
 * (strings that would read back as another type — `"true"`, `"1"`, `"2024-01-01"`, `""`, `"yes"` —
 * are double-quoted; strings with a newline are literal blocks); plain and quoted scalars folded
 * at column 80; Go number formatting (integers as integers, other floats in `%g` style:
 * `1.5e+06`).
 */

/** A JSON value as this encoder accepts it. */
export type GoYamlValue = null | boolean | number | string | GoYamlValue[] | { [key: string]: GoYamlValue };

const BEST_INDENT = 2;
const BEST_WIDTH = 80;

/** MarshalGoYaml returns the YAML document Go's sigs.k8s.io/yaml.Marshal writes for `value`. */
export function marshalGoYaml(value: unknown): string {
  const e = new Emitter();
  e.emitNode(toNode(value), { root: true, sequence: false, mapping: false, simpleKey: false });
  // Document end (implicit); go-yaml's encoder clears open_ended before the stream end, so no
  // "..." marker is ever written.
  e.writeIndent();
  return e.out;
}

// ---------------------------------------------------------------------------------------------
// Values to nodes (what JSONToYAML's yaml.Unmarshal of the JSON text would have produced).

type Node =
  | { kind: 'scalar'; value: string; style: ScalarStyle }
  | { kind: 'seq'; items: Node[] }
  | { kind: 'map'; entries: [Node, Node][] };

type ScalarStyle = 'plain' | 'single' | 'double' | 'literal';

function toNode(v: unknown): Node {
  if (v === null || v === undefined) return { kind: 'scalar', value: 'null', style: 'plain' };
  if (typeof v === 'boolean') return { kind: 'scalar', value: v ? 'true' : 'false', style: 'plain' };
  if (typeof v === 'number') return { kind: 'scalar', value: formatNumber(v), style: 'plain' };
  if (typeof v === 'bigint') return { kind: 'scalar', value: v.toString(), style: 'plain' };
  if (typeof v === 'string') return stringNode(v);
  if (Array.isArray(v)) return { kind: 'seq', items: v.map(toNode) };
  if (v instanceof Uint8Array) return stringNode(Buffer.from(v).toString('base64'));
  if (typeof v === 'object') {
    const keys = Object.keys(v as Record<string, unknown>)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort(compareKeys);
    return { kind: 'map', entries: keys.map((k) => [keyNode(k), toNode((v as Record<string, unknown>)[k])]) };
  }
  return stringNode(String(v));
}

/** KeyNode is a mapping key; a raw line break cannot be part of a key in the JSON go-yaml reads. */
function keyNode(k: string): Node {
  if (k.includes('\u0085'))
    throw new TrellisError('ENGINE_YAML_UNREPRESENTABLE', "yaml: did not find expected ',' or '}' (line break in a key)");
  return stringNode(k);
}

function stringNode(raw: string): Node {
  const s = throughJsonText(raw);
  const canUsePlain = resolvesToString(s) && !isBase60Float(s);
  let style: ScalarStyle = 'double';
  if (s.includes('\n')) style = 'literal';
  else if (canUsePlain) style = 'plain';
  return { kind: 'scalar', value: s, style };
}

/**
 * ThroughJsonText returns the string go-yaml sees after Go's json.Marshal and yaml.Unmarshal of
 * the JSON text: json.Marshal escapes C0 controls but writes DEL, C1 controls and U+FFFE/U+FFFF
 * raw, which the YAML reader rejects ("control characters are not allowed"), and a raw NEL
 * (U+0085) is a line break that YAML folds inside the double-quoted JSON string.
 */
function throughJsonText(s: string): string {
  if (/[\u007f-\u0084\u0086-\u009f\ufffe\uffff]/.test(s)) {
    throw new TrellisError('ENGINE_YAML_UNREPRESENTABLE', 'yaml: control characters are not allowed');
  }
  return s.includes('\u0085') ? foldLineBreaks(s.split('\u0085')) : s;
}

/** FoldLineBreaks is YAML's flow-scalar line folding over lines split at raw line breaks. */
function foldLineBreaks(lines: string[]): string {
  const trimmed = lines.map((l, i) => {
    let t = l;
    if (i > 0) t = t.replace(/^ +/, '');
    if (i < lines.length - 1) t = t.replace(/ +$/, '');
    return t;
  });
  let out = trimmed[0] ?? '';
  let i = 1;
  while (i < trimmed.length) {
    let empty = 0;
    while (i < trimmed.length - 1 && trimmed[i] === '') {
      empty++;
      i++;
    }
    out += empty === 0 ? ' ' : '\n'.repeat(empty);
    out += trimmed[i] ?? '';
    i++;
  }
  return out;
}

/**
 * FormatNumber prints a JSON number the way it comes out of Go: a Kubernetes object holds
 * integers as int64 (and JSON integers read back as int/uint64); every other number is a float64
 * printed with strconv.FormatFloat(f, 'g', -1, 64).
 */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return '.nan';
  if (n === Number.POSITIVE_INFINITY) return '.inf';
  if (n === Number.NEGATIVE_INFINITY) return '-.inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) {
    // The decision is made on the decimal text JSON carries (the shortest digits), not on the
    // exact binary value: -2^63 prints as -9223372036854776000, which overflows int64.
    const big = BigInt(n.toString());
    // Go's JSON encoder writes an integral float64 in 'f' form with the shortest digits, which
    // is what JS toString prints below 1e21; yaml.v2 reads it back as int64 or uint64 if it fits.
    if (big >= -(2n ** 63n) && big < 2n ** 64n) return Object.is(n, -0) ? '0' : n.toString();
  }
  return formatFloatG(n);
}

/** FormatFloatG is Go's strconv.FormatFloat(f, 'g', -1, 64) for finite f. */
export function formatFloatG(f: number): string {
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const neg = f < 0;
  const [mant = '', expStr = '0'] = Math.abs(f).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exp = Number(expStr);
  let out: string;
  // strconv: with the shortest precision, %e is used when exp < -4 || exp >= 6.
  if (exp < -4 || exp >= 6) {
    // %e with the shortest digits; Go writes at least two exponent digits.
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const e = Math.abs(exp);
    out = `${digits[0]}${frac}e${exp < 0 ? '-' : '+'}${e < 10 ? `0${e}` : e}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else {
    const intLen = exp + 1;
    out = digits.length <= intLen ? digits + '0'.repeat(intLen - digits.length) : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  }
  return neg ? `-${out}` : out;
}

// ---------------------------------------------------------------------------------------------
// Key order: go-yaml v2's keyList.Less for string keys.

const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

/** CompareKeys orders mapping keys as go-yaml v2 does (a natural sort). */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return keyLess(a, b) ? -1 : 1;
}

/** AsciiNoDigits matches strings of ASCII characters other than digits (most keys). */
const ASCII_NO_DIGITS = /^[^0-9\u0080-\uffff]*$/;

function keyLess(a: string, b: string): boolean {
  return ASCII_NO_DIGITS.test(a) && ASCII_NO_DIGITS.test(b) ? keyLessAsciiNoDigits(a, b) : keyLessGeneral(a, b);
}

/**
 * KeyLessAsciiNoDigits is {@link keyLessGeneral} for ASCII keys without digits: no number runs to
 * compare, one code unit per character, and `\p{L}` is `[A-Za-z]`.
 */
function keyLessAsciiNoDigits(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xl = (x >= 65 && x <= 90) || (x >= 97 && x <= 122);
    const yl = (y >= 65 && y <= 90) || (y >= 97 && y <= 122);
    if (xl && yl) return x < y;
    if (xl || yl) return yl;
    return x < y;
  }
  return a.length < b.length;
}

/** KeyLessGeneral is go-yaml v2's keyList.Less (exported for the test of the ASCII fast path). */
export function keyLessGeneral(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as string;
    const bc = br[i] as string;
    if (ac === bc) continue;
    const al = LETTER.test(ac);
    const bl = LETTER.test(bc);
    if (al && bl) return cp(ac) < cp(bc);
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && DIGIT.test(ar[j] as string); j--) {
        if (ar[j] !== '0') {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && DIGIT.test(ar[ai] as string); ai++) an = an * 10n + BigInt(cp(ar[ai] as string) - 48);
    let bi = i;
    for (; bi < br.length && DIGIT.test(br[bi] as string); bi++) bn = bn * 10n + BigInt(cp(br[bi] as string) - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return cp(ac) < cp(bc);
  }
  return ar.length < br.length;
}

function cp(s: string): number {
  return s.codePointAt(0) ?? 0;
}

// ---------------------------------------------------------------------------------------------
// yaml.v2 resolve(): does a plain scalar with this text read back as a string?

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;

function resolvesToString(s: string): boolean {
  return resolveGoPlain(s).kind === 'str';
}

/** A GoResolved is what go-yaml v2's resolve() makes of a plain (unquoted, untagged) scalar. */
export type GoResolved =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'timestamp' }
  | { kind: 'str' };

const RESOLVE_VALUES: Record<string, GoResolved> = {};
for (const k of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'])
  RESOLVE_VALUES[k] = { kind: 'bool', value: true };
for (const k of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'])
  RESOLVE_VALUES[k] = { kind: 'bool', value: false };
for (const k of ['', '~', 'null', 'Null', 'NULL']) RESOLVE_VALUES[k] = { kind: 'null' };
for (const k of ['.nan', '.NaN', '.NAN']) RESOLVE_VALUES[k] = { kind: 'float', value: Number.NaN };
for (const k of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']) RESOLVE_VALUES[k] = { kind: 'float', value: Number.POSITIVE_INFINITY };
for (const k of ['-.inf', '-.Inf', '-.INF']) RESOLVE_VALUES[k] = { kind: 'float', value: Number.NEGATIVE_INFINITY };
RESOLVE_VALUES['<<'] = { kind: 'str' };

/**
 * ResolveGoPlain is go-yaml v2's resolve() for a plain scalar: YAML 1.1 booleans (`y`, `yes`,
 * `on`, ...), nulls, ints in any base (`0x1F`, `0o17`, `017`, `0b1`, underscores allowed),
 * floats, and timestamps (which Go decodes into interface{} as the original string).
 */
export function resolveGoPlain(s: string): GoResolved {
  const c = s === '' ? '' : (s[0] as string);
  let hint: 'S' | 'D' | 'M' | '.' | 'N' | undefined;
  if (s === '') hint = 'N';
  else if (c === '+' || c === '-') hint = 'S';
  else if (c >= '0' && c <= '9') hint = 'D';
  else if ('yYnNtTfFoO~'.includes(c)) hint = 'M';
  else if (c === '.') hint = '.';
  // go-yaml consults its table only when the first character is a hint, so "<<" is a string.
  if (hint === undefined) return { kind: 'str' };
  const mapped = RESOLVE_VALUES[s];
  if (mapped !== undefined && s !== '<<') return mapped;
  if (hint === 'M' || hint === 'N') return { kind: 'str' };
  if (hint === '.') return isGoFloat(s) ? { kind: 'float', value: Number(s) } : { kind: 'str' };
  if (isTimestamp(s)) return { kind: 'timestamp' };
  const plain = s.replaceAll('_', '');
  const i = parseGoInt(plain);
  if (i !== undefined) return { kind: 'int', value: i };
  if (YAML_STYLE_FLOAT.test(plain) && isGoFloat(plain)) return { kind: 'float', value: Number(plain) };
  return { kind: 'str' };
}

function isBase60Float(s: string): boolean {
  if (s === '') return false;
  const c = s[0] as string;
  if (!(c === '+' || c === '-' || (c >= '0' && c <= '9')) || !s.includes(':')) return false;
  return BASE60_FLOAT.test(s);
}

const DIGITS: Record<number, RegExp> = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ };

/** ParseGoInt mirrors strconv.ParseInt(s, 0, 64) falling back to ParseUint(s, 0, 64). */
function parseGoInt(s: string): bigint | undefined {
  let body = s;
  let neg = false;
  if (body.startsWith('+') || body.startsWith('-')) {
    neg = body[0] === '-';
    body = body.slice(1);
  }
  let base = 10;
  let digits = body;
  if (/^0[xX]/.test(body)) {
    base = 16;
    digits = body.slice(2);
  } else if (/^0[oO]/.test(body)) {
    base = 8;
    digits = body.slice(2);
  } else if (/^0[bB]/.test(body)) {
    base = 2;
    digits = body.slice(2);
  } else if (body.length > 1 && body[0] === '0') {
    base = 8;
    digits = body.slice(1);
  }
  const valid = DIGITS[base] as RegExp;
  if (!valid.test(digits)) return undefined;
  let v = 0n;
  for (const ch of digits) v = v * BigInt(base) + BigInt(Number.parseInt(ch, 16));
  if (neg) {
    v = -v;
    return v >= -(2n ** 63n) ? v : undefined;
  }
  // ParseUint accepts up to 2^64-1 (but rejects a sign; s had none if !neg).
  if (v < 2n ** 63n) return v;
  if (s.startsWith('+')) return undefined;
  return v < 2n ** 64n ? v : undefined;
}

/** IsGoFloat reports whether strconv.ParseFloat(s, 64) accepts s without error. */
function isGoFloat(s: string): boolean {
  // Go accepts decimal and hex floats, "inf"/"infinity"/"nan" (any case), underscores only with
  // a base prefix; overflow (e.g. 1e400) is an error (ErrRange).
  const t = s.replace(/^[+-]/, '');
  if (/^(inf|infinity|nan)$/i.test(t)) return true;
  if (/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number.isFinite(Number(t));
  if (/^0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+$/.test(t)) return true;
  return false;
}

/** IsTimestamp mirrors go-yaml v2's parseTimestamp (formats YYYY-M-D[(T|t| )h:m:s[.frac][zone]]). */
const TS_DATE = '(\\d{4})-(\\d{1,2})-(\\d{1,2})';
const TS_TIME = '(\\d{1,2}):(\\d{1,2}):(\\d{1,2})(\\.\\d+)?';
const TIMESTAMP_PATTERNS = [
  new RegExp(`^${TS_DATE}[Tt]${TS_TIME}(Z|[+-]\\d{2}:\\d{2})$`),
  new RegExp(`^${TS_DATE} ${TS_TIME}$`),
  new RegExp(`^${TS_DATE}$`),
];
const FOUR_DIGITS_DASH = /^\d{4}-/;

function isTimestamp(s: string): boolean {
  if (!FOUR_DIGITS_DASH.test(s)) return false;
  for (const re of TIMESTAMP_PATTERNS) {
    const m = re.exec(s);
    if (m === null) continue;
    const month = Number(m[2]);
    const day = Number(m[3]);
    if (month < 1 || month > 12 || day < 1 || day > daysIn(Number(m[1]), month)) continue;
    if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59)) continue;
    if (m[8] !== undefined && m[8] !== 'Z' && !validZone(m[8])) continue;
    return true;
  }
  return false;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function validZone(z: string): boolean {
  const h = Number(z.slice(1, 3));
  const m = Number(z.slice(4, 6));
  return h <= 24 && m <= 59;
}

// ---------------------------------------------------------------------------------------------
// The emitter: a recursive port of libyaml's emitter as go-yaml v2 drives it.

interface Ctx {
  root: boolean;
  sequence: boolean;
  mapping: boolean;
  simpleKey: boolean;
}

interface Analysis {
  multiline: boolean;
  flowPlainAllowed: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

class Emitter {
  out = '';
  indent = -1;
  indents: number[] = [];
  column = 0;
  whitespace = true;
  indention = true;
  openEnded = false;
  flowLevel = 0;
  mappingContext = false;
  simpleKeyContext = false;
  rootContext = false;

  emitNode(node: Node, ctx: Ctx): void {
    this.rootContext = ctx.root;
    this.mappingContext = ctx.mapping;
    this.simpleKeyContext = ctx.simpleKey;
    if (node.kind === 'scalar') this.emitScalar(node);
    else if (node.kind === 'seq') this.emitSequence(node.items);
    else this.emitMapping(node.entries);
  }

  private emitSequence(items: Node[]): void {
    if (this.flowLevel > 0 || items.length === 0) {
      // Only empty sequences are written in flow style.
      this.writeIndicator('[', true, true, false);
      this.writeIndicator(']', false, false, false);
      return;
    }
    this.increaseIndent(false, this.mappingContext && !this.indention);
    for (const item of items) {
      this.writeIndent();
      this.writeIndicator('-', true, false, true);
      this.emitNode(item, { root: false, sequence: true, mapping: false, simpleKey: false });
    }
    this.popIndent();
  }

  private emitMapping(entries: [Node, Node][]): void {
    if (this.flowLevel > 0 || entries.length === 0) {
      // Only empty mappings are written in flow style.
      this.writeIndicator('{', true, true, false);
      this.writeIndicator('}', false, false, false);
      return;
    }
    this.increaseIndent(false, false);
    for (const [k, v] of entries) {
      this.writeIndent();
      if (checkSimpleKey(k)) {
        this.emitNode(k, { root: false, sequence: false, mapping: true, simpleKey: true });
        this.writeIndicator(':', false, false, false);
      } else {
        this.writeIndicator('?', true, false, true);
        this.emitNode(k, { root: false, sequence: false, mapping: true, simpleKey: false });
        this.writeIndent();
        this.writeIndicator(':', true, false, true);
      }
      this.emitNode(v, { root: false, sequence: false, mapping: true, simpleKey: false });
    }
    this.popIndent();
  }

  private emitScalar(node: { value: string; style: ScalarStyle }): void {
    if (node.style === 'plain' && SIMPLE_PLAIN.test(node.value)) {
      // A short scalar of letters, digits and `_.-/` (not leading `-`) is always written plain,
      // on one line, whatever the context: the general path below would write exactly this.
      if (!this.whitespace) this.put(' ');
      this.out += node.value;
      this.column += node.value.length;
      this.whitespace = false;
      this.indention = false;
      if (this.rootContext) this.openEnded = true;
      return;
    }
    const chars = Array.from(node.value);
    const a = analyzeScalar(chars);
    const style = this.selectStyle(node.style, a, chars.length === 0);
    this.increaseIndent(true, false);
    const allowBreaks = !this.simpleKeyContext;
    if (style === 'plain') this.writePlain(chars, allowBreaks);
    else if (style === 'single') this.writeSingleQuoted(chars, allowBreaks);
    else if (style === 'double') this.writeDoubleQuoted(chars, allowBreaks);
    else this.writeLiteral(chars);
    this.popIndent();
  }

  private selectStyle(requested: ScalarStyle, a: Analysis, empty: boolean): ScalarStyle {
    let style = requested;
    if (this.simpleKeyContext && a.multiline) style = 'double';
    if (style === 'plain') {
      if ((this.flowLevel > 0 && !a.flowPlainAllowed) || (this.flowLevel === 0 && !a.blockPlainAllowed)) style = 'single';
      if (empty && (this.flowLevel > 0 || this.simpleKeyContext)) style = 'single';
    }
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!a.blockAllowed || this.flowLevel > 0 || this.simpleKeyContext)) style = 'double';
    return style;
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  private popIndent(): void {
    this.indent = this.indents.pop() ?? -1;
  }

  private put(s: string): void {
    this.out += s;
    this.column++;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  /** WriteBreak copies one line-break character: LF becomes the emitter's break, others are kept. */
  private writeBreak(ch: string): void {
    if (ch === '\n') {
      this.putBreak();
      return;
    }
    this.out += ch;
    this.column = 0;
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    for (const ch of indicator) this.put(ch);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
    this.openEnded = false;
  }

  private writePlain(v: string[], allowBreaks: boolean): void {
    if (!this.whitespace) this.put(' ');
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < v.length; i++) {
      const ch = v[i] as string;
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && v[i + 1] !== ' ') this.writeIndent();
        else this.put(ch);
        spaces = true;
      } else if (isBreak(ch)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(ch);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
    if (this.rootContext) this.openEnded = true;
  }

  private writeSingleQuoted(v: string[], allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < v.length; i++) {
      const ch = v[i] as string;
      if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < v.length - 1 && v[i + 1] !== ' ') this.writeIndent();
        else this.put(ch);
        spaces = true;
      } else if (isBreak(ch)) {
        if (!breaks && ch === '\n') this.putBreak();
        this.writeBreak(ch);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (ch === "'") this.put("'");
        this.put(ch);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(v: string[], allowBreaks: boolean): void {
    let spaces = false;
    this.writeIndicator('"', true, false, false);
    const bom = v[0] === '\uFEFF';
    for (let i = 0; i < v.length; i++) {
      const ch = v[i] as string;
      const c = cp(ch);
      if (!isPrintable(c) || bom || isBreak(ch) || ch === '"' || ch === '\\') {
        this.put('\\');
        for (const e of ESCAPES.get(c) ?? hexEscape(c)) this.put(e);
        spaces = false;
      } else if (ch === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i > 0 && i < v.length - 1) {
          this.writeIndent();
          if (v[i + 1] === ' ') this.put('\\');
        } else {
          this.put(ch);
        }
        spaces = true;
      } else {
        this.put(ch);
        spaces = false;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(v: string[]): void {
    this.writeIndicator('|', true, false, false);
    this.writeBlockScalarHints(v);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const ch of v) {
      if (isBreak(ch)) {
        this.writeBreak(ch);
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(ch);
        this.indention = false;
        breaks = false;
      }
    }
  }

  private writeBlockScalarHints(v: string[]): void {
    if (v[0] === ' ' || isBreak(v[0] ?? '')) this.writeIndicator(String(BEST_INDENT), false, false, false);
    this.openEnded = false;
    let chomp = '';
    if (v.length === 0) chomp = '-';
    else {
      const last = v.length - 1;
      if (!isBreak(v[last] as string)) chomp = '-';
      else if (last === 0) {
        chomp = '+';
        this.openEnded = true;
      } else if (isBreak(v[last - 1] as string)) {
        chomp = '+';
        this.openEnded = true;
      }
    }
    if (chomp !== '') this.writeIndicator(chomp, false, false, false);
  }
}

/** SimplePlain matches scalars the emitter always writes plain and unchanged. */
const SIMPLE_PLAIN = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,60}$/;

const ESCAPES = new Map<number, string>([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);

function hexEscape(c: number): string {
  if (c <= 0xff) return `x${c.toString(16).toUpperCase().padStart(2, '0')}`;
  if (c <= 0xffff) return `u${c.toString(16).toUpperCase().padStart(4, '0')}`;
  return `U${c.toString(16).toUpperCase().padStart(8, '0')}`;
}

function isPrintable(c: number): boolean {
  return c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);
}

function isBreak(ch: string): boolean {
  return ch === '\r' || ch === '\n' || ch === '\u0085' || ch === '\u2028' || ch === '\u2029';
}

function isBlank(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

function isBlankz(ch: string | undefined): boolean {
  return ch === undefined || isBlank(ch) || isBreak(ch) || ch === '\0';
}

/** LineBreak matches the characters go-yaml counts as line breaks (isBreak). */
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/;

function checkSimpleKey(k: Node): boolean {
  if (k.kind !== 'scalar') return false;
  // analyzeScalar's `multiline` is exactly "has a line break".
  if (LINE_BREAK.test(k.value)) return false;
  return Buffer.byteLength(k.value, 'utf8') <= 128;
}

function analyzeScalar(v: string[]): Analysis {
  if (v.length === 0) {
    return { multiline: false, flowPlainAllowed: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  }
  let blockIndicators = false;
  let flowIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  const head = v.slice(0, 3).join('');
  if (v.length >= 3 && (head === '---' || head === '...')) {
    blockIndicators = true;
    flowIndicators = true;
  }
  let precededByWhitespace = true;
  for (let i = 0; i < v.length; i++) {
    const ch = v[i] as string;
    const followedByWhitespace = i + 1 >= v.length || isBlank(v[i + 1]);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) {
        flowIndicators = true;
        blockIndicators = true;
      } else if (ch === '?' || ch === ':') {
        flowIndicators = true;
        if (followedByWhitespace) blockIndicators = true;
      } else if (ch === '-' && followedByWhitespace) {
        flowIndicators = true;
        blockIndicators = true;
      }
    } else if (',?[]{}'.includes(ch)) {
      flowIndicators = true;
    } else if (ch === ':') {
      flowIndicators = true;
      if (followedByWhitespace) blockIndicators = true;
    } else if (ch === '#' && precededByWhitespace) {
      flowIndicators = true;
      blockIndicators = true;
    }
    if (!isPrintable(cp(ch))) specialCharacters = true;
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === v.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(ch)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === v.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(ch);
  }
  const a: Analysis = {
    multiline: lineBreaks,
    flowPlainAllowed: true,
    blockPlainAllowed: true,
    singleQuotedAllowed: true,
    blockAllowed: true,
  };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
  }
  if (trailingSpace) a.blockAllowed = false;
  if (breakSpace) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
    a.blockAllowed = false;
  }
  if (lineBreaks) {
    a.flowPlainAllowed = false;
    a.blockPlainAllowed = false;
  }
  if (flowIndicators) a.flowPlainAllowed = false;
  if (blockIndicators) a.blockPlainAllowed = false;
  return a;
}
