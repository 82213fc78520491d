import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { connectionSecretRefOf } from './fields.ts';

const mr = (namespace: string | undefined, ref: unknown): KubeObject => ({
  apiVersion: 'x.trellis.test/v1',
  kind: 'Thing',
  metadata: { name: 't', ...(namespace === undefined ? {} : { namespace }) },
  spec: { writeConnectionSecretToRef: ref },
});

describe('connectionSecretRefOf', () => {
  const cases: Array<{ reason: string; obj: KubeObject; want: unknown }> = [
    {
      reason: 'a namespaced resource publishes into its own namespace, whatever namespace the ref names (isolation)',
      obj: mr('team-a', { name: 'conn', namespace: 'team-b' }),
      want: { name: 'conn', namespace: 'team-a' },
    },
    {
      reason: 'a namespaced resource without a namespace in the ref',
      obj: mr('team-a', { name: 'conn' }),
      want: { name: 'conn', namespace: 'team-a' },
    },
    {
      reason: 'a cluster-scoped resource names the namespace',
      obj: mr(undefined, { name: 'conn', namespace: 'ops' }),
      want: { name: 'conn', namespace: 'ops' },
    },
    {
      reason: 'a cluster-scoped resource without one (the publisher refuses it)',
      obj: mr(undefined, { name: 'conn' }),
      want: { name: 'conn' },
    },
    { reason: 'no name, no Secret', obj: mr('team-a', { namespace: 'team-b' }), want: undefined },
  ];
  it.each(cases)('$reason', ({ obj, want }) => {
    expect(connectionSecretRefOf(obj)).toEqual(want);
  });
});
