import { describe, expect, it } from 'vitest';
import { kubeEventRecorder } from './events.ts';
import { newFakeKube } from './testing/fake-kube.ts';

describe('kubeEventRecorder', () => {
  it('writes an event once per object, reason and message within the dedupe window', async () => {
    const kube = newFakeKube();
    let t = 0;
    const rec = kubeEventRecorder(kube, { component: 'trellis/test', dedupeMs: 1000, now: () => new Date(t) });
    const obj = { apiVersion: 'x/v1', kind: 'Zone', name: 'z', uid: 'u1' };
    rec.record(obj, { type: 'Warning', reason: 'CannotObserveExternalResource', message: 'boom' });
    rec.record(obj, { type: 'Warning', reason: 'CannotObserveExternalResource', message: 'boom' });
    rec.record(obj, { type: 'Warning', reason: 'CannotObserveExternalResource', message: 'other' });
    t = 2000;
    rec.record(obj, { type: 'Warning', reason: 'CannotObserveExternalResource', message: 'boom' });
    await new Promise((r) => setTimeout(r, 10));
    expect(kube.writes.filter((w) => w.verb === 'create')).toHaveLength(3);
    const ev = (await kube.list({ apiVersion: 'v1', kind: 'Event' })).items[0] as Record<string, unknown> | undefined;
    expect(ev).toMatchObject({
      metadata: { namespace: 'default' },
      involvedObject: { kind: 'Zone', name: 'z', uid: 'u1' },
      type: 'Warning',
      reason: 'CannotObserveExternalResource',
      source: { component: 'trellis/test' },
    });
  });
});

describe('kubeEventRecorder memory', () => {
  it.each([
    {
      reason: 'events of resources that came and went are forgotten once the window has passed',
      maxTracked: 1000,
      steps: [
        { at: 0, objects: 100, from: 0 },
        { at: 1001, objects: 1, from: 100 },
      ],
      tracked: 1,
    },
    {
      reason: 'the memory never holds more than its bound, however many resources record events',
      maxTracked: 10,
      steps: [{ at: 0, objects: 50, from: 0 }],
      tracked: 10,
    },
  ])('$reason', ({ maxTracked, steps, tracked }) => {
    const kube = newFakeKube();
    let t = 0;
    const rec = kubeEventRecorder(kube, { component: 'trellis/test', dedupeMs: 1000, maxTracked, now: () => new Date(t) });
    for (const s of steps) {
      t = s.at;
      for (let i = 0; i < s.objects; i++) {
        const n = s.from + i;
        rec.record({ apiVersion: 'x/v1', kind: 'Zone', name: `z${n}`, uid: `u${n}` }, { type: 'Normal', reason: 'Created', message: 'ok' });
      }
    }
    expect(rec.tracked()).toBe(tracked);
  });
});
