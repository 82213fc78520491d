/**
 * The CLI's own UX: every command's --help (on stdout, exit 0) has examples; unknown commands
 * and flags are one line with a hint and exit 2; --debug adds stacks; shell completion scripts
 * complete commands, actions, flags and -o values in a real bash.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildCli, type CommandContext, ExitCode } from '@trellis/cli';
import { nopLogger } from '@trellis/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { trellis } from './cli.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'trellis-help-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx: CommandContext = {
  log: nopLogger,
  io: { out: () => {}, err: () => {}, isTTY: false },
  debug: false,
  signal: new AbortController().signal,
};
const commands = buildCli(ctx).commands.map((c) => c.name.split(' ')[0] ?? '');

describe('help', () => {
  it('lists every command with its usage and the exit codes', async () => {
    const r = await trellis(['--help']);
    expect(r.code).toBe(0);
    for (const c of commands) expect(r.out).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.out).toContain('Exit codes: 0 ok, 1 error, 2 usage, 3 findings');
  });

  describe.each(commands)('trellis %s --help', (c) => {
    it('prints usage, options and examples on stdout', async () => {
      const r = await trellis([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toContain(`Usage:\n  $ trellis ${c}`);
      expect(r.out).toMatch(/Examples:\n {2}\S/);
      expect(r.out).toContain('--debug');
    });
  });

  it('prints the help on stderr and exits 2 without a command', async () => {
    const r = await trellis([]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage:');
  });
});

describe('usage errors', () => {
  const cases = {
    Typo: {
      reason: 'an unknown command suggests the close ones',
      args: ['valdate'],
      err: 'trellis: unknown command "valdate"; did you mean "validate"? (see "trellis --help")\n',
    },
    Unknown: {
      reason: 'a command that does not exist',
      args: ['frobnicate'],
      err: 'trellis: unknown command "frobnicate" (see "trellis --help")\n',
    },
    UnknownFlag: {
      reason: 'an unknown flag names the command whose help to read',
      args: ['trace', 'app/x', '--frob'],
      err: 'trellis: Unknown option "--frob" (see "trellis trace --help")\n',
    },
    MissingArg: {
      reason: 'a missing argument',
      args: ['validate', 'x.yaml'],
      err: 'trellis: missing required args for command "validate <extensions> <resources>" (see "trellis validate --help")\n',
    },
    BadShell: {
      reason: 'an unsupported shell',
      args: ['completion', 'powershell'],
      err: 'trellis: unsupported shell "powershell": want one of bash, zsh, fish\n',
    },
  };
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, async () => {
      const r = await trellis(tc.args);
      expect(r.code).toBe(2);
      expect(r.err).toBe(tc.err);
    });
  });

  it('prints the stack of every error in the chain under --debug', async () => {
    const r = await trellis(['validate', join(dir, 'none.yaml'), join(dir, 'none.yaml'), '--debug']);
    expect(r.code).toBe(2);
    const lines = r.err.split('\n');
    expect(lines[0]).toMatch(/^trellis: cannot read extensions from ".*none.yaml": no such file or directory$/);
    expect(r.err).toMatch(/\n {4}at /);
  });

  it('prints the version', async () => {
    const r = await trellis(['--version']);
    expect(r.out).toMatch(/^trellis \d+\.\d+\.\d+\n$/);
    expect(r.code).toBe(0);
  });
});

describe('shell completion', () => {
  const complete = async (words: string[]): Promise<string[]> => {
    const script = join(dir, 'trellis.bash');
    writeFileSync(script, (await trellis(['completion', 'bash'])).out);
    const quoted = words.map((w) => `'${w}'`).join(' ');
    const { stdout } = await run(
      'bash',
      ['-c', `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _trellis; printf '%s\\n' "\${COMPREPLY[@]}"`],
      {
        cwd: dir,
      },
    );
    return stdout.split('\n').filter((l) => l !== '');
  };

  it('completes command names', async () => {
    expect(await complete(['trellis', 'va'])).toEqual(['validate']);
    expect(await complete(['trellis', 't'])).toEqual(['test', 'trace']);
  });
  it('completes actions and flags of a command', async () => {
    expect(await complete(['trellis', 'xpkg', 'p'])).toEqual(['push', 'pull']);
    expect(await complete(['trellis', 'trace', 'app/x', '--show-c'])).toEqual(['--show-connection-secrets']);
  });
  it('completes -o values for commands whose -o is a format, and files for xpkg -o', async () => {
    expect(await complete(['trellis', 'trace', 'app/x', '-o', 'd'])).toEqual(['dot']);
    writeFileSync(join(dir, 'pkg.xpkg'), '');
    expect(await complete(['trellis', 'xpkg', 'build', '-o', 'pkg'])).toEqual(['pkg.xpkg']);
  });
  it('writes zsh and fish scripts for every command', async () => {
    const zsh = (await trellis(['completion', 'zsh'])).out;
    const fish = (await trellis(['completion', 'fish'])).out;
    expect(zsh.startsWith('#compdef trellis\n')).toBe(true);
    for (const c of commands) {
      expect(zsh).toContain(`    ${c})\n`);
      expect(fish).toContain(`complete -c trellis -n "not __fish_seen_subcommand_from `);
      expect(fish).toContain(` -a ${c} -d `);
    }
  });
});

describe('a closed output pipe (trellis ... | head -1)', () => {
  const bin = resolve(import.meta.dirname, '../../packages/cli/bin/trellis.js');
  const example = (f: string): string => resolve(import.meta.dirname, '../../examples/multi-cluster-app', f);
  /** RunClosed runs the real bin with the read end of its stdout or stderr closed before it writes. */
  const runClosed = (args: string[], closed: 'stdout' | 'stderr'): Promise<{ code: number | null; other: string }> =>
    new Promise((done, fail) => {
      const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      child[closed].destroy();
      let other = '';
      child[closed === 'stdout' ? 'stderr' : 'stdout'].on('data', (d: Buffer) => {
        other += d.toString();
      });
      child.on('error', fail);
      child.on('close', (code) => done({ code, other }));
    });
  const cases = {
    Help: { reason: 'main writes the help and returns at once', args: ['--help'], closed: 'stdout' },
    Render: {
      reason: 'a command writes its result',
      args: ['render', example('xr.yaml'), example('composition.yaml'), example('functions.yaml'), '--xrd', example('xrd.yaml')],
      closed: 'stdout',
    },
    Stderr: { reason: 'the usage text goes to a closed stderr', args: [], closed: 'stderr' },
  } as const;
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(`${tc.reason}: exits 141 (128 + SIGPIPE) and prints nothing else`, async () => {
      const r = await runClosed([...tc.args], tc.closed);
      expect(r.other).toBe('');
      expect(r.code).toBe(141);
    }, 120_000);
  });
});

/**
 * docs/cli.md against the help text: a `### \`trellis <command>\`` section per command of
 * `trellis --help` (and none for a command that does not exist), its usage line as the help
 * prints it, and a flags table whose first column lists exactly the command's flags as typed in
 * its --help (global flags are in the "Global flags" table); every environment variable a help
 * text mentions is in the "Environment variables" table, every exit code in "Exit codes".
 */
describe('docs/cli.md matches --help', () => {
  const doc = readFileSync(resolve(import.meta.dirname, '../../docs/cli.md'), 'utf8');
  /** Section is the text under a heading, up to the next heading of the same or a higher level. */
  const section = (heading: string): string => {
    const lines = doc.split('\n');
    const start = lines.indexOf(heading);
    if (start < 0) return '';
    const level = heading.indexOf(' ');
    const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
    return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
  };
  /** TableFlags reads the first cells of a table's rows (backticked flags, `\|` unescaped). */
  const tableFlags = (text: string): string[] =>
    [...text.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => (m[1] ?? '').replace(/\\\|/g, '|')).filter((f) => f.startsWith('-'));
  /** HelpOptions reads the raw flags of a help text's "Options:" block. */
  const helpOptions = (help: string): string[] => {
    const block = help.split('\nOptions:\n')[1]?.split('\n\n')[0] ?? '';
    return block
      .split('\n')
      .map((l) => l.trim().split(/\s{2,}/)[0] ?? '')
      .filter((f) => f !== '');
  };
  const helpOf = async (args: string[]): Promise<string> => (await trellis(args)).out;

  it('has a section for every command of trellis --help, and no other', async () => {
    const top = await helpOf(['--help']);
    const listed = (top.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '').split('\n').map((l) => l.trim().split(/\s+/)[0]);
    const documented = [...doc.matchAll(/^### `trellis (\S+)`$/gm)].map((m) => m[1]);
    expect(documented).toEqual(listed);
    expect(listed).toEqual(commands);
  });

  it('lists the global flags of trellis --help', async () => {
    expect(tableFlags(section('## Global flags')).sort()).toEqual(helpOptions(await helpOf(['--help'])).sort());
  });

  describe.each(commands)('trellis %s', (c) => {
    it('has the usage line and exactly the flags of its --help', async () => {
      const help = await helpOf([c, '--help']);
      const globals = helpOptions(await helpOf(['--help']));
      const text = section(`### \`trellis ${c}\``);
      const usage = /\$ (trellis .*)/.exec(help)?.[1];
      expect(usage, 'usage line in the help').toBeDefined();
      expect(text).toContain(`\n\`\`\`\n${usage}\n\`\`\`\n`);
      const own = helpOptions(help).filter((f) => !globals.includes(f));
      expect(tableFlags(text).sort()).toEqual(own.sort());
    });
  });

  it('lists every environment variable a help text mentions', async () => {
    const helps = await Promise.all([['--help'], ...commands.map((c) => [c, '--help'])].map(helpOf));
    const mentioned = new Set(helps.flatMap((h) => [...h.matchAll(/\$([A-Z][A-Z0-9_]+)/g)].map((m) => m[1] ?? '')));
    expect(mentioned.size).toBeGreaterThan(0);
    const env = section('## Environment variables');
    for (const v of mentioned) expect(env, `environment variable ${v}`).toContain(`| \`${v}\` |`);
  });

  it('lists every exit code', async () => {
    const codes = section('## Exit codes');
    const top = await helpOf(['--help']);
    const inHelp = [...(/Exit codes: (.*)/.exec(top)?.[1] ?? '').matchAll(/\b(\d+) [a-z]/g)].map((m) => Number(m[1]));
    expect(inHelp.length).toBeGreaterThan(0);
    for (const code of new Set([...Object.values(ExitCode), ...inHelp, 141]))
      expect(codes, `exit code ${code}`).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
  });
});
