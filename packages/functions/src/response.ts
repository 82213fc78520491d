/** Helpers that build responses the way function-sdk-go's response package does. */
import { deepClone } from './clone.ts';
import { copyTag, type ResponseMeta, type Result, type RunFunctionRequest, type RunFunctionResponse } from './protocol/types.ts';

/** ResponseTo starts a response: the request's tag, the TTL, and its desired state and context. */
export function responseTo(req: RunFunctionRequest, ttlSeconds: number): RunFunctionResponse {
  const meta: ResponseMeta = {};
  copyTag(req.meta, meta);
  meta.ttlSeconds = ttlSeconds;
  const rsp: RunFunctionResponse = { meta };
  if (req.desired !== undefined) rsp.desired = deepClone(req.desired);
  if (req.context !== undefined) rsp.context = deepClone(req.context);
  return rsp;
}

function add(rsp: RunFunctionResponse, r: Result): Result {
  rsp.results = [...(rsp.results ?? []), r];
  return r;
}

export function fatal(rsp: RunFunctionResponse, err: unknown): Result {
  return add(rsp, { severity: 'SEVERITY_FATAL', message: err instanceof Error ? err.message : String(err), target: 'TARGET_COMPOSITE' });
}

export function warning(rsp: RunFunctionResponse, err: unknown): Result {
  return add(rsp, { severity: 'SEVERITY_WARNING', message: err instanceof Error ? err.message : String(err), target: 'TARGET_COMPOSITE' });
}

export function normal(rsp: RunFunctionResponse, message: string): Result {
  return add(rsp, { severity: 'SEVERITY_NORMAL', message, target: 'TARGET_COMPOSITE' });
}

/**
 * Guarded runs a built-in function body and turns anything it throws (a bug, or input so hostile
 * that the runtime gives up, such as a stack overflow on absurdly deep objects) into a Fatal
 * result: a function never throws for what it is given.
 */
export function guarded(req: RunFunctionRequest, name: string, f: () => RunFunctionResponse): RunFunctionResponse {
  try {
    return f();
  } catch (e) {
    const meta: ResponseMeta = {};
    copyTag(req.meta, meta);
    meta.ttlSeconds = 60;
    const rsp: RunFunctionResponse = { meta };
    fatal(rsp, `${name} failed: ${e instanceof Error ? e.message : String(e)}`);
    return rsp;
  }
}
