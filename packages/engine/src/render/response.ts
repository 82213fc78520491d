import { TrellisError } from '@trellis/sdk';
import { RenderErrorCode } from './errors.ts';

const READY = new Set(['READY_UNSPECIFIED', 'READY_TRUE', 'READY_FALSE']);
const SEVERITY = new Set(['SEVERITY_UNSPECIFIED', 'SEVERITY_FATAL', 'SEVERITY_WARNING', 'SEVERITY_NORMAL']);
const TARGET = new Set(['TARGET_UNSPECIFIED', 'TARGET_COMPOSITE', 'TARGET_COMPOSITE_AND_CLAIM']);
const STATUS = new Set(['STATUS_CONDITION_UNSPECIFIED', 'STATUS_CONDITION_UNKNOWN', 'STATUS_CONDITION_TRUE', 'STATUS_CONDITION_FALSE']);

/**
 * CheckResponse verifies that a function's response follows the protocol types before render
 * uses it, so a broken function (in-process or remote) ends in an error that names the field
 * instead of a crash deep inside render. Throws ENGINE_RENDER_MALFORMED_RESPONSE.
 */
export function checkResponse(rsp: unknown): void {
  const problem = findProblem(rsp);
  if (problem !== undefined) throw new TrellisError(RenderErrorCode.MalformedResponse, `malformed RunFunctionResponse: ${problem}`);
}

function findProblem(rsp: unknown): string | undefined {
  if (!isObject(rsp)) return `response must be an object, got ${typeName(rsp)}`;
  const meta = rsp.meta;
  if (meta !== undefined) {
    if (!isObject(meta)) return `meta: must be an object, got ${typeName(meta)}`;
    const ttl = meta.ttlSeconds;
    if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0)) {
      return `meta.ttlSeconds: must be a non-negative number, got ${describe(ttl)}`;
    }
  }
  if (rsp.desired !== undefined) {
    const p = stateProblem(rsp.desired, 'desired');
    if (p !== undefined) return p;
  }
  if (rsp.context !== undefined && !isObject(rsp.context)) return `context: must be an object, got ${typeName(rsp.context)}`;
  if (rsp.results !== undefined) {
    if (!Array.isArray(rsp.results)) return `results: must be a list, got ${typeName(rsp.results)}`;
    for (const [i, r] of rsp.results.entries()) {
      if (!isObject(r)) return `results[${i}]: must be an object, got ${typeName(r)}`;
      if (!SEVERITY.has(r.severity as string)) return `results[${i}].severity: unknown severity ${describe(r.severity)}`;
      if (typeof r.message !== 'string') return `results[${i}].message: must be a string, got ${typeName(r.message)}`;
      if (r.reason !== undefined && typeof r.reason !== 'string')
        return `results[${i}].reason: must be a string, got ${typeName(r.reason)}`;
      if (r.target !== undefined && !TARGET.has(r.target as string)) return `results[${i}].target: unknown target ${describe(r.target)}`;
    }
  }
  if (rsp.conditions !== undefined) {
    if (!Array.isArray(rsp.conditions)) return `conditions: must be a list, got ${typeName(rsp.conditions)}`;
    for (const [i, c] of rsp.conditions.entries()) {
      if (!isObject(c)) return `conditions[${i}]: must be an object, got ${typeName(c)}`;
      if (typeof c.type !== 'string' || c.type === '') return `conditions[${i}].type: must be a non-empty string`;
      if (!STATUS.has(c.status as string)) return `conditions[${i}].status: unknown status ${describe(c.status)}`;
      if (typeof c.reason !== 'string') return `conditions[${i}].reason: must be a string, got ${typeName(c.reason)}`;
      if (c.message !== undefined && typeof c.message !== 'string') return `conditions[${i}].message: must be a string`;
      if (c.target !== undefined && !TARGET.has(c.target as string)) return `conditions[${i}].target: unknown target ${describe(c.target)}`;
    }
  }
  if (rsp.requirements !== undefined) {
    const p = requirementsProblem(rsp.requirements);
    if (p !== undefined) return p;
  }
  return undefined;
}

function stateProblem(s: unknown, path: string): string | undefined {
  if (!isObject(s)) return `${path}: must be an object, got ${typeName(s)}`;
  if (s.composite !== undefined) {
    const p = resourceProblem(s.composite, `${path}.composite`);
    if (p !== undefined) return p;
  }
  if (s.resources !== undefined) {
    if (!isObject(s.resources)) return `${path}.resources: must be a map, got ${typeName(s.resources)}`;
    for (const [name, r] of Object.entries(s.resources)) {
      const p = resourceProblem(r, `${path}.resources[${JSON.stringify(name)}]`);
      if (p !== undefined) return p;
    }
  }
  return undefined;
}

function resourceProblem(r: unknown, path: string): string | undefined {
  if (!isObject(r)) return `${path}: must be an object, got ${typeName(r)}`;
  if (r.resource !== undefined && !isObject(r.resource)) return `${path}.resource: must be an object, got ${typeName(r.resource)}`;
  if (r.ready !== undefined && !READY.has(r.ready as string)) return `${path}.ready: unknown readiness ${describe(r.ready)}`;
  if (r.connectionDetails !== undefined) {
    if (!isObject(r.connectionDetails)) return `${path}.connectionDetails: must be a map, got ${typeName(r.connectionDetails)}`;
    for (const [k, v] of Object.entries(r.connectionDetails)) {
      if (!(v instanceof Uint8Array)) return `${path}.connectionDetails[${JSON.stringify(k)}]: must be bytes, got ${typeName(v)}`;
    }
  }
  return undefined;
}

function requirementsProblem(req: unknown): string | undefined {
  if (!isObject(req)) return `requirements: must be an object, got ${typeName(req)}`;
  for (const field of ['extraResources', 'resources'] as const) {
    const m = req[field];
    if (m === undefined) continue;
    if (!isObject(m)) return `requirements.${field}: must be a map, got ${typeName(m)}`;
    for (const [name, sel] of Object.entries(m)) {
      const at = `requirements.${field}[${JSON.stringify(name)}]`;
      if (!isObject(sel)) return `${at}: must be an object, got ${typeName(sel)}`;
      if (typeof sel.apiVersion !== 'string' || sel.apiVersion === '') return `${at}.apiVersion: must be a non-empty string`;
      if (typeof sel.kind !== 'string' || sel.kind === '') return `${at}.kind: must be a non-empty string`;
      if (sel.matchName !== undefined && typeof sel.matchName !== 'string') return `${at}.matchName: must be a string`;
      if (sel.matchLabels !== undefined) {
        if (!isObject(sel.matchLabels) || !isObject(sel.matchLabels.labels ?? {})) return `${at}.matchLabels: must be {labels: map}`;
        for (const [k, v] of Object.entries((sel.matchLabels.labels ?? {}) as object)) {
          if (typeof v !== 'string') return `${at}.matchLabels.labels[${JSON.stringify(k)}]: must be a string`;
        }
      }
      if (sel.namespace !== undefined && typeof sel.namespace !== 'string') return `${at}.namespace: must be a string`;
    }
  }
  if (req.schemas !== undefined) {
    if (!isObject(req.schemas)) return `requirements.schemas: must be a map, got ${typeName(req.schemas)}`;
    for (const [name, sel] of Object.entries(req.schemas)) {
      const at = `requirements.schemas[${JSON.stringify(name)}]`;
      if (!isObject(sel) || typeof sel.apiVersion !== 'string' || typeof sel.kind !== 'string') return `${at}: must be {apiVersion, kind}`;
    }
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}
