// The `trellis xpkg` and `trellis dependency` commands, run in-process against a real registry:
// build → push → pull → extract round trips with equal digests, a resolve that writes
// trellis.lock, an offline resolve from the cache, and an unsolvable graph that explains itself
// and exits with the findings code.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { main } from '@trellis/cli';
import { newPackageManager, parseLockfile, RegistryClient } from '@trellis/xpkg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, realTarget } from '../harness/targets.ts';
import { buildAndPush } from './support/packages.ts';
import { type Registry, registryAvailable, startRegistry } from './support/registry.ts';

const have = registryAvailable();
const fixture = join(import.meta.dirname, '..', 'fixtures', 'xpkg', 'configuration-simple');

async function trellis(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const prev = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(args, {
      out: (t) => {
        out += t;
      },
      err: (t) => {
        err += t;
      },
      isTTY: false,
    });
    return { code, out, err };
  } finally {
    process.chdir(prev);
  }
}

describe.runIf(have)('trellis xpkg and dependency commands', () => {
  let reg: Registry;
  let dir: string;
  let cacheDir: string;
  beforeAll(async () => {
    reg = await startRegistry('anonymous');
    dir = await mkdtemp(join(tmpdir(), 'trellis-cli-'));
    cacheDir = join(dir, 'cache');
    process.env.DOCKER_CONFIG = join(dir, 'docker');
  });
  afterAll(async () => {
    await reg?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('builds, pushes, pulls and extracts with equal digests', async () => {
    const b = await trellis(['xpkg', 'build', '-f', fixture, '-o', join(dir, 'simple.xpkg'), '--json'], dir);
    expect(b.code, b.err).toBe(0);
    const built = JSON.parse(b.out) as { digest: string };
    const ref = `${reg.host}/cli/simple:v0.1.0`;
    const p = await trellis(['xpkg', 'push', ref, '-o', join(dir, 'simple.xpkg'), '--json', '--cache-dir', cacheDir], dir);
    expect(p.code, p.err).toBe(0);
    expect((JSON.parse(p.out) as { digest: string }).digest).toBe(built.digest);
    const pulled = await trellis(['xpkg', 'pull', ref, '--output', join(dir, 'pulled.xpkg'), '--json', '--cache-dir', cacheDir], dir);
    expect(pulled.code, pulled.err).toBe(0);
    expect((JSON.parse(pulled.out) as { digest: string }).digest).toBe(built.digest);
    expect((await readFile(join(dir, 'pulled.xpkg'))).equals(await readFile(join(dir, 'simple.xpkg')))).toBe(true);
    const x = await trellis(['xpkg', 'extract', ref, '--output', join(dir, 'out.gz'), '--cache-dir', cacheDir], dir);
    expect(x.code, x.err).toBe(0);
    expect(gunzipSync(await readFile(join(dir, 'out.gz'))).toString()).toContain('name: configuration-simple');
  });

  it('resolves dependencies into trellis.lock, then again offline, and explains a conflict with exit code 3', async () => {
    const oci = new RegistryClient();
    for (const v of ['v0.1.0', 'v0.2.0', 'v0.3.0'])
      await buildAndPush(oci, `${reg.host}/cli/provider-a:${v}`, { kind: 'Provider', name: 'provider-a' });
    await buildAndPush(oci, `${reg.host}/cli/function-b:v1.0.0`, {
      kind: 'Function',
      name: 'function-b',
      dependsOn: [{ kind: 'provider', package: `${reg.host}/cli/provider-a`, version: '<v0.3.0' }],
    });
    const proj = join(dir, 'project');
    await trellis(['xpkg', 'init', 'project', proj], dir);
    const meta = (await readFile(join(proj, 'crossplane.yaml'), 'utf8')).replace(
      'dependsOn: []',
      `dependsOn:\n    - provider: ${reg.host}/cli/provider-a\n      version: ">=v0.1.0"\n    - function: ${reg.host}/cli/function-b\n      version: v1.0.0`,
    );
    await writeFile(join(proj, 'crossplane.yaml'), meta);
    const r = await trellis(['dependency', 'resolve', '-f', proj, '--cache-dir', cacheDir], dir);
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toContain(`${reg.host}/cli/provider-a@v0.2.0`);
    const lock = parseLockfile(await readFile(join(proj, 'trellis.lock'), 'utf8'));
    expect(lock.packages.map((p) => [p.package.split('/').at(-1), p.version])).toEqual([
      ['function-b', 'v1.0.0'],
      ['provider-a', 'v0.2.0'],
    ]);
    expect(lock.packages.every((p) => /^sha256:[a-f0-9]{64}$/.test(p.digest))).toBe(true);
    await reg.stop();
    const offline = await trellis(['dependency', 'resolve', '-f', proj, '--offline', '--cache-dir', cacheDir], dir);
    expect(offline.code, offline.err + offline.out).toBe(0);
    expect(await readFile(join(proj, 'trellis.lock'), 'utf8')).toContain('v0.2.0');
    await writeFile(join(proj, 'crossplane.yaml'), meta.replace('">=v0.1.0"', '">=v0.3.0"'));
    const bad = await trellis(['dependency', 'update', '-f', proj, '--offline', '--cache-dir', cacheDir], dir);
    expect(bad.code).toBe(3);
    expect(bad.out).toContain('cannot resolve the dependencies of Configuration "project"');
    expect(bad.out).toContain('asks for >=v0.3.0');
    expect(bad.out).toContain('asks for <v0.3.0');
    expect((await readdir(proj)).includes('trellis.lock')).toBe(true);
    reg = await startRegistry('anonymous');
  });

  it('installs a package object with trellis xpkg install', async () => {
    const target = realTarget();
    const kube = await clientFor(target);
    try {
      await newPackageManager({ client: kube }).reconcile(); // the pkg.crossplane.io CRDs
      const r = await trellis(
        [
          'xpkg',
          'install',
          'provider',
          `${reg.host}/cli/provider-a:v0.2.0`,
          'cli-provider-a',
          '--kubeconfig',
          target.kubeconfigPath,
          '-m',
          '-r',
          '3',
        ],
        dir,
      );
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('provider.pkg.crossplane.io/cli-provider-a created');
      const p = await kube.get<{ apiVersion: string; kind: string; metadata: { name?: string }; spec: Record<string, unknown> }>({
        apiVersion: 'pkg.crossplane.io/v1',
        kind: 'Provider',
        name: 'cli-provider-a',
      });
      expect(p.spec).toMatchObject({
        package: `${reg.host}/cli/provider-a:v0.2.0`,
        revisionActivationPolicy: 'Manual',
        revisionHistoryLimit: 3,
      });
      const bad = await trellis(['xpkg', 'install', 'widget', 'x.io/a:v1', '--kubeconfig', target.kubeconfigPath], dir);
      expect(bad.code).toBe(2);
      await kube.delete({ apiVersion: 'pkg.crossplane.io/v1', kind: 'Provider', name: 'cli-provider-a' });
    } finally {
      kube.close();
    }
  });
});
