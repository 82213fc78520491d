import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { newEchoes } from './echoes.ts';

const obj = (name: string, rv: string): KubeObject => ({
  apiVersion: 'example.org/v1',
  kind: 'XApp',
  metadata: { name, uid: `${name}-uid`, resourceVersion: rv },
});

type Step = { wrote: string } | { event: string; echo: boolean } | { deleted: true };

describe('echoes', () => {
  const cases: Record<string, { reason: string; steps: Step[]; size: number }> = {
    Echo: {
      reason: 'the event at the version a write returned is its echo, once',
      steps: [{ wrote: '5' }, { event: '5', echo: true }, { event: '5', echo: false }],
      size: 0,
    },
    OthersChange: {
      reason: "a later version is someone else's change (or a write not seen): no echo, and the record goes",
      steps: [{ wrote: '5' }, { event: '6', echo: false }, { event: '5', echo: false }],
      size: 0,
    },
    TwoWrites: {
      reason: 'two writes in one reconcile (inventory, then status): both events are echoes',
      steps: [{ wrote: '5' }, { wrote: '7' }, { event: '5', echo: true }, { event: '7', echo: true }],
      size: 0,
    },
    MissedFirst: {
      reason: "the first write's event was missed (a relist): the second is still recognised",
      steps: [{ wrote: '5' }, { wrote: '7' }, { event: '7', echo: true }],
      size: 0,
    },
    EventBeforeResponse: {
      reason: "an event seen before its write's response is not recognised; the next event drops the record",
      steps: [{ event: '7', echo: false }, { wrote: '7' }, { event: '9', echo: false }],
      size: 0,
    },
    Deleted: {
      reason: 'a deleted object is forgotten',
      steps: [{ wrote: '5' }, { deleted: true }, { event: '5', echo: false }],
      size: 0,
    },
    NeverWritten: {
      reason: 'an object this controller never wrote has no echoes',
      steps: [{ event: '3', echo: false }],
      size: 0,
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(`${name}: ${tc.reason}`, () => {
      const e = newEchoes();
      for (const s of tc.steps) {
        if ('wrote' in s) e.wrote(obj('a', s.wrote));
        else if ('deleted' in s) e.forget(obj('a', ''));
        else expect(e.echo(obj('a', s.event)), `event at ${s.event}`).toBe(s.echo);
      }
      expect(e.size()).toBe(tc.size);
    });
  }

  it('tells objects apart', () => {
    const e = newEchoes();
    e.wrote(obj('a', '5'));
    expect(e.echo(obj('b', '5'))).toBe(false);
    expect(e.echo(obj('a', '5'))).toBe(true);
  });

  it('remembers at most `max` objects, dropping the oldest first', () => {
    const e = newEchoes(2);
    e.wrote(obj('a', '1'));
    e.wrote(obj('b', '2'));
    e.wrote(obj('c', '3'));
    expect(e.size()).toBe(2);
    expect(e.echo(obj('a', '1'))).toBe(false);
    expect(e.echo(obj('c', '3'))).toBe(true);
  });
});
