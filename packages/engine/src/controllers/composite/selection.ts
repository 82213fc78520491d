import type { KubeObject } from '@trellis/sdk';
import { isPlainObject } from '../../apply/fields.ts';
import {
  compositionRef,
  compositionRevisionRef,
  compositionRevisionSelector,
  compositionSelector,
  compositionUpdatePolicy,
  type LabelSelector,
  matchesLabels,
  type NameRef,
  XrLabel,
  type XrSchema,
} from './xr.ts';

/**
 * Composition and revision selection for one XR, as upstream's selector chain does it
 * (`composite/api.go`): enforced, then default, then label selector; then the revision. Pure: the
 * caller passes the Compositions and revisions from its cache and persists what changed.
 */

/** The XRD fields selection reads. */
export interface SelectionDefaults {
  enforcedCompositionRef?: NameRef | undefined;
  defaultCompositionRef?: NameRef | undefined;
  defaultCompositionRevisionSelector?: LabelSelector | undefined;
}

/** A SelectionEvent is an event upstream records while selecting. */
export interface SelectionEvent {
  reason: string;
  message: string;
}

/** What selection decided: the fields to persist on the XR, the events, or an error. */
export interface CompositionSelection {
  compositionRef?: NameRef;
  compositionRevisionSelector?: LabelSelector;
  events: SelectionEvent[];
  /** Error is the message of a selection failure (`no compatible Compositions found`). */
  error?: string;
}

/**
 * SelectComposition runs the selector chain. A label-selected Composition is picked uniformly at
 * random among the compatible ones (upstream), using `random` in [0, 1).
 */
export function selectComposition(
  xr: KubeObject,
  schema: XrSchema,
  defaults: SelectionDefaults,
  compositions: readonly KubeObject[],
  random: () => number = Math.random,
): CompositionSelection {
  const out: CompositionSelection = { events: [] };
  let ref = compositionRef(xr, schema);
  const enforced = defaults.enforcedCompositionRef;
  if (enforced !== undefined && ref?.name !== enforced.name) {
    ref = { name: enforced.name };
    out.compositionRef = ref;
    out.events.push({ reason: 'CompositionSelection', message: 'Enforced composition has been selected' });
  }
  if (ref === undefined && compositionSelector(xr, schema) === undefined && defaults.defaultCompositionRef !== undefined) {
    ref = { name: defaults.defaultCompositionRef.name };
    out.compositionRef = ref;
    out.events.push({ reason: 'CompositionSelection', message: 'Default composition has been selected' });
  }
  if (ref === undefined) {
    const sel = compositionSelector(xr, schema)?.matchLabels;
    const compatible = compositions
      .filter((c) => matchesLabels(c.metadata.labels, sel) && typeRefMatches(c, xr))
      .map((c) => c.metadata.name ?? '')
      .sort();
    if (compatible.length === 0) return { ...out, error: 'no compatible Compositions found' };
    const pick = compatible[Math.min(compatible.length - 1, Math.floor(random() * compatible.length))] ?? '';
    out.compositionRef = { name: pick };
  }
  if (
    compositionRevisionSelector(xr, schema) === undefined &&
    compositionRevisionRef(xr, schema) === undefined &&
    defaults.defaultCompositionRevisionSelector !== undefined
  ) {
    out.compositionRevisionSelector = defaults.defaultCompositionRevisionSelector;
    out.events.push({ reason: 'CompositionSelection', message: 'Default revision selector has been selected' });
  }
  return out;
}

/** A RevisionSelection names the revision to use, or why none can be used. */
export interface RevisionSelection {
  revision?: KubeObject;
  /** CompositionRevisionRef is set when the XR's ref must change to the selected revision. */
  compositionRevisionRef?: NameRef;
  error?: string;
}

/**
 * SelectRevision picks the CompositionRevision an XR uses (upstream `APIRevisionFetcher`): under
 * `Manual` with a ref, that revision; otherwise the highest `spec.revision` among the revisions of
 * the XR's Composition (matching the revision selector, under `Automatic` only).
 */
export function selectRevision(
  xr: KubeObject,
  schema: XrSchema,
  composition: string,
  revisions: readonly KubeObject[],
  overrides: { compositionRevisionSelector?: LabelSelector | undefined } = {},
): RevisionSelection {
  const policy = compositionUpdatePolicy(xr, schema);
  const current = compositionRevisionRef(xr, schema);
  if (policy === 'Manual' && current !== undefined) {
    const rev = revisions.find((r) => r.metadata.name === current.name);
    if (rev === undefined) return { error: `cannot get CompositionRevision "${current.name}": not found` };
    return { revision: rev };
  }
  const sel =
    policy === 'Automatic' ? (overrides.compositionRevisionSelector ?? compositionRevisionSelector(xr, schema))?.matchLabels : undefined;
  const candidates = revisions.filter(
    (r) => r.metadata.labels?.[XrLabel.CompositionName] === composition && matchesLabels(r.metadata.labels, sel),
  );
  const latest = latestRevision(candidates);
  if (latest === undefined) return { error: 'no compatible CompositionRevisions found' };
  const out: RevisionSelection = { revision: latest };
  if (current?.name !== latest.metadata.name) out.compositionRevisionRef = { name: latest.metadata.name ?? '' };
  return out;
}

/** RevisionNumber returns a CompositionRevision's `spec.revision` (0 when absent). */
export function revisionNumber(rev: KubeObject): number {
  const spec = rev.spec;
  const n = isPlainObject(spec) ? spec.revision : undefined;
  return typeof n === 'number' ? n : 0;
}

/** LatestRevision returns the revision with the highest `spec.revision` (ties: by name). */
export function latestRevision(revisions: readonly KubeObject[]): KubeObject | undefined {
  let best: KubeObject | undefined;
  for (const r of revisions) {
    if (best === undefined) best = r;
    else {
      const d = revisionNumber(r) - revisionNumber(best);
      if (d > 0 || (d === 0 && (r.metadata.name ?? '') > (best.metadata.name ?? ''))) best = r;
    }
  }
  return best;
}

/** TypeRefMatches reports whether a Composition (or revision) composes the XR's exact apiVersion and kind. */
export function typeRefMatches(c: KubeObject, xr: { apiVersion: string; kind: string }): boolean {
  const spec = c.spec;
  const t = isPlainObject(spec) ? spec.compositeTypeRef : undefined;
  return isPlainObject(t) && t.apiVersion === xr.apiVersion && t.kind === xr.kind;
}
