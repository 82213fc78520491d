// Go's net/netip parsing, formatting and classification, as the Kubernetes CEL IP and CIDR
// libraries use it (netip.ParseAddr / ParsePrefix are strict: no leading zeros, no sloppy forms).

/** Addr is an IPv4 (4 bytes) or IPv6 (16 bytes) address with an optional zone. */
export interface Addr {
  bytes: readonly number[];
  zone: string;
}

/** Prefix is an address and a prefix length (the address keeps its host bits, as in Go). */
export interface Prefix {
  addr: Addr;
  bits: number;
}

export class NetipError extends Error {
  override name = 'NetipError';
}

function parseV4(s: string, whole: string): number[] {
  const fields = s.split('.');
  if (fields.length < 4) throw new NetipError(`ParseAddr(${JSON.stringify(whole)}): IPv4 address too short`);
  if (fields.length > 4) throw new NetipError(`ParseAddr(${JSON.stringify(whole)}): IPv4 address too long`);
  return fields.map((f) => {
    if (f === '') throw new NetipError(`ParseAddr(${JSON.stringify(whole)}): IPv4 field must have at least one digit`);
    if (!/^[0-9]+$/.test(f)) throw new NetipError(`ParseAddr(${JSON.stringify(whole)}): unexpected character`);
    if (f.length > 1 && f[0] === '0') throw new NetipError(`ParseAddr(${JSON.stringify(whole)}): IPv4 field has octet with leading zero`);
    const n = Number(f);
    if (n > 255) throw new NetipError(`ParseAddr(${JSON.stringify(whole)}): IPv4 field has value >255`);
    return n;
  });
}

function parseV6(s: string, whole: string): number[] {
  const bad = (why: string): NetipError => new NetipError(`ParseAddr(${JSON.stringify(whole)}): ${why}`);
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) throw bad('multiple :: in address');
  const groups = (part: string, last: boolean): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    const gs = part.split(':');
    for (let i = 0; i < gs.length; i++) {
      const g = gs[i] ?? '';
      if (last && i === gs.length - 1 && g.includes('.')) {
        out.push(...parseV4(g, whole));
        continue;
      }
      if (g === '') throw bad('unexpected character, want colon');
      if (!/^[0-9a-fA-F]+$/.test(g)) throw bad('unexpected character');
      if (g.length > 4) throw bad('each colon-separated field must have at most 4 hex digits');
      const n = Number.parseInt(g, 16);
      out.push(n >> 8, n & 0xff);
    }
    return out;
  };
  if (dbl === -1) {
    const b = groups(s, true);
    if (b.length !== 16) throw bad('address string too short');
    return b;
  }
  const head = groups(s.slice(0, dbl), false);
  const tail = groups(s.slice(dbl + 2), true);
  if (head.length + tail.length > 14) throw bad('address string too long');
  return [...head, ...new Array<number>(16 - head.length - tail.length).fill(0), ...tail];
}

/** ParseAddr is netip.ParseAddr. */
export function parseAddr(s: string): Addr {
  if (s === '') throw new NetipError('ParseAddr(""): unable to parse IP');
  if (s.includes(':')) {
    const z = s.indexOf('%');
    const zone = z === -1 ? '' : s.slice(z + 1);
    if (z !== -1 && zone === '') throw new NetipError(`ParseAddr(${JSON.stringify(s)}): zone must be a non-empty string`);
    return { bytes: parseV6(z === -1 ? s : s.slice(0, z), s), zone };
  }
  if (s.includes('.')) return { bytes: parseV4(s, s), zone: '' };
  throw new NetipError(`ParseAddr(${JSON.stringify(s)}): unable to parse IP`);
}

/** ParsePrefix is netip.ParsePrefix. */
export function parsePrefix(s: string): Prefix {
  const i = s.lastIndexOf('/');
  if (i === -1) throw new NetipError(`netip.ParsePrefix(${JSON.stringify(s)}): no '/'`);
  const addrPart = s.slice(0, i);
  const bitsPart = s.slice(i + 1);
  let addr: Addr;
  try {
    addr = parseAddr(addrPart);
  } catch (e) {
    throw new NetipError(`netip.ParsePrefix(${JSON.stringify(s)}): ${e instanceof Error ? e.message : String(e)}`);
  }
  if (addr.zone !== '') throw new NetipError(`netip.ParsePrefix(${JSON.stringify(s)}): IPv6 zones cannot be present in a prefix`);
  if (!/^[0-9]+$/.test(bitsPart) || (bitsPart.length > 1 && bitsPart[0] === '0')) {
    throw new NetipError(`netip.ParsePrefix(${JSON.stringify(s)}): bad bits after slash: ${JSON.stringify(bitsPart)}`);
  }
  const bits = Number(bitsPart);
  if (bits > addr.bytes.length * 8) throw new NetipError(`netip.ParsePrefix(${JSON.stringify(s)}): prefix length out of range`);
  return { addr, bits };
}

/** Is4In6 reports an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
export function is4In6(a: Addr): boolean {
  if (a.bytes.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (a.bytes[i] !== 0) return false;
  return a.bytes[10] === 0xff && a.bytes[11] === 0xff;
}

/** AddrString is Addr.String (RFC 5952 for IPv6). */
export function addrString(a: Addr): string {
  const b = a.bytes;
  if (b.length === 4) return b.join('.');
  if (is4In6(a)) return `::ffff:${b.slice(12).join('.')}${a.zone === '' ? '' : `%${a.zone}`}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  // The longest run of two or more zero groups (the first on a tie) becomes "::".
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += (groups[i] ?? 0).toString(16);
  }
  return a.zone === '' ? out : `${out}%${a.zone}`;
}

export function prefixString(p: Prefix): string {
  return `${addrString(p.addr)}/${p.bits}`;
}

export function isLoopback(a: Addr): boolean {
  const b = a.bytes;
  if (b.length === 4) return b[0] === 127;
  return b.slice(0, 15).every((x) => x === 0) && b[15] === 1;
}

export function isUnspecified(a: Addr): boolean {
  return a.bytes.every((x) => x === 0);
}

export function isLinkLocalUnicast(a: Addr): boolean {
  const b = a.bytes;
  if (b.length === 4) return b[0] === 169 && b[1] === 254;
  return b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80;
}

export function isLinkLocalMulticast(a: Addr): boolean {
  const b = a.bytes;
  if (b.length === 4) return b[0] === 224 && b[1] === 0 && b[2] === 0;
  return b[0] === 0xff && ((b[1] ?? 0) & 0x0f) === 0x02;
}

function isMulticast(a: Addr): boolean {
  const b = a.bytes;
  if (b.length === 4) return ((b[0] ?? 0) & 0xf0) === 0xe0;
  return b[0] === 0xff;
}

export function isGlobalUnicast(a: Addr): boolean {
  const b = a.bytes;
  if (b.length === 4 && (b.every((x) => x === 0) || b.every((x) => x === 255))) return false;
  return !isUnspecified(a) && !isLoopback(a) && !isMulticast(a) && !isLinkLocalUnicast(a);
}

function prefixBitsEqual(x: readonly number[], y: readonly number[], bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if (((x[byte] ?? 0) & mask) !== ((y[byte] ?? 0) & mask)) return false;
  }
  return true;
}

/** PrefixContains is Prefix.Contains: same family, network bits equal. */
export function prefixContains(p: Prefix, a: Addr): boolean {
  if (a.zone !== '' || p.addr.bytes.length !== a.bytes.length) return false;
  return prefixBitsEqual(p.addr.bytes, a.bytes, p.bits);
}

/** PrefixOverlaps is Prefix.Overlaps. */
export function prefixOverlaps(p: Prefix, o: Prefix): boolean {
  if (p.addr.bytes.length !== o.addr.bytes.length) return false;
  return prefixBitsEqual(p.addr.bytes, o.addr.bytes, Math.min(p.bits, o.bits));
}

/** PrefixMasked is Prefix.Masked: host bits cleared. */
export function prefixMasked(p: Prefix): Prefix {
  const bytes = p.addr.bytes.map((x, i) => {
    const keep = Math.max(0, Math.min(8, p.bits - i * 8));
    return x & ((0xff << (8 - keep)) & 0xff);
  });
  return { addr: { bytes, zone: '' }, bits: p.bits };
}
