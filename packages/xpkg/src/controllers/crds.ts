import type { KubeObject } from '@trellis/sdk';

/**
 * The CustomResourceDefinitions of `pkg.crossplane.io`, written by Trellis and schema-compatible
 * with upstream's (a test compares every property path and type with Crossplane's own CRDs). The
 * committed `crds/pkg.crossplane.io_*.yaml` files are this function's output.
 */

type Schema = Record<string, unknown>;

const str = (extra: Schema = {}): Schema => ({ type: 'string', ...extra });
const int = (extra: Schema = {}): Schema => ({ type: 'integer', ...extra });
const bool = (def?: boolean): Schema => (def === undefined ? { type: 'boolean' } : { type: 'boolean', default: def });
const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({ type: 'object', properties, ...extra });
const arr = (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra });
const stringMap = (description: string): Schema => ({ type: 'object', additionalProperties: { type: 'string' }, description });
const open = (description: string): Schema => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description });

const conditions = arr(
  obj(
    {
      lastTransitionTime: str({ format: 'date-time' }),
      message: str(),
      observedGeneration: int({ format: 'int64' }),
      reason: str(),
      status: str(),
      type: str(),
    },
    { required: ['lastTransitionTime', 'reason', 'status', 'type'] },
  ),
  { 'x-kubernetes-list-map-keys': ['type'], 'x-kubernetes-list-type': 'map', description: 'Conditions of the resource.' },
);

const pullSecrets = arr(obj({ name: str({ default: '' }) }, { 'x-kubernetes-map-type': 'atomic' }), {
  description: 'PackagePullSecrets are named Secrets in the Crossplane namespace used to pull the package.',
});

const runtimeConfigRef = obj(
  {
    apiVersion: str({ default: 'pkg.crossplane.io/v1beta1' }),
    kind: str({ default: 'DeploymentRuntimeConfig' }),
    name: str(),
  },
  {
    default: { name: 'default' },
    required: ['name'],
    description: 'RuntimeConfigRef references a RuntimeConfig resource for the package runtime.',
  },
);

const imageConfigRefs = arr(obj({ name: str(), reason: str() }, { required: ['name', 'reason'] }), {
  description: 'AppliedImageConfigRefs records the ImageConfigs applied to the package.',
});

const packageRule = {
  message:
    "must be a fully qualified image name, including the registry, repository, and tag or digest. For example, 'registry.example.com/repo/package:tag' or 'registry.example.com/repo/package[:tag]@sha256:1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef'.",
  rule: "self.matches('^[^\\\\.\\\\/]+(\\\\.[^\\\\.\\\\/]+)+(\\\\/[^\\\\/:@]+)+(:[^:@]+(@sha256.+)?|@sha256.+)$')",
};

function packageSpec(runtime: boolean): Schema {
  const p: Record<string, Schema> = {
    commonAnnotations: stringMap('Map of string keys and values added to every object the package installs.'),
    commonLabels: stringMap('Map of string keys and values added to every object the package installs.'),
    ignoreCrossplaneConstraints: bool(false),
    package: str({
      description: 'Package is the name of the package (a fully qualified OCI reference).',
      'x-kubernetes-validations': [packageRule],
    }),
    packagePullPolicy: str({ default: 'IfNotPresent', description: 'Always, Never or IfNotPresent.' }),
    packagePullSecrets: pullSecrets,
    revisionActivationPolicy: str({ default: 'Automatic', description: 'Automatic or Manual.' }),
    revisionHistoryLimit: int({ default: 1, format: 'int64', description: 'Inactive revisions to keep; 0 disables garbage collection.' }),
    skipDependencyResolution: bool(false),
  };
  if (runtime) p.runtimeConfigRef = runtimeConfigRef;
  return obj(p, { required: ['package'] });
}

function packageStatus(): Schema {
  return obj({
    appliedImageConfigRefs: imageConfigRefs,
    conditions,
    currentIdentifier: str(),
    currentRevision: str(),
    resolvedPackage: str(),
  });
}

function revisionSpec(runtime: boolean): Schema {
  const p: Record<string, Schema> = {
    commonAnnotations: stringMap('Added to every object the revision installs.'),
    commonLabels: stringMap('Added to every object the revision installs.'),
    desiredState: str({ description: 'Active or Inactive.' }),
    ignoreCrossplaneConstraints: bool(false),
    image: str({ description: 'Image is the package reference of this revision.' }),
    packagePullPolicy: str({ default: 'IfNotPresent' }),
    packagePullSecrets: pullSecrets,
    revision: int({ format: 'int64', description: 'Revision number; a higher number is newer.' }),
    skipDependencyResolution: bool(false),
  };
  if (runtime) {
    p.runtimeConfigRef = runtimeConfigRef;
    p.tlsClientSecretName = str();
    p.tlsServerSecretName = str();
  }
  return obj(p, { required: ['desiredState', 'image', 'revision'] });
}

function revisionStatus(runtime: boolean, fn: boolean): Schema {
  const p: Record<string, Schema> = {
    appliedImageConfigRefs: imageConfigRefs,
    capabilities: arr(str()),
    conditions,
    foundDependencies: int({ format: 'int64' }),
    installedDependencies: int({ format: 'int64' }),
    invalidDependencies: int({ format: 'int64' }),
    objectRefs: arr(obj({ apiVersion: str(), kind: str(), name: str(), uid: str() }, { required: ['apiVersion', 'kind', 'name'] })),
    resolvedImage: str(),
  };
  if (runtime) {
    p.tlsClientSecretName = str();
    p.tlsServerSecretName = str();
  }
  if (fn) p.endpoint = str();
  return obj(p);
}

function crd(opts: {
  kind: string;
  plural: string;
  categories?: string[];
  versions: { name: string; storage: boolean; spec?: Schema; status?: Schema; root?: Record<string, Schema>; printer: Schema[] }[];
}): KubeObject {
  const names: Record<string, unknown> = {
    kind: opts.kind,
    listKind: `${opts.kind}List`,
    plural: opts.plural,
    singular: opts.kind.toLowerCase(),
  };
  if (opts.categories !== undefined) names.categories = opts.categories;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${opts.plural}.pkg.crossplane.io`, labels: { 'app.kubernetes.io/part-of': 'trellis' } },
    spec: {
      group: 'pkg.crossplane.io',
      names,
      scope: 'Cluster',
      versions: opts.versions.map((v) => {
        const props: Record<string, Schema> = { apiVersion: str(), kind: str(), metadata: { type: 'object' }, ...(v.root ?? {}) };
        if (v.spec !== undefined) props.spec = v.spec;
        if (v.status !== undefined) props.status = v.status;
        const version: Record<string, unknown> = {
          name: v.name,
          served: true,
          storage: v.storage,
          schema: { openAPIV3Schema: { type: 'object', properties: props } },
          additionalPrinterColumns: v.printer,
        };
        if (v.status !== undefined) version.subresources = { status: {} };
        return version;
      }),
    },
  };
}

const col = (name: string, jsonPath: string, type = 'string', priority?: number): Schema =>
  priority === undefined ? { name, jsonPath, type } : { name, jsonPath, type, priority };
const cond = (name: string, type: string): Schema => col(name, `.status.conditions[?(@.type=='${type}')].status`);
const age = col('AGE', '.metadata.creationTimestamp', 'date');
const packagePrinter = [cond('INSTALLED', 'Installed'), cond('HEALTHY', 'Healthy'), col('PACKAGE', '.spec.package'), age];
const revisionPrinter = (runtime: boolean): Schema[] => [
  cond('HEALTHY', 'RevisionHealthy'),
  ...(runtime ? [cond('RUNTIME', 'RuntimeHealthy')] : []),
  col('IMAGE', '.spec.image'),
  col('STATE', '.spec.desiredState'),
  age,
  col('REVISION', '.spec.revision', 'string', 1),
  col('DEP-FOUND', '.status.foundDependencies', 'string', 1),
  col('DEP-INSTALLED', '.status.installedDependencies', 'string', 1),
];

/** PackageCrds returns every `pkg.crossplane.io` CRD Trellis serves, in a stable order. */
export function packageCrds(): KubeObject[] {
  const lockPackage = obj(
    {
      apiVersion: str(),
      dependencies: arr(
        obj(
          {
            apiVersion: str(),
            constraints: str(),
            kind: str(),
            package: str(),
            type: str({ enum: ['Configuration', 'Provider', 'Function'] }),
          },
          { required: ['constraints', 'package'] },
        ),
      ),
      kind: str(),
      name: str(),
      source: str(),
      type: str({ enum: ['Configuration', 'Provider', 'Function'] }),
      version: str(),
    },
    { required: ['dependencies', 'name', 'source', 'version'] },
  );
  return [
    crd({
      kind: 'Configuration',
      plural: 'configurations',
      categories: ['crossplane', 'pkg'],
      versions: [{ name: 'v1', storage: true, spec: packageSpec(false), status: packageStatus(), printer: packagePrinter }],
    }),
    crd({
      kind: 'ConfigurationRevision',
      plural: 'configurationrevisions',
      categories: ['crossplane', 'pkgrev'],
      versions: [
        { name: 'v1', storage: true, spec: revisionSpec(false), status: revisionStatus(false, false), printer: revisionPrinter(false) },
      ],
    }),
    crd({
      kind: 'DeploymentRuntimeConfig',
      plural: 'deploymentruntimeconfigs',
      categories: ['crossplane'],
      versions: [
        {
          name: 'v1beta1',
          storage: true,
          spec: obj({
            deploymentTemplate: open('DeploymentTemplate is the template for the runtime Deployment.'),
            serviceAccountTemplate: open('ServiceAccountTemplate is the template for the runtime ServiceAccount.'),
            serviceTemplate: open('ServiceTemplate is the template for the runtime Service.'),
          }),
          printer: [age],
        },
      ],
    }),
    crd({
      kind: 'FunctionRevision',
      plural: 'functionrevisions',
      categories: ['crossplane', 'pkgrev'],
      versions: ['v1', 'v1beta1'].map((name) => ({
        name,
        storage: name === 'v1',
        spec: revisionSpec(true),
        status: revisionStatus(true, true),
        printer: revisionPrinter(true),
      })),
    }),
    crd({
      kind: 'Function',
      plural: 'functions',
      categories: ['crossplane', 'pkg'],
      versions: ['v1', 'v1beta1'].map((name) => ({
        name,
        storage: name === 'v1',
        spec: packageSpec(true),
        status: packageStatus(),
        printer: packagePrinter,
      })),
    }),
    crd({
      kind: 'ImageConfig',
      plural: 'imageconfigs',
      categories: ['crossplane'],
      versions: [
        {
          name: 'v1beta1',
          storage: true,
          spec: obj(
            {
              matchImages: arr(obj({ prefix: str(), type: str({ default: 'Prefix', enum: ['Prefix'] }) }, { required: ['prefix'] }), {
                minItems: 1,
              }),
              registry: obj({
                authentication: obj(
                  { pullSecretRef: obj({ name: str({ default: '' }) }, { 'x-kubernetes-map-type': 'atomic' }) },
                  { required: ['pullSecretRef'] },
                ),
              }),
              rewriteImage: obj({ prefix: str() }, { required: ['prefix'] }),
              runtime: obj({
                configRef: obj(
                  {
                    apiVersion: str({ default: 'pkg.crossplane.io/v1beta1' }),
                    kind: str({ default: 'DeploymentRuntimeConfig' }),
                    name: str(),
                  },
                  { required: ['name'] },
                ),
              }),
              verification: obj(
                {
                  cosign: obj({ authorities: arr(open('An authority: key, keyless and attestations.')) }, { required: ['authorities'] }),
                  provider: str({ enum: ['Cosign'] }),
                },
                { required: ['provider'] },
              ),
            },
            { required: ['matchImages'] },
          ),
          printer: [age],
        },
      ],
    }),
    crd({
      kind: 'Lock',
      plural: 'locks',
      versions: [
        {
          name: 'v1beta1',
          storage: true,
          root: { packages: arr(lockPackage) },
          status: obj({ conditions }),
          printer: [age],
        },
      ],
    }),
    crd({
      kind: 'ProviderRevision',
      plural: 'providerrevisions',
      categories: ['crossplane', 'pkgrev'],
      versions: [
        { name: 'v1', storage: true, spec: revisionSpec(true), status: revisionStatus(true, false), printer: revisionPrinter(true) },
      ],
    }),
    crd({
      kind: 'Provider',
      plural: 'providers',
      categories: ['crossplane', 'pkg'],
      versions: [{ name: 'v1', storage: true, spec: packageSpec(true), status: packageStatus(), printer: packagePrinter }],
    }),
  ];
}
