import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { desiredStateChanged } from './controller.ts';

const base: KubeObject = {
  apiVersion: 'x/v1',
  kind: 'X',
  metadata: { name: 'a', generation: 1, labels: { a: '1' }, annotations: { 'crossplane.io/external-name': 'n' }, resourceVersion: '1' },
  status: { conditions: [] },
};
const with_ = (f: (o: KubeObject) => void): KubeObject => {
  const o = structuredClone(base);
  f(o);
  return o;
};

describe('desiredStateChanged', () => {
  const cases = {
    Status: {
      reason: 'a status-only write does not trigger',
      next: with_((o) => {
        o.status = { conditions: [{ type: 'Ready' }] };
        o.metadata.resourceVersion = '2';
      }),
      want: false,
    },
    Spec: {
      reason: 'a spec change (generation) triggers',
      next: with_((o) => {
        o.metadata.generation = 2;
      }),
      want: true,
    },
    Label: {
      reason: 'a label change triggers',
      next: with_((o) => {
        o.metadata.labels = { a: '2' };
      }),
      want: true,
    },
    Annotation: {
      reason: 'an annotation change triggers',
      next: with_((o) => {
        o.metadata.annotations = { 'crossplane.io/external-name': 'm' };
      }),
      want: true,
    },
    Pending: {
      reason: 'the runtime writing create-pending alone does not trigger',
      next: with_((o) => {
        o.metadata.annotations = { ...o.metadata.annotations, 'crossplane.io/external-create-pending': 't' };
      }),
      want: false,
    },
    Succeeded: {
      reason: 'create-succeeded triggers (the next pass confirms the resource)',
      next: with_((o) => {
        o.metadata.annotations = { ...o.metadata.annotations, 'crossplane.io/external-create-succeeded': 't' };
      }),
      want: true,
    },
    Deleted: {
      reason: 'deletion triggers',
      next: with_((o) => {
        o.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
      }),
      want: true,
    },
  } satisfies Record<string, { reason: string; next: KubeObject; want: boolean }>;
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => expect(desiredStateChanged(base, tc.next)).toBe(tc.want));
  });
});
