import { QueuePriority } from '@trellis/kube';
import { asControllerRef, hasCode, type KubeObject } from '@trellis/sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { AppliedHashAnnotation } from '../../apply/decide.ts';
import { DependenciesAnnotation } from '../../apply/inventory.ts';
import { type FakeKube, newFakeKube } from '../testing/fake-kube.ts';
import type { ComposeInput, ComposeOutput, Composer } from './composer.ts';
import { CompositeReconciler } from './reconciler.ts';

const XR = { apiVersion: 'example.org/v1', kind: 'XBucket' } as const;

function configMap(xr: KubeObject, name: string, data: Record<string, string>, deps?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${xr.metadata.name}-${name}`,
      namespace: xr.metadata.namespace ?? '',
      labels: { 'crossplane.io/composite': xr.metadata.name ?? '' },
      annotations: { 'crossplane.io/composition-resource-name': name, ...(deps === undefined ? {} : { 'trellis.dev/depends-on': deps }) },
      ownerReferences: [asControllerRef(xr)],
    },
    data,
  };
}

/** A scripted composer: desired resources from a function of the input; records each call. */
function composer(fn: (input: ComposeInput) => Partial<ComposeOutput>): Composer & { calls: ComposeInput[] } {
  const calls: ComposeInput[] = [];
  return {
    calls,
    async compose(input) {
      calls.push(input);
      return { resources: [], dependencies: {}, connectionDetails: {}, results: [], conditions: [], ...fn(input) };
    },
  };
}

interface Env {
  kube: FakeKube;
  rec: CompositeReconciler;
  xr(): KubeObject;
}

function setup(c: Composer): Env {
  const kube = newFakeKube();
  const comp = kube.put({
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'Composition',
    metadata: { name: 'c' },
    spec: { compositeTypeRef: XR, mode: 'Pipeline', pipeline: [{ step: 's', functionRef: { name: 'f' } }] },
  });
  kube.put({
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'CompositionRevision',
    metadata: {
      name: 'c-1111111',
      labels: { 'crossplane.io/composition-name': 'c', 'crossplane.io/composition-hash': '1111111' },
      ownerReferences: [asControllerRef(comp)],
    },
    spec: { compositeTypeRef: XR, revision: 1, pipeline: [] },
    status: { conditions: [{ type: 'ValidPipeline', status: 'True', reason: 'ValidPipeline' }] },
  });
  kube.put({ ...XR, metadata: { name: 'b', namespace: 'ns' }, spec: { size: 1 } });
  return { kube, rec: reconcilerFor(kube, c), xr: () => kube.peek({ ...XR, namespace: 'ns', name: 'b' }) as KubeObject };
}

/**
 * ReconcilerFor makes a reconciler with no memory of earlier runs (a restarted engine); `xrCache`
 * replaces its XR cache (a cache lagging behind the server).
 */
function reconcilerFor(kube: FakeKube, c: Composer, xrCache?: (key: string) => KubeObject | undefined): CompositeReconciler {
  return new CompositeReconciler({
    client: kube,
    xrType: XR,
    schema: 'Modern',
    definition: () => ({}),
    cache: {
      xr:
        xrCache ??
        ((key) => {
          const [namespace, name] = key.split('/');
          return kube.peek({ ...XR, namespace: namespace ?? '', name: name ?? '' });
        }),
      compositions: () => kube.objects({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition' }),
      revisions: () => kube.objects({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositionRevision' }),
    },
    composed: {
      ensure: async () => {},
      get: (type, namespace, name) => kube.peek({ ...type, name, ...(namespace === undefined ? {} : { namespace }) }),
    },
    composer: c,
    random: () => 0.5,
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
}

const cond = (xr: KubeObject, type: string) =>
  ((xr.status as { conditions?: { type: string; message?: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === type);

describe('CompositeReconciler', () => {
  /** Two resources: `app` depends on `db`; db is ready once it exists. */
  const twoResources = composer((input) => ({
    resources: [
      { name: 'app', resource: configMap(input.xr, 'app', { size: '1' }, 'db'), ready: input.observed.has('app') },
      { name: 'db', resource: configMap(input.xr, 'db', { a: 'b' }), ready: input.observed.has('db') },
    ],
    dependencies: { app: ['db'] },
    ttlMs: 60_000,
  }));

  let env: Env;
  beforeEach(() => {
    twoResources.calls.length = 0;
    env = setup(twoResources);
  });

  it('selects, persists the inventory, and creates only what has no unready dependency', async () => {
    await env.rec.reconcile('ns/b');
    const xr = env.xr();
    expect(xr.metadata.finalizers).toEqual(['composite.apiextensions.crossplane.io']);
    expect(xr.metadata.labels?.['crossplane.io/composite']).toBe('b');
    const spec = xr.spec as { crossplane: Record<string, unknown> };
    expect(spec.crossplane.compositionRef).toEqual({ name: 'c' });
    expect(spec.crossplane.compositionRevisionRef).toEqual({ name: 'c-1111111' });
    expect(spec.crossplane.resourceRefs).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'b-app' },
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'b-db' },
    ]);
    expect(xr.metadata.annotations?.[DependenciesAnnotation]).toBe('{"app":["db"]}');
    expect(env.kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b-db' })).toBeDefined();
    expect(env.kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b-app' })).toBeUndefined();
    expect(cond(xr, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'Creating',
      message: 'Unready resources: app, db',
      observedGeneration: xr.metadata.generation,
    });
    expect(cond(xr, 'Synced')).toMatchObject({ status: 'True', reason: 'ReconcileSuccess' });
  });

  it('creates the dependent once the dependency is ready, then becomes Ready', async () => {
    await env.rec.reconcile('ns/b');
    await env.rec.reconcile('ns/b');
    expect(env.kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b-app' })?.data).toEqual({ size: '1' });
    await env.rec.reconcile('ns/b');
    expect(cond(env.xr(), 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
  });

  it('writes nothing when nothing changed', async () => {
    for (let i = 0; i < 3; i++) await env.rec.reconcile('ns/b');
    env.kube.resetCalls();
    const res = await env.rec.reconcile('ns/b');
    expect(env.kube.writes()).toBe(0);
    expect(res.requeueAfterMs).toBeGreaterThanOrEqual(54_000);
    expect(res.requeueAfterMs).toBeLessThanOrEqual(66_000);
    // The poll only catches drift: it yields to XRs in flight.
    expect(res.priority).toBe(QueuePriority.Low);
  });

  it('writes nothing when nothing changed even after a restart (no in-memory state)', async () => {
    for (let i = 0; i < 3; i++) await env.rec.reconcile('ns/b');
    const restarted = reconcilerFor(env.kube, twoResources);
    env.kube.resetCalls();
    await restarted.reconcile('ns/b');
    expect(env.kube.writes()).toBe(0);
  });

  it('stamps the applied hash on composed resources', async () => {
    await env.rec.reconcile('ns/b');
    const db = env.kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b-db' });
    expect(db?.metadata.annotations?.[AppliedHashAnnotation]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('deletes composed resources in reverse dependency order when the XR is deleted', async () => {
    for (let i = 0; i < 3; i++) await env.rec.reconcile('ns/b');
    await env.kube.delete({ ...XR, namespace: 'ns', name: 'b' });
    await env.rec.reconcile('ns/b');
    expect(env.kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b-app' })).toBeUndefined();
    expect(env.kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b-db' })).toBeDefined();
    expect(env.xr().metadata.finalizers).toEqual(['composite.apiextensions.crossplane.io']);
    await env.rec.reconcile('ns/b');
    expect(env.kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b-db' })).toBeUndefined();
    await env.rec.reconcile('ns/b');
    expect(env.kube.peek({ ...XR, namespace: 'ns', name: 'b' })).toBeUndefined();
    expect(twoResources.calls.length).toBe(3);
  });
});

describe('CompositeReconciler configuration (finalizer, selection, label)', () => {
  const one = composer((input) => ({ resources: [{ name: 'a', resource: configMap(input.xr, 'a', {}), ready: true }] }));
  const applyEntry = (xr: KubeObject) =>
    (xr.metadata.managedFields as { manager: string; operation: string; subresource?: string; fieldsV1: Record<string, unknown> }[]).find(
      (e) => e.manager === 'apiextensions.crossplane.io/composite' && e.operation === 'Apply' && e.subresource === undefined,
    );

  it('writes the configuration with the inventory: one write to a new XR before its resources are created', async () => {
    const env = setup(one);
    await env.rec.reconcile('ns/b');
    expect(env.kube.calls.get('patch') ?? 0).toBe(0);
    expect(env.kube.calls.get('apply')).toBe(2); // the XR's inventory and configuration, then the ConfigMap
    const xr = env.xr();
    expect(xr.metadata.finalizers).toEqual(['composite.apiextensions.crossplane.io']);
    expect(xr.metadata.labels?.['crossplane.io/composite']).toBe('b');
    expect(xr.spec).toMatchObject({ crossplane: { compositionRef: { name: 'c' }, compositionRevisionRef: { name: 'c-1111111' } } });
    expect(applyEntry(xr)?.fieldsV1).toMatchObject({
      'f:metadata': { 'f:finalizers': { 'v:"composite.apiextensions.crossplane.io"': {} } },
    });
  });

  it('keeps applying what it owns, so a later inventory change removes none of it', async () => {
    let two = false;
    const c = composer((input) => ({
      resources: [
        { name: 'a', resource: configMap(input.xr, 'a', {}), ready: true },
        ...(two ? [{ name: 'b', resource: configMap(input.xr, 'b', {}), ready: true }] : []),
      ],
    }));
    const env = setup(c);
    await env.rec.reconcile('ns/b');
    two = true;
    env.kube.resetCalls();
    await env.rec.reconcile('ns/b');
    const xr = env.xr();
    expect(env.kube.calls.get('patch') ?? 0).toBe(0);
    const owned = applyEntry(xr)?.fieldsV1 as Record<string, Record<string, unknown>>;
    expect(owned['f:metadata']).toMatchObject({ 'f:finalizers': {}, 'f:labels': { 'f:crossplane.io/composite': {} } });
    expect(owned['f:spec']).toMatchObject({
      'f:crossplane': { 'f:compositionRef': {}, 'f:compositionRevisionRef': {}, 'f:resourceRefs': {} },
    });
  });

  it('leaves selection fields set by others to them (not carried by its apply)', async () => {
    const env = setup(one);
    env.kube.put({ ...XR, metadata: { name: 'b', namespace: 'ns' }, spec: { size: 1, crossplane: { compositionRef: { name: 'c' } } } });
    await env.rec.reconcile('ns/b');
    const owned = applyEntry(env.xr())?.fieldsV1 as Record<string, Record<string, unknown>>;
    expect(owned['f:spec']?.['f:crossplane']).not.toHaveProperty('f:compositionRef');
    expect(owned['f:spec']?.['f:crossplane']).toHaveProperty('f:compositionRevisionRef');
  });

  it('patches the selection on its own when composing fails before the inventory is written', async () => {
    const failing = composer(() => ({ fatal: new Error('function said no') }));
    const env = setup(failing);
    await expect(env.rec.reconcile('ns/b')).rejects.toThrow(/function said no/);
    const xr = env.xr();
    expect(env.kube.calls.get('patch')).toBe(1);
    expect(xr.metadata.finalizers).toEqual(['composite.apiextensions.crossplane.io']);
    expect(xr.spec).toMatchObject({ crossplane: { compositionRef: { name: 'c' }, compositionRevisionRef: { name: 'c-1111111' } } });
    expect(cond(xr, 'Synced')).toMatchObject({ status: 'False' });
  });

  it('does not force a configuration chosen from a stale XR over a newer one', async () => {
    const env = setup(one);
    const stale = structuredClone(env.xr());
    // Someone writes the XR after the controller read it: the configuration apply must conflict.
    await env.kube.patch({ ...XR, namespace: 'ns', name: 'b' }, { type: 'merge', patch: { spec: { size: 2 } } });
    const rec = reconcilerFor(env.kube, one, () => stale);
    await expect(rec.reconcile('ns/b')).rejects.toSatisfy((err: unknown) => hasCode(err, 'KUBE_CONFLICT'));
    expect(env.kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b-a' })).toBeUndefined();
  });
});

describe('CompositeReconciler garbage collection', () => {
  it('deletes a resource dropped from the desired state, and only its own', async () => {
    let drop = false;
    const c = composer((input) => ({
      resources: [
        { name: 'keep', resource: configMap(input.xr, 'keep', {}), ready: true },
        ...(drop ? [] : [{ name: 'gone', resource: configMap(input.xr, 'gone', {}), ready: true }]),
      ],
    }));
    const env = setup(c);
    await env.rec.reconcile('ns/b');
    drop = true;
    await env.rec.reconcile('ns/b');
    expect(env.kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b-gone' })).toBeUndefined();
    expect(env.kube.peek({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'ns', name: 'b-keep' })).toBeDefined();
    await env.rec.reconcile('ns/b');
    const refs = (env.xr().spec as { crossplane: { resourceRefs: unknown[] } }).crossplane.resourceRefs;
    expect(refs).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: 'b-keep' }]);
  });
});

describe('CompositeReconciler memory', () => {
  const ref = { ...XR, namespace: 'ns', name: 'b' };
  let drop = false;
  const c = composer((input) => ({
    resources: [
      { name: 'keep', resource: configMap(input.xr, 'keep', {}), ready: true },
      ...(drop ? [] : [{ name: 'gone', resource: configMap(input.xr, 'gone', {}), ready: true }]),
    ],
  }));
  beforeEach(() => {
    drop = false;
  });

  it.each([
    {
      reason: 'an XR deleted through its finalizer is forgotten once it is gone',
      change: async (env: Env) => {
        await env.kube.delete(ref);
        for (let i = 0; i < 3 && env.kube.peek(ref) !== undefined; i++) await env.rec.reconcile('ns/b');
      },
      want: { xrs: 0, composed: 0 },
    },
    {
      reason: 'an XR removed behind the controller (no finalizer left) is forgotten when its key comes back',
      change: async (env: Env) => {
        await env.kube.patch(ref, { type: 'merge', patch: { metadata: { finalizers: null } } });
        await env.kube.delete(ref);
        await env.rec.reconcile('ns/b');
      },
      want: { xrs: 0, composed: 0 },
    },
    {
      reason: 'a composed resource dropped from the desired state is forgotten, the XR is not',
      change: async (env: Env) => {
        drop = true;
        await env.rec.reconcile('ns/b');
      },
      want: { xrs: 1, composed: 1 },
    },
  ])('$reason', async ({ change, want }) => {
    const env = setup(c);
    for (let i = 0; i < 2; i++) await env.rec.reconcile('ns/b');
    expect(env.rec.tracked()).toMatchObject({ xrs: 1, composed: 2 });
    await change(env);
    expect(env.rec.tracked()).toMatchObject(want);
    if (want.xrs === 0) {
      expect(env.kube.peek(ref)).toBeUndefined();
      expect(env.rec.tracked().writes).toBe(0);
    }
  });

  it('holds nothing after many XRs came and went', async () => {
    const env = setup(c);
    for (let i = 0; i < 20; i++) {
      const name = `x${i}`;
      env.kube.put({ ...XR, metadata: { name, namespace: 'ns' }, spec: { size: 1 } });
      await env.rec.reconcile(`ns/${name}`);
      await env.kube.delete({ ...XR, namespace: 'ns', name });
      for (let j = 0; j < 3 && env.kube.peek({ ...XR, namespace: 'ns', name }) !== undefined; j++) await env.rec.reconcile(`ns/${name}`);
    }
    expect(env.rec.tracked()).toEqual({ xrs: 0, composed: 0, writes: 0 });
  });
});

describe('CompositeReconciler failures', () => {
  it('reports a fatal pipeline result on Synced with per-step results, and applies nothing', async () => {
    const c = composer(() => ({
      results: [
        {
          step: 'patch',
          severity: 'SEVERITY_FATAL',
          message: 'cannot render composed resource "db" "FromCompositeFieldPath" patch at index 0: spec.size: not an object',
        },
      ],
      fatal: new Error('pipeline step "patch" returned a fatal result: cannot render composed resource "db"'),
    }));
    const env = setup(c);
    let err: unknown;
    try {
      await env.rec.reconcile('ns/b');
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'ENGINE_COMPOSE_FAILED')).toBe(true);
    const xr = env.xr();
    expect(cond(xr, 'Synced')).toMatchObject({ status: 'False', reason: 'ReconcileError' });
    expect(cond(xr, 'Synced')?.message ?? '').toMatch(/^cannot compose resources: pipeline step "patch" returned a fatal result/);
    expect((xr.status as { pipelineResults: unknown[] }).pipelineResults).toEqual([
      {
        step: 'patch',
        severity: 'Fatal',
        message: 'cannot render composed resource "db" "FromCompositeFieldPath" patch at index 0: spec.size: not an object',
        resource: 'db',
        fieldPath: 'spec.size',
      },
    ]);
    expect(env.kube.objects({ apiVersion: 'v1', kind: 'ConfigMap' })).toEqual([]);
  });

  it('reports a missing Composition', async () => {
    const env = setup(composer(() => ({})));
    await env.kube.delete({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition', name: 'c' });
    await expect(env.rec.reconcile('ns/b')).rejects.toThrow(/no compatible Compositions found/);
    expect(cond(env.xr(), 'Synced')).toMatchObject({
      status: 'False',
      message: 'cannot select Composition: no compatible Compositions found',
    });
  });

  it('reports a dependency cycle before applying anything', async () => {
    const c = composer((input) => ({
      resources: [
        { name: 'a', resource: configMap(input.xr, 'a', {}), ready: false },
        { name: 'b', resource: configMap(input.xr, 'b', {}), ready: false },
      ],
      dependencies: { a: ['b'], b: ['a'] },
    }));
    const env = setup(c);
    await expect(env.rec.reconcile('ns/b')).rejects.toThrow(/cannot compose resources/);
    expect(env.kube.objects({ apiVersion: 'v1', kind: 'ConfigMap' })).toEqual([]);
    expect(cond(env.xr(), 'Synced')?.message ?? '').toBe(
      'cannot compose resources: composed resources depend on each other in a cycle: a -> b -> a',
    );
  });

  it('rejects invalid composed names before applying anything', async () => {
    const c = composer((input) => {
      const bad = configMap(input.xr, 'a', {});
      bad.metadata.name = 'Not_Valid';
      return { resources: [{ name: 'a', resource: bad, ready: false }] };
    });
    const env = setup(c);
    await expect(env.rec.reconcile('ns/b')).rejects.toThrow(/invalid name "Not_Valid"/);
    expect(env.kube.objects({ apiVersion: 'v1', kind: 'ConfigMap' })).toEqual([]);
  });

  it('marks a resource the API server rejects as invalid unsynced and carries on', async () => {
    const c = composer((input) => ({
      resources: [
        { name: 'a', resource: configMap(input.xr, 'a', {}), ready: true },
        { name: 'z', resource: configMap(input.xr, 'z', {}), ready: true },
      ],
    }));
    const env = setup(c);
    env.kube.failNext('apply', 'ConfigMap', Object.assign(new Error('invalid'), { code: 'KUBE_INVALID' }));
    const { TrellisError } = await import('@trellis/sdk');
    env.kube.failNext('apply', 'ConfigMap', new TrellisError('KUBE_INVALID', 'ConfigMap "b-a" is invalid: data: Invalid value'));
    await env.rec.reconcile('ns/b');
    expect(cond(env.xr(), 'Synced')).toMatchObject({ status: 'False', message: 'Unsynced resources: a' });
  });

  it('keeps Ready untouched and records a paused XR', async () => {
    const env = setup(composer(() => ({})));
    const xr = env.xr();
    env.kube.put({ ...xr, metadata: { ...xr.metadata, annotations: { 'crossplane.io/paused': 'true' } } });
    await env.rec.reconcile('ns/b');
    expect(cond(env.xr(), 'Synced')).toMatchObject({ status: 'False', reason: 'ReconcilePaused' });
    expect(cond(env.xr(), 'Ready')).toBeUndefined();
  });
});
