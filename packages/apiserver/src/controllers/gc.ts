import type { KubeObject, Logger, OwnerReference } from '@trellis/sdk';
import { ApiError } from '../api/errors.ts';
import type { DeleteOpts } from '../api/options.ts';
import type { Rest } from '../api/rest.ts';
import type { ResourceType } from '../registry/types.ts';
import type { StoreEvent } from '../store/history.ts';
import type { StoredObject } from '../store/objects.ts';
import { KeyQueue } from './queue.ts';

const MANAGER = 'generic-garbage-collector';

interface Loc {
  bucket: string;
  namespace: string;
  name: string;
}

function locKey(l: Loc): string {
  return `${l.bucket}|${l.namespace}|${l.name}`;
}

function parseLoc(k: string): Loc {
  const [bucket, namespace, name] = k.split('|') as [string, string, string];
  return { bucket, namespace, name };
}

const deleteOpts = (policy: DeleteOpts['propagationPolicy']): DeleteOpts => ({
  dryRun: false,
  propagationPolicy: policy,
  orphanDependents: undefined,
  gracePeriodSeconds: undefined,
  preconditions: undefined,
});

/**
 * The garbage collector does what kube-controller-manager's does, in-process and driven by the
 * store's events: it deletes dependents whose owners are all gone (background), deletes the
 * dependents of an owner in foreground deletion and releases the owner once no dependent with
 * blockOwnerDeletion remains, orphans dependents of an owner deleted with the orphan policy, and
 * drops dangling owner references from dependents that still have a live owner.
 */
export class GarbageCollector {
  private readonly rest: Rest;
  private readonly queue: KeyQueue;
  /** dependents maps an owner uid to the keys of objects that reference it. */
  private readonly dependents = new Map<string, Set<string>>();
  private unsubscribe: () => void = () => {};

  constructor(rest: Rest, log: Logger) {
    this.rest = rest;
    this.queue = new KeyQueue('garbage-collector', (k) => this.process(k), log);
  }

  start(): void {
    // Only objects that mention ownerReferences or deletionTimestamp are parsed: a cheap scan keeps
    // a restart over many objects fast. Everything found is re-checked (work a crash interrupted).
    for (const bucket of this.rest.store.bucketNames()) {
      this.rest.store.each(bucket, (o) => {
        const owned = o.mentions('ownerReferences');
        if (owned) this.index(o, undefined);
        const deleting = o.mentions('deletionTimestamp') && o.meta.deletionTimestamp !== undefined;
        if ((owned && o.meta.ownerReferences !== undefined) || deleting) this.queue.add(locKey(o));
      });
    }
    this.unsubscribe = this.rest.store.subscribe('*', (ev) => this.onEvent(ev));
  }

  stop(): void {
    this.unsubscribe();
    this.queue.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private index(o: StoredObject, prev: StoredObject | undefined): void {
    const key = locKey(o);
    if (prev !== undefined) for (const r of prev.meta.ownerReferences ?? []) this.dependents.get(r.uid)?.delete(key);
    for (const r of o.meta.ownerReferences ?? []) {
      let set = this.dependents.get(r.uid);
      if (set === undefined) {
        set = new Set();
        this.dependents.set(r.uid, set);
      }
      set.add(key);
    }
  }

  private unindex(o: StoredObject): void {
    const key = locKey(o);
    for (const r of o.meta.ownerReferences ?? []) {
      const set = this.dependents.get(r.uid);
      set?.delete(key);
      if (set?.size === 0) this.dependents.delete(r.uid);
    }
  }

  private onEvent(ev: StoreEvent): void {
    const key = locKey(ev.object);
    if (ev.type === 'DELETED') {
      this.unindex(ev.prev ?? ev.object);
      // Its dependents may now be orphaned; its owners may be waiting for it (foreground).
      for (const d of this.dependents.get(ev.object.meta.uid) ?? []) this.queue.add(d);
      for (const r of ev.object.meta.ownerReferences ?? []) {
        const owner = this.locate(ev.object, r);
        if (owner !== undefined) this.queue.add(locKey(owner));
      }
      return;
    }
    this.index(ev.object, ev.prev);
    if (ev.object.meta.ownerReferences !== undefined || ev.object.meta.deletionTimestamp !== undefined) this.queue.add(key);
    if (ev.object.meta.deletionTimestamp !== undefined) for (const d of this.dependents.get(ev.object.meta.uid) ?? []) this.queue.add(d);
    // An owner that changed ownerReferences of dependents (or was re-created) may unblock others.
    if (ev.prev !== undefined) {
      for (const r of ev.prev.meta.ownerReferences ?? []) {
        const owner = this.locate(ev.prev, r);
        if (owner !== undefined) this.queue.add(locKey(owner));
      }
    }
  }

  private typeOf(bucket: string): ResourceType | undefined {
    return this.rest.registry.storageType(bucket);
  }

  private process(key: string): void {
    const loc = parseLoc(key);
    const stored = this.rest.store.get(loc.bucket, loc.namespace, loc.name);
    if (stored === undefined) return;
    const rt = this.typeOf(loc.bucket);
    if (rt === undefined) return;
    const fins = stored.meta.finalizers ?? [];
    if (stored.meta.deletionTimestamp !== undefined) {
      if (fins.includes('orphan')) {
        this.orphanDependents(stored, rt);
        return;
      }
      if (fins.includes('foregroundDeletion')) {
        this.deleteDependentsInForeground(stored, rt);
        return;
      }
    }
    if (stored.meta.ownerReferences !== undefined) this.attemptToDelete(stored, rt);
  }

  /** OwnerState classifies a reference: the owner exists, is gone, is waiting for its dependents, or cannot be resolved. */
  /**
   * Locate finds where the owner a reference names would live, as the real garbage collector
   * does: by group, kind and name (in the dependent's namespace for a namespaced owner).
   */
  private locate(dep: StoredObject, ref: OwnerReference): Loc | undefined {
    const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
    const rt = this.rest.registry.lookupGroupKind(group, ref.kind);
    if (rt === undefined) return undefined;
    return { bucket: rt.bucket, namespace: rt.namespaced ? dep.namespace : '', name: ref.name };
  }

  private ownerState(dep: StoredObject, ref: OwnerReference): 'solid' | 'dangling' | 'waiting' | 'unknown' {
    const at = this.locate(dep, ref);
    if (at === undefined) return 'unknown';
    const owner = this.rest.store.get(at.bucket, at.namespace, at.name);
    if (owner === undefined || owner.meta.uid !== ref.uid) return 'dangling';
    if (owner.meta.deletionTimestamp !== undefined && (owner.meta.finalizers ?? []).includes('foregroundDeletion')) return 'waiting';
    return 'solid';
  }

  private attemptToDelete(dep: StoredObject, rt: ResourceType): void {
    const refs = dep.meta.ownerReferences ?? [];
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const r of refs) {
      const s = this.ownerState(dep, r);
      if (s === 'solid' || s === 'unknown') solid.push(r);
      else if (s === 'dangling') dangling.push(r);
      else waiting.push(r);
    }
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // Keep the object; drop references to owners that are gone or waiting for it.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      this.rest.mutate(rt, dep.namespace, dep.name, '', MANAGER, (o) => {
        const kept = (o.metadata.ownerReferences ?? []).filter((r) => !drop.has(r.uid));
        if (kept.length === (o.metadata.ownerReferences ?? []).length) return false;
        if (kept.length === 0) delete o.metadata.ownerReferences;
        else o.metadata.ownerReferences = kept;
        return true;
      });
      return;
    }
    if (dep.meta.deletionTimestamp !== undefined) return;
    const fins = dep.meta.finalizers ?? [];
    let policy: DeleteOpts['propagationPolicy'];
    if (waiting.length > 0 && (this.dependents.get(dep.meta.uid)?.size ?? 0) > 0) policy = 'Foreground';
    else if (fins.includes('orphan')) policy = 'Orphan';
    else if (fins.includes('foregroundDeletion')) policy = 'Foreground';
    else policy = 'Background';
    this.deleteQuietly(rt, dep, policy);
  }

  private deleteDependentsInForeground(owner: StoredObject, rt: ResourceType): void {
    const deps = [...(this.dependents.get(owner.meta.uid) ?? [])].map(parseLoc);
    let blocking = 0;
    for (const d of deps) {
      const dep = this.rest.store.get(d.bucket, d.namespace, d.name);
      if (dep === undefined) continue;
      const ref = (dep.meta.ownerReferences ?? []).find((r) => r.uid === owner.meta.uid);
      if (ref?.blockOwnerDeletion === true) blocking++;
      if (dep.meta.deletionTimestamp === undefined) this.queue.add(locKey(d));
    }
    if (blocking > 0) return;
    this.rest.mutate(rt, owner.namespace, owner.name, '', MANAGER, (o) => {
      const f = (o.metadata.finalizers ?? []).filter((x) => x !== 'foregroundDeletion');
      if (f.length === (o.metadata.finalizers ?? []).length) return false;
      if (f.length === 0) delete o.metadata.finalizers;
      else o.metadata.finalizers = f;
      return true;
    });
  }

  private orphanDependents(owner: StoredObject, rt: ResourceType): void {
    const deps = [...(this.dependents.get(owner.meta.uid) ?? [])].map(parseLoc);
    for (const d of deps) {
      const drt = this.typeOf(d.bucket);
      if (drt === undefined) continue;
      this.rest.mutate(drt, d.namespace, d.name, '', MANAGER, (o) => {
        const kept = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.meta.uid);
        if (kept.length === (o.metadata.ownerReferences ?? []).length) return false;
        if (kept.length === 0) delete o.metadata.ownerReferences;
        else o.metadata.ownerReferences = kept;
        return true;
      });
    }
    this.rest.mutate(rt, owner.namespace, owner.name, '', MANAGER, (o: KubeObject) => {
      const f = (o.metadata.finalizers ?? []).filter((x) => x !== 'orphan');
      if (f.length === (o.metadata.finalizers ?? []).length) return false;
      if (f.length === 0) delete o.metadata.finalizers;
      else o.metadata.finalizers = f;
      return true;
    });
  }

  private deleteQuietly(rt: ResourceType, o: StoredObject, policy: DeleteOpts['propagationPolicy']): void {
    try {
      this.rest.delete(rt, o.namespace, o.name, { ...deleteOpts(policy), preconditions: { uid: o.meta.uid } });
    } catch (err) {
      if (err instanceof ApiError && (err.status.reason === 'NotFound' || err.status.reason === 'Conflict')) return;
      throw err;
    }
  }
}
