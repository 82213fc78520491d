// The string formats kube-apiserver validates for CRDs (apiextensions-apiserver validation/formats.go
// over kube-openapi strfmt and govalidator), with the same acceptance rules as far as they matter.
import { goDuration } from '@trellis/sdk';
import { compileRe2 } from './regex.ts';

/** NormalizeFormat is strfmt's name normalisation: dashes are ignored (`date-time` = `datetime`). */
export function normalizeFormat(f: string): string {
  return f.replaceAll('-', '');
}

const hostnamePattern =
  '^([a-zA-Z0-9\\p{S}\\p{L}]((-?[a-zA-Z0-9\\p{S}\\p{L}]{0,62})?)|([a-zA-Z0-9\\p{S}\\p{L}](([a-zA-Z0-9-\\p{S}\\p{L}]{0,61}[a-zA-Z0-9\\p{S}\\p{L}])?)(\\.)){1,}([a-zA-Z\\p{L}]){2,63})$';
const uuid = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const uuid3 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const uuid4 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const uuid5 = /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i;
const creditCard =
  /^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|(222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)[0-9]{12}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11}|6[27][0-9]{14})$/;
const hexcolor = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const octet = '(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])';
const rgbcolor = new RegExp(`^rgb\\(\\s*${octet}\\s*,\\s*${octet}\\s*,\\s*${octet}\\s*\\)$`);
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;
const ssn = /^\d{3}[- ]?\d{2}[- ]?\d{4}$/;
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dateTimeTail = /^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$/;

/** IsDate accepts Go's `time.Parse("2006-01-02", s)`. */
export function isDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1] ?? 31;
  return d <= days;
}

/** IsDateTime is strfmt's IsDateTime (an RFC 3339 date, `T`, a time with zone). */
export function isDateTime(s: string): boolean {
  if (s.length < 4) return false;
  const parts = s.toLowerCase().split('t');
  if (parts.length < 2 || !isDate(parts[0] ?? '')) return false;
  const m = dateTimeTail.exec(parts[1] ?? '');
  if (m === null) return false;
  return (m[1] ?? '') <= '23' && (m[2] ?? '') <= '59' && (m[3] ?? '') <= '59';
}

/** ParseGoDuration accepts Go's time.ParseDuration syntax and returns nanoseconds (undefined if invalid). */
export function parseGoDuration(s: string): number | undefined {
  const d = goDuration(s);
  return d.ok ? Math.round(d.seconds * 1e9) : undefined;
}

const scalaUnits: string[][] = [
  ['ns', 'nano'],
  ['us', 'µs', 'micro'],
  ['ms', 'milli'],
  ['s', 'sec'],
  ['m', 'min'],
  ['h', 'hr', 'hour'],
  ['d', 'day'],
  ['w', 'wk', 'week'],
];

/** IsDuration is strfmt's ParseDuration: Go durations, or `<n> <unit>` pairs in Scala style. */
export function isDuration(s: string): boolean {
  if (parseGoDuration(s) !== undefined) return true;
  let ok = false;
  for (const m of s.matchAll(/((\d+)\s*([A-Za-zµ]+))/g)) {
    const unit = (m[3] ?? '').trim().toLowerCase();
    for (const variants of scalaUnits) {
      const last = variants.length - 1;
      variants.forEach((v, i) => {
        if ((i === last && unit.startsWith(v)) || v.toLowerCase() === unit) ok = true;
      });
    }
  }
  return ok;
}

/** ParseIPv4 parses dotted-quad IPv4 the way netutils.ParseIPSloppy does (leading zeros allowed). */
export function parseIPv4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** ParseIPv6 parses an IPv6 address (with an optional embedded IPv4 tail) into 16 bytes. */
export function parseIPv6(s: string): number[] | undefined {
  if (s.length < 2) return undefined;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':');
    const bytes: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] ?? '';
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return undefined;
        bytes.push(...v4);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      const n = Number.parseInt(g, 16);
      bytes.push(n >> 8, n & 0xff);
    }
    return bytes;
  };
  if (dbl === -1) {
    const b = parseGroups(s);
    return b !== undefined && b.length === 16 ? b : undefined;
  }
  const head = parseGroups(s.slice(0, dbl));
  const tail = parseGroups(s.slice(dbl + 2));
  if (head === undefined || tail === undefined || head.length + tail.length > 14) return undefined;
  return [...head, ...new Array<number>(16 - head.length - tail.length).fill(0), ...tail];
}

/** IsIP accepts what netutils.ParseIPSloppy accepts. */
export function isIP(s: string): boolean {
  return parseIPv4(s) !== undefined || (s.includes(':') && parseIPv6(s) !== undefined);
}

/** IsCIDR accepts what netutils.ParseCIDRSloppy accepts. */
export function isCIDR(s: string): boolean {
  const i = s.indexOf('/');
  if (i === -1) return false;
  const ip = s.slice(0, i);
  const bits = s.slice(i + 1);
  if (!/^[0-9]{1,3}$/.test(bits)) return false;
  const n = Number(bits);
  if (parseIPv4(ip) !== undefined) return n <= 32;
  if (ip.includes(':') && parseIPv6(ip) !== undefined) return n <= 128;
  return false;
}

function isMAC(s: string): boolean {
  if (s.length < 14) return false;
  if (s[2] === ':' || s[2] === '-') {
    const sep = s[2];
    const parts = s.split(sep);
    if (![6, 8, 20].includes(parts.length)) return false;
    return parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p));
  }
  if (s[4] === '.') {
    const parts = s.split('.');
    if (![3, 4, 10].includes(parts.length)) return false;
    return parts.every((p) => /^[0-9a-fA-F]{4}$/.test(p));
  }
  return false;
}

/** HasControlOrSpace reports ASCII control characters, DEL or spaces (rejected in request URIs). */
export function hasControlOrSpace(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return true;
  }
  return false;
}

function isRequestURI(s: string): boolean {
  // url.ParseRequestURI: an absolute URI or an absolute path; no control characters or spaces.
  if (hasControlOrSpace(s)) return false;
  if (s.startsWith('/')) return true;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/.exec(s);
  if (m === null) return false;
  const rest = m[2] ?? '';
  if (rest.startsWith('//')) {
    const authority = rest.slice(2).split(/[/?#]/)[0] ?? '';
    const host = authority.includes('@') ? authority.slice(authority.lastIndexOf('@') + 1) : authority;
    if (host.startsWith('[')) {
      const end = host.indexOf(']');
      if (end === -1) return false;
      const port = host.slice(end + 1);
      return port === '' || /^:[0-9]*$/.test(port);
    }
    const colon = host.lastIndexOf(':');
    if (colon !== -1 && !/^[0-9]*$/.test(host.slice(colon + 1))) return false;
  }
  return !/%(?![0-9a-fA-F]{2})/.test(s);
}

function isEmail(s: string): boolean {
  // net/mail.ParseAddress accepts `addr-spec` and `Name <addr-spec>`.
  const angle = /^[^<>]*<([^<>]+)>\s*$/.exec(s);
  const addr = angle === null ? s.trim() : (angle[1] ?? '');
  return (
    /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(addr) &&
    !addr.startsWith('.') &&
    !addr.includes('..')
  );
}

function isHostname(s: string): boolean {
  if (!compileRe2(hostnamePattern).test(s)) return false;
  if (new TextEncoder().encode(s).length > 255) return false;
  return s.split('.').every((p) => new TextEncoder().encode(p).length <= 63);
}

function isCreditCard(s: string): boolean {
  const sanitized = s.replace(/[\s-]+/g, '');
  if (!creditCard.test(sanitized)) return false;
  let digits = sanitized.split('').map(Number);
  const last = digits.pop() ?? 0;
  digits = digits.reverse();
  let sum = 0;
  digits.forEach((d, i) => {
    let v = d;
    if (i % 2 === 0) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  });
  return (sum + last) % 10 === 0;
}

function isISBN(s: string, version: 10 | 13): boolean {
  const x = s.replace(/[\s-]+/g, '');
  if (version === 10) {
    if (!/^(?:[0-9]{9}X|[0-9]{10})$/.test(x)) return false;
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += (i + 1) * Number(x[i]);
    sum += x[9] === 'X' ? 100 : 10 * Number(x[9]);
    return sum % 11 === 0;
  }
  if (!/^(?:[0-9]{13})$/.test(x)) return false;
  const factor = [1, 3];
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += (factor[i % 2] ?? 1) * Number(x[i]);
  return (10 - (sum % 10)) % 10 === Number(x[12]);
}

const validators: Record<string, (s: string) => boolean> = {
  bsonobjectid: (s) => /^[0-9a-fA-F]{24}$/.test(s),
  uri: isRequestURI,
  email: isEmail,
  hostname: isHostname,
  ipv4: (s) => isIP(s) && s.includes('.'),
  ipv6: (s) => isIP(s) && s.includes(':'),
  cidr: isCIDR,
  mac: isMAC,
  uuid: (s) => uuid.test(s),
  uuid3: (s) => uuid3.test(s),
  uuid4: (s) => uuid4.test(s),
  uuid5: (s) => uuid5.test(s),
  isbn: (s) => isISBN(s, 10) || isISBN(s, 13),
  isbn10: (s) => isISBN(s, 10),
  isbn13: (s) => isISBN(s, 13),
  creditcard: isCreditCard,
  ssn: (s) => s.length === 11 && ssn.test(s),
  hexcolor: (s) => hexcolor.test(s),
  rgbcolor: (s) => rgbcolor.test(s),
  byte: (s) => base64.test(s),
  password: () => true,
  date: isDate,
  duration: isDuration,
  datetime: isDateTime,
  k8sshortname: (s) => s.length <= 63 && dns1123Label.test(s),
  k8slongname: (s) => s.length <= 253 && dns1123Subdomain.test(s),
};

/** FormatValidator returns the validator of a (normalised) supported string format, or undefined. */
export function formatValidator(normalized: string): ((s: string) => boolean) | undefined {
  return Object.hasOwn(validators, normalized) ? validators[normalized] : undefined;
}

/**
 * EffectiveFormat is the format kube keeps after StripUnsupportedFormatsPostProcess for a schema of
 * the given (single) type: unsupported formats are dropped, so they do not validate anything.
 */
export function effectiveFormat(type: string, format: string): string {
  if (format === '') return '';
  switch (type) {
    case '':
    case 'string':
      return formatValidator(normalizeFormat(format)) === undefined ? '' : format;
    case 'integer':
      return format === 'int32' || format === 'int64' ? format : '';
    case 'number':
      return format === 'float' || format === 'double' ? format : '';
    default:
      return '';
  }
}
