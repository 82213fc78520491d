import { type KubeObject, parseApiVersion, TrellisError } from '@trellis/sdk';
import type { CompositeSchema } from '../render/types.ts';

/** The XR scopes an XRD can declare. */
export const CompositeResourceScope = {
  Namespaced: 'Namespaced',
  Cluster: 'Cluster',
  LegacyCluster: 'LegacyCluster',
} as const;
export type CompositeResourceScope = (typeof CompositeResourceScope)[keyof typeof CompositeResourceScope];

/**
 * ScopeOf returns an XRD's effective scope: the field, or the API version's default
 * (apiextensions.crossplane.io/v1: LegacyCluster; v2: Namespaced).
 */
export function scopeOf(xrd: KubeObject): CompositeResourceScope {
  const spec = (xrd.spec ?? {}) as Record<string, unknown>;
  const s = spec.scope;
  if (s === 'Namespaced' || s === 'Cluster' || s === 'LegacyCluster') return s;
  return xrd.apiVersion === 'apiextensions.crossplane.io/v2' ? 'Namespaced' : 'LegacyCluster';
}

/**
 * CompositeSchemaOf returns where an XR of this XRD keeps Crossplane's fields (Legacy: directly
 * under spec; Modern: under spec.crossplane), checking that the XRD defines the XR's group and kind
 * as `crossplane render --xrd` does.
 */
export function compositeSchemaOf(xrd: KubeObject, xr: KubeObject): CompositeSchema {
  const name = xrd.metadata?.name ?? '';
  if (xrd.apiVersion !== 'apiextensions.crossplane.io/v1' && xrd.apiVersion !== 'apiextensions.crossplane.io/v2') {
    throw new TrellisError(
      'ENGINE_XRD_INVALID',
      `CompositeResourceDefinition "${name}" has unrecognized apiVersion "${xrd.apiVersion}" (expected one of [apiextensions.crossplane.io/v1 apiextensions.crossplane.io/v2])`,
    );
  }
  const spec = (xrd.spec ?? {}) as Record<string, unknown>;
  const names = (spec.names ?? {}) as Record<string, unknown>;
  const group = typeof spec.group === 'string' ? spec.group : '';
  const kind = typeof names.kind === 'string' ? names.kind : '';
  const xrGroup = parseApiVersion(xr.apiVersion).group;
  if (group !== xrGroup || kind !== xr.kind) {
    throw new TrellisError(
      'ENGINE_XRD_INVALID',
      `CompositeResourceDefinition "${name}" (composite Group=${group} Kind=${kind}) does not match the input XR's Group=${xrGroup} Kind=${xr.kind}`,
    );
  }
  return scopeOf(xrd) === 'LegacyCluster' ? 'Legacy' : 'Modern';
}
