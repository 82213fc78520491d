import type { KubeObject, OwnerReference } from '@trellis/sdk';

/** MetaIndex is the part of an object's metadata the server reads without parsing the object. */
export interface MetaIndex {
  uid: string;
  labels: Readonly<Record<string, string>> | undefined;
  ownerReferences: readonly OwnerReference[] | undefined;
  finalizers: readonly string[] | undefined;
  deletionTimestamp: string | undefined;
}

/**
 * A StoredObject is one immutable version of an object: its serialized JSON (with
 * `metadata.resourceVersion` equal to `rv`) and a small index of its metadata. The JSON is the
 * source of truth; `object()` parses a fresh, mutable copy.
 */
export class StoredObject {
  readonly rv: number;
  readonly bucket: string;
  readonly namespace: string;
  readonly name: string;
  readonly json: string;
  readonly meta: MetaIndex;

  constructor(bucket: string, namespace: string, name: string, rv: number, json: string, meta: MetaIndex) {
    this.bucket = bucket;
    this.namespace = namespace;
    this.name = name;
    this.rv = rv;
    this.json = json;
    this.meta = meta;
  }

  /** Object returns a freshly parsed copy the caller may mutate. */
  object(): KubeObject {
    return JSON.parse(this.json) as KubeObject;
  }

  /** Key is the object's storage key: `<group>/<resource>/<namespace>/<name>`. */
  get key(): string {
    return `${this.bucket}/${this.namespace}/${this.name}`;
  }
}

/** MetaIndexOf extracts the indexed metadata of an object. */
export function metaIndexOf(obj: KubeObject): MetaIndex {
  const m = obj.metadata;
  return {
    uid: typeof m.uid === 'string' ? m.uid : '',
    labels: isStringMap(m.labels) ? m.labels : undefined,
    ownerReferences: Array.isArray(m.ownerReferences) && m.ownerReferences.length > 0 ? m.ownerReferences : undefined,
    finalizers: Array.isArray(m.finalizers) && m.finalizers.length > 0 ? m.finalizers : undefined,
    deletionTimestamp: typeof m.deletionTimestamp === 'string' ? m.deletionTimestamp : undefined,
  };
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0;
}

/** SplitKey splits a storage key into bucket, namespace and name. */
export function splitStorageKey(key: string): { bucket: string; namespace: string; name: string } | undefined {
  const parts = key.split('/');
  if (parts.length !== 4) return undefined;
  const [group, resource, namespace, name] = parts as [string, string, string, string];
  if (resource === '' || name === '') return undefined;
  return { bucket: `${group}/${resource}`, namespace, name };
}
