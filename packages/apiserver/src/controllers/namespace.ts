import type { KubeObject, Logger } from '@trellis/sdk';
import { ApiError } from '../api/errors.ts';
import { type Rest, setCondition } from '../api/rest.ts';
import type { ResourceType } from '../registry/types.ts';
import { KeyQueue } from './queue.ts';

const NS_BUCKET = '/namespaces';
const MANAGER = 'namespace-controller';

/**
 * The namespace controller empties a namespace that is being deleted: it deletes every object in
 * it (background propagation), reports progress in the namespace's conditions as kube's does, and
 * once nothing is left removes the `kubernetes` finalizer so the namespace goes away. Like the
 * real controller (whose informer, queue and discovery round trips take a moment), it keeps an
 * emptied namespace Terminating for `minTerminatingMs` before removing it, so a client that creates
 * content right after the DELETE sees 403 "being terminated" rather than a 404.
 */
export class NamespaceController {
  private readonly rest: Rest;
  private readonly queue: KeyQueue;
  private unsubscribe: () => void = () => {};
  private readonly firstSeen = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly minTerminatingMs: number;

  constructor(rest: Rest, log: Logger, opts: { minTerminatingMs?: number } = {}) {
    this.rest = rest;
    this.minTerminatingMs = opts.minTerminatingMs ?? 1000;
    this.queue = new KeyQueue('namespace', (name) => this.sync(name), log);
  }

  private get nsType(): ResourceType {
    return this.rest.registry.lookup('', 'v1', 'namespaces') as ResourceType;
  }

  start(): void {
    for (const o of this.rest.store.list(NS_BUCKET)) if (o.meta.deletionTimestamp !== undefined) this.queue.add(o.name);
    this.unsubscribe = this.rest.store.subscribe('*', (ev) => {
      if (ev.object.bucket === NS_BUCKET) {
        if (ev.type !== 'DELETED' && ev.object.meta.deletionTimestamp !== undefined) this.queue.add(ev.object.name);
        return;
      }
      if (ev.type === 'DELETED' && ev.object.namespace !== '') {
        const ns = this.rest.store.get(NS_BUCKET, '', ev.object.namespace);
        if (ns?.meta.deletionTimestamp !== undefined) this.queue.add(ev.object.namespace);
      }
    });
  }

  stop(): void {
    this.unsubscribe();
    this.queue.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  private sync(name: string): void {
    const ns = this.rest.read(this.nsType, '', name);
    if (ns === undefined || ns.obj.metadata.deletionTimestamp === undefined) return;
    const specFinalizers = ((ns.obj.spec ?? {}) as Record<string, unknown>).finalizers;
    if (!Array.isArray(specFinalizers) || !specFinalizers.includes('kubernetes')) return;
    let remaining = 0;
    const withFinalizers = new Set<string>();
    for (const bucket of this.rest.store.bucketNames()) {
      if (bucket === NS_BUCKET) continue;
      const rt = this.rest.registry.storageType(bucket);
      if (rt === undefined || !rt.namespaced) continue;
      for (const o of this.rest.store.list(bucket, name)) {
        remaining++;
        for (const f of o.meta.finalizers ?? []) withFinalizers.add(f);
        if (o.meta.deletionTimestamp !== undefined) continue;
        try {
          this.rest.delete(rt, o.namespace, o.name, {
            dryRun: false,
            propagationPolicy: 'Background',
            orphanDependents: undefined,
            gracePeriodSeconds: undefined,
            preconditions: undefined,
          });
        } catch (err) {
          if (!(err instanceof ApiError && err.status.reason === 'NotFound')) throw err;
        }
      }
    }
    // Count again: objects without finalizers are gone now.
    remaining = 0;
    const remainingByResource = new Map<string, number>();
    for (const bucket of this.rest.store.bucketNames()) {
      const rt = this.rest.registry.storageType(bucket);
      if (bucket === NS_BUCKET || rt === undefined || !rt.namespaced) continue;
      const n = this.rest.store.count(bucket, name);
      if (n > 0) remainingByResource.set(rt.group === '' ? rt.resource : `${rt.resource}.${rt.group}`, n);
      remaining += n;
    }
    this.rest.mutate(this.nsType, '', name, 'status', MANAGER, (o) => this.setConditions(o, remainingByResource, withFinalizers));
    if (remaining > 0) return;
    const seen = this.firstSeen.get(name) ?? Date.now();
    this.firstSeen.set(name, seen);
    const wait = seen + this.minTerminatingMs - Date.now();
    if (wait > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.queue.add(name);
      }, wait);
      t.unref();
      this.timers.add(t);
      return;
    }
    this.firstSeen.delete(name);
    this.rest.mutate(this.nsType, '', name, 'finalize', MANAGER, (o) => {
      const spec = (o.spec ?? {}) as Record<string, unknown>;
      const f = Array.isArray(spec.finalizers) ? (spec.finalizers as string[]).filter((x) => x !== 'kubernetes') : [];
      o.spec = f.length === 0 ? {} : { ...spec, finalizers: f };
      return true;
    });
  }

  private setConditions(o: KubeObject, remaining: Map<string, number>, finalizers: Set<string>): boolean {
    const now = this.rest.now();
    let changed = false;
    changed =
      setCondition(
        o,
        {
          type: 'NamespaceDeletionDiscoveryFailure',
          status: 'False',
          reason: 'ResourcesDiscovered',
          message: 'All resources successfully discovered',
        },
        now,
      ) || changed;
    changed =
      setCondition(
        o,
        {
          type: 'NamespaceDeletionGroupVersionParsingFailure',
          status: 'False',
          reason: 'ParsedGroupVersions',
          message: 'All legacy kube types successfully parsed',
        },
        now,
      ) || changed;
    changed =
      setCondition(
        o,
        {
          type: 'NamespaceDeletionContentFailure',
          status: 'False',
          reason: 'ContentDeleted',
          message: 'All content successfully deleted, may be waiting on finalization',
        },
        now,
      ) || changed;
    const total = [...remaining.values()].reduce((a, b) => a + b, 0);
    changed =
      setCondition(
        o,
        total > 0
          ? {
              type: 'NamespaceContentRemaining',
              status: 'True',
              reason: 'SomeResourcesRemain',
              message: `Some resources are remaining: ${[...remaining.entries()]
                .sort()
                .map(([r, n]) => `${r} has ${n} resource instances`)
                .join(', ')}`,
            }
          : { type: 'NamespaceContentRemaining', status: 'False', reason: 'ContentRemoved', message: 'All content successfully removed' },
        now,
      ) || changed;
    changed =
      setCondition(
        o,
        total > 0 && finalizers.size > 0
          ? {
              type: 'NamespaceFinalizersRemaining',
              status: 'True',
              reason: 'SomeFinalizersRemain',
              message: `Some content in the namespace has finalizers remaining: ${[...finalizers].sort().join(', ')}`,
            }
          : {
              type: 'NamespaceFinalizersRemaining',
              status: 'False',
              reason: 'ContentHasNoFinalizers',
              message: 'All content-preserving finalizers finished',
            },
        now,
      ) || changed;
    return changed;
  }
}
