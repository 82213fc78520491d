import type { ResourceType } from '../registry/types.ts';
import type { StoredObject } from '../store/objects.ts';

/** IdentityStorage reports whether objects are stored at the served version (no conversion). */
export function identityStorage(rt: ResourceType): boolean {
  return rt.bucket === `${rt.group}/${rt.resource}` && rt.version === rt.storageVersion;
}

/**
 * ServedJson returns the JSON of a stored object as served at rt's version, without parsing it
 * when the stored form already is the served form: custom resources are stored as served;
 * built-ins are stored without apiVersion and kind, which are spliced in front.
 */
export function servedJson(rt: ResourceType, o: StoredObject): string {
  if (!identityStorage(rt)) return JSON.stringify(rt.fromStorage(o.object()));
  const json = o.json;
  if (!rt.builtin || json.startsWith('{"kind"') || json.startsWith('{"apiVersion"')) return json;
  const apiVersion = rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
  return `{"kind":${JSON.stringify(rt.kind)},"apiVersion":${JSON.stringify(apiVersion)},${json.slice(1)}`;
}

/** ListItemJson returns the JSON of a list item: built-in list items carry no apiVersion/kind. */
export function listItemJson(rt: ResourceType, o: StoredObject): string {
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
