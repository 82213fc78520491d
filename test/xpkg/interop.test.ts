// Interop with upstream's `crossplane` CLI (built from the Go module proxy by
// test/infra/crossplane/build.sh): a package crank builds and pushes installs in Trellis, and a
// package Trellis builds is accepted by crank (`xpkg extract` from the file and from the registry,
// `xpkg push` of our .xpkg file).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  buildPackage,
  extractPackageStream,
  fetchPackage,
  type Image,
  lintPackage,
  newPackageManager,
  type PackageObject,
  parsePackageStream,
  pushArtifact,
  RegistryClient,
  readXpkgFile,
  writeXpkgFile,
} from '@trellis/xpkg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, realTarget } from '../harness/targets.ts';
import { ensureCrossplaneCrds } from './support/packages.ts';
import { type Registry, registryAvailable, startRegistry } from './support/registry.ts';

const envVar = (name: string): string | undefined => process.env[name];
const crank = join(envVar('TRELLIS_CACHE') ?? join(homedir(), '.cache', 'trellis'), 'crossplane-v2.3.4', 'bin', 'crossplane');
const haveCrank = existsSync(crank);
if (!haveCrank) {
  const msg = `upstream crossplane CLI missing at ${crank}: run "bash test/infra/crossplane/build.sh"`;
  if (envVar('CI') === 'true') throw new Error(msg);
  console.warn(`\n*** SKIPPING interop suite: ${msg} ***\n`);
}
const have = haveCrank && registryAvailable();
const fixture = join(import.meta.dirname, '..', 'fixtures', 'xpkg', 'configuration-simple');

function run(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(crank, args, { cwd, env: { ...process.env, HOME: cwd, DOCKER_CONFIG: join(cwd, '.docker') } }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`crossplane ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

describe.runIf(have)('interop with upstream crossplane CLI', () => {
  let reg: Registry;
  let dir: string;
  const oci = new RegistryClient();
  beforeAll(async () => {
    reg = await startRegistry('anonymous');
    dir = await mkdtemp(join(tmpdir(), 'trellis-interop-'));
  });
  afterAll(async () => {
    await reg?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('reads a .xpkg file crank built: same package stream, layers annotated from config labels', async () => {
    const file = join(dir, 'crank.xpkg');
    await run(['xpkg', 'build', `--package-root=${fixture}`, `--examples-root=${join(fixture, 'examples')}`, '-o', file], dir);
    const img = readXpkgFile(await readFile(file), 'crank.xpkg');
    expect(img.manifest.layers.map((l) => l.annotations?.['io.crossplane.xpkg'])).toEqual(['base', 'upbound']);
    const stream = await extractPackageStream(
      img.manifest,
      async (d) => img.layers.find((l) => l.digest === d.digest)?.data ?? Buffer.alloc(0),
    );
    const lint = lintPackage(parsePackageStream(stream), { mode: 'install' });
    expect(lint.meta?.name).toBe('configuration-simple');
    expect(lint.findings.filter((f) => f.severity === 'error')).toEqual([]);
    // Crank and Trellis agree on the stream up to key order and the typed encoder's additions
    // (crank round-trips objects through Go types, adding an empty status to XRDs).
    const ours = await buildPackage({ packageRoot: fixture });
    const norm = (o: Record<string, unknown>): Record<string, unknown> => {
      const { status: _s, ...rest } = o;
      return rest;
    };
    expect(parsePackageStream(stream).objects.map((o) => norm(o.object))).toEqual(
      parsePackageStream(ours.packageYaml).objects.map((o) => norm(o.object)),
    );
  });

  it('installs a package crank built and pushed', async () => {
    const file = join(dir, 'crank-push.xpkg');
    await run(['xpkg', 'build', `--package-root=${fixture}`, `--examples-root=${join(fixture, 'examples')}`, '-o', file], dir);
    const ref = `${reg.host}/crank/configuration-simple:v0.1.0`;
    await run(['xpkg', 'push', '-f', file, ref], dir);
    const fetched = await fetchPackage(oci, ref);
    expect(parsePackageStream(fetched.packageYaml).metas[0]?.object.metadata.name).toBe('configuration-simple');
    const kube = await clientFor(realTarget());
    try {
      await ensureCrossplaneCrds(kube);
      const pm = newPackageManager({ client: kube, resolveIntervalMs: 0 });
      await pm.reconcile();
      await kube.create({
        apiVersion: 'pkg.crossplane.io/v1',
        kind: 'Configuration',
        metadata: { name: 'crank-built' },
        spec: { package: ref },
      });
      let healthy = false;
      for (let i = 0; i < 5 && !healthy; i++)
        healthy = (await pm.reconcile()).packages.find((p) => p.name === 'crank-built')?.healthy === true;
      expect(healthy).toBe(true);
      const cfg = await kube.get<PackageObject>({ apiVersion: 'pkg.crossplane.io/v1', kind: 'Configuration', name: 'crank-built' });
      expect(cfg.status?.conditions?.find((c) => c.type === 'Healthy')?.status).toBe('True');
      const x = await kube.get({
        apiVersion: 'apiextensions.crossplane.io/v2',
        kind: 'CompositeResourceDefinition',
        name: 'xbuckets.simple.trellis.dev',
      });
      expect(x.metadata.ownerReferences?.some((o) => o.kind === 'ConfigurationRevision' && o.controller === true)).toBe(true);
      await kube.delete({ apiVersion: 'pkg.crossplane.io/v1', kind: 'Configuration', name: 'crank-built' });
    } finally {
      kube.close();
    }
  });

  it('crank extracts a .xpkg file Trellis built', async () => {
    const built = await buildPackage({ packageRoot: fixture });
    const file = join(dir, 'trellis.xpkg');
    await writeFile(file, writeXpkgFile(built.artifact as Image));
    await run(['xpkg', 'extract', '--from-xpkg', file, '-o', join(dir, 'from-file.gz')], dir);
    expect(gunzipSync(await readFile(join(dir, 'from-file.gz'))).toString('utf8')).toBe(built.packageYaml);
  });

  it('crank extracts a package Trellis pushed, and pushes our .xpkg file for us to pull', async () => {
    const built = await buildPackage({ packageRoot: fixture });
    const ref = `${reg.host}/trellis/configuration-simple:v0.1.0`;
    await pushArtifact(oci, oci.parse(ref), built.artifact);
    await run(['xpkg', 'extract', ref, '-o', join(dir, 'from-registry.gz')], dir);
    expect(gunzipSync(await readFile(join(dir, 'from-registry.gz'))).toString('utf8')).toBe(built.packageYaml);
    const file = join(dir, 'trellis-push.xpkg');
    await writeFile(file, writeXpkgFile(built.artifact as Image));
    const ref2 = `${reg.host}/crank-pushed/configuration-simple:v0.1.0`;
    await run(['xpkg', 'push', '-f', file, ref2], dir);
    expect((await fetchPackage(oci, ref2)).packageYaml).toBe(built.packageYaml);
  });
});
