// Processes the campaign starts, watches and kills: the Trellis controllers as their own process
// (`trellis up --kubeconfig`, the engine, package manager and provider host against an existing API
// server), the provider processes the host spawns, and readings of their memory.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '../../..');
const trellisBin = join(repoRoot, 'packages/cli/bin/trellis.js');

/**
 * ReportFlags make a Node process write a diagnostic report (JSON with `javascriptHeap` and
 * `resourceUsage`) into `dir` on SIGUSR2: how the campaign reads the heap of a child process.
 */
export function reportFlags(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return ['--report-on-signal', '--report-signal=SIGUSR2', `--report-directory=${dir}`, '--report-compact'];
}

/** A MemoryReading is one sample of one process. */
export interface MemoryReading {
  rssBytes: number;
  /** HeapUsedBytes is V8's used heap (from a diagnostic report), when the process can write one. */
  heapUsedBytes?: number;
}

/** Rss reads VmRSS from /proc, or undefined when the process is gone. */
export function rss(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * ReadHeap asks a process started with `reportFlags(dir)` for a diagnostic report and returns
 * its used heap; undefined when no report arrived within the deadline (a busy process).
 */
export async function readHeap(pid: number, dir: string, timeoutMs = 20_000): Promise<number | undefined> {
  const mine = (): string[] => readdirSync(dir).filter((f) => f.includes(`.${pid}.`) && f.endsWith('.json'));
  for (const f of mine()) rmSync(join(dir, f), { force: true });
  try {
    process.kill(pid, 'SIGUSR2');
  } catch {
    return undefined;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of mine()) {
      try {
        const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { javascriptHeap?: { usedMemory?: number } };
        rmSync(join(dir, f), { force: true });
        return r.javascriptHeap?.usedMemory;
      } catch {
        // Still being written: read it again on the next poll.
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/** Children returns the pids whose parent is `pid` (from /proc). */
export function children(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // The process exited while we looked.
    }
  }
  return out;
}

/**
 * ProcessesWithEnv returns the pids of processes whose environment has `name=value` (ours only:
 * other users' environments are unreadable). It finds provider processes wherever they are in the
 * tree, including orphans whose parent died. With `command`, only processes whose argv[0] is
 * `command` count: a provider's helpers inherit its environment (tsx's esbuild service, started
 * when a provider running from source first transforms a module, is a child with the same
 * TRELLIS_KUBECONFIG) and are not provider processes.
 */
export function processesWithEnv(name: string, value: string, command?: string): number[] {
  const want = `${name}=${value}`;
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const env = readFileSync(`/proc/${d}/environ`, 'utf8').split('\0');
      if (!env.includes(want)) continue;
      if (command !== undefined && readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')[0] !== command) continue;
      out.push(Number(d));
    } catch {
      // Not ours, or gone.
    }
  }
  return out;
}

/** IsAlive reports whether a pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export interface ControllersOptions {
  /** KubeconfigPath is the API server the controllers talk to (through the campaign's proxy). */
  kubeconfigPath: string;
  dataDir: string;
  /** LogPath receives the process's stderr (appended across restarts). */
  logPath: string;
  /** ReportDir enables heap readings (see reportFlags). */
  reportDir?: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

/**
 * A ControllersProcess is `trellis up --kubeconfig`: the composition engine, the package manager
 * and the provider host as one process of their own, restarted by the campaign after a kill as a
 * supervisor (systemd, a Deployment) would.
 */
export interface ControllersProcess {
  pid(): number | undefined;
  /** Start spawns the process and waits for its ready line. */
  start(): Promise<void>;
  /** Kill sends SIGKILL and waits until the process is gone. */
  kill(): Promise<void>;
  /** Stop sends SIGTERM and waits (then SIGKILL after the grace period). */
  stop(graceMs?: number): Promise<void>;
  /** Starts counts how often the process was started. */
  starts(): number;
  /** Tail returns the end of the log, for failure messages. */
  tail(lines?: number): string;
}

export function controllersProcess(o: ControllersOptions): ControllersProcess {
  let child: ChildProcess | undefined;
  let exited: Promise<void> | undefined;
  let starts = 0;
  let log: WriteStream | undefined;
  let recent: string[] = [];
  const remember = (chunk: string): void => {
    recent.push(chunk);
    if (recent.length > 400) recent = recent.slice(-200);
  };
  const waitGone = async (c: ChildProcess | undefined, e: Promise<void> | undefined): Promise<void> => {
    if (c === undefined || e === undefined) return;
    await e;
  };
  const self: ControllersProcess = {
    pid: () => (child?.exitCode === null && child.signalCode === null ? child.pid : undefined),
    starts: () => starts,
    tail(lines = 40) {
      return recent.join('').split('\n').slice(-lines).join('\n');
    },
    async start() {
      if (self.pid() !== undefined) throw new Error('the controllers process is already running');
      log ??= createWriteStream(o.logPath, { flags: 'a' });
      starts++;
      log.write(`\n===== start ${starts} at ${new Date().toISOString()} =====\n`);
      const args = [
        ...(o.reportDir === undefined ? [] : reportFlags(o.reportDir)),
        trellisBin,
        'up',
        '--kubeconfig',
        o.kubeconfigPath,
        '--data-dir',
        o.dataDir,
      ];
      const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(o.env ?? {}) } });
      child = c;
      exited = new Promise<void>((r) => c.once('exit', () => r()));
      const sink = log;
      c.stderr?.on('data', (d: Buffer) => {
        sink.write(d);
        remember(d.toString('utf8'));
      });
      await new Promise<void>((ok, fail) => {
        let out = '';
        const timer = setTimeout(() => {
          fail(new Error(`trellis up --kubeconfig was not ready within ${(o.readyTimeoutMs ?? 120_000) / 1000}s:\n${self.tail()}`));
        }, o.readyTimeoutMs ?? 120_000);
        c.stdout?.on('data', (d: Buffer) => {
          out += d.toString('utf8');
          sink.write(d);
          if (out.includes('trellis is up')) {
            clearTimeout(timer);
            ok();
          }
        });
        c.once('exit', (code, signal) => {
          clearTimeout(timer);
          fail(new Error(`trellis up --kubeconfig exited (${code ?? signal}) before it was ready:\n${self.tail()}`));
        });
      });
    },
    async kill() {
      const c = child;
      if (c?.pid !== undefined && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await waitGone(c, exited);
    },
    async stop(graceMs = 30_000) {
      const c = child;
      if (c?.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
      await waitGone(c, exited);
      clearTimeout(t);
      log?.end();
      log = undefined;
    },
  };
  return self;
}

/** Cleanup kills leftover processes by pid (orphans found by processesWithEnv) at the end of a run. */
export function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** ExistsOrExplain fails loudly when a file a campaign needs is missing. */
export function requireFile(path: string, how: string): void {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${how}`);
}

const apiserverBin = join(repoRoot, 'packages/apiserver/bin/trellis-apiserver.js');

/** An EmbeddedProcess is the embedded API server as its own process (packages/apiserver/bin). */
export interface EmbeddedProcess {
  pid: number;
  port: number;
  kubeconfigPath: string;
  /** Recovery is what the server reported about replaying its storage at start. */
  recovery: Record<string, number>;
  startupMs: number;
  /** Gone resolves when the process has exited. */
  gone: Promise<void>;
  signal(sig: NodeJS.Signals): void;
}

/**
 * StartEmbeddedProcess starts the embedded API server on `dataDir` (fsync on, the default) and
 * waits for its ready line. Unlike the harness's starter it passes Node flags (heap reports) and
 * appends the log to a file, for long runs.
 */
export async function startEmbeddedProcess(o: {
  dataDir: string;
  port?: number;
  reportDir?: string;
  logPath: string;
  /** HistorySize is the server's watch history per resource (`--history-size`; default the server's, 20,000 events). */
  historySize?: number;
  /** EventTtlMs is how long Events live (`--event-ttl-ms`; default the server's, 1 h). */
  eventTtlMs?: number;
}): Promise<EmbeddedProcess> {
  const args = [
    ...(o.reportDir === undefined ? [] : reportFlags(o.reportDir)),
    apiserverBin,
    '--data-dir',
    o.dataDir,
    '--port',
    String(o.port ?? 0),
    ...(o.historySize === undefined ? [] : ['--history-size', String(o.historySize)]),
    ...(o.eventTtlMs === undefined ? [] : ['--event-ttl-ms', String(o.eventTtlMs)]),
  ];
  const t0 = performance.now();
  const log = createWriteStream(o.logPath, { flags: 'a' });
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    log.write(d);
    tail = (tail + d.toString('utf8')).slice(-8000);
  });
  const gone = new Promise<void>((r) =>
    child.once('exit', () => {
      log.end();
      r();
    }),
  );
  const ready = await new Promise<{ port: number; kubeconfigPath: string; recovery: Record<string, number>; pid: number }>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`embedded API server not ready within 120s:\n${tail}`)), 120_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        ok(JSON.parse(out.slice(0, nl)));
      } catch (err) {
        fail(err);
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      fail(new Error(`embedded API server exited (${code ?? sig}) before it was ready:\n${tail}`));
    });
  });
  return {
    pid: ready.pid,
    port: ready.port,
    kubeconfigPath: ready.kubeconfigPath,
    recovery: ready.recovery,
    startupMs: performance.now() - t0,
    gone,
    signal: (sig) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    },
  };
}
