/** An OwnerReference is metadata.ownerReferences[] of a Kubernetes object. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** ObjectMeta is the part of metadata every Trellis package reads or writes. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** A KubeObject is any Kubernetes object, typed loosely: spec and status stay open. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A GroupVersionKind names a kind; `group` is '' for the core group. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** An ObjectRef identifies one object: its kind, and name within an optional namespace. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** ParseApiVersion splits `group/version` (or `v1`) into its parts. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** FormatApiVersion joins a group and version into an apiVersion. */
export function formatApiVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** GvkOf returns the GroupVersionKind of an object (or of an ObjectRef). */
export function gvkOf(obj: { apiVersion: string; kind: string }): GroupVersionKind {
  return { ...parseApiVersion(obj.apiVersion), kind: obj.kind };
}

/** GvkString prints a GVK the way Kubernetes does: `Kind.version.group` (`Kind.v1` for core). */
export function gvkString(gvk: GroupVersionKind): string {
  return gvk.group === '' ? `${gvk.kind}.${gvk.version}` : `${gvk.kind}.${gvk.version}.${gvk.group}`;
}

/** RefOf returns the ObjectRef of an object. */
export function refOf(obj: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name ?? '' };
  if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== '') ref.namespace = obj.metadata.namespace;
  return ref;
}

/**
 * DescribeRef names an object in messages: `Kind "ns/name"` or `Kind "name"`. Every error that is
 * about an object names it this way, so messages read the same everywhere.
 */
export function describeRef(ref: { kind: string; name?: string; namespace?: string | undefined }): string {
  const name = ref.name === undefined || ref.name === '' ? '<unnamed>' : ref.name;
  return ref.namespace !== undefined && ref.namespace !== '' ? `${ref.kind} "${ref.namespace}/${name}"` : `${ref.kind} "${name}"`;
}

/** ObjectKey returns `namespace/name` (or `name` for cluster-scoped objects), the work-queue key. */
export function objectKey(obj: { metadata: ObjectMeta } | ObjectRef): string {
  const meta = 'metadata' in obj ? obj.metadata : obj;
  const ns = meta.namespace ?? '';
  const name = meta.name ?? '';
  return ns === '' ? name : `${ns}/${name}`;
}

/** SplitKey is the inverse of {@link objectKey}. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** IsControlledBy reports whether `obj` has a controller ownerReference to the object with `uid`. */
export function isControlledBy(obj: KubeObject, uid: string): boolean {
  return (obj.metadata.ownerReferences ?? []).some((o) => o.controller === true && o.uid === uid);
}

/** ControllerOf returns the controller ownerReference of `obj`, if any. */
export function controllerOf(obj: KubeObject): OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((o) => o.controller === true);
}

/** AsControllerRef returns a controller ownerReference pointing at `owner`. */
export function asControllerRef(owner: KubeObject, blockOwnerDeletion = true): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion,
  };
}
