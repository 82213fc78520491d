import { goDuration, type KubeObject } from '@trellis/sdk';

/**
 * The annotations of a managed resource, spelled as upstream Crossplane spells them
 * (crossplane-runtime `pkg/meta`), plus Trellis's own adoption annotation.
 */
export const Annotation = {
  /** ExternalName is the identifier of the external resource in the provider's system. */
  ExternalName: 'crossplane.io/external-name',
  /** ExternalCreatePending is written, and persisted, immediately before Create is called. */
  ExternalCreatePending: 'crossplane.io/external-create-pending',
  /** ExternalCreateSucceeded is written right after Create returns without error. */
  ExternalCreateSucceeded: 'crossplane.io/external-create-succeeded',
  /** ExternalCreateFailed is written right after Create returns an error. */
  ExternalCreateFailed: 'crossplane.io/external-create-failed',
  /** Paused set to "true" stops reconciliation. */
  Paused: 'crossplane.io/paused',
  /** PollInterval overrides the poll interval of one resource (a Go duration such as `30s`). */
  PollInterval: 'crossplane.io/poll-interval',
  /** ReconcileRequestedAt is a token; changing it asks for an immediate reconcile. */
  ReconcileRequestedAt: 'crossplane.io/reconcile-requested-at',
  /**
   * AdoptionPolicy (Trellis) says what to do when Observe finds an external resource this managed
   * resource never created and whose external name the user did not give: `Adopt` takes it over,
   * `Refuse` (the default) reports that it exists and was not adopted.
   */
  AdoptionPolicy: 'trellis.dev/adoption-policy',
} as const;

/** AdoptionPolicy values of the `trellis.dev/adoption-policy` annotation. */
export const AdoptionPolicy = { Adopt: 'Adopt', Refuse: 'Refuse' } as const;
export type AdoptionPolicy = (typeof AdoptionPolicy)[keyof typeof AdoptionPolicy];

/** AnnotationOf returns one annotation of an object, or undefined. */
export function annotationOf(obj: KubeObject, key: string): string | undefined {
  return obj.metadata.annotations?.[key];
}

/** SetAnnotation sets one annotation on an object, in place. */
export function setAnnotation(obj: KubeObject, key: string, value: string): void {
  obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [key]: value };
}

/** RemoveAnnotation removes one annotation from an object, in place. */
export function removeAnnotation(obj: KubeObject, key: string): void {
  const a = obj.metadata.annotations;
  if (a === undefined || !(key in a)) return;
  const { [key]: _removed, ...rest } = a;
  obj.metadata.annotations = rest;
}

/** GetExternalName returns the external name, or undefined when it is not set (or empty). */
export function getExternalName(obj: KubeObject): string | undefined {
  const v = annotationOf(obj, Annotation.ExternalName);
  return v === undefined || v === '' ? undefined : v;
}

/** SetExternalName sets the `crossplane.io/external-name` annotation, in place. */
export function setExternalName(obj: KubeObject, name: string): void {
  setAnnotation(obj, Annotation.ExternalName, name);
}

/**
 * FormatTimestamp writes an annotation timestamp: RFC 3339 in UTC with milliseconds. Upstream
 * writes whole seconds; Go's RFC 3339 parser reads both, and milliseconds keep "pending newer than
 * failed" exact when a retry follows a failure within the same second.
 */
export function formatTimestamp(t: Date): string {
  return t.toISOString();
}

/** ParseTimestamp reads an annotation timestamp; undefined when absent or malformed. */
export function parseTimestamp(v: string | undefined): Date | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v)) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function timeOf(obj: KubeObject, key: string): number | undefined {
  return parseTimestamp(annotationOf(obj, key))?.getTime();
}

/** SetExternalCreatePending records that Create is about to be called. */
export function setExternalCreatePending(obj: KubeObject, t: Date): void {
  setAnnotation(obj, Annotation.ExternalCreatePending, formatTimestamp(t));
}

/** SetExternalCreateSucceeded records that Create returned without error. */
export function setExternalCreateSucceeded(obj: KubeObject, t: Date): void {
  setAnnotation(obj, Annotation.ExternalCreateSucceeded, formatTimestamp(t));
}

/** SetExternalCreateFailed records that Create returned an error. */
export function setExternalCreateFailed(obj: KubeObject, t: Date): void {
  setAnnotation(obj, Annotation.ExternalCreateFailed, formatTimestamp(t));
}

/** ExternalCreatePendingAt returns when the last Create started, if one did. */
export function externalCreatePendingAt(obj: KubeObject): Date | undefined {
  return parseTimestamp(annotationOf(obj, Annotation.ExternalCreatePending));
}

/**
 * ExternalCreateIncomplete reports whether a Create started and neither its success nor its
 * failure was recorded afterwards: the pending time is newer than the later of the other two.
 * A Create whose result is unknown may have created an external resource whose identifier was
 * never stored.
 */
export function externalCreateIncomplete(obj: KubeObject): boolean {
  const pending = timeOf(obj, Annotation.ExternalCreatePending);
  if (pending === undefined) return false;
  const latest = Math.max(timeOf(obj, Annotation.ExternalCreateSucceeded) ?? 0, timeOf(obj, Annotation.ExternalCreateFailed) ?? 0);
  return pending > latest;
}

/** ExternalCreateSucceededWithin reports whether Create succeeded less than `ms` before `now`. */
export function externalCreateSucceededWithin(obj: KubeObject, ms: number, now: Date): boolean {
  const t = timeOf(obj, Annotation.ExternalCreateSucceeded);
  return t !== undefined && now.getTime() - t < ms;
}

/** HasCreateHistory reports whether this runtime ever started a Create for the object. */
export function hasCreateHistory(obj: KubeObject): boolean {
  return (
    annotationOf(obj, Annotation.ExternalCreatePending) !== undefined || annotationOf(obj, Annotation.ExternalCreateSucceeded) !== undefined
  );
}

/** IsPaused reports whether the `crossplane.io/paused` annotation is "true". */
export function isPaused(obj: KubeObject): boolean {
  return annotationOf(obj, Annotation.Paused) === 'true';
}

/** AdoptionPolicyOf returns the adoption policy of an object, or undefined when the annotation is absent or unknown. */
export function adoptionPolicyOf(obj: KubeObject): AdoptionPolicy | undefined {
  const v = annotationOf(obj, Annotation.AdoptionPolicy);
  return v === AdoptionPolicy.Adopt || v === AdoptionPolicy.Refuse ? v : undefined;
}

/** WasDeleted reports whether the object has a deletion timestamp. */
export function wasDeleted(obj: KubeObject): boolean {
  return obj.metadata.deletionTimestamp !== undefined && obj.metadata.deletionTimestamp !== null;
}

/** HasFinalizer reports whether the object carries `name` among its finalizers. */
export function hasFinalizer(obj: KubeObject, name: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(name);
}

/** AddFinalizer adds a finalizer in place; returns false when it was already there. */
export function addFinalizer(obj: KubeObject, name: string): boolean {
  if (hasFinalizer(obj, name)) return false;
  obj.metadata.finalizers = [...(obj.metadata.finalizers ?? []), name];
  return true;
}

/** RemoveFinalizer removes a finalizer in place; returns false when it was not there. */
export function removeFinalizer(obj: KubeObject, name: string): boolean {
  if (!hasFinalizer(obj, name)) return false;
  obj.metadata.finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== name);
  return true;
}

/**
 * ParseDuration parses a Go duration (`1m30s`, `500ms`, `2h`) into milliseconds; undefined when
 * the text is not a duration. Used for `crossplane.io/poll-interval`.
 */
export function parseDuration(v: string): number | undefined {
  if (v.length > 64) return undefined;
  const d = goDuration(v);
  return d.ok ? d.seconds * 1000 : undefined;
}
