import {
  type CompositionFunction,
  type Credentials,
  type FunctionCondition,
  type JsonObject,
  lazyTagMeta,
  type Requirements,
  type Resource,
  type ResourceSelector,
  type Resources,
  type RunFunctionRequest,
  type RunFunctionResponse,
  type Schema,
  type State,
} from '@trellis/functions';
import { linkSignal } from '@trellis/kube';
import { type Condition, type KubeObject, type OwnerReference, TrellisError, wrap } from '@trellis/sdk';
import {
  AnnotationCompositionResourceName,
  childName,
  LabelClaimName,
  LabelClaimNamespace,
  LabelComposite,
  nameProblems,
} from '../names/names.ts';
import { dependencyMap, findDependencies } from './dependencies.ts';
import { RenderErrorCode } from './errors.ts';
import { type LegacyConverter, type PipelineStep, pipelineOf } from './pipeline.ts';
import { checkResponse } from './response.ts';
import { compareCodePoints, requestTag } from './tag.ts';
import type { DesiredComposed, ObservedComposed, RenderEvent, RenderInput, RenderResult, StepResult, TargetedCondition } from './types.ts';

/** MaxRequirementsIterations is how often a step may be re-run for new requirements (upstream: 5). */
export const MaxRequirementsIterations = 5;

/** The capabilities Crossplane advertises in every request (xfn.SupportedCapabilities). */
const CAPABILITIES = [
  'CAPABILITY_CAPABILITIES',
  'CAPABILITY_REQUIRED_RESOURCES',
  'CAPABILITY_CREDENTIALS',
  'CAPABILITY_CONDITIONS',
  'CAPABILITY_REQUIRED_SCHEMAS',
] as const;

/** System condition types a function may not set (Ready, Synced, Healthy, UpToDate, Responsive). */
const SYSTEM_CONDITIONS = new Set(['Ready', 'Synced', 'Healthy', 'UpToDate', 'Responsive']);

const REASON_COMPOSE = 'ComposeResources';
const DEFAULT_STEP_TIMEOUT_MS = 30_000;

/** RenderOptions are the optional parts of render that are not inputs. */
export interface RenderOptions {
  /** Converts legacy `mode: Resources` Compositions (the functions package provides one). */
  convertLegacy?: LegacyConverter;
}

/**
 * Render runs a Composition's function pipeline for one composite resource and returns everything
 * the XR controller applies and writes as status, and everything `trellis render` prints. It does
 * no I/O itself: functions, required resources, schemas and credentials come through the seams in
 * `input`.
 *
 * It follows upstream Crossplane's FunctionComposer.Compose: observed state is built once; each
 * step gets the previous step's desired state and context; a step whose response asks for
 * resources is re-run with them until its requirements settle (at most 5 re-runs); a FATAL result
 * stops the pipeline (ENGINE_RENDER_PIPELINE_FATAL, with the results and conditions gathered so far
 * in `details`); the final desired composed resources get upstream's name, labels, annotation and
 * controller reference. Throws a TrellisError (codes in {@link RenderErrorCode}) on any failure.
 */
export async function render(input: RenderInput, opts: RenderOptions = {}): Promise<RenderResult> {
  const xr = input.composite;
  checkComposite(xr);
  const steps = pipelineOf(input.composition, opts.convertLegacy);
  const functions = resolveFunctions(steps, input);
  const observed = observeComposed(xr, input.observed ?? []);
  const observedState = asObservedState(xr, input.compositeConnectionDetails, observed);

  const acc = newAccumulator();
  let desired: State | undefined = {};
  let context: JsonObject | undefined = input.context === undefined ? {} : structuredClone(input.context);
  for (const step of steps) {
    const fn = functions.get(step.step) as CompositionFunction;
    const req = await buildRequest(step, fn, observedState, desired, context, input);
    const rsp = await runStep(step, fn, req, input, acc);
    const ttl = rsp.meta?.ttlSeconds;
    if (ttl !== undefined && ttl > 0 && (acc.ttl === undefined || ttl < acc.ttl)) acc.ttl = ttl;
    desired = rsp.desired;
    context = rsp.context;
    collectConditions(step.step, rsp.conditions ?? [], acc);
    collectResults(step.step, rsp, acc);
  }

  const composed = buildComposed(xr, desired?.resources ?? {}, observed, input, acc);
  const removed = [...observed.entries()].filter(([name]) => !composed.has(name)).map(([, o]) => o);
  const edges = findDependencies(new Map([...composed].map(([k, v]) => [k, v.resource])), steps);
  const deps = dependencyMap(edges);
  const composedList = [...composed.values()]
    .map((c) => ({ ...c, dependsOn: deps[c.name] ?? [] }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const compositeReady = readyOf(desired?.composite?.ready);
  const readinessEvents = composedList
    .filter((c) => !c.ready)
    .map((c): RenderEvent => ({ type: 'Normal', reason: REASON_COMPOSE, message: `Composed resource "${c.name}" is not yet ready` }));

  return {
    composite: desired?.composite?.resource ?? {},
    compositeConnectionDetails: desired?.composite?.connectionDetails ?? {},
    compositeReady,
    composed: composedList,
    removed,
    resourceRefs: resourceRefsFor(xr, composedList),
    results: acc.results,
    events: [...acc.events, ...readinessEvents],
    conditions: acc.conditions,
    compositeConditions: compositeConditions(composedList, compositeReady),
    context,
    ttlSeconds: acc.ttl,
    dependencies: deps,
    dependencyEdges: edges,
    requirements: acc.requirements,
  };
}

interface Accumulator {
  results: StepResult[];
  events: RenderEvent[];
  conditions: TargetedCondition[];
  requirements: Record<string, Record<string, ResourceSelector>>;
  ttl: number | undefined;
}

function newAccumulator(): Accumulator {
  return { results: [], events: [], conditions: [], requirements: {}, ttl: undefined };
}

function invalidInput(msg: string): TrellisError {
  return new TrellisError(RenderErrorCode.InvalidInput, msg);
}

function checkComposite(xr: KubeObject): void {
  if (!isObject(xr) || !isObject(xr.metadata)) throw invalidInput('composite resource: metadata: Required value');
  const id = `composite resource ${xr.kind ?? '<no kind>'} "${xr.metadata.name ?? ''}"`;
  if (typeof xr.apiVersion !== 'string' || xr.apiVersion === '') throw invalidInput(`${id}: apiVersion: Required value`);
  if (typeof xr.kind !== 'string' || xr.kind === '') throw invalidInput(`${id}: kind: Required value`);
  if (typeof xr.metadata.name !== 'string' || xr.metadata.name === '') throw invalidInput(`${id}: metadata.name: Required value`);
  if (typeof xr.metadata.uid !== 'string' || xr.metadata.uid === '') throw invalidInput(`${id}: metadata.uid: Required value`);
}

function resolveFunctions(steps: readonly PipelineStep[], input: RenderInput): Map<string, CompositionFunction> {
  const out = new Map<string, CompositionFunction>();
  for (const s of steps) {
    const fn = input.functions(s.functionRef.name);
    if (fn === undefined) {
      throw new TrellisError(
        RenderErrorCode.UnknownFunction,
        `cannot run Composition pipeline step "${s.step}": unknown function "${s.functionRef.name}"`,
        { details: { step: s.step, function: s.functionRef.name } },
      );
    }
    out.set(s.step, fn);
  }
  return out;
}

/**
 * ObserveComposed keys observed composed resources by their composition resource name. Resources
 * controlled by another owner are ignored, as upstream pretends they do not exist; a resource
 * without the annotation is an error.
 */
function observeComposed(xr: KubeObject, observed: readonly ObservedComposed[]): Map<string, ObservedComposed> {
  const out = new Map<string, ObservedComposed>();
  for (const o of observed) {
    const ctrl = (o.resource.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
    if (ctrl !== undefined && ctrl.uid !== xr.metadata.uid) continue;
    const name = o.resource.metadata?.annotations?.[AnnotationCompositionResourceName];
    if (name === undefined || name === '') {
      throw invalidInput(
        `cannot get existing composed resources: encountered composed resource without required "${AnnotationCompositionResourceName}" annotation (${o.resource.kind} "${o.resource.metadata?.name ?? ''}")`,
      );
    }
    out.set(name, o);
  }
  return out;
}

function asObservedState(xr: KubeObject, xrConns: Record<string, Uint8Array> | undefined, observed: Map<string, ObservedComposed>): State {
  const resources: Record<string, Resource> = {};
  for (const [name, o] of observed) {
    resources[name] = { resource: o.resource as JsonObject, connectionDetails: o.connectionDetails ?? {} };
  }
  return { composite: { resource: xr as JsonObject, connectionDetails: xrConns ?? {} }, resources };
}

async function buildRequest(
  step: PipelineStep,
  fn: CompositionFunction,
  observed: State,
  desired: State | undefined,
  context: JsonObject | undefined,
  input: RenderInput,
): Promise<RunFunctionRequest> {
  const req: RunFunctionRequest = { observed };
  if (desired !== undefined) req.desired = desired;
  if (step.input !== undefined && step.input !== null) req.input = step.input;
  if (context !== undefined) req.context = context;
  req.credentials = await credentialsFor(step, input);
  if (step.requirements !== undefined && step.requirements !== null) {
    req.requiredResources = {};
    for (const sel of step.requirements.requiredResources ?? []) {
      const selector = toResourceSelector(sel);
      req.requiredResources[sel.requirementName] = await fetchResources(input, selector, () =>
        wrapLookup(`cannot fetch bootstrap required resources for requirement "${sel.requirementName}"`),
      );
    }
    req.requiredSchemas = {};
    for (const sel of step.requirements.requiredSchemas ?? []) {
      req.requiredSchemas[sel.requirementName] = await fetchSchema(input, { apiVersion: sel.apiVersion, kind: sel.kind }, () =>
        wrapLookup(`cannot fetch bootstrap required schema for requirement "${sel.requirementName}"`),
      );
    }
  }
  // The tag hashes the whole request: a pure function gets it computed only if it reads it.
  req.meta =
    fn.pure === true ? lazyTagMeta(() => requestTag(req), [...CAPABILITIES]) : { tag: requestTag(req), capabilities: [...CAPABILITIES] };
  return req;
}

function wrapLookup(msg: string): (err: unknown) => TrellisError {
  return (err) => wrap(err, msg, RenderErrorCode.LookupFailed);
}

async function credentialsFor(step: PipelineStep, input: RenderInput): Promise<Record<string, Credentials>> {
  const out: Record<string, Credentials> = {};
  for (const c of step.credentials ?? []) {
    if (c.source !== 'Secret' || c.secretRef === undefined) continue;
    const msg = `cannot get Composition pipeline step "${step.step}" credential "${c.name}" from Secret`;
    let data: Record<string, Uint8Array> | undefined;
    try {
      data = await input.credentials?.(c.secretRef);
    } catch (err) {
      throw wrap(err, msg, RenderErrorCode.LookupFailed);
    }
    if (data === undefined) {
      throw new TrellisError(RenderErrorCode.LookupFailed, `${msg}: Secret "${c.secretRef.name}" not found`);
    }
    out[c.name] = { credentialData: { data } };
  }
  return out;
}

function toResourceSelector(sel: NonNullable<NonNullable<PipelineStep['requirements']>['requiredResources']>[number]): ResourceSelector {
  const out: ResourceSelector = { apiVersion: sel.apiVersion, kind: sel.kind };
  if (sel.namespace !== undefined) out.namespace = sel.namespace;
  if (sel.name !== undefined) out.matchName = sel.name;
  else if (sel.matchLabels !== undefined) out.matchLabels = { labels: sel.matchLabels };
  return out;
}

/**
 * FetchResources answers a selector through the lookup seam with upstream's semantics: a name that
 * matches nothing is an empty list; label matches are sorted by namespace/name.
 */
async function fetchResources(
  input: RenderInput,
  selector: ResourceSelector,
  onError: () => (err: unknown) => TrellisError,
): Promise<Resources> {
  let found: readonly JsonObject[];
  try {
    found = (await input.requiredResources?.(selector)) ?? [];
  } catch (err) {
    throw onError()(err);
  }
  const items = [...found];
  if (selector.matchName === undefined) items.sort((a, b) => compareStrings(nsName(a), nsName(b)));
  return { items: items.map((r) => ({ resource: r })) };
}

async function fetchSchema(
  input: RenderInput,
  selector: { apiVersion: string; kind: string },
  onError: () => (err: unknown) => TrellisError,
): Promise<Schema> {
  try {
    const s = await input.requiredSchemas?.(selector);
    return s === undefined ? {} : { openapiV3: s };
  } catch (err) {
    throw onError()(err);
  }
}

function nsName(o: JsonObject): string {
  const m = isObject(o.metadata) ? o.metadata : {};
  return `${typeof m.namespace === 'string' ? m.namespace : ''}/${typeof m.name === 'string' ? m.name : ''}`;
}

/**
 * RunStep calls a step's function, re-running it while its requirements change (upstream's
 * FetchingFunctionRunner): each re-run gets the bootstrap requirements plus what the previous
 * response asked for, and the previous response's context.
 */
async function runStep(
  step: PipelineStep,
  fn: CompositionFunction,
  req: RunFunctionRequest,
  input: RenderInput,
  acc: Accumulator,
): Promise<RunFunctionResponse> {
  const bootstrapResources = req.requiredResources === undefined ? undefined : { ...req.requiredResources };
  const bootstrapSchemas = req.requiredSchemas === undefined ? undefined : { ...req.requiredSchemas };
  let requirements: Requirements | undefined;
  for (let i = 0; i <= MaxRequirementsIterations; i++) {
    const rsp = await callFunction(step, fn, req, input);
    if ((rsp.results ?? []).some((r) => r.severity === 'SEVERITY_FATAL')) return rsp;
    if (requirementsEqual(rsp.requirements, requirements)) return rsp;
    requirements = rsp.requirements;
    const wanted = requirements ?? {};
    // The request changes below and every call of the step keeps the first call's tag (as
    // upstream): a lazy tag not read yet is computed now, from the request as it was.
    void req.meta?.tag;
    req.extraResources = {};
    req.requiredResources = { ...(bootstrapResources ?? {}) };
    req.requiredSchemas = { ...(bootstrapSchemas ?? {}) };
    const stepReqs: Record<string, ResourceSelector> = acc.requirements[step.step] ?? {};
    acc.requirements[step.step] = stepReqs;
    const fail = (name: string) => () => (err: unknown) =>
      wrap(err, `cannot run Composition pipeline step "${step.step}": fetching resources for ${name}`, RenderErrorCode.LookupFailed);
    for (const [name, sel] of Object.entries(wanted.extraResources ?? {})) {
      req.extraResources[name] = await fetchResources(input, sel, fail(name));
      stepReqs[name] = sel;
    }
    for (const [name, sel] of Object.entries(wanted.resources ?? {})) {
      req.requiredResources[name] = await fetchResources(input, sel, fail(name));
      stepReqs[name] = sel;
    }
    for (const [name, sel] of Object.entries(wanted.schemas ?? {})) {
      req.requiredSchemas[name] = await fetchSchema(
        input,
        sel,
        () => (err: unknown) =>
          wrap(err, `cannot run Composition pipeline step "${step.step}": fetching schema for ${name}`, RenderErrorCode.LookupFailed),
      );
    }
    if (rsp.context !== undefined) req.context = rsp.context;
    else delete req.context;
  }
  throw new TrellisError(
    RenderErrorCode.RequirementsUnstable,
    `cannot run Composition pipeline step "${step.step}": requirements didn't stabilize after the maximum number of iterations (${MaxRequirementsIterations})`,
  );
}

async function callFunction(
  step: PipelineStep,
  fn: CompositionFunction,
  req: RunFunctionRequest,
  input: RenderInput,
): Promise<RunFunctionResponse> {
  // A linked signal, not AbortSignal.any([input.signal, AbortSignal.timeout()]): see linkSignal.
  const linked = linkSignal(input.signal, input.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS);
  let rsp: RunFunctionResponse;
  try {
    rsp = await fn.run(req, { signal: linked.signal });
  } catch (err) {
    const why = linked.timedOut() ? `: timed out after ${input.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS}ms` : '';
    throw wrap(err, `cannot run Composition pipeline step "${step.step}"${why}`, RenderErrorCode.FunctionFailed);
  } finally {
    linked.dispose();
  }
  try {
    checkResponse(rsp);
  } catch (err) {
    throw wrap(err, `cannot run Composition pipeline step "${step.step}"`, RenderErrorCode.MalformedResponse);
  }
  return rsp;
}

function requirementsEqual(a: Requirements | undefined, b: Requirements | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    selectorMapsEqual(a.extraResources, b.extraResources) &&
    selectorMapsEqual(a.resources, b.resources) &&
    schemaMapsEqual(a.schemas, b.schemas)
  );
}

function selectorMapsEqual(a: Record<string, ResourceSelector> | undefined, b: Record<string, ResourceSelector> | undefined): boolean {
  const ma = a ?? {};
  const mb = b ?? {};
  const ka = Object.keys(ma).sort();
  const kb = Object.keys(mb).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => selectorEqual(ma[k] as ResourceSelector, mb[k] as ResourceSelector));
}

function selectorEqual(a: ResourceSelector, b: ResourceSelector): boolean {
  if (a.apiVersion !== b.apiVersion || a.kind !== b.kind || a.namespace !== b.namespace || a.matchName !== b.matchName) return false;
  if ((a.matchLabels === undefined) !== (b.matchLabels === undefined)) return false;
  const la = a.matchLabels?.labels ?? {};
  const lb = b.matchLabels?.labels ?? {};
  const ka = Object.keys(la).sort();
  const kb = Object.keys(lb).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && la[k] === lb[k]);
}

function schemaMapsEqual(
  a: Record<string, { apiVersion: string; kind: string }> | undefined,
  b: Record<string, { apiVersion: string; kind: string }> | undefined,
): boolean {
  const ma = a ?? {};
  const mb = b ?? {};
  const ka = Object.keys(ma).sort();
  const kb = Object.keys(mb).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => ma[k]?.apiVersion === mb[k]?.apiVersion && ma[k]?.kind === mb[k]?.kind);
}

const CONDITION_STATUS = {
  STATUS_CONDITION_TRUE: 'True',
  STATUS_CONDITION_FALSE: 'False',
  STATUS_CONDITION_UNKNOWN: 'Unknown',
  STATUS_CONDITION_UNSPECIFIED: 'Unknown',
} as const;

function collectConditions(step: string, conditions: readonly FunctionCondition[], acc: Accumulator): void {
  for (const c of conditions) {
    if (SYSTEM_CONDITIONS.has(c.type)) continue;
    const out: TargetedCondition = {
      type: c.type,
      status: CONDITION_STATUS[c.status],
      reason: c.reason,
      target: c.target === 'TARGET_COMPOSITE_AND_CLAIM' ? 'CompositeAndClaim' : 'Composite',
      step,
    };
    if (c.message !== undefined && c.message !== '') out.message = c.message;
    acc.conditions.push(out);
  }
}

/** CollectResults records results as upstream does, and throws on the first FATAL one. */
function collectResults(step: string, rsp: RunFunctionResponse, acc: Accumulator): void {
  for (const r of rsp.results ?? []) {
    acc.results.push({ ...r, step });
    const reason = r.reason !== undefined && r.reason !== '' ? r.reason : REASON_COMPOSE;
    const detail = `Pipeline step "${step}"`;
    const claim = r.target === 'TARGET_COMPOSITE_AND_CLAIM';
    switch (r.severity) {
      case 'SEVERITY_FATAL':
        throw new TrellisError(RenderErrorCode.PipelineFatal, `pipeline step "${step}" returned a fatal result: ${r.message}`, {
          details: { step, message: r.message, results: acc.results, events: acc.events, conditions: acc.conditions },
        });
      case 'SEVERITY_WARNING':
        acc.events.push(event('Warning', reason, `${detail}: ${r.message}`, step, claim ? r.message : undefined));
        break;
      case 'SEVERITY_NORMAL':
        acc.events.push(event('Normal', reason, `${detail}: ${r.message}`, step, claim ? r.message : undefined));
        break;
      default:
        acc.events.push(
          event('Warning', reason, `Pipeline step "${step}" returned a result of unknown severity (assuming warning): ${r.message}`, step),
        );
    }
  }
}

function event(type: 'Normal' | 'Warning', reason: string, message: string, step?: string, claimMessage?: string): RenderEvent {
  const e: RenderEvent = { type, reason, message };
  if (step !== undefined) e.step = step;
  if (claimMessage !== undefined) e.claimMessage = claimMessage;
  return e;
}

/**
 * BuildComposed turns the final desired resources into objects to apply: observed names are
 * kept, namespaced XRs force their namespace, upstream's labels, annotation and controller
 * reference are added, and new resources get the deterministic name.
 */
function buildComposed(
  xr: KubeObject,
  desired: Record<string, Resource>,
  observed: Map<string, ObservedComposed>,
  input: RenderInput,
  acc: Accumulator,
): Map<string, Omit<DesiredComposed, 'dependsOn'>> {
  const out = new Map<string, Omit<DesiredComposed, 'dependsOn'>>();
  const xrNs = xr.metadata.namespace ?? '';
  for (const name of Object.keys(desired).sort(compareStrings)) {
    const dr = desired[name] as Resource;
    const cd = toComposed(name, dr.resource);
    const or = observed.get(name);
    if (or !== undefined) {
      setMeta(cd, 'namespace', or.resource.metadata?.namespace);
      setMeta(cd, 'name', or.resource.metadata?.name);
      setMeta(cd, 'generateName', or.resource.metadata?.generateName);
    }
    const cdNs = cd.metadata.namespace ?? '';
    if (xrNs !== '' && cdNs === '' && input.isClusterScoped?.(cd.apiVersion, cd.kind) === true) {
      throw new TrellisError(
        RenderErrorCode.InvalidComposed,
        `cannot apply cluster scoped composed resource "${name}" (a ${cd.kind} named ${cd.metadata.name ?? ''}) for a namespaced composite resource.`,
      );
    }
    if (xrNs !== '' && cdNs !== '' && cdNs !== xrNs) {
      acc.events.push(
        event(
          'Warning',
          'NamespaceOverridden',
          `cannot create composed resource "${name}" in namespace "${cdNs}", using XR namespace "${xrNs}" instead`,
        ),
      );
    }
    renderMetadata(cd, xr, name);
    if ((cd.metadata.name ?? '') === '') {
      cd.metadata.name = childName(cd.metadata.generateName ?? '', xr.metadata.uid ?? '', name);
    }
    const cdName = cd.metadata.name as string;
    if (nameProblems(cdName, cd.apiVersion, cd.kind).length > 0) {
      throw new TrellisError(
        RenderErrorCode.InvalidComposed,
        `cannot apply composed resource "${name}" because it has an invalid name "${cdName}". Must be a valid RFC 1123 subdomain name.`,
      );
    }
    out.set(name, {
      name,
      resource: cd,
      ready: dr.ready === 'READY_TRUE',
      connectionDetails: dr.connectionDetails ?? {},
      observed: or !== undefined,
    });
  }
  return out;
}

function toComposed(name: string, resource: JsonObject | undefined): KubeObject {
  const msg = `cannot unmarshal desired composed resource "${name}" from RunFunctionResponse`;
  if (!isObject(resource)) throw new TrellisError(RenderErrorCode.MalformedResponse, `${msg}: resource: Required value`);
  // Only metadata is changed below (its maps and lists are replaced, never edited in place), so a
  // shallow copy keeps the function's response untouched without a deep clone.
  const cd = { ...resource } as KubeObject;
  if (isObject(cd.metadata)) cd.metadata = { ...cd.metadata };
  if (typeof cd.apiVersion !== 'string' || cd.apiVersion === '') {
    throw new TrellisError(RenderErrorCode.MalformedResponse, `${msg}: apiVersion: Required value`);
  }
  if (typeof cd.kind !== 'string' || cd.kind === '')
    throw new TrellisError(RenderErrorCode.MalformedResponse, `${msg}: kind: Required value`);
  if (cd.metadata === undefined || cd.metadata === null) cd.metadata = {};
  if (!isObject(cd.metadata)) throw new TrellisError(RenderErrorCode.MalformedResponse, `${msg}: metadata: must be an object`);
  for (const f of ['name', 'namespace', 'generateName'] as const) {
    const v = cd.metadata[f];
    if (v !== undefined && typeof v !== 'string')
      throw new TrellisError(RenderErrorCode.MalformedResponse, `${msg}: metadata.${f}: must be a string`);
  }
  for (const f of ['labels', 'annotations'] as const) {
    const v = cd.metadata[f];
    if (v === undefined || v === null) continue;
    if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) {
      throw new TrellisError(RenderErrorCode.MalformedResponse, `${msg}: metadata.${f}: must be a map of strings`);
    }
  }
  const refs = cd.metadata.ownerReferences;
  if (refs !== undefined && refs !== null && !Array.isArray(refs)) {
    throw new TrellisError(RenderErrorCode.MalformedResponse, `${msg}: metadata.ownerReferences: must be a list`);
  }
  return cd;
}

/** SetMeta sets a metadata string field, removing it when empty (Go's unstructured setters). */
function setMeta(o: KubeObject, field: 'name' | 'namespace' | 'generateName', v: string | undefined): void {
  if (v === undefined || v === '') delete o.metadata[field];
  else o.metadata[field] = v;
}

/** RenderMetadata is upstream's RenderComposedResourceMetadata. */
function renderMetadata(cd: KubeObject, xr: KubeObject, name: string): void {
  const xrLabels = xr.metadata.labels ?? {};
  const top = xrLabels[LabelComposite] ?? '';
  const fail = (msg: string): TrellisError =>
    new TrellisError(RenderErrorCode.InvalidComposed, `cannot render metadata for composed resource "${name}": ${msg}`);
  if (top === '') throw fail(`cannot find top-level composite resource name label "${LabelComposite}" in composite resource metadata`);
  if ((cd.metadata.name ?? '') === '' && (cd.metadata.generateName ?? '') === '') cd.metadata.generateName = `${top}-`;
  if ((xr.metadata.namespace ?? '') !== '') cd.metadata.namespace = xr.metadata.namespace as string;
  if (name !== '') cd.metadata.annotations = { ...(cd.metadata.annotations ?? {}), [AnnotationCompositionResourceName]: name };
  const labels: Record<string, string> = { [LabelComposite]: top };
  const claimName = xrLabels[LabelClaimName] ?? '';
  const claimNs = xrLabels[LabelClaimNamespace] ?? '';
  if (claimName !== '' && claimNs !== '') {
    labels[LabelClaimName] = claimName;
    labels[LabelClaimNamespace] = claimNs;
  }
  cd.metadata.labels = { ...(cd.metadata.labels ?? {}), ...labels };
  const ref: OwnerReference = {
    apiVersion: xr.apiVersion,
    kind: xr.kind,
    name: xr.metadata.name ?? '',
    uid: xr.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
  const refs = [...(cd.metadata.ownerReferences ?? [])];
  const ctrl = refs.find((r) => r.controller === true);
  if (ctrl !== undefined && ctrl.uid !== ref.uid) {
    throw fail(
      `cannot set controller reference: ${cd.metadata.name ?? ''} is already controlled by ${ctrl.kind} ${ctrl.name} (UID ${ctrl.uid})`,
    );
  }
  const i = refs.findIndex((r) => r.uid === ref.uid);
  if (i >= 0) refs[i] = ref;
  else refs.push(ref);
  cd.metadata.ownerReferences = refs;
}

function resourceRefsFor(xr: KubeObject, composed: readonly DesiredComposed[]): RenderResult['resourceRefs'] {
  const namespaced = (xr.metadata.namespace ?? '') !== '';
  const refs = composed.map((c) => {
    const ref: RenderResult['resourceRefs'][number] = {
      apiVersion: c.resource.apiVersion,
      kind: c.resource.kind,
      name: c.resource.metadata.name ?? '',
    };
    const ns = c.resource.metadata.namespace ?? '';
    if (!namespaced && ns !== '') ref.namespace = ns;
    return ref;
  });
  const key = (r: RenderResult['resourceRefs'][number]): string => r.apiVersion + r.kind + r.name + (r.namespace ?? '');
  return refs.sort((a, b) => compareStrings(key(a), key(b)));
}

function readyOf(r: Resource['ready'] | undefined): boolean | undefined {
  if (r === 'READY_TRUE') return true;
  if (r === 'READY_FALSE') return false;
  return undefined;
}

/**
 * CompositeConditions derives the XR's Synced and Ready conditions from a successful render:
 * Synced=True ReconcileSuccess; Ready=True Available when every desired resource is ready (or the
 * pipeline said the XR is ready), else Ready=False Creating with the unready names.
 */
export function compositeConditions(composed: readonly DesiredComposed[], compositeReady: boolean | undefined): Condition[] {
  const synced: Condition = { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' };
  const unready = composed.filter((c) => !c.ready).map((c) => c.name);
  let ready: Condition = { type: 'Ready', status: 'True', reason: 'Available' };
  if (unready.length > 0)
    ready = { type: 'Ready', status: 'False', reason: 'Creating', message: `Unready resources: ${stableNAndSomeMore(3, unready)}` };
  if (compositeReady !== undefined) {
    ready = compositeReady
      ? { type: 'Ready', status: 'True', reason: 'Available' }
      : { type: 'Ready', status: 'False', reason: 'Creating' };
  }
  return [synced, ready];
}

/**
 * StableNAndSomeMore renders a sorted list of names the way upstream's resource.StableNAndSomeMore
 * does: `a, b`, `a, b, and c`, `a, b, c, and 2 more`.
 */
export function stableNAndSomeMore(n: number, names: readonly string[]): string {
  const sorted = [...names].sort(compareStrings);
  if (sorted.length > n) return `${sorted.slice(0, n).join(', ')}, and ${sorted.length - n} more`;
  if (sorted.length === n) return `${sorted.slice(0, n - 1).join(', ')}, and ${sorted[n - 1]}`;
  return sorted.join(', ');
}

/** CompareStrings orders strings by UTF-8 bytes, as Go's string comparison does. */
export function compareStrings(a: string, b: string): number {
  return compareCodePoints(a, b);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
