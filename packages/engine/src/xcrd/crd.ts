import { type KubeObject, TrellisError } from '@trellis/sdk';
import { type CompositeResourceScope, scopeOf } from './scope.ts';

/**
 * The CRDs upstream Crossplane generates for an XRD (crossplane-runtime pkg/xcrd,
 * ForCompositeResource and ForCompositeResourceClaim), reproduced field for field: the user's
 * schema with Crossplane's spec and status fields injected, printer columns, categories, the
 * status (and optional scale) subresource, labels, annotations and a controller reference to the
 * XRD.
 */

type Schema = Record<string, unknown>;

export const CategoryComposite = 'composite';
export const CategoryClaim = 'claim';

/** XcrdErrorCode values are the codes XRD→CRD generation and validation throw. */
export const XcrdErrorCode = {
  InvalidXrd: 'ENGINE_XRD_INVALID',
} as const;

const MAX_NAME_LENGTH = 63;

/**
 * DefaultXrd returns a copy of an XRD with the defaults the API server applies from the XRD CRD
 * schema: v1 scope LegacyCluster, defaultCompositeDeletePolicy Background; v2 scope Namespaced;
 * both defaultCompositionUpdatePolicy Automatic.
 */
export function defaultXrd(xrd: KubeObject): KubeObject {
  const out = structuredClone(xrd);
  const spec = (isObject(out.spec) ? out.spec : {}) as Schema;
  out.spec = spec;
  if (spec.scope === undefined) spec.scope = out.apiVersion === 'apiextensions.crossplane.io/v2' ? 'Namespaced' : 'LegacyCluster';
  if (out.apiVersion !== 'apiextensions.crossplane.io/v2' && spec.defaultCompositeDeletePolicy === undefined) {
    spec.defaultCompositeDeletePolicy = 'Background';
  }
  if (spec.defaultCompositionUpdatePolicy === undefined) spec.defaultCompositionUpdatePolicy = 'Automatic';
  return out;
}

/** ForCompositeResource returns the XR CRD upstream generates for an XRD. */
export function forCompositeResource(xrd: KubeObject): KubeObject {
  const spec = specOf(xrd);
  const scope = scopeOf(xrd);
  const names = { ...(spec.names as Schema) };
  names.categories = [...asStrings(names.categories), CategoryComposite];
  const crd = baseCrd(xrd, xrd.metadata?.name ?? '', names, scope === 'Namespaced' ? 'Namespaced' : 'Cluster');
  const versions = asArray(spec.versions).map((v, i) => {
    const crdv = genCrdVersion(v as Schema, i, xrd);
    crdv.additionalPrinterColumns = [...asArray(crdv.additionalPrinterColumns), ...compositePrinterColumns(scope)];
    const schema = (crdv.schema as Schema).openAPIV3Schema as Schema;
    const props = schema.properties as Record<string, Schema>;
    Object.assign((props.spec as Schema).properties as Schema, compositeSpecProps(scope, spec.defaultCompositionUpdatePolicy));
    Object.assign((props.status as Schema).properties as Schema, compositeStatusProps(scope));
    return crdv;
  });
  (crd.spec as Schema).versions = versions;
  return crd;
}

/** ForCompositeResourceClaim returns the claim CRD upstream generates for a LegacyCluster XRD. */
export function forCompositeResourceClaim(xrd: KubeObject): KubeObject {
  const spec = specOf(xrd);
  const problem = claimNamesProblem(spec);
  if (problem !== undefined) throw invalid(xrd, `invalid resource claim names: ${problem}`);
  const claimNames = { ...(spec.claimNames as Schema) };
  claimNames.categories = [...asStrings(claimNames.categories), CategoryClaim];
  const crd = baseCrd(xrd, `${String(claimNames.plural)}.${String(spec.group)}`, claimNames, 'Namespaced');
  const versions = asArray(spec.versions).map((v, i) => {
    const crdv = genCrdVersion(v as Schema, i, xrd);
    crdv.additionalPrinterColumns = [...asArray(crdv.additionalPrinterColumns), ...claimPrinterColumns()];
    const schema = (crdv.schema as Schema).openAPIV3Schema as Schema;
    const props = schema.properties as Record<string, Schema>;
    Object.assign((props.spec as Schema).properties as Schema, claimSpecProps(spec.defaultCompositeDeletePolicy));
    Object.assign((props.status as Schema).properties as Schema, compositeStatusProps('LegacyCluster'));
    return crdv;
  });
  (crd.spec as Schema).versions = versions;
  return crd;
}

function baseCrd(xrd: KubeObject, name: string, names: Schema, scope: string): KubeObject {
  const spec = specOf(xrd);
  const metadata: KubeObject['metadata'] = {
    name,
    ownerReferences: [
      {
        apiVersion: 'apiextensions.crossplane.io/v1',
        kind: 'CompositeResourceDefinition',
        name: xrd.metadata?.name ?? '',
        uid: xrd.metadata?.uid ?? '',
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  };
  const extra = isObject(spec.metadata) ? spec.metadata : {};
  let labels = xrd.metadata?.labels === undefined ? undefined : { ...xrd.metadata.labels };
  if (isObject(extra.labels)) labels = { ...(labels ?? {}), ...(extra.labels as Record<string, string>) };
  if (labels !== undefined) metadata.labels = labels;
  if (isObject(extra.annotations)) metadata.annotations = { ...(extra.annotations as Record<string, string>) };
  const crdSpec: Schema = { group: spec.group, names, scope, versions: [] };
  if (spec.conversion !== undefined && spec.conversion !== null) crdSpec.conversion = structuredClone(spec.conversion);
  return { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata, spec: crdSpec };
}

/** GenCrdVersion is upstream's genCrdVersion: the version with the user's schema folded in. */
function genCrdVersion(vr: Schema, index: number, xrd: KubeObject): Schema {
  const crdv: Schema = { name: vr.name, served: vr.served === true, storage: vr.referenceable === true };
  if (vr.deprecated === true) crdv.deprecated = true;
  if (typeof vr.deprecationWarning === 'string') crdv.deprecationWarning = vr.deprecationWarning;
  const user = isObject(vr.schema) ? vr.schema.openAPIV3Schema : undefined;
  if (!isObject(user)) {
    throw invalid(xrd, `spec.versions[${index}].schema.openAPIV3Schema: cannot generate CRD: custom resource validation cannot be nil`);
  }
  const root = baseProps();
  if (typeof user.description === 'string' && user.description !== '') root.description = user.description;
  if (Array.isArray(user['x-kubernetes-validations']) && user['x-kubernetes-validations'].length > 0) {
    root['x-kubernetes-validations'] = structuredClone(user['x-kubernetes-validations']);
  }
  const userProps = isObject(user.properties) ? (user.properties as Record<string, Schema>) : {};
  const props = root.properties as Record<string, Schema>;

  let maxLength = MAX_NAME_LENGTH;
  const userName = (userProps.metadata?.properties as Record<string, Schema> | undefined)?.name;
  if (typeof userName?.maxLength === 'number' && userName.maxLength < maxLength) maxLength = userName.maxLength;
  props.metadata = { type: 'object', properties: { name: { type: 'string', maxLength } } };

  const xSpec = isObject(userProps.spec) ? userProps.spec : {};
  const cSpec = props.spec as Schema;
  if (Array.isArray(xSpec.required) && xSpec.required.length > 0) cSpec.required = [...xSpec.required];
  if (typeof xSpec['x-kubernetes-preserve-unknown-fields'] === 'boolean')
    cSpec['x-kubernetes-preserve-unknown-fields'] = xSpec['x-kubernetes-preserve-unknown-fields'];
  if (Array.isArray(xSpec['x-kubernetes-validations']) && xSpec['x-kubernetes-validations'].length > 0) {
    cSpec['x-kubernetes-validations'] = structuredClone(xSpec['x-kubernetes-validations']);
  }
  if (Array.isArray(xSpec.oneOf) && xSpec.oneOf.length > 0) cSpec.oneOf = structuredClone(xSpec.oneOf);
  if (typeof xSpec.description === 'string' && xSpec.description !== '') cSpec.description = xSpec.description;
  Object.assign(cSpec.properties as Schema, structuredClone(isObject(xSpec.properties) ? xSpec.properties : {}));

  const xStatus = isObject(userProps.status) ? userProps.status : {};
  const cStatus = props.status as Schema;
  if (Array.isArray(xStatus.required) && xStatus.required.length > 0) cStatus.required = [...xStatus.required];
  if (Array.isArray(xStatus['x-kubernetes-validations']) && xStatus['x-kubernetes-validations'].length > 0) {
    cStatus['x-kubernetes-validations'] = structuredClone(xStatus['x-kubernetes-validations']);
  }
  if (typeof xStatus.description === 'string' && xStatus.description !== '') cStatus.description = xStatus.description;
  if (Array.isArray(xStatus.oneOf) && xStatus.oneOf.length > 0) cStatus.oneOf = structuredClone(xStatus.oneOf);
  Object.assign(cStatus.properties as Schema, structuredClone(isObject(xStatus.properties) ? xStatus.properties : {}));

  crdv.schema = { openAPIV3Schema: root };
  const sub: Schema = { status: {} };
  if (isObject(vr.subresources) && isObject(vr.subresources.scale)) sub.scale = structuredClone(vr.subresources.scale);
  crdv.subresources = sub;
  if (Array.isArray(vr.additionalPrinterColumns) && vr.additionalPrinterColumns.length > 0) {
    crdv.additionalPrinterColumns = structuredClone(vr.additionalPrinterColumns);
  }
  return crdv;
}

function baseProps(): Schema {
  return {
    type: 'object',
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: { type: 'object', properties: {} },
      status: { type: 'object', properties: {} },
    },
  };
}

const nameRef = (): Schema => ({ type: 'object', required: ['name'], properties: { name: { type: 'string' } } });
const labelSelector = (): Schema => ({
  type: 'object',
  required: ['matchLabels'],
  properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } },
});

/** CompositeSpecProps are the spec fields Crossplane injects into an XR CRD. */
export function compositeSpecProps(scope: CompositeResourceScope, defaultPolicy: unknown): Schema {
  const policy: Schema = { type: 'string', enum: ['Automatic', 'Manual'] };
  if (typeof defaultPolicy === 'string') policy.default = defaultPolicy;
  const refProps: Schema = { apiVersion: { type: 'string' }, name: { type: 'string' }, kind: { type: 'string' } };
  if (scope !== 'Namespaced') refProps.namespace = { type: 'string' };
  const props: Schema = {
    compositionRef: nameRef(),
    compositionSelector: labelSelector(),
    compositionRevisionRef: nameRef(),
    compositionRevisionSelector: labelSelector(),
    compositionUpdatePolicy: policy,
    resourceRefs: {
      type: 'array',
      items: { type: 'object', properties: refProps, required: ['apiVersion', 'kind'] },
      'x-kubernetes-list-type': 'atomic',
    },
  };
  if (scope === 'LegacyCluster') {
    props.claimRef = {
      type: 'object',
      required: ['apiVersion', 'kind', 'namespace', 'name'],
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, namespace: { type: 'string' }, name: { type: 'string' } },
    };
    props.writeConnectionSecretToRef = {
      type: 'object',
      required: ['name', 'namespace'],
      properties: { name: { type: 'string' }, namespace: { type: 'string' } },
    };
    return props;
  }
  return {
    crossplane: { type: 'object', description: 'Configures how Crossplane will reconcile this composite resource', properties: props },
  };
}

/** ClaimSpecProps are the spec fields Crossplane injects into a claim CRD. */
export function claimSpecProps(defaultDeletePolicy: unknown): Schema {
  const del: Schema = { type: 'string', enum: ['Background', 'Foreground'] };
  if (typeof defaultDeletePolicy === 'string') del.default = defaultDeletePolicy;
  return {
    compositionRef: nameRef(),
    compositionSelector: labelSelector(),
    compositionRevisionRef: nameRef(),
    compositionRevisionSelector: labelSelector(),
    compositionUpdatePolicy: { type: 'string', enum: ['Automatic', 'Manual'] },
    compositeDeletePolicy: del,
    resourceRef: {
      type: 'object',
      required: ['apiVersion', 'kind', 'name'],
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' } },
    },
    writeConnectionSecretToRef: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
  };
}

/** CompositeStatusProps are the status fields Crossplane injects. */
export function compositeStatusProps(scope: CompositeResourceScope): Schema {
  const props: Schema = {
    conditions: {
      description: 'Conditions of the resource.',
      type: 'array',
      'x-kubernetes-list-map-keys': ['type'],
      'x-kubernetes-list-type': 'map',
      items: {
        type: 'object',
        required: ['lastTransitionTime', 'reason', 'status', 'type'],
        properties: {
          lastTransitionTime: { type: 'string', format: 'date-time' },
          message: { type: 'string' },
          reason: { type: 'string' },
          status: { type: 'string' },
          type: { type: 'string' },
          observedGeneration: { type: 'integer', format: 'int64' },
        },
      },
    },
  };
  if (scope === 'LegacyCluster') {
    props.connectionDetails = { type: 'object', properties: { lastPublishedTime: { type: 'string', format: 'date-time' } } };
    props.claimConditionTypes = { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } };
  }
  return props;
}

/** CompositePrinterColumns are the printer columns appended to every XR CRD version. */
export function compositePrinterColumns(scope: CompositeResourceScope): Schema[] {
  const prefix = scope === 'LegacyCluster' ? '.spec' : '.spec.crossplane';
  return [
    { name: 'SYNCED', type: 'string', jsonPath: ".status.conditions[?(@.type=='Synced')].status" },
    { name: 'READY', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
    { name: 'COMPOSITION', type: 'string', jsonPath: `${prefix}.compositionRef.name` },
    { name: 'COMPOSITIONREVISION', type: 'string', jsonPath: `${prefix}.compositionRevisionRef.name`, priority: 1 },
    { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
}

/** ClaimPrinterColumns are the printer columns appended to every claim CRD version. */
export function claimPrinterColumns(): Schema[] {
  return [
    { name: 'SYNCED', type: 'string', jsonPath: ".status.conditions[?(@.type=='Synced')].status" },
    { name: 'READY', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
    { name: 'CONNECTION-SECRET', type: 'string', jsonPath: '.spec.writeConnectionSecretToRef.name' },
    { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
}

/** ClaimNamesProblem is upstream's validateClaimNames: claim names must differ from the XR names. */
export function claimNamesProblem(spec: Schema): string | undefined {
  if (!isObject(spec.claimNames)) return 'missing names';
  const c = spec.claimNames;
  const n = isObject(spec.names) ? spec.names : {};
  if (c.kind === n.kind) return `"${String(c.kind)}" conflicts with composite resource name`;
  if (c.plural === n.plural) return `"${String(c.plural)}" conflicts with composite resource name`;
  if (typeof c.singular === 'string' && c.singular !== '' && c.singular === n.singular)
    return `"${c.singular}" conflicts with composite resource name`;
  if (typeof c.listKind === 'string' && c.listKind !== '' && c.listKind === n.listKind)
    return `"${c.listKind}" conflicts with composite resource name`;
  return undefined;
}

function invalid(xrd: KubeObject, msg: string): TrellisError {
  return new TrellisError(XcrdErrorCode.InvalidXrd, `invalid CompositeResourceDefinition "${xrd.metadata?.name ?? ''}": ${msg}`);
}

function specOf(xrd: KubeObject): Schema {
  return isObject(xrd.spec) ? xrd.spec : {};
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function asStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
