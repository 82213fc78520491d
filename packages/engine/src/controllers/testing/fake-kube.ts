import { randomUUID } from 'node:crypto';
import type { KubeClient, ObjectList, TypeRef } from '@trellis/kube';
import { type KubeObject, type ObjectRef, TrellisError } from '@trellis/sdk';
import { deepEqual, isPlainObject, leafPaths } from '../../apply/fields.ts';

/**
 * A FakeKube is an in-memory KubeClient for unit tests of reconcile logic only. It keeps objects,
 * resource versions, generations, finalizers and a simplified server-side apply (merge plus a
 * managedFields entry per manager). It is not an API server: integration tests use real ones.
 */
export interface FakeKube extends KubeClient {
  /** Calls counts requests by verb (`apply`, `apply/status`, `patch`, ...). */
  calls: Map<string, number>;
  writes(): number;
  resetCalls(): void;
  /** Objects lists stored objects of a kind. */
  objects(type: TypeRef): KubeObject[];
  put(obj: KubeObject): KubeObject;
  peek(ref: ObjectRef): KubeObject | undefined;
  /** Fail makes the next calls of `verb` on `kind` throw `err`. */
  failNext(verb: string, kind: string, err: Error): void;
}

const READS = new Set(['get', 'list', 'watch']);

export function newFakeKube(opts: { clusterScoped?: readonly string[] } = {}): FakeKube {
  const store = new Map<string, KubeObject>();
  const calls = new Map<string, number>();
  const failures = new Map<string, Error>();
  let rv = 100;
  const cluster = new Set([
    'Namespace',
    'CustomResourceDefinition',
    'CompositeResourceDefinition',
    'Composition',
    'CompositionRevision',
    ...(opts.clusterScoped ?? []),
  ]);
  const keyOf = (r: { apiVersion: string; kind: string; name?: string; namespace?: string | undefined }): string =>
    `${r.apiVersion}|${r.kind}|${cluster.has(r.kind) ? '' : (r.namespace ?? '')}|${r.name ?? ''}`;
  const count = (verb: string, kind: string): void => {
    calls.set(verb, (calls.get(verb) ?? 0) + 1);
    const f = failures.get(`${verb}|${kind}`);
    if (f !== undefined) {
      failures.delete(`${verb}|${kind}`);
      throw f;
    }
  };
  const clone = <T>(o: T): T => structuredClone(o);
  const notFound = (r: ObjectRef): TrellisError => new TrellisError('KUBE_NOT_FOUND', `${r.kind} "${r.name}" not found`);
  const conflict = (r: ObjectRef): TrellisError => new TrellisError('KUBE_CONFLICT', `${r.kind} "${r.name}": the object has been modified`);
  const refOfObj = (o: KubeObject): ObjectRef => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name ?? '',
    ...(o.metadata.namespace === undefined ? {} : { namespace: o.metadata.namespace }),
  });
  const bump = (o: KubeObject): void => {
    rv += 1;
    o.metadata.resourceVersion = String(rv);
  };
  const store1 = (o: KubeObject): KubeObject => {
    if (o.metadata.deletionTimestamp !== undefined && (o.metadata.finalizers ?? []).length === 0) {
      store.delete(keyOf(refOfObj(o)));
      return clone(o);
    }
    store.set(keyOf(refOfObj(o)), o);
    return clone(o);
  };
  const write = (existing: KubeObject | undefined, next: KubeObject, specChanged: boolean): KubeObject => {
    if (existing !== undefined && deepEqual(strip(existing), strip(next))) return clone(existing);
    if (existing !== undefined && specChanged) next.metadata.generation = (existing.metadata.generation ?? 1) + 1;
    bump(next);
    return store1(next);
  };

  const client: FakeKube = {
    calls,
    writes: () => [...calls].filter(([v]) => !READS.has(v)).reduce((n, [, c]) => n + c, 0),
    resetCalls: () => calls.clear(),
    objects: (type) => [...store.values()].filter((o) => o.apiVersion === type.apiVersion && o.kind === type.kind).map(clone),
    put: (obj) => {
      const o = clone(obj);
      o.metadata.uid ??= randomUUID();
      o.metadata.generation ??= 1;
      bump(o);
      return store1(o);
    },
    peek: (ref) => {
      const o = store.get(keyOf(ref));
      return o === undefined ? undefined : clone(o);
    },
    failNext: (verb, kind, err) => failures.set(`${verb}|${kind}`, err),

    async get<T extends KubeObject>(ref: ObjectRef) {
      count('get', ref.kind);
      const o = store.get(keyOf(ref));
      if (o === undefined) throw notFound(ref);
      return clone(o) as T;
    },
    async getIfExists<T extends KubeObject>(ref: ObjectRef) {
      count('get', ref.kind);
      const o = store.get(keyOf(ref));
      return o === undefined ? undefined : (clone(o) as T);
    },
    async list<T extends KubeObject>(type: TypeRef, o?: { namespace?: string; labelSelector?: string }) {
      count('list', type.kind);
      const items = client
        .objects(type)
        .filter((x) => (o?.namespace === undefined || x.metadata.namespace === o.namespace) && matches(x, o?.labelSelector));
      return { items: items as T[], resourceVersion: String(rv) } satisfies ObjectList<T>;
    },
    async listAll<T extends KubeObject>(type: TypeRef, o?: { namespace?: string; labelSelector?: string }) {
      return await client.list<T>(type, o);
    },
    async create<T extends KubeObject>(obj: T) {
      count('create', obj.kind);
      const k = keyOf(refOfObj(obj));
      if (store.has(k)) throw new TrellisError('KUBE_ALREADY_EXISTS', `${obj.kind} "${obj.metadata.name}" already exists`);
      const o = clone(obj) as KubeObject;
      o.metadata.uid = randomUUID();
      o.metadata.generation = 1;
      o.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
      bump(o);
      return store1(o) as T;
    },
    async update<T extends KubeObject>(obj: T) {
      count('update', obj.kind);
      const existing = store.get(keyOf(refOfObj(obj)));
      if (existing === undefined) throw notFound(refOfObj(obj));
      if (obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== existing.metadata.resourceVersion)
        throw conflict(refOfObj(obj));
      const next = { ...clone(obj), status: clone(existing.status) } as KubeObject;
      next.metadata = { ...next.metadata };
      if (existing.metadata.uid !== undefined) next.metadata.uid = existing.metadata.uid;
      if (existing.metadata.generation !== undefined) next.metadata.generation = existing.metadata.generation;
      if (existing.metadata.managedFields !== undefined) next.metadata.managedFields = existing.metadata.managedFields;
      return write(existing, next, !deepEqual(existing.spec, next.spec)) as T;
    },
    async updateStatus<T extends KubeObject>(obj: T) {
      count('update/status', obj.kind);
      const existing = store.get(keyOf(refOfObj(obj)));
      if (existing === undefined) throw notFound(refOfObj(obj));
      if (obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== existing.metadata.resourceVersion)
        throw conflict(refOfObj(obj));
      const next = clone(existing);
      next.status = clone(obj.status);
      return write(existing, next, false) as T;
    },
    async patch<T extends KubeObject>(
      ref: ObjectRef,
      patch: { type: string; patch?: Record<string, unknown> },
      o?: { subresource?: string },
    ) {
      count(o?.subresource === undefined ? 'patch' : `patch/${o.subresource}`, ref.kind);
      const existing = store.get(keyOf(ref));
      if (existing === undefined) throw notFound(ref);
      if (patch.type !== 'merge' || patch.patch === undefined) throw new TrellisError('KUBE_BAD_REQUEST', 'fake: only merge patches');
      const meta = patch.patch.metadata as { resourceVersion?: string } | undefined;
      if (meta?.resourceVersion !== undefined && meta.resourceVersion !== existing.metadata.resourceVersion) throw conflict(ref);
      const next = mergePatch(clone(existing), patch.patch) as KubeObject;
      if (existing.metadata.resourceVersion !== undefined) next.metadata.resourceVersion = existing.metadata.resourceVersion;
      return write(existing, next, !deepEqual(existing.spec, next.spec)) as T;
    },
    async apply<T extends KubeObject>(obj: KubeObject, o: { fieldManager: string; subresource?: string }) {
      count(o.subresource === undefined ? 'apply' : `apply/${o.subresource}`, obj.kind);
      const k = keyOf(refOfObj(obj));
      const existing = store.get(k);
      if (existing === undefined && o.subresource !== undefined) throw notFound(refOfObj(obj));
      const precondition = obj.metadata.resourceVersion;
      if (precondition !== undefined && precondition !== existing?.metadata.resourceVersion) throw conflict(refOfObj(obj));
      const base: KubeObject =
        existing === undefined ? { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { ...clone(obj.metadata) } } : clone(existing);
      if (existing === undefined) {
        base.metadata.uid = randomUUID();
        base.metadata.generation = 1;
        base.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
      }
      const body = clone(obj) as Record<string, unknown>;
      const scoped = o.subresource === undefined ? body : { [o.subresource]: body[o.subresource] };
      if (o.subresource === undefined) delete scoped.status;
      const next = applyMerge(base, scoped) as KubeObject;
      const entries = (next.metadata.managedFields ?? []) as Record<string, unknown>[];
      const fieldsV1 = toFieldsV1(scopedForFields(scoped));
      const entry = {
        manager: o.fieldManager,
        operation: 'Apply',
        apiVersion: obj.apiVersion,
        fieldsType: 'FieldsV1',
        fieldsV1,
        ...(o.subresource === undefined ? {} : { subresource: o.subresource }),
      };
      next.metadata.managedFields = [
        ...entries.filter(
          (e) => !(e.manager === o.fieldManager && e.operation === 'Apply' && (e.subresource ?? '') === (o.subresource ?? '')),
        ),
        entry,
      ];
      return write(existing, next, existing !== undefined && !deepEqual(existing.spec, next.spec)) as T;
    },
    async delete<T extends KubeObject>(ref: ObjectRef, o?: { preconditions?: { uid?: string } }) {
      count('delete', ref.kind);
      const existing = store.get(keyOf(ref));
      if (existing === undefined) throw notFound(ref);
      if (o?.preconditions?.uid !== undefined && o.preconditions.uid !== existing.metadata.uid) throw conflict(ref);
      if ((existing.metadata.finalizers ?? []).length === 0) {
        store.delete(keyOf(ref));
        return undefined;
      }
      if (existing.metadata.deletionTimestamp === undefined) {
        existing.metadata.deletionTimestamp = '2026-01-01T00:00:01Z';
        bump(existing);
      }
      return clone(existing) as T;
    },
    async deleteCollection() {
      throw new TrellisError('KUBE_BAD_REQUEST', 'fake: deleteCollection not supported');
    },
    watch() {
      throw new TrellisError('KUBE_BAD_REQUEST', 'fake: watch not supported');
    },
    async resourceFor(type: TypeRef) {
      return {
        group: '',
        version: 'v1',
        kind: type.kind,
        resource: `${type.kind.toLowerCase()}s`,
        namespaced: !cluster.has(type.kind),
        verbs: [],
        subresources: [],
      };
    },
    invalidateDiscovery() {},
    async raw() {
      return {};
    },
  };
  return client;
}

function strip(o: KubeObject): unknown {
  const { metadata, ...rest } = o;
  const { resourceVersion: _rv, managedFields: _mf, generation: _g, ...meta } = metadata;
  return { ...rest, metadata: meta, mf: metadata.managedFields };
}

function matches(o: KubeObject, selector: string | undefined): boolean {
  if (selector === undefined || selector === '') return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    if (v === undefined) return o.metadata.labels?.[k ?? ''] !== undefined;
    return o.metadata.labels?.[k ?? ''] === v;
  });
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function applyMerge(target: unknown, body: unknown): unknown {
  if (!isPlainObject(body)) return body;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'ownerReferences' && Array.isArray(v) && Array.isArray(out[k])) {
      const existing = out[k] as { uid?: string }[];
      out[k] = [...existing.filter((e) => !(v as { uid?: string }[]).some((n) => n.uid === e.uid)), ...v];
      continue;
    }
    if (k === 'finalizers' && Array.isArray(v) && Array.isArray(out[k])) {
      // A set (listType=set): an apply adds its members to the others'.
      out[k] = [...new Set([...(out[k] as unknown[]), ...v])];
      continue;
    }
    out[k] = applyMerge(out[k], v);
  }
  return out;
}

function scopedForFields(body: Record<string, unknown>): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata, ...rest } = body;
  const m = isPlainObject(metadata) ? { ...metadata } : {};
  delete m.name;
  delete m.namespace;
  delete m.resourceVersion;
  return Object.keys(m).length === 0 ? rest : { ...rest, metadata: m };
}

function toFieldsV1(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of leafPaths(obj)) {
    let cur = out;
    for (const seg of p) {
      const k = `f:${seg}`;
      cur[k] ??= {};
      cur = cur[k] as Record<string, unknown>;
    }
  }
  // metadata.finalizers is a set: the server records each member (`v:"<finalizer>"`).
  const finalizers = isPlainObject(obj.metadata) ? obj.metadata.finalizers : undefined;
  const meta = out['f:metadata'] as Record<string, unknown> | undefined;
  if (Array.isArray(finalizers) && meta !== undefined) {
    meta['f:finalizers'] = Object.fromEntries(finalizers.map((f) => [`v:${JSON.stringify(f)}`, {}]));
  }
  return out;
}
