// Minimal stand-ins for @trellis/kube's informer factory and work queue, used by the engine's
// end-to-end suite until the kube package ships its own (same names, same contract in
// packages/kube/src/types.ts). They talk to the real API server: list, then watch from the list's
// resourceVersion, relisting on 410 Gone and restarting a watch that ends.

import type { EventHandler, Informer, InformerFactory, InformerOptions, KubeClient, TypeRef, WorkQueue } from '@trellis/kube';
import { hasCode, type KubeObject, objectKey } from '@trellis/sdk';

export function newInformerFactory(client: KubeClient): InformerFactory {
  const informers = new Map<string, Informer>();
  return {
    informerFor<T extends KubeObject>(type: TypeRef, opts: InformerOptions = {}): Informer<T> {
      const k = `${type.apiVersion}|${type.kind}|${opts.labelSelector ?? ''}|${opts.namespace ?? ''}`;
      let inf = informers.get(k);
      if (inf === undefined) {
        inf = newInformer(client, type, opts);
        informers.set(k, inf);
      }
      return inf as Informer<T>;
    },
    stopAll() {
      for (const i of informers.values()) i.stop();
      informers.clear();
    },
  };
}

function newInformer(client: KubeClient, type: TypeRef, opts: InformerOptions): Informer {
  const cache = new Map<string, KubeObject>();
  const handlers = new Set<EventHandler>();
  const abort = new AbortController();
  let rv = '';
  let synced = false;
  let starting: Promise<void> | undefined;
  const emit = (f: (h: EventHandler) => void): void => {
    for (const h of handlers) f(h);
  };
  const upsert = (o: KubeObject): void => {
    const k = objectKey(o);
    const old = cache.get(k);
    cache.set(k, o);
    if (old === undefined) emit((h) => h.onAdd?.(o));
    else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) emit((h) => h.onUpdate?.(old, o));
  };
  const relist = async (): Promise<void> => {
    const list = await client.listAll(type, {
      ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
      ...(opts.labelSelector === undefined ? {} : { labelSelector: opts.labelSelector }),
      signal: abort.signal,
    });
    const seen = new Set<string>();
    for (const o of list.items) {
      const withType = { ...o, apiVersion: type.apiVersion, kind: type.kind };
      seen.add(objectKey(withType));
      upsert(withType);
    }
    for (const [k, o] of [...cache]) {
      if (!seen.has(k)) {
        cache.delete(k);
        emit((h) => h.onDelete?.(o));
      }
    }
    rv = list.resourceVersion;
  };
  const watchLoop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        for await (const ev of client.watch(type, {
          resourceVersion: rv,
          allowWatchBookmarks: true,
          timeoutSeconds: 300,
          signal: abort.signal,
          ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
          ...(opts.labelSelector === undefined ? {} : { labelSelector: opts.labelSelector }),
        })) {
          const o = ev.object;
          if (o.metadata.resourceVersion !== undefined) rv = o.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK') continue;
          if (ev.type === 'DELETED') {
            const k = objectKey(o);
            const old = cache.get(k);
            cache.delete(k);
            if (old !== undefined) emit((h) => h.onDelete?.(o));
          } else upsert(o);
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        if (hasCode(err, 'KUBE_GONE')) {
          await relist().catch(() => undefined);
          continue;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  return {
    addHandler(h) {
      handlers.add(h);
      for (const o of cache.values()) h.onAdd?.(o);
      return () => handlers.delete(h);
    },
    async start() {
      starting ??= (async () => {
        for (;;) {
          try {
            await relist();
            break;
          } catch (err) {
            if (abort.signal.aborted) throw err;
            // A CRD that was just established may not be served yet (404, or 503 while the
            // watch cache initialises).
            if (!hasCode(err, 'KUBE_NOT_FOUND') && !hasCode(err, 'KUBE_UNAVAILABLE') && !hasCode(err, 'KUBE_TIMEOUT')) throw err;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
        synced = true;
        void watchLoop();
      })();
      try {
        await starting;
      } catch (err) {
        starting = undefined;
        throw err;
      }
    },
    stop() {
      abort.abort();
    },
    hasSynced: () => synced,
    get: (key) => cache.get(key),
    list: (ns) => [...cache.values()].filter((o) => ns === undefined || o.metadata.namespace === ns),
    lastSyncResourceVersion: () => rv,
  };
}

export function newWorkQueue(opts: { baseDelayMs?: number; maxDelayMs?: number } = {}): WorkQueue {
  const base = opts.baseDelayMs ?? 50;
  const max = opts.maxDelayMs ?? 30_000;
  const queue: string[] = [];
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const failures = new Map<string, number>();
  const waiters: ((k: string | undefined) => void)[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let down = false;
  const q: WorkQueue = {
    add(key) {
      if (down || dirty.has(key)) return;
      dirty.add(key);
      if (processing.has(key)) return;
      const w = waiters.shift();
      if (w !== undefined) {
        dirty.delete(key);
        processing.add(key);
        w(key);
      } else queue.push(key);
    },
    addAfter(key, ms) {
      if (down) return;
      const t = setTimeout(() => {
        timers.delete(t);
        q.add(key);
      }, ms);
      timers.add(t);
    },
    addRateLimited(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      q.addAfter(key, Math.min(max, base * 2 ** n));
    },
    forget(key) {
      failures.delete(key);
    },
    async get() {
      if (down) return undefined;
      const k = queue.shift();
      if (k !== undefined) {
        dirty.delete(k);
        processing.add(k);
        return k;
      }
      return await new Promise<string | undefined>((r) => waiters.push(r));
    },
    done(key) {
      processing.delete(key);
      if (dirty.has(key)) {
        dirty.delete(key);
        q.add(key);
      }
    },
    len: () => queue.length,
    shutDown() {
      down = true;
      for (const t of timers) clearTimeout(t);
      for (const w of waiters.splice(0)) w(undefined);
    },
    numRequeues: (key) => failures.get(key) ?? 0,
  };
  return q;
}
