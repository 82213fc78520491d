import { randomBytes } from 'node:crypto';
import type { KubeClient } from '@trellis/kube';
import type { EventRecorder, Logger } from '@trellis/sdk';
import { nopLogger } from '@trellis/sdk';

/**
 * KubeEventRecorder records events as core/v1 Events (what `kubectl describe` shows), in the
 * object's namespace (`default` for cluster-scoped objects). The same event for the same object is
 * written at most once per `dedupeMs` (default 10 minutes), so a resource stuck on an error adds
 * one Event, not one per retry. Recording never blocks or throws; failures are logged at debug.
 * The de-duplication memory forgets events older than `dedupeMs` and keeps at most `maxTracked`
 * (default 4,096, client-go's event correlator cache), so resources that come and go leave nothing.
 */
export function kubeEventRecorder(
  client: KubeClient,
  o: { component: string; log?: Logger; dedupeMs?: number; maxTracked?: number; now?: () => Date },
): EventRecorder & { tracked(): number } {
  const log = o.log ?? nopLogger;
  const dedupeMs = o.dedupeMs ?? 600_000;
  const maxTracked = o.maxTracked ?? 4096;
  const now = o.now ?? (() => new Date());
  const seen = new Map<string, number>();
  return {
    tracked: () => seen.size,
    record(obj, ev) {
      const key = `${obj.uid ?? `${obj.kind}/${obj.namespace ?? ''}/${obj.name}`}\0${ev.type}\0${ev.reason}\0${ev.message}`;
      const t = now().getTime();
      const last = seen.get(key);
      if (last !== undefined && t - last < dedupeMs) return;
      // Re-inserted, so entries stay in the order they were last recorded: from the oldest, drop
      // those past the window and those beyond the bound.
      seen.delete(key);
      seen.set(key, t);
      for (const [k, v] of seen) {
        if (seen.size <= maxTracked && t - v < dedupeMs) break;
        seen.delete(k);
      }
      const ts = `${now().toISOString().slice(0, 19)}Z`;
      const namespace = obj.namespace ?? 'default';
      client
        .create({
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `${obj.name}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: {
            apiVersion: obj.apiVersion,
            kind: obj.kind,
            name: obj.name,
            ...(obj.namespace === undefined ? {} : { namespace: obj.namespace }),
            ...(obj.uid === undefined ? {} : { uid: obj.uid }),
          },
          type: ev.type,
          reason: ev.reason,
          message: ev.message,
          source: { component: o.component },
          reportingComponent: o.component,
          firstTimestamp: ts,
          lastTimestamp: ts,
          count: 1,
        })
        .catch((err: unknown) => {
          seen.delete(key);
          log.debug('cannot record event', { error: err, reason: ev.reason });
        });
    },
  };
}
