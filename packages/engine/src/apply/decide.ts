import type { KubeObject } from '@trellis/sdk';
import { appliedEntry, canonicalJsonSha256, isSubset, missingOwnedPaths, stripNulls } from './fields.ts';

/**
 * AppliedHashAnnotation records, on every composed resource, a hash of the configuration Trellis
 * last applied to it. Comparing the hash of the new desired configuration with it detects every
 * change of intent, including a field removed from inside a list, without a schema.
 */
export const AppliedHashAnnotation = 'trellis.dev/applied-hash';

/** Why an apply is (or is not) needed; stable strings, used in logs and metrics. */
export const ApplyReason = {
  /** Create: the object does not exist yet. */
  Create: 'Create',
  /** Changed: the desired configuration differs from the one last applied. */
  Changed: 'Changed',
  /** Drift: a field Trellis sets has another value on the server (someone edited it). */
  Drift: 'Drift',
  /** Unowned: the object has no apply entry of our field manager (adoption, or a manager takeover). */
  Unowned: 'Unowned',
  /** Removal: the field manager owns a field the desired configuration no longer sets. */
  Removal: 'Removal',
  /** UpToDate: nothing would change; the write is skipped. */
  UpToDate: 'UpToDate',
} as const;
export type ApplyReason = (typeof ApplyReason)[keyof typeof ApplyReason];

/** An ApplyDecision says whether to send a server-side apply, and why. */
export interface ApplyDecision {
  apply: boolean;
  reason: ApplyReason;
  /** Body is the configuration to send (nulls stripped, hash annotation set when requested). */
  body: KubeObject;
  /** Hash identifies the configuration (for {@link DecideOptions.lastApplied}). */
  hash: string;
}

/** A LastApplied remembers a configuration this process applied and the resourceVersion it produced. */
export interface LastApplied {
  hash: string;
  resourceVersion: string;
}

export interface DecideOptions {
  /** FieldManager is the server-side apply field manager. */
  fieldManager: string;
  /** Subresource, e.g. `status`, when the apply targets a subresource. */
  subresource?: string;
  /**
   * HashAnnotation stamps {@link AppliedHashAnnotation} on the body and compares it with the
   * observed one. Used for composed resources (whose schema Trellis does not know).
   */
  hashAnnotation?: boolean;
  /**
   * LastApplied: when the observed object is exactly what the server returned after this same
   * configuration was applied (same hash, same resourceVersion), nothing can have changed. This
   * also covers fields the server normalises or prunes, which a value comparison would report as
   * drift forever.
   */
  lastApplied?: LastApplied | undefined;
}

/** AppliedHash returns the hash stamped in {@link AppliedHashAnnotation} for a configuration. */
export function appliedHash(body: unknown): string {
  return canonicalJsonSha256(body).slice(0, 32);
}

/**
 * DecideApply compares a desired configuration with the observed object and returns whether a
 * server-side apply would change anything. It is conservative: when in doubt it applies. It never
 * reads the network; `observed` comes from an informer cache or a previous response.
 */
export function decideApply(desired: KubeObject, observed: KubeObject | undefined, opts: DecideOptions): ApplyDecision {
  let body = stripNulls(desired);
  if (opts.hashAnnotation === true) body = withHash(body);
  const hash =
    opts.hashAnnotation === true ? (body.metadata.annotations?.[AppliedHashAnnotation] ?? '') : appliedHash(scoped(body, opts.subresource));
  const decision = (apply: boolean, reason: ApplyReason): ApplyDecision => ({ apply, reason, body, hash });
  if (observed === undefined) return decision(true, ApplyReason.Create);
  if (opts.hashAnnotation === true && observed.metadata.annotations?.[AppliedHashAnnotation] !== hash)
    return decision(true, ApplyReason.Changed);
  const rv = observed.metadata.resourceVersion;
  if (opts.lastApplied !== undefined && rv !== undefined && opts.lastApplied.resourceVersion === rv && opts.lastApplied.hash === hash) {
    return decision(false, ApplyReason.UpToDate);
  }
  const entry = appliedEntry(observed.metadata.managedFields, opts.fieldManager, opts.subresource);
  if (entry === undefined) return decision(true, ApplyReason.Unowned);
  if (!isSubset(scoped(body, opts.subresource), observed)) return decision(true, ApplyReason.Drift);
  const missing = missingOwnedPaths(scoped(body, opts.subresource), entry.fieldsV1);
  if (missing.length > 0) return decision(true, ApplyReason.Removal);
  return decision(false, ApplyReason.UpToDate);
}

function withHash(body: KubeObject): KubeObject {
  const annotations = { ...(body.metadata.annotations ?? {}) };
  delete annotations[AppliedHashAnnotation];
  const unstamped: KubeObject = { ...body, metadata: { ...body.metadata, annotations } };
  if (Object.keys(annotations).length === 0) delete unstamped.metadata.annotations;
  const hash = appliedHash(unstamped);
  return { ...body, metadata: { ...body.metadata, annotations: { ...annotations, [AppliedHashAnnotation]: hash } } };
}

/** WithoutIdentity drops apiVersion/kind/name/namespace, which a subset check need not compare. */
function withoutIdentity(body: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata, ...rest } = body;
  const { name: _n, namespace: _ns, generateName: _g, ...meta } = metadata;
  return Object.keys(meta).length === 0 ? rest : { ...rest, metadata: meta };
}

/** Scoped keeps only the part of the body an apply to `subresource` sends (status: `status`). */
function scoped(body: KubeObject, subresource: string | undefined): unknown {
  if (subresource === undefined || subresource === '') return withoutIdentity(body);
  return { [subresource]: body[subresource] ?? {} };
}
