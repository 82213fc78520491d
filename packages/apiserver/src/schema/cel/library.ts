// The Kubernetes CEL libraries CRD rules use (k8s.io/apiserver/pkg/cel/library: lists, regex,
// urls, quantity, ip/cidr; cel-go ext: strings, sets, lists, encoders) on top of @bufbuild/cel's
// standard library. Opaque Kubernetes types (URL, Quantity, IP, CIDR) are CEL maps tagged with a
// hidden key; the type checker keeps them apart from ordinary maps.
import {
  type CelFunc,
  type CelList,
  type CelMap,
  CelScalar,
  type CelValue,
  celError,
  celFunc,
  celList,
  celMap,
  celMethod,
  isCelList,
  isCelMap,
  isCelUint,
  listType,
  mapType,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { hasControlOrSpace } from '../formats.ts';
import { compileRe2 } from '../regex.ts';
import {
  type Addr,
  addrString,
  is4In6,
  isGlobalUnicast,
  isLinkLocalMulticast,
  isLinkLocalUnicast,
  isLoopback,
  isUnspecified,
  type Prefix,
  parseAddr,
  parsePrefix,
  prefixContains,
  prefixMasked,
  prefixOverlaps,
  prefixString,
} from './netip.ts';

const DYN = CelScalar.DYN;
const INT = CelScalar.INT;
const BOOL = CelScalar.BOOL;
const STRING = CelScalar.STRING;
const DOUBLE = CelScalar.DOUBLE;
const LIST = listType(DYN);

const tagKey = '\u0000kubernetes';

// Native payloads of opaque values, keyed by the CEL map that stands for them.
const payloads = new WeakMap<object, Record<string, unknown>>();

const identityKey = '\u0000identity';

/**
 * Tagged makes an opaque value: a CEL map holding its kind and, when given, an identity string so
 * that CEL equality (map equality) compares the values themselves (`ip("::1") == ip("::1")`).
 */
function tagged(kind: string, fields: Record<string, unknown>, identity?: string): CelMap {
  const entries: [string, CelValue][] = [[tagKey, kind]];
  if (identity !== undefined) entries.push([identityKey, identity]);
  const m = celMap(new Map<string, CelValue>(entries));
  payloads.set(m, fields);
  return m;
}

function tagOf(v: unknown): string | undefined {
  if (!isCelMap(v)) return undefined;
  const t = v.get(tagKey);
  return typeof t === 'string' ? t : undefined;
}

function field<T>(v: unknown, k: string): T {
  return payloads.get(v as object)?.[k] as T;
}

// ---------------------------------------------------------------------------------------------
// Lists (library.Lists, ext.Lists)

function cmp(a: CelValue, b: CelValue): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  throw new Error(`no such overload: comparison of ${typeof a} and ${typeof b}`);
}

function eq(a: CelValue, b: CelValue): boolean {
  if (a === b) return true;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return Number(a) === Number(b);
  if (isCelList(a) && isCelList(b)) {
    if (a.size !== b.size) return false;
    for (let i = 0; i < a.size; i++) if (!eq(a.get(i) as CelValue, b.get(i) as CelValue)) return false;
    return true;
  }
  if (isCelMap(a) && isCelMap(b)) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !eq(v, b.get(k) as CelValue)) return false;
    return true;
  }
  return false;
}

function arr(l: CelList): CelValue[] {
  return [...l];
}

function listFuncs(): CelFunc[] {
  return [
    celMethod('isSorted', LIST, [], BOOL, function () {
      const a = arr(this);
      for (let i = 1; i < a.length; i++) if (cmp(a[i - 1] as CelValue, a[i] as CelValue) > 0) return false;
      return true;
    }),
    celMethod('sum', LIST, [], DYN, function () {
      const a = arr(this);
      if (a.length === 0) return 0n;
      if (a.every((x) => typeof x === 'bigint')) return (a as bigint[]).reduce((s, x) => s + x, 0n);
      return a.reduce<number>((s, x) => s + Number(x), 0);
    }),
    celMethod('min', LIST, [], DYN, function () {
      const a = arr(this);
      if (a.length === 0) throw new Error('min called on empty list');
      return a.reduce((m, x) => (cmp(x, m) < 0 ? x : m));
    }),
    celMethod('max', LIST, [], DYN, function () {
      const a = arr(this);
      if (a.length === 0) throw new Error('max called on empty list');
      return a.reduce((m, x) => (cmp(x, m) > 0 ? x : m));
    }),
    celMethod('indexOf', LIST, [DYN], INT, function (x) {
      const a = arr(this);
      return BigInt(a.findIndex((v) => eq(v, x)));
    }),
    celMethod('lastIndexOf', LIST, [DYN], INT, function (x) {
      const a = arr(this);
      for (let i = a.length - 1; i >= 0; i--) if (eq(a[i] as CelValue, x)) return BigInt(i);
      return -1n;
    }),
    celMethod('slice', LIST, [INT, INT], LIST, function (start, end) {
      const s = Number(start);
      const e = Number(end);
      if (s < 0 || e < s || e > this.size) throw new Error(`cannot slice(${s}, ${e}), list is length ${this.size}`);
      return arr(this).slice(s, e);
    }),
    celMethod('flatten', LIST, [], LIST, function () {
      return arr(this).flatMap((x) => (isCelList(x) ? arr(x) : [x]));
    }),
    celMethod('distinct', LIST, [], LIST, function () {
      const out: CelValue[] = [];
      for (const x of this) if (!out.some((y) => eq(x, y))) out.push(x);
      return out;
    }),
    celMethod('reverse', LIST, [], LIST, function () {
      return arr(this).reverse();
    }),
    celMethod('sort', LIST, [], LIST, function () {
      return arr(this).sort(cmp);
    }),
    celFunc('lists.range', [INT], LIST, (n) => Array.from({ length: Number(n) }, (_, i) => BigInt(i))),
  ];
}

// ---------------------------------------------------------------------------------------------
// Sets (ext.Sets)

function setFuncs(): CelFunc[] {
  return [
    celFunc('sets.contains', [LIST, LIST], BOOL, (a, b) => arr(b).every((x) => arr(a).some((y) => eq(x, y)))),
    celFunc(
      'sets.equivalent',
      [LIST, LIST],
      BOOL,
      (a, b) => arr(b).every((x) => arr(a).some((y) => eq(x, y))) && arr(a).every((x) => arr(b).some((y) => eq(x, y))),
    ),
    celFunc('sets.intersects', [LIST, LIST], BOOL, (a, b) => arr(a).some((x) => arr(b).some((y) => eq(x, y)))),
  ];
}

// ---------------------------------------------------------------------------------------------
// Regex (library.Regex): find and findAll. Patterns must compile as RE2; extraction uses the
// JavaScript engine only for patterns without nested repetition (no catastrophic backtracking).

function nestedRepetition(pattern: string): boolean {
  // A group that is repeated and itself contains a repetition operator.
  return /\([^()]*[*+}][^()]*\)\s*[*+{]/.test(pattern);
}

function jsRegex(pattern: string, global: boolean): RegExp {
  compileRe2(pattern);
  if (nestedRepetition(pattern)) throw new Error(`regex too complex to extract matches from: ${pattern}`);
  let p = pattern;
  let flags = global ? 'gu' : 'u';
  const inline = /^\(\?([imsU]+)\)/.exec(p);
  if (inline !== null) {
    p = p.slice(inline[0].length);
    if (inline[1]?.includes('i')) flags += 'i';
    if (inline[1]?.includes('s')) flags += 's';
    if (inline[1]?.includes('m')) flags += 'm';
  }
  p = p
    .replace(/\\A/g, '^')
    .replace(/\\z/g, '$')
    .replace(/\(\?P</g, '(?<');
  return new RegExp(p, flags);
}

function regexFuncs(): CelFunc[] {
  return [
    celMethod('find', STRING, [STRING], STRING, function (pattern) {
      const m = jsRegex(pattern, false).exec(this);
      return m === null ? '' : m[0];
    }),
    celMethod('findAll', STRING, [STRING], listType(STRING), function (pattern) {
      return [...this.matchAll(jsRegex(pattern, true))].map((m) => m[0]);
    }),
    celMethod('findAll', STRING, [STRING, INT], listType(STRING), function (pattern, limit) {
      const all = [...this.matchAll(jsRegex(pattern, true))].map((m) => m[0]);
      return limit < 0n ? all : all.slice(0, Number(limit));
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// URLs (library.URLs)

interface ParsedURL {
  scheme: string;
  host: string;
  path: string;
  rawQuery: string;
}

function parseURL(s: string): ParsedURL {
  // url.ParseRequestURI semantics: absolute URL or absolute path, no fragments.
  if (s.includes('#') || hasControlOrSpace(s))
    throw new Error(`URL parse error during conversion from string: parse "${s}": invalid URI for request`);
  if (s.startsWith('/')) {
    const q = s.indexOf('?');
    return { scheme: '', host: '', path: q === -1 ? s : s.slice(0, q), rawQuery: q === -1 ? '' : s.slice(q + 1) };
  }
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(\/\/([^/?]*))?([^?]*)(\?(.*))?$/.exec(s);
  if (m === null) throw new Error(`URL parse error during conversion from string: parse "${s}": invalid URI for request`);
  // Go's url.Parse lowercases the scheme and keeps userinfo out of Host.
  const authority = m[3] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return { scheme: (m[1] ?? '').toLowerCase(), host, path: m[4] ?? '', rawQuery: m[6] ?? '' };
}

function hostname(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(1, end);
  }
  const i = host.lastIndexOf(':');
  return i === -1 ? host : host.slice(0, i);
}

function urlFuncs(): CelFunc[] {
  const u = (v: CelValue): ParsedURL => {
    if (tagOf(v) !== 'url') throw new Error('no such overload');
    return field<ParsedURL>(v, 'url');
  };
  return [
    celFunc('url', [STRING], DYN, (s) => tagged('url', { url: parseURL(s) }, s)),
    celFunc('isURL', [STRING], BOOL, (s) => {
      try {
        parseURL(s);
        return true;
      } catch {
        return false;
      }
    }),
    celMethod('getScheme', DYN, [], STRING, function () {
      return u(this).scheme;
    }),
    celMethod('getHost', DYN, [], STRING, function () {
      return u(this).host;
    }),
    celMethod('getHostname', DYN, [], STRING, function () {
      return hostname(u(this).host);
    }),
    celMethod('getPort', DYN, [], STRING, function () {
      const h = u(this).host;
      const i = h.lastIndexOf(':');
      return i === -1 || h.endsWith(']') ? '' : h.slice(i + 1);
    }),
    celMethod('getEscapedPath', DYN, [], STRING, function () {
      return u(this).path;
    }),
    celMethod('getQuery', DYN, [], DYN, function () {
      const q = new Map<string, CelValue>();
      for (const part of u(this).rawQuery.split('&')) {
        if (part === '') continue;
        const [k = '', v = ''] = part.split('=');
        const key = decodeURIComponent(k.replace(/\+/g, ' '));
        const prev = q.get(key);
        const list = prev === undefined ? [] : arr(prev as CelList);
        q.set(key, celList([...list, decodeURIComponent(v.replace(/\+/g, ' '))]));
      }
      return celMap(q);
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// Quantity (library.Quantity): exact decimal values as scaled bigints.

interface Q {
  /** Value × 10^-scale. */
  n: bigint;
  scale: number;
}

const binarySuffix: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const decimalSuffix: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

function parseQuantity(s: string): Q {
  const m = /^([+-]?[0-9]*\.?[0-9]*)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$/.exec(s.trim() === s ? s : '');
  if (m === null || m[1] === '' || m[1] === '+' || m[1] === '-' || m[1] === '.')
    throw new Error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  const num = m[1] ?? '0';
  const suffix = m[2] ?? '';
  const neg = num.startsWith('-');
  const digits = num.replace(/^[+-]/, '');
  const [ip = '0', fp = ''] = digits.split('.');
  let n = BigInt((ip === '' ? '0' : ip) + fp);
  let scale = fp.length;
  if (neg) n = -n;
  const bin = binarySuffix[suffix];
  if (bin !== undefined) n *= bin;
  else if (/^[eE]/.test(suffix)) {
    const exp = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 2147483647) throw new Error("unable to parse quantity's suffix");
    scale -= exp;
  } else scale -= decimalSuffix[suffix] ?? 0;
  // Like resource.ParseQuantity: round up (away from zero) to nano precision; binary quantities
  // are capped at the largest int64.
  if (scale > 9 && n !== 0n) {
    const neg = n < 0n;
    const mag = neg ? -n : n;
    const drop = scale - 9;
    let rounded: bigint;
    if (drop > digitCount(mag)) rounded = 1n;
    else {
      const f = 10n ** BigInt(drop);
      rounded = (mag + f - 1n) / f;
    }
    n = neg ? -rounded : rounded;
    scale = 9;
  }
  if (bin !== undefined && qcmp({ n: n < 0n ? -n : n, scale }, maxInt64Q) > 0) return { n: n < 0n ? -maxInt64Q.n : maxInt64Q.n, scale: 0 };
  return { n, scale };
}

const maxInt64Q: Q = { n: 9223372036854775807n, scale: 0 };
/** MaxScaleGap bounds the exponent difference arithmetic will align (hostile exponents fail fast). */
const maxScaleGap = 10_000;

function digitCount(mag: bigint): number {
  return mag === 0n ? 0 : (mag < 0n ? -mag : mag).toString().length;
}

function sign(n: bigint): number {
  return n > 0n ? 1 : n < 0n ? -1 : 0;
}

/** QuantityIdentity is a canonical form: equal quantities (1Gi, 1024Mi) have the same one. */
function quantityIdentity(x: Q): string {
  if (x.n === 0n) return '0';
  let { n, scale } = x;
  while (n % 10n === 0n) {
    n /= 10n;
    scale--;
  }
  return `${n}e${-scale}`;
}

function align(a: Q, b: Q): [bigint, bigint, number] {
  if (Math.abs(a.scale - b.scale) > maxScaleGap) throw new Error('quantity exponents too far apart');
  const scale = Math.max(a.scale, b.scale);
  return [a.n * 10n ** BigInt(scale - a.scale), b.n * 10n ** BigInt(scale - b.scale), scale];
}

function qcmp(a: Q, b: Q): number {
  const sa = sign(a.n);
  const sb = sign(b.n);
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (sa === 0) return 0;
  // Different orders of magnitude decide without aligning (which could be huge).
  const ma = digitCount(a.n) - a.scale;
  const mb = digitCount(b.n) - b.scale;
  if (ma !== mb) return ma < mb ? -sa : sa;
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function quantityFuncs(): CelFunc[] {
  const q = (v: CelValue): Q => {
    if (tagOf(v) !== 'quantity') throw new Error('no such overload');
    return field<Q>(v, 'q');
  };
  const mk = (x: Q): CelMap => tagged('quantity', { q: x }, quantityIdentity(x));
  // Whether the value is a whole number within int64 (scale ≤ 9 after parsing; orders of
  // magnitude beyond 19 digits are out of range without computing them).
  const inInt64 = (x: Q): boolean =>
    x.n === 0n ||
    (digitCount(x.n) - x.scale <= 19 &&
      qcmp(x, { n: 9223372036854775807n, scale: 0 }) <= 0 &&
      qcmp(x, { n: -9223372036854775808n, scale: 0 }) >= 0);
  const isInt = (x: Q): boolean => {
    if (x.scale <= 0) return true;
    return x.n % 10n ** BigInt(x.scale) === 0n;
  };
  const asInt = (x: Q): bigint => (x.scale <= 0 ? x.n * 10n ** BigInt(-x.scale) : x.n / 10n ** BigInt(x.scale));
  return [
    celFunc('quantity', [STRING], DYN, (s) => mk(parseQuantity(s))),
    celFunc('isQuantity', [STRING], BOOL, (s) => {
      try {
        parseQuantity(s);
        return true;
      } catch {
        return false;
      }
    }),
    celMethod('isInteger', DYN, [], BOOL, function () {
      const x = q(this);
      return inInt64(x) && isInt(x);
    }),
    celMethod('asInteger', DYN, [], INT, function () {
      const x = q(this);
      if (!inInt64(x) || !isInt(x)) throw new Error('cannot convert value to integer');
      return asInt(x);
    }),
    celMethod('asApproximateFloat', DYN, [], DOUBLE, function () {
      const x = q(this);
      return Number(x.n) * 10 ** -x.scale;
    }),
    // sign is a global function in Kubernetes (`sign(quantity("-1"))`), not a method.
    celFunc('sign', [DYN], INT, (v) => BigInt(sign(q(v).n))),
    celMethod('compareTo', DYN, [DYN], INT, function (o) {
      return BigInt(qcmp(q(this), q(o)));
    }),
    celMethod('isGreaterThan', DYN, [DYN], BOOL, function (o) {
      return qcmp(q(this), q(o)) > 0;
    }),
    celMethod('isLessThan', DYN, [DYN], BOOL, function (o) {
      return qcmp(q(this), q(o)) < 0;
    }),
    celMethod('add', DYN, [DYN], DYN, function (o) {
      const other = typeof o === 'bigint' ? { n: o, scale: 0 } : q(o);
      const [x, y, scale] = align(q(this), other);
      return mk({ n: x + y, scale });
    }),
    celMethod('sub', DYN, [DYN], DYN, function (o) {
      const other = typeof o === 'bigint' ? { n: o, scale: 0 } : q(o);
      const [x, y, scale] = align(q(this), other);
      return mk({ n: x - y, scale });
    }),
  ];
}

// ---------------------------------------------------------------------------------------------
// IP and CIDR (library.IP, library.CIDR), on Go's net/netip semantics.

function parseIP(raw: string): Addr {
  let a: Addr;
  try {
    a = parseAddr(raw);
  } catch (e) {
    throw new Error(
      `IP Address ${JSON.stringify(raw)} parse error during conversion from string: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (a.zone !== '') throw new Error(`IP address ${JSON.stringify(raw)} with zone value is not allowed`);
  if (is4In6(a)) throw new Error(`IPv4-mapped IPv6 address ${JSON.stringify(raw)} is not allowed`);
  return a;
}

function parseCIDR(raw: string): Prefix {
  let p: Prefix;
  try {
    p = parsePrefix(raw);
  } catch (e) {
    throw new Error(`network address parse error during conversion from string: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (is4In6(p.addr)) throw new Error(`IPv4-mapped IPv6 address ${JSON.stringify(raw)} is not allowed`);
  return p;
}

const ipValue = (a: Addr): CelMap => tagged('ip', { a }, addrString(a));
const cidrValue = (p: Prefix): CelMap => tagged('cidr', { p }, prefixString(p));

function ipFuncs(): CelFunc[] {
  const ipOf = (v: CelValue): Addr => {
    if (tagOf(v) !== 'ip') throw new Error('no such overload');
    return field<Addr>(v, 'a');
  };
  const cidrOf = (v: CelValue): Prefix => {
    if (tagOf(v) !== 'cidr') throw new Error('no such overload');
    return field<Prefix>(v, 'p');
  };
  const ok = (f: () => unknown): boolean => {
    try {
      f();
      return true;
    } catch {
      return false;
    }
  };
  const ipPredicate = (name: string, f: (a: Addr) => boolean): CelFunc =>
    celMethod(name, DYN, [], BOOL, function () {
      return f(ipOf(this));
    });
  const containsCIDR = (p: Prefix, o: Prefix): boolean => prefixOverlaps(p, o) && p.bits <= o.bits;
  return [
    celFunc('ip', [STRING], DYN, (s) => ipValue(parseIP(s))),
    celFunc('isIP', [STRING], BOOL, (s) => ok(() => parseIP(s))),
    celFunc('ip.isCanonical', [STRING], BOOL, (s) => addrString(parseIP(s)) === s),
    celMethod('family', DYN, [], INT, function () {
      return ipOf(this).bytes.length === 4 ? 4n : 6n;
    }),
    ipPredicate('isUnspecified', isUnspecified),
    ipPredicate('isLoopback', isLoopback),
    ipPredicate('isLinkLocalMulticast', isLinkLocalMulticast),
    ipPredicate('isLinkLocalUnicast', isLinkLocalUnicast),
    ipPredicate('isGlobalUnicast', isGlobalUnicast),
    celFunc('cidr', [STRING], DYN, (s) => cidrValue(parseCIDR(s))),
    celFunc('isCIDR', [STRING], BOOL, (s) => ok(() => parseCIDR(s))),
    celMethod('containsIP', DYN, [DYN], BOOL, function (o) {
      return prefixContains(cidrOf(this), typeof o === 'string' ? parseIP(o) : ipOf(o));
    }),
    celMethod('containsCIDR', DYN, [DYN], BOOL, function (o) {
      return containsCIDR(cidrOf(this), typeof o === 'string' ? parseCIDR(o) : cidrOf(o));
    }),
    celMethod('ip', DYN, [], DYN, function () {
      return ipValue(cidrOf(this).addr);
    }),
    celMethod('prefixLength', DYN, [], INT, function () {
      return BigInt(cidrOf(this).bits);
    }),
    celMethod('masked', DYN, [], DYN, function () {
      return cidrValue(prefixMasked(cidrOf(this)));
    }),
    // string(ip) and string(cidr): opaque values are maps underneath.
    celFunc('string', [mapType(STRING, DYN)], STRING, (v) => {
      const str = opaqueString(v);
      if (str === undefined) throw new Error('no such overload');
      return str;
    }),
  ];
}

/** OpaqueString converts IPs and CIDRs with string(), as the libraries' `string` overloads do. */
export function opaqueString(v: unknown): string | undefined {
  const t = tagOf(v);
  if (t === 'ip') return addrString(field<Addr>(v, 'a'));
  if (t === 'cidr') return prefixString(field<Prefix>(v, 'p'));
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Optionals (the subset @bufbuild/cel's parser can express).

function isZeroValue(v: CelValue): boolean {
  if (v === null || v === false || v === '' || v === 0 || v === 0n) return true;
  if (v instanceof Uint8Array) return v.length === 0;
  if (isCelUint(v)) return v.value === 0n;
  if (isCelList(v) || isCelMap(v)) return v.size === 0;
  return false;
}

function miscFuncs(): CelFunc[] {
  return [
    celFunc('optional.of', [DYN], DYN, (v) => tagged('optional', { v, has: true })),
    celFunc('optional.none', [], DYN, () => tagged('optional', { has: false })),
    celFunc('optional.ofNonZeroValue', [DYN], DYN, (v) =>
      isZeroValue(v) ? tagged('optional', { has: false }) : tagged('optional', { v, has: true }),
    ),
    celMethod('hasValue', DYN, [], BOOL, function () {
      if (tagOf(this) !== 'optional') throw new Error('no such overload');
      return field<boolean>(this, 'has');
    }),
    celMethod('value', DYN, [], DYN, function () {
      if (tagOf(this) !== 'optional') throw new Error('no such overload');
      if (field<boolean>(this, 'has') !== true) throw new Error('optional.none() dereference');
      return field<CelValue>(this, 'v');
    }),
    celMethod('orValue', DYN, [DYN], DYN, function (d) {
      if (tagOf(this) !== 'optional') throw new Error('no such overload');
      return field<boolean>(this, 'has') === true ? field<CelValue>(this, 'v') : d;
    }),
  ];
}

/** OptionalOf wraps a value as an optional (for `optionalOldSelf`). */
export function optionalOf(v: CelValue | undefined): CelMap {
  return v === undefined ? tagged('optional', { has: false }) : tagged('optional', { v, has: true });
}

let cached: CelFunc[] | undefined;

/** KubernetesFuncs returns every function added to the standard library. */
export function kubernetesFuncs(): CelFunc[] {
  cached ??= [...strings, ...listFuncs(), ...setFuncs(), ...regexFuncs(), ...urlFuncs(), ...quantityFuncs(), ...ipFuncs(), ...miscFuncs()];
  return cached;
}

/** CelRuntimeError builds a CEL error value with a message. */
export function celRuntimeError(message: string): unknown {
  return celError(message);
}
