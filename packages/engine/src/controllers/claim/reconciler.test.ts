import type { KubeObject } from '@trellis/sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { newCompositionRevision } from '../../revision/revision.ts';
import { type Echoes, newEchoes } from '../runtime/echoes.ts';
import { type FakeKube, newFakeKube } from '../testing/fake-kube.ts';
import type { SelectionSources } from './preselect.ts';
import { ClaimReconciler } from './reconciler.ts';
import { generateXrName, withoutReservedK8sEntries, xrPatch } from './sync.ts';

const XR = { apiVersion: 'example.org/v1', kind: 'XBucket' } as const;
const CLAIM = { apiVersion: 'example.org/v1', kind: 'Bucket' } as const;

interface Env {
  kube: FakeKube;
  rec: ClaimReconciler;
  claim(): KubeObject;
  xr(): KubeObject | undefined;
}

function setup(
  spec: Record<string, unknown> = { size: 1 },
  selection?: () => SelectionSources,
  ownWrites?: { claims: Echoes; xrs: Echoes },
): Env {
  const kube = newFakeKube({ clusterScoped: ['XBucket'] });
  kube.put({
    ...CLAIM,
    metadata: {
      name: 'c',
      namespace: 'ns',
      labels: { team: 'a' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', note: 'x' },
    },
    spec,
  });
  const claim = (): KubeObject => kube.peek({ ...CLAIM, namespace: 'ns', name: 'c' }) as KubeObject;
  const xr = (): KubeObject | undefined => {
    const name = (claim()?.spec as { resourceRef?: { name: string } } | undefined)?.resourceRef?.name;
    return name === undefined ? undefined : kube.peek({ ...XR, name });
  };
  const rec = new ClaimReconciler({
    client: kube,
    claimType: CLAIM,
    xrType: XR,
    cache: {
      claim: (key) => {
        const [namespace, name] = key.split('/');
        return kube.peek({ ...CLAIM, namespace: namespace ?? '', name: name ?? '' });
      },
      xr: (name) => kube.peek({ ...XR, name }),
    },
    hasEnforcedComposition: () => false,
    ...(selection === undefined ? {} : { selection }),
    ...(ownWrites === undefined ? {} : { ownWrites }),
    random: () => 0,
    now: () => new Date('2026-01-01T00:00:00Z'),
  });
  return { kube, rec, claim, xr };
}

const cond = (o: KubeObject, type: string) =>
  ((o.status as { conditions?: { type: string }[] })?.conditions ?? []).find((c) => c.type === type);

describe('ClaimReconciler', () => {
  let env: Env;
  beforeEach(() => {
    env = setup();
  });

  it('creates and binds an XR named after the claim, with claim labels and spec', async () => {
    await env.rec.reconcile('ns/c');
    const claim = env.claim();
    expect(claim.metadata.finalizers).toEqual(['finalizer.apiextensions.crossplane.io']);
    expect((claim.spec as { resourceRef: unknown }).resourceRef).toEqual({ ...XR, name: 'c-bbbbb' });
    const xr = env.xr() as KubeObject;
    expect(xr.metadata.labels).toEqual({ team: 'a', 'crossplane.io/claim-name': 'c', 'crossplane.io/claim-namespace': 'ns' });
    expect(xr.metadata.annotations).toEqual({ note: 'x' });
    expect(xr.spec).toEqual({ size: 1, claimRef: { ...CLAIM, name: 'c', namespace: 'ns' } });
    expect(cond(claim, 'Ready')).toMatchObject({ status: 'False', reason: 'Waiting' });
    expect(cond(claim, 'Synced')).toMatchObject({ status: 'True', reason: 'ReconcileSuccess' });
  });

  it('adds the finalizer with the binding in one update, before the XR exists', async () => {
    env.kube.resetCalls();
    await env.rec.reconcile('ns/c');
    expect(env.kube.calls.get('patch') ?? 0).toBe(0);
    expect(env.kube.calls.get('update')).toBe(1);
    expect(env.claim().metadata.finalizers).toEqual(['finalizer.apiextensions.crossplane.io']);
  });

  it('patches the finalizer back onto a bound claim that lost it', async () => {
    await env.rec.reconcile('ns/c');
    const c = env.claim();
    env.kube.put({ ...c, metadata: { ...c.metadata, finalizers: [] } });
    env.kube.resetCalls();
    await env.rec.reconcile('ns/c');
    expect(env.kube.calls.get('patch')).toBe(1);
    expect(env.kube.calls.get('update') ?? 0).toBe(0);
    expect(env.claim().metadata.finalizers).toEqual(['finalizer.apiextensions.crossplane.io']);
  });

  it('writes nothing when nothing changed', async () => {
    await env.rec.reconcile('ns/c');
    await env.rec.reconcile('ns/c');
    env.kube.resetCalls();
    await env.rec.reconcile('ns/c');
    expect(env.kube.writes()).toBe(0);
  });

  it('copies XR status up, mirrors Ready, and reports XR sync failures', async () => {
    await env.rec.reconcile('ns/c');
    const xr = env.xr() as KubeObject;
    env.kube.put({
      ...xr,
      status: {
        endpoint: 'e',
        pipelineResults: [{ step: 'p', severity: 'Fatal', message: 'm', fieldPath: 'spec.x' }],
        conditions: [
          { type: 'Ready', status: 'False', reason: 'Creating' },
          { type: 'Synced', status: 'False', reason: 'ReconcileError', message: 'cannot compose resources: boom' },
        ],
      },
    });
    await env.rec.reconcile('ns/c');
    const claim = env.claim();
    expect((claim.status as Record<string, unknown>).endpoint).toBe('e');
    expect((claim.status as Record<string, unknown>).pipelineResults).toEqual([
      { step: 'p', severity: 'Fatal', message: 'm', fieldPath: 'spec.x' },
    ]);
    expect(cond(claim, 'Synced')).toMatchObject({
      status: 'False',
      message: 'composite resource "c-bbbbb" is not synced: cannot compose resources: boom',
    });
    const x2 = env.xr() as KubeObject;
    env.kube.put({ ...x2, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Available' }] } });
    await env.rec.reconcile('ns/c');
    expect(cond(env.claim(), 'Ready')).toMatchObject({ status: 'True', reason: 'Available' });
    expect(cond(env.claim(), 'Synced')).toMatchObject({ status: 'True' });
  });

  it('binds a new claim with the Composition and revision its XR will select: one claim update, none when the XR selects the same', async () => {
    const comp: KubeObject = {
      apiVersion: 'apiextensions.crossplane.io/v1',
      kind: 'Composition',
      metadata: { name: 'comp', uid: 'comp-uid' },
      spec: { compositeTypeRef: XR, mode: 'Pipeline', pipeline: [{ step: 's', functionRef: { name: 'f' } }] },
    };
    const rev = { ...newCompositionRevision(comp, 1), status: { conditions: [{ type: 'ValidPipeline', status: 'True' }] } };
    const revRef = { name: rev.metadata.name ?? '' };
    const e = setup({ size: 1 }, () => ({ xrd: undefined, compositions: [comp], revisions: [rev] }));
    await e.rec.reconcile('ns/c');
    expect(e.kube.calls.get('update')).toBe(1);
    expect(e.claim().spec).toMatchObject({ compositionRef: { name: 'comp' }, compositionRevisionRef: revRef });
    // The Composition reaches the XR with the claim's apply (the XR does not select again); the
    // revision ref does not (Automatic: the XR chooses its revision).
    expect(e.xr()?.spec).toMatchObject({ compositionRef: { name: 'comp' } });
    expect((e.xr()?.spec as Record<string, unknown> | undefined)?.compositionRevisionRef).toBeUndefined();
    // The XR controller configures the XR as preselected: nothing to copy back to the claim.
    const xr = e.xr() as KubeObject;
    e.kube.put({ ...xr, spec: { ...(xr.spec as object), compositionUpdatePolicy: 'Automatic', compositionRevisionRef: revRef } });
    e.kube.resetCalls();
    await e.rec.reconcile('ns/c');
    expect(e.kube.calls.get('update') ?? 0).toBe(0);
    expect(e.kube.calls.get('apply') ?? 0).toBe(0);
  });

  it('binds without a Composition when none can be selected yet, and copies back what the XR selects', async () => {
    const e = setup({ size: 1 }, () => ({ xrd: undefined, compositions: [], revisions: [] }));
    await e.rec.reconcile('ns/c');
    expect((e.claim().spec as Record<string, unknown>).compositionRef).toBeUndefined();
    const xr = e.xr() as KubeObject;
    e.kube.put({
      ...xr,
      spec: {
        ...(xr.spec as object),
        compositionRef: { name: 'late' },
        compositionUpdatePolicy: 'Automatic',
        compositionRevisionRef: { name: 'late-1' },
      },
    });
    await e.rec.reconcile('ns/c');
    expect(e.claim().spec).toMatchObject({ compositionRef: { name: 'late' }, compositionRevisionRef: { name: 'late-1' } });
  });

  it('records the claims and XRs it writes as its own: their events as the reconcile left them are echoes', async () => {
    const own = { claims: newEchoes(), xrs: newEchoes() };
    const e = setup({ size: 1 }, undefined, own);
    await e.rec.reconcile('ns/c');
    const xr = e.xr() as KubeObject;
    expect(own.claims.echo(e.claim())).toBe(true);
    expect(own.xrs.echo(xr)).toBe(true);
    // The XR controller's write is not the claim controller's: the claim must copy its status.
    const configured = e.kube.put({ ...xr, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Available' }] } });
    expect(own.xrs.echo(configured)).toBe(false);
  });

  it('propagates spec changes to the XR', async () => {
    await env.rec.reconcile('ns/c');
    const c = env.claim();
    env.kube.put({ ...c, spec: { ...(c.spec as object), size: 2 } });
    await env.rec.reconcile('ns/c');
    expect(env.xr()?.spec).toMatchObject({ size: 2 });
  });

  it('refuses an XR bound to another claim, without requeueing', async () => {
    env.kube.put({ ...XR, metadata: { name: 'taken' }, spec: { claimRef: { ...CLAIM, name: 'other', namespace: 'ns' } } });
    const c = env.claim();
    env.kube.put({ ...c, spec: { resourceRef: { ...XR, name: 'taken' } } });
    const res = await env.rec.reconcile('ns/c');
    expect(res).toEqual({});
    expect(cond(env.claim(), 'Synced')).toMatchObject({
      status: 'False',
      message: 'refusing to operate on composite resource "taken" that is not bound to this claim: bound to claim "other"',
    });
  });

  const policies = {
    Background: { reason: 'background deletion releases the claim at once', policy: 'Background', claimGone: true },
    Foreground: { reason: 'foreground deletion keeps the claim until the XR is gone', policy: 'Foreground', claimGone: false },
  };
  describe.each(Object.entries(policies))('%s deletion', (_name, tc) => {
    it(tc.reason, async () => {
      const e = setup({ size: 1, compositeDeletePolicy: tc.policy });
      await e.rec.reconcile('ns/c');
      const xrName = e.xr()?.metadata.name ?? '';
      // The XR keeps its own finalizer while its composed resources go.
      const x = e.xr() as KubeObject;
      e.kube.put({ ...x, metadata: { ...x.metadata, finalizers: ['composite.apiextensions.crossplane.io'] } });
      await e.kube.delete({ ...CLAIM, namespace: 'ns', name: 'c' });
      await e.rec.reconcile('ns/c');
      expect(e.kube.peek({ ...XR, name: xrName })?.metadata.deletionTimestamp).toBeDefined();
      expect(e.kube.peek({ ...CLAIM, namespace: 'ns', name: 'c' }) === undefined).toBe(tc.claimGone);
      if (!tc.claimGone) {
        const gone = e.kube.peek({ ...XR, name: xrName }) as KubeObject;
        e.kube.put({ ...gone, metadata: { ...gone.metadata, finalizers: [] } });
        await e.kube.delete({ ...XR, name: xrName }).catch(() => undefined);
        await e.rec.reconcile('ns/c');
        expect(e.kube.peek({ ...CLAIM, namespace: 'ns', name: 'c' })).toBeUndefined();
      }
    });
  });
});

describe('ClaimReconciler memory', () => {
  const ref = { ...CLAIM, namespace: 'ns', name: 'c' };
  it.each([
    {
      reason: 'a claim deleted through its finalizer is forgotten once it is gone',
      change: async (e: Env) => {
        await e.kube.delete(ref);
        for (let i = 0; i < 3 && e.kube.peek(ref) !== undefined; i++) await e.rec.reconcile('ns/c');
        await e.rec.reconcile('ns/c');
      },
    },
    {
      reason: 'a claim removed behind the controller (no finalizer left) is forgotten when its key comes back',
      change: async (e: Env) => {
        await e.kube.patch(ref, { type: 'merge', patch: { metadata: { finalizers: null } } });
        await e.kube.delete(ref);
        await e.rec.reconcile('ns/c');
      },
    },
    {
      reason: 'a claim waiting for its XR (foreground deletion) is forgotten once both are gone',
      spec: { size: 1, compositeDeletePolicy: 'Foreground' },
      change: async (e: Env) => {
        const xr = e.xr() as KubeObject;
        e.kube.put({ ...xr, metadata: { ...xr.metadata, finalizers: ['composite.apiextensions.crossplane.io'] } });
        await e.kube.delete(ref);
        await e.rec.reconcile('ns/c');
        const deleting = e.kube.peek({ ...XR, name: xr.metadata.name ?? '' }) as KubeObject;
        e.kube.put({ ...deleting, metadata: { ...deleting.metadata, finalizers: [] } });
        await e.kube.delete({ ...XR, name: xr.metadata.name ?? '' }).catch(() => undefined);
        for (let i = 0; i < 3 && e.kube.peek(ref) !== undefined; i++) await e.rec.reconcile('ns/c');
        await e.rec.reconcile('ns/c');
      },
    },
  ])('$reason', async ({ spec, change }) => {
    const e = setup(spec);
    await e.rec.reconcile('ns/c');
    await e.rec.reconcile('ns/c');
    expect(e.rec.tracked().claims).toBe(1);
    await change(e);
    expect(e.kube.peek(ref)).toBeUndefined();
    expect(e.rec.tracked()).toEqual({ claims: 0, writes: 0 });
  });
});

describe('claim sync', () => {
  it('generates names like the Kubernetes name generator', () => {
    expect(generateXrName('my-claim', () => 0)).toBe('my-claim-bbbbb');
    expect(generateXrName('x'.repeat(80), () => 0.99)).toBe(`${'x'.repeat(58)}99999`);
  });

  it('drops reserved Kubernetes keys', () => {
    expect(withoutReservedK8sEntries({ 'app.kubernetes.io/name': 'a', 'x.k8s.io/y': 'b', 'helm.sh/chart': 'c', plain: 'd' })).toEqual({
      'helm.sh/chart': 'c',
      plain: 'd',
    });
  });

  it('strips claim-only and XR machinery fields a claim could smuggle in', () => {
    const claim: KubeObject = {
      ...CLAIM,
      metadata: { name: 'c', namespace: 'ns' },
      spec: {
        a: 1,
        compositeDeletePolicy: 'Foreground',
        resourceRef: { name: 'x' },
        writeConnectionSecretToRef: { name: 's' },
        resourceRefs: [{ kind: 'Secret', name: 'steal' }],
        claimRef: { name: 'other' },
        compositionRevisionRef: { name: 'r' },
        compositionRef: { name: 'comp' },
      },
    };
    const p = xrPatch({ claim, xr: undefined, xrType: XR, name: 'c-x', hasEnforcedComposition: false });
    expect(p.spec).toEqual({ a: 1, compositionRef: { name: 'comp' }, claimRef: { ...CLAIM, name: 'c', namespace: 'ns' } });
    const enforced = xrPatch({ claim, xr: undefined, xrType: XR, name: 'c-x', hasEnforcedComposition: true });
    expect((enforced.spec as Record<string, unknown>).compositionRef).toBeUndefined();
    const manual = xrPatch({
      claim,
      xr: { ...XR, metadata: { name: 'c-x' }, spec: { compositionUpdatePolicy: 'Manual' } },
      xrType: XR,
      name: 'c-x',
      hasEnforcedComposition: false,
    });
    expect((manual.spec as Record<string, unknown>).compositionRevisionRef).toEqual({ name: 'r' });
  });
});
