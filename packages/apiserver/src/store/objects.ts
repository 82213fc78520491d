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
 *
 * Objects recovered from disk start as a slice of the file's bytes: the JSON string and the
 * metadata index are only built on first use, which keeps a restart over many objects fast.
 */
export class StoredObject {
  readonly rv: number;
  readonly bucket: string;
  readonly namespace: string;
  readonly name: string;
  private jsonText: string | undefined;
  private raw: Buffer | undefined;
  private index: MetaIndex | undefined;

  constructor(bucket: string, namespace: string, name: string, rv: number, json: string | Buffer, meta?: MetaIndex) {
    this.bucket = bucket;
    this.namespace = namespace;
    this.name = name;
    this.rv = rv;
    if (typeof json === 'string') this.jsonText = json;
    else this.raw = json;
    this.index = meta;
  }

  /** Json is the serialized object. */
  get json(): string {
    if (this.jsonText === undefined) {
      this.jsonText = (this.raw as Buffer).toString('utf8');
      this.raw = undefined;
    }
    return this.jsonText;
  }

  /** Meta is the metadata index (built from the JSON on first use). */
  get meta(): MetaIndex {
    if (this.index === undefined) this.index = metaIndexOf(this.object());
    return this.index;
  }

  /** Mentions reports, without parsing, whether the JSON may contain `"<field>"` (false means surely not). */
  mentions(field: string): boolean {
    if (this.index !== undefined) {
      if (field === 'ownerReferences') return this.index.ownerReferences !== undefined;
      if (field === 'deletionTimestamp') return this.index.deletionTimestamp !== undefined;
      if (field === 'finalizers') return this.index.finalizers !== undefined;
    }
    const needle = `"${field}"`;
    return this.raw !== undefined ? this.raw.includes(needle) : this.json.includes(needle);
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
