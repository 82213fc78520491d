/**
 * The sprig (v3) functions real Compositions use (census §5b lists every one seen), with sprig's
 * conversion rules (toInt64, strval, empty) and its int64 arithmetic, plus the common string,
 * list, dict, regexp, encoding and hashing helpers.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { deepEqual } from '../fieldpath/fieldpath.ts';
import { goJsonMarshal } from '../gofmt/json.ts';
import { sprintf } from '../gofmt/sprintf.ts';
import { GoInt, goInt, goTypeName, intValue, isGoMap, typedSlice } from '../gofmt/values.ts';
import { compileGoRegexp, findAllString, findString, matchString, replaceAllString, split as reSplit } from '../goregexp.ts';
import { FuncError, type TemplateFunc, type Value } from './exec.ts';

function mustRegexp(re: string) {
  const c = compileGoRegexp(re);
  if (c.re === undefined) throw new FuncError(`regexp: Compile(${JSON.stringify(re)}): ${c.error}`);
  return c.re;
}

/** Strval is sprig's strval: strings as is, []byte as text, anything else %v. */
export function strval(v: Value): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return sprintf('%v', v);
}

export function toInt64(v: Value): bigint {
  if (typeof v === 'string') {
    if (!/^[+-]?[0-9]+$/.test(v)) return 0n;
    const n = BigInt(v);
    return n > 2n ** 63n - 1n || n < -(2n ** 63n) ? 0n : n;
  }
  if (typeof v === 'bigint') return v;
  if (v instanceof GoInt) return BigInt.asIntN(64, v.value);
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || Math.abs(v) >= 2 ** 63) return -(2n ** 63n);
    return BigInt(Math.trunc(v));
  }
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return 0n;
}

export function toFloat64(v: Value): number {
  if (typeof v === 'string') {
    const f = Number(v);
    return v.trim() === '' || Number.isNaN(f) ? 0 : f;
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' || v instanceof GoInt) return Number(intValue(v));
  if (typeof v === 'boolean') return v ? 1 : 0;
  return 0;
}

/** Empty is sprig's empty: nil, zero numbers, false, "" and empty collections. */
export function empty(v: Value): boolean {
  if (v === null || v === undefined) return true;
  switch (typeof v) {
    case 'string':
      return v.length === 0;
    case 'number':
      return v === 0;
    case 'bigint':
      return v === 0n;
    case 'boolean':
      return !v;
    default:
      break;
  }
  if (v instanceof GoInt) return v.value === 0n;
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length === 0;
  if (isGoMap(v)) return Object.keys(v).length === 0;
  return false;
}

function strslice(v: Value): string[] {
  if (Array.isArray(v)) return v.filter((x) => x !== null && x !== undefined).map(strval);
  if (v === null || v === undefined) return [];
  return [strval(v)];
}

function kindOf(v: Value): string {
  if (v === null || v === undefined) return 'invalid';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'bigint':
      return 'int64';
    case 'boolean':
      return 'bool';
    case 'function':
      return 'func';
    default:
      break;
  }
  if (v instanceof GoInt) return v.kind;
  if (Array.isArray(v) || v instanceof Uint8Array) return 'slice';
  return 'map';
}

function asList(v: Value, fn: string): unknown[] {
  if (Array.isArray(v)) return v;
  if (v instanceof Uint8Array) return Array.from(v, (b) => new GoInt('uint8', BigInt(b)));
  throw new FuncError(`Cannot ${fn} on type ${kindOf(v)}`);
}

function deepCopy(v: Value): Value {
  if (Array.isArray(v)) return v.map(deepCopy);
  if (isGoMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = deepCopy(x);
    return out;
  }
  return v;
}

/** MergoMerge is dario.cat/mergo's Merge of map[string]interface{} values (no override). */
function mergoMerge(dst: Record<string, unknown>, src: Record<string, unknown>, override: boolean): void {
  for (const [k, sv] of Object.entries(src)) {
    const dv = dst[k];
    if (isGoMap(sv) && isGoMap(dv)) {
      mergoMerge(dv, sv, override);
      continue;
    }
    if (!Object.hasOwn(dst, k) || empty(dv) || (override && !(sv === null && false))) {
      if (override && (sv === null || sv === undefined)) continue;
      dst[k] = sv;
    }
  }
}

function digFromDict(dict: Record<string, unknown>, d: Value, ks: string[]): Value {
  const [k, ...ns] = ks;
  if (k === undefined || !Object.hasOwn(dict, k)) return d;
  const step = dict[k];
  if (ns.length === 0) return step;
  if (!isGoMap(step))
    throw new FuncError(`interface conversion: interface {} is ${goTypeName(step) ?? 'nil'}, not map[string]interface {}`);
  return digFromDict(step, d, ns);
}

function randString(count: bigint | GoInt, alphabet: string): string {
  const n = Number(intValue(count));
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const NUM = '0123456789';

function words(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
}

function indent(spaces: GoInt, v: string): string {
  const pad = ' '.repeat(Math.max(0, Number(spaces.value)));
  return pad + v.split('\n').join(`\n${pad}`);
}

function title(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase());
}

const MAX_ELEMENTS = 10_000_000;
const MAX_STRING = 64 * 1024 * 1024;

function checkCount(n: number, what: string): void {
  if (n > MAX_ELEMENTS) throw new FuncError(`${what} of ${n} elements is larger than the limit of ${MAX_ELEMENTS}`);
}

function fn(params: TemplateFunc['params'], f: (...a: never[]) => unknown, variadic?: TemplateFunc['variadic']): TemplateFunc {
  return variadic === undefined ? { params, fn: f } : { params, variadic, fn: f };
}

function sliceOf(list: Value, indices: Value[]): Value {
  if (!Array.isArray(list)) throw new FuncError(`list should be type of slice or array but ${kindOf(list)}`);
  const l = list;
  const start = indices.length > 0 ? Number(toInt64(indices[0])) : 0;
  const end = indices.length > 1 ? Number(toInt64(indices[1])) : l.length;
  return l.slice(start, end);
}

export const sprigFuncs: Record<string, TemplateFunc> = {
  // strings
  lower: fn(['string'], ((s: string) => s.toLowerCase()) as never),
  upper: fn(['string'], ((s: string) => s.toUpperCase()) as never),
  title: fn(['string'], title as never),
  trim: fn(['string'], ((s: string) => s.trim()) as never),
  trimAll: fn(['string', 'string'], ((a: string, b: string) =>
    b.replace(new RegExp(`^[${escapeClass(a)}]+|[${escapeClass(a)}]+$`, 'g'), '')) as never),
  trimSuffix: fn(['string', 'string'], ((a: string, b: string) =>
    a !== '' && b.endsWith(a) ? b.slice(0, b.length - a.length) : b) as never),
  trimPrefix: fn(['string', 'string'], ((a: string, b: string) => (a !== '' && b.startsWith(a) ? b.slice(a.length) : b)) as never),
  hasPrefix: fn(['string', 'string'], ((pre: string, s: string) => s.startsWith(pre)) as never),
  hasSuffix: fn(['string', 'string'], ((suf: string, s: string) => s.endsWith(suf)) as never),
  contains: fn(['string', 'string'], ((sub: string, s: string) => s.includes(sub)) as never),
  replace: fn(['string', 'string', 'string'], ((o: string, n: string, src: string) =>
    o === '' ? [...src].map((c) => n + c).join('') + n : src.split(o).join(n)) as never),
  repeat: fn(['int', 'string'], ((c: GoInt, s: string) => {
    const n = Math.max(0, Number(c.value));
    if (n * s.length > MAX_STRING)
      throw new FuncError(`repeat would make a string of ${n * s.length} bytes, larger than the limit of ${MAX_STRING}`);
    return s.repeat(n);
  }) as never),
  substr: fn(['int', 'int', 'string'], ((start: GoInt, end: GoInt, s: string) => {
    const a = Number(start.value);
    const b = Number(end.value);
    if (a < 0) return s.slice(0, b);
    if (b < 0 || b > s.length) return s.slice(a);
    return s.slice(a, b);
  }) as never),
  trunc: fn(['int', 'string'], ((c: GoInt, s: string) => {
    const n = Number(c.value);
    if (n < 0 && s.length + n > 0) return s.slice(s.length + n);
    if (n >= 0 && s.length > n) return s.slice(0, n);
    return s;
  }) as never),
  nospace: fn(['string'], ((s: string) => s.replace(/\s/g, '')) as never),
  indent: fn(['int', 'string'], indent as never),
  nindent: fn(['int', 'string'], ((n: GoInt, v: string) => `\n${indent(n, v)}`) as never),
  quote: fn(
    [],
    ((...xs: Value[]) =>
      xs
        .filter((x) => x !== null && x !== undefined)
        .map((x) => sprintf('%q', strval(x)))
        .join(' ')) as never,
    'any',
  ),
  squote: fn(
    [],
    ((...xs: Value[]) =>
      xs
        .filter((x) => x !== null && x !== undefined)
        .map((x) => `'${strval(x)}'`)
        .join(' ')) as never,
    'any',
  ),
  cat: fn(
    [],
    ((...xs: Value[]) =>
      xs
        .filter((x) => x !== null && x !== undefined)
        .map(strval)
        .join(' ')) as never,
    'any',
  ),
  kebabcase: fn(['string'], ((s: string) =>
    words(s)
      .map((w) => w.toLowerCase())
      .join('-')) as never),
  snakecase: fn(['string'], ((s: string) =>
    words(s)
      .map((w) => w.toLowerCase())
      .join('_')) as never),
  camelcase: fn(['string'], ((s: string) =>
    s
      .split('_')
      .map((w) => (w === '' ? '' : w[0]?.toUpperCase() + w.slice(1)))
      .join('')) as never),
  split: fn(['string', 'string'], ((sep: string, orig: string) =>
    Object.fromEntries(orig.split(sep).map((p, i) => [`_${i}`, p]))) as never),
  splitList: fn(['string', 'string'], ((sep: string, orig: string) =>
    typedSlice(sep === '' ? [...orig] : orig.split(sep), 'string')) as never),
  splitn: fn(['string', 'int', 'string'], ((sep: string, n: GoInt, orig: string) => {
    const parts = orig.split(sep);
    const k = Number(n.value);
    const out = k > 0 && parts.length > k ? [...parts.slice(0, k - 1), parts.slice(k - 1).join(sep)] : parts;
    return Object.fromEntries(out.map((p, i) => [`_${i}`, p]));
  }) as never),
  join: fn(['string', 'any'], ((sep: string, v: Value) => strslice(v).join(sep)) as never),
  sortAlpha: fn(['any'], ((v: Value) =>
    typedSlice(
      strslice(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
      'string',
    )) as never),
  toString: fn(['any'], strval as never),
  toStrings: fn(['any'], ((v: Value) => typedSlice(strslice(v), 'string')) as never),
  toJson: fn(['any'], ((v: Value) => {
    try {
      return goJsonMarshal(v);
    } catch {
      return '';
    }
  }) as never),
  mustToJson: fn(['any'], ((v: Value) => goJsonMarshal(v)) as never),
  toPrettyJson: fn(['any'], ((v: Value) => JSON.stringify(JSON.parse(goJsonMarshal(v)), null, 2)) as never),
  toRawJson: fn(['any'], ((v: Value) =>
    goJsonMarshal(v)
      .replace(/\\u003c/g, '<')
      .replace(/\\u003e/g, '>')
      .replace(/\\u0026/g, '&')) as never),
  fromJson: fn(['string'], ((s: string) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      return null;
    }
  }) as never),
  mustFromJson: fn(['string'], ((s: string) => {
    try {
      return JSON.parse(s) as unknown;
    } catch (e) {
      throw new FuncError(e instanceof Error ? e.message : String(e));
    }
  }) as never),
  b64enc: fn(['string'], ((s: string) => Buffer.from(s, 'utf8').toString('base64')) as never),
  b64dec: fn(['string'], ((s: string) => {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return 'illegal base64 data at input byte 0';
    return Buffer.from(s, 'base64').toString('utf8');
  }) as never),
  sha256sum: fn(['string'], ((s: string) => createHash('sha256').update(s).digest('hex')) as never),
  sha1sum: fn(['string'], ((s: string) => createHash('sha1').update(s).digest('hex')) as never),
  // regexps
  regexMatch: fn(['string', 'string'], ((re: string, s: string) => matchString(mustRegexp(re), s)) as never),
  regexFind: fn(['string', 'string'], ((re: string, s: string) => findString(mustRegexp(re), s)) as never),
  regexFindAll: fn(['string', 'string', 'int'], ((re: string, s: string, n: GoInt) =>
    typedSlice(findAllString(mustRegexp(re), s, Number(n.value)), 'string')) as never),
  regexReplaceAll: fn(['string', 'string', 'string'], ((re: string, s: string, repl: string) =>
    replaceAllString(mustRegexp(re), s, repl)) as never),
  regexReplaceAllLiteral: fn(['string', 'string', 'string'], ((re: string, s: string, repl: string) =>
    replaceAllString(mustRegexp(re), s, repl, true)) as never),
  regexSplit: fn(['string', 'string', 'int'], ((re: string, s: string, n: GoInt) =>
    typedSlice(reSplit(mustRegexp(re), s, Number(n.value)), 'string')) as never),
  regexQuoteMeta: fn(['string'], ((s: string) => s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&')) as never),
  // defaults and logic
  default: fn(['any'], ((d: Value, ...given: Value[]) => (given.length === 0 || empty(given[0]) ? d : given[0])) as never, 'any'),
  empty: fn(['any'], empty as never),
  coalesce: fn([], ((...xs: Value[]) => xs.find((x) => !empty(x)) ?? null) as never, 'any'),
  ternary: fn(['any', 'any', 'bool'], ((a: Value, b: Value, c: boolean) => (c ? a : b)) as never),
  fail: fn(['string'], ((msg: string) => {
    throw new FuncError(msg);
  }) as never),
  kindIs: fn(['string', 'any'], ((k: string, v: Value) => kindOf(v) === k) as never),
  kindOf: fn(['any'], kindOf as never),
  typeOf: fn(['any'], ((v: Value) => sprintf('%T', v)) as never),
  typeIs: fn(['string', 'any'], ((t: string, v: Value) => sprintf('%T', v) === t) as never),
  deepCopy: fn(['any'], deepCopy as never),
  // numbers
  int: fn(['any'], ((v: Value) => goInt(toInt64(v))) as never),
  int64: fn(['any'], toInt64 as never),
  float64: fn(['any'], toFloat64 as never),
  atoi: fn(['string'], ((s: string) => goInt(/^[+-]?\d+$/.test(s) ? BigInt(s) : 0n)) as never),
  add: fn(
    [],
    ((...xs: Value[]) =>
      BigInt.asIntN(
        64,
        xs.reduce((a: bigint, b) => a + toInt64(b), 0n),
      )) as never,
    'any',
  ),
  add1: fn(['any'], ((v: Value) => BigInt.asIntN(64, toInt64(v) + 1n)) as never),
  sub: fn(['any', 'any'], ((a: Value, b: Value) => BigInt.asIntN(64, toInt64(a) - toInt64(b))) as never),
  mul: fn(
    ['any'],
    ((a: Value, ...xs: Value[]) =>
      BigInt.asIntN(
        64,
        xs.reduce((acc: bigint, b) => acc * toInt64(b), toInt64(a)),
      )) as never,
    'any',
  ),
  div: fn(['any', 'any'], ((a: Value, b: Value) => {
    const d = toInt64(b);
    if (d === 0n) throw new FuncError('runtime error: integer divide by zero');
    return toInt64(a) / d;
  }) as never),
  mod: fn(['any', 'any'], ((a: Value, b: Value) => {
    const d = toInt64(b);
    if (d === 0n) throw new FuncError('runtime error: integer divide by zero');
    return toInt64(a) % d;
  }) as never),
  max: fn(
    ['any'],
    ((a: Value, ...xs: Value[]) => xs.reduce((m: bigint, b) => (toInt64(b) > m ? toInt64(b) : m), toInt64(a))) as never,
    'any',
  ),
  min: fn(
    ['any'],
    ((a: Value, ...xs: Value[]) => xs.reduce((m: bigint, b) => (toInt64(b) < m ? toInt64(b) : m), toInt64(a))) as never,
    'any',
  ),
  addf: fn([], ((...xs: Value[]) => xs.reduce((a: number, b) => a + toFloat64(b), 0)) as never, 'any'),
  subf: fn(['any'], ((a: Value, ...xs: Value[]) => xs.reduce((m: number, b) => m - toFloat64(b), toFloat64(a))) as never, 'any'),
  mulf: fn(['any'], ((a: Value, ...xs: Value[]) => xs.reduce((m: number, b) => m * toFloat64(b), toFloat64(a))) as never, 'any'),
  divf: fn(['any'], ((a: Value, ...xs: Value[]) => xs.reduce((m: number, b) => m / toFloat64(b), toFloat64(a))) as never, 'any'),
  floor: fn(['any'], ((a: Value) => Math.floor(toFloat64(a))) as never),
  ceil: fn(['any'], ((a: Value) => Math.ceil(toFloat64(a))) as never),
  until: fn(['int'], ((n: GoInt) => {
    const c = Number(n.value);
    checkCount(c, 'until');
    const out: GoInt[] = [];
    for (let i = 0; i < c; i++) out.push(goInt(i));
    return typedSlice(out, 'int');
  }) as never),
  untilStep: fn(['int', 'int', 'int'], ((start: GoInt, stop: GoInt, step: GoInt) => {
    const out: GoInt[] = [];
    const s = Number(step.value);
    if (s === 0) return typedSlice(out, 'int');
    checkCount(Math.abs((Number(stop.value) - Number(start.value)) / s), 'untilStep');
    for (let i = Number(start.value); s > 0 ? i < Number(stop.value) : i > Number(stop.value); i += s) out.push(goInt(i));
    return typedSlice(out, 'int');
  }) as never),
  // lists
  list: fn([], ((...xs: Value[]) => xs) as never, 'any'),
  append: fn(['any', 'any'], ((l: Value, v: Value) => [...asList(l, 'push'), v]) as never),
  push: fn(['any', 'any'], ((l: Value, v: Value) => [...asList(l, 'push'), v]) as never),
  prepend: fn(['any', 'any'], ((l: Value, v: Value) => [v, ...asList(l, 'prepend')]) as never),
  concat: fn([], ((...ls: Value[]) => ls.flatMap((l) => asList(l, 'concat'))) as never, 'any'),
  first: fn(['any'], ((l: Value) => {
    const a = asList(l, 'find first');
    return a.length === 0 ? null : a[0];
  }) as never),
  last: fn(['any'], ((l: Value) => {
    const a = asList(l, 'find last');
    return a.length === 0 ? null : a[a.length - 1];
  }) as never),
  rest: fn(['any'], ((l: Value) => {
    const a = asList(l, 'find rest');
    return a.length === 0 ? null : a.slice(1);
  }) as never),
  initial: fn(['any'], ((l: Value) => {
    const a = asList(l, 'find initial');
    return a.length === 0 ? null : a.slice(0, -1);
  }) as never),
  reverse: fn(['any'], ((l: Value) => [...asList(l, 'find reverse')].reverse()) as never),
  uniq: fn(['any'], ((l: Value) => {
    const out: unknown[] = [];
    for (const x of asList(l, 'find uniq')) if (!out.some((y) => deepEqual(x, y))) out.push(x);
    return out;
  }) as never),
  compact: fn(['any'], ((l: Value) => asList(l, 'compact').filter((x) => !empty(x))) as never),
  without: fn(
    ['any'],
    ((l: Value, ...xs: Value[]) => asList(l, 'find without').filter((x) => !xs.some((y) => deepEqual(x, y)))) as never,
    'any',
  ),
  has: fn(['any', 'any'], ((needle: Value, hay: Value) =>
    hay === null ? false : asList(hay, 'find has').some((x) => deepEqual(x, needle))) as never),
  slice: fn(['any'], ((l: Value, ...idx: Value[]) => sliceOf(l, idx)) as never, 'any'),
  // dicts
  dict: fn(
    [],
    ((...xs: Value[]) => {
      const d: Record<string, unknown> = {};
      for (let i = 0; i < xs.length; i += 2) d[strval(xs[i])] = i + 1 < xs.length ? xs[i + 1] : '';
      return d;
    }) as never,
    'any',
  ),
  get: fn(['map', 'string'], ((d: Record<string, unknown> | null, k: string) => (d !== null && Object.hasOwn(d, k) ? d[k] : '')) as never),
  set: fn(['map', 'string', 'any'], ((d: Record<string, unknown>, k: string, v: Value) => {
    d[k] = v;
    return d;
  }) as never),
  unset: fn(['map', 'string'], ((d: Record<string, unknown>, k: string) => {
    delete d[k];
    return d;
  }) as never),
  hasKey: fn(['map', 'string'], ((d: Record<string, unknown> | null, k: string) => d !== null && Object.hasOwn(d, k)) as never),
  keys: fn(
    [],
    ((...ds: Record<string, unknown>[]) => typedSlice(ds.flatMap((d) => Object.keys(d ?? {})).sort(), 'string')) as never,
    'map',
  ),
  values: fn(['map'], ((d: Record<string, unknown>) =>
    Object.keys(d ?? {})
      .sort()
      .map((k) => d[k])) as never),
  pick: fn(
    ['map'],
    ((d: Record<string, unknown>, ...ks: string[]) =>
      Object.fromEntries(ks.filter((k) => Object.hasOwn(d, k)).map((k) => [k, d[k]]))) as never,
    'string',
  ),
  omit: fn(
    ['map'],
    ((d: Record<string, unknown>, ...ks: string[]) => Object.fromEntries(Object.entries(d).filter(([k]) => !ks.includes(k)))) as never,
    'string',
  ),
  pluck: fn(
    ['string'],
    ((k: string, ...ds: Record<string, unknown>[]) => ds.filter((d) => d !== null && Object.hasOwn(d, k)).map((d) => d[k])) as never,
    'map',
  ),
  merge: fn(
    ['map'],
    ((dst: Record<string, unknown>, ...srcs: Record<string, unknown>[]) => {
      for (const s of srcs) if (s !== null) mergoMerge(dst, s, false);
      return dst;
    }) as never,
    'map',
  ),
  mergeOverwrite: fn(
    ['map'],
    ((dst: Record<string, unknown>, ...srcs: Record<string, unknown>[]) => {
      for (const s of srcs) if (s !== null) mergoMerge(dst, s, true);
      return dst;
    }) as never,
    'map',
  ),
  dig: fn(
    [],
    ((...ps: Value[]) => {
      if (ps.length < 3) throw new FuncError('dig needs at least three arguments');
      const dict = ps[ps.length - 1];
      if (!isGoMap(dict))
        throw new FuncError(`interface conversion: interface {} is ${goTypeName(dict) ?? 'nil'}, not map[string]interface {}`);
      const ks = ps.slice(0, -2).map((k) => {
        if (typeof k !== 'string') throw new FuncError(`interface conversion: interface {} is ${goTypeName(k) ?? 'nil'}, not string`);
        return k;
      });
      return digFromDict(dict, ps[ps.length - 2], ks);
    }) as never,
    'any',
  ),
  // random and ids
  randAlphaNum: fn(['int'], ((n: GoInt) => randString(n, ALPHA + NUM)) as never),
  randAlpha: fn(['int'], ((n: GoInt) => randString(n, ALPHA)) as never),
  randNumeric: fn(['int'], ((n: GoInt) => randString(n, NUM)) as never),
  randAscii: fn(['int'], ((n: GoInt) =>
    randString(n, Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join(''))) as never),
  uuidv4: fn([], (() => randomUUID()) as never),
};

/** Functions whose result changes between calls (a template using them is not memoised). */
export const NONDETERMINISTIC = new Set([
  'randAlphaNum',
  'randAlpha',
  'randNumeric',
  'randAscii',
  'uuidv4',
  'randomChoice',
  'now',
  'randInt',
]);

function escapeClass(s: string): string {
  return s.replace(/[\\\]^-]/g, '\\$&');
}
