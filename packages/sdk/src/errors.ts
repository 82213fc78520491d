/**
 * TrellisError is the one error type every Trellis package throws. It carries a stable string
 * `code` (SCREAMING_SNAKE, prefixed by the package: `KUBE_NOT_FOUND`, `XPKG_INVALID_META`,
 * `DAG_CYCLE`), a one-line message, optional structured `details`, and the error it wraps as
 * `cause`. Callers branch on `code` or `instanceof`, never on message text.
 */
export class TrellisError extends Error {
  override name = 'TrellisError';
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

/** The code used when an error that is not a TrellisError is wrapped without an explicit code. */
export const INTERNAL = 'INTERNAL';

/**
 * Wrap adds context to an error: `wrap(err, 'cannot get composite resource "a"')` has the message
 * `cannot get composite resource "a"` and keeps `err` as its cause; {@link formatError} prints the
 * chain on one line. The code is inherited from the cause unless one is given.
 */
export function wrap(cause: unknown, message: string, code: string = codeOf(cause)): TrellisError {
  return new TrellisError(code, message, { cause });
}

/** CodeOf returns the code of the first TrellisError in the cause chain, or INTERNAL. */
export function codeOf(err: unknown): string {
  for (const e of causeChain(err)) {
    if (e instanceof TrellisError) return e.code;
  }
  return INTERNAL;
}

/** HasCode reports whether any error in the cause chain carries `code`. */
export function hasCode(err: unknown, code: string): boolean {
  return causeChain(err).some((e) => e instanceof TrellisError && e.code === code);
}

/** FindCause walks the cause chain and returns the first error of the given class. */
export function findCause<T extends Error>(err: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  for (const e of causeChain(err)) {
    if (e instanceof type) return e;
  }
  return undefined;
}

/** CauseChain returns the error and each of its causes, outermost first (cycles are cut). */
export function causeChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur !== undefined && cur !== null && !seen.has(cur)) {
    seen.add(cur);
    out.push(cur);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out;
}

/**
 * FormatError prints an error and its causes on one line, Go style:
 * `cannot render composition "c": step "patch": cannot apply patch 0: field "spec.x" not found`.
 */
export function formatError(err: unknown): string {
  const parts: string[] = [];
  for (const e of causeChain(err)) {
    const msg = e instanceof Error ? e.message : String(e);
    if (msg !== '' && parts.at(-1) !== msg) parts.push(msg);
  }
  return oneLine(parts.join(': '));
}

/** OneLine collapses whitespace runs (including newlines) so a message always fits on one line. */
export function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** ErrorMessage returns the message of anything thrown, without the cause chain. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
