/**
 * Go's fmt.Sprintf over the value model of values.ts: the same verbs, flags, widths,
 * precisions, explicit argument indexes (`%[2]s`) and the same error forms
 * (`%!s(float64=5)`, `%!d(MISSING)`, `%!(EXTRA string=a)`, `%!(NOVERB)`, `%!v(BADINDEX)`,
 * `%!(BADWIDTH)`, `%!(BADPREC)`). A port of the algorithm in Go's src/fmt/print.go and format.go.
 */
import { formatFloat, isPrintRune, quote, quoteRuneLiteral } from './strconv.ts';
import { GoInt, goTypeName, intValue, isGoMap, isUnsignedKind } from './values.ts';

const MAX_NUM = 1_000_000;

class Printer {
  buf = '';
  // flags
  sharp = false;
  zero = false;
  plus = false;
  minus = false;
  space = false;
  sharpV = false;
  plusV = false;
  wid = 0;
  widPresent = false;
  prec = 0;
  precPresent = false;
  // argument state
  reordered = false;
  goodArgNum = true;
  arg: unknown = undefined;

  clearFlags(): void {
    this.sharp = false;
    this.zero = false;
    this.plus = false;
    this.minus = false;
    this.space = false;
    this.sharpV = false;
    this.plusV = false;
    this.wid = 0;
    this.widPresent = false;
    this.prec = 0;
    this.precPresent = false;
  }

  writePadding(n: number): void {
    if (n <= 0) return;
    const padByte = this.zero && !this.minus ? '0' : ' ';
    this.buf += padByte.repeat(n);
  }

  pad(s: string): void {
    if (!this.widPresent || this.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.wid - runeCount(s);
    if (!this.minus) {
      this.writePadding(width);
      this.buf += s;
    } else {
      this.buf += s;
      this.writePadding(width);
    }
  }

  truncate(s: string): string {
    if (this.precPresent) {
      let n = this.prec;
      let i = 0;
      for (const ch of s) {
        n--;
        if (n < 0) return s.slice(0, i);
        i += ch.length;
      }
    }
    return s;
  }

  fmtS(s: string): void {
    this.pad(this.truncate(s));
  }

  fmtQ(s: string): void {
    const t = this.truncate(s);
    if (this.sharp && !t.includes('`') && ![...t].some((c) => c !== '\t' && (c < ' ' || c === '\x7f'))) {
      this.pad(`\`${t}\``);
      return;
    }
    this.pad(quote(t, this.plus));
  }

  fmtSx(bytes: Uint8Array, upper: boolean): void {
    const digits = upper ? '0123456789ABCDEF' : '0123456789abcdef';
    let length = bytes.length;
    if (this.precPresent && this.prec < length) length = this.prec;
    let width = 2 * length;
    if (width > 0) {
      if (this.space) {
        if (this.sharp) width *= 2;
        width += length - 1;
      } else if (this.sharp) {
        width += 2;
      }
    } else {
      if (this.widPresent) this.writePadding(this.wid);
      return;
    }
    if (this.widPresent && this.wid > width && !this.minus) this.writePadding(this.wid - width);
    let out = '';
    if (this.sharp) out += upper ? '0X' : '0x';
    for (let i = 0; i < length; i++) {
      if (this.space && i > 0) {
        out += ' ';
        if (this.sharp) out += upper ? '0X' : '0x';
      }
      const b = bytes[i] ?? 0;
      out += (digits[b >> 4] ?? '') + (digits[b & 0xf] ?? '');
    }
    this.buf += out;
    if (this.widPresent && this.wid > width && this.minus) this.writePadding(this.wid - width);
  }

  fmtBoolean(b: boolean): void {
    this.pad(b ? 'true' : 'false');
  }

  fmtIntegerBase(u: bigint, base: number, signed: boolean, verb: string, upper: boolean): void {
    let negative = signed && u < 0n;
    let v = negative ? -u : u;
    let prec = 0;
    if (this.precPresent) {
      prec = this.prec;
      if (prec === 0 && v === 0n) {
        const old = this.zero;
        this.zero = false;
        this.writePadding(this.wid);
        this.zero = old;
        return;
      }
    } else if (this.zero && !this.minus && this.widPresent) {
      prec = this.wid;
      if (negative || this.plus || this.space) prec--;
    }
    let digits = v.toString(base);
    if (upper) digits = digits.toUpperCase();
    if (digits.length < prec) digits = '0'.repeat(prec - digits.length) + digits;
    if (this.sharp) {
      if (base === 2) digits = `0b${digits}`;
      else if (base === 8 && digits[0] !== '0') digits = `0${digits}`;
      else if (base === 16) digits = (upper ? '0X' : '0x') + digits;
    }
    if (verb === 'O') digits = `0o${digits}`;
    if (negative) digits = `-${digits}`;
    else if (this.plus) digits = `+${digits}`;
    else if (this.space) digits = ` ${digits}`;
    negative = false;
    v = 0n;
    const old = this.zero;
    this.zero = false;
    this.pad(digits);
    this.zero = old;
  }

  fmtFloat(v: number, verb: string, prec: number): void {
    const p = this.precPresent ? this.prec : prec;
    let num = formatFloat(v, verb, p);
    if (num[0] !== '-' && num[0] !== '+') num = `+${num}`;
    if (this.space && num[0] === '+' && !this.plus) num = ` ${num.slice(1)}`;
    if (num[1] === 'I' || num[1] === 'N') {
      const old = this.zero;
      this.zero = false;
      if (num[1] === 'N' && !this.space && !this.plus) num = num.slice(1);
      this.pad(num);
      this.zero = old;
      return;
    }
    if (this.sharp && verb !== 'b') {
      num = sharpFloat(num, verb, p);
    }
    if (this.plus || num[0] !== '+') {
      if (this.zero && !this.minus && this.widPresent && this.wid > num.length) {
        this.buf += num[0];
        this.writePadding(this.wid - num.length);
        this.buf += num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  badVerb(verb: string): void {
    this.buf += `%!${verb}(`;
    const t = goTypeName(this.arg);
    if (t !== undefined) {
      this.buf += `${t}=`;
      this.printArg(this.arg, 'v');
    } else {
      this.buf += '<nil>';
    }
    this.buf += ')';
  }

  printArg(arg: unknown, verb: string): void {
    this.arg = arg;
    if (arg === null || arg === undefined) {
      if (verb === 'T' || verb === 'v') this.pad('<nil>');
      else this.badVerb(verb);
      return;
    }
    if (verb === 'T') {
      this.fmtS(goTypeName(arg) ?? '<nil>');
      return;
    }
    this.printValue(arg, verb, 0);
  }

  printValue(v: unknown, verb: string, depth: number): void {
    if (depth > 0) this.arg = v;
    if (v === null || v === undefined) {
      // a nil element of an interface-typed container prints <nil> for every verb
      this.buf += '<nil>';
      return;
    }
    switch (typeof v) {
      case 'boolean':
        if (verb === 't' || verb === 'v') this.fmtBoolean(v);
        else this.badVerb(verb);
        return;
      case 'number':
        this.printFloat(v, verb);
        return;
      case 'bigint':
        this.printInteger(v, true, verb);
        return;
      case 'string':
        this.printString(v, verb);
        return;
      default:
        break;
    }
    if (v instanceof GoInt) {
      this.printInteger(intValue(v), !isUnsignedKind(v), verb);
      return;
    }
    if (v instanceof Uint8Array) {
      this.printBytes(v, verb, depth);
      return;
    }
    if (Array.isArray(v)) {
      if (this.sharpV) {
        this.buf += `${goTypeName(v)}{`;
        v.forEach((e, i) => {
          if (i > 0) this.buf += ', ';
          this.printValue(e, verb, depth + 1);
        });
        this.buf += '}';
        return;
      }
      this.buf += '[';
      v.forEach((e, i) => {
        if (i > 0) this.buf += ' ';
        this.printValue(e, verb, depth + 1);
      });
      this.buf += ']';
      return;
    }
    if (isGoMap(v)) {
      const keys = Object.keys(v).sort(compareGoStrings);
      this.buf += this.sharpV ? 'map[string]interface {}{' : 'map[';
      keys.forEach((k, i) => {
        if (i > 0) this.buf += this.sharpV ? ', ' : ' ';
        this.printValue(k, verb, depth + 1);
        this.buf += ':';
        this.printValue(v[k], verb, depth + 1);
      });
      this.buf += this.sharpV ? '}' : ']';
      return;
    }
    this.fmtS(String(v));
  }

  printFloat(v: number, verb: string): void {
    switch (verb) {
      case 'v':
        this.fmtFloat(v, 'g', -1);
        return;
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        this.fmtFloat(v, verb, -1);
        return;
      case 'f':
      case 'F':
      case 'e':
      case 'E':
        this.fmtFloat(v, verb, 6);
        return;
      default:
        this.badVerb(verb);
    }
  }

  printInteger(u: bigint, signed: boolean, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.sharpV && !signed) {
          this.sharp = true;
          this.fmtIntegerBase(u, 16, false, 'v', false);
        } else {
          this.fmtIntegerBase(u, 10, signed, verb, false);
        }
        return;
      case 'd':
        this.fmtIntegerBase(u, 10, signed, verb, false);
        return;
      case 'b':
        this.fmtIntegerBase(u, 2, signed, verb, false);
        return;
      case 'o':
      case 'O':
        this.fmtIntegerBase(u, 8, signed, verb, false);
        return;
      case 'x':
        this.fmtIntegerBase(u, 16, signed, verb, false);
        return;
      case 'X':
        this.fmtIntegerBase(u, 16, signed, verb, true);
        return;
      case 'c':
        this.pad(String.fromCodePoint(validRune(u)));
        return;
      case 'q':
        this.pad(quoteRuneLiteral(validRune(u), this.plus));
        return;
      case 'U': {
        const w = BigInt.asUintN(64, u);
        const hex = w.toString(16).toUpperCase();
        let s = `U+${hex.padStart(Math.max(4, this.precPresent ? this.prec : 0), '0')}`;
        if (this.sharp && w <= 0x10ffffn && isPrintRune(Number(w))) s += ` '${String.fromCodePoint(Number(w))}'`;
        const old = this.zero;
        this.zero = false;
        this.pad(s);
        this.zero = old;
        return;
      }
      default:
        this.badVerb(verb);
    }
  }

  printString(s: string, verb: string): void {
    switch (verb) {
      case 'v':
        if (this.sharpV) this.fmtQ(s);
        else this.fmtS(s);
        return;
      case 's':
        this.fmtS(s);
        return;
      case 'x':
        this.fmtSx(Buffer.from(s, 'utf8'), false);
        return;
      case 'X':
        this.fmtSx(Buffer.from(s, 'utf8'), true);
        return;
      case 'q':
        this.fmtQ(s);
        return;
      default:
        this.badVerb(verb);
    }
  }

  printBytes(b: Uint8Array, verb: string, depth: number): void {
    switch (verb) {
      case 'v':
      case 'd': {
        if (this.sharpV) {
          this.buf += '[]byte{';
          b.forEach((x, i) => {
            if (i > 0) this.buf += ', ';
            this.buf += `0x${x.toString(16)}`;
          });
          this.buf += '}';
          return;
        }
        this.buf += '[';
        b.forEach((x, i) => {
          if (i > 0) this.buf += ' ';
          this.fmtIntegerBase(BigInt(x), 10, false, verb, false);
        });
        this.buf += ']';
        return;
      }
      case 's':
        this.fmtS(Buffer.from(b).toString('utf8'));
        return;
      case 'x':
        this.fmtSx(b, false);
        return;
      case 'X':
        this.fmtSx(b, true);
        return;
      case 'q':
        this.fmtQ(Buffer.from(b).toString('utf8'));
        return;
      default:
        this.printValue(
          Array.from(b, (x) => new GoInt('uint8', BigInt(x))),
          verb,
          depth,
        );
    }
  }
}

function validRune(u: bigint): number {
  if (u < 0n || u > 0x10ffffn || (u >= 0xd800n && u <= 0xdfffn)) return 0xfffd;
  return Number(u);
}

function sharpFloat(num: string, verb: string, prec: number): string {
  // A port of the `f.sharp && verb != 'b'` branch of Go's fmt.fmtFloat.
  let digits = 0;
  if (verb === 'v' || verb === 'g' || verb === 'G' || verb === 'x') {
    digits = prec;
    if (digits === -1) digits = 6;
  }
  let tail = '';
  let body = num;
  let hasPoint = false;
  let sawNonzero = false;
  for (let i = 1; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '.') {
      hasPoint = true;
      continue;
    }
    if (c === 'p' || c === 'P' || ((c === 'e' || c === 'E') && verb !== 'x' && verb !== 'X')) {
      tail = body.slice(i);
      body = body.slice(0, i);
      break;
    }
    if (c !== '0') sawNonzero = true;
    if (sawNonzero) digits--;
  }
  if (!hasPoint) {
    if (body.length === 2 && body[1] === '0') digits--;
    body += '.';
  }
  while (digits > 0) {
    body += '0';
    digits--;
  }
  return body + tail;
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Go compares strings bytewise (UTF-8); for map key order that matches code point order. */
function compareGoStrings(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
}

function parseNum(s: string, start: number, end: number): { num: number; ok: boolean; next: number } {
  if (start >= end) return { num: 0, ok: false, next: end };
  let num = 0;
  let ok = false;
  let i = start;
  for (; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    if (num > MAX_NUM || num < -MAX_NUM) return { num: 0, ok: false, next: end };
    num = num * 10 + (c - 48);
    ok = true;
  }
  return { num, ok, next: i };
}

function parseArgNumber(s: string): { index: number; wid: number; ok: boolean } {
  if (s.length < 3) return { index: 0, wid: 1, ok: false };
  for (let i = 1; i < s.length; i++) {
    if (s[i] === ']') {
      const r = parseNum(s, 1, i);
      if (!r.ok || r.next !== i) return { index: 0, wid: i + 1, ok: false };
      return { index: r.num - 1, wid: i + 1, ok: true };
    }
  }
  return { index: 0, wid: 1, ok: false };
}

function intFromArg(a: readonly unknown[], argNum: number): { num: number; isInt: boolean; next: number } {
  let num = 0;
  let isInt = false;
  let next = argNum;
  if (argNum < a.length) {
    const v = a[argNum];
    if (typeof v === 'bigint' || v instanceof GoInt) {
      const n = intValue(v);
      if (n >= -(2n ** 63n) && n < 2n ** 63n) {
        num = Number(n);
        isInt = true;
      }
    }
    next = argNum + 1;
    if (num > MAX_NUM || num < -MAX_NUM) {
      num = 0;
      isInt = false;
    }
  }
  return { num, isInt, next };
}

/** Sprintf formats like Go's fmt.Sprintf. */
export function sprintf(format: string, ...args: unknown[]): string {
  const p = new Printer();
  const end = format.length;
  let argNum = 0;
  let afterIndex = false;
  p.reordered = false;

  const argNumber = (i: number): { argNum: number; i: number; found: boolean } => {
    if (end <= i || format[i] !== '[') return { argNum, i, found: false };
    p.reordered = true;
    const r = parseArgNumber(format.slice(i));
    if (r.ok && r.index >= 0 && r.index < args.length) return { argNum: r.index, i: i + r.wid, found: true };
    p.goodArgNum = false;
    return { argNum, i: i + r.wid, found: r.ok };
  };

  let i = 0;
  formatLoop: while (i < end) {
    p.goodArgNum = true;
    const lasti = i;
    while (i < end && format[i] !== '%') i++;
    if (i > lasti) p.buf += format.slice(lasti, i);
    if (i >= end) break;
    i++;
    p.clearFlags();
    simple: for (; i < end; i++) {
      const c = format[i] as string;
      switch (c) {
        case '#':
          p.sharp = true;
          break;
        case '0':
          p.zero = true;
          break;
        case '+':
          p.plus = true;
          break;
        case '-':
          p.minus = true;
          break;
        case ' ':
          p.space = true;
          break;
        default:
          if (c >= 'a' && c <= 'z' && argNum < args.length) {
            if (c === 'v') {
              p.sharpV = p.sharp;
              p.sharp = false;
              p.plusV = p.plus;
              p.plus = false;
            }
            p.printArg(args[argNum], c);
            argNum++;
            i++;
            continue formatLoop;
          }
          break simple;
      }
    }

    let r = argNumber(i);
    argNum = r.argNum;
    i = r.i;
    afterIndex = r.found;

    if (i < end && format[i] === '*') {
      i++;
      const w = intFromArg(args, argNum);
      p.wid = w.num;
      p.widPresent = w.isInt;
      argNum = w.next;
      if (!p.widPresent) p.buf += '%!(BADWIDTH)';
      if (p.wid < 0) {
        p.wid = -p.wid;
        p.minus = true;
        p.zero = false;
      }
      afterIndex = false;
    } else {
      const w = parseNum(format, i, end);
      p.wid = w.num;
      p.widPresent = w.ok;
      i = w.next;
      if (afterIndex && p.widPresent) p.goodArgNum = false;
    }

    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) p.goodArgNum = false;
      r = argNumber(i);
      argNum = r.argNum;
      i = r.i;
      afterIndex = r.found;
      if (i < end && format[i] === '*') {
        i++;
        const w = intFromArg(args, argNum);
        p.prec = w.num;
        p.precPresent = w.isInt;
        argNum = w.next;
        if (p.prec < 0) {
          p.prec = 0;
          p.precPresent = false;
        }
        if (!p.precPresent) p.buf += '%!(BADPREC)';
        afterIndex = false;
      } else {
        const w = parseNum(format, i, end);
        p.prec = w.num;
        p.precPresent = w.ok;
        i = w.next;
        if (!p.precPresent) {
          p.prec = 0;
          p.precPresent = true;
        }
      }
    }

    if (!afterIndex) {
      r = argNumber(i);
      argNum = r.argNum;
      i = r.i;
      afterIndex = r.found;
    }

    if (i >= end) {
      p.buf += '%!(NOVERB)';
      break;
    }

    const cp = format.codePointAt(i) ?? 0;
    const verb = String.fromCodePoint(cp);
    i += verb.length;

    if (verb === '%') {
      p.buf += '%';
    } else if (!p.goodArgNum) {
      p.buf += `%!${verb}(BADINDEX)`;
    } else if (argNum >= args.length) {
      p.buf += `%!${verb}(MISSING)`;
    } else {
      if (verb === 'v') {
        p.sharpV = p.sharp;
        p.sharp = false;
        p.plusV = p.plus;
        p.plus = false;
      }
      p.printArg(args[argNum], verb);
      argNum++;
    }
  }

  if (!p.reordered && argNum < args.length) {
    p.clearFlags();
    p.buf += '%!(EXTRA ';
    args.slice(argNum).forEach((arg, k) => {
      if (k > 0) p.buf += ', ';
      const t = goTypeName(arg);
      if (t === undefined) {
        p.buf += '<nil>';
      } else {
        p.buf += `${t}=`;
        p.printArg(arg, 'v');
      }
    });
    p.buf += ')';
  }
  return p.buf;
}

/** Sprint is Go's fmt.Sprint: operands joined, with spaces between operands when neither is a string. */
export function sprint(...args: unknown[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((arg, n) => {
    const isString = typeof arg === 'string';
    if (n > 0 && !isString && !prevString) p.buf += ' ';
    p.printArg(arg, 'v');
    prevString = isString;
  });
  return p.buf;
}

/** Sprintln is Go's fmt.Sprintln: spaces between all operands and a trailing newline. */
export function sprintln(...args: unknown[]): string {
  const p = new Printer();
  args.forEach((arg, n) => {
    if (n > 0) p.buf += ' ';
    p.printArg(arg, 'v');
  });
  return `${p.buf}\n`;
}
