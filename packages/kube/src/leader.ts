import type { KubeObject, Logger } from '@trellis/sdk';
import { nopLogger } from '@trellis/sdk';
import { isAlreadyExists, isConflict, isNotFound } from './errors.ts';
import { pause } from './ratelimit.ts';
import { linkSignal } from './signals.ts';
import type { KubeClient } from './types.ts';

export interface LeaderElectorOptions {
  client: KubeClient;
  /** Namespace and name of the coordination.k8s.io/v1 Lease. */
  namespace: string;
  name: string;
  /** Identity of this candidate; unique per process (e.g. hostname + pid + random). */
  identity: string;
  /** LeaseDurationMs is how long a lease stays valid without renewal (default 15 s). */
  leaseDurationMs?: number;
  /** RenewDeadlineMs is how long the leader keeps trying to renew before giving up (default 10 s). */
  renewDeadlineMs?: number;
  /** RetryPeriodMs is the pause between attempts to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  /** ReleaseOnCancel clears the lease when the run is cancelled, so a successor need not wait (default true). */
  releaseOnCancel?: boolean;
  /** OnStartedLeading runs while this candidate leads; `signal` aborts when leadership is lost or the run ends. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** OnStoppedLeading runs after leadership ends (lost or released). */
  onStoppedLeading?(): void;
  /** OnNewLeader reports every change of leader identity observed. */
  onNewLeader?(identity: string): void;
  log?: Logger;
}

/** A LeaseSpec is coordination.k8s.io/v1 LeaseSpec. */
interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

type Lease = KubeObject & { spec?: LeaseSpec };

/** A LeaderElector campaigns for a Lease; see {@link newLeaderElector}. */
export interface LeaderElector {
  /**
   * Run campaigns until the signal aborts: acquire, lead (onStartedLeading), renew; on loss of
   * leadership, abort the leader's signal, call onStoppedLeading and campaign again. On cancel it
   * releases the lease if it holds it (unless releaseOnCancel is false).
   */
  run(signal: AbortSignal): Promise<void>;
  isLeader(): boolean;
  /** Leader returns the last observed holder identity ('' when none). */
  leader(): string;
}

const leaseRef = (o: LeaderElectorOptions) => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  namespace: o.namespace,
  name: o.name,
});

/** MicroTime formats a date as a Kubernetes MicroTime (RFC 3339 with microseconds). */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * NewLeaderElector elects one leader among candidates sharing a Lease, like client-go's
 * leaderelection with a LeaseLock. Expiry is judged by the local clock from when this candidate
 * last saw the lease change (client-go's observedTime), so clock skew between machines does not
 * matter; writes use optimistic concurrency, so two candidates cannot both win.
 */
export function newLeaderElector(opts: LeaderElectorOptions): LeaderElector {
  const leaseMs = opts.leaseDurationMs ?? 15_000;
  const renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
  const retryMs = opts.retryPeriodMs ?? 2_000;
  const log = (opts.log ?? nopLogger).with({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  let observed: { spec: LeaseSpec; rv: string; at: number } | undefined;
  let leading = false;
  let currentLeader = '';

  const observe = (lease: Lease): void => {
    const spec = lease.spec ?? {};
    const changed =
      observed === undefined ||
      observed.spec.holderIdentity !== spec.holderIdentity ||
      observed.spec.renewTime !== spec.renewTime ||
      observed.rv !== lease.metadata.resourceVersion;
    if (changed) observed = { spec, rv: lease.metadata.resourceVersion ?? '', at: Date.now() };
    const holder = spec.holderIdentity ?? '';
    if (holder !== currentLeader) {
      currentLeader = holder;
      if (holder !== '') opts.onNewLeader?.(holder);
    }
  };

  /** TryAcquireOrRenew makes one attempt; it reports whether this candidate holds the lease now. */
  const tryAcquireOrRenew = async (signal: AbortSignal): Promise<boolean> => {
    const now = new Date();
    const mine: Required<LeaseSpec> = {
      holderIdentity: opts.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(leaseMs / 1000)),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    const existing = await opts.client.getIfExists<Lease>(leaseRef(opts), { signal });
    if (existing === undefined) {
      try {
        const created = await opts.client.create<Lease>(
          { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: opts.name, namespace: opts.namespace }, spec: mine },
          { signal },
        );
        observe(created);
        return true;
      } catch (err) {
        if (isAlreadyExists(err)) return false;
        throw err;
      }
    }
    observe(existing);
    const spec = existing.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const heldByOther = holder !== '' && holder !== opts.identity;
    const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
    if (heldByOther && observed !== undefined && observed.at + durationMs > Date.now()) return false;
    const next: LeaseSpec =
      holder === opts.identity
        ? { ...spec, ...mine, acquireTime: spec.acquireTime ?? mine.acquireTime, leaseTransitions: spec.leaseTransitions ?? 0 }
        : { ...mine, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    try {
      const updated = await opts.client.update<Lease>({ ...existing, spec: next }, { signal });
      observe(updated);
      return true;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
  };

  const attempt = async (signal: AbortSignal): Promise<boolean> => {
    try {
      return await tryAcquireOrRenew(signal);
    } catch (err) {
      if (!signal.aborted) log.debug('cannot acquire or renew lease', { error: err });
      return false;
    }
  };

  const release = async (): Promise<void> => {
    if (observed?.spec.holderIdentity !== opts.identity) return;
    try {
      const lease = await opts.client.get<Lease>(leaseRef(opts));
      if (lease.spec?.holderIdentity !== opts.identity) return;
      await opts.client.update<Lease>({
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) },
      });
      log.info('released lease');
    } catch (err) {
      // A failed release only delays the successor until the lease expires.
      log.info('cannot release lease', { error: err });
    }
  };

  /** Lead renews until a renewal misses the deadline or the run is cancelled. */
  const lead = async (signal: AbortSignal): Promise<void> => {
    leading = true;
    log.info('started leading');
    const leaderAc = new AbortController();
    const onCancel = (): void => leaderAc.abort();
    signal.addEventListener('abort', onCancel, { once: true });
    let work: Promise<void> = Promise.resolve();
    try {
      work = Promise.resolve()
        .then(() => opts.onStartedLeading(leaderAc.signal))
        .catch((err: unknown) => log.info('leader work failed', { error: err }));
      let lastRenew = Date.now();
      while (!signal.aborted) {
        await pause(retryMs, signal);
        if (signal.aborted) break;
        // Linked, not AbortSignal.any(): `signal` lives as long as the elector, and any() would
        // leave an entry on it per renewal.
        const renew = linkSignal(signal, Math.max(1, renewDeadlineMs - (Date.now() - lastRenew)));
        const ok = await attempt(renew.signal).finally(() => renew.dispose());
        if (ok) lastRenew = Date.now();
        else if (Date.now() - lastRenew >= renewDeadlineMs || observed?.spec.holderIdentity !== opts.identity) {
          if (!signal.aborted) log.info('lost leadership');
          break;
        }
      }
    } finally {
      leaderAc.abort();
      signal.removeEventListener('abort', onCancel);
      await work;
      leading = false;
      opts.onStoppedLeading?.();
    }
  };

  return {
    async run(signal) {
      while (!signal.aborted) {
        if (await attempt(signal)) await lead(signal);
        else await pause(retryMs, signal);
      }
      if (opts.releaseOnCancel !== false) await release();
    },
    isLeader: () => leading,
    leader: () => currentLeader,
  };
}
