// provider-kubernetes as a real process: Objects manage manifests in two other API servers (two
// embedded instances) through two ProviderConfigs (kubeconfigs in Secrets): created with
// server-side apply, drift corrected, readiness derived from the object, deleting the Objects
// cleans both clusters; and one claim, composed by the engine into two Objects, lands in both
// clusters and deleting the claim cleans both.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '@trellis/apiserver';
import { newKubeClient } from '@trellis/kube';
import { definition as kubernetesProvider } from '@trellis/provider-kubernetes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../engine/support/engine.ts';
import type { TestClient } from '../harness/targets.ts';
import { clientFor, realTarget, uniqueName, waitFor } from '../harness/targets.ts';
import type { ProviderProcess } from '../runtime/helpers.ts';
import {
  conditionOf,
  expectNoWrites,
  installProvider,
  isReadyAndSynced,
  secretData,
  startProviderProcess,
  waitForGone,
  waitForObject,
} from '../runtime/helpers.ts';

const objectType = { apiVersion: 'kubernetes.trellis.io/v1alpha1', kind: 'Object' };
const ns = 'default';

describe('provider-kubernetes across two clusters', () => {
  let client: TestClient;
  let provider: ProviderProcess;
  const clusters: {
    cp: { kubeconfigPath: string; stop(): Promise<void> };
    client: Awaited<ReturnType<typeof newKubeClient>>;
    pc: string;
  }[] = [];

  beforeAll(async () => {
    const target = realTarget();
    client = await clientFor(target);
    await installProvider(client, kubernetesProvider);
    const embedded = async (): Promise<{ kubeconfigPath: string; stop(): Promise<void> }> => {
      const dataDir = await mkdtemp(join(tmpdir(), 'trellis-target-'));
      const server = await startApiServer({ dataDir, port: 0, fsync: false });
      return {
        kubeconfigPath: server.kubeconfigPath,
        stop: async () => {
          await server.stop();
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    };
    const cps = await Promise.all([embedded(), embedded()]);
    for (const cp of cps) {
      const pc = uniqueName('cluster');
      await client.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: pc, namespace: ns },
        data: secretData({ kubeconfig: await readFile(cp.kubeconfigPath, 'utf8') }),
      });
      await client.create({
        apiVersion: 'kubernetes.trellis.io/v1alpha1',
        kind: 'ProviderConfig',
        metadata: { name: pc },
        spec: { credentials: { source: 'Secret', secretRef: { namespace: ns, name: pc, key: 'kubeconfig' } } },
      });
      clusters.push({ cp, client: await newKubeClient({ kubeconfigPath: cp.kubeconfigPath }), pc });
    }
    provider = await startProviderProcess('kubernetes', target.kubeconfigPath, {
      TRELLIS_POLL_INTERVAL: '3s',
      TRELLIS_NOT_READY_POLL_INTERVAL: '1s',
    });
  }, 240_000);
  afterAll(async () => {
    await provider?.kill();
    for (const c of clusters) {
      c.client.close();
      await c.cp.stop();
    }
    client?.close();
  });

  it('applies one manifest into each cluster, corrects drift, and deletes from both', async () => {
    const cmName = uniqueName('cm');
    const objs = clusters.map((c, i) => ({ name: uniqueName(`obj${i}`), cluster: c, value: `cluster-${i}` }));
    for (const o of objs) {
      await client.create({
        ...objectType,
        metadata: { name: o.name },
        spec: {
          providerConfigRef: { name: o.cluster.pc },
          forProvider: {
            manifest: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: cmName, namespace: 'default', labels: { app: 'trellis' } },
              data: { where: o.value },
            },
          },
        },
      });
    }
    for (const o of objs) {
      const got = await waitForObject(client, { ...objectType, name: o.name }, 'Ready and Synced', isReadyAndSynced);
      expect(got.metadata.annotations?.['crossplane.io/external-name']).toBe(`default/${cmName}`);
      expect((got.status as { atProvider: { manifest: { data: unknown } } }).atProvider.manifest.data).toEqual({ where: o.value });
      const cm = await o.cluster.client.get({ apiVersion: 'v1', kind: 'ConfigMap', name: cmName, namespace: 'default' });
      expect(cm.data).toEqual({ where: o.value });
      expect((cm.metadata.managedFields as { manager: string }[]).map((m) => m.manager)).toContain(`trellis-provider-kubernetes/${o.name}`);
    }

    // Steady state: two poll intervals, not a single write.
    for (const o of objs) await expectNoWrites(client, { ...objectType, name: o.name }, 7_000);

    // Drift in the first cluster: put back within a poll.
    const first = objs[0];
    if (first === undefined) throw new Error('no clusters');
    const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', name: cmName, namespace: 'default' };
    const cm = await first.cluster.client.get(cmRef);
    await first.cluster.client.update({ ...cm, data: { where: 'changed by hand' } });
    await waitFor(
      'drift to be corrected',
      async () =>
        (await first.cluster.client.get(cmRef)).data !== undefined &&
        ((await first.cluster.client.get(cmRef)).data as { where: string }).where === first.value,
      {
        timeoutMs: 10_000,
        intervalMs: 200,
      },
    );

    for (const o of objs) await client.delete({ ...objectType, name: o.name });
    for (const o of objs) {
      await waitForGone(client, { ...objectType, name: o.name });
      expect(await o.cluster.client.getIfExists(cmRef)).toBeUndefined();
    }
  });

  it('derives readiness from the object and reports a bad kubeconfig clearly', async () => {
    const c = clusters[0];
    if (c === undefined) throw new Error('no clusters');
    const name = uniqueName('ns-obj');
    await client.create({
      ...objectType,
      metadata: { name },
      spec: {
        providerConfigRef: { name: c.pc },
        readiness: { policy: 'AllTrue' },
        forProvider: { manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { a: 'b' } } },
      },
    });
    // A ConfigMap has no conditions: AllTrue keeps it not Ready, and says why. (Ready=False/Creating
    // with Synced=True comes first, right after the create: wait for the observed verdict.)
    const got = await waitForObject(
      client,
      { ...objectType, name },
      'Ready=False/Unavailable',
      (o) => conditionOf(o, 'Ready')?.reason === 'Unavailable' && conditionOf(o, 'Synced')?.status === 'True',
    );
    expect(conditionOf(got, 'Ready')?.message).toBe(`ConfigMap "${name}" has no conditions yet`);
    await client.delete({ ...objectType, name });
    await waitForGone(client, { ...objectType, name });

    const bad = uniqueName('badcfg');
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: bad, namespace: ns },
      data: secretData({ kubeconfig: 'this is not a kubeconfig' }),
    });
    await client.create({
      apiVersion: 'kubernetes.trellis.io/v1alpha1',
      kind: 'ProviderConfig',
      metadata: { name: bad },
      spec: { credentials: { source: 'Secret', secretRef: { namespace: ns, name: bad, key: 'kubeconfig' } } },
    });
    const o = uniqueName('bad-obj');
    await client.create({
      ...objectType,
      metadata: { name: o },
      spec: {
        providerConfigRef: { name: bad },
        forProvider: { manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: o, namespace: 'default' } } },
      },
    });
    const failed = await waitForObject(
      client,
      { ...objectType, name: o },
      'Synced=False',
      (x) => conditionOf(x, 'Synced')?.status === 'False',
    );
    expect(conditionOf(failed, 'Synced')?.message).toMatch(/^connect failed: cannot load the kubeconfig of the target cluster/);
  });
});

describe('one claim composed into two clusters', () => {
  let client: TestClient;
  let provider: ProviderProcess;
  const clusters: { client: Awaited<ReturnType<typeof newKubeClient>>; pc: string; stop(): Promise<void> }[] = [];
  const sel = uniqueName('mc');
  const group = `${sel}.trellis.test`;
  const xrType = { apiVersion: `${group}/v1`, kind: 'XAppConfig' };
  const claimType = { apiVersion: `${group}/v1`, kind: 'AppConfig' };

  beforeAll(async () => {
    const target = realTarget();
    client = await clientFor(target);
    await installProvider(client, kubernetesProvider);
    for (let i = 0; i < 2; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'trellis-target-'));
      const server = await startApiServer({ dataDir, port: 0, fsync: false });
      const pc = uniqueName(`claim-cluster${i}`);
      await client.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: pc, namespace: ns },
        data: secretData({ kubeconfig: await readFile(server.kubeconfigPath, 'utf8') }),
      });
      await client.create({
        apiVersion: 'kubernetes.trellis.io/v1alpha1',
        kind: 'ProviderConfig',
        metadata: { name: pc },
        spec: { credentials: { source: 'Secret', secretRef: { namespace: ns, name: pc, key: 'kubeconfig' } } },
      });
      clusters.push({
        client: await newKubeClient({ kubeconfigPath: server.kubeconfigPath }),
        pc,
        stop: async () => {
          await server.stop();
          await rm(dataDir, { recursive: true, force: true });
        },
      });
    }
    provider = await startProviderProcess('kubernetes', target.kubeconfigPath, {
      TRELLIS_POLL_INTERVAL: '3s',
      TRELLIS_NOT_READY_POLL_INTERVAL: '1s',
    });
  }, 240_000);
  // The engine's hooks need the client made above, so they are registered after it.
  const fx = useEngine(() => client, sel);
  afterAll(async () => {
    await provider?.kill();
    for (const c of clusters) {
      c.client.close();
      await c.stop();
    }
    client?.close();
  });

  it('creates the composed Objects in both clusters and cleans both when the claim is deleted', async () => {
    const object = (name: string, pc: string): unknown => ({
      name,
      base: {
        apiVersion: 'kubernetes.trellis.io/v1alpha1',
        kind: 'Object',
        spec: {
          providerConfigRef: { name: pc },
          forProvider: { manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default' }, data: {} } },
        },
      },
      patches: [
        { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.claimRef.name', toFieldPath: 'spec.forProvider.manifest.metadata.name' },
        { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.color', toFieldPath: 'spec.forProvider.manifest.data.color' },
      ],
    });
    await client.create(
      fx.labelled({
        apiVersion: 'apiextensions.crossplane.io/v1',
        kind: 'CompositeResourceDefinition',
        metadata: { name: `xappconfigs.${group}` },
        spec: {
          group,
          names: { kind: 'XAppConfig', plural: 'xappconfigs' },
          claimNames: { kind: 'AppConfig', plural: 'appconfigs' },
          versions: [
            {
              name: 'v1',
              served: true,
              referenceable: true,
              schema: {
                openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { color: { type: 'string' } } } } },
              },
            },
          ],
        },
      }),
    );
    await client.create(
      fx.labelled({
        apiVersion: 'apiextensions.crossplane.io/v1',
        kind: 'Composition',
        metadata: { name: `xappconfigs-${sel}` },
        spec: {
          compositeTypeRef: xrType,
          mode: 'Pipeline',
          pipeline: [
            {
              step: 'patch-and-transform',
              functionRef: { name: 'function-patch-and-transform' },
              input: {
                apiVersion: 'pt.fn.crossplane.io/v1beta1',
                kind: 'Resources',
                resources: clusters.map((c, i) => object(`cluster${i}`, c.pc)),
              },
            },
          ],
        },
      }),
    );
    const name = uniqueName('app');
    await waitFor(
      'the claim kind to be served',
      async () => {
        client.invalidateDiscovery();
        await client.list(claimType, { limit: 1, namespace: ns });
        return true;
      },
      { timeoutMs: 90_000 },
    );
    await client.create({ ...claimType, metadata: { name, namespace: ns }, spec: { color: 'blue' } });
    const claimRef = { ...claimType, name, namespace: ns };
    await waitForObject(client, claimRef, 'Ready', (o) => conditionOf(o, 'Ready')?.status === 'True', 120_000);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', name, namespace: 'default' };
    for (const c of clusters) expect((await c.client.get(cm)).data).toEqual({ color: 'blue' });

    await client.delete(claimRef);
    await waitForGone(client, claimRef, 120_000);
    for (const c of clusters) {
      await waitFor(`the ConfigMap to be gone from ${c.pc}`, async () => (await c.client.getIfExists(cm)) === undefined, {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
    }
    // The composed Objects go too, once their provider has seen the ConfigMaps gone.
    await waitFor(
      'the composed Objects to be gone',
      async () => (await client.list(objectType)).items.every((o) => o.metadata.name?.startsWith(name) !== true),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });
});
