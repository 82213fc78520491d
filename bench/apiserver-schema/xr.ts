// A typical Crossplane composite resource and its CRD (as Crossplane generates it from an XRD),
// shared by the benchmarks.
const conditions = {
  type: 'array',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  items: {
    type: 'object',
    required: ['type', 'status', 'lastTransitionTime', 'reason'],
    properties: {
      type: {
        type: 'string',
        maxLength: 316,
        pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
      lastTransitionTime: { type: 'string', format: 'date-time' },
      reason: { type: 'string', maxLength: 1024, minLength: 1 },
      message: { type: 'string', maxLength: 32768 },
      observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    },
  },
};

/** A CRD like the one Crossplane generates from an XRD (an XPostgreSQLInstance with parameters). */
export const xrSchema = {
  type: 'object',
  required: ['spec'],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['parameters'],
      'x-kubernetes-validations': [
        { rule: "!has(self.compositionUpdatePolicy) || self.compositionUpdatePolicy in ['Automatic', 'Manual']", message: 'bad policy' },
      ],
      properties: {
        parameters: {
          type: 'object',
          required: ['storageGB', 'region'],
          properties: {
            storageGB: { type: 'integer', minimum: 1, maximum: 65536, default: 20 },
            region: { type: 'string', enum: ['us-east-1', 'us-west-2', 'eu-central-1'] },
            version: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?$', default: '16' },
            tier: {
              type: 'string',
              maxLength: 63,
              'x-kubernetes-validations': [{ rule: "self.startsWith('db.')", message: 'tier must start with db.' }],
            },
            tags: { type: 'object', maxProperties: 32, additionalProperties: { type: 'string', maxLength: 256 } },
            network: {
              type: 'object',
              properties: { vpcId: { type: 'string' }, subnets: { type: 'array', maxItems: 16, items: { type: 'string', maxLength: 64 } } },
            },
          },
        },
        compositionRef: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        compositionSelector: {
          type: 'object',
          required: ['matchLabels'],
          properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } },
        },
        compositionRevisionRef: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        compositionUpdatePolicy: { type: 'string', enum: ['Automatic', 'Manual'], default: 'Automatic' },
        claimRef: {
          type: 'object',
          required: ['apiVersion', 'kind', 'namespace', 'name'],
          properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' } },
        },
        resourceRefs: {
          type: 'array',
          'x-kubernetes-list-type': 'atomic',
          items: {
            type: 'object',
            required: ['apiVersion', 'kind'],
            properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' } },
            'x-kubernetes-map-type': 'atomic',
          },
        },
        writeConnectionSecretToRef: {
          type: 'object',
          required: ['name', 'namespace'],
          properties: { name: { type: 'string' }, namespace: { type: 'string' } },
        },
      },
    },
    status: {
      type: 'object',
      properties: {
        conditions,
        connectionDetails: { type: 'object', properties: { lastPublishedTime: { type: 'string', format: 'date-time' } } },
        address: { type: 'string' },
      },
    },
  },
};

export const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'xpostgresqlinstances.example.org' },
  spec: {
    group: 'example.org',
    scope: 'Cluster',
    names: {
      plural: 'xpostgresqlinstances',
      singular: 'xpostgresqlinstance',
      kind: 'XPostgreSQLInstance',
      listKind: 'XPostgreSQLInstanceList',
    },
    versions: [{ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: xrSchema } }],
  },
};

export function xr(i: number): Record<string, unknown> {
  return {
    apiVersion: 'example.org/v1alpha1',
    kind: 'XPostgreSQLInstance',
    metadata: { name: `db-${i}`, labels: { app: 'shop', 'crossplane.io/claim-name': 'db' } },
    spec: {
      parameters: {
        storageGB: 20 + (i % 10),
        region: 'us-east-1',
        version: '16',
        tier: 'db.t3.micro',
        tags: { team: 'payments', env: 'prod' },
        network: { vpcId: 'vpc-1', subnets: ['a', 'b', 'c'] },
      },
      compositionRef: { name: 'xpostgresqlinstances.aws.example.org' },
      compositionRevisionRef: { name: 'xpostgresqlinstances.aws.example.org-abc1234' },
      claimRef: { apiVersion: 'example.org/v1alpha1', kind: 'PostgreSQLInstance', namespace: 'default', name: 'db' },
      resourceRefs: [
        { apiVersion: 'rds.aws.upbound.io/v1beta1', kind: 'Instance', name: `db-${i}-x7k2p` },
        { apiVersion: 'ec2.aws.upbound.io/v1beta1', kind: 'SecurityGroup', name: `db-${i}-q9w3z` },
      ],
      writeConnectionSecretToRef: { name: `db-${i}-conn`, namespace: 'crossplane-system' },
    },
    status: {
      conditions: [
        { type: 'Synced', status: 'True', lastTransitionTime: '2026-11-21T07:00:00Z', reason: 'ReconcileSuccess' },
        { type: 'Ready', status: 'True', lastTransitionTime: '2026-11-21T07:00:05Z', reason: 'Available' },
      ],
      address: 'db.example.internal',
    },
  };
}
