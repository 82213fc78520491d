import type { Informer, InformerFactory, KubeClient, ReconcileResult, WorkQueue } from '@trellis/kube';
import type { EventRecorder, KubeObject, Logger, ObjectRef } from '@trellis/sdk';
import { nopLogger, nopRecorder, objectKey } from '@trellis/sdk';
import type { ConnectionPublisher } from './connection.ts';
import { secretPublisher } from './connection.ts';
import { clone } from './fields.ts';
import { Annotation } from './meta.ts';
import type { ObjectReader, ProviderConfigKinds, UsageTracker } from './providerconfig.ts';
import { apiUsageTracker, newProviderConfigReconciler, UsageLabel } from './providerconfig.ts';
import type { ManagedKind, ManagedReconcilerOptions } from './reconciler.ts';
import { newManagedReconciler } from './reconciler.ts';
import { apiReferenceResolver } from './references.ts';

/**
 * ControllerMachinery is what runs controllers: shared informers, a work queue per controller
 * (per-item backoff under a global rate limit) and a worker loop. @trellis/kube provides it
 * (`newInformerFactory`, `newWorkQueue`, `runController`); the provider process wires it.
 */
export interface ControllerMachinery {
  informers: InformerFactory;
  newQueue(name: string): WorkQueue;
  run(opts: {
    name: string;
    queue: WorkQueue;
    workers: number;
    reconcile: (key: string, signal: AbortSignal) => Promise<ReconcileResult>;
    log: Logger;
    signal: AbortSignal;
  }): Promise<void>;
}

/**
 * DesiredStateChanged is upstream's event filter (`resource.DesiredStateChanged`): a managed
 * resource is reconciled again when its generation (spec), labels, annotations or deletion
 * changed; status-only writes, including the runtime's own, never trigger a reconcile. Changes
 * to the create-pending and create-failed annotations alone are ignored too.
 */
export function desiredStateChanged(oldObj: KubeObject, newObj: KubeObject): boolean {
  if (oldObj.metadata.generation !== newObj.metadata.generation) return true;
  if ((oldObj.metadata.deletionTimestamp ?? '') !== (newObj.metadata.deletionTimestamp ?? '')) return true;
  if (JSON.stringify(oldObj.metadata.labels ?? {}) !== JSON.stringify(newObj.metadata.labels ?? {})) return true;
  const ignored = new Set<string>([Annotation.ExternalCreatePending, Annotation.ExternalCreateFailed]);
  const strip = (a: Record<string, string> | undefined): string =>
    JSON.stringify(
      Object.entries(a ?? {})
        .filter(([k]) => !ignored.has(k))
        .sort(([a1], [b1]) => a1.localeCompare(b1)),
    );
  return strip(oldObj.metadata.annotations) !== strip(newObj.metadata.annotations);
}

/** InformerReader reads objects of one kind from an informer's cache (copies, so callers may mutate them). */
export function informerReader(informer: Informer): ObjectReader {
  return {
    get: async (ref) => {
      const o = informer.get(objectKey(ref));
      return o === undefined ? undefined : clone(o);
    },
  };
}

/**
 * CachedReader serves reads of the kinds it has informers for (keyed `apiVersion/kind`) from
 * their caches once synced, and every other kind from the API server. Providers read their
 * ProviderConfigs and credential Secrets through it, so polling 10,000 resources does not GET the
 * same Secret 10,000 times a minute.
 */
export function cachedReader(client: KubeClient, informers: Readonly<Record<string, Informer>>): ObjectReader {
  return {
    async get(ref: ObjectRef, signal?: AbortSignal) {
      const inf = informers[`${ref.apiVersion}/${ref.kind}`];
      if (inf?.hasSynced() === true) {
        const o = inf.get(objectKey(ref));
        return o === undefined ? undefined : clone(o);
      }
      return client.getIfExists(ref, signal === undefined ? {} : { signal });
    },
  };
}

/** ManagedControllerOptions configure the controller of one managed kind. */
export interface ManagedControllerOptions {
  client: KubeClient;
  machinery: ControllerMachinery;
  kind: ManagedKind;
  providerConfig?: ProviderConfigKinds;
  workers?: number;
  log?: Logger;
  events?: EventRecorder;
  publisher?: ConnectionPublisher;
  usage?: UsageTracker;
  reconciler?: Partial<ManagedReconcilerOptions>;
  signal: AbortSignal;
}

/**
 * StartManagedController watches one managed kind and reconciles each resource with the managed
 * reconciler: informer events that change the desired state enqueue it; every result is a poll
 * (requeue after), a backoff (requeue) or nothing. It resolves when the informer has synced and
 * the workers run; it stops when `signal` aborts.
 */
export async function startManagedController(o: ManagedControllerOptions): Promise<{ done: Promise<void> }> {
  const log = (o.log ?? nopLogger).with({ controller: `managed/${o.kind.kind.toLowerCase()}` });
  const informer = o.machinery.informers.informerFor({ apiVersion: o.kind.apiVersion, kind: o.kind.kind }, { dropManagedFields: true });
  const queue = o.machinery.newQueue(`managed/${o.kind.kind}`);
  informer.addHandler({
    onAdd: (obj) => queue.add(objectKey(obj)),
    onUpdate: (oldObj, newObj) => {
      if (desiredStateChanged(oldObj, newObj)) queue.add(objectKey(newObj));
    },
    onDelete: (obj) => queue.forget(objectKey(obj)),
  });
  const reconciler = newManagedReconciler(o.client, o.kind, {
    log,
    events: o.events ?? nopRecorder,
    reader: informerReader(informer),
    publisher: o.publisher ?? secretPublisher(o.client),
    ...(o.usage !== undefined
      ? { usage: o.usage }
      : o.providerConfig !== undefined
        ? { usage: apiUsageTracker(o.client, o.providerConfig) }
        : {}),
    ...(o.kind.references !== undefined && o.kind.references.length > 0
      ? { resolver: apiReferenceResolver(o.client, o.kind.references) }
      : {}),
    ...(o.reconciler ?? {}),
  });
  await informer.start();
  const done = o.machinery.run({
    name: `managed/${o.kind.kind}`,
    queue,
    workers: o.workers ?? 16,
    reconcile: (key, signal) => reconciler.reconcile(key, signal),
    log,
    signal: o.signal,
  });
  return { done };
}

/**
 * StartProviderConfigController runs upstream's ProviderConfig controller for one provider:
 * usage counting, the in-use finalizer, and blocking deletion while usages exist.
 */
export async function startProviderConfigController(o: {
  client: KubeClient;
  machinery: ControllerMachinery;
  kinds: ProviderConfigKinds;
  log?: Logger;
  signal: AbortSignal;
}): Promise<{ done: Promise<void> }> {
  const log = (o.log ?? nopLogger).with({ controller: `providerconfig/${o.kinds.config.apiVersion}` });
  const configs = o.machinery.informers.informerFor(o.kinds.config);
  const usages = o.machinery.informers.informerFor(o.kinds.usage);
  const queue = o.machinery.newQueue(`providerconfig/${o.kinds.config.apiVersion}`);
  configs.addHandler({ onAdd: (x) => queue.add(objectKey(x)), onUpdate: (_a, x) => queue.add(objectKey(x)) });
  const byUsage = (u: KubeObject): void => {
    const pc = u.metadata.labels?.[UsageLabel.ProviderConfig];
    if (pc !== undefined) queue.add(pc);
  };
  usages.addHandler({ onAdd: byUsage, onUpdate: (_a, u) => byUsage(u), onDelete: byUsage });
  const reconcile = newProviderConfigReconciler(o.client, o.kinds);
  await Promise.all([configs.start(), usages.start()]);
  const done = o.machinery.run({
    name: 'providerconfig',
    queue,
    workers: 2,
    reconcile: (key, signal) => reconcile(key, signal),
    log,
    signal: o.signal,
  });
  return { done };
}
