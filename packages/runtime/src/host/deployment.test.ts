import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { groupsOfObjectRefs, providerRuntimeObjects } from './deployment.ts';

const revision: KubeObject = {
  apiVersion: 'pkg.crossplane.io/v1',
  kind: 'ProviderRevision',
  metadata: { name: 'trellis-provider-http-0123456789ab', uid: 'rev-uid' },
  status: {
    objectRefs: [
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'zones.powerdns.http.trellis.io' },
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'providerconfigs.http.trellis.io' },
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'rrsets.powerdns.http.trellis.io' },
    ],
  },
};

describe('providerRuntimeObjects', () => {
  const objs = providerRuntimeObjects(revision, {
    namespace: 'trellis-system',
    image: 'ghcr.io/trellis/provider-http:v0.1.0',
    groups: groupsOfObjectRefs(revision),
  });
  const byKind = Object.fromEntries(objs.map((o) => [o.kind, o]));

  it('derives the API groups from the CRDs the revision installed', () => {
    expect(groupsOfObjectRefs(revision)).toEqual(['http.trellis.io', 'powerdns.http.trellis.io']);
  });
  it('makes a ServiceAccount, ClusterRole, ClusterRoleBinding and Deployment, all controlled by the revision', () => {
    expect(objs.map((o) => o.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Deployment']);
    for (const o of objs)
      expect(o.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: 'rev-uid', controller: true, kind: 'ProviderRevision' })]);
  });
  it('grants its own groups fully, and Secrets, Events and Leases', () => {
    expect(byKind.ClusterRole?.rules).toEqual(
      expect.arrayContaining([
        { apiGroups: ['http.trellis.io', 'powerdns.http.trellis.io'], resources: ['*'], verbs: ['*'] },
        expect.objectContaining({ apiGroups: [''], resources: ['secrets'] }),
        expect.objectContaining({ apiGroups: ['coordination.k8s.io'], resources: ['leases'] }),
      ]),
    );
    expect(byKind.ClusterRoleBinding).toMatchObject({
      roleRef: { kind: 'ClusterRole', name: 'trellis:provider:trellis-provider-http-0123456789ab' },
      subjects: [{ kind: 'ServiceAccount', name: 'trellis-provider-http-0123456789ab', namespace: 'trellis-system' }],
    });
  });
  it('runs the image non-root with leader election, selecting its pods by revision', () => {
    expect(byKind.Deployment).toMatchObject({
      metadata: { namespace: 'trellis-system' },
      spec: {
        selector: { matchLabels: { 'pkg.crossplane.io/revision': 'trellis-provider-http-0123456789ab' } },
        template: {
          metadata: { labels: { 'pkg.crossplane.io/revision': 'trellis-provider-http-0123456789ab' } },
          spec: {
            serviceAccountName: 'trellis-provider-http-0123456789ab',
            securityContext: { runAsNonRoot: true },
            containers: [{ image: 'ghcr.io/trellis/provider-http:v0.1.0', args: ['--leader-election'] }],
          },
        },
      },
    });
  });
});
