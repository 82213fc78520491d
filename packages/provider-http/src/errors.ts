/** The stable error codes of @trellis/provider-http. */
export const HttpCode = {
  /** The endpoint could not be reached (connection refused, DNS, reset). Retried with backoff. */
  Unreachable: 'HTTP_UNREACHABLE',
  /** The request did not finish within its deadline. Retried with backoff. */
  Timeout: 'HTTP_TIMEOUT',
  /** 401: the credentials were rejected. Permanent until the credentials change. */
  Unauthorized: 'HTTP_UNAUTHORIZED',
  /** 403: the credentials lack a permission. Permanent. */
  Forbidden: 'HTTP_FORBIDDEN',
  /** Another 4xx: the request is wrong (usually the spec). Permanent until the spec changes. */
  ClientError: 'HTTP_CLIENT_ERROR',
  /** 409: the resource is in a conflicting state. Retried with backoff. */
  Conflict: 'HTTP_CONFLICT',
  /** 429: rate limited. Retried after Retry-After. */
  TooManyRequests: 'HTTP_TOO_MANY_REQUESTS',
  /** 5xx. Retried with backoff (or after Retry-After). */
  ServerError: 'HTTP_SERVER_ERROR',
  /** The response could not be read: too large, or not the JSON the mapping expects. */
  BadResponse: 'HTTP_BAD_RESPONSE',
  /** The mapping or the spec cannot produce a request (a template names a missing field). */
  InvalidMapping: 'HTTP_INVALID_MAPPING',
  /** The ProviderConfig is incomplete. */
  InvalidConfig: 'HTTP_INVALID_CONFIG',
} as const;
export type HttpCode = (typeof HttpCode)[keyof typeof HttpCode];
