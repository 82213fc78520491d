import type { Logger } from '@trellis/sdk';
import { nopLogger } from '@trellis/sdk';
import { isConflict } from './errors.ts';
import type { ReconcileResult, WorkQueue } from './types.ts';

/** A Reconciler reconciles one key (`namespace/name`). It returns a result or throws. */
export type Reconciler = (key: string, signal: AbortSignal) => Promise<ReconcileResult | undefined>;

export interface ControllerOptions {
  /** Name appears in logs (`composite/xdatabases.example.org`). */
  name: string;
  queue: WorkQueue;
  reconcile: Reconciler;
  /** Workers process distinct keys concurrently (default 1). */
  workers?: number;
  log?: Logger;
  /** Signal stops the controller: the queue shuts down and workers finish their current key. */
  signal: AbortSignal;
}

/**
 * RunController runs `workers` loops that take keys from the queue and reconcile them, until the
 * signal aborts; it resolves when every worker has finished its current key. After a reconcile:
 * - `{ requeueAfterMs }` polls: the key comes back after that delay (its backoff is reset);
 * - `{ requeue: true }` requeues with the queue's rate-limited backoff;
 * - otherwise the key's backoff is reset;
 * - a thrown conflict (409) requeues with backoff silently (debug log): someone else wrote first;
 * - any other error requeues with backoff and is logged at info level with the key.
 * The queue guarantees that one key is never reconciled by two workers at once.
 */
export async function runController(opts: ControllerOptions): Promise<void> {
  const log = (opts.log ?? nopLogger).with({ controller: opts.name });
  const { queue, signal } = opts;
  const stop = (): void => queue.shutDown();
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await reconcileOne(opts, key, log);
      } finally {
        queue.done(key);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.workers ?? 1) }, () => worker()));
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

async function reconcileOne(opts: ControllerOptions, key: string, log: Logger): Promise<void> {
  const { queue } = opts;
  let result: ReconcileResult | undefined;
  try {
    result = await opts.reconcile(key, opts.signal);
  } catch (err) {
    if (opts.signal.aborted) return;
    if (isConflict(err)) {
      log.debug('conflict while reconciling; requeueing', { request: key, error: err });
    } else {
      log.info('cannot reconcile', { request: key, error: err, requeues: queue.numRequeues(key) });
    }
    queue.addRateLimited(key);
    return;
  }
  if (result?.requeueAfterMs !== undefined && result.requeueAfterMs > 0) {
    queue.forget(key);
    queue.addAfter(key, result.requeueAfterMs, result.priority);
  } else if (result?.requeue === true) {
    queue.addRateLimited(key, result.priority);
  } else {
    queue.forget(key);
  }
}
