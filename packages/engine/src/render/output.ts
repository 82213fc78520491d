import type { JsonObject } from '@trellis/functions';
import { type Condition, type KubeObject, TrellisError } from '@trellis/sdk';
import { AnnotationCompositionResourceName, AnnotationPaused, LabelComposite, renderUid } from '../names/names.ts';
import { RenderErrorCode } from './errors.ts';
import { compareStrings } from './render.ts';
import type { CompositeSchema, ObservedComposed, RenderEvent, RenderResult, TargetedCondition } from './types.ts';

/**
 * The shape `crossplane render` prints, rebuilt from a render result: this file mirrors what
 * upstream's composite reconciler does to an XR around FunctionComposer.Compose when it runs
 * against the in-memory client of `crossplane internal render`, so `trellis render` prints the
 * same documents.
 */

/** The fixed condition time `crossplane render` prints (render.ReplaceConditionTimestamps). */
export const RENDER_CONDITION_TIME = '2024-01-01T00:00:00Z';

/** RenderResourceVersion is the resourceVersion `crossplane render` gives the XR. */
const RENDER_RESOURCE_VERSION = '999';

/** A PreparedComposite is the XR as the reconciler hands it to the pipeline, and the events so far. */
export interface PreparedComposite {
  composite: KubeObject;
  events: RenderEvent[];
  schema: CompositeSchema;
}

/**
 * PrepareComposite returns the XR the way upstream's reconciler has it when the pipeline runs in
 * `crossplane render`: a UID (derived from its identity when missing), resourceVersion "999",
 * resourceRefs for the observed resources, the Composition selected, the
 * `crossplane.io/composite` label, and the Responsive condition. The input is not modified.
 */
export function prepareComposite(
  xr: KubeObject,
  composition: KubeObject,
  observed: readonly ObservedComposed[],
  schema: CompositeSchema,
): PreparedComposite {
  const out = structuredClone(xr);
  out.metadata ??= {};
  const events: RenderEvent[] = [];
  if ((out.metadata.uid ?? '') === '') {
    out.metadata.uid = renderUid(out.apiVersion, out.kind, out.metadata.namespace ?? '', out.metadata.name ?? '');
  }
  out.metadata.resourceVersion = RENDER_RESOURCE_VERSION;
  if (observed.length > 0) {
    const cluster = (out.metadata.namespace ?? '') === '';
    const refs = observed.map((o) => {
      const ref: JsonObject = { apiVersion: o.resource.apiVersion, kind: o.resource.kind, name: o.resource.metadata?.name ?? '' };
      if (cluster && (o.resource.metadata?.namespace ?? '') !== '') ref.namespace = o.resource.metadata.namespace;
      return dropEmpty(ref);
    });
    setPath(out, crossplanePath(schema, 'resourceRefs'), refs);
  }
  setResponsive(out);
  if (isPaused(out)) return { composite: out, events, schema };
  const compName = composition.metadata?.name ?? '';
  const orig = getPath(out, crossplanePath(schema, 'compositionRef'));
  setPath(out, crossplanePath(schema, 'compositionRef'), compName === '' ? {} : { name: compName });
  if (!isObject(orig) || orig.name !== compName || Object.keys(orig).length !== 1) {
    events.push({ type: 'Normal', reason: 'SelectComposition', message: `Successfully selected composition: ${compName}` });
  }
  if ((out.metadata.labels?.[LabelComposite] ?? '') === '') {
    out.metadata.labels = { ...(out.metadata.labels ?? {}), [LabelComposite]: out.metadata.name ?? '' };
  }
  if (schema === 'Legacy') {
    const ns = (composition.spec as JsonObject | undefined)?.writeConnectionSecretsToNamespace;
    if (typeof ns === 'string' && getPath(out, ['spec', 'writeConnectionSecretToRef']) === undefined) {
      setPath(out, ['spec', 'writeConnectionSecretToRef'], { name: out.metadata.uid, namespace: ns });
    }
  }
  return { composite: out, events, schema };
}

/** IsPaused reports whether the XR carries `crossplane.io/paused: "true"`. */
export function isPaused(xr: KubeObject): boolean {
  return xr.metadata?.annotations?.[AnnotationPaused] === 'true';
}

/** CheckRenderInputs applies `crossplane render`'s checks of the XR against the Composition. */
export function checkRenderInputs(xr: KubeObject, composition: KubeObject, schema: CompositeSchema): void {
  const spec = isObject(composition.spec) ? composition.spec : {};
  const ref = isObject(spec.compositeTypeRef) ? spec.compositeTypeRef : {};
  const fail = (msg: string): TrellisError => new TrellisError(RenderErrorCode.InvalidInput, msg);
  if (ref.kind !== xr.kind) {
    throw fail(`composition's compositeTypeRef.kind (${String(ref.kind ?? '')}) does not match XR's kind (${xr.kind})`);
  }
  if (ref.apiVersion !== xr.apiVersion) {
    throw fail(
      `composition's compositeTypeRef.apiVersion (${String(ref.apiVersion ?? '')}) does not match XR's apiVersion (${xr.apiVersion})`,
    );
  }
  const sel = getPath(xr, [...crossplanePath(schema, 'compositionSelector'), 'matchLabels']);
  if (isObject(sel)) {
    const labels = composition.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(sel)) {
      const have = labels[k];
      const name = composition.metadata?.name ?? '';
      if (have === undefined) throw fail(`composition "${name}" is missing required label "${k}"`);
      if (have !== v) throw fail(`composition "${name}" has incorrect value for label "${k}": want "${String(v)}", got "${have}"`);
    }
  }
}

/** RenderOutputOptions choose the optional documents, as `crossplane render` flags do. */
export interface RenderOutputOptions {
  /** -x: merge the output XR into the input XR. */
  includeFullXr?: boolean;
  /** -r: print events as kind Result. */
  includeResults?: boolean;
  /** -c: print the final context as kind Context. */
  includeContext?: boolean;
}

/**
 * RenderOutput builds the documents `crossplane render` prints for a successful render: the XR
 * (identity, resourceRefs and status), the composed resources sorted by composition resource name,
 * then optionally the results and the context.
 */
export function renderOutput(
  input: KubeObject,
  prepared: PreparedComposite,
  result: RenderResult,
  opts: RenderOutputOptions = {},
): JsonObject[] {
  const xr = prepared.composite;
  const status = compositeStatus(xr, result, prepared.schema);
  let out: JsonObject = identity(xr);
  setPath(
    out,
    crossplanePath(prepared.schema, 'resourceRefs'),
    result.resourceRefs.map((r) => dropEmpty({ ...r })),
  );
  out.status = status;
  if (opts.includeFullXr === true) out = mergeOverride(structuredClone(input) as JsonObject, out);
  replaceConditionTimes(out);
  const docs: JsonObject[] = [out];
  const composed = result.composed.map((c) => {
    const o = structuredClone(c.resource) as JsonObject;
    replaceConditionTimes(o);
    return o;
  });
  composed.sort((a, b) => compareStrings(annotationOf(a), annotationOf(b)));
  docs.push(...composed);
  if (opts.includeResults === true) docs.push(...[...prepared.events, ...result.events].map(resultDoc));
  if (opts.includeContext === true && result.context !== undefined)
    docs.push({ apiVersion: 'render.crossplane.io/v1beta1', kind: 'Context', fields: result.context });
  return docs;
}

/**
 * PausedOutput is what `crossplane render` prints for a paused XR: the XR with Synced=False
 * ReconcilePaused, nothing composed.
 */
export function pausedOutput(input: KubeObject, prepared: PreparedComposite, opts: RenderOutputOptions = {}): JsonObject[] {
  const xr = structuredClone(prepared.composite) as KubeObject;
  const conditions = setConditionList(conditionsOf(xr), [
    withGeneration(
      {
        type: 'Synced',
        status: 'False',
        reason: 'ReconcilePaused',
        message: 'Reconciliation (including deletion) is paused via the pause annotation',
      },
      xr,
    ),
  ]);
  xr.status = { ...(isObject(xr.status) ? xr.status : {}), conditions };
  let out = xr as JsonObject;
  if (opts.includeFullXr === true) out = mergeOverride(structuredClone(input) as JsonObject, out);
  replaceConditionTimes(out);
  const docs: JsonObject[] = [out];
  if (opts.includeResults === true) {
    docs.push(resultDoc({ type: 'Normal', reason: 'ReconciliationPaused', message: 'Reconciliation is paused via the pause annotation' }));
  }
  return docs;
}

function resultDoc(e: RenderEvent): JsonObject {
  return { apiVersion: 'render.crossplane.io/v1beta1', kind: 'Result', severity: e.type, reason: e.reason, message: e.message };
}

function annotationOf(o: JsonObject): string {
  const meta = isObject(o.metadata) ? o.metadata : {};
  const ann = isObject(meta.annotations) ? meta.annotations : {};
  const v = ann[AnnotationCompositionResourceName];
  return typeof v === 'string' ? v : '';
}

/**
 * CompositeStatus is the XR status upstream ends with: the desired composite's status, with the
 * XR's own conditions (including Responsive) merged in, then the functions' conditions, then
 * Synced and Ready.
 */
function compositeStatus(xr: KubeObject, result: RenderResult, schema: CompositeSchema): JsonObject {
  const desired = result.composite;
  const status: JsonObject = isObject(desired.status) ? structuredClone(desired.status) : {};
  let conditions = Array.isArray(status.conditions) ? (status.conditions as Condition[]) : [];
  conditions = setConditionList(conditions, conditionsOf(xr));
  const claimTypes: string[] = Array.isArray(status.claimConditionTypes) ? [...(status.claimConditionTypes as string[])] : [];
  conditions = setConditionList(conditions, result.conditions.map(plainCondition));
  for (const c of result.conditions) if (c.target === 'CompositeAndClaim' && !claimTypes.includes(c.type)) claimTypes.push(c.type);
  // Synced and Ready carry the generation of the object the reconciler holds after the pipeline:
  // the desired composite, which usually has no metadata.generation.
  const desiredXr = { metadata: isObject(desired.metadata) ? desired.metadata : {} } as KubeObject;
  conditions = setConditionList(
    conditions,
    result.compositeConditions.map((c) => withGeneration(c, desiredXr)),
  );
  status.conditions = conditions;
  // Only legacy XRs (which have claims) record claim condition types.
  if (claimTypes.length > 0 && schema === 'Legacy') status.claimConditionTypes = claimTypes;
  return status;
}

function plainCondition(c: TargetedCondition): Condition {
  const out: Condition = { type: c.type, status: c.status, reason: c.reason };
  if (c.message !== undefined) out.message = c.message;
  return out;
}

function identity(xr: KubeObject): JsonObject {
  const meta: JsonObject = { name: xr.metadata?.name ?? '' };
  if ((xr.metadata?.namespace ?? '') !== '') meta.namespace = xr.metadata.namespace;
  return { apiVersion: xr.apiVersion, kind: xr.kind, metadata: meta };
}

function conditionsOf(o: KubeObject | JsonObject): Condition[] {
  const status = isObject(o.status) ? o.status : {};
  return Array.isArray(status.conditions) ? (status.conditions as Condition[]) : [];
}

function setResponsive(xr: KubeObject): void {
  const c = withGeneration({ type: 'Responsive', status: 'True', reason: 'WatchCircuitClosed' }, xr);
  const status = isObject(xr.status) ? xr.status : {};
  xr.status = {
    ...status,
    conditions: setConditionList(conditionsOf(xr), [{ ...c, lastTransitionTime: `${new Date().toISOString().slice(0, 19)}Z` }]),
  };
}

function withGeneration(c: Condition, o: KubeObject): Condition {
  const g = o.metadata?.generation;
  return typeof g === 'number' && g !== 0 ? { ...c, observedGeneration: g } : { ...c };
}

/**
 * SetConditionList is crossplane-runtime's ConditionedStatus.SetConditions: a condition equal to
 * an existing one of its type (ignoring time) keeps the existing one; otherwise it replaces it or
 * is appended.
 */
function setConditionList(existing: readonly Condition[], updates: readonly Condition[]): Condition[] {
  const out = [...existing];
  for (const u of updates) {
    let exists = false;
    for (let i = 0; i < out.length; i++) {
      const e = out[i] as Condition;
      if (e.type !== u.type) continue;
      exists = true;
      if (conditionEqual(e, u)) continue;
      out[i] = u;
    }
    if (!exists) out.push(u);
  }
  return out;
}

function conditionEqual(a: Condition, b: Condition): boolean {
  return (
    a.type === b.type &&
    a.status === b.status &&
    a.reason === b.reason &&
    (a.message ?? '') === (b.message ?? '') &&
    (a.observedGeneration ?? 0) === (b.observedGeneration ?? 0)
  );
}

/**
 * ReplaceConditionTimes is render.ReplaceConditionTimestamps: when an object has a status, its
 * conditions are rewritten as crossplane-runtime Conditions (type, status, lastTransitionTime,
 * reason, message, observedGeneration) with the fixed render time.
 */
export function replaceConditionTimes(o: JsonObject): void {
  if (!isObject(o.status)) return;
  const raw = o.status.conditions;
  if (raw !== undefined && raw !== null && !Array.isArray(raw)) return;
  if (Array.isArray(raw) && raw.some((c) => !isObject(c))) return;
  const conds = (raw as JsonObject[] | null | undefined)?.map((c) => {
    const out: JsonObject = {
      type: str(c.type),
      status: str(c.status),
      lastTransitionTime: RENDER_CONDITION_TIME,
      reason: str(c.reason),
    };
    if (str(c.message) !== '') out.message = c.message;
    if (typeof c.observedGeneration === 'number' && c.observedGeneration !== 0) out.observedGeneration = c.observedGeneration;
    return out;
  });
  o.status.conditions = conds ?? null;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * MergeOverride merges `src` into `dst` as mergo.Merge(dst, src, mergo.WithOverride) does for JSON
 * objects: nested objects merge, every other value (including lists and null) from `src` wins.
 */
export function mergeOverride(dst: JsonObject, src: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(src)) {
    const d = dst[k];
    if (isObject(v) && isObject(d)) mergeOverride(d, v);
    else dst[k] = v;
  }
  return dst;
}

function crossplanePath(schema: CompositeSchema, field: string): string[] {
  return schema === 'Legacy' ? ['spec', field] : ['spec', 'crossplane', field];
}

function getPath(o: unknown, path: readonly string[]): unknown {
  let cur = o;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

function setPath(o: JsonObject | KubeObject, path: readonly string[], v: unknown): void {
  let cur = o as JsonObject;
  for (const p of path.slice(0, -1)) {
    if (!isObject(cur[p])) cur[p] = {};
    cur = cur[p] as JsonObject;
  }
  cur[path[path.length - 1] as string] = v;
}

function dropEmpty(o: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(o)) if (v === '' || v === undefined) delete o[k];
  return o;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * CheckObservedResources is `crossplane render`'s check of the observed resources it is given:
 * none may be controlled by another owner, and a namespaced XR's must be in its namespace.
 */
export function checkObservedResources(xr: KubeObject, observed: readonly ObservedComposed[]): void {
  const problems: string[] = [];
  const uid = xr.metadata?.uid ?? '';
  const ns = xr.metadata?.namespace ?? '';
  for (const o of observed) {
    const name = o.resource.metadata?.name ?? '';
    const ctrl = (o.resource.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
    if (ctrl !== undefined && ctrl.uid !== uid)
      problems.push(`observed resource ${name} has a controller ref but is not controlled by the XR`);
    if (ns !== '' && (o.resource.metadata?.namespace ?? '') !== ns)
      problems.push(`observed resource ${name} is not in the same namespace as the XR`);
  }
  if (problems.length > 0) throw new TrellisError(RenderErrorCode.InvalidInput, `invalid observed resources: ${problems.join('; ')}`);
}
