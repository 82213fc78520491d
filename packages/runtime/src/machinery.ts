// The controller machinery the provider process uses: a shared informer factory (LIST, then
// WATCH from the list's resourceVersion with bookmarks; on 410 Gone or a broken stream it
// re-watches or relists and emits exactly the differences), a work queue (de-duplication,
// dirty/processing sets, per-item exponential backoff, a global token bucket, delayed adds) and a
// worker loop. It implements @trellis/kube's contract (types.ts), so the runtime runs unchanged
// on @trellis/kube's own implementation when a caller passes that instead.
import type { EventHandler, Informer, InformerFactory, KubeClient, ReconcileResult, TypeRef, WorkQueue } from '@trellis/kube';
import { exponentialDelay, isGone, TokenBucket } from '@trellis/kube';
import type { KubeObject, Logger } from '@trellis/sdk';
import { nopLogger, objectKey } from '@trellis/sdk';
import type { ControllerMachinery } from './controller.ts';
import { isKubeConflict } from './errors.ts';

function sameVersion(a: KubeObject, b: KubeObject): boolean {
  return a.metadata.resourceVersion === b.metadata.resourceVersion;
}

class ListWatchInformer implements Informer {
  private readonly client: KubeClient;
  private readonly type: TypeRef;
  private readonly log: Logger;
  private readonly handlers = new Set<EventHandler>();
  private readonly cache = new Map<string, KubeObject>();
  private rv = '';
  private synced = false;
  private started: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(client: KubeClient, type: TypeRef, log: Logger) {
    this.client = client;
    this.type = type;
    this.log = log.with({ informer: `${type.apiVersion}/${type.kind}` });
  }

  addHandler(h: EventHandler): () => void {
    this.handlers.add(h);
    if (this.synced) for (const o of this.cache.values()) h.onAdd?.(o);
    return () => this.handlers.delete(h);
  }

  start(): Promise<void> {
    this.started ??= this.run();
    return this.started;
  }

  stop(): void {
    this.abort.abort();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  get(key: string): KubeObject | undefined {
    return this.cache.get(key);
  }

  list(namespace?: string): KubeObject[] {
    return [...this.cache.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace);
  }

  lastSyncResourceVersion(): string {
    return this.rv;
  }

  private emit(fn: (h: EventHandler) => void): void {
    for (const h of this.handlers) {
      try {
        fn(h);
      } catch (err) {
        this.log.info('informer handler threw', { error: err });
      }
    }
  }

  /** Relist lists everything and emits the differences against the cache. */
  private async relist(): Promise<void> {
    const list = await this.client.listAll(this.type, { signal: this.abort.signal });
    const seen = new Set<string>();
    for (const o of list.items) {
      const obj = { ...o, apiVersion: this.type.apiVersion, kind: this.type.kind };
      const key = objectKey(obj);
      seen.add(key);
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (old === undefined) this.emit((h) => h.onAdd?.(obj));
      else if (!sameVersion(old, obj)) this.emit((h) => h.onUpdate?.(old, obj));
    }
    for (const [key, old] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.emit((h) => h.onDelete?.(old));
      }
    }
    this.rv = list.resourceVersion;
    this.synced = true;
  }

  private async run(): Promise<void> {
    // The first list is retried until it succeeds: right after a CRD is created the API server
    // answers "storage is (re)initializing" for a moment, and a provider must ride that out.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.relist();
        break;
      } catch (err) {
        if (this.abort.signal.aborted) throw err;
        this.log.debug('initial list failed, retrying', { error: err, attempt });
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** Math.min(attempt, 6))));
      }
    }
    void this.watchLoop().catch((err: unknown) => {
      // The loop only ends on abort; anything else was logged inside.
      if (!this.abort.signal.aborted) this.log.info('informer stopped', { error: err });
    });
  }

  private async watchLoop(): Promise<void> {
    let failures = 0;
    while (!this.abort.signal.aborted) {
      try {
        for await (const ev of this.client.watch(this.type, {
          resourceVersion: this.rv,
          allowWatchBookmarks: true,
          timeoutSeconds: 240 + Math.floor(Math.random() * 60),
          signal: this.abort.signal,
        })) {
          failures = 0;
          if (ev.type === 'ERROR') {
            const code = (ev.object as { code?: number }).code;
            if (code === 410) {
              await this.relist();
              break;
            }
            throw new Error(`watch error ${JSON.stringify(ev.object)}`);
          }
          const obj = { ...ev.object, apiVersion: this.type.apiVersion, kind: this.type.kind };
          if (obj.metadata.resourceVersion !== undefined) this.rv = obj.metadata.resourceVersion;
          if (ev.type === 'BOOKMARK') continue;
          const key = objectKey(obj);
          const old = this.cache.get(key);
          if (ev.type === 'DELETED') {
            this.cache.delete(key);
            this.emit((h) => h.onDelete?.(obj));
          } else if (old === undefined) {
            this.cache.set(key, obj);
            this.emit((h) => h.onAdd?.(obj));
          } else {
            this.cache.set(key, obj);
            this.emit((h) => h.onUpdate?.(old, obj));
          }
        }
      } catch (err) {
        if (this.abort.signal.aborted) return;
        failures++;
        this.log.debug('watch broke, resuming', { error: err, failures });
        try {
          if (isGone(err)) await this.relist();
          else await new Promise((r) => setTimeout(r, Math.min(30_000, 200 * 2 ** Math.min(failures, 8))));
          if (failures > 3) await this.relist();
        } catch (rerr) {
          this.log.debug('relist failed', { error: rerr });
        }
      }
    }
  }
}

/** LocalInformerFactory shares one list-watch informer per kind. */
export function localInformerFactory(client: KubeClient, log: Logger = nopLogger): InformerFactory {
  const informers = new Map<string, ListWatchInformer>();
  return {
    informerFor<T extends KubeObject>(type: TypeRef): Informer<T> {
      const key = `${type.apiVersion}/${type.kind}`;
      let inf = informers.get(key);
      if (inf === undefined) {
        inf = new ListWatchInformer(client, type, log);
        informers.set(key, inf);
      }
      return inf as unknown as Informer<T>;
    },
    stopAll() {
      for (const i of informers.values()) i.stop();
    },
  };
}

/** WorkQueueOptions: per-item backoff from baseDelayMs doubling to maxDelayMs; rate-limited adds share a token bucket. */
export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  qps?: number;
  burst?: number;
}

/** LocalWorkQueue is a client-go style work queue (see the WorkQueue contract in @trellis/kube). */
export function localWorkQueue(o: WorkQueueOptions = {}): WorkQueue {
  const base = o.baseDelayMs ?? 1_000;
  const max = o.maxDelayMs ?? 60_000;
  const bucket = new TokenBucket({ qps: o.qps ?? 50, burst: o.burst ?? 500 });
  const queue: string[] = [];
  const dirty = new Set<string>();
  const processing = new Set<string>();
  const failures = new Map<string, number>();
  const timers = new Map<string, { at: number; t: NodeJS.Timeout }>();
  const waiters: ((k: string | undefined) => void)[] = [];
  let shut = false;

  const add = (key: string): void => {
    if (shut || dirty.has(key)) return;
    dirty.add(key);
    if (processing.has(key)) return;
    const w = waiters.shift();
    if (w !== undefined) {
      dirty.delete(key);
      processing.add(key);
      w(key);
    } else queue.push(key);
  };
  const addAfter = (key: string, ms: number): void => {
    if (shut) return;
    if (ms <= 0) {
      add(key);
      return;
    }
    const at = Date.now() + ms;
    const cur = timers.get(key);
    if (cur !== undefined && cur.at <= at) return;
    if (cur !== undefined) clearTimeout(cur.t);
    const t = setTimeout(() => {
      timers.delete(key);
      add(key);
    }, ms);
    t.unref?.();
    timers.set(key, { at, t });
  };
  return {
    add,
    addAfter,
    addRateLimited(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      addAfter(key, Math.max(exponentialDelay(n, base, max), bucket.reserve()));
    },
    forget(key) {
      failures.delete(key);
    },
    async get() {
      if (shut) return undefined;
      const k = queue.shift();
      if (k !== undefined) {
        dirty.delete(k);
        processing.add(k);
        return k;
      }
      return new Promise<string | undefined>((resolve) => waiters.push(resolve));
    },
    done(key) {
      processing.delete(key);
      if (dirty.has(key)) {
        dirty.delete(key);
        add(key);
      }
    },
    len: () => queue.length,
    shutDown() {
      shut = true;
      for (const t of timers.values()) clearTimeout(t.t);
      timers.clear();
      for (const w of waiters.splice(0)) w(undefined);
    },
    numRequeues: (key) => failures.get(key) ?? 0,
  };
}

/**
 * RunWorkers runs `workers` loops taking keys from the queue: a result with `requeueAfterMs`
 * forgets the key's backoff and adds it after the delay; `requeue` adds it rate-limited; a 409
 * requeues silently; any other error is logged and backs off.
 */
export async function runWorkers(o: {
  name: string;
  queue: WorkQueue;
  workers: number;
  reconcile: (key: string, signal: AbortSignal) => Promise<ReconcileResult>;
  log: Logger;
  signal: AbortSignal;
}): Promise<void> {
  o.signal.addEventListener('abort', () => o.queue.shutDown(), { once: true });
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await o.queue.get();
      if (key === undefined) return;
      try {
        const r = await o.reconcile(key, o.signal);
        if (r.requeueAfterMs !== undefined && r.requeueAfterMs > 0) {
          o.queue.forget(key);
          o.queue.addAfter(key, r.requeueAfterMs);
        } else if (r.requeue === true) o.queue.addRateLimited(key);
        else o.queue.forget(key);
      } catch (err) {
        if (o.signal.aborted) return;
        if (isKubeConflict(err)) o.log.debug('conflict, requeueing', { request: key });
        else o.log.info('reconcile failed', { controller: o.name, request: key, error: err });
        o.queue.addRateLimited(key);
      } finally {
        o.queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.workers) }, () => worker()));
}

/** LocalMachinery bundles the informer factory, queues and workers above. */
export function localMachinery(client: KubeClient, o: { log?: Logger; queue?: WorkQueueOptions } = {}): ControllerMachinery {
  const informers = localInformerFactory(client, o.log ?? nopLogger);
  return {
    informers,
    newQueue: () => localWorkQueue(o.queue ?? {}),
    run: runWorkers,
  };
}
