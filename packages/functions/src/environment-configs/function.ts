/**
 * The built-in function-environment-configs (v0.7.x): asks for EnvironmentConfigs by name
 * (`Reference`) or by labels (`Selector`, Single or Multiple with sorting and min/max), through
 * the requirements loop (`environment-config-<i>`), then merges their `data` in order (later
 * wins, objects merge deeply) over `defaultData` and any environment already in the context, and
 * writes the result to the context key `apiextensions.crossplane.io/environment`.
 */
import { ENVIRONMENT_CONTEXT_KEY } from '../context.ts';
import { GoError, goWrap, isNotFound } from '../errors.ts';
import { getString, getValue, type JsonMap, setValue } from '../fieldpath/fieldpath.ts';
import { goTypeName } from '../gofmt/values.ts';
import type { CompositionFunction, ResourceSelector, RunFunctionRequest, RunFunctionResponse } from '../protocol/types.ts';
import { fatal, guarded, responseTo } from '../response.ts';

interface LabelMatcher {
  type?: string;
  key?: string;
  valueFromFieldPath?: string;
  fromFieldPathPolicy?: string;
  value?: string;
}

interface Source {
  type?: string;
  ref?: { name?: string };
  selector?: { mode?: string; maxMatch?: number; minMatch?: number; sortByFieldPath?: string; matchLabels?: LabelMatcher[] };
  toFieldPath?: string;
}

interface Input {
  spec?: { defaultData?: JsonMap; environmentConfigs?: Source[]; policy?: { resolution?: string } };
}

const EC_API = 'apiextensions.crossplane.io/v1beta1';

function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** MergeMaps is upstream's mergeMaps: b over a, recursing where both sides are objects. */
export function mergeMaps(a: JsonMap, b: JsonMap): JsonMap {
  const out: JsonMap = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const av = out[k];
    if (isMap(v) && isMap(av)) {
      out[k] = mergeMaps(av, v);
      continue;
    }
    out[k] = v;
  }
  return out;
}

function buildRequirements(input: Input, xr: JsonMap): Record<string, ResourceSelector> {
  const resources: Record<string, ResourceSelector> = {};
  (input.spec?.environmentConfigs ?? []).forEach((config, i) => {
    const name = `environment-config-${i}`;
    const type = config.type ?? '';
    if (type === 'Reference' || type === '') {
      resources[name] = { apiVersion: EC_API, kind: 'EnvironmentConfig', matchName: config.ref?.name ?? '' };
    } else if (type === 'Selector') {
      const labels: Record<string, string> = {};
      for (const m of config.selector?.matchLabels ?? []) {
        const mt = m.type ?? 'FromCompositeFieldPath';
        if (mt === 'Value') {
          labels[m.key ?? ''] = m.value ?? '';
        } else if (mt === 'FromCompositeFieldPath') {
          try {
            labels[m.key ?? ''] = getString(xr, m.valueFromFieldPath ?? '');
          } catch (e) {
            if (m.fromFieldPathPolicy !== 'Optional') throw goWrap(e, `cannot get value from field path "${m.valueFromFieldPath ?? ''}"`);
          }
        }
      }
      if (Object.keys(labels).length > 0) resources[name] = { apiVersion: EC_API, kind: 'EnvironmentConfig', matchLabels: { labels } };
    }
  });
  return resources;
}

function objName(o: JsonMap): string {
  return isMap(o.metadata) && typeof o.metadata.name === 'string' ? o.metadata.name : '';
}

function sortByFieldPath(items: JsonMap[], path: string): JsonMap[] {
  if (path === '') throw new GoError('cannot sort by empty field path');
  const vals = items.map((r) => {
    try {
      return getValue(r, path);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  });
  let t: string | undefined;
  for (const v of vals) {
    if (v === null || v === undefined) continue;
    const vt = goTypeName(v) ?? '';
    if (t === undefined) t = vt;
    else if (t !== vt) throw new GoError(`cannot sort values of different types "${t}" and "${vt}"`);
  }
  if (t === undefined) return items;
  if (t !== 'float64' && t !== 'string')
    throw new GoError(`unsupported type "${t === 'bool' ? 'bool' : t.startsWith('map') ? 'map' : 'slice'}" for sorting`);
  const zero = t === 'string' ? '' : 0;
  const idx = items.map((_, i) => i);
  idx.sort((i, j) => {
    const a = (vals[i] ?? zero) as string | number;
    const b = (vals[j] ?? zero) as string | number;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return idx.map((i) => items[i] as JsonMap);
}

function selectConfigs(input: Input, required: Record<string, JsonMap[]>): [string, JsonMap[]][] {
  const byField = new Map<string, JsonMap[]>();
  (input.spec?.environmentConfigs ?? []).forEach((config, i) => {
    const name = `environment-config-${i}`;
    const resources = required[name];
    if (resources === undefined) return;
    const to = config.toFieldPath ?? '';
    const add = (xs: JsonMap[]) => byField.set(to, [...(byField.get(to) ?? []), ...xs]);
    const type = config.type === undefined || config.type === '' ? 'Reference' : config.type;
    if (type === 'Reference') {
      const ecName = config.ref?.name ?? '';
      try {
        if (resources.length === 0) {
          if (input.spec?.policy?.resolution === 'Optional') return;
          throw new GoError(`Required environment config "${ecName}" not found`);
        }
        if (resources.length > 1) throw new GoError(`expected exactly one required resource "${ecName}", got ${resources.length}`);
      } catch (e) {
        throw goWrap(e, `cannot process environment config "${ecName}" by reference, "${name}"`);
      }
      add([resources[0] as JsonMap]);
    } else if (type === 'Selector') {
      try {
        const mode = config.selector?.mode === undefined || config.selector.mode === '' ? 'Single' : config.selector.mode;
        if (mode === 'Single') {
          if (resources.length !== 1) throw new GoError(`expected exactly one required resource, got ${resources.length}`);
          add([resources[0] as JsonMap]);
        } else if (mode === 'Multiple') {
          const min = config.selector?.minMatch;
          if (min !== undefined && resources.length < min)
            throw new GoError(`expected at least ${min} required resources, got ${resources.length}`);
          let sorted = sortByFieldPath(resources, config.selector?.sortByFieldPath || 'metadata.name');
          const max = config.selector?.maxMatch;
          if (max !== undefined && sorted.length > max) sorted = sorted.slice(0, max);
          add(sorted);
        } else {
          throw new GoError(`unknown selector mode "${config.selector?.mode ?? ''}"`);
        }
      } catch (e) {
        throw goWrap(e, `cannot process environment config "${name}" by selector`);
      }
    }
  });
  return [...byField];
}

function mergeConfigsData(byField: [string, JsonMap[]][]): JsonMap {
  let merged: JsonMap = {};
  for (const [fieldPath, configs] of byField) {
    for (const c of configs) {
      let data: JsonMap = {};
      if (fieldPath !== '') {
        try {
          setValue(data, fieldPath, c.data);
        } catch {
          throw new GoError(`cannot get data from environment config ${objName(c)} into path "${fieldPath}"`);
        }
      } else {
        if (!Object.hasOwn(c, 'data')) throw new GoError(`cannot get data from environment config "${objName(c)}": data: no such field`);
        const d = c.data;
        if (d !== null && !isMap(d)) {
          throw new GoError(
            `cannot get data from environment config "${objName(c)}": cannot unmarshal value from JSON: json: cannot unmarshal ${Array.isArray(d) ? 'array' : typeof d} into Go value of type map[string]interface {}`,
          );
        }
        data = structuredClone((d ?? {}) as JsonMap);
      }
      merged = mergeMaps(merged, data);
    }
  }
  return merged;
}

export function runEnvironmentConfigs(req: RunFunctionRequest): RunFunctionResponse {
  return guarded(req, 'function-environment-configs', () => runEnvironmentConfigsUnguarded(req));
}

function runEnvironmentConfigsUnguarded(req: RunFunctionRequest): RunFunctionResponse {
  const rsp = responseTo(req, 60);
  const input = (req.input ?? {}) as Input;
  if (input.spec?.environmentConfigs === undefined) return rsp;
  const oxr = req.observed?.composite?.resource ?? {};
  try {
    rsp.requirements = { resources: buildRequirements(input, oxr) };
  } catch (e) {
    fatal(rsp, goWrap(e, 'cannot build requirements'));
    return rsp;
  }
  const requiredRaw = req.requiredResources ?? req.extraResources;
  if (requiredRaw === undefined) return rsp;
  const required: Record<string, JsonMap[]> = {};
  for (const [k, v] of Object.entries(requiredRaw)) required[k] = (v.items ?? []).map((r) => r.resource);

  let merged: JsonMap;
  try {
    merged = mergeConfigsData(selectConfigs(input, required));
  } catch (e) {
    const msg =
      e instanceof Error && e.message.startsWith('cannot get data')
        ? 'cannot merge environment data'
        : 'cannot get selected environment configs';
    fatal(rsp, goWrap(e, msg));
    return rsp;
  }
  const inputEnv = req.context?.[ENVIRONMENT_CONTEXT_KEY];
  if (isMap(inputEnv)) merged = mergeMaps(inputEnv, merged);
  if (input.spec.defaultData !== undefined) merged = mergeMaps(structuredClone(input.spec.defaultData), merged);
  if ((merged.apiVersion ?? '') === '' && (merged.kind ?? '') === '') {
    merged.apiVersion = 'internal.crossplane.io/v1alpha1';
    merged.kind = 'Environment';
  }
  rsp.context = { ...(rsp.context ?? {}), [ENVIRONMENT_CONTEXT_KEY]: merged };
  return rsp;
}

export class EnvironmentConfigs implements CompositionFunction {
  readonly pure = true;
  async run(req: RunFunctionRequest): Promise<RunFunctionResponse> {
    return runEnvironmentConfigs(req);
  }
}
