import type { KubeObject } from '@trellis/sdk';

/**
 * The CustomResourceDefinitions of the `apiextensions.crossplane.io` kinds the composition engine
 * serves: CompositeResourceDefinition (v1 and v2), Composition, CompositionRevision and
 * EnvironmentConfig. Written by Trellis and schema-compatible with upstream Crossplane v2.3's (a
 * test compares names, versions, printer columns, subresources, every property path and type, and
 * the validation messages). Deliberate differences, listed in docs/compatibility.md:
 *
 * - Compositions and revisions also accept legacy `mode: Resources` (with `resources`,
 *   `patchSets`, `environment`), which Trellis converts to a patch-and-transform pipeline;
 * - the v1 XRD conversion rule follows its message ("Webhook configuration is required when
 *   conversion strategy is Webhook") instead of also rejecting strategy None.
 *
 * The committed `crds/apiextensions.crossplane.io_*.yaml` files are this function's output.
 */

type Schema = Record<string, unknown>;

const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const int = (extra: Schema = {}): Schema => ({ type: 'integer', ...extra });
const bool = (extra: Schema = {}): Schema => ({ type: 'boolean', ...extra });
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({ type: 'object', properties, ...extra });
const arr = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra });
const stringMap = (extra: Schema = {}): Schema => ({ type: 'object', additionalProperties: { type: 'string' }, ...extra });
const rule = (message: string, r: string): Schema => ({ message, rule: r });
const immutable = rule('Value is immutable', 'self == oldSelf');

const conditions = arr(
  obj(
    {
      lastTransitionTime: str({ format: 'date-time', description: 'When the condition last changed status.' }),
      message: str({ description: 'A human-readable explanation of the condition.' }),
      observedGeneration: int({ format: 'int64', description: 'The metadata.generation the condition was set for.' }),
      reason: str({ description: 'A CamelCase reason for the condition.' }),
      status: str({ description: 'True, False or Unknown.' }),
      type: str({ description: 'The condition type, e.g. Ready or Synced.' }),
    },
    { required: ['lastTransitionTime', 'reason', 'status', 'type'] },
  ),
  { description: 'Conditions of the resource.', 'x-kubernetes-list-map-keys': ['type'], 'x-kubernetes-list-type': 'map' },
);

const typeRef = (description: string): Schema => obj({ apiVersion: str(), kind: str() }, { required: ['apiVersion', 'kind'], description });

function names(immutableRules: boolean): Schema {
  const list = (description: string): Schema => arr(str(), { 'x-kubernetes-list-type': 'atomic', description });
  const validations = [
    rule('Plural name must be lowercase', 'self.plural == self.plural.lowerAscii()'),
    rule('Singular name must be lowercase', '!has(self.singular) || self.singular == self.singular.lowerAscii()'),
  ];
  return obj(
    {
      categories: list('Groups of resources this one belongs to, e.g. `all`.'),
      kind: str({ description: 'The kind of the resource, CamelCase and singular.' }),
      listKind: str({ description: 'The kind of a list of the resource; defaults to <kind>List.' }),
      plural: str({ description: 'The plural lowercase name, used in URLs: /apis/<group>/<version>/<plural>.' }),
      shortNames: list('Short aliases for kubectl.'),
      singular: str({ description: 'The singular lowercase name; defaults to the lowercase kind.' }),
    },
    { required: ['kind', 'plural'], ...(immutableRules ? { 'x-kubernetes-validations': [immutable, ...validations] } : {}) },
  );
}

const webhook = obj(
  {
    clientConfig: obj(
      {
        caBundle: str({ format: 'byte', description: 'PEM CA bundle to verify the webhook server.' }),
        service: obj(
          { name: str(), namespace: str(), path: str(), port: int({ format: 'int32' }) },
          { required: ['name', 'namespace'], description: 'The Service that serves the webhook.' },
        ),
        url: str({ description: 'The webhook URL, https://host[:port]/path.' }),
      },
      { description: 'How to reach the conversion webhook.' },
    ),
    conversionReviewVersions: arr(str(), {
      'x-kubernetes-list-type': 'atomic',
      description: 'ConversionReview versions the webhook accepts.',
    }),
  },
  { required: ['conversionReviewVersions'], description: 'The conversion webhook, for strategy Webhook.' },
);

const labelSelector = obj(
  {
    matchExpressions: arr(
      obj({ key: str(), operator: str(), values: arr(str(), { 'x-kubernetes-list-type': 'atomic' }) }, { required: ['key', 'operator'] }),
      { 'x-kubernetes-list-type': 'atomic' },
    ),
    matchLabels: stringMap(),
  },
  { 'x-kubernetes-map-type': 'atomic', description: 'A label selector over CompositionRevisions.' },
);

function xrdVersion(version: 'v1' | 'v2'): Schema {
  const v1 = version === 'v1';
  const spec: Record<string, Schema> = {
    claimNames: v1 ? names(true) : names(false),
    connectionSecretKeys: arr(str(), { description: 'Connection secret keys an XR may publish (all when empty). LegacyCluster only.' }),
    conversion: obj(
      { strategy: str({ description: 'None or Webhook.' }), webhook },
      {
        required: ['strategy'],
        description: 'How to convert between versions of the XR; copied to the generated CRD.',
        ...(v1
          ? {
              'x-kubernetes-validations': [
                rule(
                  'Webhook configuration is required when conversion strategy is Webhook',
                  "self.strategy != 'Webhook' || has(self.webhook)",
                ),
              ],
            }
          : {}),
      },
    ),
    defaultCompositeDeletePolicy: str({
      enum: ['Background', 'Foreground'],
      ...(v1 ? { default: 'Background' } : {}),
      description: 'Default deletion policy of claims.',
    }),
    defaultCompositionRef: obj({ name: str() }, { required: ['name'], description: 'Composition used when an XR selects none.' }),
    defaultCompositionRevisionSelector: labelSelector,
    defaultCompositionUpdatePolicy: str({
      enum: ['Automatic', 'Manual'],
      default: 'Automatic',
      description: 'Default composition update policy of XRs.',
    }),
    enforcedCompositionRef: obj(
      { name: str() },
      { required: ['name'], 'x-kubernetes-validations': [immutable], description: 'Composition every XR must use.' },
    ),
    group: str({ 'x-kubernetes-validations': [immutable], description: 'The API group of the XR.' }),
    metadata: obj({ annotations: stringMap(), labels: stringMap() }, { description: 'Labels and annotations for the generated CRDs.' }),
    names: names(true),
    scope: str({
      enum: v1 ? ['LegacyCluster', 'Namespaced', 'Cluster'] : ['Namespaced', 'Cluster'],
      default: v1 ? 'LegacyCluster' : 'Namespaced',
      'x-kubernetes-validations': [immutable],
      description: 'Whether XRs are namespaced, cluster scoped, or legacy cluster scoped with claims.',
    }),
    versions: arr(
      obj(
        {
          additionalPrinterColumns: arr(
            obj(
              { description: str(), format: str(), jsonPath: str(), name: str(), priority: int({ format: 'int32' }), type: str() },
              { required: ['jsonPath', 'name', 'type'] },
            ),
            { description: 'Extra kubectl get columns.' },
          ),
          deprecated: bool(),
          deprecationWarning: str({ maxLength: 256 }),
          name: str(),
          referenceable: bool({ description: 'Whether Compositions may target this version (the CRD storage version).' }),
          schema: obj(
            { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            { description: 'The OpenAPI v3 schema of the XR.' },
          ),
          served: bool(),
          subresources: obj(
            {
              scale: obj(
                { labelSelectorPath: str(), specReplicasPath: str(), statusReplicasPath: str() },
                { required: ['specReplicasPath', 'statusReplicasPath'] },
              ),
            },
            { description: 'Subresources of the XR besides status.' },
          ),
        },
        { required: ['name', 'referenceable', 'served'] },
      ),
      { description: 'The versions of the XR.' },
    ),
  };
  const validations = v1
    ? [
        rule('Only LegacyCluster composite resources can offer claims', "self.scope == 'LegacyCluster' || !has(self.claimNames)"),
        rule(
          'Only LegacyCluster composite resources support connection secrets',
          "self.scope == 'LegacyCluster' || !has(self.connectionSecretKeys)",
        ),
      ]
    : [
        rule("Claims aren't supported in apiextensions.crossplane.io/v2", '!has(self.claimNames)'),
        rule("XR connection secrets aren't supported in apiextensions.crossplane.io/v2", '!has(self.connectionSecretKeys)'),
      ];
  const status = obj(
    {
      conditions,
      controllers: obj(
        {
          compositeResourceClaimType: typeRef('The claim type the XRD serves.'),
          compositeResourceType: typeRef('The XR type the XRD serves.'),
        },
        { description: 'The types the XRD controllers serve.' },
      ),
    },
    { description: 'The observed state of the XRD.' },
  );
  const out: Schema = {
    name: version,
    served: true,
    storage: v1,
    schema: {
      openAPIV3Schema: obj(
        {
          apiVersion: str(),
          kind: str(),
          metadata: { type: 'object' },
          spec: obj(spec, {
            required: ['group', 'names', 'versions'],
            'x-kubernetes-validations': validations,
            description: 'The XR type to define.',
          }),
          status,
        },
        { description: 'A CompositeResourceDefinition defines a composite resource (XR) type, and for LegacyCluster XRs a claim type.' },
      ),
    },
    subresources: { status: {} },
    additionalPrinterColumns: [
      { jsonPath: ".status.conditions[?(@.type=='Established')].status", name: 'ESTABLISHED', type: 'string' },
      { jsonPath: ".status.conditions[?(@.type=='Offered')].status", name: 'OFFERED', type: 'string' },
      { jsonPath: '.metadata.creationTimestamp', name: 'AGE', type: 'date' },
    ],
  };
  if (v1) {
    out.deprecated = true;
    out.deprecationWarning =
      'CompositeResourceDefinition v1 is deprecated and will be removed in a future release; consider migrating to v2';
  }
  return out;
}

const pipeline = arr(
  obj(
    {
      credentials: arr(
        obj(
          {
            name: str(),
            secretRef: obj({ name: str(), namespace: str() }, { required: ['name', 'namespace'] }),
            source: str({ enum: ['None', 'Secret'] }),
          },
          {
            required: ['name', 'source'],
            'x-kubernetes-validations': [rule('the Secret source requires a secretRef', "self.source == 'Secret' && has(self.secretRef)")],
          },
        ),
        { 'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-list-type': 'map', description: 'Credentials passed to the function.' },
      ),
      functionRef: obj({ name: str() }, { required: ['name'], description: 'The Function to run.' }),
      input: {
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        'x-kubernetes-preserve-unknown-fields': true,
        description: 'Input to the function.',
      },
      requirements: obj(
        {
          requiredResources: arr(
            obj(
              { apiVersion: str(), kind: str(), matchLabels: stringMap(), name: str(), namespace: str(), requirementName: str() },
              {
                required: ['apiVersion', 'kind', 'requirementName'],
                'x-kubernetes-validations': [
                  rule('name and matchLabels are mutually exclusive', '!(has(self.name) && has(self.matchLabels))'),
                ],
              },
            ),
            { 'x-kubernetes-list-map-keys': ['requirementName'], 'x-kubernetes-list-type': 'map' },
          ),
          requiredSchemas: arr(
            obj({ apiVersion: str(), kind: str(), requirementName: str() }, { required: ['apiVersion', 'kind', 'requirementName'] }),
            {
              'x-kubernetes-list-map-keys': ['requirementName'],
              'x-kubernetes-list-type': 'map',
            },
          ),
        },
        { description: 'Resources and schemas fetched before the function first runs.' },
      ),
      step: str({ description: 'The unique name of the step.' }),
    },
    { required: ['functionRef', 'step'] },
  ),
  { 'x-kubernetes-list-map-keys': ['step'], 'x-kubernetes-list-type': 'map', description: 'The function pipeline.' },
);

const legacy = (description: string): Schema => ({ 'x-kubernetes-preserve-unknown-fields': true, description });

function compositionSpec(revision: boolean): Schema {
  const props: Record<string, Schema> = {
    compositeTypeRef: obj(
      { apiVersion: str(), kind: str() },
      {
        required: ['apiVersion', 'kind'],
        'x-kubernetes-validations': [immutable],
        description: 'The XR type this Composition composes.',
      },
    ),
    environment: { type: 'object', ...legacy('Legacy native composition environment (mode Resources only).') },
    mode: str({
      enum: ['Pipeline', 'Resources'],
      default: 'Pipeline',
      description: 'Pipeline, or legacy Resources (converted to a patch-and-transform pipeline).',
    }),
    patchSets: {
      type: 'array',
      items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      description: 'Legacy patch sets (mode Resources only).',
    },
    pipeline: revision ? pipeline : { ...pipeline, maxItems: 99, minItems: 1 },
    publishConnectionDetailsWithStoreConfigRef: { type: 'object', ...legacy('Legacy external secret store reference; ignored.') },
    resources: {
      type: 'array',
      items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      description: 'Legacy resource templates (mode Resources only).',
    },
    writeConnectionSecretsToNamespace: str({ description: 'Namespace of legacy XR connection secrets.' }),
  };
  if (revision) props.revision = int({ format: 'int64', description: 'The revision number; higher is newer.' });
  return obj(props, {
    required: revision ? ['compositeTypeRef', 'revision'] : ['compositeTypeRef'],
    ...(revision
      ? {}
      : {
          'x-kubernetes-validations': [
            rule(
              'an array of pipeline steps is required in Pipeline mode',
              "self.mode != 'Pipeline' || has(self.pipeline) || has(self.resources)",
            ),
          ],
        }),
    description: revision ? 'A copy of the Composition spec at this revision.' : 'How to compose resources for an XR.',
  });
}

function crd(plural: string, kind: string, shortNames: string[], versions: Schema[]): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.apiextensions.crossplane.io` },
    spec: {
      group: 'apiextensions.crossplane.io',
      names: { categories: ['crossplane'], kind, listKind: `${kind}List`, plural, shortNames, singular: kind.toLowerCase() },
      scope: 'Cluster',
      versions,
    },
  };
}

/** ApiextensionsCrds returns the CRDs of the apiextensions.crossplane.io kinds the engine serves. */
export function apiextensionsCrds(): KubeObject[] {
  const compositionColumns = [
    { jsonPath: '.spec.compositeTypeRef.kind', name: 'XR-KIND', type: 'string' },
    { jsonPath: '.spec.compositeTypeRef.apiVersion', name: 'XR-APIVERSION', type: 'string' },
    { jsonPath: '.metadata.creationTimestamp', name: 'AGE', type: 'date' },
  ];
  const top = (description: string, spec: Schema, status?: Schema): Schema => ({
    type: 'object',
    description,
    properties: { apiVersion: str(), kind: str(), metadata: { type: 'object' }, spec, ...(status === undefined ? {} : { status }) },
  });
  return [
    crd('compositeresourcedefinitions', 'CompositeResourceDefinition', ['xrd', 'xrds'], [xrdVersion('v1'), xrdVersion('v2')]),
    crd(
      'compositions',
      'Composition',
      ['comp'],
      [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: top('A Composition tells Crossplane how to compose resources for an XR type.', compositionSpec(false)),
          },
          subresources: {},
          additionalPrinterColumns: compositionColumns,
        },
      ],
    ),
    crd(
      'compositionrevisions',
      'CompositionRevision',
      ['comprev'],
      [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: top(
              'A CompositionRevision is an immutable snapshot of a Composition.',
              compositionSpec(true),
              obj({ conditions }, { description: 'The observed state of the revision (ValidPipeline).' }),
            ),
          },
          subresources: { status: {} },
          additionalPrinterColumns: [{ jsonPath: '.spec.revision', name: 'REVISION', type: 'string' }, ...compositionColumns],
        },
      ],
    ),
    crd(
      'environmentconfigs',
      'EnvironmentConfig',
      ['envcfg'],
      [
        {
          name: 'v1beta1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'An EnvironmentConfig holds data that Compositions read through function-environment-configs.',
              properties: {
                apiVersion: str(),
                data: {
                  type: 'object',
                  additionalProperties: { 'x-kubernetes-preserve-unknown-fields': true },
                  description: 'Arbitrary data.',
                },
                kind: str(),
                metadata: { type: 'object' },
              },
            },
          },
          subresources: {},
          additionalPrinterColumns: [{ jsonPath: '.metadata.creationTimestamp', name: 'AGE', type: 'date' }],
        },
      ],
    ),
  ];
}
