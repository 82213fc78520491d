import type { KubeObject } from '@trellis/sdk';
import { isPlainObject } from '../../apply/fields.ts';
import type { LabelSelector, NameRef, XrSchema } from '../composite/xr.ts';

/** Accessors for CompositeResourceDefinitions (read at apiextensions.crossplane.io/v1, the storage version). */

export const XrdType = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition' } as const;
export const CrdType = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' } as const;

/** The XRD scope: v1 XRDs default to LegacyCluster, v2 XRDs to Namespaced. */
export type XrdScope = 'LegacyCluster' | 'Cluster' | 'Namespaced';

function spec(xrd: KubeObject): Record<string, unknown> {
  return isPlainObject(xrd.spec) ? xrd.spec : {};
}

export function xrdScope(xrd: KubeObject): XrdScope {
  const s = spec(xrd).scope;
  if (s === 'Cluster' || s === 'Namespaced' || s === 'LegacyCluster') return s;
  return xrd.apiVersion === 'apiextensions.crossplane.io/v2' ? 'Namespaced' : 'LegacyCluster';
}

export function schemaOf(scope: XrdScope): XrSchema {
  return scope === 'LegacyCluster' ? 'Legacy' : 'Modern';
}

function names(v: unknown): { kind: string; plural: string } | undefined {
  if (!isPlainObject(v) || typeof v.kind !== 'string' || typeof v.plural !== 'string') return undefined;
  return { kind: v.kind, plural: v.plural };
}

/** ReferenceableVersion is the version marked `referenceable` (else the first served one). */
export function referenceableVersion(xrd: KubeObject): string | undefined {
  const vs = spec(xrd).versions;
  if (!Array.isArray(vs)) return undefined;
  const all = vs.filter(isPlainObject);
  const ref = all.find((v) => v.referenceable === true) ?? all.find((v) => v.served === true);
  return typeof ref?.name === 'string' ? ref.name : undefined;
}

/** CompositeType is the apiVersion and kind of the XRs an XRD defines. */
export function compositeType(xrd: KubeObject): { apiVersion: string; kind: string; plural: string } | undefined {
  const group = spec(xrd).group;
  const n = names(spec(xrd).names);
  const v = referenceableVersion(xrd);
  if (typeof group !== 'string' || n === undefined || v === undefined) return undefined;
  return { apiVersion: `${group}/${v}`, kind: n.kind, plural: n.plural };
}

/** ClaimType is the apiVersion and kind of the claims an XRD offers, if it offers any. */
export function claimType(xrd: KubeObject): { apiVersion: string; kind: string; plural: string } | undefined {
  const group = spec(xrd).group;
  const n = names(spec(xrd).claimNames);
  const v = referenceableVersion(xrd);
  if (typeof group !== 'string' || n === undefined || v === undefined) return undefined;
  return { apiVersion: `${group}/${v}`, kind: n.kind, plural: n.plural };
}

function nameRef(v: unknown): NameRef | undefined {
  return isPlainObject(v) && typeof v.name === 'string' && v.name !== '' ? { name: v.name } : undefined;
}

export function enforcedCompositionRef(xrd: KubeObject): NameRef | undefined {
  return nameRef(spec(xrd).enforcedCompositionRef);
}
export function defaultCompositionRef(xrd: KubeObject): NameRef | undefined {
  return nameRef(spec(xrd).defaultCompositionRef);
}
export function defaultCompositionRevisionSelector(xrd: KubeObject): LabelSelector | undefined {
  const v = spec(xrd).defaultCompositionRevisionSelector;
  if (!isPlainObject(v)) return undefined;
  const ml = isPlainObject(v.matchLabels) ? (v.matchLabels as Record<string, string>) : {};
  return { matchLabels: ml };
}
export function connectionSecretKeys(xrd: KubeObject): string[] {
  const v = spec(xrd).connectionSecretKeys;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
