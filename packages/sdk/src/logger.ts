/** Fields are structured context attached to a log line. Errors go under the key `error`. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * A Logger writes structured lines at two levels, as crossplane-runtime's logging does: `info`
 * for what an operator wants to see, `debug` for everything else ("if in doubt, pick debug").
 * Loggers are built by the CLI and injected; library packages never create one of their own.
 */
export interface Logger {
  info(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  /** With returns a logger that adds `fields` to every line. */
  with(fields: LogFields): Logger;
}

/** The nopLogger discards everything; it is the default of every injectable logger. */
export const nopLogger: Logger = {
  info: () => {},
  debug: () => {},
  with: () => nopLogger,
};

/** A LogSink receives one finished line. */
export type LogSink = (line: string) => void;

export interface JsonLoggerOptions {
  /** Debug enables the debug level. */
  debug?: boolean;
  /** Now is the clock; tests pass a fixed one. */
  now?: () => Date;
}

/** JsonLogger returns a Logger writing one JSON object per line to `sink`. */
export function jsonLogger(sink: LogSink, opts: JsonLoggerOptions = {}, base: LogFields = {}): Logger {
  const now = opts.now ?? (() => new Date());
  const write = (level: string, msg: string, fields?: LogFields): void => {
    sink(JSON.stringify({ ts: now().toISOString(), level, msg, ...serialise(base), ...serialise(fields ?? {}) }));
  };
  return {
    info: (msg, fields) => write('info', msg, fields),
    debug: (msg, fields) => {
      if (opts.debug === true) write('debug', msg, fields);
    },
    with: (fields) => jsonLogger(sink, opts, { ...base, ...fields }),
  };
}

/** TextLogger returns a Logger writing `level msg key=value ...` lines, for terminals. */
export function textLogger(sink: LogSink, opts: JsonLoggerOptions = {}, base: LogFields = {}): Logger {
  const write = (level: string, msg: string, fields?: LogFields): void => {
    const kv = Object.entries(serialise({ ...base, ...(fields ?? {}) }))
      .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
      .join(' ');
    sink(kv === '' ? `${level} ${msg}` : `${level} ${msg} ${kv}`);
  };
  return {
    info: (msg, fields) => write('info', msg, fields),
    debug: (msg, fields) => {
      if (opts.debug === true) write('debug', msg, fields);
    },
    with: (fields) => textLogger(sink, opts, { ...base, ...fields }),
  };
}

function serialise(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    out[k] = v instanceof Error ? formatErrorShallow(v) : v;
  }
  return out;
}

function formatErrorShallow(err: Error): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; cur instanceof Error && i < 16; i++) {
    parts.push(cur.message);
    cur = cur.cause;
  }
  return parts.join(': ');
}
