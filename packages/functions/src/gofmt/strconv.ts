/**
 * Go `strconv.FormatFloat` for float64, exactly: shortest round-trip digits for precision -1 and
 * correctly rounded (half to even on the exact binary value) digits otherwise, with Go's `%e`,
 * `%f` and `%g` layouts (two-digit exponents, `e+06`).
 */

/** Digits is a decimal: value = 0.d × 10^dp; `d` has no leading or trailing zeros ("" is zero). */
interface Digits {
  d: string;
  dp: number;
}

const view = new DataView(new ArrayBuffer(8));

/** ExactDigits returns the exact decimal expansion of a finite, non-negative float64. */
function exactDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (biased === 0) {
    e = -1074;
  } else {
    mant |= 1n << 52n;
    e = biased - 1075;
  }
  let s: string;
  let pointFromRight: number;
  if (e >= 0) {
    s = (mant << BigInt(e)).toString();
    pointFromRight = 0;
  } else {
    s = (mant * 5n ** BigInt(-e)).toString();
    pointFromRight = -e;
  }
  const dp = s.length - pointFromRight;
  return trim({ d: s, dp });
}

function trim(x: Digits): Digits {
  let d = x.d;
  let start = 0;
  while (start < d.length && d[start] === '0') start++;
  let dp = x.dp - start;
  d = d.slice(start);
  let end = d.length;
  while (end > 0 && d[end - 1] === '0') end--;
  d = d.slice(0, end);
  if (d === '') dp = 0;
  return { d, dp };
}

/** ShortestDigits returns the shortest digits that round-trip, as JS (and Go) compute them. */
function shortestDigits(x: number): Digits {
  if (x === 0) return { d: '', dp: 0 };
  const s = x.toExponential(); // shortest round-trip digits, e.g. "1.2345e+6"
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) throw new Error(`unexpected exponential form ${s}`);
  const d = (m[1] ?? '') + (m[2] ?? '');
  return trim({ d, dp: Number(m[3]) + 1 });
}

/** Round rounds to nd digits, half to even on the exact value (Go's decimal.Round). */
function round(a: Digits, nd: number): Digits {
  if (nd < 0 || nd >= a.d.length) return a;
  const c = a.d.charCodeAt(nd);
  let up: boolean;
  if (c === 53 /* '5' */ && nd + 1 === a.d.length) {
    up = nd > 0 && (a.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  } else {
    up = c >= 53;
  }
  if (!up) return trim({ d: a.d.slice(0, nd), dp: a.dp });
  // round up
  let i = nd - 1;
  while (i >= 0 && a.d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: a.dp + 1 };
  const d = a.d.slice(0, i) + String.fromCharCode(a.d.charCodeAt(i) + 1);
  return trim({ d, dp: a.dp });
}

function fmtE(neg: boolean, d: Digits, prec: number, fmt: string): string {
  let out = neg ? '-' : '';
  out += d.d.length > 0 ? d.d[0] : '0';
  if (prec > 0) {
    out += '.';
    const m = Math.min(d.d.length, prec + 1);
    let i = 1;
    if (i < m) {
      out += d.d.slice(i, m);
      i = m;
    }
    for (; i <= prec; i++) out += '0';
  }
  out += fmt;
  let exp = d.d.length === 0 ? 0 : d.dp - 1;
  let sign = '+';
  if (exp < 0) {
    sign = '-';
    exp = -exp;
  }
  out += sign + (exp < 10 ? `0${exp}` : String(exp));
  return out;
}

function fmtF(neg: boolean, d: Digits, prec: number): string {
  let out = neg ? '-' : '';
  if (d.dp > 0) {
    const m = Math.min(d.d.length, d.dp);
    out += d.d.slice(0, m) + '0'.repeat(d.dp - m);
  } else {
    out += '0';
  }
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = d.dp + i - 1;
      out += j >= 0 && j < d.d.length ? d.d[j] : '0';
    }
  }
  return out;
}

/**
 * FormatFloat is Go's strconv.FormatFloat(v, fmt, prec, 64) for fmt in e, E, f, F, g, G
 * (F behaves as f). Other formats fall back to 'g'.
 */
export function formatFloat(v: number, fmt: string, prec: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  const neg = v < 0 || Object.is(v, -0);
  const abs = Math.abs(v);
  if (fmt === 'x' || fmt === 'X' || fmt === 'b') return formatBinary(neg, abs, fmt, prec);
  const f = fmt === 'F' ? 'f' : fmt;
  const shortest = prec < 0;
  let digs: Digits;
  let p = prec;
  if (shortest) {
    digs = shortestDigits(abs);
    switch (f) {
      case 'e':
      case 'E':
        p = Math.max(digs.d.length - 1, 0);
        break;
      case 'f':
        p = Math.max(digs.d.length - digs.dp, 0);
        break;
      default:
        p = digs.d.length;
    }
  } else {
    const exact = exactDigits(abs);
    if (f === 'f') {
      digs = round(exact, exact.dp + p);
    } else if (f === 'e' || f === 'E') {
      digs = round(exact, p + 1);
    } else {
      if (p === 0) p = 1;
      digs = round(exact, p);
    }
  }
  switch (f) {
    case 'e':
    case 'E':
      return fmtE(neg, digs, p, f);
    case 'f':
      return fmtF(neg, digs, p);
    default: {
      const e = f === 'G' ? 'E' : 'e';
      let eprec = p;
      if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
      if (shortest) eprec = 6;
      const exp = digs.dp - 1;
      if (exp < -4 || exp >= eprec) {
        if (p > digs.d.length) p = digs.d.length;
        return fmtE(neg, digs, p - 1, e);
      }
      if (p > digs.dp) p = digs.d.length;
      return fmtF(neg, digs, Math.max(p - digs.dp, 0));
    }
  }
}

/** FormatFloatShortest is `strconv.FormatFloat(v, 'f', -1, 64)` (convert transform to string). */
export function formatFloatF(v: number): string {
  return formatFloat(v, 'f', -1);
}

/** Quote is Go's strconv.Quote (ASCII-only when `ascii` is set, as strconv.QuoteToASCII). */
export function quote(s: string, ascii = false): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    out += quoteRune(ch, cp, '"', ascii);
  }
  return `${out}"`;
}

/** QuoteRune is Go's strconv.QuoteRune. */
export function quoteRuneLiteral(cp: number, ascii = false): string {
  const valid = cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
  const c = valid ? cp : 0xfffd;
  return `'${quoteRune(String.fromCodePoint(c), c, "'", ascii)}'`;
}

function quoteRune(ch: string, cp: number, q: string, ascii: boolean): string {
  if (ch === q || ch === '\\') return `\\${ch}`;
  if (ascii ? cp < 0x7f && cp >= 0x20 : isPrintRune(cp)) return ch;
  switch (cp) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
    default:
      break;
  }
  if (cp < 0x20 || cp === 0x7f) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp === 0xfffd && ch !== '\ufffd') return '\\ufffd';
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** IsPrint approximates Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space. */
export function isPrintRune(cp: number): boolean {
  if (cp < 0x20 || cp === 0x7f) return false;
  if (cp < 0x7f) return true;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(cp));
}

/** FormatBinary is strconv's %b (mantissa p exponent) and %x / %X (hex float) for float64. */
function formatBinary(neg: boolean, abs: number, fmt: string, prec: number): string {
  view.setFloat64(0, abs);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  let exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  exp += -1023;
  const sign = neg ? '-' : '';
  if (fmt === 'b') {
    const e = exp - 52;
    return `${sign}${mant}p${e >= 0 ? '+' : '-'}${Math.abs(e)}`;
  }
  if (mant === 0n) exp = 0;
  const bit60 = 1n << 60n;
  const mask64 = (1n << 64n) - 1n;
  mant <<= 60n - 52n;
  while (mant !== 0n && (mant & bit60) === 0n) {
    mant = (mant << 1n) & mask64;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & (bit60 - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = fmt === 'X' ? '0123456789ABCDEF' : '0123456789abcdef';
  let out = `${sign}0${fmt}${(mant >> 60n) & 1n}`;
  mant = (mant << 4n) & mask64;
  if (prec < 0 && mant !== 0n) {
    out += '.';
    while (mant !== 0n) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & mask64;
    }
  } else if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      out += hex[Number((mant >> 60n) & 15n)];
      mant = (mant << 4n) & mask64;
    }
  }
  out += fmt === 'X' ? 'P' : 'p';
  let e = exp;
  out += e < 0 ? '-' : '+';
  e = Math.abs(e);
  out += e < 10 ? `0${e}` : String(e);
  return out;
}
