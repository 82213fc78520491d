import { randomBytes } from 'node:crypto';
import type { KubeClient } from '@trellis/kube';
import { type EventRecorder, type Logger, nopLogger, type ObjectRef, rfc3339, type TrellisEvent } from '@trellis/sdk';

export interface KubeEventRecorderOptions {
  /** Component is `source.component` / `reportingComponent` of every event. */
  component?: string;
  /** Instance is `reportingInstance` (e.g. the host name). */
  instance?: string;
  /**
   * DedupeWindowMs: an identical event (same object, type, reason and message) recorded again
   * within this window is dropped, so a reconcile that repeats itself writes nothing. Default 30 min.
   */
  dedupeWindowMs?: number;
  /**
   * MaxTracked bounds the de-duplication memory (oldest entries are forgotten first). Default
   * 4,096, the size of client-go's event correlator cache. Entries older than the window are
   * forgotten anyway: they no longer de-duplicate anything.
   */
  maxTracked?: number;
  log?: Logger;
  now?: () => Date;
}

/**
 * NewKubeEventRecorder returns an EventRecorder that writes `core/v1` Events. Recording never
 * blocks and never throws: the write happens in the background and a failure is logged at debug
 * level. Identical events are de-duplicated in memory instead of bumping `count` on the server,
 * because every bump is an API write (Trellis aims at zero writes while nothing changes).
 */
export function newKubeEventRecorder(
  client: KubeClient,
  opts: KubeEventRecorderOptions = {},
): EventRecorder & { flush(): Promise<void>; tracked(): number } {
  const component = opts.component ?? 'trellis-engine';
  const window = opts.dedupeWindowMs ?? 30 * 60_000;
  const maxTracked = opts.maxTracked ?? 4096;
  const log = opts.log ?? nopLogger;
  const now = opts.now ?? (() => new Date());
  const seen = new Map<string, number>();
  const pending = new Set<Promise<unknown>>();

  const remember = (key: string, t: number): boolean => {
    const last = seen.get(key);
    if (last !== undefined && t - last < window) return false;
    seen.delete(key);
    seen.set(key, t);
    // Entries are in the order they were last recorded: from the oldest, drop those past the
    // window and those beyond the bound. (Objects come and go; their events must not stay.)
    for (const [k, at] of seen) {
      if (seen.size <= maxTracked && t - at < window) break;
      seen.delete(k);
    }
    return true;
  };

  return {
    record(obj: ObjectRef & { uid?: string }, event: TrellisEvent): void {
      const t = now();
      const key = `${obj.uid ?? `${obj.apiVersion}/${obj.kind}/${obj.namespace ?? ''}/${obj.name}`}|${event.type}|${event.reason}|${event.message}`;
      if (!remember(key, t.getTime())) return;
      const ts = rfc3339(t);
      const body = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${obj.name}.${randomBytes(8).toString('hex')}`, namespace: obj.namespace ?? 'default' },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.name,
          ...(obj.namespace === undefined ? {} : { namespace: obj.namespace }),
          ...(obj.uid === undefined ? {} : { uid: obj.uid }),
        },
        type: event.type,
        reason: event.reason,
        message: event.message.length > 1024 ? `${event.message.slice(0, 1023)}…` : event.message,
        source: { component },
        reportingComponent: component,
        reportingInstance: opts.instance ?? component,
        firstTimestamp: ts,
        lastTimestamp: ts,
        count: 1,
      };
      const p = client.create(body).catch((err: unknown) => {
        log.debug('cannot record event', { error: err, reason: event.reason, object: `${obj.kind}/${obj.name}` });
      });
      pending.add(p);
      // The promise is tracked in `pending` and settles on its own; flush() awaits it.
      void p.finally(() => pending.delete(p));
    },
    async flush(): Promise<void> {
      await Promise.all([...pending]);
    },
    /** Tracked is how many recent events the recorder remembers for de-duplication (tests). */
    tracked: () => seen.size,
  };
}
