/**
 * Field paths as crossplane-runtime's pkg/fieldpath reads and writes them: `a.b[0]`,
 * `a[b.c]`, `a['b.c']` and `a["b/c"]` (quotes trimmed), `[*]` wildcards; reads that report
 * NotFound the way P&T relies on; writes that create intermediate objects and arrays, grow arrays
 * padding with null and refuse indexes above 1024; and the mergo-based merge policies.
 */

import { GoError, goWrap, isNotFound } from '../errors.ts';
import { GoInt } from '../gofmt/values.ts';

export type Segment = { type: 'field'; field: string } | { type: 'index'; index: number };
export type JsonMap = Record<string, unknown>;

export const MAX_FIELD_PATH_INDEX = 1024;
const WILDCARD = '*';

function field(s: string): Segment {
  return { type: 'field', field: trimQuotes(s) };
}

function trimQuotes(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s[a] === "'" || s[a] === '"')) a++;
  while (b > a && (s[b - 1] === "'" || s[b - 1] === '"')) b--;
  return s.slice(a, b);
}

function fieldOrIndex(s: string): Segment {
  if (/^\+?[0-9]+$/.test(s)) {
    const n = Number(s.replace(/^\+/, ''));
    if (n <= 0xffffffff) return { type: 'index', index: n };
  }
  return field(s);
}

/** SegmentsString renders segments the way Go's Segments.String does (used in error messages). */
export function segmentsString(sg: readonly Segment[]): string {
  let b = '';
  for (const s of sg) {
    if (s.type === 'field') {
      b += s.field === WILDCARD || s.field.includes('.') ? `[${s.field}]` : `.${s.field}`;
    } else {
      b += `[${s.index}]`;
    }
  }
  return b.startsWith('.') ? b.slice(1) : b;
}

/** Parse splits a field path into segments, with Go's error messages and byte positions. */
export function parse(path: string): Segment[] {
  const segs: Segment[] = [];
  const err = (msg: string, pos: number): GoError => new GoError(`${msg} at position ${byteOffset(path, pos)}`);
  let pos = 0;
  let start = 0;
  const emitField = (): void => {
    if (pos > start) segs.push(field(path.slice(start, pos)));
    start = pos;
  };
  // lexField
  for (;;) {
    let i = pos;
    let next: 'period' | 'bracket' | 'eol' = 'eol';
    for (; i < path.length; i++) {
      const c = path[i];
      if (c === ']') throw err("unexpected ']'", i);
      if (c === '[') {
        next = 'bracket';
        break;
      }
      if (c === '.') {
        next = 'period';
        break;
      }
    }
    pos = i;
    emitField();
    if (next === 'eol') return segs;
    if (next === 'period') {
      if (pos === 0 || pos === path.length - 1) throw err("unexpected '.'", pos);
      pos += 1;
      start = pos;
      const r = path[pos];
      if (r === '.') throw err("unexpected '.'", pos);
      if (r === '[') throw err("unexpected '['", pos);
      continue;
    }
    // lexLeftBracket
    if (!path.slice(pos).includes(']')) throw err("unterminated '['", pos);
    pos += 1;
    start = pos;
    // lexFieldOrIndex
    const rbi = path.indexOf(']', pos) - pos;
    if (rbi === 0) throw err("unexpected ']'", pos);
    const lbi = path.slice(pos, pos + rbi).indexOf('[');
    if (lbi > -1) throw err("unexpected '['", pos + lbi);
    pos += rbi;
    if (pos > start) segs.push(fieldOrIndex(path.slice(start, pos)));
    // lexRightBracket
    pos += 1;
    start = pos;
  }
}

function byteOffset(s: string, i: number): number {
  return Buffer.byteLength(s.slice(0, i), 'utf8');
}

/**
 * Parsed caches the segments of paths that parsed, by path: a Composition names the same few
 * paths in every render. Segments are never mutated once parsed. Bounded: paths up to 256
 * characters, cleared when 4096 are held.
 */
const parsed = new Map<string, readonly Segment[]>();
const PARSED_MAX = 4096;
const PARSED_MAX_LENGTH = 256;

function parseOrWrap(path: string): readonly Segment[] {
  const hit = parsed.get(path);
  if (hit !== undefined) return hit;
  let segs: Segment[];
  try {
    segs = parse(path);
  } catch (e) {
    throw goWrap(e, `cannot parse path "${path}"`);
  }
  if (path.length > PARSED_MAX_LENGTH) return segs;
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(path, segs);
  return segs;
}

function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function getFromSegments(it0: unknown, s: readonly Segment[]): unknown {
  let it = it0;
  for (let i = 0; i < s.length; i++) {
    const cur = s[i] as Segment;
    const final = i === s.length - 1;
    if (cur.type === 'index') {
      if (!Array.isArray(it)) throw new GoError(`${segmentsString(s.slice(0, i))}: not an array`);
      if (cur.index >= it.length) throw new GoError(`${segmentsString(s.slice(0, i + 1))}: no such element`, { notFound: true });
      if (final) return it[cur.index];
      it = it[cur.index];
    } else {
      if (isMap(it)) {
        if (!Object.hasOwn(it, cur.field)) throw new GoError(`${segmentsString(s.slice(0, i + 1))}: no such field`, { notFound: true });
        if (final) return it[cur.field];
        it = it[cur.field];
      } else if (it === null || it === undefined) {
        throw new GoError(`${segmentsString(s.slice(0, i))}: expected map, got nil`, { notFound: true });
      } else {
        throw new GoError(`${segmentsString(s.slice(0, i))}: not an object`);
      }
    }
  }
  return null;
}

/** GetValue reads a field path; throws GoError (notFound for missing paths). */
export function getValue(obj: unknown, path: string): unknown {
  return getFromSegments(obj, parseOrWrap(path));
}

/** GetString reads a string, or throws `<path>: not a string`. */
export function getString(obj: unknown, path: string): string {
  const v = getValue(obj, path);
  if (typeof v !== 'string') throw new GoError(`${path}: not a string`);
  return v;
}

/** GetBool reads a bool, or throws `<path>: not a bool`. */
export function getBool(obj: unknown, path: string): boolean {
  const v = getValue(obj, path);
  if (typeof v !== 'boolean') throw new GoError(`${path}: not a bool`);
  return v;
}

/**
 * GetInteger reads an int64. Values decoded from protobuf Structs are float64 in Go, which this
 * rejects as upstream does (`<path>: not a (int64) number`), unless `acceptIntegralFloats`.
 */
export function getInteger(obj: unknown, path: string, acceptIntegralFloats = false): bigint {
  const v = getValue(obj, path);
  if (typeof v === 'bigint') return v;
  if (acceptIntegralFloats && typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw new GoError(`${path}: not a (int64) number`);
}

/**
 * ToValidJson is the JSON round trip upstream applies to every written value (a deep copy): the
 * result equals `JSON.parse(JSON.stringify(toPlainJson(v)) ?? 'null')`, computed in one walk
 * without a string in between. Go integers (bigint, GoInt) become numbers, []byte becomes
 * base64, non-finite numbers become null and -0 becomes 0; in objects, function and symbol
 * values and `__proto__` keys are dropped (undefined becomes null); in arrays, anything that has
 * no JSON form becomes null.
 */
export function toValidJson(v: unknown): unknown {
  const out = validJson(v);
  return out === NO_JSON ? null : out;
}

/** NO_JSON marks a value JSON.stringify leaves out (functions, symbols). */
const NO_JSON: unique symbol = Symbol('no-json');

function jsonNumber(n: number): number | null {
  if (!Number.isFinite(n)) return null;
  return n === 0 ? 0 : n;
}

function validJson(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return jsonNumber(v);
    case 'bigint':
      return jsonNumber(Number(v));
    case 'undefined':
      return null;
    case 'function':
    case 'symbol':
      return NO_JSON;
    default:
      break;
  }
  if (v === null) return null;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = validJson(v[i]);
      out[i] = x === NO_JSON ? null : x;
    }
    return out;
  }
  if (v instanceof GoInt) return jsonNumber(Number(v.value));
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  const src = v as JsonMap;
  const out: JsonMap = {};
  for (const k of Object.keys(src)) {
    if (k === '__proto__') continue;
    const x = validJson(src[k]);
    if (x !== NO_JSON) out[k] = x;
  }
  return out;
}

function validate(s: readonly Segment[]): void {
  for (const seg of s) {
    if (seg.type === 'index' && seg.index > MAX_FIELD_PATH_INDEX) {
      throw new GoError(`index ${seg.index} is greater than max allowed index ${MAX_FIELD_PATH_INDEX}`);
    }
  }
}

function prepare(container: unknown[] | JsonMap, key: number | string, next: Segment): void {
  const cur = (container as Record<string | number, unknown>)[key];
  const missing = Array.isArray(container) ? cur === null || cur === undefined : !Object.hasOwn(container, key as string);
  if (missing) {
    (container as Record<string | number, unknown>)[key] = next.type === 'index' ? new Array(next.index + 1).fill(null) : {};
    return;
  }
  if (next.type !== 'index') return;
  if (!Array.isArray(cur)) return;
  while (cur.length <= next.index) cur.push(null);
}

function setSegments(root: JsonMap, s: readonly Segment[], value: unknown): void {
  const v = toValidJson(value);
  validate(s);
  let it: unknown = root;
  for (let i = 0; i < s.length; i++) {
    const cur = s[i] as Segment;
    const final = i === s.length - 1;
    if (cur.type === 'index') {
      if (!Array.isArray(it)) throw new GoError(`${segmentsString(s.slice(0, i))} is not an array`);
      if (final) {
        if (cur.index >= it.length) throw new GoError(`runtime error: index out of range [${cur.index}] with length ${it.length}`);
        it[cur.index] = v;
        return;
      }
      prepare(it, cur.index, s[i + 1] as Segment);
      it = it[cur.index];
    } else {
      if (!isMap(it)) throw new GoError(`${segmentsString(s.slice(0, i))} is not an object`);
      if (final) {
        it[cur.field] = v;
        return;
      }
      prepare(it, cur.field, s[i + 1] as Segment);
      it = it[cur.field];
    }
  }
}

/** SetValue writes a field path, creating what is missing (crossplane-runtime Paved.SetValue). */
export function setValue(obj: JsonMap, path: string, value: unknown): void {
  setSegments(obj, parseOrWrap(path), value);
}

/** ExpandWildcards expands `[*]` segments over what exists (Paved.ExpandWildcards). */
export function expandWildcards(obj: unknown, path: string): string[] {
  const segs = parseOrWrap(path);
  let res: (readonly Segment[])[];
  try {
    res = expand(obj, segs);
  } catch (e) {
    throw goWrap(e, `cannot expand wildcards for segments: ${JSON.stringify(segmentsString(segs))}`);
  }
  return res.map(segmentsString);
}

function expand(data: unknown, segments: readonly Segment[]): (readonly Segment[])[] {
  const res: (readonly Segment[])[] = [];
  let it: unknown = data;
  for (let i = 0; i < segments.length; i++) {
    const cur = segments[i] as Segment;
    if (cur.type === 'field' && cur.field === WILDCARD) {
      const prefix = segmentsString(segments.slice(0, i));
      if (Array.isArray(it)) {
        for (let ix = 0; ix < it.length; ix++) {
          const expanded = [...segments.slice(0, i), fieldOrIndex(String(ix)), ...segments.slice(i + 1)];
          res.push(...expandWrapped(data, expanded));
        }
      } else if (isMap(it)) {
        for (const k of Object.keys(it)) {
          const expanded = [...segments.slice(0, i), field(k), ...segments.slice(i + 1)];
          res.push(...expandWrapped(data, expanded));
        }
      } else if (it === null || it === undefined) {
        throw new GoError(`wildcard field ${JSON.stringify(prefix)} is not found in the path`, { notFound: true });
      } else {
        throw new GoError(`${JSON.stringify(prefix)}: unexpected wildcard usage`);
      }
      return res;
    }
    try {
      it = getFromSegments(data, segments.slice(0, i + 1));
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  }
  res.push(segments);
  return res;
}

function expandWrapped(data: unknown, expanded: Segment[]): (readonly Segment[])[] {
  try {
    return expand(data, expanded);
  } catch (e) {
    throw goWrap(e, `${JSON.stringify(segmentsString(expanded))}: cannot expand wildcards`);
  }
}

/** MergeOptions are crossplane-runtime's xpv1.MergeOptions. */
export interface MergeOptions {
  keepMapValues?: boolean;
  appendSlice?: boolean;
  /** Replace arrays even when keeping map values (P&T's documented MergeObjects behaviour). */
  overwriteArrays?: boolean;
}

/** MergeValue is Paved.MergeValue: merge `value` into what is at `path` (replace when mo is undefined). */
export function mergeValue(obj: JsonMap, path: string, value: unknown, mo: MergeOptions | undefined): void {
  let dst: unknown = null;
  if (mo !== undefined) {
    try {
      dst = getValue(obj, path);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      dst = null;
    }
  }
  setValue(obj, path, merge(dst, value, mo));
}

function merge(dst: unknown, src: unknown, mo: MergeOptions | undefined): unknown {
  if (dst === null || dst === undefined || src === null || src === undefined) return src;
  const append = mo?.appendSlice === true;
  const overwrite = !(mo?.keepMapValues === true);
  let s = toValidJson(src);
  const d = toValidJson(dst);
  if (append) s = removeSourceDuplicates(d, s);
  const wrapDst: JsonMap = { arg: d };
  mergoMap(wrapDst, { arg: s }, { overwrite, append, overwriteArrays: mo?.overwriteArrays === true });
  return wrapDst.arg;
}

function removeSourceDuplicates(dst: unknown, src: unknown): unknown {
  if (!Array.isArray(dst) || !Array.isArray(src)) return src;
  return src.filter((x) => !dst.some((y) => deepEqual(x, y)));
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isMap(a)) {
    if (!isMap(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** IsEmpty is mergo's isEmptyValue (dereferencing interfaces). */
function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string') return v.length === 0;
  if (typeof v === 'number') return v === 0;
  if (typeof v === 'boolean') return !v;
  if (Array.isArray(v)) return v.length === 0;
  if (isMap(v)) return Object.keys(v).length === 0;
  return false;
}

interface MergoConfig {
  overwrite: boolean;
  append: boolean;
  overwriteArrays: boolean;
}

/**
 * MergoMap is the map branch of dario.cat/mergo's deepMerge for map[string]any, including its
 * quirk that the slice rule looks at the emptiness of the *containing* maps.
 */
function mergoMap(dst: JsonMap, src: JsonMap, cfg: MergoConfig): void {
  const srcEmpty = Object.keys(src).length === 0;
  const dstEmptyAtStart = Object.keys(dst).length === 0;
  for (const key of Object.keys(src)) {
    const srcEl = src[key];
    const dstValid = Object.hasOwn(dst, key);
    const dstEl = dst[key];
    if (srcEl === null || srcEl === undefined) {
      if (cfg.overwrite) dst[key] = null;
      continue;
    }
    if (isMap(srcEl)) {
      if (isMap(dstEl)) mergoMap(dstEl, srcEl, cfg);
    } else if (Array.isArray(srcEl)) {
      let dstSlice: unknown = !dstValid || dstEl === null || dstEl === undefined ? [] : dstEl;
      if (!srcEmpty && (cfg.overwrite || cfg.overwriteArrays || dstEmptyAtStart) && !cfg.append) {
        dstSlice = srcEl;
      } else if (cfg.append) {
        if (!Array.isArray(dstSlice)) {
          throw new GoError(`failed to merge values: cannot append two slices with different type (${goKind(dstSlice)}, []interface {})`);
        }
        dstSlice = [...dstSlice, ...srcEl];
      }
      dst[key] = dstSlice;
    }
    if (dstValid && !isEmpty(dstEl)) {
      if (Array.isArray(srcEl)) continue;
      if (isMap(srcEl) && isMap(dstEl)) continue;
    }
    if (cfg.overwrite || !dstValid || isEmpty(dstEl)) dst[key] = srcEl;
  }
}

function goKind(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (isMap(v)) return 'map[string]interface {}';
  return 'interface {}';
}
