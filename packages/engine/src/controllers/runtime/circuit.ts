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

/** NewCircuitBreaker returns a token-bucket breaker with upstream's defaults. */
export function newCircuitBreaker(opts: CircuitBreakerOptions = {}): CircuitBreaker {
  const burst = opts.burst ?? 100;
  const rate = opts.refillPerSecond ?? 1;
  const openMs = opts.openMs ?? 5 * 60_000;
  const now = opts.now ?? Date.now;
  const buckets = new Map<string, Bucket>();

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
  };
}
