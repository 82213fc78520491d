import type { KubeObject } from '@trellis/sdk';
import { codeOf } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { containsManifest, externalNameOf, KubernetesCode, manifestOf } from './object.ts';

describe('containsManifest', () => {
  const cases = {
    Defaults: {
      reason: 'fields the server adds are not drift',
      d: { spec: { replicas: 2 } },
      l: { spec: { replicas: 2, strategy: {} }, status: {} },
      want: true,
    },
    Changed: { reason: 'a changed field is drift', d: { data: { a: '1' } }, l: { data: { a: '2' } }, want: false },
    Removed: { reason: 'a removed field is drift', d: { data: { a: '1' } }, l: { data: {} }, want: false },
    ListLength: { reason: 'lists must match in length', d: { args: ['a'] }, l: { args: ['a', 'b'] }, want: false },
    NullIgnored: { reason: 'a null in the manifest asks for nothing', d: { data: null }, l: { data: { a: '1' } }, want: true },
  } satisfies Record<string, { reason: string; d: unknown; l: unknown; want: boolean }>;
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => expect(containsManifest(tc.d, tc.l)).toBe(tc.want));
  });
});

describe('manifestOf', () => {
  const object = (manifest: unknown): KubeObject => ({
    apiVersion: 'kubernetes.trellis.io/v1alpha1',
    kind: 'Object',
    metadata: { name: 'o' },
    spec: { forProvider: { manifest } },
  });
  const bad = {
    Missing: undefined,
    NotAnObject: 'apiVersion: v1',
    NoKind: { apiVersion: 'v1', metadata: { name: 'x' } },
    NoName: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
    EmptyName: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '' } },
    ListAsMetadata: { apiVersion: 'v1', kind: 'ConfigMap', metadata: [] },
  };
  it.each(Object.entries(bad))('rejects a malformed manifest (%s) with a permanent error naming the field', (_n, m) => {
    let err: unknown;
    try {
      manifestOf(object(m));
    } catch (e) {
      err = e;
    }
    expect(codeOf(err)).toBe(KubernetesCode.InvalidManifest);
    expect((err as Error).message).toBe('Object "o": spec.forProvider.manifest needs apiVersion, kind and metadata.name');
  });
  it('names namespaced and cluster-scoped targets', () => {
    expect(externalNameOf(manifestOf(object({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' } })))).toBe(
      'n/c',
    );
    expect(externalNameOf(manifestOf(object({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } })))).toBe('n');
  });
});
