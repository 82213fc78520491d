import { type KubeObject, TrellisError } from '@trellis/sdk';
import { forCompositeResource, XcrdErrorCode } from './crd.ts';

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  default?: unknown;
  nullable?: boolean;
};

/**
 * ApplyXrdDefaults applies the defaults of an XRD's schema to an XR, as `crossplane render --xrd`
 * does: the XR CRD is generated from the XRD as read from a file (a v2 XRD without a scope is
 * read through the v1 type there, so it gets the LegacyCluster fields), the version matching the
 * XR's apiVersion is chosen, and Kubernetes' structural defaulting fills missing fields (and
 * non-nullable nulls) with their defaults. The XR is modified in place.
 */
export function applyXrdDefaults(xr: KubeObject, xrd: KubeObject): void {
  const asV1 = { ...xrd, apiVersion: 'apiextensions.crossplane.io/v1' };
  const crd = forCompositeResource(asV1);
  const spec = crd.spec as { group: string; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  const version = spec.versions.find((v) => `${spec.group}/${v.name}` === xr.apiVersion);
  if (version === undefined) {
    throw new TrellisError(
      XcrdErrorCode.InvalidXrd,
      `cannot apply XRD defaults to XR "${xr.metadata?.name ?? ''}": the specified API version '${xr.apiVersion}' does not exist in the XRD`,
    );
  }
  defaultValue(xr, version.schema.openAPIV3Schema);
}

function isNonNullableNull(v: unknown, s: Schema | undefined): boolean {
  return v === null && s !== undefined && s.nullable !== true;
}

/** DefaultValue is k8s.io/apiextensions-apiserver's structural defaulting.Default. */
function defaultValue(x: unknown, s: Schema | undefined): void {
  if (s === undefined || typeof x !== 'object' || x === null) return;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      if (isNonNullableNull(x[i], s.items) && s.items?.default !== undefined) x[i] = structuredClone(s.items.default);
      defaultValue(x[i], s.items);
    }
    return;
  }
  const o = x as Record<string, unknown>;
  for (const [k, prop] of Object.entries(s.properties ?? {})) {
    if (prop.default === undefined) continue;
    if (!(k in o) || isNonNullableNull(o[k], prop)) o[k] = structuredClone(prop.default);
  }
  const additional = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  for (const [k, v] of Object.entries(o)) {
    const prop = s.properties?.[k];
    if (prop !== undefined) defaultValue(v, prop);
    else if (additional !== undefined) {
      if (isNonNullableNull(v, additional) && additional.default !== undefined) o[k] = structuredClone(additional.default);
      defaultValue(o[k], additional);
    }
  }
}
