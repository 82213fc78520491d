import { describeRef, findCause, TrellisError } from '@trellis/sdk';

/**
 * The codes of every error @trellis/kube throws. The first group translates API server responses
 * (a `Status` object and its HTTP code); the second group is raised on the client side.
 */
export const KubeErrorCode = {
  NotFound: 'KUBE_NOT_FOUND',
  Conflict: 'KUBE_CONFLICT',
  AlreadyExists: 'KUBE_ALREADY_EXISTS',
  Invalid: 'KUBE_INVALID',
  Gone: 'KUBE_GONE',
  Forbidden: 'KUBE_FORBIDDEN',
  Unauthorized: 'KUBE_UNAUTHORIZED',
  TooManyRequests: 'KUBE_TOO_MANY_REQUESTS',
  BadRequest: 'KUBE_BAD_REQUEST',
  Timeout: 'KUBE_TIMEOUT',
  /** Unavailable: 503, or the server could not be reached at all (refused, reset, TLS failure). */
  Unavailable: 'KUBE_UNAVAILABLE',
  Internal: 'KUBE_INTERNAL',
  // Client-side codes (extensions of the contract):
  /** NoKindMatch: discovery does not know the kind (CRD not installed or not yet established). */
  NoKindMatch: 'KUBE_NO_KIND_MATCH',
  /** InvalidArgument: the call cannot be sent (empty or path-unsafe name, missing apiVersion...). */
  InvalidArgument: 'KUBE_INVALID_ARGUMENT',
  /** ConfigInvalid: the kubeconfig cannot be read or has no usable cluster. */
  ConfigInvalid: 'KUBE_CONFIG_INVALID',
  /** Aborted: the caller's AbortSignal fired. */
  Aborted: 'KUBE_ABORTED',
} as const;
export type KubeErrorCode = (typeof KubeErrorCode)[keyof typeof KubeErrorCode];

/** A StatusCause is one entry of `Status.details.causes`, usually a field error. */
export interface StatusCause {
  field?: string;
  reason?: string;
  message?: string;
}

/** A Status is the object the API server returns with every error (and in watch ERROR events). */
export interface Status {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
}

/** What an error is about: the object (or the kind, for lists and watches). */
export interface ErrorSubject {
  kind: string;
  namespace?: string | undefined;
  name?: string | undefined;
}

/**
 * A KubeApiError is an API server error translated once, at the client boundary. `status` is the
 * HTTP code (0 when the server could not be reached), `reason` the Status reason (`NotFound`,
 * `Conflict`, `Invalid`, ...), `causes` the field causes, and the message is one line naming the
 * object: `cannot update ConfigMap "ns/a": Operation cannot be fulfilled on configmaps "a": ...`.
 */
export class KubeApiError extends TrellisError {
  override name = 'KubeApiError';
  readonly status: number;
  readonly reason: string;
  readonly causes: readonly StatusCause[];
  readonly subject: ErrorSubject | undefined;
  /** RetryAfterSeconds is the server's hint (429, 504 and some 409s), if any. */
  readonly retryAfterSeconds: number | undefined;
  /** ServerMessage is the Status message as the server sent it (one line, bounded). */
  readonly serverMessage: string;
  /** StatusDetails are `Status.details` name, group and kind (the resource, or the Kind for Invalid). */
  readonly statusDetails: { name?: string; group?: string; kind?: string } | undefined;

  constructor(init: {
    code: KubeErrorCode;
    message: string;
    status: number;
    reason: string;
    causes?: StatusCause[];
    subject?: ErrorSubject;
    retryAfterSeconds?: number;
    serverMessage?: string;
    statusDetails?: { name?: string; group?: string; kind?: string };
    cause?: unknown;
  }) {
    super(init.code, init.message, {
      cause: init.cause,
      details: { status: init.status, reason: init.reason, ...(init.causes === undefined ? {} : { causes: init.causes }) },
    });
    this.status = init.status;
    this.reason = init.reason;
    this.causes = init.causes ?? [];
    this.subject = init.subject;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.serverMessage = init.serverMessage ?? '';
    this.statusDetails = init.statusDetails;
  }
}

/** MaxServerMessage bounds how much of a server message goes into an error (hostile servers). */
const maxServerMessage = 2048;

/**
 * CodeForStatus maps an HTTP status and Status reason to a code. The reason decides where the
 * HTTP code is ambiguous (409 is AlreadyExists or Conflict).
 */
export function codeForStatus(status: number, reason: string): KubeErrorCode {
  switch (reason) {
    case 'NotFound':
      return KubeErrorCode.NotFound;
    case 'AlreadyExists':
      return KubeErrorCode.AlreadyExists;
    case 'Conflict':
      return KubeErrorCode.Conflict;
    case 'Invalid':
      return KubeErrorCode.Invalid;
    case 'Gone':
    case 'Expired':
      return KubeErrorCode.Gone;
    case 'Forbidden':
      return KubeErrorCode.Forbidden;
    case 'Unauthorized':
      return KubeErrorCode.Unauthorized;
    case 'TooManyRequests':
      return KubeErrorCode.TooManyRequests;
    case 'Timeout':
    case 'ServerTimeout':
      return KubeErrorCode.Timeout;
    case 'ServiceUnavailable':
      return KubeErrorCode.Unavailable;
    case 'InternalError':
      return KubeErrorCode.Internal;
  }
  if (status === 400 || status === 405 || status === 406 || status === 413 || status === 415) return KubeErrorCode.BadRequest;
  if (status === 401) return KubeErrorCode.Unauthorized;
  if (status === 403) return KubeErrorCode.Forbidden;
  if (status === 404) return KubeErrorCode.NotFound;
  if (status === 408 || status === 504) return KubeErrorCode.Timeout;
  if (status === 409) return KubeErrorCode.Conflict;
  if (status === 410) return KubeErrorCode.Gone;
  if (status === 422) return KubeErrorCode.Invalid;
  if (status === 429) return KubeErrorCode.TooManyRequests;
  if (status === 502 || status === 503) return KubeErrorCode.Unavailable;
  if (status >= 400 && status < 500) return KubeErrorCode.BadRequest;
  return KubeErrorCode.Internal;
}

/** ReasonForStatus is the reason Kubernetes would use for a bare HTTP code (no Status body). */
function reasonForStatus(status: number): string {
  const reasons: Record<number, string> = {
    400: 'BadRequest',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'NotFound',
    405: 'MethodNotAllowed',
    406: 'NotAcceptable',
    409: 'Conflict',
    410: 'Gone',
    413: 'RequestEntityTooLarge',
    415: 'UnsupportedMediaType',
    422: 'Invalid',
    429: 'TooManyRequests',
    500: 'InternalError',
    503: 'ServiceUnavailable',
    504: 'Timeout',
  };
  return reasons[status] ?? '';
}

/** AsStatus returns `body` when it looks like a Status object, else undefined. */
export function asStatus(body: unknown): Status | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  return b.kind === 'Status' ? (b as Status) : undefined;
}

/**
 * FromStatus translates an API server error response into a KubeApiError. `verb` and `subject`
 * name what the caller tried (`get`, ConfigMap "ns/a"); `body` is the decoded body (a Status, or
 * anything a non-conforming server sent, which is summarised safely).
 */
export function fromStatus(opts: { verb: string; subject: ErrorSubject; httpStatus: number; body: unknown }): KubeApiError {
  const st = asStatus(opts.body);
  const httpStatus = opts.httpStatus !== 0 ? opts.httpStatus : (st?.code ?? 0);
  const reason = typeof st?.reason === 'string' && st.reason !== '' ? st.reason : reasonForStatus(httpStatus);
  const serverMessage = truncate(
    typeof st?.message === 'string' && st.message !== '' ? st.message : summariseBody(opts.body, httpStatus, reason),
    maxServerMessage,
  );
  const causes = sanitiseCauses(st?.details?.causes);
  const retry = st?.details?.retryAfterSeconds;
  return new KubeApiError({
    code: codeForStatus(httpStatus, reason),
    message: `cannot ${opts.verb} ${describeSubject(opts.subject)}: ${serverMessage}`,
    status: httpStatus,
    reason,
    causes,
    subject: opts.subject,
    serverMessage,
    ...(st?.details === undefined ? {} : { statusDetails: pickDetails(st.details) }),
    ...(typeof retry === 'number' && retry > 0 ? { retryAfterSeconds: retry } : {}),
  });
}

/** FromNetworkError translates a transport failure (refused, reset, TLS) into KUBE_UNAVAILABLE. */
export function fromNetworkError(opts: { verb: string; subject: ErrorSubject; cause: unknown; server: string }): KubeApiError {
  const errno = (opts.cause as { code?: unknown } | undefined)?.code;
  const what = typeof errno === 'string' ? errno : opts.cause instanceof Error ? opts.cause.message : String(opts.cause);
  return new KubeApiError({
    code: KubeErrorCode.Unavailable,
    message: `cannot ${opts.verb} ${describeSubject(opts.subject)}: cannot reach API server ${opts.server}: ${truncate(what, 256)}`,
    status: 0,
    reason: 'ServiceUnavailable',
    subject: opts.subject,
    cause: opts.cause,
  });
}

/** DescribeSubject names an object (`ConfigMap "ns/a"`) or, without a name, a kind (`ConfigMaps in "ns"`). */
export function describeSubject(s: ErrorSubject): string {
  if (s.name !== undefined && s.name !== '') return describeRef({ kind: s.kind, name: s.name, namespace: s.namespace });
  return s.namespace !== undefined && s.namespace !== '' ? `${s.kind} objects in namespace "${s.namespace}"` : `${s.kind} objects`;
}

function pickDetails(d: NonNullable<Status['details']>): { name?: string; group?: string; kind?: string } {
  const out: { name?: string; group?: string; kind?: string } = {};
  if (typeof d.name === 'string') out.name = truncate(d.name, 512);
  if (typeof d.group === 'string') out.group = truncate(d.group, 512);
  if (typeof d.kind === 'string') out.kind = truncate(d.kind, 512);
  return out;
}

function sanitiseCauses(raw: unknown): StatusCause[] {
  if (!Array.isArray(raw)) return [];
  const out: StatusCause[] = [];
  for (const c of raw.slice(0, 100)) {
    if (typeof c !== 'object' || c === null) continue;
    const r = c as Record<string, unknown>;
    const cause: StatusCause = {};
    if (typeof r.field === 'string') cause.field = truncate(r.field, 512);
    if (typeof r.reason === 'string') cause.reason = truncate(r.reason, 128);
    if (typeof r.message === 'string') cause.message = truncate(r.message, 1024);
    out.push(cause);
  }
  return out;
}

function summariseBody(body: unknown, status: number, reason: string): string {
  if (typeof body === 'string' && body.trim() !== '') return `HTTP ${status}: ${body.trim()}`;
  return `HTTP ${status}${reason === '' ? '' : ` ${reason}`}`;
}

function truncate(s: string, max: number): string {
  const line = s.replace(/\s*[\r\n]+\s*/g, ' ');
  return line.length <= max ? line : `${line.slice(0, max)}...(${line.length - max} more characters)`;
}

/** ClientError is a client-side TrellisError (not sent to the server) naming the subject. */
export function clientError(code: KubeErrorCode, verb: string, subject: ErrorSubject, detail: string): TrellisError {
  return new TrellisError(code, `cannot ${verb} ${describeSubject(subject)}: ${detail}`);
}

function isCode(err: unknown, code: KubeErrorCode): boolean {
  const e = findCause(err, TrellisError);
  return e !== undefined && e.code === code;
}

/** IsNotFound reports whether err (or its first TrellisError cause) is KUBE_NOT_FOUND. */
export const isNotFound = (err: unknown): boolean => isCode(err, KubeErrorCode.NotFound);
/** IsConflict reports a 409 Conflict: a stale resourceVersion, a failed precondition, an SSA conflict. */
export const isConflict = (err: unknown): boolean => isCode(err, KubeErrorCode.Conflict);
/** IsAlreadyExists reports a 409 AlreadyExists on create. */
export const isAlreadyExists = (err: unknown): boolean => isCode(err, KubeErrorCode.AlreadyExists);
/** IsGone reports a 410 (Expired or Gone): the resourceVersion is too old; relist. */
export const isGone = (err: unknown): boolean => isCode(err, KubeErrorCode.Gone);
/** IsInvalid reports a 422 Invalid; the field causes are in `KubeApiError.causes`. */
export const isInvalid = (err: unknown): boolean => isCode(err, KubeErrorCode.Invalid);
/** IsUnavailable reports that the server could not be reached or answered 503. */
export const isUnavailable = (err: unknown): boolean => isCode(err, KubeErrorCode.Unavailable);
/** IsNoKindMatch reports that discovery does not know the kind. */
export const isNoKindMatch = (err: unknown): boolean => isCode(err, KubeErrorCode.NoKindMatch);
/** IsAborted reports that the caller's signal cancelled the call. */
export const isAborted = (err: unknown): boolean => isCode(err, KubeErrorCode.Aborted);
