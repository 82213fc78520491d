import { createHash } from 'node:crypto';
import { type KubeObject, type OwnerReference, TrellisError } from '@trellis/sdk';
import { LabelCompositionHash, LabelCompositionName } from '../names/names.ts';
import { marshalGoYaml } from '../render/goyaml.ts';

/**
 * CompositionRevisions as upstream Crossplane's Composition controller creates them
 * (internal/controller/apiextensions/composition): the hash, the name, the labels, the spec copy
 * and the revision numbering, as pure functions the controller calls.
 */

type Obj = Record<string, unknown>;

export const RevisionErrorCode = {
  /** A revision is controlled by something other than its Composition. */
  ForeignRevision: 'ENGINE_REVISION_FOREIGN',
} as const;

/**
 * CompositionHash is upstream's Composition.Hash(): the hex sha256 of the YAML of the labels, the
 * annotations and the spec (as the Go API type holds it: unknown fields dropped), each written by
 * sigs.k8s.io/yaml.
 */
export function compositionHash(comp: KubeObject): string {
  const labels = comp.metadata?.labels ?? null;
  const annotations = comp.metadata?.annotations ?? null;
  const h = createHash('sha256');
  h.update(marshalGoYaml(labels));
  h.update(marshalGoYaml(annotations));
  h.update(marshalGoYaml(typedCompositionSpec(isObject(comp.spec) ? comp.spec : {})));
  return h.digest('hex');
}

/** RevisionName is `<composition>-<first 7 hex of the hash>`. */
export function revisionName(comp: KubeObject, hash: string = compositionHash(comp)): string {
  return `${comp.metadata?.name ?? ''}-${hash.slice(0, 7)}`;
}

/**
 * NewCompositionRevision returns the CompositionRevision upstream creates for a Composition:
 * named `<composition>-<hash[:7]>`, labelled with the Composition's name and the hash (first 63
 * characters) and then with all the Composition's labels, annotated like it, controlled by it, and
 * carrying a copy of its spec with `spec.revision`.
 */
export function newCompositionRevision(comp: KubeObject, revision: number): KubeObject {
  const hash = compositionHash(comp);
  const labels: Record<string, string> = {
    [LabelCompositionName]: comp.metadata?.name ?? '',
    [LabelCompositionHash]: hash.slice(0, 63),
    ...(comp.metadata?.labels ?? {}),
  };
  const metadata: KubeObject['metadata'] = {
    name: revisionName(comp, hash),
    labels,
    ownerReferences: [controllerRef(comp)],
  };
  const annotations = comp.metadata?.annotations;
  if (annotations !== undefined && Object.keys(annotations).length > 0) metadata.annotations = { ...annotations };
  return {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'CompositionRevision',
    metadata,
    spec: { ...typedCompositionSpec(isObject(comp.spec) ? comp.spec : {}), revision },
  };
}

function controllerRef(comp: KubeObject): OwnerReference {
  return {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'Composition',
    name: comp.metadata?.name ?? '',
    uid: comp.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** RevisionNumber returns `spec.revision` (0 when absent). */
export function revisionNumber(rev: KubeObject): number {
  const n = isObject(rev.spec) ? rev.spec.revision : undefined;
  return typeof n === 'number' ? n : 0;
}

function controlledBy(obj: KubeObject, uid: string): boolean {
  return (obj.metadata?.ownerReferences ?? []).some((r) => r.controller === true && r.uid === uid);
}

/**
 * LatestRevision returns the revision with the highest `spec.revision` among those the
 * Composition controls, or undefined when it controls none.
 */
export function latestRevision(comp: KubeObject, revisions: readonly KubeObject[]): KubeObject | undefined {
  let latest: KubeObject | undefined;
  for (const r of revisions) {
    if (!controlledBy(r, comp.metadata?.uid ?? '')) continue;
    if (latest === undefined || revisionNumber(latest) < revisionNumber(r)) latest = r;
  }
  return latest === undefined || revisionNumber(latest) === 0 ? undefined : latest;
}

/** A RevisionPlan is what the Composition controller must write for one reconcile. */
export interface RevisionPlan {
  /** Revisions to update (re-adopted, or promoted to the latest number), as they should be. */
  update: KubeObject[];
  /** A revision to create, when none has the current hash. */
  create?: KubeObject;
  /** The revision number that now carries the current spec. */
  current: number;
  /** The current hash. */
  hash: string;
}

/**
 * PlanRevisions is the Composition controller's reconcile as a pure function: revisions of this
 * Composition (by the composition-name label) that lost their controller reference are
 * re-adopted; if a revision has the current hash and is not the latest, it is promoted to
 * latest+1 (reverting a Composition re-promotes its old revision); if none has the current hash,
 * revision latest+1 is created. A revision controlled by another object is an error.
 */
export function planRevisions(comp: KubeObject, revisions: readonly KubeObject[]): RevisionPlan {
  const hash = compositionHash(comp);
  const uid = comp.metadata?.uid ?? '';
  const latest = revisionNumber(latestRevision(comp, revisions) ?? { apiVersion: '', kind: '', metadata: {} });
  const update: KubeObject[] = [];
  let existing = 0;
  for (const r of revisions) {
    let rev = r;
    let changed = false;
    if (!controlledBy(rev, uid)) {
      const other = (rev.metadata?.ownerReferences ?? []).find((o) => o.controller === true);
      if (other !== undefined) {
        throw new TrellisError(
          RevisionErrorCode.ForeignRevision,
          `cannot own CompositionRevision: ${rev.metadata?.name ?? ''} is already controlled by ${other.kind} ${other.name} (UID ${other.uid})`,
        );
      }
      rev = structuredClone(rev);
      const refs = (rev.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid);
      rev.metadata.ownerReferences = [...refs, controllerRef(comp)];
      changed = true;
    }
    if (rev.metadata?.labels?.[LabelCompositionHash] === hash.slice(0, 63)) {
      existing = revisionNumber(rev);
      if (revisionNumber(rev) !== latest) {
        if (!changed) rev = structuredClone(rev);
        (rev.spec as Obj).revision = latest + 1;
        existing = latest + 1;
        changed = true;
      }
    }
    if (changed) update.push(rev);
  }
  if (existing > 0) return { update, current: existing, hash };
  return { update, create: newCompositionRevision(comp, latest + 1), current: latest + 1, hash };
}

/**
 * TypedCompositionSpec returns a Composition spec as the Go type CompositionSpec marshals it:
 * unknown fields dropped, required fields present, optional ones only when set. Upstream hashes
 * and copies this, so a stray field in a Composition does not change its revision.
 */
export function typedCompositionSpec(spec: Obj): Obj {
  const out: Obj = {};
  const ref = isObject(spec.compositeTypeRef) ? spec.compositeTypeRef : {};
  out.compositeTypeRef = { apiVersion: str(ref.apiVersion), kind: str(ref.kind) };
  if (typeof spec.mode === 'string' && spec.mode !== '') out.mode = spec.mode;
  if (Array.isArray(spec.pipeline) && spec.pipeline.length > 0) out.pipeline = spec.pipeline.map((s) => typedStep(isObject(s) ? s : {}));
  if (typeof spec.writeConnectionSecretsToNamespace === 'string')
    out.writeConnectionSecretsToNamespace = spec.writeConnectionSecretsToNamespace;
  // Legacy `mode: Resources` Compositions (Trellis converts them; upstream v2 cannot store them)
  // keep what they compose, so that editing their templates makes a new revision.
  if (spec.mode === 'Resources' || spec.pipeline === undefined) {
    for (const f of LEGACY_FIELDS) if (spec[f] !== undefined && spec[f] !== null) out[f] = structuredClone(spec[f]);
  }
  return out;
}

const LEGACY_FIELDS = ['resources', 'patchSets', 'environment'] as const;

function typedStep(s: Obj): Obj {
  const out: Obj = { step: str(s.step), functionRef: { name: str(isObject(s.functionRef) ? s.functionRef.name : undefined) } };
  if (s.input !== undefined && s.input !== null) out.input = structuredClone(s.input);
  if (Array.isArray(s.credentials) && s.credentials.length > 0) {
    out.credentials = s.credentials.map((c) => {
      const co = isObject(c) ? c : {};
      const cred: Obj = { name: str(co.name), source: str(co.source) };
      if (isObject(co.secretRef)) cred.secretRef = { name: str(co.secretRef.name), namespace: str(co.secretRef.namespace) };
      return cred;
    });
  }
  if (isObject(s.requirements)) {
    const req: Obj = {};
    const rr = s.requirements.requiredResources;
    if (Array.isArray(rr) && rr.length > 0) {
      req.requiredResources = rr.map((r) => {
        const ro = isObject(r) ? r : {};
        const sel: Obj = { requirementName: str(ro.requirementName), apiVersion: str(ro.apiVersion), kind: str(ro.kind) };
        if (typeof ro.namespace === 'string') sel.namespace = ro.namespace;
        if (typeof ro.name === 'string') sel.name = ro.name;
        if (isObject(ro.matchLabels) && Object.keys(ro.matchLabels).length > 0) sel.matchLabels = { ...ro.matchLabels };
        return sel;
      });
    }
    const rs = s.requirements.requiredSchemas;
    if (Array.isArray(rs) && rs.length > 0) {
      req.requiredSchemas = rs.map((r) => {
        const ro = isObject(r) ? r : {};
        return { requirementName: str(ro.requirementName), apiVersion: str(ro.apiVersion), kind: str(ro.kind) };
      });
    }
    out.requirements = req;
  }
  return out;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** CompositionRevisions is the revision factory the Composition controller uses. */
export const compositionRevisions = {
  hash: compositionHash,
  build: newCompositionRevision,
};
