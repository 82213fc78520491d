import type { KubeClient } from '@trellis/kube';
import { isNotFound } from '@trellis/kube';
import { describeRef, type KubeObject, type OwnerReference, TrellisError, wrap } from '@trellis/sdk';
import type { ObjectRefStatus } from './api.ts';
import { compareSchemas, hasPath, type SchemaChange } from './schema-compat.ts';

/** An Owner is an object that can own installed objects (a revision or a package). */
export interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** EstablishInput says which objects a revision installs and how. */
export interface EstablishInput {
  revision: Owner;
  /** Parent is the package object: a plain owner, so objects dropped by a newer version keep their data. */
  parent: Owner;
  objects: readonly KubeObject[];
  /** Control: the active revision creates and controls; an inactive one only adds itself as an owner. */
  control: boolean;
  /** Force allows breaking schema changes (dropped served versions, dropped fields in use). */
  force: boolean;
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  fieldManager: string;
}

const schemaKinds = new Set(['CustomResourceDefinition', 'CompositeResourceDefinition']);

/** Concurrency of reads and writes while establishing (upstream's MaxConcurrentPackageEstablishers is 10). */
const concurrency = 8;

/** MapLimit maps with at most `limit` calls in flight; results keep the input order; the first error wins. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  return out;
}

function ownerRef(o: Owner, controller: boolean): OwnerReference {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.name, uid: o.uid, controller, blockOwnerDeletion: true };
}

function refOfObj(o: KubeObject): { apiVersion: string; kind: string; name: string } {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name ?? '' };
}

/**
 * Establish installs a revision's objects with upstream's ownership rules (establisher.go): the
 * active revision is the controller owner, every revision that ships an object is a plain owner,
 * and the package is a plain owner too. Everything is checked first (conflicting controllers,
 * breaking schema changes, and a server-side dry run of every write), so a failure installs
 * nothing. Writes are skipped when an object already matches (zero writes in steady state).
 */
export async function establish(client: KubeClient, input: EstablishInput): Promise<ObjectRefStatus[]> {
  const plans: { desired: KubeObject; current: KubeObject | undefined; next: KubeObject; write: 'create' | 'update' | 'none' }[] = [];
  const problems: string[] = [];
  const changes: SchemaChange[] = [];
  // Reads in parallel (upstream establishes with several workers too); decisions in object order.
  const currents = await mapLimit(input.objects, concurrency, async (o) => {
    const desired = decorate(o, input);
    try {
      return { desired, current: await client.getIfExists(refOfObj(desired)) };
    } catch (err) {
      throw wrap(err, `cannot get ${describeRef(refOfObj(desired))}`);
    }
  });
  for (const { desired, current } of currents) {
    if (current === undefined) {
      if (!input.control) continue;
      const next = {
        ...desired,
        metadata: { ...desired.metadata, ownerReferences: [ownerRef(input.revision, true), ownerRef(input.parent, false)] },
      };
      plans.push({ desired, current, next, write: 'create' });
      continue;
    }
    const controller = (current.metadata.ownerReferences ?? []).find((r) => r.controller === true);
    if (input.control && controller !== undefined && controller.uid !== input.revision.uid) {
      const sameParent = (current.metadata.ownerReferences ?? []).some((r) => r.uid === input.parent.uid);
      if (!sameParent || controller.kind !== input.revision.kind) {
        problems.push(
          `${describeRef(refOfObj(current))} is already controlled by ${controller.kind} "${controller.name}" (UID ${controller.uid})`,
        );
        continue;
      }
    }
    if (input.control && schemaKinds.has(current.kind)) {
      changes.push(...(await breakingChanges(client, current, desired)));
    }
    const next = input.control ? merge(current, desired, input) : addOwner(current, input);
    plans.push({ desired, current, next, write: same(current, next) ? 'none' : 'update' });
  }
  if (changes.length > 0 && !input.force) {
    throw new TrellisError(
      'XPKG_SCHEMA_INCOMPATIBLE',
      `refusing a breaking schema change (set the annotation pkg.trellis.dev/force-schema-change: "true" on the package to force it): ${changes.map((c) => c.message).join('; ')}`,
      { details: { changes } },
    );
  }
  if (problems.length > 0) throw new TrellisError('XPKG_OWNERSHIP_CONFLICT', `cannot establish control of objects: ${problems.join('; ')}`);
  // Dry run every write first: a rejected object installs nothing.
  await mapLimit(plans, concurrency, async (p) => {
    if (p.write === 'none') return;
    try {
      if (p.write === 'create') await client.create(p.next, { dryRun: true, fieldManager: input.fieldManager });
      else await client.update(p.next, { dryRun: true, fieldManager: input.fieldManager });
    } catch (err) {
      throw wrap(err, `cannot ${p.write} ${describeRef(refOfObj(p.next))} (dry run)`);
    }
  });
  const refs: ObjectRefStatus[] = await mapLimit(plans, concurrency, async (p) => {
    let obj: KubeObject;
    try {
      if (p.write === 'create') obj = await client.create(p.next, { fieldManager: input.fieldManager });
      else if (p.write === 'update') obj = await client.update(p.next, { fieldManager: input.fieldManager });
      else obj = p.current as KubeObject;
    } catch (err) {
      throw wrap(err, `cannot ${p.write} ${describeRef(refOfObj(p.next))}`);
    }
    return { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name ?? '', uid: obj.metadata.uid ?? '' };
  });
  return refs.sort((a, b) => (`${a.kind}/${a.name}` < `${b.kind}/${b.name}` ? -1 : 1));
}

/**
 * Release hands over control: for each object a deactivated revision installed, its controller
 * reference becomes a plain owner reference, so the next active revision can take control.
 */
export async function release(client: KubeClient, revision: Owner, refs: readonly ObjectRefStatus[], fieldManager: string): Promise<void> {
  for (const r of refs) {
    let cur: KubeObject | undefined;
    try {
      cur = await client.getIfExists({ apiVersion: r.apiVersion, kind: r.kind, name: r.name });
    } catch (err) {
      throw wrap(err, `cannot get ${describeRef(r)}`);
    }
    if (cur === undefined) continue;
    const owners = cur.metadata.ownerReferences ?? [];
    const mine = owners.find((o) => o.uid === revision.uid);
    if (mine !== undefined && mine.controller !== true) continue;
    const next =
      mine === undefined
        ? [...owners, ownerRef(revision, false)]
        : owners.map((o) => (o.uid === revision.uid ? { ...o, controller: false } : o));
    try {
      await client.update({ ...cur, metadata: { ...cur.metadata, ownerReferences: next } }, { fieldManager });
    } catch (err) {
      if (isNotFound(err)) continue;
      throw wrap(err, `cannot release ${describeRef(r)}`);
    }
  }
}

function decorate(o: KubeObject, input: EstablishInput): KubeObject {
  const labels = { ...(o.metadata.labels ?? {}), ...(input.commonLabels ?? {}) };
  const annotations = { ...(o.metadata.annotations ?? {}), ...(input.commonAnnotations ?? {}) };
  const { status: _s, ...rest } = o;
  const metadata: KubeObject['metadata'] = { name: o.metadata.name ?? '' };
  if (o.metadata.namespace !== undefined) metadata.namespace = o.metadata.namespace;
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return { ...rest, metadata } as KubeObject;
}

function mergeOwners(existing: OwnerReference[], add: OwnerReference[]): OwnerReference[] {
  const out = existing.map((o) => ({ ...o }));
  for (const a of add) {
    const i = out.findIndex((o) => o.uid === a.uid);
    if (i >= 0) out[i] = { ...(out[i] as OwnerReference), controller: a.controller ?? false, blockOwnerDeletion: true };
    else out.push(a);
  }
  // Only one controller: the one we are adding.
  const ctl = add.find((a) => a.controller === true);
  return ctl === undefined ? out : out.map((o) => (o.uid !== ctl.uid && o.controller === true ? { ...o, controller: false } : o));
}

function merge(current: KubeObject, desired: KubeObject, input: EstablishInput): KubeObject {
  const owners = mergeOwners(current.metadata.ownerReferences ?? [], [ownerRef(input.revision, true), ownerRef(input.parent, false)]);
  const out: KubeObject = { ...current };
  for (const [k, v] of Object.entries(desired)) {
    if (k === 'metadata' || k === 'status' || k === 'apiVersion' || k === 'kind') continue;
    out[k] = v;
  }
  out.metadata = {
    ...current.metadata,
    labels: { ...(current.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) },
    annotations: { ...(current.metadata.annotations ?? {}), ...(desired.metadata.annotations ?? {}) },
    ownerReferences: owners,
  };
  if (Object.keys(out.metadata.labels ?? {}).length === 0) delete out.metadata.labels;
  if (Object.keys(out.metadata.annotations ?? {}).length === 0) delete out.metadata.annotations;
  return out;
}

function addOwner(current: KubeObject, input: EstablishInput): KubeObject {
  const owners = current.metadata.ownerReferences ?? [];
  const mine = owners.find((o) => o.uid === input.revision.uid);
  if (mine !== undefined && mine.controller !== true) return current;
  const next =
    mine === undefined
      ? [...owners, ownerRef(input.revision, false)]
      : owners.map((o) => (o.uid === input.revision.uid ? { ...o, controller: false } : o));
  return { ...current, metadata: { ...current.metadata, ownerReferences: next } };
}

function same(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): unknown => {
    const { status: _s, metadata, ...rest } = o;
    return { rest, labels: metadata.labels ?? {}, annotations: metadata.annotations ?? {}, owners: metadata.ownerReferences ?? [] };
  };
  return stableJson(strip(a)) === stableJson(strip(b));
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

async function breakingChanges(client: KubeClient, current: KubeObject, desired: KubeObject): Promise<SchemaChange[]> {
  const spec = (current.spec ?? {}) as { group?: string; names?: { kind?: string } };
  const group = spec.group ?? '';
  const kind = spec.names?.kind ?? '';
  const cache = new Map<string, KubeObject[]>();
  const instances = async (version: string): Promise<KubeObject[]> => {
    const have = cache.get(version);
    if (have !== undefined) return have;
    let items: KubeObject[] = [];
    try {
      items = (await client.list({ apiVersion: `${group}/${version}`, kind }, { limit: 500 })).items;
    } catch (err) {
      // Documented expected case: a kind that is not served (yet) has no instances in use.
      if (!isNotFound(err) && (err as { code?: string }).code !== 'KUBE_NO_KIND_MATCH')
        throw wrap(err, `cannot list ${kind}.${version}.${group} to check a schema change`);
    }
    cache.set(version, items);
    return items;
  };
  const versions = ((current.spec as { versions?: { name?: string }[] } | undefined)?.versions ?? []).map((v) => v.name ?? '');
  const used = new Map<string, KubeObject[]>();
  for (const v of versions) used.set(v, await instances(v));
  return compareSchemas(current, desired, (version, path) => (used.get(version) ?? []).some((o) => hasPath(o, path)));
}
