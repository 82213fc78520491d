// Field errors with the exact texts of k8s.io/apimachinery/pkg/util/validation/field: a FieldError
// prints as `<field>: <Type text>[: <value>][: <detail>]`, and becomes a Status cause
// `{reason: <type>, message: <body>, field: <field>}`.
import type { CauseReason, FieldCause } from '../contracts.ts';
import { goJSON, goNumber, goQuote } from './gofmt.ts';

/** ErrorType is a field.ErrorType; its value is the cause `reason`. */
export const ErrorType = {
  NotFound: 'FieldValueNotFound',
  Required: 'FieldValueRequired',
  Duplicate: 'FieldValueDuplicate',
  Invalid: 'FieldValueInvalid',
  NotSupported: 'FieldValueNotSupported',
  Forbidden: 'FieldValueForbidden',
  TooLong: 'FieldValueTooLong',
  TooMany: 'FieldValueTooMany',
  Internal: 'InternalError',
  TypeInvalid: 'FieldValueTypeInvalid',
} as const satisfies Record<string, CauseReason>;
export type ErrorType = (typeof ErrorType)[keyof typeof ErrorType];

const typeText: Record<ErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** OmitValue marks a bad value that is not printed (field.OmitValueType). */
export const OmitValue: unique symbol = Symbol('omit');

const rawBrand: unique symbol = Symbol('rawJSON');

/** RawJSON is a bad value printed verbatim (Go structs marshal with their own field order). */
export interface RawJSON {
  readonly [rawBrand]: true;
  readonly json: string;
}

export function rawJSON(json: string): RawJSON {
  return { [rawBrand]: true, json };
}

function isRawJSON(v: unknown): v is RawJSON {
  return typeof v === 'object' && v !== null && rawBrand in v;
}

/** FieldError is one validation error at a field path. */
export interface FieldError {
  readonly type: ErrorType;
  readonly field: string;
  readonly badValue: unknown;
  readonly detail: string;
}

/** FormatBadValue prints a bad value as ErrorBody does: numbers and bools bare, strings quoted, the rest as JSON. */
export function formatBadValue(v: unknown): string {
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return goQuote(v);
  if (isRawJSON(v)) return v.json;
  return goJSON(v);
}

/** ErrorBody is the cause message: `<Type text>[: <value>][: <detail>]`. */
export function errorBody(e: FieldError): string {
  let s: string;
  switch (e.type) {
    case ErrorType.Required:
    case ErrorType.Forbidden:
    case ErrorType.TooLong:
    case ErrorType.Internal:
      s = typeText[e.type];
      break;
    default:
      s = e.badValue === OmitValue ? typeText[e.type] : `${typeText[e.type]}: ${formatBadValue(e.badValue)}`;
  }
  if (e.detail !== '') s += `: ${e.detail}`;
  return s;
}

/** ErrorString is `<field>: <body>`, the form used in aggregated messages. */
export function errorString(e: FieldError): string {
  return `${e.field}: ${errorBody(e)}`;
}

/** ToCause converts a field error to a Status cause. */
export function toCause(e: FieldError): FieldCause {
  return { reason: e.type, message: errorBody(e), field: e.field };
}

/** Aggregate joins error strings as apimachinery's aggregate does: one as is, several as `[a, b]`, duplicates dropped. */
export function aggregate(errs: readonly FieldError[]): string {
  const seen = new Set<string>();
  const msgs: string[] = [];
  for (const e of errs) {
    const m = errorString(e);
    if (seen.has(m)) continue;
    seen.add(m);
    msgs.push(m);
  }
  if (msgs.length === 1) return msgs[0] ?? '';
  return `[${msgs.join(', ')}]`;
}

// Constructors, named after the field package's.

export function required(field: string, detail = ''): FieldError {
  return { type: ErrorType.Required, field, badValue: '', detail };
}
export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: ErrorType.Invalid, field, badValue: value, detail };
}
export function typeInvalid(field: string, value: unknown, detail: string): FieldError {
  return { type: ErrorType.TypeInvalid, field, badValue: value, detail };
}
export function forbidden(field: string, detail: string): FieldError {
  return { type: ErrorType.Forbidden, field, badValue: '', detail };
}
export function duplicate(field: string, value: unknown): FieldError {
  return { type: ErrorType.Duplicate, field, badValue: value, detail: '' };
}
export function notFound(field: string, value: unknown): FieldError {
  return { type: ErrorType.NotFound, field, badValue: value, detail: '' };
}
export function internalError(field: string, detail: string): FieldError {
  return { type: ErrorType.Internal, field, badValue: OmitValue, detail };
}
export function notSupported(field: string, value: unknown, valid: readonly string[]): FieldError {
  const detail = valid.length > 0 ? `supported values: ${valid.map((v) => goQuote(v)).join(', ')}` : '';
  return { type: ErrorType.NotSupported, field, badValue: value, detail };
}
export function tooLong(field: string, maxLength: number): FieldError {
  const detail = maxLength >= 0 ? `may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}` : 'value is too long';
  return { type: ErrorType.TooLong, field, badValue: '<value omitted>', detail };
}
export function tooMany(field: string, actual: number, max: number): FieldError {
  const detail = max >= 0 ? `must have at most ${max} ${max === 1 ? 'item' : 'items'}` : 'has too many items';
  return { type: ErrorType.TooMany, field, badValue: actual >= 0 ? actual : OmitValue, detail };
}

// Paths, as field.Path prints them: `a.b`, `a[0]`, `a[key]`.

/** Child appends a named child (`spec` → `spec.size`). The empty path is the root. */
export function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}
/** Index appends a list index (`spec.items` → `spec.items[0]`). */
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}
/** Key appends a map key (`metadata.labels` → `metadata.labels[app]`). */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}
