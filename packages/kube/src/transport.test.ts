import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from './transport.ts';

describe('loading kubeconfigs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-transport-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = (user: string): string => {
    const p = join(dir, `kc-${Math.random()}.yaml`);
    writeFileSync(
      p,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", certificate-authority: ca.crt}}]\n` +
        `users: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    return p;
  };
  writeFileSync(join(dir, 'ca.crt'), 'CA PEM');

  it('reads a static kubeconfig natively, with relative files from its directory', async () => {
    const loaded = await loadKubeConfig({ kubeconfigPath: kubeconfig('{token: t}') });
    expect(loaded.kind).toBe('static');
    if (loaded.kind === 'static') expect(loaded.target.ca?.toString()).toBe('CA PEM');
  });

  it('hands an exec kubeconfig file to client-node, which resolves its relative paths from the same directory', async () => {
    const loaded = await loadKubeConfig({
      kubeconfigPath: kubeconfig('{exec: {command: get-token, apiVersion: client.authentication.k8s.io/v1}}'),
    });
    expect(loaded.kind).toBe('client-node');
    if (loaded.kind === 'client-node') expect(loaded.kc.getCurrentCluster()?.caFile).toBe(join(dir, 'ca.crt'));
  });
});
