/**
 * Legacy `mode: Resources` Compositions (native patch-and-transform, removed in Crossplane v2)
 * converted to a Pipeline that runs the built-in patch-and-transform, as `crossplane beta convert
 * pipeline-composition` did: patch types default to FromCompositeFieldPath, untyped transforms
 * get their type (and string/math sub-type), `policy.mergeOptions` becomes `policy.toFieldPath`,
 * anonymous resources are named `resource-<index>`, untyped connection details get their type and
 * name, environment patches and patchSets move into the function input. A native
 * `spec.environment.environmentConfigs` becomes a leading function-environment-configs step (as
 * `crossplane beta convert composition-environment` does).
 */
import { TrellisError } from '@trellis/sdk';
import { FnErrorCode } from '../errors.ts';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface ConvertOptions {
  /** functionRef.name of the P&T step (default `function-patch-and-transform`). */
  functionRefName?: string;
  /** functionRef.name of the environment step (default `function-environment-configs`). */
  environmentFunctionRefName?: string;
}

export interface ConvertResult {
  composition: Obj;
  /** False when the Composition already was in Pipeline mode (returned unchanged). */
  converted: boolean;
}

function migrateMergeOptions(mo: unknown): string | undefined {
  if (!isObj(mo)) return undefined;
  const keep = mo.keepMapValues === true;
  const append = mo.appendSlice === true;
  if (keep) return append ? 'MergeObjectsAppendArrays' : 'MergeObjects';
  return append ? 'ForceMergeObjectsAppendArrays' : 'ForceMergeObjects';
}

function migrateTransform(t: unknown): unknown {
  if (!isObj(t)) return t;
  const out: Obj = { ...t };
  if (out.type === undefined || out.type === '') {
    for (const k of ['math', 'string', 'map', 'match', 'convert']) {
      if (out[k] !== undefined && out[k] !== null) {
        out.type = k;
        break;
      }
    }
  }
  if (out.type === 'math' && isObj(out.math) && (out.math.type ?? '') === '') {
    const m = out.math;
    const type = m.clampMin !== undefined ? 'ClampMin' : m.clampMax !== undefined ? 'ClampMax' : m.multiply !== undefined ? 'Multiply' : '';
    out.math = { ...m, type };
  }
  if (out.type === 'string' && isObj(out.string) && (out.string.type ?? '') === '') {
    const s = out.string;
    const type =
      s.fmt !== undefined
        ? 'Format'
        : s.convert !== undefined
          ? 'Convert'
          : s.regexp !== undefined
            ? 'Regexp'
            : s.trim !== undefined
              ? 'TrimPrefix'
              : '';
    out.string = { ...s, type };
  }
  return out;
}

function migratePatch(p: unknown): unknown {
  if (!isObj(p)) return p;
  const out: Obj = { ...p };
  if (typeof out.type !== 'string' || out.type === '') out.type = 'FromCompositeFieldPath';
  if (isObj(out.policy)) {
    const policy: Obj = { ...out.policy };
    const to = migrateMergeOptions(policy.mergeOptions);
    if (to !== undefined) policy.toFieldPath = to;
    delete policy.mergeOptions;
    out.policy = policy;
  }
  if (Array.isArray(out.transforms)) out.transforms = out.transforms.map(migrateTransform);
  return out;
}

function migrateConnectionDetail(cd: unknown): unknown {
  if (!isObj(cd)) return cd;
  const out: Obj = {};
  if (cd.name !== undefined) out.name = cd.name;
  if (cd.value !== undefined) out.value = cd.value;
  if (cd.fromConnectionSecretKey !== undefined) out.fromConnectionSecretKey = cd.fromConnectionSecretKey;
  if (cd.fromFieldPath !== undefined) out.fromFieldPath = cd.fromFieldPath;
  if (cd.value !== undefined) out.type = 'FromValue';
  else if (cd.fromFieldPath !== undefined) out.type = 'FromFieldPath';
  else if (cd.fromConnectionSecretKey !== undefined) out.type = 'FromConnectionSecretKey';
  else if (cd.type !== undefined) out.type = cd.type;
  if (out.name === undefined && out.type === 'FromConnectionSecretKey') out.name = out.fromConnectionSecretKey;
  return out;
}

function migrateResource(r: unknown, idx: number): unknown {
  if (!isObj(r)) return r;
  const out: Obj = { ...r };
  if (typeof out.name !== 'string' || out.name === '') out.name = `resource-${idx}`;
  if (Array.isArray(out.connectionDetails)) out.connectionDetails = out.connectionDetails.map(migrateConnectionDetail);
  if (Array.isArray(out.patches)) out.patches = out.patches.map(migratePatch);
  return out;
}

/** ConvertResourcesComposition converts a Resources-mode Composition to a Pipeline. Pure. */
export function convertResourcesComposition(composition: Obj, opts: ConvertOptions = {}): ConvertResult {
  const apiVersion = String(composition.apiVersion ?? '');
  if (!apiVersion.startsWith('apiextensions.crossplane.io/') || composition.kind !== 'Composition') {
    throw new TrellisError(
      FnErrorCode.InvalidInput,
      `cannot convert ${composition.kind ?? 'object'} "${String((composition.metadata as Obj | undefined)?.name ?? '')}": not an apiextensions.crossplane.io Composition`,
    );
  }
  const spec: Obj = isObj(composition.spec) ? { ...composition.spec } : {};
  if (spec.mode === 'Pipeline') return { composition, converted: false };
  const input: Obj = { apiVersion: 'pt.fn.crossplane.io/v1beta1', kind: 'Resources' };
  const pipeline: Obj[] = [];

  if (isObj(spec.environment)) {
    const env: Obj = { ...spec.environment };
    if (Array.isArray(env.patches)) input.environment = { patches: env.patches.map(migratePatch) };
    delete env.patches;
    if (Array.isArray(env.environmentConfigs) && env.environmentConfigs.length > 0) {
      const envSpec: Obj = { environmentConfigs: env.environmentConfigs };
      if (env.defaultData !== undefined) envSpec.defaultData = env.defaultData;
      if (env.policy !== undefined) envSpec.policy = env.policy;
      pipeline.push({
        step: 'environment-configs',
        functionRef: { name: opts.environmentFunctionRefName ?? 'function-environment-configs' },
        input: { apiVersion: 'environmentconfigs.fn.crossplane.io/v1beta1', kind: 'Input', spec: envSpec },
      });
      delete env.environmentConfigs;
      delete env.defaultData;
      delete env.policy;
    }
    if (Object.keys(env).length === 0) delete spec.environment;
    else spec.environment = env;
  }
  if (Array.isArray(spec.patchSets)) {
    input.patchSets = spec.patchSets.map((ps) =>
      isObj(ps) ? { ...ps, patches: Array.isArray(ps.patches) ? ps.patches.map(migratePatch) : ps.patches } : ps,
    );
    delete spec.patchSets;
  }
  input.resources = Array.isArray(spec.resources) ? spec.resources.map(migrateResource) : [];
  delete spec.resources;
  spec.mode = 'Pipeline';
  pipeline.push({ step: 'patch-and-transform', functionRef: { name: opts.functionRefName ?? 'function-patch-and-transform' }, input });
  spec.pipeline = pipeline;
  return { composition: { ...composition, spec }, converted: true };
}

/** IsResourcesMode reports whether a Composition uses legacy native patch-and-transform. */
export function isResourcesMode(composition: Obj): boolean {
  const spec = isObj(composition.spec) ? composition.spec : {};
  return spec.mode === 'Resources' || (spec.mode === undefined && spec.pipeline === undefined && spec.resources !== undefined);
}
