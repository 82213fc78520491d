import { badRequest } from './errors.ts';
import { isLabelValue, isQualifiedName } from './objectmeta.ts';

/** A LabelRequirement is one term of a label selector. */
export type LabelRequirement =
  | { key: string; op: 'exists' | '!'; values: [] }
  | { key: string; op: '=' | '!=' | 'in' | 'notin'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; values: [string] };

/** A LabelSelector is a conjunction of requirements; the empty selector matches everything. */
export interface LabelSelector {
  requirements: LabelRequirement[];
}

/**
 * ParseLabelSelector parses the `labelSelector` query syntax (`a=b,c!=d,e in (x,y),!f,g`),
 * throwing a 400 BadRequest naming the problem.
 */
export function parseLabelSelector(s: string): LabelSelector {
  const p = new Lexer(s);
  const reqs: LabelRequirement[] = [];
  p.skipSpace();
  if (p.done()) return { requirements: [] };
  for (;;) {
    reqs.push(parseRequirement(p));
    p.skipSpace();
    if (p.done()) break;
    if (!p.eat(',')) throw badRequest(`unable to parse requirement: found '${p.peekToken()}', expected: ','`);
  }
  return { requirements: reqs };
}

function parseRequirement(p: Lexer): LabelRequirement {
  p.skipSpace();
  if (p.eat('!')) {
    const key = p.identifier();
    checkKey(key);
    return { key, op: '!', values: [] };
  }
  const key = p.identifier();
  if (key === '') throw badRequest(`unable to parse requirement: found '${p.peekToken()}', expected: !, identifier`);
  checkKey(key);
  p.skipSpace();
  if (p.done() || p.peek() === ',') return { key, op: 'exists', values: [] };
  if (p.eat('==') || p.eat('=')) return { key, op: '=', values: [checkValue(p.value())] };
  if (p.eat('!=')) return { key, op: '!=', values: [checkValue(p.value())] };
  if (p.eat('>')) return { key, op: 'gt', values: [checkInt(p.value())] };
  if (p.eat('<')) return { key, op: 'lt', values: [checkInt(p.value())] };
  const word = p.identifier();
  if (word === 'in' || word === 'notin') {
    p.skipSpace();
    if (!p.eat('(')) throw badRequest(`unable to parse requirement: found '${p.peekToken()}', expected: '('`);
    const values: string[] = [];
    for (;;) {
      p.skipSpace();
      if (p.eat(')')) break;
      values.push(checkValue(p.value()));
      p.skipSpace();
      if (p.eat(')')) break;
      if (!p.eat(',')) throw badRequest(`unable to parse requirement: found '${p.peekToken()}', expected: ',' or ')'`);
    }
    if (values.length === 0 && word === 'in')
      throw badRequest("unable to parse requirement: for 'in', 'notin' operators, values set can't be empty");
    return { key, op: word, values };
  }
  throw badRequest(`unable to parse requirement: found '${word === '' ? p.peekToken() : word}', expected: in, notin, =, ==, !=, gt, lt`);
}

function checkKey(key: string): void {
  const errs = isQualifiedName(key);
  if (errs.length > 0) throw badRequest(`unable to parse requirement: key: Invalid value: ${JSON.stringify(key)}: ${errs.join('; ')}`);
}

function checkValue(v: string): string {
  const errs = isLabelValue(v);
  if (errs.length > 0)
    throw badRequest(`unable to parse requirement: values[0][value]: Invalid value: ${JSON.stringify(v)}: ${errs.join('; ')}`);
  return v;
}

function checkInt(v: string): string {
  if (!/^-?\d+$/.test(v)) throw badRequest(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`);
  return v;
}

class Lexer {
  private i = 0;
  private readonly s: string;
  constructor(s: string) {
    this.s = s;
  }
  done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  peekToken(): string {
    return this.s.slice(this.i, this.i + 10);
  }
  skipSpace(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i] as string)) this.i++;
  }
  eat(tok: string): boolean {
    this.skipSpace();
    if (this.s.startsWith(tok, this.i)) {
      this.i += tok.length;
      return true;
    }
    return false;
  }
  identifier(): string {
    this.skipSpace();
    const start = this.i;
    while (this.i < this.s.length && /[A-Za-z0-9_./-]/.test(this.s[this.i] as string)) this.i++;
    return this.s.slice(start, this.i);
  }
  value(): string {
    return this.identifier();
  }
}

/** MatchLabels reports whether `labels` satisfy the selector. */
export function matchLabels(sel: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  for (const r of sel.requirements) {
    const has = labels !== undefined && Object.hasOwn(labels, r.key);
    const v = has ? (labels as Record<string, string>)[r.key] : undefined;
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case '=':
        if (v !== r.values[0]) return false;
        break;
      case '!=':
        if (v === r.values[0]) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v as string)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v as string)) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v as string)) return false;
        const n = Number(v);
        const want = Number(r.values[0]);
        if (r.op === 'gt' ? !(n > want) : !(n < want)) return false;
        break;
      }
    }
  }
  return true;
}

/** A FieldRequirement is one `field=value` / `field!=value` term. */
export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** ParseFieldSelector parses `a=b,c!=d` (with `\` escapes), throwing 400 on bad syntax. */
export function parseFieldSelector(s: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (s.trim() === '') return out;
  for (const term of splitUnescaped(s, ',')) {
    if (term === '') continue;
    const m = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (m === null) throw badRequest(`invalid selector: '${s}'; can't understand '${term}'`);
    const field = (m[1] as string).trim();
    const op = m[2] === '!=' ? '!=' : '=';
    out.push({ field, op, value: unescapeValue(m[3] as string) });
  }
  return out;
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + (s[i + 1] as string);
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function unescapeValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

/** MatchFields reports whether the field values satisfy the requirements (missing fields read as ''). */
export function matchFields(reqs: FieldRequirement[], get: (field: string) => string): boolean {
  for (const r of reqs) {
    const v = get(r.field);
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
