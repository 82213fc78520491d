import { type KubeObject, TrellisError } from '@trellis/sdk';
import { LabelCompositionName } from '../names/names.ts';
import type { RenderEvent } from '../render/types.ts';
import { latestRevision } from '../revision/revision.ts';

/**
 * Composition selection and revision choice for an XR, as upstream's composite reconciler does it
 * (internal/controller/apiextensions/composite/api.go), as pure functions: each takes the XR and
 * what the controller read, and returns the XR fields to set, the events to record, and whether
 * the XR must be written before composing.
 */

type Obj = Record<string, unknown>;

/** Error messages upstream uses; the reconciler wraps them as shown in each comment. */
export const SelectErrorCode = {
  /** Wrapped "cannot select Composition: no compatible Compositions found". */
  NoComposition: 'ENGINE_SELECT_NO_COMPOSITION',
  /** Wrapped "cannot fetch Composition: ...". */
  NoRevision: 'ENGINE_SELECT_NO_REVISION',
  /** The selected revision's pipeline is not (yet) valid. */
  InvalidPipeline: 'ENGINE_SELECT_INVALID_PIPELINE',
  /** The Composition is for another XR type. */
  Incompatible: 'ENGINE_SELECT_INCOMPATIBLE',
} as const;

/** Where an XR keeps Crossplane's fields. */
export type XrSchema = 'Modern' | 'Legacy';

/** The XR's selection fields, read from spec.crossplane (modern) or spec (legacy). */
export interface SelectionFields {
  compositionRef?: { name: string };
  compositionSelector?: { matchLabels: Record<string, string> };
  compositionRevisionRef?: { name: string };
  compositionRevisionSelector?: { matchLabels: Record<string, string> };
  compositionUpdatePolicy?: 'Automatic' | 'Manual';
}

/** SelectionFieldsOf reads the selection fields of an XR. */
export function selectionFieldsOf(xr: KubeObject, schema: XrSchema): SelectionFields {
  const spec = isObject(xr.spec) ? xr.spec : {};
  const src = schema === 'Legacy' ? spec : isObject(spec.crossplane) ? spec.crossplane : {};
  const out: SelectionFields = {};
  if (isObject(src.compositionRef) && typeof src.compositionRef.name === 'string') out.compositionRef = { name: src.compositionRef.name };
  if (isObject(src.compositionSelector)) out.compositionSelector = { matchLabels: strMap(src.compositionSelector.matchLabels) };
  if (isObject(src.compositionRevisionRef) && typeof src.compositionRevisionRef.name === 'string') {
    out.compositionRevisionRef = { name: src.compositionRevisionRef.name };
  }
  if (isObject(src.compositionRevisionSelector))
    out.compositionRevisionSelector = { matchLabels: strMap(src.compositionRevisionSelector.matchLabels) };
  if (src.compositionUpdatePolicy === 'Automatic' || src.compositionUpdatePolicy === 'Manual')
    out.compositionUpdatePolicy = src.compositionUpdatePolicy;
  return out;
}

/** A Selection is the outcome of one selection step. */
export interface Selection {
  /** The XR's selection fields after this step. */
  fields: SelectionFields;
  /** Events to record on the XR. */
  events: RenderEvent[];
  /** Whether the XR must be updated now (upstream calls Update inside the step). */
  update: boolean;
}

/**
 * SelectComposition runs the selector chain: the XRD's enforced Composition always wins (and is
 * written at once); otherwise an XR with neither a compositionRef nor a selector gets the XRD's
 * default; otherwise, still without a ref, the label selector picks uniformly at random among
 * Compositions for the XR's apiVersion and kind (an absent selector matches every Composition).
 * Once set, a ref is never re-selected. Throws ENGINE_SELECT_NO_COMPOSITION when nothing matches.
 */
export function selectComposition(
  xr: KubeObject,
  fields: SelectionFields,
  xrd: KubeObject | undefined,
  compositions: readonly KubeObject[],
  random: () => number = Math.random,
): Selection {
  const out: SelectionFields = { ...fields };
  const events: RenderEvent[] = [];
  let update = false;
  const xrdSpec = isObject(xrd?.spec) ? (xrd?.spec as Obj) : {};
  const enforced = refName(xrdSpec.enforcedCompositionRef);
  const orig = fields.compositionRef?.name;
  if (enforced !== undefined && out.compositionRef?.name !== enforced) {
    out.compositionRef = { name: enforced };
    events.push({ type: 'Normal', reason: 'CompositionSelection', message: 'Enforced composition has been selected' });
    update = true;
  }
  const dflt = refName(xrdSpec.defaultCompositionRef);
  if (out.compositionRef === undefined && out.compositionSelector === undefined && dflt !== undefined) {
    out.compositionRef = { name: dflt };
    events.push({ type: 'Normal', reason: 'CompositionSelection', message: 'Default composition has been selected' });
  }
  if (out.compositionRef === undefined) {
    const labels = out.compositionSelector?.matchLabels ?? {};
    const candidates = compositions
      .filter((c) => Object.entries(labels).every(([k, v]) => c.metadata?.labels?.[k] === v))
      .filter((c) => {
        const ref = isObject(c.spec) && isObject(c.spec.compositeTypeRef) ? c.spec.compositeTypeRef : {};
        return ref.apiVersion === xr.apiVersion && ref.kind === xr.kind;
      })
      .map((c) => c.metadata?.name ?? '');
    if (candidates.length === 0) throw new TrellisError(SelectErrorCode.NoComposition, 'no compatible Compositions found');
    const pick = candidates[Math.min(candidates.length - 1, Math.floor(random() * candidates.length))] as string;
    out.compositionRef = { name: pick };
    update = true;
  }
  if (out.compositionRef.name !== orig) {
    events.push({ type: 'Normal', reason: 'SelectComposition', message: `Successfully selected composition: ${out.compositionRef.name}` });
  }
  return { fields: out, events, update };
}

/**
 * SelectRevisionSelector gives an XR with neither a revision ref nor a revision selector the
 * XRD's default revision selector (v2.2+). The field is persisted with the next XR update.
 */
export function selectRevisionSelector(fields: SelectionFields, xrd: KubeObject | undefined): Selection {
  const xrdSpec = isObject(xrd?.spec) ? (xrd?.spec as Obj) : {};
  const dflt = xrdSpec.defaultCompositionRevisionSelector;
  if (fields.compositionRevisionSelector !== undefined || fields.compositionRevisionRef !== undefined || !isObject(dflt)) {
    return { fields, events: [], update: false };
  }
  return {
    fields: { ...fields, compositionRevisionSelector: { matchLabels: strMap(dflt.matchLabels) } },
    events: [{ type: 'Normal', reason: 'CompositionSelection', message: 'Default revision selector has been selected' }],
    update: false,
  };
}

/** A RevisionChoice is the revision an XR composes with. */
export interface RevisionChoice extends Selection {
  revision: KubeObject;
}

/**
 * ChooseRevision picks the CompositionRevision an XR uses (upstream's APIRevisionFetcher): under
 * the Manual policy an XR that already has a revision ref keeps it; otherwise the latest revision
 * the Composition controls among those labelled with its name (and, under Automatic, matching the
 * XR's revision selector) is chosen and the ref updated. The chosen revision must have
 * ValidPipeline=True. `revisions` are all revisions labelled with the Composition's name (and
 * the named one for Manual).
 */
export function chooseRevision(
  fields: SelectionFields,
  composition: KubeObject | undefined,
  revisions: readonly KubeObject[],
): RevisionChoice {
  const current = fields.compositionRevisionRef?.name;
  let revision: KubeObject | undefined;
  let out = fields;
  const events: RenderEvent[] = [];
  let update = false;
  if (current !== undefined && fields.compositionUpdatePolicy === 'Manual') {
    revision = revisions.find((r) => r.metadata?.name === current);
    if (revision === undefined) {
      throw new TrellisError(
        SelectErrorCode.NoRevision,
        `cannot get CompositionRevision: CompositionRevision.apiextensions.crossplane.io "${current}" not found`,
      );
    }
  } else {
    if (composition === undefined) {
      throw new TrellisError(
        SelectErrorCode.NoRevision,
        `cannot get Composition: Composition.apiextensions.crossplane.io "${fields.compositionRef?.name ?? ''}" not found`,
      );
    }
    const labels: Record<string, string> =
      fields.compositionUpdatePolicy === 'Automatic' && fields.compositionRevisionSelector !== undefined
        ? { ...fields.compositionRevisionSelector.matchLabels }
        : {};
    labels[LabelCompositionName] = composition.metadata?.name ?? '';
    const matching = revisions.filter((r) => Object.entries(labels).every(([k, v]) => r.metadata?.labels?.[k] === v));
    revision = latestRevision(composition, matching);
    if (revision === undefined) throw new TrellisError(SelectErrorCode.NoRevision, 'no compatible CompositionRevisions found');
    const name = revision.metadata?.name ?? '';
    if (current !== name) {
      out = { ...fields, compositionRevisionRef: { name } };
      events.push({ type: 'Normal', reason: 'SelectComposition', message: `Selected composition revision: ${name}` });
      update = true;
    }
  }
  checkValidPipeline(revision);
  return { fields: out, events, update, revision };
}

/** CheckValidPipeline throws unless the revision's ValidPipeline condition is True. */
export function checkValidPipeline(revision: KubeObject): void {
  const status = isObject(revision.status) ? revision.status : {};
  const conds = Array.isArray(status.conditions) ? (status.conditions as Obj[]) : [];
  const c = conds.find((x) => x.type === 'ValidPipeline');
  if (c?.status === 'True') return;
  const msg = typeof c?.message === 'string' && c.message !== '' ? c.message : 'pipeline status unknown';
  throw new TrellisError(
    SelectErrorCode.InvalidPipeline,
    `selected CompositionRevision ${revision.metadata?.name ?? ''} does not have a valid function pipeline: ${msg}`,
  );
}

/**
 * CheckCompatible is upstream's APIConfigurator check: the revision's compositeTypeRef must be the
 * XR's apiVersion and kind.
 */
export function checkCompatible(xr: KubeObject, revision: KubeObject): void {
  const spec = isObject(revision.spec) ? revision.spec : {};
  const ref = isObject(spec.compositeTypeRef) ? spec.compositeTypeRef : {};
  if (ref.apiVersion !== xr.apiVersion || ref.kind !== xr.kind) {
    throw new TrellisError(SelectErrorCode.Incompatible, 'referenced composition is not compatible with this composite resource');
  }
}

/** SetSelectionFields writes selection fields back onto a copy of the XR. */
export function setSelectionFields(xr: KubeObject, schema: XrSchema, fields: SelectionFields): KubeObject {
  const out = structuredClone(xr);
  const spec = (isObject(out.spec) ? out.spec : {}) as Obj;
  out.spec = spec;
  let target = spec;
  if (schema === 'Modern') {
    target = (isObject(spec.crossplane) ? spec.crossplane : {}) as Obj;
    spec.crossplane = target;
  }
  for (const k of [
    'compositionRef',
    'compositionSelector',
    'compositionRevisionRef',
    'compositionRevisionSelector',
    'compositionUpdatePolicy',
  ] as const) {
    const v = fields[k];
    if (v === undefined) delete target[k];
    else target[k] = structuredClone(v);
  }
  return out;
}

function refName(v: unknown): string | undefined {
  return isObject(v) && typeof v.name === 'string' && v.name !== '' ? v.name : undefined;
}

function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
