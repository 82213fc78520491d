/**
 * Namespace isolation, with the composition engine on both API servers. The threat: someone who
 * may only write claims (or namespaced XRs) in namespace A tries to reach what lives in namespace
 * B. Three ways in, each closed by the engine:
 *
 * - binding: a claim in A naming (spec.resourceRef) the XR bound to a claim in B is refused; the
 *   XR stays bound to B, and B's connection details are not copied into A;
 * - connection Secret: a claim's writeConnectionSecretToRef has no namespace (the generated claim
 *   schema prunes one), so the Secret lands in the claim's own namespace;
 * - composed resources: a namespaced (v2) XR's composed resources are forced into its namespace,
 *   even when the Composition asks for another.
 *
 * What is not enforced (required/extra resources, cluster-scoped ProviderConfigs) is listed in
 * docs/security.md.
 */
import type { KubeObject } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../engine/support/engine.ts';
import { condition, isCurrentTrue, waitForObject } from '../engine/support/objects.ts';
import { apiServerTargets, uniqueName, useKube } from '../harness/targets.ts';

const XRD = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition' };

describe.each(apiServerTargets())('namespace isolation on $name', (target) => {
  const kube = useKube(target, 'sec-ns-b');
  const sel = uniqueName('iso');
  const fx = useEngine(() => kube.client, sel);
  const group = `${sel}.trellis.test`;
  const nsA = uniqueName('sec-ns-a');
  const nsB = (): string => kube.namespace;
  const secretValue = 'value-of-namespace-b';

  const pipeline = (resources: unknown[]): unknown[] => [
    {
      step: 'compose',
      functionRef: { name: 'function-patch-and-transform' },
      input: { apiVersion: 'pt.fn.crossplane.io/v1beta1', kind: 'Resources', resources },
    },
  ];

  beforeAll(async () => {
    const c = kube.client;
    await c.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsA } });
    await c.create(
      fx.labelled({
        ...XRD,
        metadata: { name: `xvaults.${group}` },
        spec: {
          group,
          names: { kind: 'XVault', plural: 'xvaults' },
          claimNames: { kind: 'Vault', plural: 'vaults' },
          versions: [{ name: 'v1', served: true, referenceable: true, schema: { openAPIV3Schema: { type: 'object' } } }],
        },
      }),
    );
    await c.create(
      fx.labelled({
        apiVersion: 'apiextensions.crossplane.io/v1',
        kind: 'Composition',
        metadata: { name: `vault-${sel}` },
        spec: {
          compositeTypeRef: { apiVersion: `${group}/v1`, kind: 'XVault' },
          writeConnectionSecretsToNamespace: nsB(),
          mode: 'Pipeline',
          pipeline: pipeline([
            {
              name: 'marker',
              base: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: nsB() }, data: { a: 'b' } },
              connectionDetails: [{ name: 'password', type: 'FromValue', value: secretValue }],
              readinessChecks: [{ type: 'None' }],
            },
          ]),
        },
      }),
    );
    await c.create(
      fx.labelled({
        apiVersion: 'apiextensions.crossplane.io/v2',
        kind: 'CompositeResourceDefinition',
        metadata: { name: `xapps.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { kind: 'XApp', plural: 'xapps' },
          versions: [{ name: 'v1', served: true, referenceable: true, schema: { openAPIV3Schema: { type: 'object' } } }],
        },
      }),
    );
    await c.create(
      fx.labelled({
        apiVersion: 'apiextensions.crossplane.io/v1',
        kind: 'Composition',
        metadata: { name: `app-${sel}` },
        spec: {
          compositeTypeRef: { apiVersion: `${group}/v1`, kind: 'XApp' },
          mode: 'Pipeline',
          pipeline: pipeline([
            {
              name: 'elsewhere',
              base: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: nsB() }, data: { planted: 'yes' } },
              readinessChecks: [{ type: 'None' }],
            },
          ]),
        },
      }),
    );
    for (const plural of ['xvaults', 'xapps'])
      await waitForObject(
        c,
        { ...XRD, name: `${plural}.${group}` },
        `XRD ${plural} established`,
        (o) => isCurrentTrue(o, 'Established'),
        90_000,
      );
    c.invalidateDiscovery();
  }, 180_000);

  afterAll(async () => {
    await kube.client.delete({ apiVersion: 'v1', kind: 'Namespace', name: nsA }).catch(() => undefined);
  });

  const claim = (namespace: string, name: string, spec: Record<string, unknown>): KubeObject => ({
    apiVersion: `${group}/v1`,
    kind: 'Vault',
    metadata: { name, namespace },
    spec,
  });
  const secretIn = (namespace: string, name: string) => kube.client.getIfExists({ apiVersion: 'v1', kind: 'Secret', namespace, name });

  it('refuses a claim that names the XR bound to a claim of another namespace; nothing of B reaches A', async () => {
    const c = kube.client;
    await c.create(claim(nsB(), 'victim', { writeConnectionSecretToRef: { name: 'victim-conn' } }));
    const victim = await waitForObject(
      c,
      { apiVersion: `${group}/v1`, kind: 'Vault', namespace: nsB(), name: 'victim' },
      'victim Ready',
      (o) => isCurrentTrue(o, 'Ready'),
      90_000,
    );
    await waitForObject(
      c,
      { apiVersion: 'v1', kind: 'Secret', namespace: nsB(), name: 'victim-conn' },
      'victim connection Secret',
      (o) => o !== undefined,
    );
    const xrName = (victim?.spec as { resourceRef?: { name: string } } | undefined)?.resourceRef?.name ?? '';

    await c.create(
      claim(nsA, 'thief', {
        resourceRef: { apiVersion: `${group}/v1`, kind: 'XVault', name: xrName },
        writeConnectionSecretToRef: { name: 'stolen' },
      }),
    );
    const thief = await waitForObject(
      c,
      { apiVersion: `${group}/v1`, kind: 'Vault', namespace: nsA, name: 'thief' },
      'thief refused',
      (o) => condition(o, 'Synced')?.status === 'False',
      90_000,
    );
    expect(condition(thief, 'Synced')?.message).toMatch(/bound|claim/i);
    const xr = await c.get({ apiVersion: `${group}/v1`, kind: 'XVault', name: xrName });
    expect((xr.spec as { claimRef?: { namespace: string; name: string } }).claimRef).toMatchObject({ namespace: nsB(), name: 'victim' });
    expect(await secretIn(nsA, 'stolen')).toBeUndefined();
    expect(JSON.stringify(thief?.status ?? {})).not.toContain(secretValue);
  });

  it('writes a claim connection Secret only into the claim namespace, whatever namespace the claim names', async () => {
    const c = kube.client;
    await c.create(claim(nsA, 'sneaky', { writeConnectionSecretToRef: { name: 'sneaky-conn', namespace: nsB() } }));
    await waitForObject(
      c,
      { apiVersion: `${group}/v1`, kind: 'Vault', namespace: nsA, name: 'sneaky' },
      'sneaky Ready',
      (o) => isCurrentTrue(o, 'Ready'),
      90_000,
    );
    await waitForObject(
      c,
      { apiVersion: 'v1', kind: 'Secret', namespace: nsA, name: 'sneaky-conn' },
      'sneaky Secret in A',
      (o) => o !== undefined,
    );
    expect(await secretIn(nsB(), 'sneaky-conn')).toBeUndefined();
  });

  it("forces a namespaced XR's composed resources into its own namespace", async () => {
    const c = kube.client;
    await c.create({ apiVersion: `${group}/v1`, kind: 'XApp', metadata: { name: 'app', namespace: nsA }, spec: {} });
    await waitForObject(
      c,
      { apiVersion: `${group}/v1`, kind: 'XApp', namespace: nsA, name: 'app' },
      'XApp Ready',
      (o) => isCurrentTrue(o, 'Ready'),
      90_000,
    );
    const inA = await c.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: nsA, labelSelector: 'crossplane.io/composite=app' });
    const inB = await c.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: nsB(), labelSelector: 'crossplane.io/composite=app' });
    expect(inA.items.map((o) => o.data)).toEqual([{ planted: 'yes' }]);
    expect(inB.items).toEqual([]);
  });
});
