import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ProcessStatus } from './supervisor.ts';
import { newSupervisor, ProcessState } from './supervisor.ts';

/** A real child process: reports ready over IPC, then exits with `code` after `ms` (or runs until killed). */
function child(code: number | undefined, ms = 30) {
  const script =
    code === undefined
      ? "process.send({type:'ready'}); setInterval(()=>{}, 1000);"
      : `process.send({type:'ready'}); setTimeout(()=>process.exit(${code}), ${ms});`;
  return () => spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
}

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('supervisor', () => {
  it('reports ready, restarts a dying process with growing backoff, and says why', async () => {
    const seen: ProcessStatus[] = [];
    const s = newSupervisor({ spawn: child(3), baseDelayMs: 20, maxDelayMs: 200, onStatus: (x) => seen.push(x) });
    s.start();
    await until('three restarts', () => s.status().restarts >= 3);
    await s.stop();
    const states = seen.map((x) => x.state);
    expect(states).toContain(ProcessState.Ready);
    expect(states).toContain(ProcessState.Backoff);
    const backoff = seen.find((x) => x.state === ProcessState.Backoff);
    expect(backoff?.message).toMatch(/^the provider process exited with code 3; restarting in \d+s$/);
    expect(s.status().state).toBe(ProcessState.Stopped);
  });

  it('restarts a process killed with SIGKILL, and stops one that runs', async () => {
    const s = newSupervisor({ spawn: child(undefined), baseDelayMs: 20 });
    s.start();
    await until('ready', () => s.status().state === ProcessState.Ready);
    const first = s.pid();
    process.kill(first ?? 0, 'SIGKILL');
    await until('restarted', () => s.status().state === ProcessState.Ready && s.pid() !== first);
    expect(s.status().restarts).toBe(1);
    const pid = s.pid();
    await s.stop();
    expect(() => process.kill(pid ?? 0, 0)).toThrow();
  });

  it('counts a spawn failure as a crash', async () => {
    const s = newSupervisor({
      spawn: () => {
        throw new Error('no such file');
      },
      baseDelayMs: 10,
    });
    s.start();
    await until('a restart', () => s.status().restarts >= 1);
    expect(s.status().message).toMatch(/could not start: no such file/);
    await s.stop();
  });
});
