import type { KubeObject } from '@trellis/sdk';
import type { ResourceType } from '../registry/types.ts';
import type { StoredObject } from '../store/objects.ts';

/** IdentityStorage reports whether objects are stored at the served version (no conversion). */
export function identityStorage(rt: ResourceType): boolean {
  return rt.bucket === `${rt.group}/${rt.resource}` && rt.version === rt.storageVersion;
}

/** DefaultsOnRead reports whether reads of rt apply schema defaults (a CRD version declaring any). */
export function defaultsOnRead(rt: ResourceType): boolean {
  return rt.compiled?.hasDefaults === true;
}

/**
 * Served JSON of stored versions of custom resources whose schema has defaults, per resource type
 * (a CRD generation compiles new types, so a changed schema is applied again). Stored objects are
 * immutable, so the defaulted JSON is computed once per version however many watchers and lists
 * read it; when defaulting changes nothing the entry shares the stored string.
 */
const defaultedJson = new WeakMap<StoredObject, { rt: ResourceType; json: string }>();

function readDefaulted(rt: ResourceType, o: StoredObject): string {
  const hit = defaultedJson.get(o);
  if (hit !== undefined && hit.rt === rt) return hit.json;
  const text = JSON.stringify(rt.fromStorage(o.object()));
  const json = text === o.json ? o.json : text;
  defaultedJson.set(o, { rt, json });
  return json;
}

/**
 * ServedJson returns the JSON of a stored object as served at rt's version, without parsing it
 * when the stored form already is the served form: custom resources are stored as served (unless
 * their schema has defaults, which reads apply); built-ins are stored without apiVersion and
 * kind, which are spliced in front.
 */
export function servedJson(rt: ResourceType, o: StoredObject): string {
  if (defaultsOnRead(rt)) return readDefaulted(rt, o);
  if (!identityStorage(rt)) return JSON.stringify(rt.fromStorage(o.object()));
  const json = o.json;
  if (!rt.builtin || json.startsWith('{"kind"') || json.startsWith('{"apiVersion"')) return json;
  const apiVersion = rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
  return `{"kind":${JSON.stringify(rt.kind)},"apiVersion":${JSON.stringify(apiVersion)},${json.slice(1)}`;
}

/** ListItemJson returns the JSON of a list item: built-in list items carry no apiVersion/kind. */
export function listItemJson(rt: ResourceType, o: StoredObject): string {
  if (defaultsOnRead(rt)) return readDefaulted(rt, o);
  if (!identityStorage(rt)) {
    const obj = rt.fromStorage(o.object());
    if (rt.builtin) {
      delete (obj as Partial<typeof obj>).apiVersion;
      delete (obj as Partial<typeof obj>).kind;
    }
    return JSON.stringify(obj);
  }
  return o.json;
}

/**
 * ServedObject applies, in place, what a read from storage applies to the object a write returns
 * (kube decodes the stored bytes through the storage codec to build the response): the schema's
 * defaults, e.g. a `status` default on an object whose create dropped `status`. Other bodies
 * (Status, Scale, lists) pass through; a list of objects of rt (deletecollection) is served per item.
 */
export function servedObject(rt: ResourceType, body: unknown): unknown {
  if (!defaultsOnRead(rt) || typeof body !== 'object' || body === null) return body;
  const obj = body as KubeObject & { items?: unknown };
  if (obj.kind === rt.kind && typeof obj.metadata === 'object' && obj.metadata !== null) return rt.fromStorage(obj);
  if (obj.kind === rt.listKind && Array.isArray(obj.items)) for (const item of obj.items) servedObject(rt, item);
  return body;
}
