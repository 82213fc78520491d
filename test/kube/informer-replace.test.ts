// Informer factory: an informer whose first list failed because its kind was not served yet is
// replaced on the next request, so a controller that retries after the CRD is installed gets a
// working informer instead of the dead one, on every API server target.

import { KubeErrorCode, newInformerFactory } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { apiServerTargets, clientFor, installTestCrd, uniqueGroup, useKube, waitFor } from '../harness/targets.ts';

describe.each(apiServerTargets())('informer factory on $name', (target) => {
  const kube = useKube(target, 'inf-replace');

  it('replaces an informer whose kind was not served with a working one once the CRD is installed', async () => {
    const group = uniqueGroup('late');
    const type = { apiVersion: `${group}/v1`, kind: 'Gizmo' };
    // The informers use a client of their own, so its discovery cache is the one that saw the miss.
    const client = await clientFor(target);
    const factory = newInformerFactory(client, { backoffBaseMs: 50, backoffMaxMs: 500 });
    const crd = { delete: async (): Promise<void> => {} };
    try {
      const dead = factory.informerFor(type, { namespace: kube.namespace });
      await expect(dead.start()).rejects.toMatchObject({ code: KubeErrorCode.NoKindMatch });

      Object.assign(crd, await installTestCrd(kube.client, { group, kind: 'Gizmo' }));
      const gizmo: KubeObject = { ...type, metadata: { name: 'g1', namespace: kube.namespace }, spec: { size: 1 } };
      await kube.client.create(gizmo);

      // What a controller does: ask the factory again (its discovery refreshes on a miss).
      const live = await waitFor('a working informer for the new kind', async () => {
        const inf = factory.informerFor<KubeObject>(type, { namespace: kube.namespace });
        await inf.start();
        return inf;
      });
      expect(live).not.toBe(dead);
      expect(live.list().map((o) => o.metadata.name)).toEqual(['g1']);
      expect(factory.informerFor(type, { namespace: kube.namespace })).toBe(live);

      // It watches, too.
      const seen: string[] = [];
      live.addHandler({ onAdd: (o) => seen.push(o.metadata.name ?? '') });
      await kube.client.create({ ...gizmo, metadata: { name: 'g2', namespace: kube.namespace } });
      await waitFor('the informer to see g2', () => seen.includes('g2'));
    } finally {
      factory.stopAll();
      client.close();
      await crd.delete();
    }
  });
});
