// Go-compatible formatting of values, so messages match kube-apiserver byte for byte:
// `%v` of numbers, `%q` of strings, and encoding/json's Marshal (sorted keys, HTML escaping).

/** GoFloat formats a float64 as Go's `%v` does (`strconv.FormatFloat(f, 'g', -1, 64)` with the %v exponent rule). */
export function goFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Number.POSITIVE_INFINITY) return '+Inf';
  if (f === Number.NEGATIVE_INFINITY) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  // Shortest round-trip digits, as "d.ddde±x".
  const exp = f.toExponential();
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp);
  if (m === null) return String(f);
  const sign = m[1] ?? '';
  const digits = (m[2] ?? '') + (m[3] ?? '');
  const e = Number(m[4]);
  // %v (shortest %g) uses %e when the exponent is < -4 or >= 6: `fmt.Println(1e6)` prints 1e+06.
  if (e < -4 || e >= 6) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const es = Math.abs(e) < 10 ? `0${Math.abs(e)}` : String(Math.abs(e));
    return `${sign}${mant}e${e < 0 ? '-' : '+'}${es}`;
  }
  if (e >= 0) {
    if (digits.length <= e + 1) return sign + digits + '0'.repeat(e + 1 - digits.length);
    return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  }
  return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
}

/**
 * GoNumber formats a JSON number as kube prints a decoded value: integers (int64 after decoding)
 * as decimal digits, everything else as a float64 with `%v`.
 */
export function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 9.223372036854776e18) return BigInt(n).toString();
  return goFloat(n);
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const plainASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const plainJSON = /^[\x20\x21\x23-\x25\x27-\x3b\x3d\x3f-\x5b\x5d-\x7e]*$/;

/** GoQuote quotes a string as Go's strconv.Quote (`%q`) does. */
export function goQuote(s: string): string {
  // Printable ASCII other than the quote and backslash needs no escaping (the common case).
  if (plainASCII.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += '\ufffd';
      continue;
    }
    if (printable.test(ch)) {
      out += ch;
      continue;
    }
    if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters JSON escapes.
const jsonEscapes = /["\\<>&\u0000-\u001f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function jsonEscape(c: string): string {
  switch (c) {
    case '"':
      return '\\"';
    case '\\':
      return '\\\\';
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
  }
  const code = c.charCodeAt(0);
  // A lone surrogate is invalid UTF-8, which Go replaces with U+FFFD.
  if (code >= 0xd800 && code <= 0xdfff) return '\\ufffd';
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

function jsonString(s: string): string {
  // Printable ASCII other than `"`, `\`, `<`, `>` and `&` needs no escaping (the common case).
  if (plainJSON.test(s)) return `"${s}"`;
  return `"${s.replace(jsonEscapes, jsonEscape)}"`;
}

/** GoJSON encodes a JSON value as Go's encoding/json Marshal does (map keys sorted, HTML-safe). */
export function goJSON(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return jsonString(v);
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'object': {
      if (Array.isArray(v)) return `[${v.map(goJSON).join(',')}]`;
      const rec = v as Record<string, unknown>;
      const keys = Object.keys(rec).sort(compareGoStrings);
      return `{${keys.map((k) => `${jsonString(k)}:${goJSON(rec[k])}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

/** CompareGoStrings orders strings by UTF-8 bytes, as Go's sort.Strings does. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 code unit order equals UTF-8 byte order except around surrogates; compare by code points.
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

/** Utf8Length returns the number of UTF-8 bytes of s (Go's len(s)). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** RuneCount returns the number of Unicode code points of s (utf8.RuneCountInString). */
export function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}
