/**
 * The built-in function-go-templating (v0.12.x): renders the step's Go template (Inline, or
 * from the context for `source: Environment`) with the request as data (protojson field names:
 * `.observed.composite.resource`, `.desired.resources`, `.context`, `.extraResources`), the sprig
 * functions and the function's own helpers, then reads the `---`-separated YAML output: composed
 * resources named by the `gotemplating.fn.crossplane.io/composition-resource-name` annotation,
 * readiness from `gotemplating.fn.crossplane.io/ready`, XR status from documents of the XR's kind,
 * and the `meta.gotemplating.fn.crossplane.io/v1alpha1` kinds (CompositeConnectionDetails,
 * ClaimConditions, Context, ExtraResources).
 */
import { parseAllDocuments } from 'yaml';
import { EXTRA_RESOURCES_CONTEXT_KEY } from '../context.ts';
import { GoError, goWrap } from '../errors.ts';
import { getValue, type JsonMap } from '../fieldpath/fieldpath.ts';
import { goInt, intsFromJson, toPlainJson } from '../gofmt/values.ts';
import {
  ExecError,
  execute,
  executeNamed,
  FuncError,
  newTemplateSet,
  type TemplateFunc,
  type TemplateSet,
  type Value,
} from '../gotemplate/exec.ts';
import { sprigFuncs } from '../gotemplate/sprig.ts';
import { marshalYamlV3 } from '../gotemplate/yamlv3.ts';
import type { CompositionFunction, FunctionCondition, Resource, RunFunctionRequest, RunFunctionResponse } from '../protocol/types.ts';
import { fatal, guarded, responseTo } from '../response.ts';
import { parseGoDuration } from '../sequencer/duration.ts';

const ANNOTATION_NAME = 'gotemplating.fn.crossplane.io/composition-resource-name';
const ANNOTATION_READY = 'gotemplating.fn.crossplane.io/ready';
const META_API_VERSION = 'meta.gotemplating.fn.crossplane.io/v1alpha1';
const RECURSION_MAX = 1000;
const SYSTEM_CONDITIONS = new Set(['Ready', 'Synced', 'Healthy', 'UpToDate', 'Responsive']);

interface GoTemplateInput {
  source?: string;
  /** Response TTL as a Go duration (function-go-templating after v0.12). */
  ttl?: string;
  inline?: { template?: string; templates?: string[] };
  environment?: { key?: string };
  delims?: { left?: string; right?: string };
  options?: string[];
}

function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function b64(m: Record<string, Uint8Array> | undefined): Record<string, string> | undefined {
  if (m === undefined || Object.keys(m).length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) out[k] = Buffer.from(v).toString('base64');
  return out;
}

function resourceMap(r: Resource | undefined): JsonMap | undefined {
  if (r === undefined) return undefined;
  const out: JsonMap = { resource: structuredClone(r.resource) };
  const cd = b64(r.connectionDetails);
  if (cd !== undefined) out.connectionDetails = cd;
  if (r.ready !== undefined && r.ready !== 'READY_UNSPECIFIED') out.ready = r.ready;
  return out;
}

function stateMap(s: RunFunctionRequest['observed']): JsonMap | undefined {
  if (s === undefined) return undefined;
  const out: JsonMap = {};
  if (s.composite !== undefined) out.composite = resourceMap(s.composite);
  if (s.resources !== undefined && Object.keys(s.resources).length > 0) {
    out.resources = Object.fromEntries(Object.entries(s.resources).map(([k, r]) => [k, resourceMap(r)]));
  }
  return out;
}

/** RequestMap is the request as protojson renders it and encoding/json reads it back. */
export function requestMap(req: RunFunctionRequest): JsonMap {
  const m: JsonMap = {};
  if (req.meta !== undefined) {
    const meta: JsonMap = {};
    if (req.meta.tag !== undefined && req.meta.tag !== '') meta.tag = req.meta.tag;
    if (req.meta.capabilities !== undefined && req.meta.capabilities.length > 0) meta.capabilities = [...req.meta.capabilities];
    m.meta = meta;
  }
  const observed = stateMap(req.observed);
  if (observed !== undefined) m.observed = observed;
  const desired = stateMap(req.desired);
  if (desired !== undefined) m.desired = desired;
  if (req.input !== undefined) m.input = structuredClone(req.input);
  if (req.context !== undefined) m.context = structuredClone(req.context);
  const res = (x: Record<string, { items: Resource[] }> | undefined) =>
    x === undefined
      ? undefined
      : Object.fromEntries(Object.entries(x).map(([k, v]) => [k, v.items.length === 0 ? {} : { items: v.items.map(resourceMap) }]));
  if (req.extraResources !== undefined && Object.keys(req.extraResources).length > 0) m.extraResources = res(req.extraResources);
  if (req.credentials !== undefined && Object.keys(req.credentials).length > 0) {
    m.credentials = Object.fromEntries(
      Object.entries(req.credentials).map(([k, c]) => [
        k,
        c.credentialData === undefined ? {} : { credentialData: { data: b64(c.credentialData.data) ?? {} } },
      ]),
    );
  }
  if (req.requiredResources !== undefined && Object.keys(req.requiredResources).length > 0)
    m.requiredResources = res(req.requiredResources);
  if (m.extraResources === undefined && m.requiredResources !== undefined) m.extraResources = m.requiredResources;
  // function-go-templating decodes the request with k8s json: integral numbers are int64
  return intsFromJson(JSON.parse(JSON.stringify(m))) as JsonMap;
}

function fpGet(obj: Value, path: string): Value {
  try {
    return getValue(obj, path);
  } catch {
    return undefined;
  }
}

/** CustomFuncs are function-go-templating's own helpers. */
function customFuncs(setRef: { set?: TemplateSet }, depthRef: { n: number }): Record<string, TemplateFunc> {
  const included = new Map<string, number>();
  return {
    randomChoice: {
      params: [],
      variadic: 'string',
      fn: ((...choices: string[]) => {
        if (choices.length === 0) throw new FuncError('runtime error: invalid argument to Intn');
        return choices[Math.floor(Math.random() * choices.length)];
      }) as never,
    },
    toYaml: { params: ['any'], fn: ((v: Value) => marshalYamlV3(v)) as never },
    fromYaml: {
      params: ['string'],
      fn: ((s: string) => {
        const docs = parseAllDocuments(s, { schema: 'core', uniqueKeys: false });
        const first = Array.isArray(docs) ? docs[0] : undefined;
        if (first === undefined) return null;
        if (first.errors.length > 0) throw new FuncError(`yaml: ${first.errors[0]?.message ?? 'invalid YAML'}`);
        return yamlToGo(first.toJS({ maxAliasCount: 100 }));
      }) as never,
    },
    getResourceCondition: {
      params: ['string', 'map'],
      fn: ((ct: string, res: JsonMap | null) => conditionStruct(ct, res)) as never,
    },
    setResourceNameAnnotation: { params: ['string'], fn: ((name: string) => `${ANNOTATION_NAME}: ${name}`) as never },
    getComposedResource: {
      params: ['map', 'string'],
      fn: ((req: JsonMap, name: string) => {
        const v = fpGet(req, `observed.resources[${name}]resource`);
        return isMap(v) ? v : null;
      }) as never,
    },
    getComposedConnectionDetails: {
      params: ['map', 'string'],
      fn: ((req: JsonMap, name: string) => {
        const v = fpGet(req, `observed.resources[${name}]connectionDetails`);
        return isMap(v) ? v : null;
      }) as never,
    },
    getCompositeResource: {
      params: ['map'],
      fn: ((req: JsonMap) => {
        const v = fpGet(req, 'observed.composite.resource');
        return isMap(v) ? v : null;
      }) as never,
    },
    getExtraResources: {
      params: ['map', 'string'],
      fn: ((req: JsonMap, name: string) => {
        const a = fpGet(req, `requiredResources[${name}].items`) ?? fpGet(req, `extraResources[${name}].items`);
        return Array.isArray(a) ? a : null;
      }) as never,
    },
    getExtraResourcesFromContext: {
      params: ['map', 'string'],
      fn: ((req: JsonMap, name: string) => {
        const a = fpGet(req, `context[${EXTRA_RESOURCES_CONTEXT_KEY}][${name}].items`);
        return Array.isArray(a) ? a : null;
      }) as never,
    },
    getCredentialData: {
      params: ['map', 'string'],
      fn: ((req: JsonMap, name: string) => {
        const d = fpGet(req, `credentials[${name}].credentialData.data`);
        if (!isMap(d)) return null;
        return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, new Uint8Array(Buffer.from(String(v), 'base64'))]));
      }) as never,
    },
    include: {
      params: ['string', 'any'],
      fn: ((name: string, data: Value) => {
        const n = (included.get(name) ?? 0) + 1;
        if (n > RECURSION_MAX) throw new FuncError(`rendering template has a nested reference name: ${name}: unable to execute template`);
        included.set(name, n);
        depthRef.n++;
        try {
          const set = setRef.set;
          if (set === undefined) throw new FuncError('template set is not ready');
          return executeNamed(set, name, data, depthRef.n, 64 * 1024 * 1024);
        } catch (e) {
          if (e instanceof ExecError) throw new FuncError(e.message);
          throw e;
        } finally {
          included.set(name, (included.get(name) ?? 1) - 1);
          depthRef.n--;
        }
      }) as never,
    },
  };
}

function conditionStruct(ct: string, res: JsonMap | null): JsonMap {
  const conds = (fpGet(res, 'resource.status.conditions') ?? fpGet(res, 'status.conditions')) as unknown;
  if (Array.isArray(conds)) {
    for (const c of conds) {
      if (isMap(c) && c.type === ct) {
        return {
          Type: ct,
          Status: typeof c.status === 'string' ? c.status : '',
          LastTransitionTime: c.lastTransitionTime ?? '',
          Reason: c.reason ?? '',
          Message: c.message ?? '',
          ObservedGeneration: c.observedGeneration ?? 0,
        };
      }
    }
  }
  return { Type: ct, Status: 'Unknown', LastTransitionTime: '', Reason: '', Message: '', ObservedGeneration: 0 };
}

function yamlToGo(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v)) return goInt(v);
  if (Array.isArray(v)) return v.map(yamlToGo);
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, yamlToGo(x)]));
  return v;
}

function templateText(input: GoTemplateInput, req: RunFunctionRequest): string {
  switch (input.source) {
    case 'Inline': {
      const inl = input.inline;
      if (inl === undefined || ((inl.template ?? '') === '' && (inl.templates ?? []).length === 0)) {
        throw new GoError('inline.template or inline.templates should be provided');
      }
      return (inl.template ?? '') !== '' ? (inl.template ?? '') : (inl.templates ?? []).join('\n---\n');
    }
    case 'Environment': {
      const key = input.environment?.key ?? '';
      if (key === '') throw new GoError('environment.key should be provided');
      const env = req.context?.['apiextensions.crossplane.io/environment'];
      const t = isMap(env) ? env[key] : undefined;
      if (typeof t !== 'string' || t === '') throw new GoError(`cannot get template from environment key "${key}"`);
      return t;
    }
    case 'FileSystem':
      throw new GoError(
        'source FileSystem is not supported by the built-in go-templating function (there is no function filesystem in-process)',
      );
    case undefined:
    case '':
      throw new GoError('source is required');
    default:
      throw new GoError(`invalid source: ${input.source}`);
  }
}

/** MergoOverride is mergo.Merge(&dst, src, mergo.WithOverride) for JSON maps. */
function mergoOverride(dst: JsonMap, src: JsonMap): void {
  for (const [k, sv] of Object.entries(src)) {
    const dv = dst[k];
    if (isMap(sv) && isMap(dv)) {
      mergoOverride(dv, sv);
      continue;
    }
    if (sv === null || sv === undefined) continue;
    dst[k] = sv;
  }
}

function annotations(o: JsonMap): Record<string, unknown> {
  const md = o.metadata;
  return isMap(md) && isMap(md.annotations) ? md.annotations : {};
}

function removeAnnotation(o: JsonMap, key: string): void {
  const md = o.metadata;
  if (!isMap(md) || !isMap(md.annotations)) return;
  // crossplane-runtime's RemoveAnnotations sets the remaining (possibly empty) map back
  delete md.annotations[key];
}

function decodeDocuments(out: string): JsonMap[] {
  const docs = parseAllDocuments(out, { schema: 'core', uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [docs];
  const objs: JsonMap[] = [];
  list.forEach((d, i) => {
    if (d.errors.length > 0) {
      const e = d.errors[0];
      const line = (e?.linePos?.[0]?.line ?? 0) + 0;
      throw new GoError(
        `error converting YAML to JSON: yaml: line ${line} (document ${i + 1}): ${e?.message.split('\n')[0] ?? 'invalid YAML'}`,
      );
    }
    const v = d.toJS({ maxAliasCount: 100 }) as unknown;
    if (v === null || v === undefined) return;
    if (!isMap(v))
      throw new GoError(
        `error unmarshaling JSON: json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go value of type map[string]interface {}`,
      );
    objs.push(v);
  });
  return objs;
}

/** TemplateFuncs returns the function map function-go-templating gives templates (sprig and its helpers). */
export function templateFuncs(): Record<string, TemplateFunc> {
  return { ...sprigFuncs, ...customFuncs({}, { n: 0 }) };
}

export interface GoTemplatingOptions {
  /** Maximum rendered output in characters (default 64 Mi). */
  maxOutput?: number;
}

export function runGoTemplating(req: RunFunctionRequest, opts: GoTemplatingOptions = {}): RunFunctionResponse {
  return guarded(req, 'function-go-templating', () => runGoTemplatingUnguarded(req, opts));
}

function runGoTemplatingUnguarded(req: RunFunctionRequest, opts: GoTemplatingOptions): RunFunctionResponse {
  const rsp = responseTo(req, 60);
  const input = (req.input ?? {}) as GoTemplateInput;
  if (typeof input.ttl === 'string' && input.ttl !== '') {
    try {
      rsp.meta = { ...(rsp.meta ?? {}), ttlSeconds: parseGoDuration(input.ttl) };
    } catch {
      // upstream ignores a TTL it cannot parse
    }
  }
  let text: string;
  try {
    text = templateText(input, req);
  } catch (e) {
    fatal(rsp, goWrap(e, 'invalid function input'));
    return rsp;
  }
  const setRef: { set?: TemplateSet } = {};
  const depthRef = { n: 0 };
  const funcs = { ...sprigFuncs, ...customFuncs(setRef, depthRef) };
  let set: TemplateSet;
  try {
    const delims: [string, string] | undefined =
      input.delims?.left !== undefined && input.delims.right !== undefined ? [input.delims.left, input.delims.right] : undefined;
    set = newTemplateSet('manifests', text, funcs, delims);
  } catch (e) {
    fatal(rsp, goWrap(e, 'invalid function input: cannot parse the provided templates'));
    return rsp;
  }
  setRef.set = set;
  for (const o of input.options ?? []) {
    const m = /^missingkey=(.*)$/.exec(o);
    if (m && ['invalid', 'default'].includes(m[1] ?? '')) set.missingKey = 'default';
    else if (m && m[1] === 'zero') set.missingKey = 'zero';
    else if (m && m[1] === 'error') set.missingKey = 'error';
    else {
      fatal(rsp, new GoError(`cannot apply template options: panic occurred while applying template options: unrecognized option: ${o}`));
      return rsp;
    }
  }
  let out: string;
  try {
    out = execute(set, 'manifests', requestMap(req), opts.maxOutput === undefined ? {} : { maxOutput: opts.maxOutput });
  } catch (e) {
    fatal(rsp, goWrap(e, 'cannot execute template'));
    return rsp;
  }
  let objs: JsonMap[];
  try {
    objs = decodeDocuments(out);
  } catch (e) {
    fatal(rsp, goWrap(e, 'cannot decode manifest'));
    return rsp;
  }
  try {
    applyObjects(req, rsp, objs);
  } catch (e) {
    fatal(rsp, e);
  }
  return rsp;
}

function applyObjects(req: RunFunctionRequest, rsp: RunFunctionResponse, objs: JsonMap[]): void {
  const oxr = req.observed?.composite?.resource ?? {};
  const dxrResource: JsonMap = structuredClone(req.desired?.composite?.resource ?? {});
  const dxrConn: Record<string, Uint8Array> = { ...(req.desired?.composite?.connectionDetails ?? {}) };
  let dxrReady: Resource['ready'] = 'READY_UNSPECIFIED';
  const desired: Record<string, Resource> = {};
  for (const [k, r] of Object.entries(req.desired?.resources ?? {}))
    desired[k] = { resource: structuredClone(r.resource), ready: r.ready ?? 'READY_UNSPECIFIED' };
  const requirements: { extraResources: Record<string, JsonMap>; resources: Record<string, JsonMap> } = {
    extraResources: {},
    resources: {},
  };
  const conditions: FunctionCondition[] = [];
  let context = rsp.context;

  for (const obj0 of objs) {
    const obj = toPlainJson(obj0) as JsonMap;
    const anns = annotations(obj);
    let ready: Resource['ready'] | undefined;
    if (obj.apiVersion !== META_API_VERSION && Object.hasOwn(anns, ANNOTATION_READY)) {
      const v = String(anns[ANNOTATION_READY]);
      if (!['True', 'False', 'Unspecified'].includes(v)) {
        throw new GoError(
          `invalid function input: invalid "${ANNOTATION_READY}" annotation value "${v}": must be True, False, or Unspecified`,
        );
      }
      ready = v === 'True' ? 'READY_TRUE' : v === 'False' ? 'READY_FALSE' : 'READY_UNSPECIFIED';
      removeAnnotation(obj, ANNOTATION_READY);
    }
    for (const [k, v] of Object.entries(anns)) {
      if (typeof v !== 'string') {
        throw new GoError(
          `invalid annotations in resource '${String(obj.apiVersion ?? '')}, Kind=${String(obj.kind ?? '')} resource-name=${String(anns[ANNOTATION_NAME] ?? '<nil>')}': .metadata.annotations.${k} accessor error: ${String(v)} is of the type ${typeof v === 'number' ? 'float64' : typeof v}, expected string`,
        );
      }
    }
    const nameFound = Object.hasOwn(anns, ANNOTATION_NAME);
    const name = String(anns[ANNOTATION_NAME] ?? '');
    if (obj.apiVersion === oxr.apiVersion && obj.kind === oxr.kind && !nameFound) {
      const dst = isMap(dxrResource.status) ? dxrResource.status : undefined;
      const src = isMap(obj.status) ? obj.status : undefined;
      if (dst !== undefined || src !== undefined) {
        const merged: JsonMap = structuredClone(dst ?? {});
        mergoOverride(merged, src ?? {});
        dxrResource.status = merged;
      }
      if (ready !== undefined) dxrReady = ready;
      continue;
    }
    if (obj.apiVersion === META_API_VERSION) {
      switch (obj.kind) {
        case 'CompositeConnectionDetails': {
          const data = isMap(obj.data) ? obj.data : {};
          for (const [k, v] of Object.entries(data)) if (typeof v === 'string') dxrConn[k] = new Uint8Array(Buffer.from(v, 'base64'));
          break;
        }
        case 'ClaimConditions': {
          const list = Array.isArray(obj.conditions) ? obj.conditions : [];
          for (const c of list) {
            if (!isMap(c)) continue;
            const type = String(c.type ?? '');
            if (SYSTEM_CONDITIONS.has(type))
              throw new GoError(`cannot set ClaimCondition type: ${type} is a reserved Crossplane Condition`);
            const cond: FunctionCondition = {
              type,
              status:
                c.status === 'True'
                  ? 'STATUS_CONDITION_TRUE'
                  : c.status === 'False'
                    ? 'STATUS_CONDITION_FALSE'
                    : 'STATUS_CONDITION_UNKNOWN',
              reason: String(c.reason ?? ''),
              target: c.target === 'CompositeAndClaim' ? 'TARGET_COMPOSITE_AND_CLAIM' : 'TARGET_COMPOSITE',
            };
            if (typeof c.message === 'string' && c.message !== '') cond.message = c.message;
            conditions.push(cond);
          }
          break;
        }
        case 'Context': {
          const data = isMap(obj.data) ? obj.data : {};
          const merged: JsonMap = structuredClone(req.context ?? {});
          mergoOverride(merged, data);
          context = { ...(context ?? {}), ...merged };
          break;
        }
        case 'ExtraResources': {
          const reqs = isMap(obj.requirements) ? obj.requirements : {};
          for (const [k, v] of Object.entries(reqs)) {
            if (!isMap(v)) continue;
            if (Object.hasOwn(requirements.extraResources, k)) throw new GoError(`duplicate extra resource key "${k}"`);
            const sel: JsonMap = { apiVersion: String(v.apiVersion ?? ''), kind: String(v.kind ?? '') };
            if ((v.matchName ?? '') === '') sel.matchLabels = { labels: isMap(v.matchLabels) ? v.matchLabels : {} };
            else {
              sel.matchName = v.matchName;
              if ((v.namespace ?? '') !== '') sel.namespace = v.namespace;
            }
            requirements.resources[k] = sel;
            if ((v.namespace ?? '') === '') requirements.extraResources[k] = sel;
          }
          break;
        }
        default:
          throw new GoError(
            `invalid kind "${String(obj.kind ?? '')}" for apiVersion "${META_API_VERSION}" - must be one of CompositeConnectionDetails, Context or ExtraResources`,
          );
      }
      continue;
    }
    removeAnnotation(obj, ANNOTATION_NAME);
    if (!nameFound) throw new GoError(`"${String(obj.kind ?? '')}" template is missing required "${ANNOTATION_NAME}" annotation`);
    desired[name] = { resource: obj, ready: ready ?? 'READY_UNSPECIFIED' };
  }

  rsp.desired = {
    ...(rsp.desired ?? {}),
    resources: desired,
    composite: { resource: dxrResource, connectionDetails: dxrConn, ready: dxrReady },
  };
  if (conditions.length > 0) rsp.conditions = [...(rsp.conditions ?? []), ...conditions];
  if (context !== undefined) rsp.context = context;
  if (Object.keys(requirements.extraResources).length > 0 || Object.keys(requirements.resources).length > 0) {
    rsp.requirements = requirements as unknown as RunFunctionResponse['requirements'] & object;
  }
  const required = req.requiredResources !== undefined && Object.keys(req.requiredResources).length > 0 ? req.requiredResources : undefined;
  const extra = req.extraResources !== undefined && Object.keys(req.extraResources).length > 0 ? req.extraResources : undefined;
  for (const src of [extra, required]) {
    if (src === undefined) continue;
    const asMap = JSON.parse(
      JSON.stringify(Object.fromEntries(Object.entries(src).map(([k, v]) => [k, { items: v.items.map((r) => resourceMap(r)) }]))),
    ) as JsonMap;
    const existing = req.context?.[EXTRA_RESOURCES_CONTEXT_KEY];
    rsp.context = { ...(rsp.context ?? {}), [EXTRA_RESOURCES_CONTEXT_KEY]: isMap(existing) ? { ...existing, ...asMap } : asMap };
  }
}

export class GoTemplating implements CompositionFunction {
  readonly options: GoTemplatingOptions;
  constructor(options: GoTemplatingOptions = {}) {
    this.options = options;
  }
  async run(req: RunFunctionRequest): Promise<RunFunctionResponse> {
    return runGoTemplating(req, this.options);
  }
}
