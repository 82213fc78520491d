import { TrellisError } from '@trellis/sdk';

/** The codes an OciError carries. Callers branch on these, never on message text. */
export const OciCode = {
  Unauthorized: 'OCI_UNAUTHORIZED',
  Denied: 'OCI_DENIED',
  NotFound: 'OCI_NOT_FOUND',
  TooManyRequests: 'OCI_TOO_MANY_REQUESTS',
  ServerError: 'OCI_SERVER_ERROR',
  BadRequest: 'OCI_BAD_REQUEST',
  DigestMismatch: 'OCI_DIGEST_MISMATCH',
  BadResponse: 'OCI_BAD_RESPONSE',
  TooLarge: 'OCI_TOO_LARGE',
  Network: 'OCI_NETWORK',
  NoPlatform: 'OCI_NO_PLATFORM',
  Offline: 'OCI_OFFLINE',
  Credentials: 'OCI_CREDENTIALS',
} as const;
export type OciCode = (typeof OciCode)[keyof typeof OciCode];

/** An OciError is a registry failure with the HTTP status and the registry's own error code. */
export class OciError extends TrellisError {
  override name = 'OciError';
  readonly status: number | undefined;
  readonly registryCode: string | undefined;

  constructor(code: OciCode, message: string, opts: { status?: number; registryCode?: string; cause?: unknown } = {}) {
    const o: { cause?: unknown; details: Record<string, unknown> } = { details: { status: opts.status, registryCode: opts.registryCode } };
    if (opts.cause !== undefined) o.cause = opts.cause;
    super(code, message, o);
    this.status = opts.status;
    this.registryCode = opts.registryCode;
  }
}

/** CodeForStatus maps an HTTP status to an OciCode. */
export function codeForStatus(status: number): OciCode {
  if (status === 401) return OciCode.Unauthorized;
  if (status === 403) return OciCode.Denied;
  if (status === 404) return OciCode.NotFound;
  if (status === 429) return OciCode.TooManyRequests;
  if (status >= 500) return OciCode.ServerError;
  return OciCode.BadRequest;
}

/** IsRetryable reports whether a status is worth retrying (GGCR's list: 408, 429, 499, 5xx gateway errors). */
export function isRetryableStatus(status: number): boolean {
  return [408, 429, 499, 500, 502, 503, 504, 522].includes(status);
}
