import { describe, expect, it } from 'vitest';
import { newFakeKube } from '../controllers/testing/fake-kube.ts';
import { newKubeEventRecorder } from './events.ts';

const obj = (i: number) => ({ apiVersion: 'example.org/v1', kind: 'XApp', name: `x${i}`, uid: `u${i}` });

describe('newKubeEventRecorder memory', () => {
  it.each([
    {
      reason: 'events of objects that came and went are forgotten once the window has passed',
      maxTracked: 1000,
      // 100 objects record an event each, then one more a window later.
      steps: [
        { at: 0, objects: 100 },
        { at: 1001, objects: 1, from: 100 },
      ],
      tracked: 1,
      writes: 101,
    },
    {
      reason: 'the memory never holds more than its bound, however many objects record events',
      maxTracked: 10,
      steps: [{ at: 0, objects: 50 }],
      tracked: 10,
      writes: 50,
    },
    {
      reason: 'an event recorded again within the window is still written once',
      maxTracked: 1000,
      steps: [
        { at: 0, objects: 5 },
        { at: 500, objects: 5 },
      ],
      tracked: 5,
      writes: 5,
    },
  ])('$reason', async ({ maxTracked, steps, tracked, writes }) => {
    const kube = newFakeKube();
    let t = 0;
    const rec = newKubeEventRecorder(kube, { dedupeWindowMs: 1000, maxTracked, now: () => new Date(t) });
    for (const s of steps) {
      t = s.at;
      for (let i = 0; i < s.objects; i++)
        rec.record(obj((s.from ?? 0) + i), { type: 'Normal', reason: 'SelectComposition', message: 'Successfully selected composition' });
    }
    await rec.flush();
    expect(rec.tracked()).toBe(tracked);
    expect(kube.objects({ apiVersion: 'v1', kind: 'Event' })).toHaveLength(writes);
  });
});
