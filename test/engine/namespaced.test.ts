// End to end: a v2 XRD with namespaced XRs on every API server target. XRs compose ConfigMaps in
// their own namespace; CompositionRevisions switch under Automatic and stay pinned under Manual;
// bad input (a missing function, a cluster-scoped composed kind, an invalid XRD) ends in a
// condition with a precise message; deleting the XRD deletes its XRs before the CRD goes.

import type { KubeObject } from '@trellis/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiServerTargets, uniqueName, useKube, waitFor } from '../harness/targets.ts';
import { useEngine } from './support/engine.ts';
import { condition, isCurrentTrue, waitForObject, waitGone } from './support/objects.ts';

const XRD = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition' };
const COMP = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition' };
const REV = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositionRevision' };

describe.each(apiServerTargets())('engine: v2 namespaced XRD on $name', (target) => {
  const kube = useKube(target, 'eng-ns');
  const sel = uniqueName('ns');
  const fx = useEngine(() => kube.client, sel);
  const group = `${sel}.trellis.test`;
  const xrdName = `xapps.${group}`;
  const xrType = { apiVersion: `${group}/v1`, kind: 'XApp' };

  const composition = (name: string, message: string, fn = 'function-patch-and-transform', extra: unknown[] = []): KubeObject =>
    fx.labelled({
      ...COMP,
      metadata: { name },
      spec: {
        compositeTypeRef: xrType,
        mode: 'Pipeline',
        pipeline: [
          {
            step: 'render',
            functionRef: { name: fn },
            input: {
              apiVersion: 'pt.fn.crossplane.io/v1beta1',
              kind: 'Resources',
              resources: [
                {
                  name: 'settings',
                  base: { apiVersion: 'v1', kind: 'ConfigMap', data: { message } },
                  patches: [
                    {
                      type: 'FromCompositeFieldPath',
                      fromFieldPath: 'spec.replicas',
                      toFieldPath: 'data.replicas',
                      transforms: [{ type: 'string', string: { type: 'Format', fmt: '%v' } }],
                    },
                  ],
                  readinessChecks: [{ type: 'None' }],
                },
                ...extra,
              ],
            },
          },
        ],
      },
    });

  const xr = (name: string, crossplane: Record<string, unknown>, replicas = 1): KubeObject => ({
    ...xrType,
    metadata: { name, namespace: kube.namespace },
    spec: { replicas, crossplane },
  });
  const xrRef = (name: string) => ({ ...xrType, namespace: kube.namespace, name });
  const settingsOf = async (name: string): Promise<KubeObject | undefined> => {
    const list = await kube.client.list(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: kube.namespace, labelSelector: `crossplane.io/composite=${name}` },
    );
    return list.items.find((o) => o.metadata.annotations?.['crossplane.io/composition-resource-name'] === 'settings');
  };
  const dataOf = (o: KubeObject | undefined): Record<string, string> => (o?.data as Record<string, string> | undefined) ?? {};
  const revisionsOf = async (comp: string): Promise<KubeObject[]> =>
    (await kube.client.list(REV, { labelSelector: `crossplane.io/composition-name=${comp}` })).items.sort(
      (a, b) => ((a.spec as { revision: number }).revision ?? 0) - ((b.spec as { revision: number }).revision ?? 0),
    );

  beforeAll(async () => {
    await kube.client.create(
      fx.labelled({
        apiVersion: 'apiextensions.crossplane.io/v2',
        kind: 'CompositeResourceDefinition',
        metadata: { name: xrdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { kind: 'XApp', plural: 'xapps' },
          versions: [
            {
              name: 'v1',
              served: true,
              referenceable: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } },
                },
              },
            },
          ],
        },
      }),
    );
    await kube.client.create(composition('apps', 'v1'));
    await waitForObject(kube.client, { ...XRD, name: xrdName }, 'the v2 XRD to be Established', (o) => isCurrentTrue(o, 'Established'));
    await waitFor('revision 1 to be valid', async () => {
      const revs = await revisionsOf('apps');
      return revs.length === 1 && isCurrentTrue(revs[0], 'ValidPipeline');
    });
  });

  it('composes a namespaced XR into its own namespace with deterministic names', async () => {
    await kube.client.create(xr('one', {}, 2));
    const got = await waitForObject(
      kube.client,
      xrRef('one'),
      'XR "one" to be Ready',
      (o) => isCurrentTrue(o, 'Ready') && isCurrentTrue(o, 'Synced'),
    );
    expect(condition(got, 'Responsive')).toMatchObject({ status: 'True', reason: 'WatchCircuitClosed' });
    const cm = await settingsOf('one');
    expect(cm?.metadata.name).toMatch(/^one-[0-9a-f]{12}$/);
    expect(cm?.data).toEqual({ message: 'v1', replicas: '2' });
    expect((got?.spec as { crossplane?: Record<string, unknown> } | undefined)?.crossplane).toMatchObject({
      compositionRef: { name: 'apps' },
      resourceRefs: [{ apiVersion: 'v1', kind: 'ConfigMap', name: cm?.metadata.name }],
    });
  });

  it('switches revisions automatically, and keeps a Manual XR pinned until its ref changes', async () => {
    const [rev1] = await revisionsOf('apps');
    await kube.client.create(
      xr('pinned', { compositionUpdatePolicy: 'Manual', compositionRevisionRef: { name: rev1?.metadata.name ?? '' } }),
    );
    await waitForObject(kube.client, xrRef('pinned'), 'XR "pinned" to be Ready', (o) => isCurrentTrue(o, 'Ready'));
    const current = await kube.client.get({ ...COMP, name: 'apps' });
    await kube.client.update({
      ...composition('apps', 'v2'),
      metadata: { ...composition('apps', 'v2').metadata, resourceVersion: current.metadata.resourceVersion ?? '' },
    });
    await waitFor('the Automatic XR to move to revision 2', async () => dataOf(await settingsOf('one')).message === 'v2');
    const revs = await revisionsOf('apps');
    expect(revs.map((r) => (r.spec as { revision: number }).revision)).toEqual([1, 2]);
    const one = await kube.client.get(xrRef('one'));
    expect((one.spec as { crossplane: { compositionRevisionRef: { name: string } } }).crossplane.compositionRevisionRef.name).toBe(
      revs[1]?.metadata.name,
    );
    // The Manual XR stays on revision 1.
    await waitForObject(kube.client, xrRef('pinned'), 'XR "pinned" to be reconciled after the new revision', (o) =>
      isCurrentTrue(o, 'Synced'),
    );
    expect(dataOf(await settingsOf('pinned')).message).toBe('v1');
    await kube.client.patch(xrRef('pinned'), {
      type: 'merge',
      patch: { spec: { crossplane: { compositionRevisionRef: { name: revs[1]?.metadata.name } } } },
    });
    await waitFor('the Manual XR to move when its ref changes', async () => dataOf(await settingsOf('pinned')).message === 'v2');
  });

  it('reports a Composition naming a missing function on the revision and the XR', async () => {
    await kube.client.create(composition('missing', 'x', 'function-does-not-exist'));
    await kube.client.create(xr('nofn', { compositionRef: { name: 'missing' } }));
    const want =
      /^selected CompositionRevision missing-[0-9a-f]{7} does not have a valid function pipeline: pipeline step "render" uses function "function-does-not-exist", which is neither built in nor installed$/;
    // Until its revision exists and is validated the XR reports that; then the missing function.
    await waitForObject(kube.client, xrRef('nofn'), 'XR "nofn" to report the missing function', (o) =>
      want.test(condition(o, 'Synced')?.message ?? ''),
    );
    const [rev] = await revisionsOf('missing');
    expect(condition(rev, 'ValidPipeline')).toMatchObject({ status: 'False', reason: 'MissingFunctions' });
    expect(await settingsOf('nofn')).toBeUndefined();
  });

  it('refuses a cluster-scoped composed resource for a namespaced XR, applying nothing', async () => {
    const ns = { name: 'ns', base: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${sel}-never` } } };
    await kube.client.create(composition('clusterscoped', 'x', 'function-patch-and-transform', [ns]));
    await kube.client.create(xr('cs', { compositionRef: { name: 'clusterscoped' } }));
    const want = `cannot compose resources: cannot apply cluster scoped composed resource "ns" (a Namespace named ${sel}-never) for a namespaced composite resource.`;
    // Until its revision exists and is validated the XR reports that; then the refusal.
    await waitForObject(kube.client, xrRef('cs'), 'XR "cs" to be refused', (o) => condition(o, 'Synced')?.message === want);
    expect(await settingsOf('cs')).toBeUndefined();
    expect(await kube.client.getIfExists({ apiVersion: 'v1', kind: 'Namespace', name: `${sel}-never` })).toBeUndefined();
  });

  it('reports an invalid XRD on its Established condition', async () => {
    const bad = `wrong.${group}`;
    await kube.client.create(
      fx.labelled({
        apiVersion: 'apiextensions.crossplane.io/v2',
        kind: 'CompositeResourceDefinition',
        metadata: { name: bad },
        spec: {
          group,
          names: { kind: 'XOther', plural: 'xothers' },
          versions: [{ name: 'v1', served: true, referenceable: true, schema: { openAPIV3Schema: { type: 'object' } } }],
        },
      }),
    );
    const got = await waitForObject(
      kube.client,
      { ...XRD, name: bad },
      'the invalid XRD to report why',
      (o) => condition(o, 'Established')?.status === 'False',
    );
    expect(condition(got, 'Established')).toMatchObject({ reason: 'InvalidDefinition' });
    expect(condition(got, 'Established')?.message).toMatch(/^cannot render composite resource CustomResourceDefinition: .*metadata\.name/);
    await kube.client.delete({ ...XRD, name: bad });
    await waitGone(kube.client, { ...XRD, name: bad });
  });

  it('runs a legacy mode: Resources Composition through the built-in patch-and-transform', async () => {
    await kube.client.create(
      fx.labelled({
        ...COMP,
        metadata: { name: 'legacy' },
        spec: {
          compositeTypeRef: xrType,
          mode: 'Resources',
          resources: [
            {
              name: 'settings',
              base: { apiVersion: 'v1', kind: 'ConfigMap', data: { message: 'legacy' } },
              patches: [
                { fromFieldPath: 'spec.replicas', toFieldPath: 'data.replicas', transforms: [{ type: 'string', string: { fmt: '%v' } }] },
              ],
              // A ConfigMap has no Ready condition, which is what P&T checks by default.
              readinessChecks: [{ type: 'None' }],
            },
          ],
        },
      }),
    );
    await kube.client.create(xr('old', { compositionRef: { name: 'legacy' } }, 4));
    await waitForObject(kube.client, xrRef('old'), 'XR "old" to be Ready', (o) => isCurrentTrue(o, 'Ready') && isCurrentTrue(o, 'Synced'));
    expect(dataOf(await settingsOf('old'))).toEqual({ message: 'legacy', replicas: '4' });
  });

  it('reports an XRD whose schema is invalid on its Established condition', async () => {
    const bad = `xbadschemas.${group}`;
    await kube.client.create(
      fx.labelled({
        apiVersion: 'apiextensions.crossplane.io/v2',
        kind: 'CompositeResourceDefinition',
        metadata: { name: bad },
        spec: {
          group,
          names: { kind: 'XBadSchema', plural: 'xbadschemas' },
          versions: [
            {
              name: 'v1',
              served: true,
              referenceable: true,
              schema: {
                openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'notatype' } } } } },
              },
            },
          ],
        },
      }),
    );
    const got = await waitForObject(
      kube.client,
      { ...XRD, name: bad },
      'the XRD with a bad schema to report why',
      (o) => condition(o, 'Established')?.status === 'False',
    );
    expect(condition(got, 'Established')).toMatchObject({ reason: 'InvalidDefinition' });
    expect(condition(got, 'Established')?.message).toMatch(
      /spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\[spec\]\.properties\[size\]\.type|notatype/,
    );
    await kube.client.delete({ ...XRD, name: bad });
    await waitGone(kube.client, { ...XRD, name: bad });
  });

  it('deletes the XRs before the XRD and its CRD go away', async () => {
    await kube.client.delete({ ...XRD, name: xrdName });
    await waitGone(kube.client, xrRef('one'));
    await waitGone(kube.client, { ...XRD, name: xrdName });
    await waitGone(kube.client, { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: xrdName });
    expect(await settingsOf('one')).toBeUndefined();
    expect(fx.engine.controllers()).not.toContain(`composite/${xrdName}`);
  });
});
