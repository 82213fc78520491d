// Leader election on a coordination.k8s.io/v1 Lease: two electors against the real API server.

import type { LeaderElector } from '@trellis/kube';
import { newLeaderElector } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { realTarget, uniqueName, useKube, waitFor } from '../harness/targets.ts';

const target = realTarget();

interface Candidate {
  id: string;
  elector: LeaderElector;
  ac: AbortController;
  running: Promise<void>;
  events: string[];
  /** StartedAt is when onStartedLeading last ran. */
  startedAt: number[];
}

describe('leader election', () => {
  const kube = useKube(target, 'leader');
  const timing = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 };

  function candidate(
    lease: string,
    id: string,
    opts: { releaseOnCancel?: boolean; leaseDurationMs?: number; renewDeadlineMs?: number } = {},
  ): Candidate {
    const events: string[] = [];
    const startedAt: number[] = [];
    const ac = new AbortController();
    const elector = newLeaderElector({
      client: kube.client,
      namespace: kube.namespace,
      name: lease,
      identity: id,
      ...timing,
      ...opts,
      onStartedLeading: (signal) => {
        events.push('started');
        startedAt.push(Date.now());
        signal.addEventListener('abort', () => events.push('signal aborted'));
      },
      onStoppedLeading: () => events.push('stopped'),
    });
    return { id, elector, ac, running: elector.run(ac.signal), events, startedAt };
  }

  const getLease = async (name: string) =>
    (await kube.client.get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: kube.namespace, name })) as KubeObject & {
      spec: { holderIdentity?: string; leaseTransitions?: number; leaseDurationSeconds?: number; renewTime?: string };
    };

  it('elects exactly one leader, renews, and hands over at once when the leader releases', async () => {
    const lease = uniqueName('lease');
    // A long lease, so a handover on release is clearly not an expiry.
    const long = { leaseDurationMs: 20_000, renewDeadlineMs: 15_000 };
    const a = candidate(lease, 'a', long);
    await waitFor('a to lead', () => a.elector.isLeader());
    const b = candidate(lease, 'b', long);
    // While a renews, b never leads.
    const first = await getLease(lease);
    await waitFor('a to renew', async () => (await getLease(lease)).spec.renewTime !== first.spec.renewTime);
    expect(b.elector.isLeader()).toBe(false);
    expect(b.elector.leader()).toBe('a');
    expect(first.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 20, leaseTransitions: 0 });
    expect(first.spec.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    const releasedAt = Date.now();
    a.ac.abort();
    await a.running;
    expect(a.events).toEqual(['started', 'signal aborted', 'stopped']);
    await waitFor('b to lead', () => b.elector.isLeader());
    // Released, not expired: b takes over well within the lease duration.
    expect(Date.now() - releasedAt).toBeLessThan(long.leaseDurationMs);
    expect((await getLease(lease)).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    b.ac.abort();
    await b.running;
  });

  it('takes over an expired lease from a leader that vanished without releasing', async () => {
    const lease = uniqueName('lease');
    const a = candidate(lease, 'a', { releaseOnCancel: false });
    await waitFor('a to lead', () => a.elector.isLeader());
    const b = candidate(lease, 'b');
    await new Promise((r) => setTimeout(r, 300));
    a.ac.abort(); // a stops renewing and does not release: like a crashed process
    await a.running;
    const lastRenew = Date.parse((await getLease(lease)).spec.renewTime ?? '');
    await waitFor('b to take over', () => b.elector.isLeader(), { timeoutMs: 10_000 });
    // Not before the lease (2 s) has expired: b saw the last renewal no earlier than it happened.
    expect(b.startedAt[0]).toBeGreaterThanOrEqual(lastRenew + timing.leaseDurationMs);
    expect((await getLease(lease)).spec.holderIdentity).toBe('b');
    b.ac.abort();
    await b.running;
  });

  it('a leader that loses its lease stops leading: its signal aborts and onStoppedLeading runs', async () => {
    const lease = uniqueName('lease');
    const a = candidate(lease, 'a');
    await waitFor('a to lead', () => a.elector.isLeader());
    // Someone else takes the lease by force (an operator, or a split brain resolved by the server).
    const l = await getLease(lease);
    await kube.client.update({
      ...l,
      spec: { ...l.spec, holderIdentity: 'intruder', renewTime: new Date(Date.now() + 60_000).toISOString().replace('Z', '000Z') },
    });
    await waitFor('a to stop leading', () => !a.elector.isLeader(), { timeoutMs: 10_000 });
    expect(a.events).toEqual(['started', 'signal aborted', 'stopped']);
    expect(a.elector.leader()).toBe('intruder');
    a.ac.abort();
    await a.running;
  });

  it('never has two leaders at once under contention', async () => {
    const lease = uniqueName('lease');
    const cs = ['a', 'b', 'c'].map((id) => candidate(lease, id));
    let maxLeaders = 0;
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      maxLeaders = Math.max(maxLeaders, cs.filter((c) => c.elector.isLeader()).length);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(maxLeaders).toBe(1);
    for (const c of cs) c.ac.abort();
    await Promise.all(cs.map((c) => c.running));
  });
});
