// The campaign's own writes (creating, updating and deleting claims) must go through while the API
// server is down or restarting: they are retried until a deadline when the server cannot be
// reached, and made idempotent by the caller (AlreadyExists on a create that went through before
// the connection broke is success). Only the test's client retries; the controllers under test get
// no help.
import { codeOf } from '@trellis/sdk';

/** Transient codes: the server is down, restarting, overloaded or timed out. */
const transient = new Set(['KUBE_UNAVAILABLE', 'KUBE_TIMEOUT', 'KUBE_TOO_MANY_REQUESTS', 'KUBE_INTERNAL']);

export function isTransient(err: unknown): boolean {
  return transient.has(codeOf(err));
}

/**
 * Retrying runs `fn` until it succeeds or throws a non-transient error; transient ones (and the
 * codes in `alsoRetry`, e.g. KUBE_NOT_FOUND while a restarted API server has not served a CRD's
 * resource yet) are retried until the deadline.
 */
export async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 180_000, alsoRetry: readonly string[] = []): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(isTransient(err) || alsoRetry.includes(codeOf(err))) || Date.now() > deadline) {
        throw new Error(`cannot ${what}: ${(err as Error).message}`, { cause: err });
      }
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 2_000);
  }
}
