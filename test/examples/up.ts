// Starts `trellis up --with-examples` as a real CLI process (node packages/cli/bin/trellis.js) for
// the examples suites: on its own embedded API server (temp data dir, free port), or with
// `--kubeconfig` against a private real control plane. Progress goes to stderr as plain lines (not a
// terminal); the ready line on stdout names the kubeconfig.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type RealControlPlane, startRealControlPlane } from '../harness/control-plane.ts';

export const root = resolve(import.meta.dirname, '../..');
export const trellisBin = join(root, 'packages/cli/bin/trellis.js');

export interface TrellisUp {
  /** Name is `embedded` or `real`. */
  name: string;
  kubeconfigPath: string;
  /** StartSeconds is how long `trellis up --with-examples` took to print its ready line. */
  startSeconds: number;
  /** Output returns what the process printed so far (for failure messages). */
  output(): string;
  /** Stop sends SIGINT (Ctrl-C), waits for the process to exit and returns its exit code. */
  stop(): Promise<number | null>;
}

const ReadyLine = /trellis is up: KUBECONFIG=(\S+)/;

/** SpawnUp runs `trellis up <args>` and resolves once it printed its ready line. */
async function spawnUp(name: string, args: string[], timeoutMs: number, cleanup: () => Promise<void>): Promise<TrellisUp> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [trellisBin, 'up', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString('utf8');
  });
  const exited = new Promise<number | null>((r) => {
    if (child.exitCode !== null) r(child.exitCode);
    else child.once('exit', (code) => r(code));
  });
  const output = (): string => `--- stdout\n${stdout}\n--- stderr (last 4000 characters)\n${stderr.slice(-4000)}`;
  const stop = async (): Promise<number | null> => {
    try {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const deadline = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000).unref());
      const code = await Promise.race([exited, deadline]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        throw new Error(`trellis up (${name}) did not stop within 60s of SIGINT\n${output()}`);
      }
      return code;
    } finally {
      await cleanup();
    }
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = ReadyLine.exec(stdout);
    if (m?.[1] !== undefined) {
      return { name, kubeconfigPath: m[1], startSeconds: (performance.now() - started) / 1000, output, stop };
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      await cleanup();
      throw new Error(`trellis up (${name}) exited ${child.exitCode ?? child.signalCode} before it was up\n${output()}`);
    }
    if (Date.now() > deadline) {
      await stop().catch(() => undefined);
      throw new Error(`trellis up (${name}) was not up within ${timeoutMs / 1000}s\n${output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** StartEmbeddedUp runs `trellis up --with-examples` on a temp data dir and a free port. */
export async function startEmbeddedUp(timeoutMs = 240_000): Promise<TrellisUp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trellis-up-examples-'));
  return await spawnUp('embedded', ['--with-examples', '--data-dir', dataDir, '--port', '0'], timeoutMs, async () => {
    rmSync(dataDir, { recursive: true, force: true });
  });
}

/**
 * StartRealUp starts a private real control plane (the engine of `trellis up --kubeconfig` sees
 * every XRD on its API server, so it must not share the suites' one) and runs
 * `trellis up --kubeconfig ... --with-examples` against it.
 */
export async function startRealUp(timeoutMs = 240_000): Promise<TrellisUp> {
  const kcp: RealControlPlane = await startRealControlPlane();
  const dataDir = mkdtempSync(join(tmpdir(), 'trellis-up-examples-'));
  // SpawnUp runs the cleanup (stopping the control plane) on every path, also when it throws.
  return await spawnUp('real', ['--with-examples', '--kubeconfig', kcp.kubeconfigPath, '--data-dir', dataDir], timeoutMs, async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await kcp.stop();
  });
}

/** Trellis runs the CLI as a process (`node packages/cli/bin/trellis.js <args>`). */
export function trellisCli(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((r) => {
    execFile(
      process.execPath,
      [trellisBin, ...args],
      { cwd: root, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null;
        r({ code, stdout, stderr });
      },
    );
  });
}
