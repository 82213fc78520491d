/**
 * The CLI in a real terminal (tmux): `trellis up` shows a spinner per step while it starts, ✓
 * lines when each step is done and the ready line; Ctrl-C stops it cleanly (exit 0, "✓ stopping");
 * Ctrl-C while it is still starting stops what started and exits 130; a second Ctrl-C exits at
 * once. In a pipe (not a terminal) the same progress is plain lines, without escape codes.
 * tmux comes from the machine (test/infra/terminal/prepare.sh installs it when it can); when it is
 * missing the suite fails under CI=true and says so loudly otherwise.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'packages/cli/bin/trellis.js');
const dir = mkdtempSync(join(tmpdir(), 'trellis-terminal-'));
const sessions: string[] = [];

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    const msg = 'tmux is missing: run "bash test/infra/terminal/prepare.sh" (npm test does it)';
    if (process.env.CI === 'true') throw new Error(msg);
    console.warn(`\n*** SKIPPING the terminal suite: ${msg} ***\n`);
    return false;
  }
}
const tmux = hasTmux();

afterAll(async () => {
  for (const s of sessions) await run('tmux', ['kill-session', '-t', s]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** StartInTmux runs the command in a fresh 140x40 terminal; the exit code lands in `<name>.exit`. */
async function startInTmux(name: string, args: string[]): Promise<{ session: string; exitFile: string }> {
  const session = `trellis-${name}-${process.pid}`;
  const exitFile = join(dir, `${name}.exit`);
  // The terminal is what is under test: CI must not switch the spinner off inside it.
  const cmd = `env -u CI TERM=xterm-256color ${shellQuote(process.execPath)} ${[bin, ...args].map(shellQuote).join(' ')}; echo $? > ${shellQuote(exitFile)}; sleep 600`;
  await run('tmux', ['new-session', '-d', '-s', session, '-x', '140', '-y', '40', cmd]);
  sessions.push(session);
  return { session, exitFile };
}

async function screen(session: string): Promise<string> {
  const { stdout } = await run('tmux', ['capture-pane', '-p', '-t', session]);
  return stdout;
}

/** WaitScreen polls the terminal until `check` holds (frames seen along the way are returned). */
async function waitScreen(session: string, what: string, check: (s: string) => boolean, timeoutMs = 120_000): Promise<string[]> {
  const frames: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await screen(session);
    frames.push(s);
    if (check(s)) return frames;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the terminal shows:\n${s}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exitCode(file: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file) || readFileSync(file, 'utf8').trim() === '') {
    if (Date.now() > deadline) throw new Error(`the command did not exit within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Number(readFileSync(file, 'utf8').trim());
}

const spinner = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] starting /;

describe.runIf(tmux)('trellis up in a real terminal', () => {
  it('shows a spinner per step, then the ready line; Ctrl-C stops it cleanly with exit 0', async () => {
    const { session, exitFile } = await startInTmux('up', ['up', '--data-dir', join(dir, 'data'), '--port', '0']);
    const frames = await waitScreen(session, 'the ready line', (s) => s.includes('trellis is up: KUBECONFIG='));
    expect(
      frames.some((f) => spinner.test(f)),
      'a spinner frame while starting',
    ).toBe(true);
    const ready = frames.at(-1) as string;
    for (const step of [
      'starting the API server',
      'starting the composition engine',
      'starting the package manager',
      'starting the provider host',
    ]) {
      expect(ready).toMatch(new RegExp(`✓ ${step} \\(\\d+(\\.\\d)?s\\)`));
    }
    expect(ready).not.toMatch(spinner);
    // Log lines go above the spinner, never onto its line.
    expect(ready).toMatch(/^info embedded API server ready /m);
    expect(ready).not.toMatch(/starting [^\n]*info /);
    expect(ready).toContain('Press Ctrl-C to stop.');
    await run('tmux', ['send-keys', '-t', session, 'C-c']);
    expect(await exitCode(exitFile)).toBe(0);
    expect(await screen(session)).toMatch(/✓ stopping \(\d+(\.\d)?s\)/);
  }, 240_000);

  it('Ctrl-C while starting stops what started and exits 130', async () => {
    const { session, exitFile } = await startInTmux('early', ['up', '--data-dir', join(dir, 'early'), '--port', '0']);
    await waitScreen(session, 'the first step to finish', (s) => s.includes('✓ starting the API server'));
    await run('tmux', ['send-keys', '-t', session, 'C-c']);
    expect(await exitCode(exitFile)).toBe(130);
    const s = await screen(session);
    expect(s).toMatch(/✗ starting the .*: interrupted|✓ stopping/);
    expect(s).not.toContain('trellis is up');
  }, 240_000);
});

describe('trellis up in a pipe', () => {
  it('prints plain progress lines without escape codes and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [bin, 'up', '--data-dir', join(dir, 'pipe'), '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const deadline = Date.now() + 120_000;
    while (!out.includes('trellis is up') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/^trellis is up: KUBECONFIG=\S+ \(https:\/\/127\.0\.0\.1:\d+\)\n$/);
    expect(err).toContain('- starting the API server ...\n');
    expect(err).toMatch(/\n✓ starting the provider host \(\d/);
    expect(err).toMatch(/✓ stopping \(/);
    expect(err).not.toContain('\x1b[');
  }, 180_000);
});
