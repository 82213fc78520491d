import type { Logger } from '@trellis/sdk';
import { TrellisError } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { runController } from './controller.ts';
import { KubeErrorCode } from './errors.ts';
import type { ReconcileResult } from './types.ts';
import { newWorkQueue } from './workqueue.ts';

function recordingLogger(lines: string[]): Logger {
  const l: Logger = {
    info: (msg, f) => lines.push(`info ${msg} ${String(f?.request ?? '')}`),
    debug: (msg, f) => lines.push(`debug ${msg} ${String(f?.request ?? '')}`),
    with: () => l,
  };
  return l;
}

/** Run runs a controller until `until()` holds, then stops it. */
async function run(reconcile: (key: string) => Promise<ReconcileResult | undefined>, keys: string[], until: () => boolean, workers = 1) {
  const lines: string[] = [];
  const queue = newWorkQueue({ baseDelayMs: 1, maxDelayMs: 10, qps: 1000, burst: 1000 });
  const ac = new AbortController();
  for (const k of keys) queue.add(k);
  const done = runController({ name: 'test', queue, reconcile, workers, log: recordingLogger(lines), signal: ac.signal });
  const deadline = Date.now() + 5000;
  while (!until() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  ac.abort();
  await done;
  return { lines, queue };
}

describe('runController', () => {
  it('reconciles each key and stops when the signal aborts', async () => {
    const seen: string[] = [];
    await run(
      async (k) => {
        seen.push(k);
        return {};
      },
      ['a', 'b'],
      () => seen.length === 2,
    );
    expect(seen).toEqual(['a', 'b']);
  });

  it('requeues silently (debug) on conflict and loudly (info) on other errors, with backoff', async () => {
    const attempts = new Map<string, number>();
    const { lines, queue } = await run(
      async (k) => {
        const n = (attempts.get(k) ?? 0) + 1;
        attempts.set(k, n);
        if (n === 1 && k === 'conflict') throw new TrellisError(KubeErrorCode.Conflict, 'conflict');
        if (n === 1 && k === 'broken') throw new TrellisError('ENGINE_BROKEN', 'broken');
        return {};
      },
      ['conflict', 'broken'],
      () => attempts.get('conflict') === 2 && attempts.get('broken') === 2,
    );
    expect(lines.sort()).toEqual(['debug conflict while reconciling; requeueing conflict', 'info cannot reconcile broken']);
    expect(queue.numRequeues('conflict')).toBe(0); // forgotten after the successful retry
  });

  it('polls with requeueAfterMs and backs off with requeue', async () => {
    let polls = 0;
    let requeues = 0;
    const { queue } = await run(
      async (k) => {
        if (k === 'poll') polls++;
        else requeues++;
        return k === 'poll' ? { requeueAfterMs: 5 } : requeues < 3 ? { requeue: true } : {};
      },
      ['poll', 'retry'],
      () => polls >= 3 && requeues >= 3,
    );
    expect(polls).toBeGreaterThanOrEqual(3);
    expect(queue.numRequeues('retry')).toBe(0);
  });

  it('never reconciles one key on two workers at once', async () => {
    let active = 0;
    let maxActive = 0;
    let total = 0;
    const queueKeys = ['k'];
    const { queue } = await run(
      async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        total++;
        await new Promise((r) => setTimeout(r, 2));
        active--;
        return total < 20 ? { requeue: true } : {};
      },
      queueKeys,
      () => total >= 20,
      4,
    );
    expect(maxActive).toBe(1);
    expect(queue.len()).toBe(0);
  });
});
