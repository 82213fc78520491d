import type { KubeObject } from '@trellis/sdk';

/** A JSON schema (OpenAPI v3 subset as Kubernetes structural schemas use it). */
export type Schema = Record<string, unknown>;

const conditionsSchema: Schema = {
  type: 'array',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: {
    type: 'object',
    required: ['type', 'status', 'reason'],
    properties: {
      type: { type: 'string' },
      status: { type: 'string' },
      reason: { type: 'string' },
      message: { type: 'string' },
      lastTransitionTime: { type: 'string', format: 'date-time' },
      observedGeneration: { type: 'integer', format: 'int64' },
    },
  },
};

/** ManagedCrdOptions describe one managed kind's CRD. */
export interface ManagedCrdOptions {
  group: string;
  kind: string;
  /** Plural defaults to the lower-cased kind + `s`. */
  plural?: string;
  version?: string;
  /** Scope defaults to Cluster (legacy managed resources with `deletionPolicy`). */
  scope?: 'Cluster' | 'Namespaced';
  forProvider: Schema;
  atProvider?: Schema;
  /** Required fields of forProvider. */
  categories?: string[];
  shortNames?: string[];
}

/**
 * ManagedResourceCrd returns the CRD of a managed kind with upstream's common fields:
 * `spec.forProvider`, `managementPolicies` (default `["*"]`), `deletionPolicy` (cluster scope,
 * default Delete), `providerConfigRef` (default `default`), `writeConnectionSecretToRef`;
 * `status.atProvider`, `status.conditions`; the READY/SYNCED/EXTERNAL-NAME/AGE printer columns;
 * the `crossplane`, `managed` categories.
 */
export function managedResourceCrd(o: ManagedCrdOptions): KubeObject {
  const plural = o.plural ?? `${o.kind.toLowerCase()}s`;
  const scope = o.scope ?? 'Cluster';
  const spec: Schema = {
    type: 'object',
    required: ['forProvider'],
    properties: {
      forProvider: o.forProvider,
      managementPolicies: {
        type: 'array',
        default: ['*'],
        items: { type: 'string', enum: ['Observe', 'Create', 'Update', 'Delete', 'LateInitialize', '*'] },
      },
      ...(scope === 'Cluster' ? { deletionPolicy: { type: 'string', enum: ['Orphan', 'Delete'], default: 'Delete' } } : {}),
      providerConfigRef: {
        type: 'object',
        default: { name: 'default' },
        required: ['name'],
        properties: { name: { type: 'string' }, kind: { type: 'string' } },
      },
      writeConnectionSecretToRef: {
        type: 'object',
        required: ['name'],
        properties: scope === 'Cluster' ? { name: { type: 'string' }, namespace: { type: 'string' } } : { name: { type: 'string' } },
      },
    },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${o.group}` },
    spec: {
      group: o.group,
      scope,
      names: {
        kind: o.kind,
        listKind: `${o.kind}List`,
        plural,
        singular: o.kind.toLowerCase(),
        categories: o.categories ?? ['crossplane', 'managed'],
        ...(o.shortNames === undefined ? {} : { shortNames: o.shortNames }),
      },
      versions: [
        {
          name: o.version ?? 'v1alpha1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'READY', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
            { name: 'SYNCED', type: 'string', jsonPath: ".status.conditions[?(@.type=='Synced')].status" },
            { name: 'EXTERNAL-NAME', type: 'string', jsonPath: '.metadata.annotations.crossplane\\.io/external-name' },
            { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec,
                status: {
                  type: 'object',
                  properties: {
                    atProvider: o.atProvider ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    conditions: conditionsSchema,
                    lastHandledReconcileAt: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** ProviderConfigCrd returns the cluster-scoped ProviderConfig CRD of a provider group. */
export function providerConfigCrd(group: string, specSchema: Schema, version = 'v1alpha1'): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `providerconfigs.${group}` },
    spec: {
      group,
      scope: 'Cluster',
      names: {
        kind: 'ProviderConfig',
        listKind: 'ProviderConfigList',
        plural: 'providerconfigs',
        singular: 'providerconfig',
        categories: ['crossplane', 'provider'],
      },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'USERS', type: 'integer', jsonPath: '.status.users' },
            { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: specSchema,
                status: { type: 'object', properties: { users: { type: 'integer', format: 'int64' }, conditions: conditionsSchema } },
              },
            },
          },
        },
      ],
    },
  };
}

/** CredentialsSchema is the schema of `spec.credentials` (upstream's CommonCredentialSelectors). */
export const credentialsSchema: Schema = {
  type: 'object',
  required: ['source'],
  properties: {
    source: { type: 'string', enum: ['None', 'Secret', 'Environment', 'Filesystem'] },
    secretRef: {
      type: 'object',
      required: ['name', 'namespace', 'key'],
      properties: { name: { type: 'string' }, namespace: { type: 'string' }, key: { type: 'string' } },
    },
    env: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    fs: { type: 'object', required: ['path'], properties: { path: { type: 'string' } } },
  },
};

/** ProviderConfigUsageCrd returns the ProviderConfigUsage CRD of a provider group (cluster-scoped, like its managed kinds). */
export function providerConfigUsageCrd(group: string, version = 'v1alpha1'): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `providerconfigusages.${group}` },
    spec: {
      group,
      scope: 'Cluster',
      names: {
        kind: 'ProviderConfigUsage',
        listKind: 'ProviderConfigUsageList',
        plural: 'providerconfigusages',
        singular: 'providerconfigusage',
        categories: ['crossplane', 'provider'],
      },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          additionalPrinterColumns: [
            { name: 'CONFIG-NAME', type: 'string', jsonPath: '.providerConfigRef.name' },
            { name: 'RESOURCE-KIND', type: 'string', jsonPath: '.resourceRef.kind' },
            { name: 'RESOURCE-NAME', type: 'string', jsonPath: '.resourceRef.name' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['providerConfigRef', 'resourceRef'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                providerConfigRef: {
                  type: 'object',
                  required: ['name'],
                  properties: { name: { type: 'string' }, kind: { type: 'string' } },
                },
                resourceRef: {
                  type: 'object',
                  required: ['apiVersion', 'kind', 'name'],
                  properties: {
                    apiVersion: { type: 'string' },
                    kind: { type: 'string' },
                    name: { type: 'string' },
                    namespace: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** ReferenceSchemas returns the `fooRef` and `fooSelector` properties of a resolvable field `foo`. */
export function referenceSchemas(field: string): Record<string, Schema> {
  const policy: Schema = {
    type: 'object',
    properties: {
      resolve: { type: 'string', enum: ['Always', 'IfNotPresent'] },
      resolution: { type: 'string', enum: ['Required', 'Optional'] },
    },
  };
  return {
    [`${field}Ref`]: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, policy } },
    [`${field}Selector`]: {
      type: 'object',
      properties: {
        matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
        matchControllerRef: { type: 'boolean' },
        policy,
      },
    },
  };
}
