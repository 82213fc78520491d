import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';
import type { TestFlags } from '../testing/command.ts';

/** RegisterTest adds `trellis test`. */
export function registerTest(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command('test [...paths]', 'Run composition tests (*.test.yaml: XR, Composition, functions, observed resources, assertions)')
    .option('-o, --output <format>', 'Report on stdout: text, json or junit', { default: 'text' })
    .option('--report-junit <file>', 'Also write a JUnit XML report (for CI)')
    .option('--report-json <file>', 'Also write a JSON report')
    .option('-f, --filter <regexp>', 'Run only cases whose suite/case name matches')
    .option('--update', 'Rewrite golden files with the current render output')
    .option('--show-secrets', 'Print Secret values in failures and golden files')
    .example('trellis test')
    .example('trellis test examples/ --report-junit junit.xml')
    .example('trellis test tests/database.test.yaml -f defaults -o json')
    .action((paths: string[], flags: TestFlags) =>
      run(async () => {
        const { runTest } = await import('../testing/command.ts');
        return runTest(ctx, paths, flags);
      }),
    );
}
