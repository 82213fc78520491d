// Creating claims and timing them to Ready, from one watch (no polling: the driver's own API
// traffic stays a handful of requests plus one create per claim).
import { isGone, KubeApiError, type KubeClient, type ObjectList, type TypeRef } from '@trellis/kube';
import { hasCode, type KubeObject } from '@trellis/sdk';
import { readyStatus } from './workload.ts';

export interface ReadyRun {
  /** AllReadySeconds is from the first create to the last claim seen Ready. */
  allReadySeconds: number;
  /** CreateSeconds is how long creating every claim took. */
  createSeconds: number;
  /** LatenciesMs are, per claim, from its create returning to the watch seeing it Ready (sorted). */
  latenciesMs: number[];
  /** Requests the driver made: creates, lists and watches (to subtract from server totals). */
  driverRequests: { create: number; list: number; watch: number };
  /** TimedOut is set (with `partialOnTimeout`) when not every claim was Ready by the deadline. */
  timedOut?: boolean;
  /** ReadyCount is how many claims were seen Ready (all of them unless timed out). */
  readyCount: number;
  /** ReadyAtSeconds are, per Ready claim, the seconds from the first create to Ready (sorted). */
  readyAtSeconds: number[];
}

export interface ReadyRunOptions {
  client: KubeClient;
  type: TypeRef;
  namespace: string;
  claims: KubeObject[];
  /** Concurrency of creates (default 16). */
  concurrency?: number;
  timeoutMs: number;
  /**
   * PartialOnTimeout resolves at the deadline with what was measured (timedOut, readyCount, the
   * latencies of the Ready claims, allReadySeconds = the deadline) instead of rejecting.
   */
  partialOnTimeout?: boolean;
  /** Progress is called every few seconds with the count of Ready claims. */
  progress?: (ready: number, total: number) => void;
}

/**
 * CreateAndWaitReady starts a watch on the claims' namespace, creates every claim, and resolves
 * when each one has been seen with Ready=True (or rejects at the deadline, naming how many are not).
 */
export async function createAndWaitReady(opts: ReadyRunOptions): Promise<ReadyRun> {
  const { client, type, namespace } = opts;
  const created = new Map<string, number>();
  const ready = new Map<string, number>();
  const want = new Set(opts.claims.map((c) => c.metadata.name ?? ''));
  const driverRequests = { create: 0, list: 0, watch: 0 };
  const abort = new AbortController();
  let resolveAll: () => void = () => {};
  const allReady = new Promise<void>((r) => {
    resolveAll = r;
  });
  const see = (obj: KubeObject): void => {
    const name = obj.metadata.name ?? '';
    if (!want.has(name) || ready.has(name)) return;
    if (readyStatus(obj) === 'True') {
      ready.set(name, performance.now());
      if (ready.size === want.size) resolveAll();
    }
  };
  // List first for a resourceVersion, then watch from it: nothing between is missed.
  const initial = await listWhenServed(client, type, namespace);
  driverRequests.list++;
  for (const o of initial.items) see(o);
  let rv = initial.resourceVersion;
  const watchLoop = (async () => {
    while (!abort.signal.aborted) {
      driverRequests.watch++;
      try {
        for await (const ev of client.watch(type, { namespace, resourceVersion: rv, allowWatchBookmarks: true, signal: abort.signal })) {
          const evRv = ev.object.metadata?.resourceVersion;
          if (evRv !== undefined) rv = evRv;
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED') see(ev.object);
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        if (!isGone(err)) throw err;
        // An expired resourceVersion (410) is re-listed: claims that became Ready meanwhile are seen.
        const relist = await listWhenServed(client, type, namespace);
        driverRequests.list++;
        for (const o of relist.items) see(o);
        rv = relist.resourceVersion;
      }
    }
  })();
  // A failing watch fails the run (raced below); the handler keeps it from being unhandled meanwhile.
  const watchFailed = watchLoop.then(() => {
    throw new Error('the watch on claims ended early');
  });
  watchFailed.catch(() => {});

  const t0 = performance.now();
  let next = 0;
  let lastProgress = t0;
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency ?? 16, opts.claims.length) }, async () => {
      while (next < opts.claims.length) {
        const c = opts.claims[next++] as KubeObject;
        await client.create(c);
        driverRequests.create++;
        created.set(c.metadata.name ?? '', performance.now());
      }
    }),
  );
  const createSeconds = (performance.now() - t0) / 1000;
  const ticker = setInterval(() => {
    const now = performance.now();
    if (now - lastProgress > 5000) {
      lastProgress = now;
      opts.progress?.(ready.size, want.size);
    }
  }, 1000);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  try {
    await Promise.race([
      allReady,
      watchFailed,
      new Promise<void>((done, fail) => {
        timer = setTimeout(() => {
          if (opts.partialOnTimeout === true) {
            timedOut = true;
            done();
          } else fail(new Error(`${want.size - ready.size} of ${want.size} claims not Ready after ${opts.timeoutMs} ms`));
        }, opts.timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    clearInterval(ticker);
    abort.abort();
    // After the abort the loop returns; an error it hit before was already raised by the race.
    await watchLoop.catch(() => undefined);
  }
  const last = timedOut ? performance.now() : Math.max(...ready.values());
  const latenciesMs = [...ready].map(([n, at]) => Math.max(0, at - (created.get(n) ?? at))).sort((a, b) => a - b);
  return {
    allReadySeconds: (last - t0) / 1000,
    createSeconds,
    latenciesMs,
    driverRequests,
    readyCount: ready.size,
    readyAtSeconds: [...ready.values()].map((at) => (at - t0) / 1000).sort((a, b) => a - b),
    ...(timedOut ? { timedOut } : {}),
  };
}

/**
 * ListWhenServed lists the claims, asking again while the server answers 429 "storage is
 * (re)initializing" (a kind just served by a new CRD, on a loaded server), for up to two minutes.
 */
async function listWhenServed(client: KubeClient, type: TypeRef, namespace: string): Promise<ObjectList> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      return await client.list(type, { namespace });
    } catch (err) {
      if (!hasCode(err, 'KUBE_TOO_MANY_REQUESTS') || Date.now() > deadline) throw err;
      const after = err instanceof KubeApiError ? (err.retryAfterSeconds ?? 1) : 1;
      await new Promise((r) => setTimeout(r, after * 1000));
    }
  }
}

/** Percentile of sorted values (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
