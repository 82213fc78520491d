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
 * NewWorkQueue returns a WorkQueue with client-go's semantics:
 * - a key added while it waits is queued once (dirty set); a key added while it is being
 *   processed is queued again when `done()` is called (processing set), so one key is never
 *   processed by two workers at once;
 * - `addAfter` keeps one timer per key, the earliest;
 * - `addRateLimited` waits the larger of the key's exponential backoff and the global token
 *   bucket (client-go's default controller rate limiter); `forget` resets the key's backoff;
 * - after `shutDown()`, `get()` resolves to undefined and adds are ignored.
 */
export function newWorkQueue(opts: WorkQueueOptions = {}): WorkQueue {
  return new Queue(opts);
}

class Queue implements WorkQueue {
  private readonly queue: string[] = [];
  private head = 0;
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { at: number; timer: NodeJS.Timeout }>();
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

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.waiting.get(key);
    if (existing !== undefined) {
      if (existing.at <= at) return;
      clearTimeout(existing.timer);
    }
    const timer = setTimeout(() => {
      this.waiting.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.waiting.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.addAfter(key, Math.max(exponentialDelay(n, this.baseDelayMs, this.maxDelayMs), this.bucket.reserve()));
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
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
  }

  len(): number {
    return this.queue.length - this.head;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) clearTimeout(w.timer);
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /** Push queues a dirty key, handing it straight to a waiting getter when there is one. */
  private push(key: string): void {
    const getter = this.getters.shift();
    if (getter !== undefined) {
      this.take(key);
      getter(key);
      return;
    }
    this.queue.push(key);
  }

  private pop(): string | undefined {
    if (this.head >= this.queue.length) return undefined;
    const key = this.queue[this.head++] as string;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.take(key);
    return key;
  }

  private take(key: string): void {
    this.dirty.delete(key);
    this.processing.add(key);
  }
}
