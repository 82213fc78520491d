import { chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { hasCode } from '@trellis/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePackageStream } from '../meta/parse.ts';
import { type Manifest, MediaType, sha256, XpkgAnnotation } from '../oci/media.ts';
import { buildPackage, globToRegExp } from './build.ts';
import { extractPackageStream } from './extract.ts';
import { type Image, readXpkgFile, writeXpkgFile } from './image.ts';
import { readTar, writeTar } from './tar.ts';

const dirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'trellis-xpkg-build-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const meta = `apiVersion: meta.pkg.crossplane.io/v1
kind: Configuration
metadata:
  name: demo
spec:
  dependsOn:
  - provider: xpkg.crossplane.io/crossplane-contrib/provider-nop
    version: ">=v0.2.1"
`;
const xrd = `apiVersion: apiextensions.crossplane.io/v2
kind: CompositeResourceDefinition
metadata:
  name: xdbs.example.org
spec:
  group: example.org
  names: {kind: XDB, plural: xdbs}
`;
const comp = `apiVersion: apiextensions.crossplane.io/v1
kind: Composition
metadata:
  name: xdbs
spec:
  compositeTypeRef: {apiVersion: example.org/v1, kind: XDB}
`;

async function writePackage(dir: string, order: 'a' | 'b', mode = 0o644): Promise<void> {
  const files: [string, string][] = [
    ['crossplane.yaml', meta],
    ['apis/xrd.yaml', xrd],
    ['apis/composition.yaml', comp],
    ['examples/xr.yaml', 'apiVersion: example.org/v1\nkind: XDB\nmetadata: {name: x}\n'],
    ['empty.yaml', ''],
    ['README.md', '# not yaml'],
  ];
  if (order === 'b') files.reverse();
  for (const [f, c] of files) {
    await mkdir(join(dir, f, '..'), { recursive: true });
    await writeFile(join(dir, f), c);
    await chmod(join(dir, f), mode);
    await utimes(join(dir, f), order === 'a' ? 1000 : 2_000_000, order === 'a' ? 1000 : 2_000_000);
  }
}

async function readBlob(img: Image) {
  return async (d: { digest: string }) => {
    const l = [...img.layers, img.config].find((x) => x.digest === d.digest);
    if (l === undefined) throw new Error(`no blob ${d.digest}`);
    return l.data;
  };
}

describe('buildPackage', () => {
  it('is deterministic: same input in another order, with other mtimes and modes, gives the same digest', async () => {
    const a = await tmp();
    const b = await tmp();
    await writePackage(a, 'a', 0o644);
    await writePackage(b, 'b', 0o664);
    const ra = await buildPackage({ packageRoot: a });
    const rb = await buildPackage({ packageRoot: b });
    expect(ra.artifact.digest).toBe(rb.artifact.digest);
    expect(ra.artifact.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
  });

  it('writes the meta first, annotates the base and examples layers, and labels the config', async () => {
    const d = await tmp();
    await writePackage(d, 'b');
    const r = await buildPackage({ packageRoot: d });
    expect(r.artifact.kind).toBe('image');
    const img = r.artifact as Image;
    expect(r.packageYaml.startsWith('---\napiVersion: meta.pkg.crossplane.io/v1\n')).toBe(true);
    expect(parsePackageStream(r.packageYaml).objects.map((o) => o.object.kind)).toEqual(['Composition', 'CompositeResourceDefinition']);
    expect(img.manifest.layers.map((l) => l.annotations?.[XpkgAnnotation.Key])).toEqual(['base', 'upbound']);
    expect(img.manifest.mediaType).toBe(MediaType.OciManifest);
    const labels = img.configFile.config?.Labels ?? {};
    expect(labels[`io.crossplane.xpkg:${img.layers[0]?.digest}`]).toBe('base');
    const base = readTar(require_gunzip(img.layers[0]?.data));
    expect(base.map((e) => [e.name, e.type])).toEqual([['package.yaml', 'file']]);
    const ex = readTar(require_gunzip(img.layers[1]?.data));
    expect(ex.map((e) => e.name)).toEqual(['.up/examples.yaml']);
    expect(await extractPackageStream(img.manifest, await readBlob(img))).toBe(r.packageYaml);
    expect(sha256(img.manifestBytes)).toBe(img.digest);
  });

  it('builds an image index for several platforms', async () => {
    const d = await tmp();
    await writePackage(d, 'a');
    const r = await buildPackage({
      packageRoot: d,
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64' },
      ],
    });
    expect(r.artifact.kind).toBe('index');
    if (r.artifact.kind !== 'index') return;
    expect(r.artifact.index.manifests.map((m) => m.platform?.architecture)).toEqual(['amd64', 'arm64']);
    expect(new Set(r.images.map((i) => i.digest)).size).toBe(2);
    expect(r.images[0]?.layers[0]?.digest).toBe(r.images[1]?.layers[0]?.digest);
  });

  it('ignores files by glob', async () => {
    const d = await tmp();
    await writePackage(d, 'a');
    await mkdir(join(d, '.github/workflows'), { recursive: true });
    await writeFile(join(d, '.github/workflows/ci.yaml'), 'on: push\njobs: {}\n');
    await expect(buildPackage({ packageRoot: d })).rejects.toSatisfy((e) => hasCode(e, 'XPKG_PARSE'));
    const r = await buildPackage({ packageRoot: d, ignore: ['.github/**'] });
    expect(r.meta.name).toBe('demo');
  });

  it('fails lint with every error named', async () => {
    const d = await tmp();
    await writeFile(join(d, 'crossplane.yaml'), meta.replace('>=v0.2.1', '>= banana'));
    await writeFile(join(d, 'crd.yaml'), 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a.b}\n');
    const err = await buildPackage({ packageRoot: d }).catch((e: unknown) => e);
    expect(hasCode(err, 'XPKG_LINT_FAILED')).toBe(true);
    expect(String(err)).toContain('2 errors');
    expect(String(err)).toContain('crossplane.yaml: document 0: spec.dependsOn[0].version');
    expect(String(err)).toContain('crd.yaml: document 0: kind: a Configuration package cannot carry');
  });

  it('round-trips through the .xpkg file format with the same manifest digest', async () => {
    const d = await tmp();
    await writePackage(d, 'a');
    const r = await buildPackage({ packageRoot: d });
    const img = r.artifact as Image;
    const file = writeXpkgFile(img);
    const names = readTar(file).map((e) => e.name);
    expect(names).toEqual([img.config.digest, ...img.layers.map((l) => `${l.digest.slice(7)}.tar.gz`), 'manifest.json']);
    const back = readXpkgFile(file);
    expect(back.digest).toBe(img.digest);
    expect(back.manifestBytes.equals(img.manifestBytes)).toBe(true);
    const docker = readXpkgFile(file, 'x.xpkg', { flavour: 'docker' });
    expect(docker.manifest.mediaType).toBe(MediaType.DockerManifest);
    expect(docker.manifest.layers[0]?.annotations?.[XpkgAnnotation.Key]).toBe('base');
  });

  it('detects a tampered .xpkg file', async () => {
    const d = await tmp();
    await writePackage(d, 'a');
    const img = (await buildPackage({ packageRoot: d })).artifact as Image;
    const entries = readTar(writeXpkgFile(img));
    const bad = writeTar(
      entries.map((e) => ({ name: e.name, data: e.name.endsWith('.tar.gz') ? Buffer.from('tampered') : (e.data ?? Buffer.alloc(0)) })),
    );
    expect(() => readXpkgFile(bad)).toThrowError(/digest/);
  });
});

function require_gunzip(b: Buffer | undefined): Buffer {
  return gunzipSync(b ?? Buffer.alloc(0));
}

/** rawEntry writes one tar entry with any typeflag (for hostile archives). */
function rawEntry(name: string, type: string, linkname = '', data = Buffer.alloc(0)): Buffer {
  const t = writeTar([{ name, data }]).subarray(0, 512 + Math.ceil(data.length / 512) * 512);
  const h = Buffer.from(t.subarray(0, 512));
  h.write(type, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('        ', 148, 'ascii');
  let sum = 0;
  for (const x of h) sum += x;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return Buffer.concat([h, t.subarray(512)]);
}

function manifestFor(layers: Buffer[], annotate = true): { manifest: Manifest; read: (d: { digest: string }) => Promise<Buffer> } {
  const blobs = layers.map((l) => ({ digest: sha256(l), data: l }));
  const manifest: Manifest = {
    schemaVersion: 2,
    config: { mediaType: MediaType.OciConfig, digest: sha256(Buffer.from('{}')), size: 2 },
    layers: blobs.map((b) => ({
      mediaType: MediaType.OciLayerGzip,
      digest: b.digest,
      size: b.data.length,
      ...(annotate ? { annotations: { [XpkgAnnotation.Key]: 'base' } } : {}),
    })),
  };
  return { manifest, read: async (d) => blobs.find((b) => b.digest === d.digest)?.data ?? Buffer.alloc(0) };
}

const end = Buffer.alloc(1024);
const pkgYaml = rawEntry('package.yaml', '0', '', Buffer.from('---\n'));

describe('extractPackageStream refuses hostile layers', () => {
  const cases: { reason: string; layer: Buffer; code: string; message: string }[] = [
    {
      reason: 'path traversal',
      layer: Buffer.concat([rawEntry('../../etc/passwd', '0'), pkgYaml, end]),
      code: 'XPKG_UNSAFE_TAR',
      message: 'path traversal',
    },
    {
      reason: 'absolute path',
      layer: Buffer.concat([rawEntry('/etc/passwd', '0'), pkgYaml, end]),
      code: 'XPKG_UNSAFE_TAR',
      message: 'absolute path',
    },
    {
      reason: 'symlink',
      layer: Buffer.concat([rawEntry('package.yaml', '2', '/etc/shadow'), end]),
      code: 'XPKG_UNSAFE_TAR',
      message: 'symbolic link (to "/etc/shadow")',
    },
    {
      reason: 'hard link',
      layer: Buffer.concat([rawEntry('x', '1', 'package.yaml'), pkgYaml, end]),
      code: 'XPKG_UNSAFE_TAR',
      message: 'hard link',
    },
    {
      reason: 'character device',
      layer: Buffer.concat([rawEntry('dev/null', '3'), pkgYaml, end]),
      code: 'XPKG_UNSAFE_TAR',
      message: 'device file',
    },
    {
      reason: 'block device',
      layer: Buffer.concat([rawEntry('dev/sda', '4'), pkgYaml, end]),
      code: 'XPKG_UNSAFE_TAR',
      message: 'device file',
    },
    { reason: 'fifo', layer: Buffer.concat([rawEntry('p', '6'), pkgYaml, end]), code: 'XPKG_UNSAFE_TAR', message: 'named pipe' },
    { reason: 'truncated archive', layer: pkgYaml.subarray(0, 700), code: 'XPKG_BAD_TAR', message: 'truncated' },
    { reason: 'bad checksum', layer: Buffer.concat([Buffer.alloc(512, 0x41), end]), code: 'XPKG_BAD_TAR', message: 'checksum' },
    {
      reason: 'no package.yaml',
      layer: Buffer.concat([rawEntry('other.yaml', '0'), end]),
      code: 'XPKG_INVALID_PACKAGE',
      message: 'has no package.yaml',
    },
  ];
  it.each(cases)('$reason', async ({ layer, code, message }) => {
    const { manifest, read } = manifestFor([gzipSync(layer)]);
    const err = await extractPackageStream(manifest, read).catch((e: unknown) => e);
    expect(hasCode(err, code), String(err)).toBe(true);
    expect(String(err)).toContain(message);
  });

  it('refuses a gzip bomb', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const { manifest, read } = manifestFor([bomb]);
    const err = await extractPackageStream(manifest, read, { maxUncompressedBytes: 8 * 1024 * 1024 }).catch((e: unknown) => e);
    expect(hasCode(err, 'XPKG_TOO_LARGE'), String(err)).toBe(true);
    expect(String(err)).toContain('gzip bomb');
  });

  it('refuses two base layers', async () => {
    const l = gzipSync(Buffer.concat([pkgYaml, end]));
    const { manifest, read } = manifestFor([l, gzipSync(Buffer.concat([pkgYaml, Buffer.alloc(1536)]))]);
    const err = await extractPackageStream(manifest, read).catch((e: unknown) => e);
    expect(hasCode(err, 'XPKG_INVALID_PACKAGE')).toBe(true);
  });

  it('falls back to flattened layers without annotations, later layers winning, and refuses a symlinked package.yaml there', async () => {
    const l1 = gzipSync(Buffer.concat([rawEntry('package.yaml', '0', '', Buffer.from('one')), rawEntry('bin/sh', '2', 'busybox'), end]));
    const l2 = gzipSync(Buffer.concat([rawEntry('opt/package.yaml', '0', '', Buffer.from('two')), end]));
    const ok = manifestFor([l1, l2], false);
    expect(await extractPackageStream(ok.manifest, ok.read)).toBe('two');
    const bad = manifestFor([gzipSync(Buffer.concat([rawEntry('package.yaml', '2', '/etc/passwd'), end]))], false);
    const err = await extractPackageStream(bad.manifest, bad.read).catch((e: unknown) => e);
    expect(hasCode(err, 'XPKG_UNSAFE_TAR')).toBe(true);
  });
});

describe('globToRegExp', () => {
  it.each([
    ['.github/**', '.github/workflows/ci.yaml', true],
    ['*.yaml', 'a.yaml', true],
    ['*.yaml', 'apis/a.yaml', false],
    ['apis/?.yaml', 'apis/a.yaml', true],
  ])('%s matches %s: %s', (g, p, want) => {
    expect(globToRegExp(g).test(p)).toBe(want);
  });
});
