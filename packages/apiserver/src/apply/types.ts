// Type information for server-side apply, in structured-merge-diff's model (schema.Atom with
// scalar/list/map, element relationships, map-list keys), built from a CRD's structural schema the
// way kube-openapi's schemaconv builds it from the CRD's OpenAPI (with ObjectMeta and TypeMeta
// added), and for the built-in kinds the embedded server serves.
import { type Props, readProps } from '../schema/props.ts';

export type ScalarKind = 'numeric' | 'string' | 'boolean' | 'untyped';

/** A TypeNode is an atom: what a value at this position may be, and how it merges. */
export interface TypeNode {
  scalar?: ScalarKind;
  list?: ListType;
  map?: MapType;
}

export interface ListType {
  elem: TypeNode;
  /** Atomic lists are replaced whole; associative ones merge by key (map lists) or by value (sets). */
  atomic: boolean;
  /** Keys of a map list (`x-kubernetes-list-map-keys`); empty for a set. */
  keys: string[];
}

export interface FieldType {
  type: TypeNode;
  hasDefault: boolean;
  default: unknown;
}

export interface MapType {
  fields: Map<string, FieldType>;
  /** Elem is the type of keys that are not fields; undefined means "not declared in schema". */
  elem: TypeNode | undefined;
  atomic: boolean;
}

/** TypeInfo is what the apply library needs to merge one kind. */
export interface ApplyTypeInfo {
  readonly root: TypeNode;
}

// The two named types schemaconv adds to every schema.
export const untypedAtomic: TypeNode = { scalar: 'untyped' };
untypedAtomic.list = { elem: untypedAtomic, atomic: true, keys: [] };
untypedAtomic.map = { fields: new Map(), elem: untypedAtomic, atomic: true };

export const deduced: TypeNode = { scalar: 'untyped' };
deduced.list = { elem: untypedAtomic, atomic: true, keys: [] };
deduced.map = { fields: new Map(), elem: deduced, atomic: false };

const str: TypeNode = { scalar: 'string' };
const num: TypeNode = { scalar: 'numeric' };
const bool: TypeNode = { scalar: 'boolean' };
const untyped: TypeNode = { scalar: 'untyped' };

function struct(fields: Record<string, TypeNode>, opts: { elem?: TypeNode; atomic?: boolean } = {}): TypeNode {
  const m = new Map<string, FieldType>();
  for (const [k, t] of Object.entries(fields)) m.set(k, { type: t, hasDefault: false, default: undefined });
  return { map: { fields: m, elem: opts.elem, atomic: opts.atomic ?? false } };
}

function mapOf(elem: TypeNode, atomic = false): TypeNode {
  return { map: { fields: new Map(), elem, atomic } };
}

function listOf(elem: TypeNode, kind: 'atomic' | 'set' | { keys: string[] }): TypeNode {
  if (kind === 'atomic') return { list: { elem, atomic: true, keys: [] } };
  if (kind === 'set') return { list: { elem, atomic: false, keys: [] } };
  return { list: { elem, atomic: false, keys: kind.keys } };
}

// ---------------------------------------------------------------------------------------------
// ObjectMeta and friends (k8s.io/apimachinery/pkg/apis/meta/v1 generated OpenAPI)

// metav1.OwnerReference is +structType=atomic.
const ownerReference = struct(
  {
    apiVersion: str,
    kind: str,
    name: str,
    uid: str,
    controller: bool,
    blockOwnerDeletion: bool,
  },
  { atomic: true },
);

const managedFieldsEntry = struct({
  manager: str,
  operation: str,
  apiVersion: str,
  time: untyped,
  fieldsType: str,
  fieldsV1: untypedAtomic,
  subresource: str,
});

/** ObjectMeta is metav1.ObjectMeta's structure (labels/annotations granular maps, finalizers a set, ownerReferences a map list by uid). */
export const objectMeta: TypeNode = struct({
  name: str,
  generateName: str,
  namespace: str,
  selfLink: str,
  uid: str,
  resourceVersion: str,
  generation: num,
  creationTimestamp: untyped,
  deletionTimestamp: untyped,
  deletionGracePeriodSeconds: num,
  labels: mapOf(str),
  annotations: mapOf(str),
  ownerReferences: listOf(ownerReference, { keys: ['uid'] }),
  finalizers: listOf(str, 'set'),
  managedFields: listOf(managedFieldsEntry, 'atomic'),
});

// ---------------------------------------------------------------------------------------------
// CRD schemas (kube-openapi schemaconv over the CRD's published OpenAPI)

class Converter {
  preserveUnknownFields: boolean;
  constructor(preserve: boolean) {
    this.preserveUnknownFields = preserve;
  }

  visit(p: Props): TypeNode {
    if (p.xPreserveUnknownFields === true) this.preserveUnknownFields = true;
    return this.parse(p);
  }

  parse(p: Props): TypeNode {
    switch (p.type) {
      case '':
        return { scalar: 'untyped', list: this.parseList(p), map: this.parseObject(p) };
      case 'object':
        return { map: this.parseObject(p) };
      case 'array':
        return { list: this.parseList(p) };
      case 'integer':
      case 'number':
        return num;
      case 'boolean':
        return bool;
      case 'string':
        return p.format === '' || p.format === 'byte' ? str : untyped;
      default:
        return untyped;
    }
  }

  ref(p: Props): TypeNode {
    const c = new Converter(this.preserveUnknownFields);
    return c.visit(p);
  }

  parseObject(p: Props): MapType {
    const fields = new Map<string, FieldType>();
    for (const [name, member] of p.properties ?? []) {
      fields.set(name, { type: this.ref(member), hasDefault: member.hasDefault, default: member.default });
    }
    let elem: TypeNode | undefined;
    const ap = p.additionalProperties;
    if (ap === undefined) elem = this.preserveUnknownFields || fields.size === 0 ? deduced : undefined;
    else if (typeof ap === 'object') elem = this.ref(ap);
    else elem = ap ? deduced : undefined;
    return { fields, elem, atomic: p.xMapType === 'atomic' };
  }

  parseList(p: Props): ListType {
    const atomic = p.xListType === undefined || p.xListType === 'atomic' || (p.xListType !== 'set' && p.xListType !== 'map');
    const keys = p.xListType === 'map' ? (p.xListMapKeys ?? []) : [];
    const items = p.items === undefined || Array.isArray(p.items) ? undefined : p.items;
    return { elem: items === undefined ? untypedAtomic : this.ref(items), atomic, keys };
  }
}

/** WithKubeNative adds apiVersion, kind and metadata (ObjectMeta) to a resource or embedded resource. */
function withKubeNative(t: TypeNode): TypeNode {
  const m = t.map;
  if (m === undefined) return t;
  const fields = new Map(m.fields);
  fields.set('apiVersion', { type: str, hasDefault: false, default: undefined });
  fields.set('kind', { type: str, hasDefault: false, default: undefined });
  fields.set('metadata', { type: objectMeta, hasDefault: false, default: undefined });
  return { ...t, map: { ...m, fields } };
}

function addEmbedded(p: Props, t: TypeNode, depth = 0): TypeNode {
  if (depth > 1000) return t;
  let out = t;
  if (t.map !== undefined && p.properties !== undefined) {
    const fields = new Map(t.map.fields);
    for (const [name, prop] of p.properties) {
      const ft = fields.get(name);
      if (ft !== undefined) fields.set(name, { ...ft, type: addEmbedded(prop, ft.type, depth + 1) });
    }
    out = { ...out, map: { ...t.map, fields } };
  }
  const items = p.items === undefined || Array.isArray(p.items) ? undefined : p.items;
  if (out.list !== undefined && items !== undefined)
    out = { ...out, list: { ...out.list, elem: addEmbedded(items, out.list.elem, depth + 1) } };
  if (out.map?.elem !== undefined && typeof p.additionalProperties === 'object') {
    out = { ...out, map: { ...out.map, elem: addEmbedded(p.additionalProperties, out.map.elem, depth + 1) } };
  }
  if (p.xEmbeddedResource) out = withKubeNative(out);
  return out;
}

/** TypeInfoFromSchema builds the apply type of a CRD version from its openAPIV3Schema (undefined: no schema). */
export function typeInfoFromSchema(schema: Record<string, unknown> | undefined): ApplyTypeInfo {
  if (schema === undefined) return { root: withKubeNative(struct({}, { elem: deduced })) };
  const { props } = readProps(schema, '');
  if (props === undefined) return { root: withKubeNative(struct({}, { elem: deduced })) };
  const t = new Converter(false).visit(props);
  return { root: withKubeNative(addEmbedded(props, t)) };
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds (k8s.io/api generated OpenAPI, the fields that matter for merging)

const typeMeta = { apiVersion: str, kind: str, metadata: objectMeta };

// corev1.ObjectReference is +structType=atomic.
const objectReference = struct(
  {
    apiVersion: str,
    kind: str,
    name: str,
    namespace: str,
    uid: str,
    resourceVersion: str,
    fieldPath: str,
  },
  { atomic: true },
);

const builtins: Record<string, TypeNode> = {
  '/Namespace': struct({
    ...typeMeta,
    spec: struct({ finalizers: listOf(str, 'atomic') }),
    status: struct({
      phase: str,
      conditions: listOf(struct({ type: str, status: str, lastTransitionTime: untyped, reason: str, message: str }), { keys: ['type'] }),
    }),
  }),
  '/ConfigMap': struct({ ...typeMeta, data: mapOf(str), binaryData: mapOf(str), immutable: bool }),
  '/Secret': struct({ ...typeMeta, data: mapOf(str), stringData: mapOf(str), type: str, immutable: bool }),
  '/ServiceAccount': struct({
    ...typeMeta,
    secrets: listOf(objectReference, { keys: ['name'] }),
    imagePullSecrets: listOf(struct({ name: str }, { atomic: true }), 'atomic'),
    automountServiceAccountToken: bool,
  }),
  '/Event': struct({
    ...typeMeta,
    involvedObject: objectReference,
    reason: str,
    message: str,
    source: struct({ component: str, host: str }),
    firstTimestamp: untyped,
    lastTimestamp: untyped,
    count: num,
    type: str,
    eventTime: untyped,
    series: struct({ count: num, lastObservedTime: untyped }),
    action: str,
    related: objectReference,
    reportingComponent: str,
    reportingInstance: str,
  }),
  'events.k8s.io/Event': struct({
    ...typeMeta,
    eventTime: untyped,
    series: struct({ count: num, lastObservedTime: untyped }),
    reportingController: str,
    reportingInstance: str,
    action: str,
    reason: str,
    regarding: objectReference,
    related: objectReference,
    note: str,
    type: str,
    deprecatedSource: struct({ component: str, host: str }),
    deprecatedFirstTimestamp: untyped,
    deprecatedLastTimestamp: untyped,
    deprecatedCount: num,
  }),
  'coordination.k8s.io/Lease': struct({
    ...typeMeta,
    spec: struct({
      holderIdentity: str,
      leaseDurationSeconds: num,
      acquireTime: untyped,
      renewTime: untyped,
      leaseTransitions: num,
      strategy: str,
      preferredHolder: str,
    }),
  }),
};

/** CustomResourceDefinition is typed loosely: its schemas are untyped maps, its lists atomic, like most of its generated OpenAPI. */
builtins['apiextensions.k8s.io/CustomResourceDefinition'] = struct({
  ...typeMeta,
  spec: struct({
    group: str,
    names: struct({
      plural: str,
      singular: str,
      shortNames: listOf(str, 'atomic'),
      kind: str,
      listKind: str,
      categories: listOf(str, 'atomic'),
    }),
    scope: str,
    versions: listOf(
      struct({
        name: str,
        served: bool,
        storage: bool,
        deprecated: bool,
        deprecationWarning: str,
        schema: struct({ openAPIV3Schema: untypedAtomic }),
        subresources: struct({
          status: mapOf(deduced),
          scale: struct({ specReplicasPath: str, statusReplicasPath: str, labelSelectorPath: str }),
        }),
        additionalPrinterColumns: listOf(
          struct({ name: str, type: str, format: str, description: str, priority: num, jsonPath: str }),
          'atomic',
        ),
        selectableFields: listOf(struct({ jsonPath: str }), 'atomic'),
      }),
      'atomic',
    ),
    conversion: struct({ strategy: str, webhook: untypedAtomic }),
    preserveUnknownFields: bool,
  }),
  status: struct({
    conditions: listOf(struct({ type: str, status: str, lastTransitionTime: untyped, reason: str, message: str }), { keys: ['type'] }),
    acceptedNames: struct({
      plural: str,
      singular: str,
      shortNames: listOf(str, 'atomic'),
      kind: str,
      listKind: str,
      categories: listOf(str, 'atomic'),
    }),
    storedVersions: listOf(str, 'atomic'),
  }),
});

/** BuiltinTypeInfo returns the apply type of a built-in kind (a deduced, fully granular type for kinds it does not know). */
export function builtinTypeInfo(group: string, kind: string): ApplyTypeInfo {
  const t = builtins[`${group}/${kind}`];
  return { root: t ?? withKubeNative(struct({}, { elem: deduced })) };
}
