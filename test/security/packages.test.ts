/**
 * Packages are verified by digest from resolution to install. The package manager installs
 * Providers from a real registry (Debian's docker-registry, test/infra/registry) through a proxy
 * that can tamper with what the registry sends, into a private embedded API server:
 *
 * - a good package: the tag is resolved once to a manifest digest, everything after that is
 *   fetched by digest, the revision is named for the digest and the Lock records that name;
 * - a tampered layer blob, and a manifest whose bytes do not match the resolved digest: the
 *   package is refused with a digest error on its conditions, and nothing of it is installed (no
 *   revision, no CRD); once the registry serves the right bytes again it installs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningApiServer, startApiServer } from '@trellis/apiserver';
import { newKubeClient } from '@trellis/kube';
import {
  type LockObject,
  newPackageManager,
  type PackageManager,
  type PackageObject,
  type PassReport,
  RegistryClient,
  type RevisionObject,
} from '@trellis/xpkg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../xpkg/support/fault-proxy.ts';
import { buildAndPush, crd, ensureCrossplaneCrds } from '../xpkg/support/packages.ts';
import { type Registry, registryAvailable, startRegistry } from '../xpkg/support/registry.ts';

const have = registryAvailable();
const group = 'sec.trellis.test';

describe.runIf(have)('packages are verified by digest from resolution to install', () => {
  let reg: Registry;
  let proxy: FaultProxy;
  let server: RunningApiServer;
  let dir: string;
  let kube: Awaited<ReturnType<typeof newKubeClient>>;
  let pm: PackageManager;
  const digests = new Map<string, string>();
  const repo = (n: string): string => `${proxy.host}/sec/${n}`;

  beforeAll(async () => {
    reg = await startRegistry('anonymous');
    proxy = await startFaultProxy(reg.host);
    const oci = new RegistryClient({ retry: { attempts: 2, baseDelayMs: 5 } });
    for (const n of ['good', 'blob', 'manifest']) {
      digests.set(
        n,
        await buildAndPush(oci, `${repo(`provider-${n}`)}:v1.0.0`, {
          kind: 'Provider',
          name: `provider-${n}`,
          objects: [crd(`${n}.${group}`, 'Thing', [{ name: 'v1alpha1', fields: ['size'] }])],
        }),
      );
    }
    dir = await mkdtemp(join(tmpdir(), 'trellis-security-pkg-'));
    server = await startApiServer({ dataDir: dir, port: 0, fsync: false });
    kube = await newKubeClient({ kubeconfigPath: server.kubeconfigPath });
    await ensureCrossplaneCrds(kube);
    pm = newPackageManager({ client: kube, retry: { attempts: 2, baseDelayMs: 5 }, resolveIntervalMs: 0 });
    await pm.reconcile();
  }, 120_000);

  afterAll(async () => {
    kube?.close();
    await server?.stop();
    await proxy?.stop();
    await reg?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function install(n: string): Promise<PassReport['packages'][number] | undefined> {
    await kube.create({
      apiVersion: 'pkg.crossplane.io/v1',
      kind: 'Provider',
      metadata: { name: n },
      spec: { package: `${repo(`provider-${n}`)}:v1.0.0` },
    });
    let mine: PassReport['packages'][number] | undefined;
    for (let i = 0; i < 4 && mine?.healthy !== true; i++) mine = (await pm.reconcile()).packages.find((p) => p.name === n);
    return mine;
  }

  const revisionsOf = async (n: string): Promise<RevisionObject[]> =>
    (await kube.list<RevisionObject>({ apiVersion: 'pkg.crossplane.io/v1', kind: 'ProviderRevision' })).items.filter(
      (r) => r.metadata.labels?.['pkg.crossplane.io/package'] === n,
    );
  const crdOf = (n: string) =>
    kube.getIfExists({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: `things.${n}.${group}` });

  it('resolves the tag once, then fetches by digest; the revision and the Lock carry the digest', async () => {
    proxy.log.length = 0;
    const r = await install('good');
    expect(r?.healthy, r?.message).toBe(true);
    const digest = digests.get('good') as string;
    const hex = digest.replace(/^sha256:/, '');
    const [rev] = await revisionsOf('good');
    expect(rev?.metadata.name).toBe(`good-${hex.slice(0, 12)}`);
    const lock = await kube.get<LockObject>({ apiVersion: 'pkg.crossplane.io/v1beta1', kind: 'Lock', name: 'lock' });
    expect(lock.packages?.find((p) => p.source.endsWith('/provider-good'))?.name).toBe(`good-${hex.slice(0, 12)}`);
    expect(await crdOf('good')).toBeDefined();
    // Every request for this package's content names a digest; the tag is only resolved.
    const mine = proxy.log.filter((l) => l.includes('/sec/provider-good/'));
    const content = mine.filter((l) => l.startsWith('GET') && !l.includes('/tags/list'));
    expect(content.length).toBeGreaterThan(0);
    const byTag = content.filter((l) => !/\/(manifests|blobs)\/sha256:[a-f0-9]{64} /.test(l));
    expect(
      byTag.every((l) => l.includes('/manifests/v1.0.0')),
      byTag.join('\n'),
    ).toBe(true);
    expect(byTag.length).toBeLessThanOrEqual(1);
    expect(content.some((l) => l.includes(`/manifests/${digest} `) || l.includes('/blobs/sha256:'))).toBe(true);
  });

  const tampered = [
    { reason: 'a layer blob whose bytes do not match its digest', n: 'blob', path: '/blobs/sha256:' },
    { reason: 'a manifest whose bytes do not match the resolved digest', n: 'manifest', path: '/manifests/' },
  ];

  it.each(tampered)(
    'refuses $reason: a digest error on the package, nothing installed; installs once the bytes are right',
    async ({ n, path }) => {
      proxy.faults.push({
        match: (m, p) => m === 'GET' && p.includes(`/sec/provider-${n}/`) && p.includes(path),
        tamper: true,
        times: 1000,
      });
      const r = await install(n);
      expect(r?.healthy).toBe(false);
      expect(r?.message).toMatch(/digest/);
      const pkg = await kube.get<PackageObject>({ apiVersion: 'pkg.crossplane.io/v1', kind: 'Provider', name: n });
      const installed = pkg.status?.conditions?.find((c) => c.type === 'Installed');
      expect(installed?.status).toBe('False');
      expect(installed?.message).toMatch(/digest/);
      expect(installed?.message).toContain(`provider-${n}`);
      expect(await revisionsOf(n)).toEqual([]);
      expect(await crdOf(n)).toBeUndefined();

      proxy.faults.length = 0;
      let healthy = false;
      for (let i = 0; i < 4 && !healthy; i++) healthy = (await pm.reconcile()).packages.find((p) => p.name === n)?.healthy === true;
      expect(healthy).toBe(true);
      const [rev] = await revisionsOf(n);
      expect(rev?.metadata.name).toBe(`${n}-${(digests.get(n) as string).replace(/^sha256:/, '').slice(0, 12)}`);
      expect(await crdOf(n)).toBeDefined();
    },
  );
});
