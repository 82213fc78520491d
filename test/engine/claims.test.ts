// End to end: a v1 XRD with claims, composed ConfigMaps through the built-in patch-and-transform,
// on every API server target. Claims become Ready; spec flows down and status flows up; nothing is
// written while nothing changes; a resource dropped from the Composition is garbage-collected;
// deleting a Foreground claim waits for the XR and its composed resources; a failing patch shows
// its step and field path on the claim.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@trellis/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiServerTargets, uniqueName, useKube } from '../harness/targets.ts';
import { useEngine } from './support/engine.ts';
import { condition, isCurrentTrue, waitForObject, waitGone } from './support/objects.ts';

const envVar = (name: string): string | undefined => process.env[name];
const HELM = join(envVar('TRELLIS_CACHE') ?? join(homedir(), '.cache', 'trellis'), 'clients', 'helm-4', 'helm');

/** Helm runs the helm 4 binary installed by test/infra/clients/prepare.sh; a missing binary fails loudly. */
function helm(args: string[], kubeconfig: string): Promise<{ code: number; out: string }> {
  if (!existsSync(HELM)) throw new Error(`helm 4 is missing at ${HELM}: run bash test/infra/clients/prepare.sh (npm test does)`);
  return new Promise((resolve) => {
    execFile(
      HELM,
      [...args, '--kubeconfig', kubeconfig],
      { env: { ...process.env, HELM_CACHE_HOME: tmpdir(), HELM_CONFIG_HOME: tmpdir(), HELM_DATA_HOME: tmpdir() } },
      (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? 1), out: `${stdout}${stderr}` });
      },
    );
  });
}

describe.each(apiServerTargets())('engine: v1 XRD with claims on $name', (target) => {
  const kube = useKube(target, 'eng-claims');
  const sel = uniqueName('claims');
  const fx = useEngine(() => kube.client, sel);
  const group = `${sel}.trellis.test`;
  const xrdName = `xbuckets.${group}`;
  const xrType = { apiVersion: `${group}/v1`, kind: 'XBucket' };
  const claimType = { apiVersion: `${group}/v1`, kind: 'Bucket' };
  const compName = `xbuckets-${sel}`;

  const resources = (withDerived: boolean): unknown[] => [
    {
      name: 'config',
      base: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default' }, data: {} },
      patches: [
        { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.claimRef.namespace', toFieldPath: 'metadata.namespace' },
        { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.color', toFieldPath: 'data.color' },
        {
          type: 'FromCompositeFieldPath',
          fromFieldPath: 'spec.size',
          toFieldPath: 'data.size',
          transforms: [{ type: 'convert', convert: { toType: 'string' } }],
        },
        { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.widgets[0]', toFieldPath: 'data.widget' },
        { type: 'ToCompositeFieldPath', fromFieldPath: 'data.color', toFieldPath: 'status.observedColor' },
      ],
      readinessChecks: [{ type: 'NonEmpty', fieldPath: 'data.color' }],
    },
    ...(withDerived
      ? [
          {
            name: 'derived',
            base: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { namespace: 'default', annotations: { 'trellis.dev/depends-on': 'config' } },
              data: {},
            },
            patches: [
              { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.claimRef.namespace', toFieldPath: 'metadata.namespace' },
              { type: 'FromCompositeFieldPath', fromFieldPath: 'status.observedColor', toFieldPath: 'data.fromStatus' },
            ],
            readinessChecks: [{ type: 'None' }],
          },
        ]
      : []),
  ];

  const composition = (withDerived: boolean): KubeObject =>
    fx.labelled({
      apiVersion: 'apiextensions.crossplane.io/v1',
      kind: 'Composition',
      metadata: { name: compName },
      spec: {
        compositeTypeRef: xrType,
        mode: 'Pipeline',
        pipeline: [
          {
            step: 'patch-and-transform',
            functionRef: { name: 'function-patch-and-transform' },
            input: { apiVersion: 'pt.fn.crossplane.io/v1beta1', kind: 'Resources', resources: resources(withDerived) },
          },
        ],
      },
    });

  const xrd: KubeObject = {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'CompositeResourceDefinition',
    metadata: { name: xrdName },
    spec: {
      group,
      names: { kind: 'XBucket', plural: 'xbuckets' },
      claimNames: { kind: 'Bucket', plural: 'buckets' },
      defaultCompositeDeletePolicy: 'Background',
      versions: [
        {
          name: 'v1',
          served: true,
          referenceable: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    color: { type: 'string' },
                    size: { type: 'integer' },
                    widgets: { 'x-kubernetes-preserve-unknown-fields': true },
                  },
                },
                status: { type: 'object', properties: { observedColor: { type: 'string' } } },
              },
            },
          },
        },
      ],
    },
  };

  const claimRef = (name: string) => ({ ...claimType, namespace: kube.namespace, name });
  const newClaim = (name: string, spec: Record<string, unknown>): KubeObject => ({
    ...claimType,
    metadata: { name, namespace: kube.namespace },
    spec,
  });
  const xrOf = async (claim: string): Promise<KubeObject | undefined> => {
    const c = await kube.client.getIfExists(claimRef(claim));
    const name = (c?.spec as { resourceRef?: { name?: string } } | undefined)?.resourceRef?.name;
    return name === undefined ? undefined : await kube.client.getIfExists({ ...xrType, name });
  };
  const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: kube.namespace, name });
  const composedNames = async (claim: string): Promise<Record<string, string>> => {
    const xr = await xrOf(claim);
    const list = await kube.client.list(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: kube.namespace, labelSelector: `crossplane.io/composite=${xr?.metadata.name ?? 'none'}` },
    );
    const out: Record<string, string> = {};
    for (const o of list.items) out[o.metadata.annotations?.['crossplane.io/composition-resource-name'] ?? ''] = o.metadata.name ?? '';
    return out;
  };

  beforeAll(async () => {
    await kube.client.create(fx.labelled(xrd));
    await kube.client.create(composition(true));
    await waitForObject(
      kube.client,
      { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition', name: xrdName },
      'the XRD to be Established and Offered',
      (o) => isCurrentTrue(o, 'Established') && isCurrentTrue(o, 'Offered'),
    );
  });

  it('establishes the XRD with both controllers running', async () => {
    const got = await kube.client.get({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition', name: xrdName });
    expect(condition(got, 'Established')).toMatchObject({ status: 'True', reason: 'WatchingCompositeResource' });
    expect(condition(got, 'Offered')).toMatchObject({ status: 'True', reason: 'WatchingCompositeResourceClaim' });
    expect((got.status as { controllers?: unknown }).controllers).toEqual({
      compositeResourceType: xrType,
      compositeResourceClaimType: claimType,
    });
    expect(fx.engine.controllers()).toEqual(expect.arrayContaining([`composite/${xrdName}`, `claim/${xrdName}`]));
  });

  it('binds a claim to a new XR and becomes Ready, composing in dependency order', async () => {
    await kube.client.create(newClaim('ready', { color: 'red', size: 3 }));
    const claim = await waitForObject(kube.client, claimRef('ready'), 'claim "ready" to be Ready', (o) => isCurrentTrue(o, 'Ready'));
    expect(condition(claim, 'Synced')).toMatchObject({ status: 'True', reason: 'ReconcileSuccess' });
    expect(claim?.status).toMatchObject({ observedColor: 'red' });
    const xr = await xrOf('ready');
    expect(xr?.metadata.name).toMatch(/^ready-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(xr?.metadata.labels).toMatchObject({ 'crossplane.io/claim-name': 'ready', 'crossplane.io/claim-namespace': kube.namespace });
    expect(xr?.spec).toMatchObject({ claimRef: { ...claimType, name: 'ready', namespace: kube.namespace }, color: 'red', size: 3 });
    const names = await composedNames('ready');
    expect(Object.keys(names).sort()).toEqual(['config', 'derived']);
    const config = await kube.client.get(cm(names.config ?? ''));
    expect(config.data).toEqual({ color: 'red', size: '3' });
    expect(config.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'XBucket', name: xr?.metadata.name, controller: true, blockOwnerDeletion: true }),
    ]);
    const derived = await kube.client.get(cm(names.derived ?? ''));
    expect(derived.data).toEqual({ fromStatus: 'red' });
    // Ordering: the dependent was created after its dependency existed and was ready.
    expect(Date.parse(derived.metadata.creationTimestamp ?? '')).toBeGreaterThanOrEqual(
      Date.parse(config.metadata.creationTimestamp ?? ''),
    );
    expect(xr?.metadata.annotations?.['trellis.dev/dependencies']).toBe('{"derived":["config"]}');
  });

  it('propagates spec changes down and status back up', async () => {
    const c = await kube.client.get(claimRef('ready'));
    await kube.client.patch(claimRef('ready'), { type: 'merge', patch: { spec: { color: 'blue' } } });
    void c;
    await waitForObject(
      kube.client,
      claimRef('ready'),
      'the new color to reach the claim status',
      (o) => (o?.status as { observedColor?: string } | undefined)?.observedColor === 'blue',
    );
    const names = await composedNames('ready');
    expect((await kube.client.get(cm(names.derived ?? ''))).data).toEqual({ fromStatus: 'blue' });
  });

  it('writes nothing while nothing changes', async () => {
    const xr = (await xrOf('ready')) as KubeObject;
    const reconciles = (): number =>
      ['success', 'requeue'].reduce((n, result) => n + fx.metrics.reconciles.get({ controller: `composite/${xrdName}`, result }), 0);
    // Let in-flight work settle: no write for a second.
    let last = fx.writes();
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const now = fx.writes();
      if (now === last && i >= 5) break;
      last = now;
    }
    const writes = fx.writes();
    const before = reconciles();
    // Touch the XR in a way that changes nothing the engine owns: it reconciles, writes nothing.
    await kube.client.patch(
      { ...xrType, name: xr.metadata.name ?? '' },
      { type: 'merge', patch: { metadata: { labels: { touched: 'yes' } } } },
    );
    await waitForObject(
      kube.client,
      { ...xrType, name: xr.metadata.name ?? '' },
      'the XR to be reconciled again',
      () => reconciles() > before,
      10_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(fx.writes() - writes).toBe(0);
  });

  it('garbage-collects a resource dropped from the Composition (new revision, Automatic)', async () => {
    const names = await composedNames('ready');
    const current = await kube.client.get({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition', name: compName });
    await kube.client.update({
      ...composition(false),
      metadata: { ...composition(false).metadata, resourceVersion: current.metadata.resourceVersion ?? '' },
    });
    await waitGone(kube.client, cm(names.derived ?? ''));
    expect(await kube.client.getIfExists(cm(names.config ?? ''))).toBeDefined();
    // The reconcile that deleted it still lists it; the next one (on its deletion) drops it.
    const refsOf = (o: KubeObject | undefined): unknown => (o?.spec as { resourceRefs?: unknown[] } | undefined)?.resourceRefs;
    const only = [{ apiVersion: 'v1', kind: 'ConfigMap', name: names.config, namespace: kube.namespace }];
    const xrName = (await xrOf('ready'))?.metadata.name ?? '';
    const xr = await waitForObject(
      kube.client,
      { ...xrType, name: xrName },
      'resourceRefs to drop the collected resource',
      (o) => JSON.stringify(refsOf(o)) === JSON.stringify(only),
    );
    const revs = await kube.client.list(
      { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositionRevision' },
      { labelSelector: `crossplane.io/composition-name=${compName}` },
    );
    expect(revs.items.map((r) => (r.spec as { revision: number }).revision).sort()).toEqual([1, 2]);
    expect((xr?.spec as { compositionRevisionRef?: { name: string } } | undefined)?.compositionRevisionRef?.name).toBe(
      revs.items.find((r) => (r.spec as { revision: number }).revision === 2)?.metadata.name,
    );
  });

  it('shows a failing patch with its step and field path on the claim', async () => {
    await kube.client.create(newClaim('broken', { color: 'green', size: 1, widgets: 'not-a-list' }));
    const claim = await waitForObject(kube.client, claimRef('broken'), 'claim "broken" to report the failing patch', (o) => {
      const r = (o?.status as { pipelineResults?: { severity: string }[] } | undefined)?.pipelineResults ?? [];
      return r.some((x) => x.severity === 'Fatal') && condition(o, 'Synced')?.status === 'False';
    });
    const results = (claim?.status as { pipelineResults?: Record<string, string>[] } | undefined)?.pipelineResults;
    expect(results).toEqual([
      expect.objectContaining({ step: 'patch-and-transform', severity: 'Fatal', resource: 'config', fieldPath: 'spec.widgets' }),
    ]);
    expect(condition(claim, 'Synced')?.message).toMatch(
      /is not synced: cannot compose resources: pipeline step "patch-and-transform" returned a fatal result/,
    );
    expect(condition(claim, 'Ready')).toMatchObject({ status: 'False', reason: 'Waiting' });
    expect(await composedNames('broken')).toEqual({});
    // Fixing the claim clears the results and composes.
    await kube.client.patch(claimRef('broken'), { type: 'merge', patch: { spec: { widgets: ['w'] } } });
    const fixed = await waitForObject(
      kube.client,
      claimRef('broken'),
      'claim "broken" to recover',
      (o) => isCurrentTrue(o, 'Ready') && isCurrentTrue(o, 'Synced'),
    );
    expect((fixed?.status as { pipelineResults?: unknown } | undefined)?.pipelineResults).toBeUndefined();
  });

  it('makes a claim installed by `helm install --wait` Ready before helm returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trellis-chart-'));
    try {
      mkdirSync(join(dir, 'templates'));
      writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: bucket\nversion: 0.1.0\n');
      writeFileSync(
        join(dir, 'templates', 'claim.yaml'),
        `apiVersion: ${claimType.apiVersion}\nkind: Bucket\nmetadata:\n  name: from-helm\nspec:\n  color: yellow\n  size: 5\n`,
      );
      const res = await helm(
        ['install', 'bucket', dir, '--namespace', kube.namespace, '--wait', '--timeout', '90s'],
        target.kubeconfigPath,
      );
      expect(res.out).toContain('STATUS: deployed');
      expect(res.code).toBe(0);
      const claim = await kube.client.get(claimRef('from-helm'));
      expect(isCurrentTrue(claim, 'Ready')).toBe(true);
      expect(claim.status).toMatchObject({ observedColor: 'yellow' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('deletes a Foreground claim only after its XR and composed resources are gone', async () => {
    await kube.client.create(newClaim('fg', { color: 'pink', size: 2, compositeDeletePolicy: 'Foreground' }));
    await waitForObject(kube.client, claimRef('fg'), 'claim "fg" to be Ready', (o) => isCurrentTrue(o, 'Ready'));
    const xr = (await xrOf('fg')) as KubeObject;
    const names = await composedNames('fg');
    await kube.client.delete(claimRef('fg'));
    // While the XR exists the claim waits.
    const xrRef = { ...xrType, name: xr.metadata.name ?? '' };
    await waitGone(kube.client, cm(names.config ?? ''));
    await waitGone(kube.client, xrRef);
    await waitGone(kube.client, claimRef('fg'));
  });

  it('deletes a Background claim and then its XR and composed resources', async () => {
    await kube.client.create(newClaim('bg', { color: 'gray', size: 2 }));
    await waitForObject(kube.client, claimRef('bg'), 'claim "bg" to be Ready', (o) => isCurrentTrue(o, 'Ready'));
    const xr = (await xrOf('bg')) as KubeObject;
    const names = await composedNames('bg');
    await kube.client.delete(claimRef('bg'));
    await waitGone(kube.client, claimRef('bg'));
    await waitGone(kube.client, { ...xrType, name: xr.metadata.name ?? '' });
    await waitGone(kube.client, cm(names.config ?? ''));
  });
});
