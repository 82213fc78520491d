import type { CAC, Command } from 'cac';

/**
 * The CLI's command model, read from cac once every registrar has run: it drives `--help`
 * (written to the command's output rather than cac's console), shell completion, and the test
 * that checks docs/cli.md against the help text.
 */
export interface OptionSpec {
  /** Flags as typed: `-o, --output <format>`. */
  raw: string;
  /** Long and short spellings with dashes: `['-o', '--output']`. */
  flags: string[];
  takesValue: boolean;
  description: string;
  default?: unknown;
}

export interface CommandSpec {
  /** Name is the first word (`render`, `xpkg`). */
  name: string;
  /** Usage is the command with its arguments: `render <xr> <composition> [functions]`. */
  usage: string;
  description: string;
  options: OptionSpec[];
  examples: string[];
  /** Actions are the words a first `<action>`/`<command>` argument accepts (for completion). */
  actions: string[];
}

/** Actions lists what the first positional argument of action-style commands accepts. */
export const commandActions: Record<string, string[]> = {
  xpkg: ['build', 'push', 'pull', 'extract', 'install', 'init'],
  dependency: ['resolve', 'update'],
  function: ['serve'],
  completion: ['bash', 'zsh', 'fish'],
  beta: ['convert'],
};

function optionSpec(o: Command['options'][number]): OptionSpec {
  const flags = o.rawName
    .replace(/[<[].*$/, '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const spec: OptionSpec = { raw: o.rawName, flags, takesValue: o.isBoolean !== true, description: o.description };
  if (o.config.default !== undefined) spec.default = o.config.default;
  return spec;
}

/** CommandSpecs reads every registered command (in registration order). */
export function commandSpecs(cli: CAC): CommandSpec[] {
  return cli.commands.map((c) => ({
    name: c.name.split(' ')[0] ?? c.name,
    usage: c.rawName,
    description: c.description,
    options: c.options.map(optionSpec),
    examples: c.examples.filter((e): e is string => typeof e === 'string'),
    actions: commandActions[c.name] ?? [],
  }));
}

/** GlobalOptions are the options every command accepts (`--debug`, `--help`, ...). */
export function globalOptions(cli: CAC): OptionSpec[] {
  return cli.globalCommand.options.map(optionSpec);
}

function pad(s: string, n: number): string {
  return s + ' '.repeat(Math.max(0, n - s.length));
}

function optionLines(opts: OptionSpec[]): string {
  const w = Math.max(...opts.map((o) => o.raw.length));
  return opts
    .map((o) => {
      const def = o.default === undefined || o.default === false ? '' : ` (default: ${String(o.default)})`;
      return `  ${pad(o.raw, w)}  ${o.description}${def}`.trimEnd();
    })
    .join('\n');
}

/** RenderHelp renders the top-level help, or one command's help. */
export function renderHelp(cli: CAC, version: string, command?: Command): string {
  const specs = commandSpecs(cli);
  const globals = globalOptions(cli);
  const sections: string[] = [`trellis ${version}`];
  if (command === undefined) {
    sections.push('Usage:\n  $ trellis <command> [options]');
    const w = Math.max(...specs.map((s) => s.usage.length));
    sections.push(`Commands:\n${specs.map((s) => `  ${pad(s.usage, w)}  ${s.description}`.trimEnd()).join('\n')}`);
    sections.push(`Options:\n${optionLines(globals)}`);
    sections.push(
      'Run "trellis <command> --help" for a command\'s flags and examples.\nExit codes: 0 ok, 1 error, 2 usage, 3 findings (validate, test, plan), 130 interrupted (docs/cli.md).',
    );
    return `${sections.join('\n\n')}\n`;
  }
  const spec = specs.find((s) => s.usage === command.rawName);
  if (spec === undefined) return renderHelp(cli, version);
  sections.push(`Usage:\n  $ trellis ${spec.usage} [options]`);
  sections.push(spec.description);
  if (spec.actions.length > 0) sections.push(`Actions:\n  ${spec.actions.join(', ')}`);
  const opts = [...spec.options, ...globals.filter((g) => !g.flags.includes('--version'))];
  sections.push(`Options:\n${optionLines(opts)}`);
  if (spec.examples.length > 0) sections.push(`Examples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}`);
  return `${sections.join('\n\n')}\n`;
}
