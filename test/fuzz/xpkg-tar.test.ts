// Fuzzing the xpkg readers: the tar reader (layers and .xpkg files), the .xpkg file reader and the
// package.yaml extraction from a layer (gzip, tar, the base-layer rules). Every input either reads
// or fails with a TrellisError (code + one-line message), never a crash; strict mode never returns
// an unsafe entry (absolute path, `..`, link, device); what writeTar wrote reads back unchanged.
// Inputs: random bytes, tar headers built field by field (valid checksum, hostile fields), and
// byte-level mutations of real archives and of a real package built from the repository's fixture.

import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  buildPackage,
  extractPackageStream,
  type Image,
  type Manifest,
  readTar,
  readXpkgFile,
  writeTar,
  writeXpkgFile,
  XpkgAnnotation,
} from '@trellis/xpkg';
import * as fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { check, editsArb, fuzzParams, mutate, outcome } from './support.ts';

const Block = 512;

/** Header builds one ustar header with the given raw fields and a correct checksum. */
function header(f: { name: Buffer; mode: string; size: string; type: string; link: Buffer; prefix: Buffer; magic: string }): Buffer {
  const h = Buffer.alloc(Block, 0);
  f.name.copy(h, 0, 0, 100);
  h.write(f.mode.slice(0, 8), 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  Buffer.from(f.size, 'latin1').copy(h, 124, 0, 12);
  h.write('00000000000\0', 136, 'latin1');
  h.write(f.type.slice(0, 1), 156, 'latin1');
  f.link.copy(h, 157, 0, 100);
  h.write(f.magic.slice(0, 8), 257, 'latin1');
  f.prefix.copy(h, 345, 0, 155);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

const pathPiece = fc.constantFrom(
  'a',
  'package.yaml',
  '..',
  '.',
  '',
  '/',
  '/etc/passwd',
  'x/../../y',
  '.wh.package.yaml',
  'ü',
  'a'.repeat(120),
  '\0',
  '\\',
);
const nameArb = fc.array(pathPiece, { maxLength: 5 }).map((p) => Buffer.from(p.join('/'), 'utf8'));
const sizeArb = fc.oneof(
  fc.nat(4096).map((n) => `${n.toString(8).padStart(11, '0')}\0`),
  fc.constantFrom(
    '77777777777\0',
    '\x80\0\0\0\0\0\0\0\0\0\x10\0',
    '\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff',
    '-1',
    ' 12 ',
    'zz',
    '',
  ),
  fc.string({ maxLength: 12 }),
);
const typeArb = fc.constantFrom('0', '\0', '1', '2', '3', '4', '5', '6', '7', 'x', 'g', 'L', 'K', 'S', 'V', 'Z');
const entryArb = fc.record({
  name: nameArb,
  mode: fc.constantFrom('0000644\0', '0000755\0', '7777777\0', 'garbage!'),
  size: sizeArb,
  type: typeArb,
  link: nameArb,
  prefix: fc.oneof(fc.constant(Buffer.alloc(0)), nameArb),
  magic: fc.constantFrom('ustar\x0000', 'ustar  \0', 'nope'),
  data: fc.uint8Array({ maxLength: 1500 }),
});

type HeaderEntry = typeof entryArb extends fc.Arbitrary<infer T> ? T : never;

function archive(entries: HeaderEntry[], trailer: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(header(e));
    const d = Buffer.from(e.data);
    parts.push(d, Buffer.alloc((Block - (d.length % Block)) % Block));
  }
  if (trailer) parts.push(Buffer.alloc(Block * 2));
  return Buffer.concat(parts);
}

/** Unsafe reports an entry strict mode must never return. */
function unsafe(e: { name: string; type: string }): boolean {
  const parts = e.name.split('/');
  return e.name.startsWith('/') || parts.includes('..') || (e.type !== 'file' && e.type !== 'directory');
}

function checkRead(buf: Buffer): void {
  const strict = outcome('readTar (strict)', () => readTar(buf, { strict: true, what: 'fuzz archive', maxEntries: 1000 }));
  if (strict.ok) for (const e of strict.value) expect(unsafe(e), `strict mode returned ${JSON.stringify(e.name)} (${e.type})`).toBe(false);
  outcome('readTar', () => readTar(buf, { what: 'fuzz archive', maxEntries: 1000 }));
}

let image: Image;
let xpkgFile: Buffer;

beforeAll(async () => {
  const built = await buildPackage({ packageRoot: resolve(import.meta.dirname, '..', 'fixtures', 'xpkg', 'configuration-simple') });
  const first = built.images[0];
  if (first === undefined) throw new Error('the fixture package built no image');
  image = first;
  xpkgFile = writeXpkgFile(image);
});

describe('fuzz: xpkg tar and package readers', () => {
  it('reads or refuses random bytes', () => {
    check(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => checkRead(Buffer.from(b))),
      fuzzParams(0x7a401, 300),
    );
  });

  it('reads or refuses archives built from hostile headers (valid checksums), and strict mode returns nothing unsafe', () => {
    check(
      fc.property(fc.array(entryArb, { maxLength: 6 }), fc.boolean(), (entries, trailer) => checkRead(archive(entries, trailer))),
      fuzzParams(0x7a402, 1500),
    );
  });

  it('reads back what writeTar wrote (long names through PAX), and refuses its mutations cleanly', () => {
    const file = fc.record({
      name: fc
        .array(
          fc.stringMatching(/^[a-zA-Z0-9._-]{1,40}$/).filter((s) => s !== '.' && s !== '..'),
          { minLength: 1, maxLength: 6 },
        )
        .map((p) => p.join('/')),
      data: fc.uint8Array({ maxLength: 2000 }),
    });
    check(
      fc.property(fc.uniqueArray(file, { selector: (f) => f.name, maxLength: 5 }), editsArb(fc), (files, edits) => {
        const tar = writeTar(files.map((f) => ({ name: f.name, data: Buffer.from(f.data) })));
        const back = readTar(tar, { strict: true });
        expect(back.filter((e) => e.type === 'file').map((e) => [e.name, Buffer.from(e.data ?? []).toString('hex')])).toEqual(
          files.map((f) => [f.name, Buffer.from(f.data).toString('hex')]),
        );
        checkRead(mutate(tar, edits));
      }),
      fuzzParams(0x7a403, 800),
    );
  });

  it('reads or refuses mutated .xpkg files (gzipped and not)', () => {
    check(
      fc.property(editsArb(fc, 8), fc.boolean(), (edits, gz) => {
        const buf = mutate(gz ? gzipSync(xpkgFile) : xpkgFile, edits);
        outcome('readXpkgFile', () => readXpkgFile(buf, 'fuzz.xpkg', { maxBytes: 8 << 20 }));
      }),
      fuzzParams(0x7a404, 800),
    );
  });

  it('extracts package.yaml or refuses cleanly when the base layer is mutated', async () => {
    const base = image.layers.find((l) => l.annotations?.[XpkgAnnotation.Key] === XpkgAnnotation.Base) ?? image.layers[0];
    if (base === undefined) throw new Error('the fixture image has no layers');
    const manifest: Manifest = image.manifest;
    await fc.assert(
      fc.asyncProperty(editsArb(fc, 8), fc.boolean(), async (edits, gunzipped) => {
        const { gunzipSync } = await import('node:zlib');
        const data = mutate(gunzipped ? gunzipSync(base.data) : base.data, edits);
        try {
          await extractPackageStream(manifest, async () => data, { maxUncompressedBytes: 8 << 20, maxStreamBytes: 4 << 20 });
        } catch (err) {
          outcome('extractPackageStream', () => {
            throw err;
          });
        }
      }),
      fuzzParams(0x7a405, 800),
    );
  });
});
