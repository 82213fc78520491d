import type { KubeObject } from '@trellis/sdk';
import { isPlainObject } from '../../apply/fields.ts';
import {
  checkCompatible,
  chooseRevision,
  type SelectionFields,
  selectComposition,
  selectionFieldsOf,
  selectRevisionSelector,
} from '../../select/select.ts';

/** What the XR controller selects from: the XRD and the Compositions and revisions it can see. */
export interface SelectionSources {
  xrd: KubeObject | undefined;
  compositions: readonly KubeObject[];
  revisions: readonly KubeObject[];
}

/** The composition fields a claim's binding carries (those the claim copies back from its XR). */
export type BindingSelection = Pick<SelectionFields, 'compositionRef' | 'compositionRevisionSelector' | 'compositionRevisionRef'>;

/**
 * PreselectComposition runs, for a claim whose XR does not exist yet, the selection the new XR's
 * controller will make (the same pure chain, `select/`), and returns the fields the claim would
 * copy back from the XR afterwards: the Composition (unless the claim names one), the default
 * revision selector (unless the claim has one) and, under the Automatic policy, the revision.
 * Written with the binding, they save the claim a second update (and the status update its new
 * generation needs); the Composition also reaches the XR with the claim's apply, so the XR does
 * not select again. Any step that fails (nothing compatible yet, an invalid pipeline) returns
 * undefined: the XR selects, and reports the failure, as before.
 */
export function preselectComposition(
  claim: KubeObject,
  xrType: { apiVersion: string; kind: string },
  sources: SelectionSources,
  random: () => number,
): BindingSelection | undefined {
  const claimSpec = isPlainObject(claim.spec) ? claim.spec : {};
  // The XR as the claim's first apply creates it: the claim's spec without a revision ref
  // (`xrPatch` strips it from a new XR), and the update policy the XR CRD defaults it to.
  const { compositionRevisionRef: _dropped, ...spec } = claimSpec;
  const xrdSpec = isPlainObject(sources.xrd?.spec) ? sources.xrd.spec : {};
  if (spec.compositionUpdatePolicy === undefined) spec.compositionUpdatePolicy = xrdSpec.defaultCompositionUpdatePolicy ?? 'Automatic';
  const xr: KubeObject = { apiVersion: xrType.apiVersion, kind: xrType.kind, metadata: {}, spec };
  try {
    const sel = selectComposition(xr, selectionFieldsOf(xr, 'Legacy'), sources.xrd, sources.compositions, random);
    const fields = selectRevisionSelector(sel.fields, sources.xrd).fields;
    const comp = sources.compositions.find((c) => c.metadata.name === fields.compositionRef?.name);
    const choice = chooseRevision(fields, comp, sources.revisions);
    checkCompatible(xr, choice.revision);
    const out: BindingSelection = {};
    const enforced = isPlainObject(xrdSpec.enforcedCompositionRef);
    if (fields.compositionRef !== undefined && (claimSpec.compositionRef === undefined || enforced))
      out.compositionRef = fields.compositionRef;
    if (fields.compositionRevisionSelector !== undefined && claimSpec.compositionRevisionSelector === undefined) {
      out.compositionRevisionSelector = fields.compositionRevisionSelector;
    }
    if (choice.fields.compositionUpdatePolicy === 'Automatic' && choice.fields.compositionRevisionRef !== undefined) {
      out.compositionRevisionRef = choice.fields.compositionRevisionRef;
    }
    return out;
  } catch {
    return undefined;
  }
}
