import type { KubeObject, Logger } from '@trellis/sdk';
import { CRD_CLEANUP_FINALIZER, type Rest, setCondition } from '../api/rest.ts';
import { crdCondition, crdGroup, crdNames, crdResourceTypes, forgetCrdCache, isEstablished } from '../registry/crd.ts';
import type { ResourceType } from '../registry/types.ts';
import type { StoredObject } from '../store/objects.ts';
import { KeyQueue } from './queue.ts';

const CRD_BUCKET = 'apiextensions.k8s.io/customresourcedefinitions';
const MANAGER = 'kube-apiserver';

/**
 * The CRD controller does what kube-apiserver's naming, establishing and finalizer controllers do:
 * it accepts names (or reports the conflict), sets NamesAccepted then Established, registers the
 * served versions so discovery, OpenAPI and the endpoints follow at once, and on deletion removes
 * every custom resource before dropping the cleanup finalizer.
 */
export class CrdController {
  private readonly rest: Rest;
  private readonly queue: KeyQueue;
  private unsubscribe: () => void = () => {};

  constructor(rest: Rest, log: Logger) {
    this.rest = rest;
    this.queue = new KeyQueue('crd', (name) => this.sync(name), log);
  }

  private get crdType(): ResourceType {
    return this.rest.registry.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions') as ResourceType;
  }

  /** Start registers every Established CRD synchronously (so a restarted server serves them at once) and starts watching. */
  start(): void {
    for (const o of this.rest.store.list(CRD_BUCKET)) {
      const crd = o.object();
      if (isEstablished(crd)) this.rest.registry.setCrd(o.name, crdResourceTypes(crd));
      this.queue.add(o.name);
    }
    const unsubCrd = this.rest.store.subscribe(CRD_BUCKET, (ev) => this.queue.add(ev.object.name));
    // Instances of a terminating CRD: re-check the CRD when one goes away.
    const unsubAll = this.rest.store.subscribe('*', (ev) => {
      if (ev.type !== 'DELETED' || ev.object.bucket === CRD_BUCKET) return;
      for (const rt of this.rest.registry.all()) {
        if (rt.crd?.terminating === true && rt.bucket === ev.object.bucket) this.queue.add(rt.crd.name);
      }
    });
    this.unsubscribe = () => {
      unsubCrd();
      unsubAll();
    };
  }

  stop(): void {
    this.unsubscribe();
    this.queue.stop();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private sync(name: string): void {
    const r = this.rest.read(this.crdType, '', name);
    if (r === undefined) {
      const uid = this.rest.registry.crdTypes(name)[0]?.crd?.uid;
      if (uid !== undefined) forgetCrdCache(uid);
      this.rest.registry.setCrd(name, undefined);
      this.requeueGroup(undefined);
      return;
    }
    const crd = r.obj;
    if (crd.metadata.deletionTimestamp !== undefined) {
      this.finalize(crd);
      return;
    }
    if (!this.acceptNames(crd)) return;
    const current = this.rest.read(this.crdType, '', name)?.obj;
    if (current === undefined) return;
    if (crdCondition(current, 'NamesAccepted')?.status === 'True' && !isEstablished(current)) {
      this.rest.mutate(this.crdType, '', name, 'status', MANAGER, (o) =>
        setCondition(
          o,
          { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
          this.rest.now(),
        ),
      );
    }
    const latest = this.rest.read(this.crdType, '', name)?.obj;
    if (latest === undefined) return;
    // Compiled once per generation (crdResourceTypes caches by uid, name, generation and deletion).
    if (isEstablished(latest)) this.rest.registry.setCrd(name, crdResourceTypes(latest));
  }

  /** AcceptNames runs the naming controller's logic; false when names conflict. */
  private acceptNames(crd: KubeObject): boolean {
    const name = crd.metadata.name ?? '';
    const group = crdGroup(crd);
    const want = crdNames(crd);
    const status = (crd.status ?? {}) as Record<string, unknown>;
    const accepted = (status.acceptedNames ?? {}) as Record<string, unknown>;
    const usedResources = new Set<string>();
    const usedKinds = new Set<string>();
    for (const o of this.rest.store.list(CRD_BUCKET)) {
      if (o.name === name) continue;
      const other = namesOf(o);
      if (other.group !== group) continue;
      const an = other.acceptedNames;
      if (an === undefined) continue;
      for (const k of ['plural', 'singular']) if (typeof an[k] === 'string' && an[k] !== '') usedResources.add(an[k] as string);
      for (const sn of Array.isArray(an.shortNames) ? (an.shortNames as string[]) : []) usedResources.add(sn);
      for (const k of ['kind', 'listKind']) if (typeof an[k] === 'string' && an[k] !== '') usedKinds.add(an[k] as string);
    }
    const conflicts: Array<{ reason: string; message: string }> = [];
    const check = (requested: string, acceptedName: unknown, used: Set<string>, reason: string): void => {
      if (requested === acceptedName || !used.has(requested)) return;
      conflicts.push({ reason, message: `"${requested}" is already in use` });
    };
    check(want.plural, accepted.plural, usedResources, 'PluralConflict');
    check(want.singular, accepted.singular, usedResources, 'SingularConflict');
    const acceptedShort = new Set(Array.isArray(accepted.shortNames) ? (accepted.shortNames as string[]) : []);
    const shortConflicts = want.shortNames
      .filter((s) => !acceptedShort.has(s) && usedResources.has(s))
      .map((s) => `"${s}" is already in use`);
    if (shortConflicts.length > 0)
      conflicts.push({
        reason: 'ShortNamesConflict',
        message: shortConflicts.length === 1 ? (shortConflicts[0] as string) : `[${shortConflicts.join(', ')}]`,
      });
    check(want.kind, accepted.kind, usedKinds, 'KindConflict');
    check(want.listKind, accepted.listKind, usedKinds, 'ListKindConflict');
    const ok = conflicts.length === 0;
    const last = conflicts[conflicts.length - 1];
    this.rest.mutate(this.crdType, '', name, 'status', MANAGER, (o) => {
      const st = (o.status ?? {}) as Record<string, unknown>;
      o.status = st;
      const names: Record<string, unknown> = { ...((st.acceptedNames ?? {}) as Record<string, unknown>) };
      if (ok) {
        names.plural = want.plural;
        names.singular = want.singular;
        if (want.shortNames.length > 0) names.shortNames = want.shortNames;
        else delete names.shortNames;
        names.kind = want.kind;
        names.listKind = want.listKind;
      }
      if (want.categories.length > 0) names.categories = want.categories;
      else delete names.categories;
      st.acceptedNames = orderNames(names);
      const now = this.rest.now();
      let changed = setCondition(
        o,
        ok
          ? { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' }
          : { type: 'NamesAccepted', status: 'False', reason: last?.reason ?? '', message: last?.message ?? '' },
        now,
      );
      const est = crdCondition(o, 'Established');
      if (est === undefined || (est.status !== 'True' && ok)) {
        changed =
          setCondition(
            o,
            ok
              ? { type: 'Established', status: 'False', reason: 'Installing', message: 'the initial names have been accepted' }
              : { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' },
            now,
          ) || changed;
      }
      return true;
    });
    return ok;
  }

  private finalize(crd: KubeObject): void {
    const name = crd.metadata.name ?? '';
    if (!(crd.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) return;
    // Serve the terminating types: reads and deletes work, creates do not.
    const types = crdResourceTypes(crd);
    if (isEstablished(crd)) this.rest.registry.setCrd(name, types);
    const rt = types[0];
    if (rt !== undefined && isEstablished(crd)) {
      this.rest.mutate(this.crdType, '', name, 'status', MANAGER, (o) =>
        setCondition(
          o,
          { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' },
          this.rest.now(),
        ),
      );
      for (const o of this.rest.store.list(rt.bucket)) {
        if (o.meta.deletionTimestamp !== undefined) continue;
        try {
          this.rest.delete(rt, o.namespace, o.name, {
            dryRun: false,
            propagationPolicy: undefined,
            orphanDependents: undefined,
            gracePeriodSeconds: undefined,
            preconditions: undefined,
          });
        } catch {
          // Gone meanwhile: the next event re-runs this.
        }
      }
      if (this.rest.store.count(rt.bucket) > 0) return;
      this.rest.mutate(this.crdType, '', name, 'status', MANAGER, (o) =>
        setCondition(
          o,
          { type: 'Terminating', status: 'False', reason: 'InstanceDeletionCompleted', message: 'removed all instances' },
          this.rest.now(),
        ),
      );
    }
    this.rest.mutate(this.crdType, '', name, '', MANAGER, (o) => {
      o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
      if (o.metadata.finalizers.length === 0) delete o.metadata.finalizers;
      return true;
    });
    if (this.rest.read(this.crdType, '', name) === undefined) {
      forgetCrdCache(crd.metadata.uid ?? '');
      this.rest.registry.setCrd(name, undefined);
    }
  }

  private requeueGroup(_group: string | undefined): void {
    for (const o of this.rest.store.list(CRD_BUCKET)) {
      if (!namesOf(o).namesAccepted) this.queue.add(o.name);
    }
  }
}

interface CrdNamesInfo {
  group: string;
  acceptedNames: Record<string, unknown> | undefined;
  namesAccepted: boolean;
}

/**
 * Stored versions are immutable, so what the naming controller reads of each CRD is parsed once
 * per version: checking one CRD's names against every other CRD of its group then costs no JSON
 * parse (installing 500 CRDs of one group parsed ~375,000 large CRDs before).
 */
const namesCache = new WeakMap<StoredObject, CrdNamesInfo>();

function namesOf(o: StoredObject): CrdNamesInfo {
  let info = namesCache.get(o);
  if (info === undefined) {
    const crd = o.object();
    const an = ((crd.status ?? {}) as Record<string, unknown>).acceptedNames;
    info = {
      group: crdGroup(crd),
      acceptedNames: typeof an === 'object' && an !== null ? (an as Record<string, unknown>) : undefined,
      namesAccepted: crdCondition(crd, 'NamesAccepted')?.status === 'True',
    };
    namesCache.set(o, info);
  }
  return info;
}

function orderNames(n: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['plural', 'singular', 'shortNames', 'kind', 'listKind', 'categories']) if (n[k] !== undefined) out[k] = n[k];
  return out;
}
