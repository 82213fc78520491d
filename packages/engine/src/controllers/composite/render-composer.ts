import type { KubeClient } from '@trellis/kube';
import { formatError, hasCode, TrellisError, wrap } from '@trellis/sdk';
import { isPlainObject } from '../../apply/fields.ts';
import type { LegacyConverter } from '../../render/pipeline.ts';
import { render } from '../../render/render.ts';
import type { FunctionResolver, JsonObject, RenderResult, StepResult, TargetedCondition } from '../../render/types.ts';
import type { ComposeInput, ComposeOutput, Composer, CompositionCondition } from './composer.ts';
import { decodeSecretData } from './observe.ts';
import type { XrSchema } from './xr.ts';

export interface RenderComposerOptions {
  client: KubeClient;
  functions: FunctionResolver;
  schema: XrSchema;
  convertLegacy?: LegacyConverter;
  /** IsClusterScoped answers from a discovery snapshot; unknown kinds count as namespaced. */
  isClusterScoped?: (apiVersion: string, kind: string) => boolean;
  /** StepTimeoutMs bounds each function call (render's default when unset). */
  stepTimeoutMs?: number;
}

/**
 * RenderComposer is the Composer the XR controller uses in production: it runs the pure
 * `render()` with lookups that read the API server (required resources, credentials) and turns a
 * render failure into `fatal`, keeping the results gathered before it.
 */
export function renderComposer(opts: RenderComposerOptions): Composer {
  return {
    async compose(input: ComposeInput): Promise<ComposeOutput> {
      const signal = input.signal;
      const call = signal === undefined ? {} : { signal };
      let result: RenderResult;
      try {
        result = await render(
          {
            composite: input.xr,
            composition: input.revision,
            observed: [...input.observed.values()],
            ...(input.xrConnectionDetails === undefined ? {} : { compositeConnectionDetails: input.xrConnectionDetails }),
            functions: opts.functions,
            schema: opts.schema,
            requiredResources: async (sel) => {
              const type = { apiVersion: sel.apiVersion, kind: sel.kind };
              if (sel.matchName !== undefined) {
                const o = await opts.client.getIfExists(
                  { ...type, name: sel.matchName, ...(sel.namespace === undefined ? {} : { namespace: sel.namespace }) },
                  call,
                );
                return o === undefined ? [] : [o as JsonObject];
              }
              const labels = Object.entries(sel.matchLabels?.labels ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(',');
              const list = await opts.client.listAll(type, {
                ...(sel.namespace === undefined ? {} : { namespace: sel.namespace }),
                labelSelector: labels,
                ...call,
              });
              return list.items as JsonObject[];
            },
            credentials: async (ref) => {
              const s = await opts.client.getIfExists({ apiVersion: 'v1', kind: 'Secret', namespace: ref.namespace, name: ref.name }, call);
              return s === undefined ? undefined : decodeSecretData(s);
            },
            ...(opts.isClusterScoped === undefined ? {} : { isClusterScoped: opts.isClusterScoped }),
            ...(opts.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: opts.stepTimeoutMs }),
            ...(signal === undefined ? {} : { signal }),
          },
          opts.convertLegacy === undefined ? {} : { convertLegacy: opts.convertLegacy },
        );
      } catch (err) {
        return failed(err);
      }
      return toOutput(result);
    },
  };
}

function toOutput(r: RenderResult): ComposeOutput {
  const status = isPlainObject(r.composite.status) ? { ...r.composite.status } : undefined;
  if (status !== undefined) delete status.conditions;
  const out: ComposeOutput = {
    resources: r.composed.map((c) => ({ name: c.name, resource: c.resource, ready: c.ready })),
    dependencies: r.dependencies,
    connectionDetails: r.compositeConnectionDetails,
    results: r.results.map(stepResult),
    conditions: r.conditions.map(condition),
  };
  if (status !== undefined) out.compositeStatus = status;
  if (r.compositeReady !== undefined) out.compositeReady = r.compositeReady;
  if (r.ttlSeconds !== undefined) out.ttlMs = r.ttlSeconds * 1000;
  return out;
}

/** Failed turns a render error into a fatal ComposeOutput, keeping what the pipeline reported. */
function failed(err: unknown): ComposeOutput {
  const fatal = err instanceof Error ? err : new TrellisError('ENGINE_COMPOSE_FAILED', String(err));
  const details = err instanceof TrellisError ? err.details : undefined;
  const results = Array.isArray(details?.results) ? (details.results as StepResult[]).map(stepResult) : [];
  const step = typeof details?.step === 'string' ? details.step : stepFromMessage(formatError(err));
  const message = typeof details?.message === 'string' ? details.message : undefined;
  if (step !== undefined && message !== undefined && !results.some((r) => r.severity === 'SEVERITY_FATAL' && r.step === step)) {
    results.push({ step, severity: 'SEVERITY_FATAL', message });
  }
  if (results.length === 0 && !hasCode(err, 'ENGINE_RENDER_PIPELINE_FATAL')) {
    results.push({ step: step ?? '', severity: 'SEVERITY_FATAL', message: formatError(fatal) });
  }
  const conditions = Array.isArray(details?.conditions) ? (details.conditions as TargetedCondition[]).map(condition) : [];
  return { resources: [], dependencies: {}, connectionDetails: {}, results, conditions, fatal: wrapOnce(fatal) };
}

/** StepFromMessage finds `pipeline step "x"` in render's error messages. */
function stepFromMessage(message: string): string | undefined {
  return /pipeline step "([^"]+)"/.exec(message)?.[1];
}

function wrapOnce(err: Error): Error {
  return err instanceof TrellisError ? err : wrap(err, 'cannot run the composition pipeline');
}

function stepResult(r: StepResult): ComposeOutput['results'][number] {
  const out: ComposeOutput['results'][number] = { step: r.step, severity: r.severity, message: r.message };
  if (r.reason !== undefined) out.reason = r.reason;
  if (r.target !== undefined) out.target = r.target;
  const extra = r as StepResult & { resource?: unknown; fieldPath?: unknown };
  if (typeof extra.resource === 'string') out.resource = extra.resource;
  if (typeof extra.fieldPath === 'string') out.fieldPath = extra.fieldPath;
  return out;
}

function condition(c: TargetedCondition): CompositionCondition {
  const out: CompositionCondition = { type: c.type, status: c.status, reason: c.reason, target: c.target };
  if (c.message !== undefined && c.message !== '') out.message = c.message;
  return out;
}
