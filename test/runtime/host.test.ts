// The provider host against the real API server: each active ProviderRevision runs as a child
// process (provider-http's real bin), a process killed with SIGKILL is restarted with backoff, and
// health lands on the revision as RuntimeHealthy (what the package manager derives the Provider's
// Healthy from); an inactive revision's process is stopped; a revision without an entry point is
// reported. The Deployment and RBAC objects for a real cluster are accepted by the API server.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { definition as httpProvider } from '@trellis/provider-http';
import { entryPointAnnotation, groupsOfObjectRefs, kubeMachinery, providerRuntimeObjects, startProviderHost } from '@trellis/runtime';
import type { KubeObject } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { TestClient } from '../harness/targets.ts';
import { apiServerTargets, clientFor, realTarget, uniqueName, waitFor } from '../harness/targets.ts';
import { conditionOf, installProvider, providerBin, repoRoot, waitForObject } from './helpers.ts';

const revisionType = { apiVersion: 'pkg.crossplane.io/v1', kind: 'ProviderRevision' };

/** InstallRevisionCrd installs the package manager's ProviderRevision CRD (crds/) and waits until it is served. */
async function installRevisionCrd(client: TestClient): Promise<void> {
  const text = await readFile(resolve(repoRoot, 'crds/pkg.crossplane.io_providerrevisions.yaml'), 'utf8');
  for (const doc of parseAllDocuments(text)) {
    const crd = doc.toJS() as KubeObject | null;
    if (crd !== null) await client.apply(crd, { fieldManager: 'trellis-test', force: true });
  }
  await waitFor('ProviderRevision to be served', async () => {
    client.invalidateDiscovery();
    await client.list(revisionType, { limit: 1 });
    return true;
  });
}

describe.each(apiServerTargets())('provider host on $name', (target) => {
  let client: TestClient;
  const stop = new AbortController();
  let host: Awaited<ReturnType<typeof startProviderHost>>;

  beforeAll(async () => {
    client = await clientFor(target);
    await installRevisionCrd(client);
    await installProvider(client, httpProvider);
    host = await startProviderHost({
      client,
      machinery: kubeMachinery(client),
      kubeconfigPath: target.kubeconfigPath,
      restart: { baseDelayMs: 300, maxDelayMs: 2_000 },
      stopGraceMs: 5_000,
      signal: stop.signal,
    });
  });
  afterAll(async () => {
    stop.abort();
    await host?.stop();
    client?.close();
  });

  function revision(name: string, annotations: Record<string, string>, desiredState = 'Active'): KubeObject {
    return {
      ...revisionType,
      metadata: { name, annotations, labels: { 'pkg.crossplane.io/package': name } },
      spec: { desiredState, image: `xpkg.trellis.io/trellis/provider-http:v0.1.0`, revision: 1, ignoreCrossplaneConstraints: false },
    };
  }

  const healthy = (status: string) => (o: KubeObject) => conditionOf(o, 'RuntimeHealthy')?.status === status;

  it('runs an active revision, restarts it after SIGKILL, reports health, and stops it when inactive', async () => {
    const name = uniqueName('provider-http');
    await client.create(revision(name, { [entryPointAnnotation]: providerBin('http') }));
    const ref = { ...revisionType, name };
    await waitForObject(client, ref, 'RuntimeHealthy=True', healthy('True'), 60_000);
    const pid = host.pids()[name];
    expect(pid).toBeGreaterThan(0);

    process.kill(pid ?? 0, 'SIGKILL');
    const down = await waitForObject(client, ref, 'RuntimeHealthy=False', healthy('False'), 20_000);
    expect(conditionOf(down, 'RuntimeHealthy')).toMatchObject({
      reason: 'UnhealthyPackageRevision',
      message: expect.stringMatching(/^the provider process was killed by SIGKILL; restarting in \ds$/),
    });
    await waitForObject(client, ref, 'RuntimeHealthy=True again', healthy('True'), 60_000);
    const again = host.pids()[name];
    expect(again).toBeGreaterThan(0);
    expect(again).not.toBe(pid);

    const cur = await client.get(ref);
    await client.update({ ...cur, spec: { ...(cur.spec as object), desiredState: 'Inactive' } });
    await waitFor('the process to stop', () => host.pids()[name] === undefined, { timeoutMs: 20_000 });
    await waitFor(
      `process ${again} to exit`,
      () => {
        try {
          process.kill(again ?? 0, 0);
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 20_000 },
    );
    await client.delete(ref);
  });

  it('reports a revision without a Node entry point', async () => {
    const name = uniqueName('no-entry');
    await client.create(revision(name, {}));
    const got = await waitForObject(client, { ...revisionType, name }, 'RuntimeHealthy=False', healthy('False'));
    expect(conditionOf(got, 'RuntimeHealthy')?.message).toBe(
      'no Node entry point: set the trellis.dev/node-entrypoint annotation in the package metadata',
    );
    expect(host.pids()[name]).toBeUndefined();
    await client.delete({ ...revisionType, name });
  });
});

// A real cluster is where these objects run: the embedded API server serves neither apps/v1 nor RBAC.
describe('provider runtime objects for a real cluster', () => {
  let client: TestClient;
  beforeAll(async () => {
    client = await clientFor(realTarget());
    await installRevisionCrd(client);
  });
  afterAll(() => client?.close());
  const revision = (name: string): KubeObject => ({
    ...revisionType,
    metadata: { name },
    spec: {
      desiredState: 'Inactive',
      image: 'xpkg.trellis.io/trellis/provider-http:v0.1.0',
      revision: 1,
      ignoreCrossplaneConstraints: false,
    },
  });

  it('generates Deployment and RBAC objects the API server accepts', async () => {
    const rev = await client.create(revision(uniqueName('deploy')));
    const withRefs = {
      ...rev,
      status: {
        objectRefs: httpProvider
          .crds()
          .map((c) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: c.metadata.name })),
      },
    };
    const groups = groupsOfObjectRefs(withRefs);
    expect(groups).toEqual(['alertmanager.http.trellis.io', 'http.trellis.io', 'powerdns.http.trellis.io']);
    for (const o of providerRuntimeObjects(withRefs, { namespace: 'default', image: 'ghcr.io/trellis/provider-http:v0.1.0', groups })) {
      // Server-side validation of every object, without persisting it.
      await client.create(o, { dryRun: true });
    }
    await client.delete({ ...revisionType, name: rev.metadata.name ?? '' });
  });
});
