import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { linkSignal } from './signals.ts';

const waitFor = async (cond: () => boolean, ms = 2000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('linkSignal', () => {
  it.each([
    {
      reason: 'the parent aborting aborts the linked signal with its reason',
      act: (parent: AbortController) => parent.abort('stopping'),
      aborted: true,
      timedOut: false,
      signalReason: 'stopping',
    },
    {
      reason: 'the deadline aborts the linked signal with the timeout reason',
      act: () => {},
      timeoutMs: 10,
      aborted: true,
      timedOut: true,
      signalReason: 'deadline',
    },
    {
      reason: 'neither: the signal stays live',
      act: () => {},
      aborted: false,
      timedOut: false,
      signalReason: undefined,
    },
  ])('$reason', async ({ act, timeoutMs, aborted, timedOut, signalReason }) => {
    const parent = new AbortController();
    const l = linkSignal(parent.signal, timeoutMs, 'deadline');
    act(parent);
    if (aborted) await waitFor(() => l.signal.aborted);
    expect(l.signal.aborted).toBe(aborted);
    expect(l.timedOut()).toBe(timedOut);
    expect(l.signal.reason).toBe(signalReason);
    l.dispose();
  });

  it('starts aborted under an aborted parent', () => {
    const parent = new AbortController();
    parent.abort('gone');
    const l = linkSignal(parent.signal, 1000);
    expect(l.signal.aborted).toBe(true);
    expect(l.signal.reason).toBe('gone');
    l.dispose();
  });

  it('works without a parent (a deadline only)', async () => {
    const l = linkSignal(undefined, 5);
    await waitFor(() => l.signal.aborted);
    expect(l.timedOut()).toBe(true);
    expect((l.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('links any number of signals to one parent without a "possible memory leak" warning (each link is removed on dispose)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const parent = new AbortController();
      const links = Array.from({ length: 50 }, () => linkSignal(parent.signal, 60_000));
      await new Promise((r) => setImmediate(r));
      for (const l of links) l.dispose();
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('leaves nothing on a long-lived parent once disposed, however many times it is linked', async () => {
    const parent = new AbortController();
    const links = Array.from({ length: 1000 }, () => linkSignal(parent.signal, 60_000));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1000);
    for (const l of links) l.dispose();
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
    // Disposed: the parent aborting no longer reaches the linked signals, and no deadline fires.
    parent.abort();
    expect(links.every((l) => !l.signal.aborted)).toBe(true);
  });
});
