import type { Condition, KubeObject } from '@trellis/sdk';
import { setConditions } from '@trellis/sdk';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** SplitPath splits a dotted field path (`spec.forProvider.zone`) into its segments. */
export function splitPath(path: string): string[] {
  return path === '' ? [] : path.split('.');
}

/** GetPath reads a dotted field path from an object; undefined when any segment is missing. */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of splitPath(path)) {
    if (!isObject(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

/** SetPath writes a dotted field path, creating intermediate objects; `undefined` deletes the field. */
export function setPath(obj: Json, path: string, value: unknown): void {
  const segs = splitPath(path);
  const last = segs.pop();
  if (last === undefined) return;
  let cur: Json = obj;
  for (const seg of segs) {
    const next = cur[seg];
    if (!isObject(next)) {
      if (value === undefined) return;
      cur[seg] = {};
    }
    cur = cur[seg] as Json;
  }
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/** SpecOf returns `spec` of a managed resource (an empty object when absent). */
export function specOf(mr: KubeObject): Json {
  return isObject(mr.spec) ? mr.spec : {};
}

/** StatusOf returns `status` of a managed resource, creating it when absent. */
export function statusOf(mr: KubeObject): Json {
  if (!isObject(mr.status)) mr.status = {};
  return mr.status as Json;
}

/** ConditionsOf returns `status.conditions`. */
export function conditionsOf(mr: KubeObject): Condition[] {
  const c = isObject(mr.status) ? mr.status.conditions : undefined;
  return Array.isArray(c) ? (c as Condition[]) : [];
}

/**
 * MarkConditions sets conditions on a managed resource's status, stamping `observedGeneration`
 * with `metadata.generation`. A condition whose status does not change keeps its transition time,
 * so marking the same conditions again changes nothing. Providers call it from Observe to report
 * `Ready` (Available/Unavailable).
 */
export function markConditions(mr: KubeObject, ...conditions: Condition[]): void {
  const gen = mr.metadata.generation;
  const stamped = conditions.map((c) => (gen === undefined ? c : { ...c, observedGeneration: gen }));
  statusOf(mr).conditions = setConditions(conditionsOf(mr), stamped);
}

/** ManagementPoliciesOf reads `spec.managementPolicies`; undefined when the field is absent. */
export function managementPoliciesOf(mr: KubeObject): string[] | undefined {
  const v = specOf(mr).managementPolicies;
  return Array.isArray(v) ? v.map(String) : undefined;
}

/** DeletionPolicyOf reads `spec.deletionPolicy`; undefined when the field is absent. */
export function deletionPolicyOf(mr: KubeObject): string | undefined {
  const v = specOf(mr).deletionPolicy;
  return typeof v === 'string' ? v : undefined;
}

/** A ProviderConfigRef names the ProviderConfig a managed resource uses. */
export interface ProviderConfigRef {
  name: string;
  kind?: string;
}

/** ProviderConfigRefOf reads `spec.providerConfigRef`; undefined when absent. */
export function providerConfigRefOf(mr: KubeObject): ProviderConfigRef | undefined {
  const v = specOf(mr).providerConfigRef;
  if (!isObject(v) || typeof v.name !== 'string' || v.name === '') return undefined;
  return typeof v.kind === 'string' ? { name: v.name, kind: v.kind } : { name: v.name };
}

/** A SecretRef names a Secret that receives connection details. */
export interface SecretRef {
  name: string;
  namespace?: string;
}

/**
 * ConnectionSecretRefOf reads `spec.writeConnectionSecretToRef`. For a namespaced managed
 * resource the Secret lives in the resource's namespace (a namespace in the ref is ignored);
 * cluster-scoped resources must name the namespace.
 */
export function connectionSecretRefOf(mr: KubeObject): SecretRef | undefined {
  const v = specOf(mr).writeConnectionSecretToRef;
  if (!isObject(v) || typeof v.name !== 'string' || v.name === '') return undefined;
  const ns = mr.metadata.namespace ?? (typeof v.namespace === 'string' ? v.namespace : undefined);
  return ns === undefined || ns === '' ? { name: v.name } : { name: v.name, namespace: ns };
}

/**
 * CanonicalJson serialises a value with object keys sorted, so two values that are deep-equal
 * serialise identically (used to decide whether a write is needed at all).
 */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  const out: Json = {};
  for (const k of Object.keys(v).sort()) {
    const x = v[k];
    if (x !== undefined) out[k] = sortKeys(x);
  }
  return out;
}

/** DeepEqual compares two JSON values structurally (object key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Clone deep-copies a JSON value. */
export function clone<T>(v: T): T {
  return structuredClone(v);
}
