/**
 * Go text/template lexing and parsing (a port of text/template/parse): actions, pipelines,
 * variables, if/else if/with/range/break/continue, define/template/block, comments, trim
 * markers, custom delimiters, and Go's parse error messages (`template: <name>:<line>: ...`).
 */
import { GoError } from '../errors.ts';

// ---- lexer ---------------------------------------------------------------------------------

export type ItemType =
  | 'error'
  | 'bool'
  | 'char'
  | 'charConstant'
  | 'comment'
  | 'declare'
  | 'assign'
  | 'eof'
  | 'field'
  | 'identifier'
  | 'leftDelim'
  | 'leftParen'
  | 'number'
  | 'pipe'
  | 'rawString'
  | 'rightDelim'
  | 'rightParen'
  | 'space'
  | 'string'
  | 'text'
  | 'variable'
  | 'dot'
  | 'nil'
  | 'keyword';

export interface Item {
  typ: ItemType;
  pos: number;
  val: string;
  line: number;
}

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'nil', 'template', 'with']);

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlnum(c: string | undefined): boolean {
  return c !== undefined && (c === '_' || /[\p{L}\p{Nd}]/u.test(c));
}

/** Lex tokenises a template (Go's lexer, run to completion). */
export function lex(_name: string, input: string, left = '{{', right = '}}'): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;
  const emit = (typ: ItemType): void => {
    items.push({ typ, pos: start, val: input.slice(start, pos), line: startLine });
    start = pos;
    startLine = line;
  };
  const ignore = (): void => {
    line += countNewlines(input.slice(start, pos));
    start = pos;
    startLine = line;
  };
  const errorf = (msg: string): void => {
    items.push({ typ: 'error', pos: start, val: msg, line: startLine });
  };
  const next = (): string | undefined => {
    if (pos >= input.length) {
      pos++;
      return undefined;
    }
    const c = input[pos] as string;
    pos++;
    if (c === '\n') line++;
    return c;
  };
  const backup = (): void => {
    pos--;
    if (pos < input.length && input[pos] === '\n') line--;
  };
  const peek = (): string | undefined => input[pos];
  const trimMarker = '-';
  const hasRightTrimMarker = (at: number): boolean => isSpace(input[at]) && input[at + 1] === trimMarker;
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(pos) && input.startsWith(right, pos + 2)) return { delim: true, trim: true };
    if (input.startsWith(right, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };

  // lexText / lexLeftDelim / lexInsideAction as a loop
  for (;;) {
    // lexText
    const x = input.indexOf(left, pos);
    if (x < 0) {
      pos = input.length;
      line += countNewlines(input.slice(start, pos));
      if (pos > start) {
        items.push({ typ: 'text', pos: start, val: input.slice(start, pos), line: startLine });
      }
      items.push({ typ: 'eof', pos, val: '', line });
      return items;
    }
    pos = x;
    const trimLeft = input.startsWith(`${left}${trimMarker}`, pos) && isSpace(input[pos + left.length + 1]);
    let textEnd = pos;
    if (trimLeft) {
      while (textEnd > start && isSpace(input[textEnd - 1])) textEnd--;
    }
    if (textEnd > start) {
      items.push({ typ: 'text', pos: start, val: input.slice(start, textEnd), line: startLine });
    }
    line += countNewlines(input.slice(start, pos));
    start = pos;
    startLine = line;
    // lexLeftDelim
    pos += left.length;
    const afterMarker = trimLeft ? 2 : 0;
    if (input.startsWith('/*', pos + afterMarker)) {
      pos += afterMarker;
      ignore();
      // lexComment
      pos += 2;
      const close = input.indexOf('*/', pos);
      if (close < 0) {
        errorf('unclosed comment');
        return items;
      }
      pos = close + 2;
      const d = atRightDelim();
      if (!d.delim) {
        errorf('comment ends before closing delimiter');
        return items;
      }
      const commentItem = { typ: 'comment' as const, pos: start, val: input.slice(start, pos), line: startLine };
      items.push(commentItem);
      line += countNewlines(input.slice(start, pos));
      if (d.trim) pos += 2;
      pos += right.length;
      if (d.trim) {
        while (pos < input.length && isSpace(input[pos])) {
          if (input[pos] === '\n') line++;
          pos++;
        }
      }
      start = pos;
      startLine = line;
      continue;
    }
    emit('leftDelim');
    pos += afterMarker;
    ignore();
    parenDepth = 0;
    // lexInsideAction
    let actionDone = false;
    while (!actionDone) {
      const d = atRightDelim();
      if (d.delim && parenDepth === 0) {
        if (d.trim) {
          pos += 2;
          ignore();
        }
        pos += right.length;
        emit('rightDelim');
        if (d.trim) {
          while (pos < input.length && isSpace(input[pos])) {
            if (input[pos] === '\n') line++;
            pos++;
          }
          ignore();
        }
        actionDone = true;
        break;
      }
      const r = next();
      if (r === undefined) {
        errorf('unclosed action');
        return items;
      }
      if (isSpace(r)) {
        backup();
        // lexSpace
        let numSpaces = 0;
        while (isSpace(peek())) {
          next();
          numSpaces++;
        }
        if (hasRightTrimMarker(pos - 1) && input.startsWith(right, pos + 1)) {
          backup();
          if (numSpaces === 1) continue;
        }
        emit('space');
        continue;
      }
      if (r === '=') {
        emit('assign');
        continue;
      }
      if (r === ':') {
        if (next() !== '=') {
          errorf('expected :=');
          return items;
        }
        emit('declare');
        continue;
      }
      if (r === '|') {
        emit('pipe');
        continue;
      }
      if (r === '"') {
        // lexQuote
        for (;;) {
          const c = next();
          if (c === '\\') {
            const c2 = next();
            if (c2 !== undefined && c2 !== '\n') continue;
            errorf('unterminated quoted string');
            return items;
          }
          if (c === undefined || c === '\n') {
            errorf('unterminated quoted string');
            return items;
          }
          if (c === '"') break;
        }
        emit('string');
        continue;
      }
      if (r === '`') {
        for (;;) {
          const c = next();
          if (c === undefined) {
            errorf('unterminated raw quoted string');
            return items;
          }
          if (c === '`') break;
        }
        emit('rawString');
        continue;
      }
      if (r === '$') {
        // lexVariable
        if (!isAlnum(peek())) {
          emit('variable');
          continue;
        }
        while (isAlnum(peek())) next();
        emit('variable');
        continue;
      }
      if (r === "'") {
        for (;;) {
          const c = next();
          if (c === '\\') {
            const c2 = next();
            if (c2 !== undefined && c2 !== '\n') continue;
            errorf('unterminated character constant');
            return items;
          }
          if (c === undefined || c === '\n') {
            errorf('unterminated character constant');
            return items;
          }
          if (c === "'") break;
        }
        emit('charConstant');
        continue;
      }
      if (r === '.') {
        const c = peek();
        if (c === undefined || c < '0' || c > '9') {
          // lexField
          if (!isAlnum(peek())) {
            emit('dot');
            continue;
          }
          while (isAlnum(peek())) next();
          if (!atTerminator(input, pos, right)) {
            errorf(`bad character ${quoteRune(input[pos] ?? '')}`);
            return items;
          }
          emit('field');
          continue;
        }
      }
      if (r === '+' || r === '-' || r === '.' || (r >= '0' && r <= '9')) {
        backup();
        if (!scanNumber()) {
          errorf(`bad number syntax: ${JSON.stringify(input.slice(start, pos)).slice(1, -1)}`);
          return items;
        }
        emit('number');
        continue;
      }
      if (isAlnum(r)) {
        while (isAlnum(peek())) next();
        const word = input.slice(start, pos);
        if (!atTerminator(input, pos, right)) {
          errorf(`bad character ${quoteRune(input[pos] ?? '')}`);
          return items;
        }
        if (KEYWORDS.has(word)) emit(word === 'nil' ? 'nil' : 'keyword');
        else if (word === 'true' || word === 'false') emit('bool');
        else emit('identifier');
        continue;
      }
      if (r === '(') {
        emit('leftParen');
        parenDepth++;
        continue;
      }
      if (r === ')') {
        parenDepth--;
        if (parenDepth < 0) {
          errorf('unexpected right paren');
          return items;
        }
        emit('rightParen');
        continue;
      }
      if (r === ',') {
        emit('char');
        continue;
      }
      errorf(`unrecognized character in action: ${quoteRune(r)}`);
      return items;
    }
  }

  function scanNumber(): boolean {
    const accept = (valid: string): boolean => {
      const c = peek();
      if (c !== undefined && valid.includes(c)) {
        next();
        return true;
      }
      return false;
    };
    const acceptRun = (valid: string): void => {
      while (accept(valid)) {
        // consume
      }
    };
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlnum(peek())) {
      next();
      return false;
    }
    return true;
  }
}

function atTerminator(input: string, pos: number, right: string): boolean {
  const r = input[pos];
  if (r === undefined || isSpace(r)) return true;
  if ('.,|:)('.includes(r)) return true;
  return input.startsWith(right, pos);
}

function quoteRune(c: string): string {
  return `'${c}'`;
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

// ---- AST -------------------------------------------------------------------------------------

export type Node =
  | { kind: 'list'; pos: number; nodes: Node[] }
  | { kind: 'text'; pos: number; text: string }
  | { kind: 'comment'; pos: number; text: string }
  | { kind: 'action'; pos: number; line: number; pipe: PipeNode }
  | BranchNode<'if'>
  | BranchNode<'with'>
  | BranchNode<'range'>
  | { kind: 'break' | 'continue'; pos: number; line: number }
  | { kind: 'template'; pos: number; line: number; name: string; pipe: PipeNode | undefined };

export type ListNode = Extract<Node, { kind: 'list' }>;

export interface BranchNode<K extends 'if' | 'with' | 'range'> {
  kind: K;
  pos: number;
  line: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | undefined;
}

export interface PipeNode {
  kind: 'pipe';
  pos: number;
  line: number;
  isAssign: boolean;
  decl: VariableNode[];
  cmds: CommandNode[];
}

export interface CommandNode {
  kind: 'command';
  pos: number;
  args: ArgNode[];
}

export interface VariableNode {
  kind: 'variable';
  pos: number;
  ident: string[];
}

export type ArgNode =
  | { kind: 'field'; pos: number; ident: string[] }
  | { kind: 'chain'; pos: number; node: ArgNode; field: string[] }
  | VariableNode
  | { kind: 'dot'; pos: number }
  | { kind: 'nil'; pos: number }
  | { kind: 'bool'; pos: number; value: boolean }
  | { kind: 'number'; pos: number; text: string; isInt: boolean; isFloat: boolean; int: bigint; float: number }
  | { kind: 'string'; pos: number; quoted: string; text: string }
  | { kind: 'identifier'; pos: number; ident: string }
  | PipeNode;

/** NodeString is Go's Node.String(), used in error contexts. */
export function nodeString(n: ArgNode | CommandNode | Node): string {
  switch (n.kind) {
    case 'field':
      return n.ident.map((i) => `.${i}`).join('');
    case 'chain': {
      const inner = n.node.kind === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node);
      return inner + n.field.map((f) => `.${f}`).join('');
    }
    case 'variable':
      return n.ident.join('.');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return n.value ? 'true' : 'false';
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'identifier':
      return n.ident;
    case 'pipe': {
      let s = '';
      if (n.decl.length > 0) s = `${n.decl.map((d) => d.ident.join('.')).join(', ')} ${n.isAssign ? '=' : ':='} `;
      return s + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.kind === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'text':
      return n.text;
    case 'comment':
      return n.text;
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'if':
    case 'with':
    case 'range': {
      const els = n.elseList === undefined ? '' : `{{else}}${nodeString(n.elseList)}`;
      return `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}${els}{{end}}`;
    }
    case 'break':
    case 'continue':
      return `{{${n.kind}}}`;
    case 'template':
      return n.pipe === undefined
        ? `{{template ${JSON.stringify(n.name)}}}`
        : `{{template ${JSON.stringify(n.name)} ${nodeString(n.pipe)}}}`;
  }
}

// ---- parser --------------------------------------------------------------------------------

export interface ParsedTemplate {
  name: string;
  root: ListNode;
  text: string;
}

export class TemplateParseError extends GoError {}

/** Parse parses `text` into the template named `name` plus any {{define}}d templates. */
export function parseTemplates(
  name: string,
  text: string,
  funcs: ReadonlySet<string>,
  delims: [string, string] = ['{{', '}}'],
): Map<string, ParsedTemplate> {
  const items = lex(name, text, delims[0], delims[1]);
  const p = new Parser(name, text, items, funcs);
  return p.parse();
}

class Parser {
  private readonly name: string;
  private readonly text: string;
  private readonly items: Item[];
  private readonly funcs: ReadonlySet<string>;
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private treeName: string;
  private readonly out = new Map<string, ParsedTemplate>();

  constructor(name: string, text: string, items: Item[], funcs: ReadonlySet<string>) {
    this.name = name;
    this.text = text;
    this.items = items;
    this.funcs = funcs;
    this.treeName = name;
  }

  private errorf(msg: string, item?: Item): never {
    // Go reports the line of the last token read, even one that was backed up
    const it = item ?? this.last ?? { line: 1 };
    throw new TemplateParseError(`template: ${this.treeName}:${it.line}: ${msg}`);
  }

  private last: Item | undefined;

  private next(): Item {
    const it = this.items[this.i] ?? this.items[this.items.length - 1] ?? { typ: 'eof', pos: this.text.length, val: '', line: 1 };
    this.i++;
    this.last = it;
    if (it.typ === 'error') this.errorf(it.val, it);
    return it;
  }

  private backup(): void {
    this.i--;
  }

  private peek(): Item {
    return this.items[this.i] ?? { typ: 'eof', pos: this.text.length, val: '', line: 1 };
  }

  private nextNonSpace(): Item {
    let it = this.next();
    while (it.typ === 'space') it = this.next();
    return it;
  }

  private peekNonSpace(): Item {
    const it = this.nextNonSpace();
    this.backup();
    return it;
  }

  private expect(typ: ItemType, context: string): Item {
    const it = this.nextNonSpace();
    if (it.typ !== typ) this.unexpected(it, context);
    return it;
  }

  private unexpected(it: Item, context: string): never {
    if (it.typ === 'error') {
      const extra = it.line !== this.peek().line ? '' : '';
      this.errorf(`${it.val}${extra}`, it);
    }
    this.errorf(`unexpected ${describe(it)} in ${context}`, it);
  }

  parse(): Map<string, ParsedTemplate> {
    const root: ListNode = { kind: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().typ !== 'eof') {
      if (this.peek().typ === 'leftDelim') {
        const save = this.i;
        this.next();
        const kw = this.nextNonSpace();
        if (kw.typ === 'keyword' && kw.val === 'define') {
          this.parseDefinition();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if (n.kind !== 'node') this.errorf(`unexpected {{${n.kind}}}`, n.item);
      else root.nodes.push(n.node);
    }
    this.add(this.name, root);
    return this.out;
  }

  private add(name: string, root: ListNode): void {
    const existing = this.out.get(name);
    if (existing !== undefined && isEmptyTree(root)) return;
    this.out.set(name, { name, root, text: this.text });
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const nameItem = this.expectOneOf(['string', 'rawString'], context);
    const name = unquote(nameItem.val, nameItem.typ);
    this.expect('rightDelim', context);
    const saved = this.treeName;
    this.treeName = name;
    const savedVars = this.vars;
    this.vars = ['$'];
    const { list, end } = this.itemList();
    if (end.kind !== 'end') this.errorf(`unexpected ${end.kind === 'else' ? '{{else}}' : 'EOF'} in ${context}`);
    this.add(name, list);
    this.vars = savedVars;
    this.treeName = saved;
  }

  private expectOneOf(types: ItemType[], context: string): Item {
    const it = this.nextNonSpace();
    if (!types.includes(it.typ)) this.unexpected(it, context);
    return it;
  }

  private itemList(): { list: ListNode; end: { kind: 'end' | 'else'; item: Item } } {
    const list: ListNode = { kind: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().typ !== 'eof') {
      const n = this.textOrAction();
      if (n.kind !== 'node') return { list, end: { kind: n.kind, item: n.item } };
      list.nodes.push(n.node);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): { kind: 'node'; node: Node } | { kind: 'end' | 'else'; item: Item } {
    const it = this.nextNonSpace();
    switch (it.typ) {
      case 'text':
        return { kind: 'node', node: { kind: 'text', pos: it.pos, text: it.val } };
      case 'leftDelim':
        return this.action();
      case 'comment':
        return { kind: 'node', node: { kind: 'comment', pos: it.pos, text: it.val } };
      default:
        this.unexpected(it, 'input');
    }
  }

  private action(): { kind: 'node'; node: Node } | { kind: 'end' | 'else'; item: Item } {
    const it = this.nextNonSpace();
    if (it.typ === 'keyword') {
      switch (it.val) {
        case 'block':
          return { kind: 'node', node: this.blockControl(it) };
        case 'break':
        case 'continue': {
          if (this.rangeDepth === 0) this.errorf(`{{${it.val}}} outside {{range}}`, it);
          const t = this.nextNonSpace();
          if (t.typ !== 'rightDelim') this.unexpected(t, `{{${it.val}}}`);
          return { kind: 'node', node: { kind: it.val, pos: it.pos, line: it.line } };
        }
        case 'else':
          return { kind: 'else', item: it };
        case 'end': {
          this.expect('rightDelim', 'end');
          return { kind: 'end', item: it };
        }
        case 'if':
        case 'with':
          return { kind: 'node', node: this.control(it.val, it) };
        case 'range': {
          this.rangeDepth++;
          const n = this.control('range', it);
          this.rangeDepth--;
          return { kind: 'node', node: n };
        }
        case 'template':
          return { kind: 'node', node: this.templateControl(it) };
        case 'define':
          this.errorf('unexpected define', it);
          break;
        default:
          break;
      }
    }
    this.backup();
    const tok = this.peek();
    const pipe = this.pipeline('command', 'rightDelim');
    return { kind: 'node', node: { kind: 'action', pos: tok.pos, line: tok.line, pipe } };
  }

  private control<K extends 'if' | 'with' | 'range'>(kind: K, it: Item): BranchNode<K> {
    const savedVars = this.vars.length;
    const pipe = this.pipeline(kind, 'rightDelim');
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${kind}`, it);
    const { list, end } = this.itemList();
    let elseList: ListNode | undefined;
    if (end.kind === 'else') {
      // else if / else with chaining
      const peek = this.peekNonSpace();
      if (
        (kind === 'if' && peek.typ === 'keyword' && peek.val === 'if') ||
        (kind === 'with' && peek.typ === 'keyword' && peek.val === 'with')
      ) {
        this.nextNonSpace();
        const nested = this.control(kind, peek) as Node;
        elseList = { kind: 'list', pos: peek.pos, nodes: [nested] };
        this.vars.length = savedVars;
        return { kind, pos: pipe.pos, line: it.line, pipe, list, elseList };
      }
      this.expect('rightDelim', 'else');
      const r = this.itemList();
      if (r.end.kind !== 'end') this.errorf('expected end; found {{else}}', r.end.item);
      elseList = r.list;
    }
    this.vars.length = savedVars;
    return { kind, pos: pipe.pos, line: it.line, pipe, list, elseList };
  }

  private templateControl(it: Item): Node {
    const context = 'template clause';
    const tok = this.nextNonSpace();
    if (tok.typ !== 'string' && tok.typ !== 'rawString') this.unexpected(tok, context);
    const name = unquote(tok.val, tok.typ);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().typ !== 'rightDelim') {
      this.backup();
      pipe = this.pipeline(context, 'rightDelim');
    }
    return { kind: 'template', pos: tok.pos, line: it.line, name, pipe };
  }

  private blockControl(it: Item): Node {
    const context = 'block clause';
    const tok = this.nextNonSpace();
    if (tok.typ !== 'string' && tok.typ !== 'rawString') this.unexpected(tok, context);
    const name = unquote(tok.val, tok.typ);
    const pipe = this.pipeline(context, 'rightDelim');
    const saved = this.treeName;
    const savedVars = this.vars;
    this.treeName = name;
    this.vars = ['$'];
    const { list, end } = this.itemList();
    if (end.kind !== 'end') this.errorf(`unexpected {{else}} in ${context}`);
    this.add(name, list);
    this.treeName = saved;
    this.vars = savedVars;
    return { kind: 'template', pos: it.pos, line: it.line, name, pipe };
  }

  private pipeline(context: string, end: ItemType): PipeNode {
    const tok = this.peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', pos: tok.pos, line: tok.line, isAssign: false, decl: [], cmds: [] };
    // declarations
    for (;;) {
      if (this.peekNonSpace().typ !== 'variable') break;
      const save = this.i;
      const v = this.nextNonSpace();
      const next = this.peekNonSpace();
      if (next.typ === 'assign' || next.typ === 'declare') {
        this.nextNonSpace();
        pipe.isAssign = next.typ === 'assign';
        pipe.decl.push(this.newVariable(v));
        break;
      }
      if (next.typ === 'char' && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(v));
        if (context === 'range' && pipe.decl.length < 2) {
          const t = this.peekNonSpace().typ;
          if (t === 'variable' || t === 'rightDelim' || t === 'rightParen') continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      this.i = save;
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.typ) {
        case 'bool':
        case 'charConstant':
        case 'dot':
        case 'field':
        case 'identifier':
        case 'number':
        case 'nil':
        case 'rawString':
        case 'string':
        case 'variable':
        case 'leftParen':
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private newVariable(it: Item): VariableNode {
    this.vars.push(it.val);
    return { kind: 'variable', pos: it.pos, ident: [it.val] };
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    for (let k = 1; k < pipe.cmds.length; k++) {
      const first = pipe.cmds[k]?.args[0];
      if (first === undefined) continue;
      switch (first.kind) {
        case 'bool':
        case 'dot':
        case 'nil':
        case 'number':
        case 'string':
          this.errorf(`non executable command in pipeline stage ${k + 1}`);
          break;
        default:
          break;
      }
    }
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand !== undefined) cmd.args.push(operand);
      const t = this.next();
      switch (t.typ) {
        case 'space':
          continue;
        case 'rightDelim':
        case 'rightParen':
          this.backup();
          break;
        case 'pipe':
          break;
        default:
          this.unexpected(t, 'operand');
      }
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (node === undefined) return undefined;
    if (this.peek().typ === 'field') {
      const chainPos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().typ === 'field') fields.push(this.next().val.slice(1));
      switch (node.kind) {
        case 'field':
          return { kind: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
        case 'variable':
          return { kind: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.errorf(`unexpected . after term ${JSON.stringify(nodeString(node))}`);
          break;
        default:
          return { kind: 'chain', pos: chainPos, node, field: fields };
      }
    }
    return node;
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case 'identifier': {
        if (!this.funcs.has(t.val)) this.errorf(`function "${t.val}" not defined`, t);
        return { kind: 'identifier', pos: t.pos, ident: t.val };
      }
      case 'dot':
        return { kind: 'dot', pos: t.pos };
      case 'nil':
        return { kind: 'nil', pos: t.pos };
      case 'variable': {
        if (!this.vars.includes(t.val)) this.errorf(`undefined variable "${t.val}"`, t);
        return { kind: 'variable', pos: t.pos, ident: [t.val] };
      }
      case 'field':
        return { kind: 'field', pos: t.pos, ident: [t.val.slice(1)] };
      case 'bool':
        return { kind: 'bool', pos: t.pos, value: t.val === 'true' };
      case 'charConstant':
      case 'number':
        return this.number(t);
      case 'leftParen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen');
        return pipe;
      }
      case 'string':
      case 'rawString':
        return { kind: 'string', pos: t.pos, quoted: t.val, text: unquote(t.val, t.typ) };
      default:
        this.backup();
        return undefined;
    }
  }

  private number(t: Item): ArgNode {
    const text = t.val;
    if (t.typ === 'charConstant') {
      const s = unquote(`"${text.slice(1, -1).replace(/"/g, '\\"')}"`, 'string');
      const cp = s.codePointAt(0) ?? 0;
      return { kind: 'number', pos: t.pos, text, isInt: true, isFloat: true, int: BigInt(cp), float: cp };
    }
    const clean = text.replace(/_/g, '');
    if (clean.endsWith('i')) this.errorf(`complex numbers are not supported: ${text}`, t);
    let isInt = false;
    let isFloat = false;
    let int = 0n;
    let float = 0;
    const intMatch = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(clean);
    if (intMatch) {
      const sign = intMatch[1] === '-' ? -1n : 1n;
      let body = intMatch[2] ?? '0';
      if (/^0[oO]/.test(body)) body = `0o${body.slice(2)}`;
      else if (/^0[0-7]+$/.test(body)) body = `0o${body.slice(1)}`;
      int = sign * BigInt(body);
      isInt = int >= -(2n ** 63n) && int < 2n ** 63n;
      float = Number(int);
      isFloat = true;
      if (!isInt) this.errorf(`illegal number syntax: "${text}"`, t);
    } else {
      const f = Number(clean);
      if (clean === '' || Number.isNaN(f) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(clean)) {
        if (/^[+-]?0[xX]/.test(clean) && /[pP]/.test(clean)) {
          isFloat = true;
          float = parseHexFloat(clean);
        } else {
          this.errorf(`illegal number syntax: "${text}"`, t);
        }
      } else {
        isFloat = true;
        float = f;
        if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) {
          isInt = true;
          int = BigInt(f);
        }
      }
    }
    return { kind: 'number', pos: t.pos, text, isInt, isFloat, int, float };
  }
}

function parseHexFloat(s: string): number {
  const m = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
  if (!m) return Number.NaN;
  let v = Number.parseInt(m[2] || '0', 16);
  const frac = m[3] ?? '';
  for (let i = 0; i < frac.length; i++) v += Number.parseInt(frac[i] ?? '0', 16) / 16 ** (i + 1);
  v *= 2 ** Number(m[4]);
  return m[1] === '-' ? -v : v;
}

function isEmptyTree(n: ListNode): boolean {
  return n.nodes.every((x) => (x.kind === 'text' && x.text.trim() === '') || x.kind === 'comment');
}

function describe(it: Item): string {
  switch (it.typ) {
    case 'eof':
      return 'EOF';
    case 'rightDelim':
      return `"${it.val}"`;
    case 'leftDelim':
      return `"${it.val}"`;
    case 'rightParen':
      return '")"';
    case 'keyword':
      return `<${it.val}>`;
    case 'space':
      return 'space';
    case 'char':
      return `"${it.val}"`;
    case 'text':
      return `text ${JSON.stringify(it.val.length > 10 ? `${it.val.slice(0, 10)}...` : it.val)}`;
    default:
      return `<${it.val}>`;
  }
}

/** Unquote is strconv.Unquote for Go string and raw string literals. */
export function unquote(s: string, typ: ItemType): string {
  if (typ === 'rawString') return s.slice(1, -1).replace(/\r/g, '');
  const body = s.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case "'":
        out += "'";
        break;
      case 'x':
        out += String.fromCharCode(Number.parseInt(body.slice(i + 1, i + 3), 16));
        i += 2;
        break;
      case 'u':
        out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 5), 16));
        i += 4;
        break;
      case 'U':
        out += String.fromCodePoint(Number.parseInt(body.slice(i + 1, i + 9), 16));
        i += 8;
        break;
      default:
        if (e !== undefined && e >= '0' && e <= '7') {
          out += String.fromCharCode(Number.parseInt(body.slice(i, i + 3), 8));
          i += 2;
        } else {
          throw new TemplateParseError(`invalid syntax`);
        }
    }
  }
  return out;
}
