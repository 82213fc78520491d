import { describe, expect, it } from 'vitest';
import type { WorkQueue } from './types.ts';
import { newWorkQueue, QueuePriority } from './workqueue.ts';

describe('WorkQueue', () => {
  it('de-duplicates a key added while it waits', async () => {
    const q = newWorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    q.shutDown();
  });

  it('requeues a key added while it is processed only after done(), so no two workers hold it', async () => {
    const q = newWorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0);
    let second: string | undefined;
    const waiting = q.get().then((k) => {
      second = k;
    });
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(first ?? '');
    await waiting;
    expect(second).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
    q.shutDown();
  });

  it('hands keys to waiting getters in order', async () => {
    const q = newWorkQueue();
    const got = Promise.all([q.get(), q.get()]);
    q.add('x');
    q.add('y');
    expect(await got).toEqual(['x', 'y']);
    q.shutDown();
  });

  it('delivers addAfter keys after the delay, keeping the earliest of several', async () => {
    const q = newWorkQueue();
    const t0 = Date.now();
    q.addAfter('a', 200);
    q.addAfter('a', 30);
    q.addAfter('a', 500);
    expect(q.len()).toBe(0);
    expect(await q.get()).toBe('a');
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(25);
    expect(waited).toBeLessThan(190);
    q.done('a');
    q.shutDown();
  });

  it('backs off per item exponentially and resets on forget', async () => {
    const q = newWorkQueue({ baseDelayMs: 10, maxDelayMs: 1000, qps: 1000, burst: 1000 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = Date.now();
      q.addRateLimited('a');
      await q.get();
      delays.push(Date.now() - t0);
      q.done('a');
    }
    expect(q.numRequeues('a')).toBe(4);
    // 10, 20, 40, 80 ms (timers fire no earlier than asked)
    expect(delays.map((d, i) => d >= 10 * 2 ** i - 2)).toEqual([true, true, true, true]);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    q.shutDown();
  });

  it('applies the global token bucket across keys', () => {
    const q = newWorkQueue({ baseDelayMs: 0, qps: 1, burst: 2, now: () => 0 });
    q.addRateLimited('a');
    q.addRateLimited('b');
    expect(q.len()).toBe(2); // within the burst: no delay
    q.addRateLimited('c'); // over the burst: waits ~1 s for a token
    expect(q.len()).toBe(2);
    q.shutDown();
  });

  it('returns undefined from get() after shutDown and ignores adds', async () => {
    const q = newWorkQueue();
    const pending = q.get();
    q.shutDown();
    expect(await pending).toBeUndefined();
    q.add('a');
    expect(await q.get()).toBeUndefined();
    expect(q.len()).toBe(0);
  });

  describe('priorities', () => {
    /** Op is one queue operation: add with a priority, or take the next key (get + done). */
    type Op = readonly ['add', string, number] | readonly ['get'] | readonly ['getHold'] | readonly ['done', string];

    /** Run applies ops in order and returns the keys got, in order. */
    async function run(q: WorkQueue, ops: readonly Op[]): Promise<string[]> {
      const got: string[] = [];
      for (const op of ops) {
        if (op[0] === 'add') q.add(op[1], op[2]);
        else if (op[0] === 'done') q.done(op[1]);
        else {
          const k = await q.get();
          if (k === undefined) throw new Error('queue shut down');
          got.push(k);
          if (op[0] === 'get') q.done(k);
        }
      }
      return got;
    }

    const H = QueuePriority.High;
    const L = QueuePriority.Low;
    const cases: { reason: string; ops: Op[]; want: string[]; len?: number }[] = [
      {
        reason: 'without priorities the queue is FIFO',
        ops: [['add', 'a', 0], ['add', 'b', 0], ['add', 'c', 0], ['get'], ['get'], ['get']],
        want: ['a', 'b', 'c'],
      },
      {
        reason: 'a higher priority is served first, FIFO within one priority',
        ops: [
          ['add', 'a', 0],
          ['add', 'b', H],
          ['add', 'c', L],
          ['add', 'd', H],
          ['add', 'e', 0],
          ['get'],
          ['get'],
          ['get'],
          ['get'],
          ['get'],
        ],
        want: ['b', 'd', 'a', 'e', 'c'],
      },
      {
        reason: 'adding a waiting key again with a higher priority moves it up, once',
        ops: [['add', 'a', 0], ['add', 'b', 0], ['add', 'c', 0], ['add', 'c', H], ['get'], ['get'], ['get']],
        want: ['c', 'a', 'b'],
        len: 0,
      },
      {
        reason: 'a raised key queues behind keys already waiting at that priority',
        ops: [['add', 'x', H], ['add', 'a', L], ['add', 'a', H], ['get'], ['get']],
        want: ['x', 'a'],
      },
      {
        reason: 'a lower priority never demotes a waiting key',
        ops: [['add', 'a', H], ['add', 'b', 0], ['add', 'a', L], ['get'], ['get']],
        want: ['a', 'b'],
      },
      {
        reason: 'a key added while processing is requeued at the highest priority it was added with',
        ops: [['add', 'a', 0], ['add', 'b', 0], ['getHold'], ['add', 'a', L], ['add', 'a', H], ['done', 'a'], ['get'], ['get']],
        want: ['a', 'a', 'b'],
      },
      {
        reason: 'a key taken after a raise is not served again from its old lane',
        ops: [['add', 'a', L], ['add', 'a', H], ['get'], ['add', 'b', L], ['get'], ['add', 'a', L], ['get']],
        want: ['a', 'b', 'a'],
        len: 0,
      },
    ];

    it.each(cases)('$reason', async ({ ops, want, len }) => {
      const q = newWorkQueue();
      expect(await run(q, ops)).toEqual(want);
      if (len !== undefined) expect(q.len()).toBe(len);
      q.shutDown();
    });

    it('counts each waiting key once in len() after a raise', () => {
      const q = newWorkQueue();
      q.add('a', L);
      q.add('b', 0);
      q.add('a', H);
      expect(q.len()).toBe(2);
      q.shutDown();
    });

    it('keeps the highest priority of delayed adds', async () => {
      const q = newWorkQueue();
      q.addAfter('slow', 20, H);
      q.addAfter('slow', 10, 0); // earlier, lower: fires at 10 ms with priority H
      q.add('held', 0);
      q.add('normal', 0);
      const held = await q.get(); // taken and held, so 'normal' waits with 'slow'
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (q.len() === 2) resolve();
          else setTimeout(check, 2);
        };
        check();
      });
      expect(await q.get()).toBe('slow');
      expect(await q.get()).toBe('normal');
      q.done(held ?? '');
      q.shutDown();
    });

    it('orders many keys by priority under interleaved raises (1000 keys)', async () => {
      const q = newWorkQueue();
      for (let i = 0; i < 1000; i++) q.add(`k${i}`, L);
      for (let i = 0; i < 1000; i += 10) q.add(`k${i}`, H);
      const got: string[] = [];
      for (let i = 0; i < 1000; i++) {
        const k = (await q.get()) as string;
        got.push(k);
        q.done(k);
      }
      expect(got.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => `k${i * 10}`));
      expect(new Set(got).size).toBe(1000);
      expect(q.len()).toBe(0);
      q.shutDown();
    });
  });
});
