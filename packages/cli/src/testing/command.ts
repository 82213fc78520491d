import { writeFile } from 'node:fs/promises';
import { TrellisError, wrap } from '@trellis/sdk';
import type { CommandContext } from '../context.ts';
import { parseOutputFormat, toJson } from '../ui/output.ts';
import { progressFor } from '../ui/progress.ts';
import { jsonReport, junitReport, resultLine, summaryLine } from './report.ts';
import { findTestFiles, loadSuites, runSuites } from './run.ts';

/** TestFlags are the flags of `trellis test`. */
export interface TestFlags {
  output?: string;
  filter?: string;
  update?: boolean;
  reportJunit?: string;
  reportJson?: string;
  showSecrets?: boolean;
}

const Formats = ['text', 'json', 'junit'] as const;

/**
 * RunTest finds `*.test.yaml` files, runs every case and prints a report; JUnit and JSON reports
 * can also be written to files for CI. Failing cases are findings (exit 3); a broken test file is
 * an errored case, and the other files still run.
 */
export async function runTest(ctx: CommandContext, paths: string[], flags: TestFlags): Promise<number> {
  const format = parseOutputFormat(flags.output, Formats, 'text');
  let filter: RegExp | undefined;
  if (flags.filter !== undefined && flags.filter !== '') {
    try {
      filter = new RegExp(String(flags.filter));
    } catch (err) {
      throw wrap(err, `invalid --filter ${JSON.stringify(flags.filter)}`, 'CLI_USAGE');
    }
  }
  const files = await findTestFiles(paths.length === 0 ? ['.'] : paths);
  const { suites, broken } = await loadSuites(files);
  const progress = progressFor(ctx.io, { quiet: format !== 'text' });
  const cases = suites.reduce((n, s) => n + s.cases.length, 0);
  const task = progress.task(`running ${plural(cases, 'test')} from ${plural(files.length, 'file')}`);
  let done = 0;
  const total = suites.reduce((n, s) => n + s.cases.length, 0) + broken.length;
  let run: Awaited<ReturnType<typeof runSuites>>;
  try {
    run = await runSuites(suites, broken, {
      ...(filter === undefined ? {} : { filter }),
      update: flags.update === true,
      signal: ctx.signal,
      showSecrets: flags.showSecrets === true,
      onResult: (r) => {
        done++;
        task.count(done, total);
        if (format === 'text') progress.above(() => ctx.io.out(resultLine(r)));
      },
      ...(ctx.io.readStdin === undefined ? {} : { readStdin: ctx.io.readStdin }),
    });
  } catch (err) {
    task.fail(err instanceof Error ? err.message : String(err));
    throw err;
  }
  task.succeed(`ran ${plural(run.summary.total, 'test')}`);
  if (format === 'text') ctx.io.out(summaryLine(run));
  else if (format === 'json') ctx.io.out(toJson(jsonReport(run)));
  else ctx.io.out(junitReport(run));
  if (flags.reportJunit !== undefined) await writeReport(flags.reportJunit, junitReport(run));
  if (flags.reportJson !== undefined) await writeReport(flags.reportJson, toJson(jsonReport(run)));
  if (run.summary.total === 0) throw new TrellisError('CLI_USAGE', `no test matched --filter ${JSON.stringify(flags.filter)}`);
  const bad = run.summary.failed + run.summary.errors;
  if (bad > 0) throw new TrellisError('CLI_TEST_FINDINGS', `${bad} of ${run.summary.total} tests did not pass`);
  return 0;
}

async function writeReport(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (err) {
    throw wrap(err, `cannot write report "${path}"`, 'CLI_USAGE');
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
