import { TrellisError } from '@trellis/sdk';

/** Error codes of @trellis/functions. */
export const FnErrorCode = {
  /** A field path does not exist (crossplane-runtime's fieldpath.IsNotFound). */
  NotFound: 'FUNCTIONS_FIELD_NOT_FOUND',
  /** Anything the emulated upstream code reports as an error (a Fatal or Warning result). */
  Failed: 'FUNCTIONS_FAILED',
  /** A function input that does not decode or validate. */
  InvalidInput: 'FUNCTIONS_INVALID_INPUT',
  /** A template that does not parse or execute. */
  Template: 'FUNCTIONS_TEMPLATE',
  /** A function name no built-in or remote function answers to. */
  UnknownFunction: 'FUNCTIONS_UNKNOWN_FUNCTION',
  /** A remote function call that failed (transport, deadline, malformed response). */
  Remote: 'FUNCTIONS_REMOTE',
} as const;
export type FnErrorCode = (typeof FnErrorCode)[keyof typeof FnErrorCode];

/**
 * GoError carries an error message exactly as the upstream Go code would print it (it may span
 * lines, as Go errors can), so results match upstream byte for byte. `notFound` marks errors that
 * crossplane-runtime's fieldpath.IsNotFound would accept; wrapping keeps it, as Go's %w does.
 */
export class GoError extends TrellisError {
  readonly notFound: boolean;
  constructor(message: string, opts: { notFound?: boolean; code?: string } = {}) {
    super(opts.code ?? (opts.notFound === true ? FnErrorCode.NotFound : FnErrorCode.Failed), message);
    Object.defineProperty(this, 'message', { value: message, enumerable: false, writable: true });
    this.notFound = opts.notFound === true;
  }
}

/** Wrap is Go's errors.Wrap: `<msg>: <cause>`, keeping NotFound-ness and the code. */
export function goWrap(cause: unknown, msg: string): GoError {
  const inner = cause instanceof Error ? cause.message : String(cause);
  const nf = cause instanceof GoError && cause.notFound;
  const code = cause instanceof TrellisError ? cause.code : FnErrorCode.Failed;
  return new GoError(`${msg}: ${inner}`, { notFound: nf, code });
}

export function isNotFound(err: unknown): boolean {
  return err instanceof GoError && err.notFound;
}

export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
