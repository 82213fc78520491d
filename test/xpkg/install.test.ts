// Installing packages into real API servers (every target of the harness): a Configuration whose
// dependencies form a diamond resolves in one solve, installs every dependency, and the Lock and
// the installed objects are as expected; then an upgrade, a refused downgrade (schema check), a
// forced one, a rollback, and a conflict that installs nothing.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningApiServer, startApiServer } from '@trellis/apiserver';
import type { KubeClient } from '@trellis/kube';
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
import { type ApiServerTarget, apiServerTargets, clientFor, type TestClient, uniqueGroup } from '../harness/targets.ts';
import { buildAndPush, crd, ensureCrossplaneCrds, xrd } from './support/packages.ts';
import { type Registry, registryAvailable, startRegistry } from './support/registry.ts';

const have = registryAvailable();

async function settle(pm: PackageManager, until: (r: PassReport) => boolean, max = 8): Promise<PassReport> {
  let r = await pm.reconcile();
  for (let i = 1; i < max && !until(r); i++) r = await pm.reconcile();
  return r;
}
const allHealthy = (r: PassReport): boolean => r.packages.length > 0 && r.packages.every((p) => p.healthy);

async function getPkg(c: KubeClient, kind: string, name: string): Promise<PackageObject> {
  return c.get<PackageObject>({ apiVersion: 'pkg.crossplane.io/v1', kind, name });
}
function cond(o: { status?: { conditions?: { type: string; status: string; reason: string; message?: string }[] } }, type: string) {
  return o.status?.conditions?.find((c) => c.type === type);
}

// Until the harness provides an `embedded` target, this suite starts a private embedded API server
// itself, so the package manager is proven on both kinds of server now.
const targets: ApiServerTarget[] = have ? [...apiServerTargets()] : [];
if (have && !targets.some((t) => t.name === 'embedded')) targets.push({ name: 'embedded (private)', kubeconfigPath: '' });

describe.runIf(have).each(targets)('package installation on $name', (target) => {
  let embedded: RunningApiServer | undefined;
  let embeddedDir: string | undefined;
  let reg: Registry;
  let oci: RegistryClient;
  let kube: TestClient;
  let pm: PackageManager;
  const group = uniqueGroup('xpkg');
  const g = group.split('.')[0] ?? 'x';
  let repo: (n: string) => string;

  beforeAll(async () => {
    reg = await startRegistry('anonymous');
    oci = new RegistryClient({ retry: { attempts: 3, baseDelayMs: 5 } });
    if (target.kubeconfigPath === '') {
      embeddedDir = await mkdtemp(join(tmpdir(), 'trellis-xpkg-embedded-'));
      embedded = await startApiServer({ dataDir: embeddedDir, port: 0, fsync: false });
      kube = await clientFor({ name: target.name, kubeconfigPath: embedded.kubeconfigPath });
    } else kube = await clientFor(target);
    await ensureCrossplaneCrds(kube);
    repo = (n) => `${reg.host}/${g}/${n}`;
    // provider-base: v1.0.0 serves v1alpha1; v1.1.0 serves v1alpha1 and v1beta1.
    await buildAndPush(oci, `${repo('provider-base')}:v1.0.0`, {
      kind: 'Provider',
      name: 'provider-base',
      objects: [crd(`base.${group}`, 'Thing', [{ name: 'v1alpha1', fields: ['size'] }])],
    });
    await buildAndPush(oci, `${repo('provider-base')}:v1.1.0`, {
      kind: 'Provider',
      name: 'provider-base',
      objects: [
        crd(`base.${group}`, 'Thing', [
          { name: 'v1alpha1', fields: ['size'] },
          { name: 'v1beta1', fields: ['size', 'colour'] },
        ]),
      ],
    });
    for (const side of ['left', 'right'] as const) {
      await buildAndPush(oci, `${repo(`configuration-${side}`)}:v0.1.0`, {
        kind: 'Configuration',
        name: `configuration-${side}`,
        dependsOn: [{ kind: 'provider', package: repo('provider-base'), version: side === 'left' ? '>=v1.0.0' : '<v1.1.0' }],
        objects: [xrd(`${side}.${group}`, `X${side === 'left' ? 'Left' : 'Right'}`)],
      });
    }
    await buildAndPush(oci, `${repo('configuration-right')}:v0.2.0`, {
      kind: 'Configuration',
      name: 'configuration-right',
      dependsOn: [{ kind: 'provider', package: repo('provider-base'), version: '>=v1.1.0' }],
      objects: [xrd(`right.${group}`, 'XRight')],
    });
    for (const [v, right] of [
      ['v0.1.0', 'v0.1.0'],
      ['v0.2.0', 'v0.2.0'],
    ] as const) {
      await buildAndPush(oci, `${repo('configuration-top')}:${v}`, {
        kind: 'Configuration',
        name: 'configuration-top',
        crossplaneVersion: '>=v1.14.1-0',
        dependsOn: [
          { kind: 'configuration', package: repo('configuration-left'), version: 'v0.1.0' },
          { kind: 'configuration', package: repo('configuration-right'), version: right },
        ],
        objects: [xrd(`top.${group}`, 'XTop')],
      });
    }
    pm = newPackageManager({ client: kube, retry: { attempts: 3, baseDelayMs: 5 }, resolveIntervalMs: 0 });
    await pm.reconcile(); // installs the pkg.crossplane.io CRDs
  });

  afterAll(async () => {
    if (kube !== undefined) {
      for (const [kind, name] of [
        ['Configuration', 'top'],
        ['Configuration', `${g}-configuration-left`],
        ['Configuration', `${g}-configuration-right`],
        ['Provider', `${g}-provider-base`],
        ['Configuration', 'conflicting'],
      ]) {
        await kube.delete({ apiVersion: 'pkg.crossplane.io/v1', kind: kind ?? '', name: name ?? '' }).catch(() => undefined);
      }
      kube.close();
    }
    await reg?.stop();
    await embedded?.stop();
    if (embeddedDir !== undefined) await rm(embeddedDir, { recursive: true, force: true });
  });

  it('installs a Configuration whose dependencies form a diamond, solving all constraints at once', async () => {
    await kube.create({
      apiVersion: 'pkg.crossplane.io/v1',
      kind: 'Configuration',
      metadata: { name: 'top' },
      spec: { package: `${repo('configuration-top')}:v0.1.0` },
    });
    const r = await settle(pm, (x) => allHealthy(x) && x.packages.length === 4);
    expect(r.resolved).toBe(true);
    expect(r.packages.map((p) => [p.kind, p.name, p.healthy]).sort()).toEqual(
      [
        ['Configuration', 'top', true],
        ['Configuration', `${g}-configuration-left`, true],
        ['Configuration', `${g}-configuration-right`, true],
        ['Provider', `${g}-provider-base`, true],
      ].sort(),
    );
    // left wants >=v1.0.0 and right wants <v1.1.0: the solver picks v1.0.0, not the highest.
    const provider = await getPkg(kube, 'Provider', `${g}-provider-base`);
    expect(provider.spec.package).toBe(`${repo('provider-base')}:v1.0.0`);
    expect(cond(provider, 'Installed')?.status).toBe('True');
    expect(cond(provider, 'Healthy')?.status).toBe('True');
    const top = await getPkg(kube, 'Configuration', 'top');
    expect(cond(top, 'Installed')?.reason).toBe('ActivePackageRevision');
    expect(top.status?.currentRevision).toMatch(/^top-[a-f0-9]{12}$/);

    const lock = await kube.get<LockObject>({ apiVersion: 'pkg.crossplane.io/v1beta1', kind: 'Lock', name: 'lock' });
    const mine = (lock.packages ?? []).filter((p) => p.source.includes(`/${g}/`));
    expect(mine.map((p) => [p.type, p.source.split('/').at(-1), p.version]).sort()).toEqual(
      [
        ['Configuration', 'configuration-left', 'v0.1.0'],
        ['Configuration', 'configuration-right', 'v0.1.0'],
        ['Configuration', 'configuration-top', 'v0.1.0'],
        ['Provider', 'provider-base', 'v1.0.0'],
      ].sort(),
    );
    expect(mine.find((p) => p.source.endsWith('configuration-top'))?.dependencies.map((d) => d.constraints)).toEqual(['v0.1.0', 'v0.1.0']);
    expect(cond(lock, 'Resolved')?.status).toBe('True');

    const thingCrd = await kube.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: `things.base.${group}`,
    });
    const owners = thingCrd.metadata.ownerReferences ?? [];
    expect(owners.find((o) => o.controller === true)?.kind).toBe('ProviderRevision');
    expect(owners.some((o) => o.kind === 'Provider' && o.controller !== true)).toBe(true);
    for (const side of ['left', 'right', 'top']) {
      const x = await kube.get({
        apiVersion: 'apiextensions.crossplane.io/v2',
        kind: 'CompositeResourceDefinition',
        name: `x${side}s.${side}.${group}`,
      });
      expect(x.metadata.ownerReferences?.find((o) => o.controller === true)?.kind).toBe('ConfigurationRevision');
    }
    // Steady state: another pass writes nothing.
    const again = await pm.reconcile();
    expect([...again.created, ...again.updated, ...again.deleted]).toEqual([]);
  });

  it('upgrades: top v0.2.0 needs right v0.2.0, which needs provider >=v1.1.0; the old revision steps down', async () => {
    const top = await getPkg(kube, 'Configuration', 'top');
    await kube.update({ ...top, spec: { ...top.spec, package: `${repo('configuration-top')}:v0.2.0` } });
    await settle(pm, (x) => allHealthy(x) && x.packages.length === 4);
    const provider = await getPkg(kube, 'Provider', `${g}-provider-base`);
    expect(provider.spec.package).toBe(`${repo('provider-base')}:v1.1.0`);
    const revs = (await kube.list<RevisionObject>({ apiVersion: 'pkg.crossplane.io/v1', kind: 'ProviderRevision' })).items.filter(
      (r) => r.metadata.labels?.['pkg.crossplane.io/package'] === `${g}-provider-base`,
    );
    expect(revs.map((r) => [r.spec.revision, r.spec.desiredState]).sort()).toEqual([
      [1, 'Inactive'],
      [2, 'Active'],
    ]);
    const thingCrd = await kube.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: `things.base.${group}`,
    });
    const ctl = thingCrd.metadata.ownerReferences?.find((o) => o.controller === true);
    expect(ctl?.name).toBe(revs.find((r) => r.spec.revision === 2)?.metadata.name);
    expect((thingCrd.spec as { versions: unknown[] }).versions.length).toBe(2);
  });

  it('refuses a downgrade that would stop serving a CRD version, unless forced', async () => {
    const top = await getPkg(kube, 'Configuration', 'top');
    await kube.update({ ...top, spec: { ...top.spec, package: `${repo('configuration-top')}:v0.1.0` } });
    const r = await settle(pm, (x) => x.packages.some((p) => p.kind === 'Provider' && p.message?.includes('v1beta1') === true));
    const p = r.packages.find((x) => x.kind === 'Provider');
    expect(p?.healthy).toBe(false);
    expect(p?.message).toContain('would stop serving version v1beta1');
    const crdNow = await kube.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: `things.base.${group}`,
    });
    expect((crdNow.spec as { versions: unknown[] }).versions.length).toBe(2);
    const provider = await getPkg(kube, 'Provider', `${g}-provider-base`);
    expect(cond(provider, 'Healthy')?.status).toBe('False');
    await kube.update({
      ...provider,
      metadata: {
        ...provider.metadata,
        annotations: { ...(provider.metadata.annotations ?? {}), 'pkg.trellis.dev/force-schema-change': 'true' },
      },
    });
    await settle(pm, (x) => allHealthy(x));
    const forced = await kube.get({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: `things.base.${group}`,
    });
    expect((forced.spec as { versions: unknown[] }).versions.length).toBe(1);
  });

  it('rolls back to the previous revision by digest, reusing it', async () => {
    const top = await getPkg(kube, 'Configuration', 'top');
    const before = top.status?.currentRevision;
    await kube.update({ ...top, spec: { ...top.spec, package: `${repo('configuration-top')}:v0.2.0` } });
    await settle(pm, (x) => allHealthy(x));
    const after = await getPkg(kube, 'Configuration', 'top');
    expect(after.status?.currentRevision).not.toBe(before);
    const revs = (await kube.list<RevisionObject>({ apiVersion: 'pkg.crossplane.io/v1', kind: 'ConfigurationRevision' })).items.filter(
      (r) => r.metadata.labels?.['pkg.crossplane.io/package'] === 'top',
    );
    // revisionHistoryLimit 1: the active one and one inactive one.
    expect(revs.length).toBe(2);
    expect(revs.find((r) => r.metadata.name === after.status?.currentRevision)?.spec.desiredState).toBe('Active');
  });

  it('reports an unsatisfiable package without installing anything of it, and leaves the rest healthy', async () => {
    await buildAndPush(oci, `${repo('configuration-conflicting')}:v1.0.0`, {
      kind: 'Configuration',
      name: 'configuration-conflicting',
      dependsOn: [{ kind: 'provider', package: repo('provider-base'), version: '>=v9.0.0' }],
      objects: [xrd(`conflicting.${group}`, 'XConflict')],
    });
    await kube.create({
      apiVersion: 'pkg.crossplane.io/v1',
      kind: 'Configuration',
      metadata: { name: 'conflicting' },
      spec: { package: `${repo('configuration-conflicting')}:v1.0.0` },
    });
    const r = await settle(pm, (x) => x.packages.some((p) => p.name === 'conflicting' && p.message !== undefined), 4);
    const c = r.packages.find((p) => p.name === 'conflicting');
    expect(c?.healthy).toBe(false);
    expect(c?.message).toContain('>=v9.0.0');
    expect(r.packages.filter((p) => p.name !== 'conflicting').every((p) => p.healthy)).toBe(true);
    const x = await kube.getIfExists({
      apiVersion: 'apiextensions.crossplane.io/v2',
      kind: 'CompositeResourceDefinition',
      name: `xconflicts.conflicting.${group}`,
    });
    expect(x).toBeUndefined();
    const lock = await kube.get<LockObject>({ apiVersion: 'pkg.crossplane.io/v1beta1', kind: 'Lock', name: 'lock' });
    expect(cond(lock, 'Resolved')?.status).toBe('False');
    expect(cond(lock, 'Resolved')?.message).toContain('>=v9.0.0');
    await kube.delete({ apiVersion: 'pkg.crossplane.io/v1', kind: 'Configuration', name: 'conflicting' });
    const ok = await settle(pm, (y) => allHealthy(y) && !y.packages.some((p) => p.name === 'conflicting'));
    expect(ok.resolved).toBe(true);
  });

  it('reports an unreachable package on the object', async () => {
    await kube.create({
      apiVersion: 'pkg.crossplane.io/v1',
      kind: 'Provider',
      metadata: { name: 'missing' },
      spec: { package: `${reg.host}/${g}/does-not-exist:v1.0.0` },
    });
    try {
      const r = await pm.reconcile();
      expect(r.packages.find((p) => p.name === 'missing')?.message).toContain('404');
      const p = await getPkg(kube, 'Provider', 'missing');
      expect(cond(p, 'Installed')?.reason).toBe('UnpackingPackage');
    } finally {
      await kube.delete({ apiVersion: 'pkg.crossplane.io/v1', kind: 'Provider', name: 'missing' });
    }
  });
});
