import type { Logger } from '@trellis/sdk';
import { ApiError } from '../api/errors.ts';
import type { DeleteOpts } from '../api/options.ts';
import type { Rest } from '../api/rest.ts';
import type { ResourceType } from '../registry/types.ts';

const EVENTS_BUCKET = '/events';

const deleteOpts: DeleteOpts = {
  dryRun: false,
  propagationPolicy: undefined,
  orphanDependents: undefined,
  gracePeriodSeconds: undefined,
  preconditions: undefined,
};

export interface EventTtlOptions {
  /** TtlMs is how long an Event lives after its last write (default 1 h, kube-apiserver's --event-ttl). */
  ttlMs?: number;
  /** SweepEveryMs is how often expired Events are deleted (default 60 s). */
  sweepEveryMs?: number;
  /** Now is the clock in ms (tests). */
  now?: () => number;
}

/**
 * EventTtl deletes Events (core/v1 and events.k8s.io/v1 share their storage) once they have not
 * been written for the TTL, as kube-apiserver does by writing every Event with an etcd lease of
 * `--event-ttl` (1 h). Without it Events pile up for ever: every claim, XR and managed resource
 * leaves a few behind, so a long-running server under churn grows without bound (found by the
 * reliability soak). Write times are kept in memory; after a restart every stored Event counts as
 * written at start, so it lives at least one TTL more (kube's leases would have kept its time).
 */
export class EventTtl {
  private readonly rest: Rest;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly sweepEveryMs: number;
  private readonly now: () => number;
  /** lastWrite maps `namespace/name` to the time of the Event's last write. */
  private readonly lastWrite = new Map<string, number>();
  private unsubscribe: () => void = () => {};
  private timer: NodeJS.Timeout | undefined;

  constructor(rest: Rest, log: Logger, opts: EventTtlOptions = {}) {
    this.rest = rest;
    this.log = log;
    this.ttlMs = opts.ttlMs ?? 3_600_000;
    this.sweepEveryMs = opts.sweepEveryMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  private get eventType(): ResourceType {
    return this.rest.registry.lookup('', 'v1', 'events') as ResourceType;
  }

  start(): void {
    const t = this.now();
    this.rest.store.each(EVENTS_BUCKET, (o) => {
      this.lastWrite.set(`${o.namespace}/${o.name}`, t);
    });
    this.unsubscribe = this.rest.store.subscribe(EVENTS_BUCKET, (ev) => {
      const k = `${ev.object.namespace}/${ev.object.name}`;
      if (ev.type === 'DELETED') this.lastWrite.delete(k);
      else this.lastWrite.set(k, this.now());
    });
    this.timer = setInterval(() => this.sweep(), this.sweepEveryMs);
    this.timer.unref();
  }

  stop(): void {
    this.unsubscribe();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Sweep deletes every Event not written for the TTL and returns how many it deleted. */
  sweep(): number {
    const cutoff = this.now() - this.ttlMs;
    const expired = [...this.lastWrite].filter(([, at]) => at <= cutoff).map(([k]) => k);
    let deleted = 0;
    for (const k of expired) {
      const slash = k.indexOf('/');
      const namespace = k.slice(0, slash);
      const name = k.slice(slash + 1);
      try {
        this.rest.delete(this.eventType, namespace, name, deleteOpts);
        deleted++;
      } catch (err) {
        // Deleted meanwhile by a client: nothing left to expire.
        if (err instanceof ApiError && err.httpCode === 404) this.lastWrite.delete(k);
        else this.log.info('cannot delete an expired event', { namespace, name, error: err });
      }
    }
    if (deleted > 0) this.log.debug('expired events deleted', { count: deleted });
    return deleted;
  }
}
