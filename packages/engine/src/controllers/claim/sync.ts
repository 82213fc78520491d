import type { KubeObject } from '@trellis/sdk';
import { deepEqual, isPlainObject } from '../../apply/fields.ts';
import {
  claimRefOf,
  compositionRef,
  compositionRevisionRef,
  compositionRevisionSelector,
  ExternalNameAnnotation,
  rawCompositionUpdatePolicy,
  XrLabel,
} from '../composite/xr.ts';

/**
 * The pure half of upstream's server-side apply claim syncer (`claim/syncer_ssa.go`): what the
 * claim controller writes on the claim (its binding) and on the XR (the claim's spec, labels and
 * annotations), and the claim status copied from the XR.
 */

/** Claim spec fields that never reach the XR. */
const CLAIM_ONLY = ['compositeDeletePolicy', 'resourceRef', 'writeConnectionSecretToRef'];
/** XR machinery a claim must not set on its XR (also not via preserve-unknown-fields). */
const XR_MACHINERY = ['resourceRefs', 'claimRef', 'compositionRevisionRef', 'writeConnectionSecretToRef', 'environmentConfigRefs'];

/** XR status fields that stay on the XR (the claim has its own; observedGeneration is Trellis' kstatus field). */
const XR_ONLY_STATUS = ['conditions', 'connectionDetails', 'claimConditionTypes', 'observedGeneration'];

/** A ClaimRefValue is the `spec.claimRef` an XR bound to a claim carries. */
export function claimReference(claim: KubeObject): { apiVersion: string; kind: string; name: string; namespace: string } {
  return { apiVersion: claim.apiVersion, kind: claim.kind, name: claim.metadata.name ?? '', namespace: claim.metadata.namespace ?? '' };
}

/** WithoutReservedK8sEntries drops keys whose prefix ends in `kubernetes.io` or `k8s.io`. */
export function withoutReservedK8sEntries(m: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) {
    const i = k.indexOf('/');
    const prefix = i < 0 ? '' : k.slice(0, i);
    if (prefix.endsWith('kubernetes.io') || prefix.endsWith('k8s.io')) continue;
    out[k] = v;
  }
  return out;
}

export interface XrPatchInput {
  claim: KubeObject;
  /** Xr is the bound XR when it exists. */
  xr: KubeObject | undefined;
  xrType: { apiVersion: string; kind: string };
  /** Name is the XR's name (the claim's resourceRef, or a newly generated one). */
  name: string;
  hasEnforcedComposition: boolean;
}

/**
 * XrPatch returns the XR configuration the claim controller server-side applies with the field
 * owner `apiextensions.crossplane.io/claim`: claim labels and annotations (minus Kubernetes'
 * reserved ones) plus the claim labels, the external name, the claim's spec minus claim-only and
 * XR machinery fields, and `spec.claimRef`.
 */
export function xrPatch(input: XrPatchInput): KubeObject {
  const { claim, xr } = input;
  const labels: Record<string, string> = {
    ...withoutReservedK8sEntries(claim.metadata.labels),
    [XrLabel.ClaimName]: claim.metadata.name ?? '',
    [XrLabel.ClaimNamespace]: claim.metadata.namespace ?? '',
  };
  const annotations = withoutReservedK8sEntries(claim.metadata.annotations);
  const en = xr?.metadata.annotations?.[ExternalNameAnnotation];
  if (en !== undefined && en !== '') annotations[ExternalNameAnnotation] = en;

  const strip = new Set([...CLAIM_ONLY, ...XR_MACHINERY]);
  if (input.hasEnforcedComposition) strip.add('compositionRef');
  if (xr !== undefined && rawCompositionUpdatePolicy(xr, 'Legacy') === 'Manual') strip.delete('compositionRevisionRef');
  const claimSpec = isPlainObject(claim.spec) ? claim.spec : {};
  const spec: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(claimSpec)) if (!strip.has(k)) spec[k] = v;
  spec.claimRef = claimReference(claim);

  const metadata: KubeObject['metadata'] = { name: input.name, labels };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  return { apiVersion: input.xrType.apiVersion, kind: input.xrType.kind, metadata, spec };
}

/**
 * BindClaim returns the claim with its binding updated from the XR (upstream writes this first, so
 * the reference is persisted before the XR exists): `spec.resourceRef`, the external name, and the
 * composition fields the XR chose that the claim does not pin.
 */
export function bindClaim(
  claim: KubeObject,
  xr: KubeObject | undefined,
  xrType: { apiVersion: string; kind: string },
  name: string,
  hasEnforcedComposition: boolean,
): KubeObject {
  const spec: Record<string, unknown> = { ...(isPlainObject(claim.spec) ? claim.spec : {}) };
  spec.resourceRef = { apiVersion: xrType.apiVersion, kind: xrType.kind, name };
  const metadata = { ...claim.metadata };
  if (xr !== undefined) {
    const en = xr.metadata.annotations?.[ExternalNameAnnotation];
    if (en !== undefined && en !== '') metadata.annotations = { ...(metadata.annotations ?? {}), [ExternalNameAnnotation]: en };
    const cref = compositionRef(xr, 'Legacy');
    if (cref !== undefined && (spec.compositionRef === undefined || hasEnforcedComposition)) spec.compositionRef = cref;
    const rsel = compositionRevisionSelector(xr, 'Legacy');
    if (rsel !== undefined && spec.compositionRevisionSelector === undefined) spec.compositionRevisionSelector = rsel;
    const rref = compositionRevisionRef(xr, 'Legacy');
    if (rref !== undefined && rawCompositionUpdatePolicy(xr, 'Legacy') === 'Automatic') spec.compositionRevisionRef = rref;
  }
  return { ...claim, metadata, spec };
}

/**
 * ClaimStatusFromXr returns the claim's status: the XR's status without the fields that stay on
 * the XR (so user status fields and `pipelineResults` reach the claim), with the claim's own
 * conditions and connection publishing time kept.
 */
export function claimStatusFromXr(claim: KubeObject, xr: KubeObject): Record<string, unknown> {
  const xs = isPlainObject(xr.status) ? xr.status : {};
  const cs = isPlainObject(claim.status) ? claim.status : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(xs)) if (!XR_ONLY_STATUS.includes(k)) out[k] = v;
  if (Array.isArray(cs.conditions)) out.conditions = cs.conditions;
  if (isPlainObject(cs.connectionDetails) && typeof cs.connectionDetails.lastPublishedTime === 'string') {
    out.connectionDetails = { lastPublishedTime: cs.connectionDetails.lastPublishedTime };
  }
  return out;
}

/** IsBoundElsewhere reports whether an XR is bound to a claim other than `claim`. */
export function boundElsewhere(xr: KubeObject, claim: KubeObject): string | undefined {
  const ref = claimRefOf(xr);
  if (ref === undefined) return undefined;
  return deepEqual(ref, claimReference(claim)) ? undefined : ref.name;
}

/** ResourceRefName returns the claim's `spec.resourceRef.name`, if set. */
export function resourceRefName(claim: KubeObject): string | undefined {
  const spec = claim.spec;
  const r = isPlainObject(spec) ? spec.resourceRef : undefined;
  return isPlainObject(r) && typeof r.name === 'string' && r.name !== '' ? r.name : undefined;
}

/** CompositeDeletePolicy returns the claim's policy (default Background). */
export function compositeDeletePolicy(claim: KubeObject): 'Background' | 'Foreground' {
  const spec = claim.spec;
  return isPlainObject(spec) && spec.compositeDeletePolicy === 'Foreground' ? 'Foreground' : 'Background';
}

/** ClaimSecretRef returns the claim's `spec.writeConnectionSecretToRef.name`, if set. */
export function claimSecretName(claim: KubeObject): string | undefined {
  const spec = claim.spec;
  const r = isPlainObject(spec) ? spec.writeConnectionSecretToRef : undefined;
  return isPlainObject(r) && typeof r.name === 'string' && r.name !== '' ? r.name : undefined;
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * GenerateXrName returns `<claim>-<5 random characters>` as Kubernetes' SimpleNameGenerator does
 * (the base is cut to 58 characters; the alphabet has no vowels and no look-alike digits).
 */
export function generateXrName(claimName: string, random: () => number = Math.random): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_CHARS[Math.floor(random() * NAME_CHARS.length)] ?? 'x';
  return `${`${claimName}-`.slice(0, 58)}${suffix}`;
}
