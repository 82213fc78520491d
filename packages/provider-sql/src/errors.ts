/** The stable error codes of @trellis/provider-sql. */
export const SqlCode = {
  /** The server could not be reached. Retried with backoff. */
  Unreachable: 'SQL_UNREACHABLE',
  /** Authentication failed (SQLSTATE 28xxx). Permanent until the credentials change. */
  AuthFailed: 'SQL_AUTH_FAILED',
  /** The connection user lacks a privilege (42501). Permanent. */
  Forbidden: 'SQL_FORBIDDEN',
  /** The statement is invalid for the spec (a missing owner, a bad name). Permanent until the spec changes. */
  Invalid: 'SQL_INVALID',
  /** Another error from the server. Retried with backoff. */
  Server: 'SQL_SERVER_ERROR',
  /** The ProviderConfig or its connection secret is incomplete. */
  InvalidConfig: 'SQL_INVALID_CONFIG',
  /** A field of the spec has the wrong shape. */
  InvalidSpec: 'SQL_INVALID_SPEC',
} as const;
export type SqlCode = (typeof SqlCode)[keyof typeof SqlCode];
