import { TrellisError } from '@trellis/sdk';

/**
 * A small tar reader and writer of our own: the writer is deterministic (ustar, mode 0644, uid 0,
 * mtime 0, entries in the order given, PAX records only for long names), and the reader is strict
 * about what an untrusted package may contain.
 */

/** A TarEntry is one regular file to write. */
export interface TarEntry {
  name: string;
  data: Uint8Array;
  /** Mode defaults to 0o644. */
  mode?: number;
}

const block = 512;

/** WriteTar writes regular files as a ustar archive ending with two zero blocks. */
export function writeTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const nameBytes = Buffer.from(e.name, 'utf8');
    let name = e.name;
    if (nameBytes.length > 100) {
      const rec = paxRecord('path', e.name);
      parts.push(header({ name: 'PaxHeaders/entry', size: rec.length, type: 'x', mode: 0o644 }), pad(rec));
      name = e.name.slice(0, 99).replace(/[^\x20-\x7e]/g, '_');
    }
    parts.push(header({ name, size: e.data.length, type: '0', mode: e.mode ?? 0o644 }), pad(Buffer.from(e.data)));
  }
  parts.push(Buffer.alloc(block * 2));
  return Buffer.concat(parts);
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return Buffer.from(`${len}${body}`, 'utf8');
}

function pad(b: Buffer): Buffer {
  const rem = b.length % block;
  return rem === 0 ? b : Buffer.concat([b, Buffer.alloc(block - rem)]);
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(h: { name: string; size: number; type: string; mode: number }): Buffer {
  const b = Buffer.alloc(block);
  b.write(h.name, 0, 100, 'utf8');
  b.write(octal(h.mode, 8), 100, 'ascii');
  b.write(octal(0, 8), 108, 'ascii');
  b.write(octal(0, 8), 116, 'ascii');
  b.write(octal(h.size, 12), 124, 'ascii');
  b.write(octal(0, 12), 136, 'ascii');
  b.write('        ', 148, 'ascii');
  b.write(h.type, 156, 'ascii');
  b.write('ustar\0', 257, 'ascii');
  b.write('00', 263, 'ascii');
  b.write(octal(0, 8), 329, 'ascii');
  b.write(octal(0, 8), 337, 'ascii');
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return b;
}

/** The kinds of tar entry the reader reports. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo' | 'other';

/** A ReadEntry is one entry of a tar archive as read. */
export interface ReadEntry {
  name: string;
  type: TarEntryType;
  size: number;
  linkname: string;
  /** Data is set for regular files only. */
  data?: Buffer;
}

/** ReadLimits bound what the reader accepts. */
export interface ReadLimits {
  /** MaxEntries in one archive. */
  maxEntries?: number;
  /** MaxEntrySize of one file. */
  maxEntrySize?: number;
  /**
   * Strict rejects anything but regular files and directories with safe relative paths: absolute
   * paths, `..` components, symlinks, hard links and devices are errors (`XPKG_UNSAFE_TAR`).
   */
  strict?: boolean;
  /** What names the archive in messages (`layer sha256:…`). */
  what?: string;
}

/** ReadTar parses an archive held in memory. Truncated or malformed archives are `XPKG_BAD_TAR`. */
export function readTar(buf: Buffer, limits: ReadLimits = {}): ReadEntry[] {
  const what = limits.what ?? 'archive';
  const maxEntries = limits.maxEntries ?? 100_000;
  const out: ReadEntry[] = [];
  let off = 0;
  let paxPath: string | undefined;
  let paxLink: string | undefined;
  let gnuLong: string | undefined;
  let gnuLink: string | undefined;
  while (off + block <= buf.length) {
    const h = buf.subarray(off, off + block);
    if (h.every((x) => x === 0)) break;
    if (!checksumOk(h)) throw new TrellisError('XPKG_BAD_TAR', `${what}: bad tar header checksum at offset ${off}`);
    const size = parseNumber(h.subarray(124, 136));
    if (size === undefined || size < 0) throw new TrellisError('XPKG_BAD_TAR', `${what}: bad size field at offset ${off}`);
    const typeflag = String.fromCharCode(h[156] ?? 0);
    const dataStart = off + block;
    const dataEnd = dataStart + size;
    if (dataEnd > buf.length) throw new TrellisError('XPKG_BAD_TAR', `${what}: truncated (entry at offset ${off} wants ${size} bytes)`);
    const data = buf.subarray(dataStart, dataEnd);
    off = dataStart + Math.ceil(size / block) * block;
    if (off > buf.length)
      throw new TrellisError('XPKG_BAD_TAR', `${what}: truncated (entry at offset ${dataStart - block} is not padded to a block)`);
    if (typeflag === 'x') {
      const rec = parsePax(data, what);
      paxPath = rec.path ?? paxPath;
      paxLink = rec.linkpath ?? paxLink;
      continue;
    }
    if (typeflag === 'g') continue;
    if (typeflag === 'L') {
      gnuLong = cstr(data);
      continue;
    }
    if (typeflag === 'K') {
      gnuLink = cstr(data);
      continue;
    }
    const prefix = h.subarray(257, 263).toString('latin1') === 'ustar\0' ? cstr(h.subarray(345, 500)) : '';
    const baseName = cstr(h.subarray(0, 100));
    const name = paxPath ?? gnuLong ?? (prefix === '' ? baseName : `${prefix}/${baseName}`);
    const linkname = paxLink ?? gnuLink ?? cstr(h.subarray(157, 257));
    paxPath = paxLink = gnuLong = gnuLink = undefined;
    const type = entryType(typeflag, name);
    if (out.length >= maxEntries) throw new TrellisError('XPKG_TOO_LARGE', `${what}: more than ${maxEntries} entries`);
    if (limits.strict === true) checkSafe(name, type, linkname, what);
    if (type === 'file' && limits.maxEntrySize !== undefined && size > limits.maxEntrySize) {
      throw new TrellisError('XPKG_TOO_LARGE', `${what}: entry "${name}" is ${size} bytes, more than the limit of ${limits.maxEntrySize}`);
    }
    const e: ReadEntry = { name, type, size, linkname };
    if (type === 'file') e.data = data;
    out.push(e);
  }
  return out;
}

function entryType(flag: string, name: string): TarEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return name.endsWith('/') ? 'directory' : 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    case '3':
      return 'char-device';
    case '4':
      return 'block-device';
    case '6':
      return 'fifo';
    default:
      return 'other';
  }
}

/** CheckSafe throws `XPKG_UNSAFE_TAR` for an entry a package must never contain. */
export function checkSafe(name: string, type: TarEntryType, linkname: string, what: string): void {
  const unsafe = (why: string): TrellisError =>
    new TrellisError('XPKG_UNSAFE_TAR', `${what}: refusing entry "${name}": ${why}`, { details: { entry: name, type } });
  if (name.startsWith('/')) throw unsafe('absolute path');
  if (/^[A-Za-z]:[\\/]/.test(name) || name.includes('\\')) throw unsafe('Windows path');
  if (name.split('/').includes('..')) throw unsafe('path traversal ("..")');
  if (name.includes('\0')) throw unsafe('NUL in name');
  if (type === 'symlink') throw unsafe(`symbolic link (to "${linkname}")`);
  if (type === 'hardlink') throw unsafe(`hard link (to "${linkname}")`);
  if (type === 'char-device' || type === 'block-device') throw unsafe('device file');
  if (type === 'fifo') throw unsafe('named pipe');
  if (type === 'other') throw unsafe('unsupported entry type');
}

function checksumOk(h: Buffer): boolean {
  const want = parseNumber(h.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
  return want === sum;
}

function parseNumber(field: Buffer): number | undefined {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    // base-256 (GNU) encoding for large values
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const s = field
    .toString('latin1')
    .replace(/[\0 ]+$/g, '')
    .replace(/^[ ]+/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return undefined;
  return Number.parseInt(s, 8);
}

function cstr(b: Buffer): string {
  const i = b.indexOf(0);
  return b.subarray(0, i < 0 ? b.length : i).toString('utf8');
}

function parsePax(data: Buffer, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number.parseInt(data.subarray(off, sp).toString('ascii'), 10);
    if (!Number.isSafeInteger(len) || len <= 0 || off + len > data.length)
      throw new TrellisError('XPKG_BAD_TAR', `${what}: malformed PAX header`);
    const rec = data.subarray(sp + 1, off + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    off += len;
  }
  return out;
}
