/**
 * docs/getting-started.md, executed as written: its shell blocks run in order (the markers are
 * described in ./guide.ts) in one emulated shell session in the checkout, with HOME set to a
 * fresh temporary directory (so `~/.trellis/data` is private and starts empty), `KUBECONFIG` and
 * `TRELLIS_*` unset, and kubectl 1.35 and helm 4 from ~/.cache/trellis/clients first on PATH
 * (test/infra/clients/prepare.sh installs them; npm test runs it). The background `trellis up
 * --with-examples` is a real process group of its own; the guide's Ctrl-C is a SIGINT to that
 * group, after which it must exit 0 and leave no process behind.
 *
 * The session: each block runs in `bash -c` with `set -eo pipefail` after sourcing the state the
 * previous block left (exported variables, functions, working directory), as a terminal would
 * keep them.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clientsDir } from '../clients/clients.ts';
import { linePattern, missingLines, parseGuide, type Step } from './guide.ts';

const root = resolve(import.meta.dirname, '../..');
const guidePath = 'docs/getting-started.md';
const steps = parseGuide(readFileSync(join(root, guidePath), 'utf8'), guidePath);

const clientDirs = [join(clientsDir(), 'kubectl-1.35'), join(clientsDir(), 'helm-4')];

function hasClients(): boolean {
  const missing = [join(clientDirs[0] ?? '', 'kubectl'), join(clientDirs[1] ?? '', 'helm')].filter((f) => !existsSync(f));
  if (missing.length === 0) return true;
  const msg = `missing ${missing.join(', ')}: run "bash test/infra/clients/prepare.sh" (npm test does it)`;
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`\n*** SKIPPING the getting-started guide: ${msg} ***\n`);
  return false;
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

describe('the guide follows the test convention', () => {
  it('has run blocks with expected output, one background command and a stop after it', () => {
    const kinds = steps.map((s) => s.kind);
    expect(kinds.filter((k) => k === 'run').length).toBeGreaterThanOrEqual(5);
    expect(steps.some((s) => s.kind === 'run' && s.expect !== undefined)).toBe(true);
    expect(kinds.filter((k) => k === 'background')).toHaveLength(1);
    expect(kinds.indexOf('stop')).toBeGreaterThan(kinds.indexOf('background'));
  });

  const parseCases = {
    Unmarked: { reason: 'a shell block without a marker', md: 'x\n```sh\nls\n```\n', err: 'g.md:2: a shell block without a test marker' },
    NoBlock: {
      reason: 'a marker not followed by a block',
      md: '<!-- test: run -->\ntext\n',
      err: 'g.md:2: a test marker must be followed',
    },
    Unknown: { reason: 'an unknown marker', md: '<!-- test: walk -->\n```sh\nls\n```\n', err: 'unknown test marker "walk"' },
    Orphan: {
      reason: 'an expect block with no run before it',
      md: '<!-- test: expect -->\n```text\nx\n```\n',
      err: 'must follow a run block',
    },
    NoReason: { reason: 'a skip without a reason', md: '<!-- test: skip: -->\n```sh\nls\n```\n', err: 'unknown test marker "skip:"' },
  };
  describe.each(Object.entries(parseCases))('%s', (_n, tc) => {
    it(`refuses ${tc.reason}`, () => {
      expect(() => parseGuide(tc.md, 'g.md')).toThrow(tc.err);
    });
  });

  const matchCases = {
    Columns: {
      reason: 'columns need not line up',
      want: 'App/hello (default)   True  True',
      line: 'App/hello (default)         True     True',
      ok: true,
    },
    Word: { reason: '… inside a word is any non-space run', want: 'XApp/hello-… True', line: 'XApp/hello-7jchj  True', ok: true },
    WordNoSpace: { reason: '… inside a word does not cross spaces', want: 'XApp/hello-… True', line: 'XApp/hello-a b True', ok: false },
    Words: { reason: 'a standalone … is any run of words', want: 'NAME … AGE', line: 'NAME   ESTABLISHED   OFFERED   AGE', ok: true },
    Empty: { reason: 'a standalone … may be empty', want: 'trellis …', line: 'trellis', ok: true },
    Different: { reason: 'other text does not match', want: 'True True', line: 'True False', ok: false },
  };
  describe.each(Object.entries(matchCases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      expect(linePattern(tc.want).test(tc.line)).toBe(tc.ok);
    });
  });

  it('matches expected lines in order', () => {
    expect(missingLines(['a', 'c'], 'a\nb\nc\n')).toEqual([]);
    expect(missingLines(['c', 'a'], 'a\nb\nc\n')).toEqual(['a']);
  });
});

interface Background {
  child: ChildProcess;
  out: string;
  err: string;
  exit: Promise<number | null>;
}

describe.runIf(hasClients())(`${guidePath}, as written`, () => {
  const home = mkdtempSync(join(tmpdir(), 'trellis-guide-'));
  const state = join(home, '.guide-session.sh');
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k !== 'KUBECONFIG' && !k.startsWith('TRELLIS_')),
  );
  env.HOME = home;
  env.PATH = [...clientDirs, process.env.PATH ?? ''].join(':');
  let bg: Background | undefined;

  const groupAlive = (pid: number): boolean => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      // ESRCH: no process is left in the group.
      return false;
    }
  };

  afterAll(() => {
    // Only after a failed step: the stop step ends the group otherwise.
    const pid = bg?.child.pid;
    if (pid !== undefined && groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  const prelude = `set -eo pipefail\nif [ -f ${q(state)} ]; then source ${q(state)}; fi\n`;

  const runBlock = (script: string): Promise<{ code: number | null; out: string; err: string }> =>
    new Promise((done, fail) => {
      const save = `\n{ export -p; declare -f; printf 'cd %q\\n' "$PWD"; } > ${q(state)}\n`;
      const child = spawn('bash', ['-c', prelude + script + save], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      child.on('error', fail);
      child.on('close', (code) => done({ code, out, err }));
    });

  const startBackground = async (step: Extract<Step, { kind: 'background' }>): Promise<void> => {
    const child = spawn('bash', ['-c', `${prelude}exec ${step.script} ${step.args}`], {
      cwd: root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const b: Background = { child, out: '', err: '', exit: new Promise((r) => child.on('exit', (code) => r(code))) };
    bg = b;
    child.stdout?.on('data', (d: Buffer) => {
      b.out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      b.err += d.toString();
    });
    let exited = false;
    void b.exit.then(() => {
      exited = true;
    });
    const deadline = Date.now() + 420_000;
    while (!b.out.includes(step.ready)) {
      if (exited) throw new Error(`"${step.script}" exited before "${step.ready}"; stderr:\n${b.err}`);
      if (Date.now() > deadline) throw new Error(`"${step.script}" did not print "${step.ready}" in time; stderr:\n${b.err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stopBackground = async (): Promise<void> => {
    const b = bg;
    const pid = b?.child.pid;
    if (b === undefined || pid === undefined) throw new Error('a stop marker without a background command before it');
    // Ctrl-C in a terminal signals the foreground process group.
    process.kill(-pid, 'SIGINT');
    const code = await Promise.race([b.exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 90_000))]);
    expect(code, `exit code after Ctrl-C; stderr:\n${b.err.slice(-3000)}`).toBe(0);
    const deadline = Date.now() + 15_000;
    while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (groupAlive(pid)) {
      const left = execFileSync('ps', ['-o', 'pid,args', '--no-headers', '-g', String(pid)]).toString();
      process.kill(-pid, 'SIGKILL');
      throw new Error(`processes left behind after trellis up stopped:\n${left}`);
    }
    expect(b.err).toContain('✓ stopping');
  };

  for (const step of steps) {
    if (step.kind === 'skip') continue;
    const title = step.kind === 'stop' ? `line ${step.line}: Ctrl-C stops it` : `line ${step.line}: ${step.script.split('\n')[0] ?? ''}`;
    it(
      title,
      async () => {
        if (step.kind === 'background') return startBackground(step);
        if (step.kind === 'stop') return stopBackground();
        const r = await runBlock(step.script);
        const shown = `stdout:\n${r.out}\nstderr:\n${r.err}`;
        expect(r.code, shown).toBe(0);
        if (step.expect !== undefined) expect(missingLines(step.expect, r.out), `lines missing from the output; ${shown}`).toEqual([]);
      },
      step.kind === 'background' ? 480_000 : 240_000,
    );
  }
});
