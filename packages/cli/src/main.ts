import { codeOf, formatError, jsonLogger, TrellisError, textLogger } from '@trellis/sdk';
import { type CAC, cac } from 'cac';
import { registrars } from './commands/index.ts';
import { trellisVersion } from './commands/version.ts';
import { type CommandContext, ExitCode, type Output, type StatusLine } from './context.ts';
import { readProcessStdin, StdinArg } from './input/stdin.ts';
import { commandSpecs, renderHelp } from './ui/help.ts';

/** ExitCodeFor maps an error code to a process exit code (docs/cli.md lists them). */
export function exitCodeFor(err: unknown): number {
  const code = codeOf(err);
  if (code === 'CLI_USAGE') return ExitCode.Usage;
  if (code === 'CLI_INTERRUPTED') return ExitCode.Interrupted;
  if (code.endsWith('_FINDINGS')) return ExitCode.Findings;
  return ExitCode.Error;
}

/**
 * BuildCli registers every command on a fresh cac instance. `main` uses it to run, and the help,
 * completion and documentation tests use it to read the command model.
 */
export function buildCli(ctx: CommandContext, run: (fn: () => Promise<number>) => void = () => {}): CAC {
  const cli = cac('trellis');
  cli.option('--debug', 'Print debug logs and error stacks');
  cli.option('--log-json', 'Write logs as JSON lines');
  cli.option('-h, --help', 'Show help (for a command: trellis <command> --help)');
  cli.option('-v, --version', 'Print the version');
  for (const r of registrars) r(cli, ctx, run);
  return cli;
}

/**
 * ExitClosedPipe is the exit code when stdout or stderr is a pipe whose reader went away
 * (`trellis ... | head -1`): 128 + SIGPIPE, what a shell reports for Go and coreutils programs
 * stopped by the broken pipe. Nothing is printed (there is nowhere to print it).
 */
export const ExitClosedPipe = 141;

/**
 * Main runs the trellis command with `argv` (without `node` and the script) and resolves to the
 * exit code. It is the CLI's one error boundary: errors are printed on one line with their cause
 * chain, with stacks under `--debug`, and an unexpected error asks to be reported. A first
 * SIGINT/SIGTERM aborts the command's signal (commands stop cleanly); a second one exits at once.
 * Without `io` it writes to the process's stdout and stderr; when either is a pipe closed by its
 * reader (EPIPE), further output is dropped, the command's signal aborts (commands stop cleanly,
 * as on Ctrl-C) and the exit code is ExitClosedPipe.
 */
export async function main(argv: string[], io?: Output): Promise<number> {
  const abort = new AbortController();
  let pipeClosed = false;
  const onPipeClosed = (): void => {
    pipeClosed = true;
    if (!abort.signal.aborted) abort.abort(new TrellisError('CLI_INTERRUPTED', 'output pipe closed'));
  };
  const code = await runMain(argv, io ?? processOutput(onPipeClosed), abort);
  return pipeClosed ? ExitClosedPipe : code;
}

async function runMain(argv: string[], io: Output, abort: AbortController): Promise<number> {
  const debug = argv.includes('--debug');
  const logJson = argv.includes('--log-json') || process.env.TRELLIS_LOG_FORMAT === 'json';
  const sink = (line: string): void => io.err(`${line}\n`);
  const log = logJson ? jsonLogger(sink, { debug }) : textLogger(sink, { debug });
  const onSignal = (): void => {
    if (abort.signal.aborted) {
      io.err('\ntrellis: interrupted again, exiting now\n');
      process.exit(ExitCode.Interrupted);
    }
    abort.abort(new TrellisError('CLI_INTERRUPTED', 'interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const ctx: CommandContext = { log, io, debug, signal: abort.signal };

  let pending: Promise<number> | undefined;
  const cli = buildCli(ctx, (fn) => {
    pending = fn();
  });
  const version = trellisVersion();
  try {
    cli.parse(['node', 'trellis', ...argv.map((a) => (a === '-' ? StdinArg : a))], { run: false });
    if (cli.options.help === true) {
      io.out(renderHelp(cli, version, cli.matchedCommand));
      return ExitCode.Ok;
    }
    if (cli.matchedCommand === undefined) {
      if (cli.options.version === true) {
        io.out(`trellis ${version}\n`);
        return ExitCode.Ok;
      }
      if (cli.args.length > 0) throw unknownCommand(cli, String(cli.args[0]));
      io.err(renderHelp(cli, version));
      return ExitCode.Usage;
    }
    await cli.runMatchedCommand();
    const code = await (pending ?? Promise.resolve(ExitCode.Ok));
    return code;
  } catch (err) {
    return reportError(err, ctx, cli);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function unknownCommand(cli: CAC, name: string): TrellisError {
  const names = commandSpecs(cli).map((c) => c.name);
  const close = names.filter((n) => editDistance(n, name) <= 2 || n.startsWith(name));
  const hint = close.length > 0 ? `; did you mean ${close.map((c) => `"${c}"`).join(' or ')}?` : '';
  return new TrellisError('CLI_USAGE', `unknown command "${name}"${hint} (see "trellis --help")`);
}

/** EditDistance is the Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

function reportError(err: unknown, ctx: CommandContext, cli: CAC): number {
  const cacUsage = err instanceof Error && err.name === 'CACError';
  const known = cacUsage || err instanceof TrellisError;
  const where = cli.matchedCommand === undefined ? '' : ` ${cli.matchedCommand.name.split(' ')[0] ?? ''}`;
  const line = cacUsage
    ? `trellis: ${(err as Error).message.replace(/`/g, '"')} (see "trellis${where} --help")`
    : `trellis: ${formatError(err)}`;
  ctx.io.err(`${line}\n`);
  if (!known) ctx.io.err('trellis: this is an internal error, please report it (run with --debug for a stack)\n');
  if (ctx.debug) {
    let cur: unknown = err;
    for (let depth = 0; cur instanceof Error && depth < 10; depth++, cur = cur.cause) {
      if (cur.stack !== undefined) ctx.io.err(`${depth === 0 ? '' : 'caused by: '}${cur.stack}\n`);
    }
  }
  return cacUsage ? ExitCode.Usage : exitCodeFor(err);
}

/**
 * ProcessOutput writes to the process's stdout and stderr. A write to a pipe whose reader has
 * gone fails asynchronously with EPIPE (an unhandled 'error' event would crash the process with
 * a stack): from then on every write to either stream is dropped, so the command stops quietly,
 * and `onPipeClosed` runs once. Other stream errors are not expected and are rethrown.
 */
function processOutput(onPipeClosed: () => void): Output {
  let closed = false;
  const watch = (stream: NodeJS.WriteStream): ((t: string) => void) => {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
      if (closed) return;
      closed = true;
      // The write may have been the command's last: main() can already have returned.
      process.exitCode = ExitClosedPipe;
      onPipeClosed();
    });
    return (t) => {
      if (!closed) stream.write(t);
    };
  };
  const stdout = watch(process.stdout);
  const stderr = watch(process.stderr);
  const statusLine: StatusLine = { owner: undefined, raw: stderr };
  return {
    out: (t) => {
      if (statusLine.owner !== undefined && process.stdout.isTTY === true && process.stderr.isTTY === true) stderr('\r\x1b[2K');
      stdout(t);
      statusLine.owner?.redraw();
    },
    err: (t) => {
      if (statusLine.owner === undefined) {
        stderr(t);
        return;
      }
      stderr(`\r\x1b[2K${t}`);
      statusLine.owner.redraw();
    },
    statusLine,
    isTTY: process.stdout.isTTY === true,
    errIsTTY: process.stderr.isTTY === true,
    readStdin: readProcessStdin,
  };
}
