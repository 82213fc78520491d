// The embedded API server (packages/apiserver) as a test target: one shared instance for the
// conformance-style suites (see starters.ts), and private ones for suites that restart or kill
// it. Each runs as its own process (packages/apiserver/bin/trellis-apiserver.js), as `trellis up`
// would, with its own data directory under the OS temp dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { StartedTarget, TargetStarter } from './starters.ts';

const BIN = resolve(import.meta.dirname, '../../packages/apiserver/bin/trellis-apiserver.js');
// Test-harness knob read from the environment; it does not affect any turbo task.
const envVar = (name: string): string | undefined => process.env[name];

export interface EmbeddedOptions {
  /** DataDir reuses a directory (a restart); default a new temp dir. */
  dataDir?: string;
  /** Port; default 0 (a free one). Pass the old port to restart on the same URL. */
  port?: number;
  tls?: boolean;
  fsync?: boolean;
  bookmarkIntervalMs?: number;
  historySize?: number;
  snapshotBytes?: number;
  /** NodeFlags go to node before the script (for example --cpu-prof for a benchmark's profile). */
  nodeFlags?: string[];
}

/** The ready line the server prints. */
export interface EmbeddedReady {
  url: string;
  port: number;
  kubeconfigPath: string;
  token: string;
  pid: number;
  recovery: {
    snapshotRv: number;
    snapshotObjects: number;
    walFrames: number;
    truncatedBytes: number;
    objects: number;
    rv: number;
    ms: number;
  };
}

/** An EmbeddedServer is a running server process the caller owns. */
export interface EmbeddedServer extends EmbeddedReady {
  dataDir: string;
  /** StartupMs is the wall time from spawn to the ready line. */
  startupMs: number;
  process: ChildProcess;
  /** Stop sends SIGTERM and waits for the process to exit. */
  stop(): Promise<void>;
  /** Kill sends SIGKILL (a crash) and waits for the process to exit. */
  kill(): Promise<void>;
  /** Remove stops the server and deletes its data directory. */
  remove(): Promise<void>;
  /** Stderr returns what the server logged so far (for failure messages). */
  stderr(): string;
}

/** StartEmbeddedApiServer starts a private embedded API server process and waits until it is ready. */
export async function startEmbeddedApiServer(opts: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'trellis-embedded-'));
  const args = [...(opts.nodeFlags ?? []), BIN, '--data-dir', dataDir, '--port', String(opts.port ?? 0)];
  if (opts.tls === false) args.push('--no-tls');
  if (opts.fsync === false) args.push('--no-fsync');
  if (opts.bookmarkIntervalMs !== undefined) args.push('--bookmark-interval-ms', String(opts.bookmarkIntervalMs));
  if (opts.historySize !== undefined) args.push('--history-size', String(opts.historySize));
  if (opts.snapshotBytes !== undefined) args.push('--snapshot-bytes', String(opts.snapshotBytes));
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    if (err.length > 1_000_000) err = err.slice(-500_000);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const ready = await new Promise<EmbeddedReady>((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`embedded API server did not become ready within 60s:\n${err.slice(-4000)}`)), 60_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        try {
          resolvePromise(JSON.parse(out.slice(0, nl)) as EmbeddedReady);
        } catch (e) {
          reject(e);
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`embedded API server exited with code ${code} before it was ready:\n${err.slice(-4000)}`));
    });
  });
  const startupMs = performance.now() - t0;
  const waitExit = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return {
    ...ready,
    dataDir,
    startupMs,
    process: child,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
    async remove() {
      await waitExit('SIGTERM');
      if (envVar('TRELLIS_KEEP_EMBEDDED') !== '1') rmSync(dataDir, { recursive: true, force: true });
    },
    stderr: () => err,
  };
}

/** EmbeddedStarter is the shared `embedded` target of apiServerTargets(). */
export const embeddedStarter: TargetStarter = {
  name: 'embedded',
  missing: () => undefined,
  async start(): Promise<StartedTarget> {
    // A short bookmark interval keeps bookmark tests fast; everything else is the default.
    const s = await startEmbeddedApiServer({ bookmarkIntervalMs: 1000 });
    return { target: { name: 'embedded', kubeconfigPath: s.kubeconfigPath }, stop: () => s.remove() };
  },
};
