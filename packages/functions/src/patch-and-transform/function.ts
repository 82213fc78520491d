/**
 * The built-in function-patch-and-transform: a pure, in-process port of upstream's RunFunction
 * (fn.go, v0.10.x). It reads the step input (`pt.fn.crossplane.io/v1beta1 Resources`), the
 * observed and desired state and the environment from the context, and returns the same desired
 * state, results and context as upstream, with one deliberate difference set: by default the
 * documented intent wins over the upstream bugs listed in docs/compatibility.md; pass
 * `{ semantics: 'upstream' }` to reproduce them exactly.
 */
import { deepClone } from '../clone.ts';
import { ENVIRONMENT_CONTEXT_KEY } from '../context.ts';
import { GoError, goWrap, isNotFound } from '../errors.ts';
import type { JsonMap } from '../fieldpath/fieldpath.ts';
import type { CompositionFunction, Resource, RunFunctionRequest, RunFunctionResponse } from '../protocol/types.ts';
import { fatal, guarded, responseTo, warning } from '../response.ts';
import { decodeResources, fromFieldPathPolicy, patchType, type ResourcesInput } from './input.ts';
import { applyComposedPatch, applyEnvironmentPatch, composedTemplates, toComposedResource } from './patches.ts';
import { extractConnectionDetails, isReady } from './ready.ts';
import { type Semantics, setSemantics } from './semantics.ts';
import { fieldErrorString, validateResources } from './validate.ts';
import { composeConnectionSecret, supportsConnectionDetails } from './xrsecret.ts';

export interface PatchAndTransformOptions {
  /** 'intent' (default) follows the documented behaviour; 'upstream' reproduces upstream bugs. */
  semantics?: Semantics;
}

const INTERNAL_ENV = { apiVersion: 'internal.crossplane.io/v1alpha1', kind: 'Environment' };

function clone<T>(v: T): T {
  return deepClone(v);
}

/** RunPatchAndTransform runs one P&T step. It never throws: problems become results. */
export function runPatchAndTransform(req: RunFunctionRequest, opts: PatchAndTransformOptions = {}): RunFunctionResponse {
  return guarded(req, 'function-patch-and-transform', () => setSemantics(opts.semantics ?? 'intent', () => run(req)));
}

function run(req: RunFunctionRequest): RunFunctionResponse {
  const rsp = responseTo(req, 60);
  const fail = (err: unknown, msg: string): RunFunctionResponse => {
    fatal(rsp, goWrap(err, msg));
    return rsp;
  };

  let input: ResourcesInput;
  try {
    input = decodeResources(req.input);
  } catch (e) {
    return fail(e, 'cannot get Function input');
  }
  const fe = validateResources(input);
  if (fe) return fail(new GoError(fieldErrorString(fe)), 'invalid Function input');

  const oxr: JsonMap = clone(req.observed?.composite?.resource ?? {});
  const dxr: JsonMap = clone(req.desired?.composite?.resource ?? {});
  dxr.apiVersion = typeof oxr.apiVersion === 'string' ? oxr.apiVersion : '';
  dxr.kind = typeof oxr.kind === 'string' ? oxr.kind : '';
  const dxrConn: Record<string, Uint8Array> = { ...(req.desired?.composite?.connectionDetails ?? {}) };

  const observed = req.observed?.resources ?? {};
  const desired: Record<string, Resource> = {};
  for (const [k, r] of Object.entries(req.desired?.resources ?? {})) desired[k] = clone(r);

  let cts: ReturnType<typeof composedTemplates>;
  try {
    cts = composedTemplates(input.patchSets ?? [], input.resources ?? []);
  } catch (e) {
    return fail(e, 'cannot resolve PatchSets');
  }

  const envValue = req.context?.[ENVIRONMENT_CONTEXT_KEY];
  let env: JsonMap = {};
  if (envValue !== undefined && envValue !== null) {
    if (typeof envValue !== 'object' || Array.isArray(envValue)) {
      return fail(
        new GoError('context value is not an object'),
        `cannot get Composition environment from *v1.RunFunctionRequest context key "${ENVIRONMENT_CONTEXT_KEY}"`,
      );
    }
    env = clone(envValue as JsonMap);
  }
  if ((env.apiVersion ?? '') === '' && (env.kind ?? '') === '') {
    env.apiVersion = INTERNAL_ENV.apiVersion;
    env.kind = INTERNAL_ENV.kind;
  }

  for (const [i, p] of (input.environment?.patches ?? []).entries()) {
    try {
      applyEnvironmentPatch(p, env, oxr, dxr);
    } catch (e) {
      if (isNotFound(e) && fromFieldPathPolicy(p) === 'Optional') continue;
      return fail(e, `cannot apply the "${patchType(p)}" environment patch at index ${i}`);
    }
  }

  let skipped = 0;
  for (const t of cts) {
    const name = t.name ?? '';
    let dcd: Resource;
    if (t.base === undefined) {
      const prev = desired[name];
      if (prev === undefined) {
        fatal(
          rsp,
          new GoError(`composed resource "${name}" has no base template, and was not produced by a previous Function in the pipeline`),
        );
        return rsp;
      }
      dcd = { resource: clone(prev.resource), ready: 'READY_UNSPECIFIED' };
    } else {
      dcd = { resource: clone(t.base), ready: 'READY_UNSPECIFIED' };
    }

    const ocd = observed[name];
    if (ocd !== undefined) {
      copyNameAndNamespace(ocd.resource, dcd.resource);

      try {
        Object.assign(dxrConn, extractConnectionDetails(ocd.resource, ocd.connectionDetails ?? {}, t.connectionDetails ?? []));
      } catch (e) {
        warning(rsp, goWrap(e, `cannot extract composite resource connection details from composed resource "${name}"`));
      }
      try {
        if (isReady(ocd.resource, t.readinessChecks ?? [])) dcd.ready = 'READY_TRUE';
      } catch (e) {
        warning(rsp, goWrap(e, `cannot check readiness of composed resource "${name}"`));
      }
    }

    let skip = false;
    for (const [i, p] of (t.patches ?? []).entries()) {
      try {
        applyComposedPatch(p, { ocd: ocd?.resource, dcd: dcd.resource, oxr, dxr, env });
      } catch (e) {
        if (isNotFound(e)) {
          if (fromFieldPathPolicy(p) === 'Required') {
            if (toComposedResource(p) && ocd === undefined) {
              warning(
                rsp,
                goWrap(
                  e,
                  `not adding new composed resource "${name}" to desired state because "${patchType(p)}" patch at index ${i} has 'policy.fromFieldPath: Required'`,
                ),
              );
              skip = true;
              break;
            }
            warning(
              rsp,
              goWrap(
                e,
                `cannot render composed resource "${name}" "${patchType(p)}" patch at index ${i}: ignoring 'policy.fromFieldPath: Required' because 'to' resource already exists`,
              ),
            );
          }
          continue;
        }
        return fail(e, `cannot render composed resource "${name}" "${patchType(p)}" patch at index ${i}`);
      }
    }
    if (skip) {
      skipped++;
      continue;
    }
    desired[name] = dcd;
  }

  if (!supportsConnectionDetails(oxr) && Object.keys(dxrConn).length > 0) {
    let secret: Resource | undefined;
    try {
      secret = composeConnectionSecret(oxr, dxrConn, input.writeConnectionSecretToRef);
    } catch (e) {
      return fail(e, 'cannot compose connection secret');
    }
    if (secret !== undefined) desired[`${String((oxr.metadata as JsonMap | undefined)?.name ?? '')}-connection-secret`] = secret;
  }

  // The SDK does not carry the desired XR's readiness over: it is unspecified unless a resource was skipped.
  const composite: Resource = { resource: dxr, connectionDetails: dxrConn, ready: 'READY_UNSPECIFIED' };
  if (skipped > 0) composite.ready = 'READY_FALSE';
  rsp.desired = { ...(rsp.desired ?? {}), composite, resources: desired };
  rsp.context = { ...(rsp.context ?? {}), [ENVIRONMENT_CONTEXT_KEY]: env };
  return rsp;
}

/** CopyNameAndNamespace is SetNamespace/SetName on an Unstructured: empty values remove the field. */
function copyNameAndNamespace(from: JsonMap, to: JsonMap): void {
  const ometa = isObject(from.metadata) ? from.metadata : {};
  for (const k of ['namespace', 'name']) {
    const v = ometa[k];
    if (typeof v === 'string' && v !== '') {
      if (!isObject(to.metadata)) to.metadata = {};
      (to.metadata as JsonMap)[k] = v;
    } else if (isObject(to.metadata)) {
      delete (to.metadata as JsonMap)[k];
    }
  }
}

function isObject(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** PatchAndTransform is the CompositionFunction adapter of runPatchAndTransform. */
export class PatchAndTransform implements CompositionFunction {
  readonly pure = true;
  readonly options: PatchAndTransformOptions;
  constructor(options: PatchAndTransformOptions = {}) {
    this.options = options;
  }
  async run(req: RunFunctionRequest): Promise<RunFunctionResponse> {
    return runPatchAndTransform(req, this.options);
  }
}
