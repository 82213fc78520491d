import type { Condition, KubeObject } from '@trellis/sdk';
import { isPlainObject } from '../../apply/fields.ts';

/**
 * Accessors for the Crossplane machinery fields of an XR. Legacy XRs (v1 XRDs, `LegacyCluster`)
 * keep them directly under `spec`; modern XRs (v2 `Namespaced`/`Cluster`) nest them under
 * `spec.crossplane`.
 */
export type XrSchema = 'Legacy' | 'Modern';

/** Labels and annotations upstream puts on XRs and composed resources. */
export const XrLabel = {
  Composite: 'crossplane.io/composite',
  ClaimName: 'crossplane.io/claim-name',
  ClaimNamespace: 'crossplane.io/claim-namespace',
  CompositionName: 'crossplane.io/composition-name',
  CompositionHash: 'crossplane.io/composition-hash',
} as const;

export const PausedAnnotation = 'crossplane.io/paused';
export const PollIntervalAnnotation = 'crossplane.io/poll-interval';
export const ExternalNameAnnotation = 'crossplane.io/external-name';

/** The XR finalizer (upstream's name). */
export const CompositeFinalizer = 'composite.apiextensions.crossplane.io';

export interface NameRef {
  name: string;
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
}
export interface ResourceRef {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
}
export interface ClaimRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

/** MachineryPath returns the path of the machinery fields under `spec`. */
export function machineryPath(schema: XrSchema): string[] {
  return schema === 'Legacy' ? ['spec'] : ['spec', 'crossplane'];
}

/** Machinery returns the object holding the XR machinery fields of `obj` (an XR, or a patch of one). */
export function machinery(obj: unknown, schema: XrSchema): Record<string, unknown> {
  let cur: unknown = obj;
  for (const k of machineryPath(schema)) cur = isPlainObject(cur) ? cur[k] : undefined;
  return isPlainObject(cur) ? cur : {};
}

/** Nest wraps machinery fields into the shape of the XR's spec (`{spec:{crossplane:{...}}}`). */
export function nest(schema: XrSchema, fields: Record<string, unknown>): Record<string, unknown> {
  return schema === 'Legacy' ? { spec: fields } : { spec: { crossplane: fields } };
}

function nameRef(v: unknown): NameRef | undefined {
  return isPlainObject(v) && typeof v.name === 'string' && v.name !== '' ? { name: v.name } : undefined;
}

function selector(v: unknown): LabelSelector | undefined {
  if (!isPlainObject(v)) return undefined;
  const ml = v.matchLabels;
  if (!isPlainObject(ml)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(ml)) if (typeof x === 'string') out[k] = x;
  return { matchLabels: out };
}

export function compositionRef(xr: KubeObject, s: XrSchema): NameRef | undefined {
  return nameRef(machinery(xr, s).compositionRef);
}
export function compositionSelector(xr: KubeObject, s: XrSchema): LabelSelector | undefined {
  return selector(machinery(xr, s).compositionSelector);
}
export function compositionRevisionRef(xr: KubeObject, s: XrSchema): NameRef | undefined {
  return nameRef(machinery(xr, s).compositionRevisionRef);
}
export function compositionRevisionSelector(xr: KubeObject, s: XrSchema): LabelSelector | undefined {
  return selector(machinery(xr, s).compositionRevisionSelector);
}
/** CompositionUpdatePolicy is `Automatic` unless the XR says `Manual`. */
export function compositionUpdatePolicy(xr: KubeObject, s: XrSchema): 'Automatic' | 'Manual' {
  return machinery(xr, s).compositionUpdatePolicy === 'Manual' ? 'Manual' : 'Automatic';
}
export function rawCompositionUpdatePolicy(xr: KubeObject, s: XrSchema): string | undefined {
  const v = machinery(xr, s).compositionUpdatePolicy;
  return typeof v === 'string' ? v : undefined;
}

export function resourceRefs(xr: KubeObject, s: XrSchema): ResourceRef[] {
  const v = machinery(xr, s).resourceRefs;
  if (!Array.isArray(v)) return [];
  const out: ResourceRef[] = [];
  for (const r of v) {
    if (!isPlainObject(r) || typeof r.apiVersion !== 'string' || typeof r.kind !== 'string') continue;
    const ref: ResourceRef = { apiVersion: r.apiVersion, kind: r.kind };
    if (typeof r.name === 'string') ref.name = r.name;
    if (typeof r.namespace === 'string' && r.namespace !== '') ref.namespace = r.namespace;
    out.push(ref);
  }
  return out;
}

/** ClaimRefOf returns a legacy XR's `spec.claimRef`. */
export function claimRefOf(xr: KubeObject): ClaimRef | undefined {
  const v = isPlainObject(xr.spec) ? xr.spec.claimRef : undefined;
  if (!isPlainObject(v)) return undefined;
  const { apiVersion, kind, name, namespace } = v;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string' || typeof namespace !== 'string')
    return undefined;
  return { apiVersion, kind, name, namespace };
}

/** WriteConnectionSecretToRef returns a legacy XR's connection secret location. */
export function writeConnectionSecretToRef(xr: KubeObject): { name: string; namespace: string } | undefined {
  const v = isPlainObject(xr.spec) ? xr.spec.writeConnectionSecretToRef : undefined;
  if (!isPlainObject(v) || typeof v.name !== 'string' || typeof v.namespace !== 'string' || v.name === '') return undefined;
  return { name: v.name, namespace: v.namespace };
}

export function conditionsOf(obj: KubeObject): Condition[] {
  const s = obj.status;
  if (!isPlainObject(s) || !Array.isArray(s.conditions)) return [];
  return (s.conditions as unknown[]).filter((c): c is Condition => isPlainObject(c) && typeof c.type === 'string') as Condition[];
}

export function statusOf(obj: KubeObject): Record<string, unknown> {
  return isPlainObject(obj.status) ? obj.status : {};
}

export function claimConditionTypes(xr: KubeObject): string[] {
  const v = statusOf(xr).claimConditionTypes;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function isPaused(obj: KubeObject): boolean {
  return obj.metadata.annotations?.[PausedAnnotation] === 'true';
}

export function isDeleting(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined && obj.metadata.deletionTimestamp !== null;
}

export function hasFinalizer(obj: KubeObject, f: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(f);
}

/** MatchesLabels reports whether `labels` contain every pair of `want`. */
export function matchesLabels(labels: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(want ?? {})) if (labels?.[k] !== v) return false;
  return true;
}
