/**
 * A TokenBucket admits `qps` events per second on average with bursts of up to `burst`, like
 * golang.org/x/time/rate. `reserve()` takes one token and returns how long the caller must wait
 * before using it (0 when a token is available); reservations queue up fairly in call order.
 * The clock is injected so the arithmetic is unit-tested without timers.
 */
export class TokenBucket {
  readonly qps: number;
  readonly burst: number;
  private tokens: number;
  private last: number;
  private readonly now: () => number;

  constructor(opts: { qps: number; burst: number; now?: () => number }) {
    if (!(opts.qps > 0) || !(opts.burst >= 1))
      throw new RangeError(`token bucket needs qps > 0 and burst >= 1, got ${opts.qps}/${opts.burst}`);
    this.qps = opts.qps;
    this.burst = opts.burst;
    this.now = opts.now ?? Date.now;
    this.tokens = opts.burst;
    this.last = this.now();
  }

  /** Reserve takes a token and returns the delay in milliseconds before it may be used. */
  reserve(): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.qps);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /** Wait reserves a token and resolves once it may be used (rejects with the signal's reason). */
  async wait(signal?: AbortSignal): Promise<void> {
    const delay = this.reserve();
    if (delay > 0) await sleep(delay, signal);
  }
}

/** Sleep resolves after `ms` milliseconds, or rejects with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Pause waits `ms` milliseconds, or less when the signal aborts; it never rejects. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * ExponentialBackoff computes per-item delays `base * 2^failures`, capped at `max`, like
 * client-go's ItemExponentialFailureRateLimiter.
 */
export function exponentialDelay(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return Math.min(baseMs, maxMs);
  const exp = baseMs * 2 ** Math.min(failures, 62);
  return Number.isFinite(exp) && exp < maxMs ? exp : maxMs;
}
