import { convertResourcesComposition, type JsonObject } from '@trellis/functions';
import { type KubeObject, TrellisError } from '@trellis/sdk';
import { RenderErrorCode } from './errors.ts';

/** A PipelineStep is one step of a Composition (or CompositionRevision) pipeline. */
export interface PipelineStep {
  step: string;
  functionRef: { name: string };
  input?: JsonObject;
  credentials?: { name: string; source: string; secretRef?: { namespace: string; name: string } }[];
  requirements?: {
    requiredResources?: {
      requirementName: string;
      apiVersion: string;
      kind: string;
      name?: string;
      matchLabels?: Record<string, string>;
      namespace?: string;
    }[];
    requiredSchemas?: { requirementName: string; apiVersion: string; kind: string }[];
  };
}

/**
 * A LegacyConverter turns a `mode: Resources` Composition into an equivalent Pipeline Composition
 * that runs the built-in patch-and-transform function (what `crossplane beta convert
 * pipeline-composition` produces).
 */
export type LegacyConverter = (composition: KubeObject) => KubeObject;

/**
 * ConvertLegacy is the default LegacyConverter: the functions package's converter, which targets
 * the built-in patch-and-transform (and function-environment-configs for a native environment).
 */
export const convertLegacy: LegacyConverter = (c) => convertResourcesComposition(c as JsonObject).composition as KubeObject;

/**
 * PipelineOf returns a Composition's pipeline, checking each step's shape and that step names are
 * unique. Legacy `mode: Resources` Compositions go through `convert` first (default
 * {@link convertLegacy}). Errors name the Composition and the field path
 * (ENGINE_RENDER_INVALID_INPUT).
 */
export function pipelineOf(composition: KubeObject, convert: LegacyConverter = convertLegacy): PipelineStep[] {
  const name = composition.metadata?.name ?? '';
  const invalid = (msg: string): TrellisError =>
    new TrellisError(RenderErrorCode.InvalidInput, `invalid ${composition.kind || 'Composition'} "${name}": ${msg}`);
  const spec = composition.spec;
  if (!isObject(spec)) throw invalid('spec: Required value');
  const mode = spec.mode;
  // Legacy Compositions: mode Resources, or (as the Composition CRD defaults mode to Pipeline) no
  // pipeline but resource templates.
  if (mode === 'Resources' || (spec.pipeline === undefined && Array.isArray(spec.resources))) {
    let converted: KubeObject;
    try {
      converted = convert(composition);
    } catch (err) {
      throw new TrellisError(
        RenderErrorCode.InvalidInput,
        `invalid ${composition.kind || 'Composition'} "${name}": cannot convert mode Resources to a pipeline`,
        {
          cause: err,
        },
      );
    }
    return pipelineOf(converted, convert);
  }
  if (mode !== undefined && mode !== 'Pipeline')
    throw invalid(`spec.mode: Unsupported value: ${JSON.stringify(mode)}: supported values: "Pipeline", "Resources"`);
  const raw = spec.pipeline;
  if (!Array.isArray(raw) || raw.length === 0)
    throw invalid('spec.pipeline: Required value: a Pipeline composition needs at least one step');
  if (raw.length > 99) throw invalid(`spec.pipeline: Too many: ${raw.length}: must have at most 99 items`);
  const seen = new Set<string>();
  return raw.map((s, i) => {
    const at = `spec.pipeline[${i}]`;
    if (!isObject(s)) throw invalid(`${at}: must be an object`);
    if (typeof s.step !== 'string' || s.step === '') throw invalid(`${at}.step: Required value`);
    if (seen.has(s.step)) throw invalid(`${at}.step: Duplicate value: ${JSON.stringify(s.step)}`);
    seen.add(s.step);
    if (!isObject(s.functionRef) || typeof s.functionRef.name !== 'string' || s.functionRef.name === '') {
      throw invalid(`${at}.functionRef.name: Required value`);
    }
    if (s.input !== undefined && s.input !== null && !isObject(s.input)) throw invalid(`${at}.input: must be an object`);
    if (s.credentials !== undefined && !Array.isArray(s.credentials)) throw invalid(`${at}.credentials: must be a list`);
    for (const [j, c] of ((s.credentials as unknown[]) ?? []).entries()) {
      if (!isObject(c) || typeof c.name !== 'string' || c.name === '') throw invalid(`${at}.credentials[${j}].name: Required value`);
      if (c.source !== 'None' && c.source !== 'Secret')
        throw invalid(`${at}.credentials[${j}].source: Unsupported value: ${JSON.stringify(c.source)}`);
      if (c.source === 'Secret' && c.secretRef !== undefined) {
        if (!isObject(c.secretRef) || typeof c.secretRef.name !== 'string' || typeof c.secretRef.namespace !== 'string') {
          throw invalid(`${at}.credentials[${j}].secretRef: must have name and namespace`);
        }
      }
    }
    if (s.requirements !== undefined && s.requirements !== null) {
      if (!isObject(s.requirements)) throw invalid(`${at}.requirements: must be an object`);
      for (const [j, r] of asArray(s.requirements.requiredResources).entries()) {
        const rat = `${at}.requirements.requiredResources[${j}]`;
        if (!isObject(r)) throw invalid(`${rat}: must be an object`);
        for (const f of ['requirementName', 'apiVersion', 'kind'] as const) {
          if (typeof r[f] !== 'string' || r[f] === '') throw invalid(`${rat}.${f}: Required value`);
        }
      }
      for (const [j, r] of asArray(s.requirements.requiredSchemas).entries()) {
        const rat = `${at}.requirements.requiredSchemas[${j}]`;
        if (!isObject(r)) throw invalid(`${rat}: must be an object`);
        for (const f of ['requirementName', 'apiVersion', 'kind'] as const) {
          if (typeof r[f] !== 'string' || r[f] === '') throw invalid(`${rat}.${f}: Required value`);
        }
      }
    }
    return s as unknown as PipelineStep;
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
