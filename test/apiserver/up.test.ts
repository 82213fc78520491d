// `trellis up`: starts the embedded API server, prints one line with the kubeconfig path when
// ready, serves kubectl through that kubeconfig, and stops cleanly on SIGTERM and SIGINT, keeping
// its state for the next start.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/targets.ts';
import { RawClient, sub } from './raw.ts';

const CLI = resolve(import.meta.dirname, '../../packages/cli/bin/trellis.js');
const dataDir = mkdtempSync(join(tmpdir(), 'trellis-up-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function up(): { out: () => string; err: () => string; exited: Promise<number | null>; kill: (s: NodeJS.Signals) => void } {
  const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  return {
    out: () => out,
    err: () => err,
    exited: new Promise((r) => child.once('exit', (code) => r(code))),
    kill: (s) => child.kill(s),
  };
}

describe('trellis up', () => {
  it('prints the kubeconfig when ready, serves it, and stops cleanly on SIGTERM; state survives SIGINT and a restart', async () => {
    const first = up();
    await waitFor('the ready line', () => first.out().includes('\n'), { timeoutMs: 60_000 });
    const line = first.out().trim();
    expect(line).toMatch(/^trellis is up: KUBECONFIG=\S+\/kubeconfig \(https:\/\/127\.0\.0\.1:\d+\)$/);
    const kubeconfig = (/KUBECONFIG=(\S+)/.exec(line) as RegExpExecArray)[1] as string;
    expect(kubeconfig).toBe(join(dataDir, 'kubeconfig'));
    const c = RawClient.fromKubeconfig(kubeconfig);
    expect((await c.request('/api/v1/namespaces/default')).status).toBe(200);
    const made = await c.request('/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' } },
    });
    expect(made.status).toBe(201);
    c.close();
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(existsSync(join(dataDir, 'lock'))).toBe(false);

    const second = up();
    await waitFor('the ready line again', () => second.out().includes('\n'), { timeoutMs: 60_000 });
    const c2 = RawClient.fromKubeconfig(kubeconfig);
    const kept = await c2.request('/api/v1/namespaces/default/configmaps/kept');
    expect(kept.status).toBe(200);
    expect(sub(kept, 'metadata').uid).toBe(sub(made, 'metadata').uid);
    c2.close();
    second.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('refuses a second server on the same data directory with a clear error', async () => {
    const first = up();
    await waitFor('the ready line', () => first.out().includes('\n'), { timeoutMs: 60_000 });
    const second = up();
    expect(await second.exited).toBe(1);
    expect(second.err()).toContain(`data directory "${dataDir}" is in use by process`);
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });
});
