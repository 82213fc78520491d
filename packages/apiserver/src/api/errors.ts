import { TrellisError } from '@trellis/sdk';
import type { FieldCause } from '../contracts.ts';

/** StatusCause is one `Status.details.causes` entry. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** Status is the metav1.Status object every error response carries. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** GroupResource names a resource as kube prints it: `widgets.example.com`, `configmaps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function grString(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

export function gkString(group: string, kind: string): string {
  return group === '' ? kind : `${kind}.${group}`;
}

const codeForReason: Record<string, string> = {
  NotFound: 'APISERVER_NOT_FOUND',
  AlreadyExists: 'APISERVER_ALREADY_EXISTS',
  Conflict: 'APISERVER_CONFLICT',
  Invalid: 'APISERVER_INVALID',
  BadRequest: 'APISERVER_BAD_REQUEST',
  Unauthorized: 'APISERVER_UNAUTHORIZED',
  Forbidden: 'APISERVER_FORBIDDEN',
  MethodNotAllowed: 'APISERVER_METHOD_NOT_ALLOWED',
  Expired: 'APISERVER_EXPIRED',
  Gone: 'APISERVER_EXPIRED',
  RequestEntityTooLarge: 'APISERVER_TOO_LARGE',
  UnsupportedMediaType: 'APISERVER_UNSUPPORTED_MEDIA_TYPE',
  NotAcceptable: 'APISERVER_NOT_ACCEPTABLE',
  Timeout: 'APISERVER_TIMEOUT',
  InternalError: 'APISERVER_INTERNAL',
  ServiceUnavailable: 'APISERVER_UNAVAILABLE',
};

/**
 * ApiError is an error the server answers with a Status object. It is a TrellisError whose
 * code is derived from the Status reason (`APISERVER_NOT_FOUND`, `APISERVER_INVALID`, ...).
 */
export class ApiError extends TrellisError {
  override name = 'ApiError';
  readonly status: Status;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(codeForReason[reason] ?? (code >= 500 ? 'APISERVER_INTERNAL' : 'APISERVER_BAD_REQUEST'), message);
    // Field order follows metav1.Status: kind, apiVersion, metadata, status, message, reason, details, code.
    const status: Omit<Status, 'code'> & { code?: number } = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message };
    if (reason !== '') status.reason = reason;
    if (details !== undefined) status.details = details;
    status.code = code;
    this.status = status as Status;
  }

  get httpCode(): number {
    return this.status.code;
  }
}

/** Details builds StatusDetails as Go's omitempty writes them: empty name and group are left out. */
export function details(name: string, group: string, kind: string): StatusDetails {
  const d: StatusDetails = {};
  if (name !== '') d.name = name;
  if (group !== '') d.group = group;
  if (kind !== '') d.kind = kind;
  return d;
}

export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${grString(gr)} "${name}" not found`, details(name, gr.group, gr.resource));
}

/** NotFoundPath is the 404 for an unknown path or resource. */
export function notFoundPath(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${grString(gr)} "${name}" already exists`, details(name, gr.group, gr.resource));
}

export function generateNameConflict(gr: GroupResource, name: string): ApiError {
  return new ApiError(
    409,
    'AlreadyExists',
    `${grString(gr)} "${name}" already exists, the server was not able to generate a unique name for the object`,
    { ...details(name, gr.group, gr.resource), retryAfterSeconds: 1 },
  );
}

export const OPTIMISTIC_LOCK_MSG = 'the object has been modified; please apply your changes to the latest version and try again';

export function conflict(gr: GroupResource, name: string, msg: string = OPTIMISTIC_LOCK_MSG): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${grString(gr)} "${name}": ${msg}`,
    details(name, gr.group, gr.resource),
  );
}

export function applyConflict(message: string, causes: StatusCause[]): ApiError {
  return new ApiError(409, 'Conflict', message, { causes });
}

/** FieldError formats one cause the way field.Error.Error() does: `<field>: <body>`. */
export function fieldErrorString(c: FieldCause): string {
  return c.field === '' ? c.message : `${c.field}: ${c.message}`;
}

/** Aggregate joins messages like utilerrors.NewAggregate: one as is, several as `[a, b]`, duplicates dropped. */
export function aggregate(msgs: string[]): string {
  const uniq = [...new Set(msgs)];
  if (uniq.length === 1) return uniq[0] as string;
  return `[${uniq.join(', ')}]`;
}

/** Invalid is the 422 for validation failures; `group`/`kind` name the kind (not the resource). */
export function invalid(group: string, kind: string, name: string, causes: FieldCause[]): ApiError {
  const msg =
    causes.length === 0
      ? `${gkString(group, kind)} "${name}" is invalid`
      : `${gkString(group, kind)} "${name}" is invalid: ${aggregate(causes.map(fieldErrorString))}`;
  return new ApiError(422, 'Invalid', msg, {
    ...details(name, group, kind),
    causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function forbidden(gr: GroupResource, name: string, reason: string, causes?: StatusCause[]): ApiError {
  const msg = name === '' ? `${grString(gr)} is forbidden: ${reason}` : `${grString(gr)} "${name}" is forbidden: ${reason}`;
  const d = details(name, gr.group, gr.resource);
  if (causes !== undefined) d.causes = causes;
  return new ApiError(403, 'Forbidden', msg, d);
}

export function methodNotSupported(gr: GroupResource, action: string): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    `${action} is not supported on resources of kind "${grString(gr)}"`,
    details('', gr.group, gr.resource),
  );
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export const REQUEST_BODY_LIMIT = 3 * 1024 * 1024;

export function entityTooLarge(message = `Request entity too large: limit is ${REQUEST_BODY_LIMIT}`): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', message);
}

export function unsupportedMediaType(message: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', message);
}

export function notAcceptable(message: string): ApiError {
  return new ApiError(406, 'NotAcceptable', message);
}

export function tooLargeResourceVersion(requested: number, current: number): ApiError {
  return new ApiError(504, 'Timeout', `Timeout: Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

export function internalError(err: unknown): ApiError {
  const m = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${m}`, { causes: [{ message: m }] });
}

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message);
}

/** FieldCauseOf builds a cause: `cause('FieldValueInvalid', 'metadata.name', 'Invalid value: "x": ...')`. */
export function cause(reason: FieldCause['reason'], field: string, message: string): FieldCause {
  return { reason, field, message };
}

/** FormatValue prints a value the way field errors do: strings quoted, numbers and bools bare, others as JSON. */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return JSON.stringify(v);
}

/** Field error helpers with kube's bodies. */
export const fe = {
  required: (field: string, detail = ''): FieldCause =>
    cause('FieldValueRequired', field, detail === '' ? 'Required value' : `Required value: ${detail}`),
  invalid: (field: string, value: unknown, detail: string): FieldCause =>
    cause(
      'FieldValueInvalid',
      field,
      detail === '' ? `Invalid value: ${formatValue(value)}` : `Invalid value: ${formatValue(value)}: ${detail}`,
    ),
  forbidden: (field: string, detail: string): FieldCause =>
    cause('FieldValueForbidden', field, detail === '' ? 'Forbidden' : `Forbidden: ${detail}`),
  tooLong: (field: string, max: number): FieldCause => cause('FieldValueTooLong', field, `Too long: may not be more than ${max} bytes`),
  notSupported: (field: string, value: unknown, valid: string[]): FieldCause =>
    cause(
      'FieldValueNotSupported',
      field,
      valid.length === 0
        ? `Unsupported value: ${formatValue(value)}`
        : `Unsupported value: ${formatValue(value)}: supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}`,
    ),
  duplicate: (field: string, value: unknown): FieldCause => cause('FieldValueDuplicate', field, `Duplicate value: ${formatValue(value)}`),
  typeInvalid: (field: string, value: unknown, detail: string): FieldCause =>
    cause('FieldValueTypeInvalid', field, `Invalid value: ${formatValue(value)}: ${detail}`),
};
