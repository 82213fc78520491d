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
