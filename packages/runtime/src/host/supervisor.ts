import type { ChildProcess } from 'node:child_process';
import type { Logger } from '@trellis/sdk';
import { nopLogger } from '@trellis/sdk';

/** The state of a supervised process. */
export const ProcessState = {
  /** Starting: spawned, not yet ready. */
  Starting: 'Starting',
  /** Ready: the process said it is ready (an IPC `{ type: 'ready' }` message). */
  Ready: 'Ready',
  /** Backoff: it exited; the next start waits for the backoff delay. */
  Backoff: 'Backoff',
  /** Stopped: stop() was called. */
  Stopped: 'Stopped',
} as const;
export type ProcessState = (typeof ProcessState)[keyof typeof ProcessState];

/** A ProcessStatus is what the supervisor reports on every change. */
export interface ProcessStatus {
  state: ProcessState;
  pid?: number;
  restarts: number;
  /** Message says why a process is not ready, e.g. how it exited and when it restarts. */
  message?: string;
}

export interface SupervisorOptions {
  /** Spawn starts the process; it must be spawned with an IPC channel to report readiness. */
  spawn: () => ChildProcess;
  onStatus?: (s: ProcessStatus) => void;
  log?: Logger;
  /** BaseDelayMs is the first restart delay (default 1 s); it doubles per crash up to MaxDelayMs (60 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** StableAfterMs: a process that ran this long before exiting restarts after the base delay again (default 60 s). */
  stableAfterMs?: number;
  /** StopGraceMs: how long stop() waits after SIGTERM before SIGKILL (default 10 s). */
  stopGraceMs?: number;
}

/** A Supervisor keeps one child process running, restarting it with exponential backoff when it dies. */
export interface Supervisor {
  start(): void;
  /** Stop terminates the process (SIGTERM, then SIGKILL after the grace period) and stops restarting. */
  stop(): Promise<void>;
  status(): ProcessStatus;
  /** Pid is the current process id, if one runs. */
  pid(): number | undefined;
}

export function newSupervisor(o: SupervisorOptions): Supervisor {
  const log = o.log ?? nopLogger;
  const base = o.baseDelayMs ?? 1_000;
  const max = o.maxDelayMs ?? 60_000;
  const stableAfter = o.stableAfterMs ?? 60_000;
  const grace = o.stopGraceMs ?? 10_000;
  let child: ChildProcess | undefined;
  let startedAt = 0;
  let failures = 0;
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let current: ProcessStatus = { state: ProcessState.Stopped, restarts: 0 };

  const report = (s: ProcessStatus): void => {
    current = s;
    o.onStatus?.(s);
  };

  const launch = (): void => {
    timer = undefined;
    if (stopped) return;
    let c: ChildProcess;
    try {
      c = o.spawn();
    } catch (err) {
      onExit(`could not start: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    child = c;
    startedAt = Date.now();
    report({ state: ProcessState.Starting, ...(c.pid === undefined ? {} : { pid: c.pid }), restarts });
    c.on('message', (m: unknown) => {
      if (c === child && typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready') {
        report({ state: ProcessState.Ready, ...(c.pid === undefined ? {} : { pid: c.pid }), restarts });
      }
    });
    c.once('error', (err) => {
      if (c !== child) return;
      log.info('provider process error', { error: err });
    });
    c.once('exit', (code, signal) => {
      if (c !== child) return;
      child = undefined;
      onExit(signal === null ? `exited with code ${code ?? 'unknown'}` : `was killed by ${signal}`);
    });
  };

  const onExit = (why: string): void => {
    if (stopped) {
      report({ state: ProcessState.Stopped, restarts });
      return;
    }
    failures = Date.now() - startedAt >= stableAfter ? 1 : failures + 1;
    const delay = Math.min(max, base * 2 ** (failures - 1));
    restarts++;
    log.info('provider process died, restarting', { why, delayMs: delay, restarts });
    report({ state: ProcessState.Backoff, restarts, message: `the provider process ${why}; restarting in ${Math.round(delay / 1000)}s` });
    timer = setTimeout(launch, delay);
  };

  return {
    start() {
      if (child !== undefined || timer !== undefined) return;
      stopped = false;
      launch();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      const c = child;
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) {
        report({ state: ProcessState.Stopped, restarts });
        return;
      }
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => c.kill('SIGKILL'), grace);
        c.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        c.kill('SIGTERM');
      });
    },
    status: () => current,
    pid: () => child?.pid,
  };
}
