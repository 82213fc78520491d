// provider-kubernetes as a real process: Objects manage manifests in two other API servers through
// two ProviderConfigs (kubeconfigs in Secrets): created with server-side apply, drift corrected,
// readiness derived from the object, and deleting the Objects cleans both clusters. (Two private
// real control planes stand in for embedded instances until packages/apiserver lands; the claim
// version of this test needs the engine.)

import { readFile } from 'node:fs/promises';
import { newKubeClient } from '@trellis/kube';
import { definition as kubernetesProvider } from '@trellis/provider-kubernetes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealControlPlane } from '../harness/control-plane.ts';
import { startRealControlPlane } from '../harness/control-plane.ts';
import type { TestClient } from '../harness/targets.ts';
import { clientFor, realTarget, uniqueName, waitFor } from '../harness/targets.ts';
import type { ProviderProcess } from '../runtime/helpers.ts';
import {
  conditionOf,
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
  const clusters: { cp: RealControlPlane; client: Awaited<ReturnType<typeof newKubeClient>>; pc: string }[] = [];

  beforeAll(async () => {
    const target = realTarget();
    client = await clientFor(target);
    await installProvider(client, kubernetesProvider);
    const cps = await Promise.all([
      startRealControlPlane({ withControllerManager: false }),
      startRealControlPlane({ withControllerManager: false }),
    ]);
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
    // A ConfigMap has no conditions: AllTrue keeps it not Ready, and says why.
    const got = await waitForObject(
      client,
      { ...objectType, name },
      'Ready=False',
      (o) => conditionOf(o, 'Ready')?.status === 'False' && conditionOf(o, 'Synced')?.status === 'True',
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
