/**
 * Transforms, a port of function-patch-and-transform's transforms.go. Values follow the Go model
 * of gofmt/values.ts: a JSON number read from observed state is a float64 (`number`); a convert
 * to int/int64 makes an int64 (`bigint`), so `%d` and `%s` render exactly as upstream.
 */
import { createHash } from 'node:crypto';
import { GoError, goWrap } from '../errors.ts';
import { goJsonMarshal } from '../gofmt/json.ts';
import { sprintf } from '../gofmt/sprintf.ts';
import { formatFloatF } from '../gofmt/strconv.ts';
import { goTypeName } from '../gofmt/values.ts';
import { compileGoRegexp, findStringSubmatch, matchString } from '../goregexp.ts';
import type { Transform } from './input.ts';
import { parseGoBool, parseGoFloat, parseGoInt } from './parse.ts';
import { parseQuantity } from './quantity.ts';
import { upstreamBugs } from './semantics.ts';
import { fieldErrorString, validateConvert, validateMath } from './validate.ts';

/** GoType is Go's `%T` of a value (`<nil>` for nil). */
export function goType(v: unknown): string {
  return goTypeName(v) ?? '<nil>';
}

/** ResolveTransforms applies transforms in order (`transform at index i returned error: ...`). */
export function resolveTransforms(ts: readonly Transform[], input: unknown): unknown {
  let v = input;
  ts.forEach((t, i) => {
    try {
      v = resolve(t, v);
    } catch (e) {
      throw goWrap(e, `transform at index ${i} returned error`);
    }
  });
  return v;
}

export function resolve(t: Transform, input: unknown): unknown {
  const type = t.type ?? '';
  const config = { math: t.math, map: t.map, match: t.match, string: t.string, convert: t.convert }[type];
  if (!['math', 'map', 'match', 'string', 'convert'].includes(type)) throw new GoError(`transform type ${type} is not supported`);
  if (config === undefined) throw new GoError(`given transform type ${type} requires configuration`);
  try {
    switch (type) {
      case 'math':
        return resolveMath(t.math ?? {}, input);
      case 'map':
        return resolveMap(t.map ?? {}, input);
      case 'match':
        return resolveMatch(t.match ?? {}, input);
      case 'string':
        return resolveString(t.string ?? {}, input);
      default:
        return resolveConvert(t.convert ?? {}, input);
    }
  } catch (e) {
    throw goWrap(e, `${type} transform could not resolve`);
  }
}

function resolveMath(m: NonNullable<Transform['math']>, input: unknown): unknown {
  const fe = validateMath(m);
  if (fe) throw new GoError(fieldErrorString(fe));
  if (typeof input !== 'number' && typeof input !== 'bigint') {
    throw new GoError(`input is required to be a number for math transformer, got ${goType(input)}`);
  }
  switch (m.type) {
    case 'Multiply': {
      const k = BigInt(m.multiply ?? 0);
      return typeof input === 'bigint' ? BigInt.asIntN(64, input * k) : input * Number(k);
    }
    case 'ClampMin':
    case 'ClampMax': {
      if (!upstreamBugs() && typeof input === 'number') {
        // Documented intent: clamp the value itself (upstream compares int64(input), so
        // ClampMax 2 lets 2.9 through).
        if (m.type === 'ClampMin' && input < (m.clampMin ?? 0)) return BigInt(m.clampMin ?? 0);
        if (m.type === 'ClampMax' && input > (m.clampMax ?? 0)) return BigInt(m.clampMax ?? 0);
        return input;
      }
      const inInt = typeof input === 'bigint' ? input : truncToInt64(input);
      if (m.type === 'ClampMin') {
        const b = BigInt(m.clampMin ?? 0);
        if (inInt < b) return b;
      } else {
        const b = BigInt(m.clampMax ?? 0);
        if (inInt > b) return b;
      }
      return input;
    }
    default:
      throw new GoError(`type ${m.type} is not supported for math transform type`);
  }
}

/** TruncToInt64 is Go's int64(f) conversion (out-of-range values saturate as on amd64: min int64). */
export function truncToInt64(f: number): bigint {
  if (!Number.isFinite(f) || f >= 2 ** 63 || f < -(2 ** 63)) return -(2n ** 63n);
  return BigInt(Math.trunc(f));
}

function resolveMap(pairs: Record<string, unknown>, input: unknown): unknown {
  if (typeof input !== 'string') throw new GoError(`type ${goType(input)} is not supported for map transform`);
  if (!Object.hasOwn(pairs, input)) throw new GoError(`key ${input} is not found in map`);
  const v = pairs[input];
  if (v === null || v === undefined) throw new GoError(`value for key ${input} is not valid JSON: unexpected end of JSON input`);
  return jsonRoundTrip(v);
}

/** JsonRoundTrip is what json.Unmarshal into `any` gives: numbers become float64. */
function jsonRoundTrip(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

function resolveMatch(m: NonNullable<Transform['match']>, input: unknown): unknown {
  for (const [i, p] of (m.patterns ?? []).entries()) {
    let matches: boolean;
    try {
      matches = patternMatches(p, input);
    } catch (e) {
      throw goWrap(e, `cannot match pattern at index ${i}`);
    }
    if (matches) return p.result === undefined ? null : jsonRoundTrip(p.result);
  }
  if (m.fallbackTo === 'Input') {
    if (m.fallbackValue !== undefined) throw new GoError('cannot set both a fallback value and the fallback to input flag');
    return input;
  }
  return m.fallbackValue === undefined ? null : jsonRoundTrip(m.fallbackValue);
}

function patternMatches(p: NonNullable<NonNullable<Transform['match']>['patterns']>[number], input: unknown): boolean {
  // Upstream validation treats an omitted pattern type as literal, then fails at run time.
  const type = p.type === undefined && !upstreamBugs() ? 'literal' : p.type;
  switch (type) {
    case 'literal':
      if (p.literal === undefined) throw new GoError('literal is required by type literal');
      if (typeof input !== 'string') throw new GoError(`unsupported input type '${goType(input)}'`);
      return input === p.literal;
    case 'regexp': {
      if (p.regexp === undefined) throw new GoError('regexp is required by type regexp');
      const c = compileGoRegexp(p.regexp);
      if (c.re === undefined) throw new GoError(`cannot compile regexp: ${c.error}`);
      if (input === null || input === undefined) throw new GoError("unsupported input type 'null'");
      if (typeof input !== 'string') throw new GoError(`unsupported input type '${goType(input)}'`);
      return matchString(c.re, input);
    }
    default:
      throw new GoError(`unsupported pattern type '${p.type ?? ''}'`);
  }
}

function resolveString(s: NonNullable<Transform['string']>, input: unknown): string {
  const type = s.type ?? '';
  switch (type) {
    case 'Format':
      if (s.fmt === undefined) throw new GoError(`string transform of type ${type} fmt is not set`);
      return sprintf(s.fmt, input);
    case 'Convert':
      if (s.convert === undefined) throw new GoError(`string transform of type ${type} convert is not set`);
      return stringConvert(s.convert, input);
    case 'TrimPrefix':
    case 'TrimSuffix': {
      if (s.trim === undefined) throw new GoError(`string transform of type ${type} trim is not set`);
      const str = sprintf('%v', input);
      if (type === 'TrimPrefix') return s.trim !== '' && str.startsWith(s.trim) ? str.slice(s.trim.length) : str;
      return s.trim !== '' && str.endsWith(s.trim) ? str.slice(0, str.length - s.trim.length) : str;
    }
    case 'Regexp': {
      if (s.regexp === undefined) throw new GoError(`string transform of type ${type} regexp is not set`);
      const match = s.regexp.match ?? '';
      const c = compileGoRegexp(match);
      if (c.re === undefined) throw new GoError(`could not compile regexp: ${c.error}`);
      const groups = findStringSubmatch(c.re, sprintf('%v', input));
      const g = s.regexp.group ?? 0;
      if (groups === undefined || groups.length === 0 || g >= groups.length) {
        throw new GoError(`regexp ${JSON.stringify(match)} had no matches for group ${g}`);
      }
      return groups[g] ?? '';
    }
    case 'Join': {
      if (s.join === undefined) throw new GoError(`string transform of type ${type} join is not set`);
      if (!Array.isArray(input)) throw new GoError('could not parse input array');
      if (input.length === 0) return '';
      const sep = s.join.separator ?? '';
      const result = input.map((v) => sprintf('%v%s', v, sep)).join('');
      // Upstream trims one byte, not the separator: a multi-byte separator leaves a remainder.
      if (!upstreamBugs()) return input.map((v) => sprintf('%v', v)).join(sep);
      return sep.length > 0 ? trimLastByte(result) : result;
    }
    case 'Replace': {
      if (s.replace === undefined) throw new GoError(`string transform of type ${type} replace is not set`);
      const str = sprintf('%v', input);
      return goReplaceAll(str, s.replace.search ?? '', s.replace.replace ?? '');
    }
    default:
      throw new GoError(`type ${type} is not supported for string transform type`);
  }
}

function trimLastByte(s: string): string {
  const b = Buffer.from(s, 'utf8');
  return b.subarray(0, b.length - 1).toString('utf8');
}

/** GoReplaceAll is strings.ReplaceAll (an empty search inserts between every rune). */
export function goReplaceAll(s: string, old: string, repl: string): string {
  if (old === '') {
    const runes = [...s];
    return repl + runes.map((r) => r + repl).join('');
  }
  return s.split(old).join(repl);
}

function stringConvert(conv: string, input: unknown): string {
  const str = sprintf('%v', input);
  switch (conv) {
    case 'ToUpper':
      return str.toUpperCase();
    case 'ToLower':
      return str.toLowerCase();
    case 'ToJson':
      try {
        return goJsonMarshal(input);
      } catch (e) {
        throw goWrap(e, 'cannot marshal to JSON');
      }
    case 'ToBase64':
      return Buffer.from(str, 'utf8').toString('base64');
    case 'FromBase64':
      return decodeBase64Std(str);
    case 'ToSha1':
      return createHash('sha1').update(hashInput(input)).digest('hex');
    case 'ToSha256':
      return createHash('sha256').update(hashInput(input)).digest('hex');
    case 'ToSha512':
      return createHash('sha512').update(hashInput(input)).digest('hex');
    case 'ToAdler32':
      return String(adler32(hashInput(input)));
    default:
      throw new GoError(`type ${conv} is not supported for string convert`);
  }
}

function hashInput(input: unknown): Buffer {
  return typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(goJsonMarshal(input), 'utf8');
}

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** DecodeBase64Std is base64.StdEncoding.DecodeString, with Go's error for bad input. */
export function decodeBase64Std(s: string): string {
  const alphabet = /^[A-Za-z0-9+/]$/;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\r' || c === '\n') continue;
    if (c === '=') break;
    if (!alphabet.test(c))
      throw new GoError(`string is not valid base64: illegal base64 data at input byte ${Buffer.byteLength(s.slice(0, i))}`);
  }
  const clean = s.replace(/[\r\n]/g, '');
  if (clean.length % 4 !== 0) {
    const pos = clean.indexOf('=') >= 0 ? clean.indexOf('=') : clean.length - (clean.length % 4);
    throw new GoError(`string is not valid base64: illegal base64 data at input byte ${Math.min(pos, clean.length)}`);
  }
  const pad = clean.indexOf('=');
  if (pad >= 0 && !/^=+$/.test(clean.slice(pad))) throw new GoError(`string is not valid base64: illegal base64 data at input byte ${pad}`);
  return Buffer.from(clean, 'base64').toString('utf8');
}

type IoType = 'string' | 'bool' | 'int64' | 'float64' | 'object' | 'array';

function ioType(v: unknown): IoType | undefined {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int64';
    case 'number':
      return 'float64';
    default:
      return undefined;
  }
}

function resolveConvert(c: NonNullable<Transform['convert']>, input: unknown): unknown {
  const fe = validateConvert(c);
  if (fe) throw new GoError(fieldErrorString(fe));
  const from = ioType(input);
  if (from === undefined) throw new GoError(`invalid input type ${goType(input)}`);
  const to = c.toType === 'int' ? 'int64' : (c.toType as IoType);
  if (to === from) return input;
  const format = c.format ?? 'none';
  const key = `${from}>${to}>${format}`;
  const unsupported = (): never => {
    throw new GoError(`conversion from ${from} to ${to} is not supported with format ${format}`);
  };
  switch (key) {
    case 'string>int64>none':
      return parseGoInt(input as string);
    case 'string>bool>none':
      return parseGoBool(input as string);
    case 'string>float64>none':
      return parseGoFloat(input as string);
    case 'string>float64>quantity':
      return parseQuantity(input as string);
    case 'int64>string>none':
      return (input as bigint).toString();
    case 'int64>bool>none':
      return input === 1n;
    case 'int64>float64>none':
      return Number(input as bigint);
    case 'bool>string>none':
      return input ? 'true' : 'false';
    case 'bool>int64>none':
      return input ? 1n : 0n;
    case 'bool>float64>none':
      return input ? 1 : 0;
    case 'float64>string>none':
      return formatFloatF(input as number);
    case 'float64>int64>none':
      return truncToInt64(input as number);
    case 'float64>bool>none':
      return input === 1;
    case 'string>object>json': {
      const v = parseJson(input as string);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        if (v === null) return {};
        throw new GoError(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type map[string]interface {}`);
      }
      return v;
    }
    case 'string>array>json': {
      const v = parseJson(input as string);
      if (v === null) return null;
      if (!Array.isArray(v))
        throw new GoError(`json: cannot unmarshal ${typeof v === 'object' ? 'object' : typeof v} into Go value of type []interface {}`);
      return v;
    }
    default:
      return unsupported();
  }
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch (e) {
    throw new GoError(e instanceof Error ? e.message : String(e));
  }
}
