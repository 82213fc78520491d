import type { InformerFactory, KubeClient, TypeRef } from '@trellis/kube';
import { isAlreadyExists, isConflict, isNotFound } from '@trellis/kube';
import {
  type Condition,
  conditionsEqual,
  describeRef,
  type EventRecorder,
  formatError,
  type KubeObject,
  type Logger,
  nopLogger,
  nopRecorder,
  setConditions,
  wrap,
} from '@trellis/sdk';
import { filterInstallable } from '../meta/lint.ts';
import type { PackageType } from '../meta/types.ts';
import type { Keychain } from '../oci/auth.ts';
import { type ContentCache, FsContentCache } from '../oci/cache.ts';
import type { RetryOptions } from '../oci/client.ts';
import { hexOf } from '../oci/media.ts';
import { formatReference, friendlyId, packageObjectName } from '../oci/reference.ts';
import { checkConstraint, parseConstraint } from '../semver/constraint.ts';
import { parseVersion } from '../semver/version.ts';
import { solve } from '../solver/solve.ts';
import type { PlannedPackage, Requirement } from '../solver/types.ts';
import {
  Annotations,
  Cond,
  FieldManager,
  type ImageConfigObject,
  ImageConfigType,
  Labels,
  type LockObject,
  type LockPackage,
  LockRef,
  PackageKinds,
  type PackageObject,
  type RevisionObject,
} from './api.ts';
import { packageCrds } from './crds.ts';
import { establish, release } from './establish.ts';
import { applyImageConfigs, canonical, type FetchedInfo, Sources, versionOf } from './sources.ts';

/** PackageManagerOptions configure the package manager. */
export interface PackageManagerOptions {
  client: KubeClient;
  /** Informers are accepted for symmetry with other controllers; the manager lists and watches itself. */
  informers?: InformerFactory;
  log?: Logger;
  events?: EventRecorder;
  /** CacheDir holds the content cache (packages and blobs by digest, tags) for offline restarts. */
  cacheDir?: string;
  cache?: ContentCache;
  /** Keychain adds credentials beyond pull secrets (the CLI passes the user's docker config). */
  keychain?: Keychain;
  /** Namespace holding pull secrets (default `crossplane-system`). */
  namespace?: string;
  /** CrossplaneVersion is checked against packages' `spec.crossplane.version` (default v2.3.4). */
  crossplaneVersion?: string;
  /** InstallCrds applies the pkg.crossplane.io CRDs at start (default true). */
  installCrds?: boolean;
  /** PollIntervalMs between passes when nothing is watched to change (default 10 s). */
  pollIntervalMs?: number;
  /** ResolveIntervalMs: the dependency catalog is refreshed at most this often unless inputs change (default 60 s). */
  resolveIntervalMs?: number;
  /** RemoveUnusedDependencies deletes dependency packages Trellis installed that nothing needs any more (opt-in). */
  removeUnusedDependencies?: boolean;
  retry?: RetryOptions;
  insecure?: (registry: string) => boolean;
  defaultRegistry?: string;
}

/** A PassReport says what one reconcile pass did. */
export interface PassReport {
  packages: { kind: string; name: string; revision?: string; healthy: boolean; message?: string }[];
  resolved: boolean;
  explanation?: string[];
  created: string[];
  updated: string[];
  deleted: string[];
}

/** A PackageManager reconciles packages; `reconcile()` runs one pass. */
export interface PackageManager {
  reconcile(): Promise<PassReport>;
  /** Stop ends the loop started by startPackageManager (a no-op for newPackageManager). */
  stop(): Promise<void>;
}

interface Entry {
  obj: PackageObject;
  kind: (typeof PackageKinds)[number];
  info?: FetchedInfo;
  fetchError?: string;
  incompatible?: string;
  blocked?: string;
  managed: boolean;
}

interface Resolution {
  key: string;
  at: number;
  plan: PlannedPackage[];
  blocked: Map<string, string>;
  explanation?: string[];
  error?: string;
}

/**
 * NewPackageManager returns a package manager that reconciles on demand. Each pass reads every
 * Provider, Configuration and Function, fetches their packages, solves the whole dependency
 * graph at once (installing, upgrading or downgrading dependencies it manages), then keeps each
 * package's revisions, installed objects, conditions and the Lock up to date.
 */
export function newPackageManager(opts: PackageManagerOptions): PackageManager {
  const log = opts.log ?? nopLogger;
  const events = opts.events ?? nopRecorder;
  const client = opts.client;
  const namespace = opts.namespace ?? 'crossplane-system';
  const crossplaneVersion = opts.crossplaneVersion ?? 'v2.3.4';
  const cache = opts.cache ?? (opts.cacheDir === undefined ? undefined : new FsContentCache(opts.cacheDir));
  const srcOpts: ConstructorParameters<typeof Sources>[0] = { client, namespace, log };
  if (cache !== undefined) srcOpts.cache = cache;
  if (opts.keychain !== undefined) srcOpts.keychain = opts.keychain;
  if (opts.retry !== undefined) srcOpts.retry = opts.retry;
  if (opts.insecure !== undefined) srcOpts.insecure = opts.insecure;
  if (opts.defaultRegistry !== undefined) srcOpts.defaultRegistry = opts.defaultRegistry;
  const sources = new Sources(srcOpts);
  let crdsDone = opts.installCrds === false;
  let last: Resolution | undefined;
  const canon = (ref: string): string => canonical(ref, opts.defaultRegistry);

  async function ensureCrds(): Promise<void> {
    if (crdsDone) return;
    for (const crd of packageCrds()) {
      try {
        await client.create(crd, { fieldManager: FieldManager });
      } catch (err) {
        if (!isAlreadyExists(err)) throw wrap(err, `cannot install CRD "${crd.metadata.name}"`);
      }
    }
    for (const crd of packageCrds()) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const c = await client.get({ apiVersion: crd.apiVersion, kind: crd.kind, name: crd.metadata.name ?? '' });
        const conds = ((c.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
        if (conds.some((x) => x.type === 'Established' && x.status === 'True')) break;
        if (Date.now() > deadline) throw wrap(new Error('timed out'), `CRD "${crd.metadata.name}" did not become Established`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    client.invalidateDiscovery();
    // A freshly established CRD may answer 429 "storage is (re)initializing" for a moment.
    for (const crd of packageCrds()) {
      const spec = crd.spec as { names: { kind: string }; versions: { name: string; storage: boolean }[] };
      const version = spec.versions.find((v) => v.storage)?.name ?? 'v1';
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await client.list({ apiVersion: `pkg.crossplane.io/${version}`, kind: spec.names.kind }, { limit: 1 });
          break;
        } catch (err) {
          if (Date.now() > deadline) throw wrap(err, `CRD "${crd.metadata.name}" is not serving`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    crdsDone = true;
  }

  async function listAll<T extends KubeObject>(type: TypeRef): Promise<T[]> {
    try {
      return (await client.listAll<T>(type)).items;
    } catch (err) {
      if (isNotFound(err) || (err as { code?: string }).code === 'KUBE_NO_KIND_MATCH') return [];
      throw wrap(err, `cannot list ${type.kind}`);
    }
  }

  async function reconcile(): Promise<PassReport> {
    await ensureCrds();
    const report: PassReport = { packages: [], resolved: true, created: [], updated: [], deleted: [] };
    const imageConfigs = await listAll<ImageConfigObject>(ImageConfigType);
    let entries = await loadEntries(imageConfigs);
    const resolution = await resolveDependencies(entries, imageConfigs);
    if (resolution.error !== undefined || resolution.explanation !== undefined) {
      report.resolved = false;
      if (resolution.explanation !== undefined) report.explanation = resolution.explanation;
    }
    const changed = await applyPlan(entries, resolution, report);
    if (changed) entries = await loadEntries(imageConfigs);
    for (const e of entries) {
      const blocked = resolution.blocked.get(`${e.kind.kind}/${e.obj.metadata.name}`);
      if (blocked !== undefined) e.blocked = blocked;
      else if (
        resolution.error !== undefined &&
        !e.managed &&
        !(e.obj.spec.skipDependencyResolution ?? false) &&
        (e.info?.meta.dependsOn.length ?? 0) > 0
      ) {
        e.blocked = resolution.error;
      }
    }
    const ordered = orderForInstall(entries, resolution.plan);
    for (const e of ordered) report.packages.push(await reconcilePackage(e, resolution));
    await writeLock(entries, resolution);
    return report;
  }

  async function loadEntries(imageConfigs: readonly ImageConfigObject[]): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const kind of PackageKinds) {
      for (const obj of await listAll<PackageObject>({ apiVersion: kind.apiVersion, kind: kind.kind })) {
        if (obj.metadata.deletionTimestamp !== undefined) continue;
        const e: Entry = { obj, kind, managed: obj.metadata.labels?.[Labels.ManagedDependency] === 'true' };
        try {
          const src = applyImageConfigs(obj.spec.package, imageConfigs, opts.defaultRegistry);
          const fo: Parameters<Sources['fetch']>[1] = {
            extraSecrets: (obj.spec.packagePullSecrets ?? []).map((s) => s.name),
            type: kind.type,
          };
          if (obj.spec.packagePullPolicy !== undefined) fo.pullPolicy = obj.spec.packagePullPolicy;
          e.info = await sources.fetch(src, fo);
          const want = e.info.meta.crossplaneVersion;
          if (want !== undefined && obj.spec.ignoreCrossplaneConstraints !== true) {
            if (!checkConstraint(parseConstraint(want), parseVersion(crossplaneVersion))) {
              e.incompatible = `incompatible Crossplane version: package is not compatible with Crossplane version (${crossplaneVersion}): it requires ${want}`;
            }
          }
        } catch (err) {
          e.fetchError = formatError(err);
          log.debug('cannot fetch package', { kind: kind.kind, name: obj.metadata.name, error: err });
        }
        out.push(e);
      }
    }
    return out;
  }

  async function resolveDependencies(entries: readonly Entry[], imageConfigs: readonly ImageConfigObject[]): Promise<Resolution> {
    const roots = entries.filter((e) => !e.managed && e.info !== undefined && e.obj.spec.skipDependencyResolution !== true);
    const requirements = roots.map((e) => ({
      requirement: {
        package: canon(e.obj.spec.package),
        type: e.kind.type,
        constraint: e.info?.digest ?? '',
        from: `${e.kind.kind} "${e.obj.metadata.name}"`,
      } satisfies Requirement,
      info: e.info as FetchedInfo,
      version: versionOf(applyImageConfigs(e.obj.spec.package, [], opts.defaultRegistry).original),
      name: `${e.kind.kind}/${e.obj.metadata.name}`,
    }));
    const prefer = new Map<string, string>();
    for (const e of entries)
      if (e.managed && e.info !== undefined)
        prefer.set(canon(e.obj.spec.package), versionOf(applyImageConfigs(e.obj.spec.package, [], opts.defaultRegistry).original));
    const key = JSON.stringify([
      requirements.map((r) => [r.requirement.package, r.requirement.constraint, r.requirement.from]),
      [...prefer].sort(),
    ]);
    if (last !== undefined && last.key === key && Date.now() - last.at < (opts.resolveIntervalMs ?? 60_000)) return last;
    const blocked = new Map<string, string>();
    if (requirements.every((r) => r.info.meta.dependsOn.length === 0)) {
      last = { key, at: Date.now(), plan: [], blocked };
      return last;
    }
    let catalog: Awaited<ReturnType<Sources['loadCatalog']>>;
    try {
      catalog = await sources.loadCatalog(requirements, imageConfigs);
    } catch (err) {
      const error = `cannot resolve package dependencies: ${formatError(err)}`;
      last = { key, at: 0, plan: [], blocked, error };
      return last;
    }
    let active = requirements;
    let explanation: string[] | undefined;
    for (let round = 0; round < 8; round++) {
      const r = solve(
        catalog,
        active.map((x) => x.requirement),
        { prefer },
      );
      if (r.ok) {
        last = { key, at: Date.now(), plan: r.plan.packages, blocked };
        if (explanation !== undefined) last.explanation = explanation;
        return last;
      }
      const text = `cannot resolve package dependencies: ${[...r.explanation, ...r.suggestions].join(' ')}`;
      explanation = [...(explanation ?? []), ...r.explanation, ...r.suggestions];
      // Isolate the failure: set aside the roots whose closure takes part in the conflict, solve the rest.
      const involved = active.filter((x) => text.includes(x.requirement.from) || text.includes(x.requirement.package));
      const culprits = involved.length > 0 ? involved : active;
      for (const c of culprits) blocked.set(c.name, text);
      active = active.filter((x) => !culprits.includes(x));
      if (active.length === 0) break;
    }
    last = { key, at: Date.now(), plan: [], blocked, explanation: explanation ?? [] };
    return last;
  }

  async function applyPlan(entries: readonly Entry[], res: Resolution, report: PassReport): Promise<boolean> {
    let changed = false;
    const byPackage = new Map<string, Entry>();
    for (const e of entries) byPackage.set(canon(e.obj.spec.package), e);
    const planned = new Set(res.plan.map((p) => p.package));
    const rootPackages = new Set(entries.filter((e) => !e.managed).map((e) => canon(e.obj.spec.package)));
    for (const p of res.plan) {
      if (rootPackages.has(p.package)) continue;
      const desired = p.pinnedByDigest || p.version.startsWith('sha256:') ? `${p.package}@${p.digest}` : `${p.package}:${p.version}`;
      const existing = byPackage.get(p.package);
      const kind = PackageKinds.find((k) => k.type === p.type) as (typeof PackageKinds)[number];
      const requiredBy = p.requiredBy.map((r) => r.from).join(', ');
      if (existing === undefined) {
        const name = await freeName(packageObjectName(p.package, opts.defaultRegistry), kind);
        const obj: PackageObject = {
          apiVersion: kind.apiVersion,
          kind: kind.kind,
          metadata: { name, labels: { [Labels.ManagedDependency]: 'true' }, annotations: { [Annotations.RequiredBy]: requiredBy } },
          spec: { package: desired },
        };
        try {
          await client.create(obj, { fieldManager: FieldManager });
          report.created.push(`${kind.kind}/${name}`);
          events.record(
            { apiVersion: kind.apiVersion, kind: kind.kind, name },
            { type: 'Normal', reason: 'InstallDependency', message: `Installed ${desired} for ${requiredBy}` },
          );
          changed = true;
        } catch (err) {
          if (!isAlreadyExists(err)) throw wrap(err, `cannot create dependency ${describeRef({ kind: kind.kind, name })}`);
        }
        continue;
      }
      if (!existing.managed || existing.obj.spec.package === desired) continue;
      try {
        await client.update(
          {
            ...existing.obj,
            metadata: {
              ...existing.obj.metadata,
              annotations: { ...(existing.obj.metadata.annotations ?? {}), [Annotations.RequiredBy]: requiredBy },
            },
            spec: { ...existing.obj.spec, package: desired },
          },
          { fieldManager: FieldManager },
        );
        report.updated.push(`${existing.kind.kind}/${existing.obj.metadata.name}: ${existing.obj.spec.package} → ${desired}`);
        changed = true;
      } catch (err) {
        if (!isConflict(err))
          throw wrap(err, `cannot update dependency ${describeRef({ kind: existing.kind.kind, name: existing.obj.metadata.name ?? '' })}`);
      }
    }
    if (opts.removeUnusedDependencies === true && res.error === undefined && res.blocked.size === 0) {
      for (const e of entries) {
        if (!e.managed || planned.has(canon(e.obj.spec.package))) continue;
        try {
          await client.delete(
            { apiVersion: e.kind.apiVersion, kind: e.kind.kind, name: e.obj.metadata.name ?? '' },
            { propagationPolicy: 'Background' },
          );
          report.deleted.push(`${e.kind.kind}/${e.obj.metadata.name}`);
          changed = true;
        } catch (err) {
          if (!isNotFound(err))
            throw wrap(err, `cannot remove unused dependency ${describeRef({ kind: e.kind.kind, name: e.obj.metadata.name ?? '' })}`);
        }
      }
    }
    return changed;
  }

  async function freeName(base: string, kind: (typeof PackageKinds)[number]): Promise<string> {
    for (let i = 0; i < 20; i++) {
      const name = i === 0 ? base : `${base.slice(0, 56)}-${i}`;
      const have = await client.getIfExists({ apiVersion: kind.apiVersion, kind: kind.kind, name });
      if (have === undefined) return name;
    }
    return `${base.slice(0, 50)}-${Date.now().toString(36)}`;
  }

  async function reconcilePackage(e: Entry, res: Resolution): Promise<PassReport['packages'][number]> {
    const name = e.obj.metadata.name ?? '';
    const gen = e.obj.metadata.generation;
    const withGen = (c: Condition): Condition => (gen === undefined ? c : { ...c, observedGeneration: gen });
    if (e.info === undefined) {
      const msg = `cannot unpack package: ${e.fetchError ?? 'unknown error'}`;
      await writePackageStatus(e, { conditions: [withGen(Cond.unpacking(msg)), withGen(Cond.unknownHealth(msg))] });
      return { kind: e.kind.kind, name, healthy: false, message: msg };
    }
    const info = e.info;
    const revName = friendlyId(name, hexOf(info.digest));
    const revType = { apiVersion: e.kind.apiVersion, kind: e.kind.revisionKind };
    const revisions = (await listAll<RevisionObject>(revType)).filter((r) => r.metadata.labels?.[Labels.Package] === name);
    const automatic = (e.obj.spec.revisionActivationPolicy ?? 'Automatic') === 'Automatic';
    let current = revisions.find((r) => r.metadata.name === revName);
    const owner = {
      apiVersion: e.obj.apiVersion,
      kind: e.obj.kind,
      name,
      uid: e.obj.metadata.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
    const wantSpec = revisionSpec(
      e,
      current?.spec.revision ?? Math.max(0, ...revisions.map((r) => r.spec.revision ?? 0)) + 1,
      automatic ? 'Active' : (current?.spec.desiredState ?? 'Inactive'),
    );
    if (current === undefined) {
      try {
        current = await client.create<RevisionObject>(
          {
            ...revType,
            metadata: {
              name: revName,
              labels: { [Labels.Package]: name, ...info.meta.labels },
              annotations: { ...info.meta.annotations },
              ownerReferences: [owner],
            },
            spec: wantSpec,
          },
          { fieldManager: FieldManager },
        );
      } catch (err) {
        throw wrap(err, `cannot create ${e.kind.revisionKind} "${revName}"`);
      }
    } else if (JSON.stringify(current.spec) !== JSON.stringify({ ...current.spec, ...wantSpec })) {
      current = await client.update<RevisionObject>({ ...current, spec: { ...current.spec, ...wantSpec } }, { fieldManager: FieldManager });
    }
    const rev = current;
    const revOwner = { apiVersion: rev.apiVersion, kind: rev.kind, name: rev.metadata.name ?? '', uid: rev.metadata.uid ?? '' };
    const parent = { apiVersion: e.obj.apiVersion, kind: e.obj.kind, name, uid: e.obj.metadata.uid ?? '' };
    const objects = filterInstallable(info.meta.type, info.objects);
    const deps = info.meta.dependsOn;
    const planned = new Set(res.plan.map((p) => p.package));
    let revCond: Condition;
    let objectRefs = rev.status?.objectRefs ?? [];
    const active = rev.spec.desiredState === 'Active';
    if (!active) {
      revCond = Cond.revisionHealthy();
    } else if (e.incompatible !== undefined) {
      revCond = Cond.revisionUnhealthy(e.incompatible);
    } else if (e.blocked !== undefined) {
      revCond = Cond.revisionUnhealthy(e.blocked);
    } else {
      try {
        objectRefs = await establish(client, {
          revision: revOwner,
          parent,
          objects,
          control: true,
          force: e.obj.metadata.annotations?.[Annotations.ForceSchemaChange] === 'true',
          ...(e.obj.spec.commonLabels === undefined ? {} : { commonLabels: e.obj.spec.commonLabels }),
          ...(e.obj.spec.commonAnnotations === undefined ? {} : { commonAnnotations: e.obj.spec.commonAnnotations }),
          fieldManager: FieldManager,
        });
        revCond = Cond.revisionHealthy();
        // Hand over: every other active revision of this package steps down and releases control.
        for (const other of revisions) {
          if (other.metadata.name === rev.metadata.name || other.spec.desiredState !== 'Active') continue;
          await client.update({ ...other, spec: { ...other.spec, desiredState: 'Inactive' } }, { fieldManager: FieldManager });
          await release(
            client,
            { apiVersion: other.apiVersion, kind: other.kind, name: other.metadata.name ?? '', uid: other.metadata.uid ?? '' },
            other.status?.objectRefs ?? [],
            FieldManager,
          );
        }
      } catch (err) {
        revCond = Cond.revisionUnhealthy(formatError(err));
        log.info('cannot establish package objects', { kind: e.kind.revisionKind, name: rev.metadata.name, error: err });
      }
    }
    const installedDeps = deps.filter((d) => planned.has(canon(d.package))).length;
    await writeRevisionStatus(rev, {
      conditions: setConditions(rev.status?.conditions, [revCond]),
      objectRefs,
      foundDependencies: deps.length,
      installedDependencies: installedDeps,
      invalidDependencies: e.blocked !== undefined ? deps.length - installedDeps : 0,
      resolvedImage: formatReference(info.source.resolved),
      capabilities: info.meta.capabilities,
      appliedImageConfigRefs: info.source.applied,
    });
    await collectGarbage(e, revisions, rev);
    const installed = active ? Cond.installed() : Cond.inactive();
    const health =
      revCond.status === 'True' ? Cond.healthy() : Cond.unhealthy(`Package revision health is ${revCond.status}: ${revCond.message ?? ''}`);
    await writePackageStatus(e, {
      conditions: [withGen(installed), withGen(active ? health : Cond.unknownHealth())],
      currentRevision: rev.metadata.name ?? '',
      currentIdentifier: e.obj.spec.package,
      resolvedPackage: formatReference(info.source.resolved),
      appliedImageConfigRefs: info.source.applied,
    });
    const out: PassReport['packages'][number] = {
      kind: e.kind.kind,
      name,
      revision: rev.metadata.name ?? '',
      healthy: active && revCond.status === 'True',
    };
    if (revCond.message !== undefined) out.message = revCond.message;
    return out;
  }

  async function collectGarbage(e: Entry, revisions: readonly RevisionObject[], current: RevisionObject): Promise<void> {
    const limit = e.obj.spec.revisionHistoryLimit ?? 1;
    if (limit === 0) return;
    const inactive = revisions
      .filter((r) => r.metadata.name !== current.metadata.name && r.spec.desiredState !== 'Active')
      .sort((a, b) => (a.spec.revision ?? 0) - (b.spec.revision ?? 0));
    // A revision deactivated in this pass is listed as Active above; count it too.
    const stepped = revisions.filter(
      (r) => r.metadata.name !== current.metadata.name && r.spec.desiredState === 'Active' && current.spec.desiredState === 'Active',
    );
    const all = [...inactive, ...stepped].sort((a, b) => (a.spec.revision ?? 0) - (b.spec.revision ?? 0));
    while (all.length > limit) {
      const victim = all.shift() as RevisionObject;
      try {
        await client.delete(
          { apiVersion: victim.apiVersion, kind: victim.kind, name: victim.metadata.name ?? '' },
          { propagationPolicy: 'Background' },
        );
      } catch (err) {
        if (!isNotFound(err)) throw wrap(err, `cannot garbage collect ${victim.kind} "${victim.metadata.name}"`);
      }
    }
  }

  function revisionSpec(e: Entry, revision: number, desiredState: 'Active' | 'Inactive'): RevisionObject['spec'] {
    const s = e.obj.spec;
    const spec: RevisionObject['spec'] = {
      desiredState,
      image: s.package,
      revision,
      packagePullPolicy: s.packagePullPolicy ?? 'IfNotPresent',
      ignoreCrossplaneConstraints: s.ignoreCrossplaneConstraints ?? false,
      skipDependencyResolution: s.skipDependencyResolution ?? false,
    };
    if (s.packagePullSecrets !== undefined) spec.packagePullSecrets = s.packagePullSecrets;
    if (s.commonLabels !== undefined) spec.commonLabels = s.commonLabels;
    if (s.commonAnnotations !== undefined) spec.commonAnnotations = s.commonAnnotations;
    if (e.kind.runtime)
      spec.runtimeConfigRef = s.runtimeConfigRef ?? {
        apiVersion: 'pkg.crossplane.io/v1beta1',
        kind: 'DeploymentRuntimeConfig',
        name: 'default',
      };
    return spec;
  }

  async function writeRevisionStatus(rev: RevisionObject, status: NonNullable<RevisionObject['status']>): Promise<void> {
    const before = rev.status ?? {};
    const same =
      conditionsEqual(before.conditions, status.conditions) &&
      JSON.stringify({ ...before, conditions: undefined }) === JSON.stringify({ ...before, ...status, conditions: undefined });
    if (same) return;
    const fresh = await client.get<RevisionObject>({ apiVersion: rev.apiVersion, kind: rev.kind, name: rev.metadata.name ?? '' });
    try {
      await client.updateStatus({
        ...fresh,
        status: { ...(fresh.status ?? {}), ...status, conditions: setConditions(fresh.status?.conditions, status.conditions ?? []) },
      });
    } catch (err) {
      if (!isConflict(err)) throw wrap(err, `cannot update status of ${rev.kind} "${rev.metadata.name}"`);
    }
  }

  async function writePackageStatus(e: Entry, status: NonNullable<PackageObject['status']>): Promise<void> {
    const fresh = await client.getIfExists<PackageObject>({
      apiVersion: e.obj.apiVersion,
      kind: e.obj.kind,
      name: e.obj.metadata.name ?? '',
    });
    if (fresh === undefined) return;
    const before = fresh.status ?? {};
    const next = { ...before, ...status, conditions: setConditions(before.conditions, status.conditions ?? []) };
    if (
      conditionsEqual(before.conditions, next.conditions) &&
      JSON.stringify({ ...before, conditions: 0 }) === JSON.stringify({ ...next, conditions: 0 })
    )
      return;
    try {
      await client.updateStatus({ ...fresh, status: next });
    } catch (err) {
      if (!isConflict(err)) throw wrap(err, `cannot update status of ${e.kind.kind} "${e.obj.metadata.name}"`);
    }
  }

  async function writeLock(entries: readonly Entry[], res: Resolution): Promise<void> {
    const packages: LockPackage[] = [];
    for (const e of entries) {
      if (e.info === undefined || e.obj.spec.skipDependencyResolution === true) continue;
      const ref = applyImageConfigs(e.obj.spec.package, [], opts.defaultRegistry).original;
      packages.push({
        name: friendlyId(e.obj.metadata.name ?? '', hexOf(e.info.digest)),
        apiVersion: e.kind.apiVersion,
        kind: e.kind.kind,
        type: e.kind.type,
        source: ref.source,
        version: versionOf(ref),
        dependencies: e.info.meta.dependsOn.map((d) => ({
          package: d.package,
          apiVersion: d.apiVersion,
          kind: d.kind,
          type: d.type as PackageType,
          constraints: d.version,
        })),
      });
    }
    packages.sort((a, b) => (a.name < b.name ? -1 : 1));
    const message = res.error ?? (res.blocked.size > 0 ? [...new Set(res.blocked.values())].join(' ') : undefined);
    const cond = message === undefined ? Cond.resolved() : Cond.unresolved(message);
    let lock = await client.getIfExists<LockObject>(LockRef);
    if (lock === undefined) {
      try {
        lock = await client.create<LockObject>(
          { apiVersion: LockRef.apiVersion, kind: LockRef.kind, metadata: { name: LockRef.name }, packages },
          { fieldManager: FieldManager },
        );
      } catch (err) {
        if (!isAlreadyExists(err)) throw wrap(err, 'cannot create the Lock');
        lock = await client.get<LockObject>(LockRef);
      }
    }
    if (JSON.stringify(lock.packages ?? []) !== JSON.stringify(packages)) {
      try {
        lock = await client.update<LockObject>({ ...lock, packages }, { fieldManager: FieldManager });
      } catch (err) {
        if (!isConflict(err)) throw wrap(err, 'cannot update the Lock');
        return;
      }
    }
    const conditions = setConditions(lock.status?.conditions, [cond]);
    if (!conditionsEqual(lock.status?.conditions, conditions)) {
      try {
        await client.updateStatus({ ...lock, status: { ...(lock.status ?? {}), conditions } });
      } catch (err) {
        if (!isConflict(err)) throw wrap(err, 'cannot update the Lock status');
      }
    }
  }

  return { reconcile, stop: async () => {} };
}

/** OrderForInstall puts dependencies before dependents (plan order), then everything else by kind. */
function orderForInstall(entries: readonly Entry[], plan: readonly PlannedPackage[]): Entry[] {
  const rank = new Map(plan.map((p, i) => [p.package, i]));
  const kindRank = (e: Entry): number => (e.kind.type === 'Configuration' ? 1 : 0);
  return [...entries].sort((a, b) => {
    const ra = rank.get(canonical(a.obj.spec.package)) ?? Number.MAX_SAFE_INTEGER;
    const rb = rank.get(canonical(b.obj.spec.package)) ?? Number.MAX_SAFE_INTEGER;
    if (ra !== rb) return ra - rb;
    if (kindRank(a) !== kindRank(b)) return kindRank(a) - kindRank(b);
    return (a.obj.metadata.name ?? '') < (b.obj.metadata.name ?? '') ? -1 : 1;
  });
}

/**
 * NextPass resolves when the next pass is due: after `pollMs`, 200 ms after a wake (so a burst of
 * events settles into one pass), or at once when the signal aborts. It leaves no listener on the
 * signal, which lives as long as the package manager (one per pass would pile up for ever).
 */
export function nextPass(signal: AbortSignal, pollMs: number, setWake: (wake: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    let settle: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(t);
      if (settle !== undefined) clearTimeout(settle);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, pollMs);
    setWake(() => {
      clearTimeout(t);
      settle ??= setTimeout(done, 200);
    });
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * StartPackageManager starts the package manager loop for `trellis up` and in-cluster use: a
 * pass now, then again whenever a package, revision or ImageConfig changes (watches) or the poll
 * interval passes. Errors of a pass are logged and retried on the next.
 */
export async function startPackageManager(opts: PackageManagerOptions): Promise<PackageManager> {
  const log = opts.log ?? nopLogger;
  const pm = newPackageManager(opts);
  const abort = new AbortController();
  let wake: (() => void) | undefined;
  const poke = (): void => {
    wake?.();
  };
  const watched: TypeRef[] = [
    ...PackageKinds.flatMap((k) => [
      { apiVersion: k.apiVersion, kind: k.kind },
      { apiVersion: k.apiVersion, kind: k.revisionKind },
    ]),
    ImageConfigType,
  ];
  const watchLoop = async (type: TypeRef): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        for await (const _ev of opts.client.watch(type, { signal: abort.signal, allowWatchBookmarks: true })) poke();
      } catch (err) {
        if (abort.signal.aborted) return;
        log.debug('package watch ended', { kind: type.kind, error: err });
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const r = await pm.reconcile();
        log.debug('package manager pass', { packages: r.packages.length, resolved: r.resolved });
      } catch (err) {
        log.info('package manager pass failed', { error: err });
      }
      if (abort.signal.aborted) return;
      await nextPass(abort.signal, opts.pollIntervalMs ?? 10_000, (w) => {
        wake = w;
      });
      wake = undefined;
    }
  };
  // The first pass installs the CRDs; watches start after it.
  const running = (async () => {
    await loop();
  })();
  const watches = (async () => {
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all(watched.map((t) => watchLoop(t)));
  })();
  return {
    reconcile: pm.reconcile,
    stop: async () => {
      abort.abort();
      await running;
      await watches;
    },
  };
}
