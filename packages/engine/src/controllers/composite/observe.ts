import type { KubeClient, TypeRef } from '@trellis/kube';
import { controllerOf, hasCode, type KubeObject, TrellisError, wrap } from '@trellis/sdk';
import { isPlainObject } from '../../apply/fields.ts';
import { CompositionResourceNameAnnotation, resourceNameOf } from '../../apply/inventory.ts';
import type { ObservedComposed } from './composer.ts';
import { type ResourceRef, resourceRefs, type XrSchema } from './xr.ts';

/** A ComposedReader reads composed resources from a cache (an informer per kind). */
export interface ComposedReader {
  /** Ensure makes sure the kind is watched and its cache is synced. */
  ensure(type: TypeRef): Promise<void>;
  /** Get returns the cached object, or undefined. */
  get(type: TypeRef, namespace: string | undefined, name: string): KubeObject | undefined;
}

/** An Observation is what exists of an XR's composed resources. */
export interface Observation {
  /** Observed holds the composed resources this XR controls (or that have no controller), by name. */
  observed: Map<string, ObservedComposed>;
  /** Present lists every referenced object that exists, with its inventory name. */
  present: { name: string; ref: ResourceRef; object: KubeObject }[];
}

/** RefKey identifies a referenced object for caches and write memory. */
export function refKey(ref: { apiVersion: string; kind: string; namespace?: string | undefined; name?: string | undefined }): string {
  return `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}|${ref.name ?? ''}`;
}

/** TypeOf returns the TypeRef of a reference. */
export function typeOf(ref: { apiVersion: string; kind: string }): TypeRef {
  return { apiVersion: ref.apiVersion, kind: ref.kind };
}

export interface ObserveDeps {
  reader: ComposedReader;
  /** Fresh returns the newer of the cached object and one this controller wrote. */
  fresh: (key: string, cached: KubeObject | undefined) => KubeObject | undefined;
  client: KubeClient;
  signal?: AbortSignal;
}

/**
 * ObserveComposed loads the composed resources an XR references (`resourceRefs`) from the cache,
 * as upstream's ExistingComposedResourceObserver does: missing ones are skipped, ones controlled
 * by another object are treated as absent, and each one's connection secret is read.
 */
export async function observeComposed(xr: KubeObject, schema: XrSchema, deps: ObserveDeps): Promise<Observation> {
  const out: Observation = { observed: new Map(), present: [] };
  const xrNamespace = xr.metadata.namespace;
  const refs = resourceRefs(xr, schema).filter((r) => r.name !== undefined && r.name !== '');
  await Promise.all(uniqueTypes(refs).map((t) => deps.reader.ensure(t)));
  for (const raw of refs) {
    const ref: ResourceRef = { ...raw, ...(xrNamespace === undefined ? {} : { namespace: xrNamespace }) };
    const obj = deps.fresh(refKey(ref), deps.reader.get(typeOf(ref), ref.namespace, ref.name ?? ''));
    if (obj === undefined) continue;
    const c = controllerOf(obj);
    const name = resourceNameOf(obj) ?? `${ref.kind}/${ref.name ?? ''}`;
    out.present.push({ name, ref, object: obj });
    if (c !== undefined && c.uid !== xr.metadata.uid) continue;
    if (resourceNameOf(obj) === undefined) {
      throw new TrellisError(
        'ENGINE_ANONYMOUS_COMPOSED',
        `encountered composed resource without required "${CompositionResourceNameAnnotation}" annotation: ${ref.kind} "${ref.name ?? ''}"`,
      );
    }
    const connectionDetails = await connectionDetailsOf(obj, deps);
    out.observed.set(name, connectionDetails === undefined ? { resource: obj } : { resource: obj, connectionDetails });
  }
  return out;
}

function uniqueTypes(refs: readonly ResourceRef[]): TypeRef[] {
  const m = new Map<string, TypeRef>();
  for (const r of refs) m.set(`${r.apiVersion}|${r.kind}`, typeOf(r));
  return [...m.values()];
}

/**
 * ConnectionDetailsOf reads the connection secret a composed resource writes
 * (`spec.writeConnectionSecretToRef`; namespaced resources write to their own namespace).
 */
async function connectionDetailsOf(obj: KubeObject, deps: ObserveDeps): Promise<Record<string, Uint8Array> | undefined> {
  const spec = obj.spec;
  const ref = isPlainObject(spec) ? spec.writeConnectionSecretToRef : undefined;
  if (!isPlainObject(ref) || typeof ref.name !== 'string' || ref.name === '') return undefined;
  const namespace = obj.metadata.namespace ?? (typeof ref.namespace === 'string' ? ref.namespace : undefined);
  if (namespace === undefined || namespace === '') return undefined;
  try {
    const s = await deps.client.getIfExists(
      { apiVersion: 'v1', kind: 'Secret', namespace, name: ref.name },
      deps.signal === undefined ? {} : { signal: deps.signal },
    );
    return s === undefined ? undefined : decodeSecretData(s);
  } catch (err) {
    if (hasCode(err, 'KUBE_FORBIDDEN')) return undefined;
    throw wrap(
      err,
      `cannot fetch connection details for composed resource "${resourceNameOf(obj) ?? ''}" (a ${obj.kind} named ${obj.metadata.name ?? ''})`,
    );
  }
}

/** DecodeSecretData turns a Secret's base64 `data` into bytes. */
export function decodeSecretData(secret: KubeObject): Record<string, Uint8Array> {
  const data = secret.data;
  const out: Record<string, Uint8Array> = {};
  if (!isPlainObject(data)) return out;
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return out;
}
