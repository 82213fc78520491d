// The campaign counts provider processes by their environment (TRELLIS_KUBECONFIG); a provider's
// helpers inherit it (tsx's esbuild service under a provider running from source) and must not
// count as a second provider: the 2-hour soak reported "2 provider processes running" for one
// provider and its esbuild child, and provider-kill could have picked the helper as its victim.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, processesWithEnv } from './support/processes.ts';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) c.kill('SIGKILL');
});

function start(command: string, args: string[], value: string): ChildProcess {
  const c = spawn(command, args, { stdio: 'ignore', env: { ...process.env, TRELLIS_RELIABILITY_PROBE: value } });
  started.push(c);
  return c;
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('processesWithEnv', () => {
  it('finds every process with the variable, and only Node processes when asked for the command', async () => {
    const value = `probe-${process.pid}-${Date.now()}`;
    const node = start(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], value);
    const helper = start('sleep', ['60'], value);
    const other = start('sleep', ['60'], `${value}-other`);
    await until(() => processesWithEnv('TRELLIS_RELIABILITY_PROBE', value).length === 2);
    expect(processesWithEnv('TRELLIS_RELIABILITY_PROBE', value).sort()).toEqual([node.pid, helper.pid].sort());
    expect(processesWithEnv('TRELLIS_RELIABILITY_PROBE', value, process.execPath)).toEqual([node.pid]);
    expect(processesWithEnv('TRELLIS_RELIABILITY_PROBE', value, process.execPath)).not.toContain(other.pid);
    node.kill('SIGKILL');
    await until(() => !isAlive(node.pid ?? 0));
    expect(processesWithEnv('TRELLIS_RELIABILITY_PROBE', value, process.execPath).filter(isAlive)).toEqual([]);
  });
});
