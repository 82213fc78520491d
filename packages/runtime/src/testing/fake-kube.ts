// A small in-memory KubeClient for unit tests of pure reconcile logic. It keeps resourceVersions,
// answers 409 on a stale update, honours finalizers on delete, ignores status on main-resource
// writes and everything but status on status writes, and counts writes. It is not exported from
// the package: integration suites use real API servers.
import type {
  ApplyOptions,
  CallOptions,
  DeleteOptions,
  KubeClient,
  ListOptions,
  ObjectList,
  Patch,
  PatchOptions,
  ResourceInfo,
  TypeRef,
  WatchEvent,
  WriteOptions,
} from '@trellis/kube';
import type { KubeObject, ObjectRef } from '@trellis/sdk';
import { describeRef, TrellisError } from '@trellis/sdk';

export interface FakeKube extends KubeClient {
  writes: { verb: string; ref: string }[];
  /** Store returns the stored object (a copy) or undefined. */
  stored(ref: ObjectRef): KubeObject | undefined;
  /** FailNext makes the next call of `verb` on `kind` throw `err`. */
  failNext(verb: string, kind: string, err: unknown): void;
}

function keyOf(ref: { apiVersion: string; kind: string; name?: string | undefined; namespace?: string | undefined }): string {
  return `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${ref.name ?? ''}`;
}

function kerr(code: string, status: number, msg: string): TrellisError {
  return new TrellisError(code, msg, { details: { status } });
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function newFakeKube(initial: KubeObject[] = []): FakeKube {
  const objects = new Map<string, KubeObject>();
  let rv = 1;
  let uid = 1;
  const writes: { verb: string; ref: string }[] = [];
  const failures: { verb: string; kind: string; err: unknown }[] = [];
  const maybeFail = (verb: string, kind: string): void => {
    const i = failures.findIndex((f) => f.verb === verb && f.kind === kind);
    if (i >= 0) {
      const [f] = failures.splice(i, 1);
      throw f?.err;
    }
  };
  const put = (o: KubeObject): KubeObject => {
    const copy = structuredClone(o);
    copy.metadata.resourceVersion = String(rv++);
    objects.set(keyOf({ ...o, name: o.metadata.name, namespace: o.metadata.namespace }), copy);
    return structuredClone(copy);
  };
  const finishIfDone = (o: KubeObject): KubeObject | undefined => {
    if (o.metadata.deletionTimestamp !== undefined && (o.metadata.finalizers ?? []).length === 0) {
      objects.delete(keyOf({ ...o, name: o.metadata.name, namespace: o.metadata.namespace }));
      return undefined;
    }
    return o;
  };
  const getStored = (ref: ObjectRef): KubeObject => {
    const o = objects.get(keyOf(ref));
    if (o === undefined) throw kerr('KUBE_NOT_FOUND', 404, `${describeRef(ref)} not found`);
    return o;
  };
  const refOfObj = (o: KubeObject): ObjectRef => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name ?? '',
    ...(o.metadata.namespace === undefined ? {} : { namespace: o.metadata.namespace }),
  });

  const client: FakeKube = {
    writes,
    stored: (ref) => {
      const o = objects.get(keyOf(ref));
      return o === undefined ? undefined : structuredClone(o);
    },
    failNext: (verb, kind, err) => {
      failures.push({ verb, kind, err });
    },
    async get<T extends KubeObject>(ref: ObjectRef, _opts?: CallOptions): Promise<T> {
      maybeFail('get', ref.kind);
      return structuredClone(getStored(ref)) as T;
    },
    async getIfExists<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
      maybeFail('get', ref.kind);
      const o = objects.get(keyOf(ref));
      return o === undefined ? undefined : (structuredClone(o) as T);
    },
    async list<T extends KubeObject>(type: TypeRef, opts?: ListOptions): Promise<ObjectList<T>> {
      const sel = (opts?.labelSelector ?? '')
        .split(',')
        .filter((s) => s !== '')
        .map((s) => s.split('='));
      const items = [...objects.values()].filter(
        (o) =>
          o.apiVersion === type.apiVersion &&
          o.kind === type.kind &&
          (opts?.namespace === undefined || o.metadata.namespace === opts.namespace) &&
          sel.every(([k, v]) => o.metadata.labels?.[k ?? ''] === v),
      );
      return { items: structuredClone(items) as T[], resourceVersion: String(rv) };
    },
    async listAll<T extends KubeObject>(type: TypeRef, opts?: Omit<ListOptions, 'continue'>): Promise<ObjectList<T>> {
      return client.list<T>(type, opts);
    },
    async create<T extends KubeObject>(obj: T, _opts?: WriteOptions): Promise<T> {
      maybeFail('create', obj.kind);
      const k = keyOf({ ...obj, name: obj.metadata.name, namespace: obj.metadata.namespace });
      if (objects.has(k)) throw kerr('KUBE_ALREADY_EXISTS', 409, `${describeRef(refOfObj(obj))} already exists`);
      writes.push({ verb: 'create', ref: k });
      return put({ ...obj, metadata: { ...obj.metadata, uid: obj.metadata.uid ?? `uid-${uid++}`, generation: 1 } }) as T;
    },
    async update<T extends KubeObject>(obj: T, _opts?: WriteOptions): Promise<T> {
      maybeFail('update', obj.kind);
      const cur = getStored(refOfObj(obj));
      if (obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        throw kerr('KUBE_CONFLICT', 409, `${describeRef(refOfObj(obj))}: the object has been modified`);
      }
      writes.push({ verb: 'update', ref: keyOf(refOfObj(obj)) });
      const specChanged = JSON.stringify(obj.spec) !== JSON.stringify(cur.spec);
      const next: KubeObject = {
        ...structuredClone(obj),
        status: structuredClone(cur.status),
        metadata: {
          ...structuredClone(obj.metadata),
          uid: cur.metadata.uid,
          generation: (cur.metadata.generation ?? 1) + (specChanged ? 1 : 0),
          ...(cur.metadata.deletionTimestamp === undefined ? {} : { deletionTimestamp: cur.metadata.deletionTimestamp }),
        },
      };
      if (next.status === undefined) delete next.status;
      const stored = put(next);
      if (finishIfDone(stored) === undefined) return stored as T;
      return stored as T;
    },
    async updateStatus<T extends KubeObject>(obj: T, _opts?: WriteOptions): Promise<T> {
      maybeFail('updateStatus', obj.kind);
      const cur = getStored(refOfObj(obj));
      if (obj.metadata.resourceVersion !== undefined && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        throw kerr('KUBE_CONFLICT', 409, `${describeRef(refOfObj(obj))}: the object has been modified`);
      }
      writes.push({ verb: 'updateStatus', ref: keyOf(refOfObj(obj)) });
      return put({ ...cur, status: structuredClone(obj.status) }) as T;
    },
    async patch<T extends KubeObject>(ref: ObjectRef, patch: Patch, _opts?: PatchOptions): Promise<T> {
      maybeFail('patch', ref.kind);
      const cur = getStored(ref);
      if (patch.type !== 'merge') throw new TrellisError('KUBE_BAD_REQUEST', 'fake supports merge patches only');
      writes.push({ verb: 'patch', ref: keyOf(ref) });
      const next = mergePatch(cur, patch.patch) as KubeObject;
      next.status = cur.status;
      if (next.status === undefined) delete next.status;
      return put(next) as T;
    },
    async apply<T extends KubeObject>(_obj: KubeObject, _opts: ApplyOptions): Promise<T> {
      throw new TrellisError('KUBE_BAD_REQUEST', 'fake does not support apply');
    },
    async delete<T extends KubeObject>(ref: ObjectRef, _opts?: DeleteOptions): Promise<T | undefined> {
      maybeFail('delete', ref.kind);
      const cur = getStored(ref);
      writes.push({ verb: 'delete', ref: keyOf(ref) });
      if ((cur.metadata.finalizers ?? []).length === 0) {
        objects.delete(keyOf(ref));
        return undefined;
      }
      if (cur.metadata.deletionTimestamp === undefined) {
        return put({
          ...cur,
          metadata: { ...cur.metadata, deletionTimestamp: new Date().toISOString(), generation: (cur.metadata.generation ?? 1) + 1 },
        }) as T;
      }
      return structuredClone(cur) as T;
    },
    async deleteCollection(): Promise<void> {},
    watch<T extends KubeObject>(): AsyncIterable<WatchEvent<T>> {
      return (async function* () {})();
    },
    async resourceFor(type: TypeRef): Promise<ResourceInfo> {
      return {
        group: '',
        version: 'v1',
        kind: type.kind,
        resource: `${type.kind.toLowerCase()}s`,
        namespaced: false,
        verbs: [],
        subresources: ['status'],
      };
    },
    invalidateDiscovery() {},
    async raw() {
      return undefined;
    },
  };
  for (const o of initial) {
    // create() writes the store before its first await, so seeding completes synchronously.
    void client.create(o);
  }
  writes.length = 0;
  return client;
}
