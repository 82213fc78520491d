import { describe, expect, it } from 'vitest';
import { exponentialDelay, TokenBucket } from './ratelimit.ts';

describe('TokenBucket', () => {
  it('admits a burst at once, then spaces reservations at 1/qps', () => {
    let now = 0;
    const b = new TokenBucket({ qps: 10, burst: 3, now: () => now });
    expect([b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 0, 0]);
    expect([b.reserve(), b.reserve()]).toEqual([100, 200]);
    now = 1000; // 1 s later: 10 tokens refilled, minus the 2 owed, capped at burst
    expect([b.reserve(), b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 0, 0, 100]);
  });

  it.each([[{ qps: 0, burst: 1 }], [{ qps: 1, burst: 0 }], [{ qps: Number.NaN, burst: 1 }]])(
    'rejects a nonsensical configuration %o',
    (opts) => {
      expect(() => new TokenBucket(opts)).toThrow(RangeError);
    },
  );
});

describe('exponentialDelay', () => {
  it.each([
    [0, 5, 1000, 5],
    [1, 5, 1000, 10],
    [3, 5, 1000, 40],
    [10, 5, 1000, 1000],
    [5000, 5, 1000, 1000],
    [0, 2000, 1000, 1000],
  ])('failures=%i base=%i max=%i -> %i', (failures, base, max, want) => {
    expect(exponentialDelay(failures, base, max)).toBe(want);
  });
});
