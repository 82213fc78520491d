import type { KubeObject } from '@trellis/sdk';
import { asControllerRef } from '@trellis/sdk';

/** DeploymentOptions configure the objects a provider runs with in a real cluster. */
export interface DeploymentOptions {
  /** Namespace the provider runs in (upstream: crossplane-system). */
  namespace: string;
  /** Image runs the provider's Node entry point (a Node base image with the provider installed). */
  image: string;
  /** Command is the entry point inside the image (default `["node", "/provider/bin/provider.js"]`). */
  command?: string[];
  /** Groups are the API groups the provider serves (from its CRDs); it gets full access to them. */
  groups: string[];
  replicas?: number;
  /** Args are appended to the command, e.g. `--poll=1m`. */
  args?: string[];
}

function dnsLabel(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/**
 * ProviderRuntimeObjects returns what a provider revision runs with in a real cluster, the way
 * upstream's package runtime does: a ServiceAccount, a ClusterRole with full access to the
 * provider's own API groups plus what every provider needs (Secrets for credentials and
 * connection details, Events, Leases for leader election, CRDs read-only), its binding, and a
 * Deployment with one leader-elected replica. Every object is controlled by the revision, so
 * deleting the revision removes them. There is no kubelet in the embedded mode: these objects are
 * for real clusters and are tested as objects.
 */
export function providerRuntimeObjects(revision: KubeObject, o: DeploymentOptions): KubeObject[] {
  const name = dnsLabel(revision.metadata.name ?? 'provider');
  const owner = asControllerRef(revision, true);
  const labels = { 'pkg.crossplane.io/revision': revision.metadata.name ?? '', 'app.kubernetes.io/managed-by': 'trellis' };
  const meta = (n: string, namespaced: boolean) => ({
    name: n,
    ...(namespaced ? { namespace: o.namespace } : {}),
    labels,
    ownerReferences: [owner],
  });
  const rules = [
    { apiGroups: [...new Set(o.groups)].sort(), resources: ['*'], verbs: ['*'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'update', 'patch'] },
    { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'update', 'patch'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
    { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch'] },
  ];
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, true) },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(`trellis:provider:${name}`, false), rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(`trellis:provider:${name}`, false),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `trellis:provider:${name}` },
      subjects: [{ kind: 'ServiceAccount', name, namespace: o.namespace }],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(name, true),
      spec: {
        replicas: o.replicas ?? 1,
        selector: { matchLabels: { 'pkg.crossplane.io/revision': revision.metadata.name ?? '' } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            securityContext: { runAsNonRoot: true, runAsUser: 2000, runAsGroup: 2000 },
            containers: [
              {
                name: 'provider',
                image: o.image,
                command: o.command ?? ['node', '/provider/bin/provider.js'],
                args: ['--leader-election', ...(o.args ?? [])],
                env: [{ name: 'TRELLIS_PROVIDER_REVISION', value: revision.metadata.name ?? '' }],
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              },
            ],
          },
        },
      },
    },
  ];
}

/** GroupsOfObjectRefs returns the API groups of the CRDs a revision installed (`status.objectRefs`). */
export function groupsOfObjectRefs(revision: KubeObject): string[] {
  const refs = ((revision.status as { objectRefs?: { kind?: string; name?: string }[] } | undefined)?.objectRefs ?? []) as {
    kind?: string;
    name?: string;
  }[];
  const groups = refs
    .filter((r) => r.kind === 'CustomResourceDefinition' && typeof r.name === 'string' && r.name.includes('.'))
    .map((r) => (r.name ?? '').slice((r.name ?? '').indexOf('.') + 1));
  return [...new Set(groups)].sort();
}
