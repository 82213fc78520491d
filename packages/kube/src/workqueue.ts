import { exponentialDelay, TokenBucket } from './ratelimit.ts';
import type { WorkQueue } from './types.ts';

export interface WorkQueueOptions {
  /** BaseDelayMs is the first per-item backoff of addRateLimited (default 5 ms). */
  baseDelayMs?: number;
  /** MaxDelayMs caps the per-item backoff (default 5 min). */
  maxDelayMs?: number;
  /** Qps and burst configure the global token bucket of addRateLimited (default 10 and 100). */
  qps?: number;
  burst?: number;
  /** Now is the clock of the token bucket (tests). */
  now?: () => number;
}

/**
 * QueuePriority names the priorities engines use (any integer works; higher is served first).
 * Low is for keys from an informer's initial list or a resync that changed nothing (as
 * controller-runtime's priority queue does), Normal for ordinary events, High for events that
 * move an object already in flight towards done (e.g. a composed resource became ready).
 */
export const QueuePriority = { Low: -100, Normal: 0, High: 100 } as const;

/**
 * NewWorkQueue returns a WorkQueue with client-go's semantics:
 * - a key added while it waits is queued once (dirty set); a key added while it is being
 *   processed is queued again when `done()` is called (processing set), so one key is never
 *   processed by two workers at once;
 * - `addAfter` keeps one timer per key, the earliest;
 * - `addRateLimited` waits the larger of the key's exponential backoff and the global token
 *   bucket (client-go's default controller rate limiter); `forget` resets the key's backoff;
 * - after `shutDown()`, `get()` resolves to undefined and adds are ignored;
 * and a priority per add (default 0), as controller-runtime's priority queue has: `get()` serves
 * the highest priority first, first in first out within one priority; a key added again with a
 * higher priority moves up (keeping its place among the keys of that priority from the time of
 * the raise); a lower priority never demotes a waiting key. A key added while it is processed is
 * requeued at the highest priority it was added with.
 */
export function newWorkQueue(opts: WorkQueueOptions = {}): WorkQueue {
  return new Queue(opts);
}

/** A Lane is the FIFO of one priority; entries whose seq no longer matches the key's are stale. */
interface Lane {
  items: { key: string; seq: number }[];
  head: number;
}

class Queue implements WorkQueue {
  /** Lanes by priority; `priorities` lists the lanes' priorities, highest first. */
  private readonly lanes = new Map<number, Lane>();
  private priorities: number[] = [];
  /** Queued holds the keys waiting in a lane: their priority and the seq of their live entry. */
  private readonly queued = new Map<string, { priority: number; seq: number }>();
  private seq = 0;
  /** Dirty holds keys that need processing (waiting or added while processing), with their priority. */
  private readonly dirty = new Map<string, number>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { at: number; priority: number; timer: NodeJS.Timeout }>();
  private readonly failures = new Map<string, number>();
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private readonly bucket: TokenBucket;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private shuttingDown = false;

  constructor(opts: WorkQueueOptions) {
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.bucket = new TokenBucket({ qps: opts.qps ?? 10, burst: opts.burst ?? 100, ...(opts.now === undefined ? {} : { now: opts.now }) });
  }

  add(key: string, priority = 0): void {
    if (this.shuttingDown) return;
    const prev = this.dirty.get(key);
    if (prev !== undefined) {
      if (priority <= prev) return;
      this.dirty.set(key, priority);
      // Waiting: move it up to the new priority's lane; processing: done() requeues it there.
      if (this.queued.has(key)) this.push(key, priority);
      return;
    }
    this.dirty.set(key, priority);
    if (this.processing.has(key)) return;
    this.push(key, priority);
  }

  addAfter(key: string, delayMs: number, priority = 0): void {
    if (this.shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key, priority);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.waiting.get(key);
    if (existing !== undefined) {
      if (existing.at <= at) {
        existing.priority = Math.max(existing.priority, priority);
        return;
      }
      clearTimeout(existing.timer);
      priority = Math.max(existing.priority, priority);
    }
    const timer = setTimeout(() => {
      const w = this.waiting.get(key);
      this.waiting.delete(key);
      this.add(key, w?.priority ?? priority);
    }, delayMs);
    timer.unref();
    this.waiting.set(key, { at, priority, timer });
  }

  addRateLimited(key: string, priority = 0): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.max(exponentialDelay(n, this.baseDelayMs, this.maxDelayMs), this.bucket.reserve()), priority);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.pop();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    const priority = this.dirty.get(key);
    if (priority !== undefined && !this.shuttingDown) this.push(key, priority);
  }

  len(): number {
    return this.queued.size;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /** Push queues a dirty key, handing it straight to a waiting getter when there is one. */
  private push(key: string, priority: number): void {
    const getter = this.getters.shift();
    if (getter !== undefined) {
      // A getter only waits while every lane is empty, so this key is the next in any order.
      this.take(key);
      getter(key);
      return;
    }
    const seq = ++this.seq;
    this.queued.set(key, { priority, seq });
    let lane = this.lanes.get(priority);
    if (lane === undefined) {
      lane = { items: [], head: 0 };
      this.lanes.set(priority, lane);
      this.priorities = [...this.lanes.keys()].sort((a, b) => b - a);
    }
    lane.items.push({ key, seq });
  }

  private pop(): string | undefined {
    for (const priority of this.priorities) {
      const lane = this.lanes.get(priority) as Lane;
      while (lane.head < lane.items.length) {
        const item = lane.items[lane.head++] as { key: string; seq: number };
        if (this.queued.get(item.key)?.seq !== item.seq) continue; // moved up to another lane
        this.compact(lane);
        this.take(item.key);
        return item.key;
      }
      lane.items.length = 0;
      lane.head = 0;
    }
    return undefined;
  }

  private compact(lane: Lane): void {
    if (lane.head > 1024 && lane.head * 2 > lane.items.length) {
      lane.items.splice(0, lane.head);
      lane.head = 0;
    }
  }

  private take(key: string): void {
    this.queued.delete(key);
    this.dirty.delete(key);
    this.processing.add(key);
  }
}
