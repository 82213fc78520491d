import { codeOf, formatError, jsonLogger, TrellisError, textLogger } from '@trellis/sdk';
import { cac } from 'cac';
import { registrars } from './commands/index.ts';
import { trellisVersion } from './commands/version.ts';
import { type CommandContext, ExitCode, type Output } from './context.ts';

/** ExitCodeFor maps an error code to a process exit code (docs/cli.md lists them). */
export function exitCodeFor(err: unknown): number {
  const code = codeOf(err);
  if (code === 'CLI_USAGE') return ExitCode.Usage;
  if (code === 'CLI_INTERRUPTED') return ExitCode.Interrupted;
  if (code.endsWith('_FINDINGS')) return ExitCode.Findings;
  return ExitCode.Error;
}

/**
 * Main runs the trellis command with `argv` (without `node` and the script) and resolves to the
 * exit code. It is the CLI's one error boundary: errors are printed on one line with their cause
 * chain, with stacks under `--debug`, and an unexpected error asks to be reported.
 */
export async function main(argv: string[], io: Output = processOutput()): Promise<number> {
  const debug = argv.includes('--debug');
  const logJson = argv.includes('--log-json') || process.env.TRELLIS_LOG_FORMAT === 'json';
  const sink = (line: string): void => io.err(`${line}\n`);
  const log = logJson ? jsonLogger(sink, { debug }) : textLogger(sink, { debug });
  const abort = new AbortController();
  const onSignal = (): void => abort.abort(new TrellisError('CLI_INTERRUPTED', 'interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const ctx: CommandContext = { log, io, debug, signal: abort.signal };

  let pending: Promise<number> | undefined;
  const run = (fn: () => Promise<number>): void => {
    pending = fn();
  };
  const cli = cac('trellis');
  cli.option('--debug', 'Print debug logs and error stacks');
  cli.option('--log-json', 'Write logs as JSON lines');
  for (const r of registrars) r(cli, ctx, run);
  cli.help();
  cli.version(trellisVersion());
  try {
    cli.parse(['node', 'trellis', ...argv], { run: false });
    if (cli.options.help === true || cli.options.version === true) return ExitCode.Ok;
    if (cli.matchedCommand === undefined) {
      if (cli.args.length > 0) throw new TrellisError('CLI_USAGE', `unknown command "${cli.args[0]}"; see "trellis --help"`);
      cli.outputHelp();
      return ExitCode.Usage;
    }
    await cli.runMatchedCommand();
    return await (pending ?? Promise.resolve(ExitCode.Ok));
  } catch (err) {
    return reportError(err, ctx);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function reportError(err: unknown, ctx: CommandContext): number {
  const cacUsage = err instanceof Error && err.name === 'CACError';
  const known = cacUsage || err instanceof TrellisError;
  const line = cacUsage ? `trellis: ${(err as Error).message}` : `trellis: ${formatError(err)}`;
  ctx.io.err(`${line}\n`);
  if (!known) ctx.io.err('trellis: this is an internal error, please report it (run with --debug for a stack)\n');
  if (ctx.debug && err instanceof Error && err.stack !== undefined) ctx.io.err(`${err.stack}\n`);
  return cacUsage ? ExitCode.Usage : exitCodeFor(err);
}

function processOutput(): Output {
  return {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTTY: process.stdout.isTTY === true,
  };
}
