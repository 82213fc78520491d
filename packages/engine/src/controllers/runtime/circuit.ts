/**
 * A watch circuit breaker per object, as upstream has since v2.1: each watch event that would
 * requeue an XR takes a token from that XR's bucket (burst 100, refilled at 1 per second). When the
 * bucket is empty the circuit opens for 5 minutes, during which events are let through at most
 * once per refill interval, and the XR reports `Responsive=False` (`WatchCircuitOpen`).
 */
export interface CircuitBreaker {
  /** Allow records an event for `key` triggered by `source` and reports whether to requeue. */
  allow(key: string, source: string): boolean;
  /** State reports whether the circuit of `key` is open, and which source tripped it. */
  state(key: string): { open: boolean; triggeredBy?: string };
  forget(key: string): void;
  /** Tracked is how many objects the breaker holds a bucket for (tests and debugging). */
  tracked(): number;
}

export interface CircuitBreakerOptions {
  burst?: number;
  refillPerSecond?: number;
  openMs?: number;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
  openUntil: number;
  triggeredBy?: string;
  lastAllowed: number;
}

/**
 * NewCircuitBreaker returns a token-bucket breaker with upstream's defaults. A bucket that has
 * refilled and whose circuit is closed is the same as no bucket, so such buckets are dropped (at
 * most once per refill of a whole bucket): events keep arriving for an XR after it is deleted (its
 * composed resources go after it), and `forget` alone would leave their buckets behind.
 */
export function newCircuitBreaker(opts: CircuitBreakerOptions = {}): CircuitBreaker {
  const burst = opts.burst ?? 100;
  const rate = opts.refillPerSecond ?? 1;
  const openMs = opts.openMs ?? 5 * 60_000;
  const now = opts.now ?? Date.now;
  const buckets = new Map<string, Bucket>();
  const sweepEveryMs = (burst / rate) * 1000;
  let swept = now();
  const sweep = (t: number): void => {
    if (t - swept < sweepEveryMs) return;
    swept = t;
    for (const [k, b] of buckets) {
      if (b.openUntil <= t && b.tokens + ((t - b.at) / 1000) * rate >= burst) buckets.delete(k);
    }
  };

  const bucket = (key: string, t: number): Bucket => {
    let b = buckets.get(key);
    if (b === undefined) {
      b = { tokens: burst, at: t, openUntil: 0, lastAllowed: 0 };
      buckets.set(key, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    return b;
  };

  return {
    allow(key, source) {
      const t = now();
      sweep(t);
      const b = bucket(key, t);
      if (b.openUntil > t) {
        if (t - b.lastAllowed >= 1000 / rate) {
          b.lastAllowed = t;
          return true;
        }
        return false;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        b.lastAllowed = t;
        return true;
      }
      b.openUntil = t + openMs;
      b.triggeredBy = source;
      return false;
    },
    state(key) {
      const b = buckets.get(key);
      if (b === undefined || b.openUntil <= now()) return { open: false };
      return b.triggeredBy === undefined ? { open: true } : { open: true, triggeredBy: b.triggeredBy };
    },
    forget(key) {
      buckets.delete(key);
    },
    tracked: () => buckets.size,
  };
}
