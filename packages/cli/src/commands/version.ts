import { readFileSync } from 'node:fs';
import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';

/** TrellisVersion reads the CLI's own package version. */
export function trellisVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** RegisterVersion adds `trellis version`. */
export function registerVersion(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command('version', 'Print the Trellis version')
    .option('-o, --output <format>', 'text or json', { default: 'text' })
    .example('trellis version -o json')
    .action((opts: { output: string }) =>
      run(async () => {
        const v = { version: trellisVersion(), node: process.version };
        ctx.io.out(opts.output === 'json' ? `${JSON.stringify(v)}\n` : `trellis ${v.version} (node ${v.node})\n`);
        return 0;
      }),
    );
}
