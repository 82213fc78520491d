import { controllerOf, type KubeObject, type OwnerReference } from '@trellis/sdk';
import { isPlainObject } from './fields.ts';
import type { Dependencies } from './order.ts';

/**
 * DependenciesAnnotation stores, on the XR, the dependency graph of its composed resources as
 * compact JSON (`{"app":["db"]}`, keys sorted, only resources that have dependencies). Together with
 * `resourceRefs` it is the XR's inventory: deletion walks it in reverse waves without running the
 * pipeline again.
 */
export const DependenciesAnnotation = 'trellis.dev/dependencies';

/** CompositionResourceNameAnnotation names a composed resource within its Composition (upstream). */
export const CompositionResourceNameAnnotation = 'crossplane.io/composition-resource-name';

/**
 * EncodeDependencies serialises a graph for {@link DependenciesAnnotation}; undefined when there
 * are no edges, so XRs without ordering carry no annotation.
 */
export function encodeDependencies(deps: Dependencies): string | undefined {
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(deps).sort()) {
    const ds = [...new Set(deps[name] ?? [])].sort();
    if (ds.length > 0) out[name] = ds;
  }
  return Object.keys(out).length === 0 ? undefined : JSON.stringify(out);
}

/** A DecodedDependencies is a graph read back from an XR, with the problem if it was malformed. */
export interface DecodedDependencies {
  deps: Dependencies;
  /** Error describes a malformed annotation; the graph is then empty (deletion in one wave). */
  error?: string;
}

/** DecodeDependencies reads {@link DependenciesAnnotation}; malformed input yields no edges and an error. */
export function decodeDependencies(value: string | undefined): DecodedDependencies {
  if (value === undefined || value === '') return { deps: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    return { deps: {}, error: `annotation "${DependenciesAnnotation}" is not valid JSON: ${(err as Error).message}` };
  }
  if (!isPlainObject(parsed)) return { deps: {}, error: `annotation "${DependenciesAnnotation}" must be a JSON object of string arrays` };
  const deps: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      return { deps: {}, error: `annotation "${DependenciesAnnotation}" key "${k}" must be an array of strings` };
    }
    deps[k] = v as string[];
  }
  return { deps };
}

/** ResourceNameOf returns a composed resource's name within its Composition, or undefined. */
export function resourceNameOf(obj: KubeObject): string | undefined {
  const v = obj.metadata.annotations?.[CompositionResourceNameAnnotation];
  return v === undefined || v === '' ? undefined : v;
}

/** A Garbage plan says which observed composed resources to delete, and which to leave alone. */
export interface GarbagePlan {
  /** Delete lists resources this XR controls that are no longer desired. */
  delete: { name: string; object: KubeObject }[];
  /** Foreign lists resources controlled by another object: deleting them would be a confused deputy. */
  foreign: { name: string; object: KubeObject; controller: OwnerReference }[];
  /** Uncontrolled lists resources with no controller reference: never deleted (upstream HEAD). */
  uncontrolled: string[];
}

/**
 * PlanGarbage picks the observed composed resources that the final desired state no longer holds.
 * Only resources whose controller reference is the XR (by UID) are deleted, as upstream does since
 * GHSA-77cv-mrm6-fr3c.
 */
export function planGarbage(observed: ReadonlyMap<string, KubeObject>, desired: ReadonlySet<string>, xrUid: string): GarbagePlan {
  const plan: GarbagePlan = { delete: [], foreign: [], uncontrolled: [] };
  for (const [name, object] of [...observed].sort(([a], [b]) => a.localeCompare(b))) {
    if (desired.has(name)) continue;
    const c = controllerOf(object);
    if (c === undefined) plan.uncontrolled.push(name);
    else if (c.uid !== xrUid) plan.foreign.push({ name, object, controller: c });
    else plan.delete.push({ name, object });
  }
  return plan;
}
