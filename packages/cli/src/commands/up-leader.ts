import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { newKubeClient, newLeaderElector } from '@trellis/kube';
import { formatError, type Logger } from '@trellis/sdk';

/** The Lease `trellis up --kubeconfig --leader-election` campaigns for (like upstream's `crossplane-leader-election-core`). */
export const ControllersLease = { namespace: 'kube-system', name: 'trellis-controllers' } as const;

/** Something that started while leading and is stopped when leadership ends. */
export interface Stoppable {
  stop(): Promise<void>;
}

export interface ElectedOptions {
  kubeconfigPath: string;
  log: Logger;
  /** Signal aborts when `trellis up` stops: the leader stops its controllers and releases the lease. */
  signal: AbortSignal;
  /** Say writes one user-facing line (stderr): leading, standing by, who leads. */
  say(line: string): void;
  /**
   * Lead starts the controllers; it pushes each started part to `running` as it goes, so that a
   * start cut short by a lost lease still stops what started.
   */
  lead(signal: AbortSignal, running: Stoppable[]): Promise<void>;
  /** Identity of this candidate (default: hostname, pid and a random suffix). */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/**
 * RunElected runs the controllers only while this process holds the controllers Lease, so that
 * several `trellis up --kubeconfig --leader-election` processes against one API server share the
 * work safely: one leads, the others stand by and take over when the leader stops renewing (it
 * died, or lost the API server for longer than the renew deadline). Leadership lost stops every
 * controller before this process campaigns again; stopping releases the lease, so a successor
 * takes over at once instead of waiting for it to expire. Resolves when `signal` aborts and
 * everything has stopped.
 */
export async function runElected(o: ElectedOptions): Promise<void> {
  const identity = o.identity ?? `${hostname()}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const client = await newKubeClient({ kubeconfigPath: o.kubeconfigPath, log: o.log, userAgent: 'trellis-leader-election' });
  const lease = `${ControllersLease.namespace}/${ControllersLease.name}`;
  try {
    while (!o.signal.aborted) {
      // A campaign ends early when starting the controllers failed: the lease is released and
      // this process campaigns again, so a broken start never holds the lease with nothing running.
      const campaign = new AbortController();
      const stop = (): void => campaign.abort();
      o.signal.addEventListener('abort', stop, { once: true });
      let failed = false;
      const elector = newLeaderElector({
        client,
        ...ControllersLease,
        identity,
        log: o.log,
        ...(o.leaseDurationMs === undefined ? {} : { leaseDurationMs: o.leaseDurationMs }),
        ...(o.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: o.renewDeadlineMs }),
        ...(o.retryPeriodMs === undefined ? {} : { retryPeriodMs: o.retryPeriodMs }),
        onNewLeader: (holder) => {
          if (holder !== identity) o.say(`standing by: the controllers run in the leader ${holder} (lease ${lease})`);
        },
        onStartedLeading: async (signal) => {
          o.say(`leading (lease ${lease}, identity ${identity}): starting the controllers`);
          const running: Stoppable[] = [];
          try {
            await o.lead(signal, running);
            await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
          } catch (err) {
            if (!signal.aborted) {
              o.say(`cannot start the controllers: ${formatError(err)}; releasing the lease`);
              failed = true;
              campaign.abort();
            }
          } finally {
            for (const r of running.reverse()) {
              await r.stop().catch((err: unknown) => o.log.info('component failed to stop', { error: err }));
            }
            if (!o.signal.aborted && !failed) o.say('lost the lease: controllers stopped; campaigning again');
          }
        },
      });
      try {
        await elector.run(campaign.signal);
      } finally {
        o.signal.removeEventListener('abort', stop);
      }
      if (failed && !o.signal.aborted) await pauseUnlessAborted(retryAfterFailureMs, o.signal);
    }
  } finally {
    client.close();
  }
}

const retryAfterFailureMs = 5_000;

function pauseUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
