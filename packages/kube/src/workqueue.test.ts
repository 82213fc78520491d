import { describe, expect, it } from 'vitest';
import { newWorkQueue } from './workqueue.ts';

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
});
