import { linkSignal, type ReconcileResult, type WorkQueue } from '@trellis/kube';
import { formatError, hasCode, type Logger, nopLogger, TrellisError } from '@trellis/sdk';
import type { EngineMetrics } from '../../metrics/engine-metrics.ts';

/** A Reconciler reconciles one key; it returns what to do next or throws (requeued with backoff). */
export type ReconcileFn = (key: string, signal: AbortSignal) => Promise<ReconcileResult>;

/** A QueueFactory makes the work queue of one controller. */
export type QueueFactory = (name: string) => WorkQueue;

export interface ControllerSpec {
  /** Name is lowercase `kind/plural.group` or a role (`definition`, `composition`). */
  name: string;
  reconcile: ReconcileFn;
  /** Workers process keys concurrently (never the same key twice at once). Default 1. */
  workers?: number;
  /** Kind labels the controller in `trellis_engine_controllers{kind}`. */
  kind?: string;
  /**
   * OnStop runs when the controller stops, e.g. to remove informer handlers. It must not throw.
   */
  onStop?: () => void;
}

/** A Controller is a running controller: enqueue keys to it, stop it. */
export interface Controller {
  readonly name: string;
  /**
   * Enqueue queues a key; a higher priority is served first (default 0; see @trellis/kube's
   * `QueuePriority`: Low for initial lists and bulk requeues, High for progress of objects in flight).
   */
  enqueue(key: string, priority?: number): void;
  enqueueAfter(key: string, ms: number): void;
  /** Stop stops taking keys and waits for in-flight reconciles to finish. */
  stop(): Promise<void>;
}

export interface ManagerOptions {
  newQueue: QueueFactory;
  log?: Logger;
  metrics?: EngineMetrics;
  /** ReconcileTimeoutMs aborts a reconcile that runs longer (default 2 min, as upstream). */
  reconcileTimeoutMs?: number;
}

/**
 * A ControllerManager runs controllers that can be started and stopped at runtime (XR and claim
 * controllers come and go with XRDs). Each controller owns a work queue; workers take keys, call
 * the reconciler under a deadline, and requeue as it says: after a delay, with backoff, or on
 * error with backoff. Conflicts requeue silently. Every reconcile is counted and timed.
 */
export class ControllerManager {
  private readonly o: Required<Omit<ManagerOptions, 'metrics'>> & Pick<ManagerOptions, 'metrics'>;
  private readonly running = new Map<string, Controller>();

  constructor(opts: ManagerOptions) {
    this.o = { log: nopLogger, reconcileTimeoutMs: 120_000, ...opts };
  }

  /** Get returns the running controller `name`, if any. */
  get(name: string): Controller | undefined {
    return this.running.get(name);
  }

  names(): string[] {
    return [...this.running.keys()].sort();
  }

  /** Start starts a controller; starting a name that runs throws ENGINE_CONTROLLER_RUNNING. */
  start(spec: ControllerSpec): Controller {
    if (this.running.has(spec.name)) throw new TrellisError('ENGINE_CONTROLLER_RUNNING', `controller "${spec.name}" is already running`);
    const queue = this.o.newQueue(spec.name);
    const log = this.o.log.with({ controller: spec.name });
    const metrics = this.o.metrics;
    const abort = new AbortController();
    const kind = spec.kind ?? spec.name.split('/')[0] ?? spec.name;
    metrics?.controllers.set({ kind }, metrics.controllers.get({ kind }) + 1);
    const timeoutMs = this.o.reconcileTimeoutMs;

    const handle = async (key: string): Promise<void> => {
      const stopTimer = metrics?.reconcileDuration.startTimer({ controller: spec.name });
      // Not AbortSignal.any(): on Node 20 it leaves an entry on the controller's signal per reconcile.
      const link = linkSignal(abort.signal, timeoutMs);
      try {
        const res = await spec.reconcile(key, link.signal);
        if (res.requeueAfterMs !== undefined && res.requeueAfterMs > 0) {
          queue.forget(key);
          queue.addAfter(key, res.requeueAfterMs, res.priority);
          metrics?.reconciles.inc({ controller: spec.name, result: 'requeue' });
        } else if (res.requeue === true) {
          queue.addRateLimited(key, res.priority);
          metrics?.reconciles.inc({ controller: spec.name, result: 'requeue' });
        } else {
          queue.forget(key);
          metrics?.reconciles.inc({ controller: spec.name, result: 'success' });
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        queue.addRateLimited(key);
        if (hasCode(err, 'KUBE_CONFLICT')) {
          log.debug('Conflict; requeueing', { request: key, error: formatError(err) });
          metrics?.reconciles.inc({ controller: spec.name, result: 'requeue' });
        } else {
          log.debug('Reconcile failed; requeueing with backoff', {
            request: key,
            error: formatError(err),
            requeues: queue.numRequeues(key),
          });
          metrics?.reconciles.inc({ controller: spec.name, result: 'error' });
        }
      } finally {
        link.dispose();
        stopTimer?.();
      }
    };

    const worker = async (): Promise<void> => {
      for (;;) {
        const key = await queue.get();
        if (key === undefined) return;
        try {
          await handle(key);
        } finally {
          queue.done(key);
        }
      }
    };
    const workers = Array.from({ length: Math.max(1, spec.workers ?? 1) }, () => worker());
    const done = Promise.all(workers);
    const uncollect = metrics?.queueDepth.collect((g) => {
      if (this.running.get(spec.name) === controller) g.set({ controller: spec.name }, queue.len());
    });

    const controller: Controller = {
      name: spec.name,
      enqueue: (key, priority) => queue.add(key, priority),
      enqueueAfter: (key, ms) => queue.addAfter(key, ms),
      stop: async () => {
        if (this.running.get(spec.name) !== controller) return;
        this.running.delete(spec.name);
        abort.abort();
        queue.shutDown();
        spec.onStop?.();
        uncollect?.();
        metrics?.queueDepth.remove({ controller: spec.name });
        metrics?.controllers.set({ kind }, Math.max(0, metrics.controllers.get({ kind }) - 1));
        await done;
      },
    };
    this.running.set(spec.name, controller);
    log.debug('Started controller');
    return controller;
  }

  /** Stop stops the controller `name` (no-op when it does not run). */
  async stop(name: string): Promise<void> {
    await this.running.get(name)?.stop();
  }

  /** StopAll stops every controller. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((c) => c.stop()));
  }
}
