/**
 * Go's encoding/json Marshal over the value model of values.ts: map keys sorted, `<`, `>`, `&`,
 * U+2028 and U+2029 escaped, floats as Go writes them (`1e+21`, `1e-7`), []byte as base64.
 */
import { formatFloat } from './strconv.ts';
import { GoInt, isGoMap } from './values.ts';

const HEX = '0123456789abcdef';

/** GoJsonString quotes a string the way encoding/json does (HTML-safe). */
export function goJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s[i] + (s[i + 1] ?? '');
        i++;
      } else {
        out += '\\ufffd';
      }
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\\ufffd';
      continue;
    }
    switch (c) {
      case 0x22:
        out += '\\"';
        continue;
      case 0x5c:
        out += '\\\\';
        continue;
      case 0x0a:
        out += '\\n';
        continue;
      case 0x0d:
        out += '\\r';
        continue;
      case 0x09:
        out += '\\t';
        continue;
      case 0x08:
        out += '\\b';
        continue;
      case 0x0c:
        out += '\\f';
        continue;
      default:
        break;
    }
    if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      out += `\\u${HEX[(c >> 12) & 0xf]}${HEX[(c >> 8) & 0xf]}${HEX[(c >> 4) & 0xf]}${HEX[c & 0xf]}`;
      continue;
    }
    out += s[i];
  }
  return `${out}"`;
}

/** GoJsonFloat formats a float64 as encoding/json does. */
export function goJsonFloat(f: number): string {
  if (!Number.isFinite(f)) throw new RangeError(`json: unsupported value: ${f}`);
  const abs = Math.abs(f);
  let fmt = 'f';
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) fmt = 'e';
  let s = formatFloat(f, fmt, -1);
  if (fmt === 'e') {
    const n = s.length;
    if (n >= 4 && s[n - 4] === 'e' && s[n - 3] === '-' && s[n - 2] === '0') s = s.slice(0, n - 2) + s.slice(n - 1);
  }
  return s;
}

/** GoJsonMarshal is encoding/json.Marshal (compact). */
export function goJsonMarshal(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return goJsonString(v);
    case 'number':
      return goJsonFloat(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      break;
  }
  if (v instanceof GoInt) return v.value.toString();
  if (v instanceof Uint8Array) return `"${Buffer.from(v).toString('base64')}"`;
  if (Array.isArray(v)) return `[${v.map(goJsonMarshal).join(',')}]`;
  if (isGoMap(v)) {
    const keys = Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((k) => `${goJsonString(k)}:${goJsonMarshal(v[k])}`).join(',')}}`;
  }
  return 'null';
}
