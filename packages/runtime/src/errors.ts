import { causeChain, TrellisError } from '@trellis/sdk';

/** The stable error codes of @trellis/runtime. */
export const RuntimeCode = {
  /** spec.managementPolicies or spec.deletionPolicy holds an unsupported value. */
  InvalidPolicy: 'RUNTIME_INVALID_POLICY',
  /** A Create started and its result was never recorded; a person must settle it. */
  CreateIncomplete: 'RUNTIME_CREATE_INCOMPLETE',
  /** Observe found an external resource that this managed resource may not take over. */
  NotAdopted: 'RUNTIME_NOT_ADOPTED',
  /** Observe-only resource whose external resource does not exist. */
  ExternalNotFound: 'RUNTIME_EXTERNAL_NOT_FOUND',
  /** A provider call did not finish within its deadline. */
  CallTimeout: 'RUNTIME_CALL_TIMEOUT',
  /** A reference or selector could not be resolved. */
  ReferenceUnresolved: 'RUNTIME_REFERENCE_UNRESOLVED',
  /** The ProviderConfig is missing, invalid, or its credentials cannot be read. */
  ProviderConfig: 'RUNTIME_PROVIDER_CONFIG',
  /** The connection secret is controlled by another object. */
  SecretConflict: 'RUNTIME_SECRET_CONFLICT',
  /** A field of the managed resource has the wrong shape. */
  InvalidSpec: 'RUNTIME_INVALID_SPEC',
  /** The provider process could not start or keeps dying. */
  ProviderUnhealthy: 'RUNTIME_PROVIDER_UNHEALTHY',
} as const;
export type RuntimeCode = (typeof RuntimeCode)[keyof typeof RuntimeCode];

/**
 * RetryHint is how a provider says when an error is worth retrying. It travels in the `details`
 * of a TrellisError (`{ retry: 'never' }` or `{ retryAfterMs: 5000 }`), anywhere in the cause
 * chain, so providers need no error class of their own.
 */
export interface RetryHint {
  /** Permanent errors (a 4xx other than 408/429, bad credentials) wait for the poll interval. */
  permanent: boolean;
  /** RetryAfterMs is an explicit delay (HTTP 429/503 Retry-After). */
  retryAfterMs: number | undefined;
}

/** RetryHintOf reads the retry hint of an error from the first TrellisError details that carry one. */
export function retryHintOf(err: unknown): RetryHint {
  for (const e of causeChain(err)) {
    if (!(e instanceof TrellisError) || e.details === undefined) continue;
    const after = e.details.retryAfterMs;
    if (typeof after === 'number' && Number.isFinite(after) && after >= 0) return { permanent: false, retryAfterMs: after };
    if (e.details.retry === 'never') return { permanent: true, retryAfterMs: undefined };
    if (e.details.retry === 'backoff') return { permanent: false, retryAfterMs: undefined };
  }
  return { permanent: false, retryAfterMs: undefined };
}

/** PermanentError builds an error that retrying cannot fix until something changes (spec, credentials). */
export function permanentError(
  code: string,
  message: string,
  opts: { cause?: unknown; details?: Record<string, unknown> } = {},
): TrellisError {
  return new TrellisError(code, message, { cause: opts.cause, details: { ...(opts.details ?? {}), retry: 'never' } });
}

/** RetryAfterError builds an error that asks to be retried after `ms` milliseconds. */
export function retryAfterError(
  code: string,
  message: string,
  ms: number,
  opts: { cause?: unknown; details?: Record<string, unknown> } = {},
): TrellisError {
  return new TrellisError(code, message, { cause: opts.cause, details: { ...(opts.details ?? {}), retryAfterMs: ms } });
}

/** IsConflict reports whether an error is a Kubernetes 409 Conflict (optimistic concurrency). */
export function isKubeConflict(err: unknown): boolean {
  return causeChain(err).some((e) => e instanceof TrellisError && e.code === 'KUBE_CONFLICT');
}

/** IsKubeNotFound reports whether an error is a Kubernetes 404. */
export function isKubeNotFound(err: unknown): boolean {
  return causeChain(err).some((e) => e instanceof TrellisError && e.code === 'KUBE_NOT_FOUND');
}

/**
 * OutcomeUnknown reports whether an error says the call may have taken effect (details
 * `outcome: 'unknown'`): a mutating request that timed out, or a create whose response lacked the
 * new identifier. The runtime never records such a Create as failed.
 */
export function outcomeUnknown(err: unknown): boolean {
  return causeChain(err).some((e) => e instanceof TrellisError && e.details?.outcome === 'unknown');
}

/** IsKubeAlreadyExists reports whether an error is a Kubernetes 409 AlreadyExists. */
export function isKubeAlreadyExists(err: unknown): boolean {
  return causeChain(err).some((e) => e instanceof TrellisError && e.code === 'KUBE_ALREADY_EXISTS');
}
