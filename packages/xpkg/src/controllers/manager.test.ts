import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { nextPass } from './manager.ts';

describe('nextPass (the package manager loop between passes)', () => {
  it.each([
    { reason: 'the poll interval passing starts the next pass', pollMs: 10, wake: false, abort: false },
    { reason: 'a wake (a package event) starts the next pass soon', pollMs: 60_000, wake: true, abort: false },
    { reason: 'the loop stopping starts no pass', pollMs: 60_000, wake: false, abort: true },
  ])('$reason, and leaves no listener on the long-lived signal', async ({ pollMs, wake, abort }) => {
    const ac = new AbortController();
    // Many passes in a row, as over the hours of a running package manager.
    for (let i = 0; i < 5; i++) {
      let w: (() => void) | undefined;
      const next = nextPass(ac.signal, pollMs, (f) => {
        w = f;
      });
      if (wake) {
        w?.();
        w?.();
      }
      if (abort && i === 4) ac.abort();
      else if (abort) w?.();
      await next;
    }
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
