import type { ReconcileResult } from '@trellis/kube';
import type { Condition, ExternalClient, ExternalConnector, ExternalObservation, KubeObject } from '@trellis/sdk';
import { available, TrellisError } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { permanentError, retryAfterError } from './errors.ts';
import { markConditions } from './fields.ts';
import { Annotation, externalCreateIncomplete, getExternalName, setExternalName } from './meta.ts';
import type { ManagedKind, ManagedReconcilerOptions } from './reconciler.ts';
import { errCreateIncomplete, managedFinalizer, newManagedReconciler } from './reconciler.ts';
import { newFakeKube } from './testing/fake-kube.ts';

const apiVersion = 'test.trellis.io/v1alpha1';
const kind = 'Thing';
const ref = { apiVersion, kind, name: 'a' };

/** An external system of things, keyed by id; records every call. */
interface World {
  things: Map<string, { value: string }>;
  calls: string[];
  nextId: number;
  /** Fail maps a verb to the error it throws once. */
  fail: Partial<Record<'connect' | 'observe' | 'create' | 'update' | 'delete', unknown>>;
  /** Hang makes a verb ignore its deadline and never settle. */
  hang?: 'observe' | 'create';
  lateInit?: boolean;
}

function newWorld(): World {
  return { things: new Map(), calls: [], nextId: 1, fail: {} };
}

function takeFail(w: World, verb: keyof World['fail']): void {
  const err = w.fail[verb];
  if (err !== undefined) {
    delete w.fail[verb];
    throw err;
  }
}

/** A kind whose external resources are named by the server (`server`) or by spec.forProvider.name (`client`). */
function thingKind(w: World, externalName: 'client' | 'server', lookup = false): ManagedKind {
  const client: ExternalClient = {
    async observe(mr): Promise<ExternalObservation> {
      w.calls.push('observe');
      takeFail(w, 'observe');
      if (w.hang === 'observe') return new Promise(() => {});
      const spec = (mr.spec as { forProvider: { name?: string; value?: string } }).forProvider;
      let id = getExternalName(mr);
      if (id === undefined && externalName === 'client' && spec.name !== undefined) id = spec.name;
      if (id === undefined && lookup) {
        for (const [k, v] of w.things) if (v.value === spec.value) id = k;
      }
      const thing = id === undefined ? undefined : w.things.get(id);
      if (thing === undefined || id === undefined) return { resourceExists: false, resourceUpToDate: false };
      if (getExternalName(mr) === undefined) setExternalName(mr, id);
      let late = false;
      if (w.lateInit === true && spec.value === undefined) {
        spec.value = thing.value;
        late = true;
      }
      (mr.status as Record<string, unknown>).atProvider = { value: thing.value };
      markConditions(mr, available());
      return { resourceExists: true, resourceUpToDate: thing.value === spec.value, resourceLateInitialized: late };
    },
    async create(mr) {
      w.calls.push('create');
      takeFail(w, 'create');
      if (w.hang === 'create') return new Promise(() => {});
      const spec = (mr.spec as { forProvider: { name?: string; value: string } }).forProvider;
      const id = externalName === 'client' ? (spec.name ?? 'x') : `id-${w.nextId++}`;
      w.things.set(id, { value: spec.value });
      setExternalName(mr, id);
      return { connectionDetails: { password: new TextEncoder().encode('s3cret') } };
    },
    async update(mr) {
      w.calls.push('update');
      takeFail(w, 'update');
      const id = getExternalName(mr) ?? '';
      const spec = (mr.spec as { forProvider: { value: string } }).forProvider;
      w.things.set(id, { value: spec.value });
      return {};
    },
    async delete(mr) {
      w.calls.push('delete');
      takeFail(w, 'delete');
      w.things.delete(getExternalName(mr) ?? '');
    },
    async disconnect() {
      w.calls.push('disconnect');
    },
  };
  const connector: ExternalConnector = {
    async connect() {
      w.calls.push('connect');
      takeFail(w, 'connect');
      return client;
    },
  };
  return { apiVersion, kind, connector, externalName, lookup };
}

function thing(over: { annotations?: Record<string, string>; spec?: Record<string, unknown>; finalizers?: string[] } = {}): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name: 'a', annotations: over.annotations ?? {}, ...(over.finalizers === undefined ? {} : { finalizers: over.finalizers }) },
    spec: { forProvider: { value: 'v1' }, ...(over.spec ?? {}) },
  };
}

const fixedNow = new Date('2026-11-21T10:00:00.000Z');
const opts: Partial<ManagedReconcilerOptions> = {
  now: () => fixedNow,
  random: () => 0.5,
  callTimeoutMs: 50,
};

function conditionsOf(o: KubeObject | undefined): Pick<Condition, 'type' | 'status' | 'reason'>[] {
  return ((o?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason,
  }));
}

function messageOf(o: KubeObject | undefined, type: string): string | undefined {
  return ((o?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).find((c) => c.type === type)?.message;
}

interface Case {
  reason: string;
  mr: KubeObject;
  externalName: 'client' | 'server';
  lookup?: boolean;
  setup?: (w: World) => void;
  options?: Partial<ManagedReconcilerOptions>;
  want: {
    result: ReconcileResult;
    calls: string[];
    conditions?: Pick<Condition, 'type' | 'status' | 'reason'>[];
    message?: RegExp;
    externalName?: string | undefined;
    finalizer?: boolean;
    things?: number;
    /** Settled: no create is left incomplete afterwards. */
    settled?: boolean;
  };
}

const poll = { requeueAfterMs: 15_000 }; // not Ready yet: the faster poll, jitter centred by random()=0.5
const pollReady = { requeueAfterMs: 60_000 };

const cases: Record<string, Case> = {
  CreateServerNamed: {
    reason: 'a new resource is created and the server-assigned name is persisted',
    mr: thing(),
    externalName: 'server',
    want: {
      result: { requeue: true },
      calls: ['connect', 'observe', 'create', 'disconnect'],
      conditions: [
        { type: 'Ready', status: 'False', reason: 'Creating' },
        { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
      ],
      externalName: 'id-1',
      finalizer: true,
      things: 1,
    },
  },
  UpToDate: {
    reason: 'an existing, bound, up-to-date resource is only observed and polled',
    mr: thing({ annotations: { [Annotation.ExternalName]: 'id-7' }, finalizers: [managedFinalizer] }),
    externalName: 'server',
    setup: (w) => w.things.set('id-7', { value: 'v1' }),
    want: {
      result: pollReady,
      calls: ['connect', 'observe', 'disconnect'],
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Available' },
        { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
        { type: 'UpToDate', status: 'True', reason: 'ObserveMatched' },
      ],
      externalName: 'id-7',
      finalizer: true,
    },
  },
  Drift: {
    reason: 'a resource that drifted is updated',
    mr: thing({ annotations: { [Annotation.ExternalName]: 'id-7' }, finalizers: [managedFinalizer] }),
    externalName: 'server',
    setup: (w) => w.things.set('id-7', { value: 'changed out of band' }),
    want: {
      result: pollReady,
      calls: ['connect', 'observe', 'update', 'disconnect'],
      finalizer: true,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Available' },
        { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
        { type: 'UpToDate', status: 'False', reason: 'UpdateRequested' },
      ],
    },
  },
  DriftWithoutUpdatePolicy: {
    reason: 'drift is only reported when the policies do not allow Update',
    mr: thing({
      annotations: { [Annotation.ExternalName]: 'id-7' },
      finalizers: [managedFinalizer],
      spec: { managementPolicies: ['Observe', 'Create', 'Delete'] },
    }),
    externalName: 'server',
    setup: (w) => w.things.set('id-7', { value: 'changed out of band' }),
    want: {
      result: pollReady,
      calls: ['connect', 'observe', 'disconnect'],
      conditions: [
        { type: 'Ready', status: 'True', reason: 'Available' },
        { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
        { type: 'UpToDate', status: 'False', reason: 'UpdateRestricted' },
      ],
    },
  },
  CreateIncompleteServerNamed: {
    reason: 'an interrupted create of a server-named kind stops and asks a person',
    mr: thing({ annotations: { [Annotation.ExternalCreatePending]: '2026-11-21T09:59:00.000Z' }, finalizers: [managedFinalizer] }),
    externalName: 'server',
    want: {
      result: {},
      calls: [],
      conditions: [
        { type: 'Ready', status: 'False', reason: 'Creating' },
        { type: 'Synced', status: 'False', reason: 'ReconcileError' },
      ],
      message: /^cannot determine creation result - remove the crossplane.io\/external-create-pending annotation/,
    },
  },
  CreateIncompleteLookupFound: {
    reason: 'an interrupted create of a kind with lookup finds what it created and binds it',
    mr: thing({ annotations: { [Annotation.ExternalCreatePending]: '2026-11-21T09:59:00.000Z' }, finalizers: [managedFinalizer] }),
    externalName: 'server',
    lookup: true,
    setup: (w) => w.things.set('id-9', { value: 'v1' }),
    want: { result: pollReady, calls: ['connect', 'observe', 'disconnect'], externalName: 'id-9', things: 1, settled: true },
  },
  CreateIncompleteLookupWaits: {
    reason: 'an interrupted create of a kind with lookup waits out the call deadline before creating again',
    mr: thing({ annotations: { [Annotation.ExternalCreatePending]: '2026-11-21T09:59:59.990Z' }, finalizers: [managedFinalizer] }),
    externalName: 'server',
    lookup: true,
    want: { result: { requeueAfterMs: 1_040 }, calls: ['connect', 'observe', 'disconnect'], things: 0 },
  },
  CreateIncompleteClientNamed: {
    reason: 'an interrupted create of a client-named kind proceeds: the name finds it',
    mr: thing({
      annotations: { [Annotation.ExternalCreatePending]: '2026-11-21T09:59:00.000Z' },
      spec: { forProvider: { name: 'n', value: 'v1' } },
    }),
    externalName: 'client',
    setup: (w) => w.things.set('n', { value: 'v1' }),
    want: { result: pollReady, calls: ['connect', 'observe', 'disconnect'], externalName: 'n', finalizer: true, things: 1, settled: true },
  },
  RefuseAdoption: {
    reason: 'an existing external resource this resource did not create and was not told about is not taken over',
    mr: thing({ spec: { forProvider: { name: 'n', value: 'v1' } } }),
    externalName: 'client',
    setup: (w) => w.things.set('n', { value: 'v1' }),
    want: {
      result: poll,
      calls: ['connect', 'observe', 'disconnect'],
      message: /already exists and was not adopted/,
      externalName: undefined,
      finalizer: false,
      things: 1,
    },
  },
  AdoptByExternalName: {
    reason: 'an existing external resource named by the external-name annotation is adopted, not created',
    mr: thing({ annotations: { [Annotation.ExternalName]: 'n' }, spec: { forProvider: { name: 'n', value: 'v1' } } }),
    externalName: 'client',
    setup: (w) => w.things.set('n', { value: 'v1' }),
    want: { result: pollReady, calls: ['connect', 'observe', 'disconnect'], externalName: 'n', finalizer: true, things: 1 },
  },
  AdoptByPolicy: {
    reason: 'the Adopt policy takes over a resource found by its natural name',
    mr: thing({ annotations: { [Annotation.AdoptionPolicy]: 'Adopt' }, spec: { forProvider: { name: 'n', value: 'v1' } } }),
    externalName: 'client',
    setup: (w) => w.things.set('n', { value: 'v1' }),
    want: { result: pollReady, calls: ['connect', 'observe', 'disconnect'], externalName: 'n', finalizer: true },
  },
  ObserveOnlyMissing: {
    reason: 'an observe-only resource whose external resource is missing reports it and polls, without creating',
    mr: thing({ annotations: { [Annotation.ExternalName]: 'gone' }, spec: { managementPolicies: ['Observe'] } }),
    externalName: 'server',
    want: {
      result: poll,
      calls: ['connect', 'observe', 'disconnect'],
      message: /observe failed: external resource does not exist/,
      things: 0,
    },
  },
  ObserveOnlyImport: {
    reason: 'an observe-only resource imports the external resource and never updates it',
    mr: thing({ annotations: { [Annotation.ExternalName]: 'id-3' }, spec: { managementPolicies: ['Observe'], forProvider: {} } }),
    externalName: 'server',
    setup: (w) => w.things.set('id-3', { value: 'theirs' }),
    want: { result: pollReady, calls: ['connect', 'observe', 'disconnect'], finalizer: true },
  },
  Paused: {
    reason: 'a paused resource is not observed and not requeued',
    mr: thing({ annotations: { [Annotation.Paused]: 'true' } }),
    externalName: 'server',
    want: { result: {}, calls: [], conditions: [{ type: 'Synced', status: 'False', reason: 'ReconcilePaused' }] },
  },
  PausedByEmptyPolicies: {
    reason: 'an empty managementPolicies list pauses',
    mr: thing({ spec: { managementPolicies: [] } }),
    externalName: 'server',
    want: { result: {}, calls: [], conditions: [{ type: 'Synced', status: 'False', reason: 'ReconcilePaused' }] },
  },
  InvalidPolicy: {
    reason: 'an unsupported policy combination is an error without a requeue',
    mr: thing({ spec: { managementPolicies: ['Create', 'Delete'] } }),
    externalName: 'server',
    want: { result: {}, calls: [], message: /spec.managementPolicies is set to \["Create","Delete"\]/ },
  },
  ConnectError: {
    reason: 'a transient connect error backs off',
    mr: thing(),
    externalName: 'server',
    setup: (w) => {
      w.fail.connect = new TrellisError('X_UNAVAILABLE', 'connection refused');
    },
    want: { result: { requeue: true }, calls: ['connect'], message: /^connect failed: connection refused$/ },
  },
  PermanentObserveError: {
    reason: 'a permanent error (a 4xx) waits for the poll interval instead of backing off',
    mr: thing({ annotations: { [Annotation.ExternalName]: 'id-1' } }),
    externalName: 'server',
    setup: (w) => {
      w.fail.observe = permanentError('X_FORBIDDEN', 'GET /things/id-1: 403 Forbidden');
    },
    want: { result: poll, calls: ['connect', 'observe', 'disconnect'], message: /observe failed: GET \/things\/id-1: 403 Forbidden/ },
  },
  RetryAfter: {
    reason: 'an error carrying Retry-After is retried after exactly that delay',
    mr: thing(),
    externalName: 'server',
    setup: (w) => {
      w.fail.create = retryAfterError('X_TOO_MANY', 'POST /things: 429 Too Many Requests', 7_000);
    },
    want: { result: { requeueAfterMs: 7_000 }, calls: ['connect', 'observe', 'create', 'disconnect'], message: /^create failed: POST/ },
  },
  CreateError: {
    reason: 'a failed create records external-create-failed and backs off',
    mr: thing(),
    externalName: 'server',
    setup: (w) => {
      w.fail.create = new TrellisError('X_INTERNAL', '500 Internal Server Error');
    },
    want: {
      result: { requeue: true },
      calls: ['connect', 'observe', 'create', 'disconnect'],
      conditions: [
        { type: 'Ready', status: 'False', reason: 'Creating' },
        { type: 'Synced', status: 'False', reason: 'ReconcileError' },
      ],
    },
  },
  ObserveHangs: {
    reason: 'a provider call that ignores its deadline is abandoned at the deadline and backs off',
    mr: thing(),
    externalName: 'server',
    setup: (w) => {
      w.hang = 'observe';
    },
    want: {
      result: { requeue: true },
      calls: ['connect', 'observe', 'disconnect'],
      message: /observe failed: observe did not finish within 50 ms/,
    },
  },
  CreationGrace: {
    reason: 'a resource not found right after a successful create is waited for, not created again',
    mr: thing({
      annotations: {
        [Annotation.ExternalName]: 'id-5',
        [Annotation.ExternalCreatePending]: '2026-11-21T09:59:59.000Z',
        [Annotation.ExternalCreateSucceeded]: '2026-11-21T09:59:59.500Z',
      },
      finalizers: [managedFinalizer],
    }),
    externalName: 'server',
    want: { result: { requeue: true }, calls: ['connect', 'observe', 'disconnect'], things: 0 },
  },
  LateInit: {
    reason: 'late initialization writes the spec',
    mr: thing({ annotations: { [Annotation.ExternalName]: 'id-2' }, finalizers: [managedFinalizer], spec: { forProvider: {} } }),
    externalName: 'server',
    setup: (w) => {
      w.things.set('id-2', { value: 'server-default' });
      w.lateInit = true;
    },
    want: { result: pollReady, calls: ['connect', 'observe', 'disconnect'] },
  },
};

describe('managed reconciler, one pass', () => {
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, async () => {
      const w = newWorld();
      tc.setup?.(w);
      const kube = newFakeKube([tc.mr]);
      const r = newManagedReconciler(kube, thingKind(w, tc.externalName, tc.lookup), { ...opts, ...tc.options });
      const result = await r.reconcile('a');
      expect(result).toEqual(tc.want.result);
      expect(w.calls).toEqual(tc.want.calls);
      const got = kube.stored(ref);
      if (tc.want.conditions !== undefined) expect(conditionsOf(got)).toEqual(tc.want.conditions);
      if (tc.want.message !== undefined) expect(messageOf(got, 'Synced')).toMatch(tc.want.message);
      if ('externalName' in tc.want) expect(got === undefined ? undefined : getExternalName(got)).toBe(tc.want.externalName);
      if (tc.want.finalizer !== undefined) expect(got?.metadata.finalizers?.includes(managedFinalizer) ?? false).toBe(tc.want.finalizer);
      if (tc.want.things !== undefined) expect(w.things.size).toBe(tc.want.things);
      if (tc.want.settled !== undefined) expect(got !== undefined && externalCreateIncomplete(got)).toBe(!tc.want.settled);
    });
  });
});

describe('managed reconciler, scenarios', () => {
  it('converges, then writes nothing at all in steady state', async () => {
    const w = newWorld();
    const kube = newFakeKube([thing()]);
    const r = newManagedReconciler(kube, thingKind(w, 'server'), opts);
    expect(await r.reconcile('a')).toEqual({ requeue: true });
    expect(await r.reconcile('a')).toEqual(pollReady);
    kube.writes.length = 0;
    for (let i = 0; i < 5; i++) expect(await r.reconcile('a')).toEqual(pollReady);
    expect(kube.writes).toEqual([]);
    expect(w.things.size).toBe(1);
  });

  it('writes create-pending before Create and succeeded after, in that order', async () => {
    const w = newWorld();
    const kube = newFakeKube([thing()]);
    const r = newManagedReconciler(kube, thingKind(w, 'server'), opts);
    await r.reconcile('a');
    expect(kube.writes.map((x) => x.verb)).toEqual(['update', 'patch', 'updateStatus']);
    const got = kube.stored(ref);
    expect(got?.metadata.annotations?.[Annotation.ExternalCreatePending]).toBe('2026-11-21T10:00:00.000Z');
    expect(got?.metadata.annotations?.[Annotation.ExternalCreateSucceeded]).toBe('2026-11-21T10:00:00.000Z');
  });

  it('never creates from a stale read: the pending write conflicts and nothing is created', async () => {
    const w = newWorld();
    const kube = newFakeKube([thing()]);
    const stale = kube.stored(ref);
    await kube.patch(ref, { type: 'merge', patch: { metadata: { labels: { touched: 'yes' } } } });
    const r = newManagedReconciler(kube, thingKind(w, 'server'), { ...opts, reader: { get: async () => structuredClone(stale) } });
    expect(await r.reconcile('a')).toEqual({ requeue: true });
    expect(w.calls).not.toContain('create');
    expect(w.things.size).toBe(0);
  });

  it('a lost "succeeded" write leaves the create incomplete, and a person settles it by removing the annotation', async () => {
    const w = newWorld();
    const kube = newFakeKube([thing()]);
    const r = newManagedReconciler(kube, thingKind(w, 'server'), opts);
    for (let i = 0; i < 5; i++) kube.failNext('patch', kind, new TrellisError('KUBE_UNAVAILABLE', 'connection reset'));
    expect(await r.reconcile('a')).toEqual({ requeue: true });
    expect(w.things.size).toBe(1);
    // The next pass refuses to create again: the identifier of what was created is unknown.
    w.calls.length = 0;
    expect(await r.reconcile('a')).toEqual({});
    expect(w.calls).toEqual([]);
    expect(messageOf(kube.stored(ref), 'Synced')).toBe(errCreateIncomplete);
    // The person finds the leaked resource, records its name and removes the pending annotation.
    const cur = kube.stored(ref);
    if (cur === undefined) throw new Error('missing');
    await kube.patch(ref, {
      type: 'merge',
      patch: { metadata: { annotations: { [Annotation.ExternalCreatePending]: null, [Annotation.ExternalName]: 'id-1' } } },
    });
    expect(await r.reconcile('a')).toEqual(pollReady);
    expect(w.things.size).toBe(1);
  });

  it('deletes the external resource, verifies, then removes the finalizer', async () => {
    const w = newWorld();
    const kube = newFakeKube([thing()]);
    const r = newManagedReconciler(kube, thingKind(w, 'server'), opts);
    await r.reconcile('a');
    await r.reconcile('a');
    await kube.delete(ref);
    expect(await r.reconcile('a')).toEqual({ requeue: true });
    expect(w.things.size).toBe(0);
    expect(conditionsOf(kube.stored(ref))).toContainEqual({ type: 'Ready', status: 'False', reason: 'Deleting' });
    expect(await r.reconcile('a')).toEqual({});
    expect(kube.stored(ref)).toBeUndefined();
  });

  it('orphans with deletionPolicy Orphan: the external resource stays and nothing is observed', async () => {
    const w = newWorld();
    const kube = newFakeKube([thing({ spec: { deletionPolicy: 'Orphan' } })]);
    const r = newManagedReconciler(kube, thingKind(w, 'server'), opts);
    await r.reconcile('a');
    await r.reconcile('a');
    await kube.delete(ref);
    w.calls.length = 0;
    expect(await r.reconcile('a')).toEqual({});
    expect(w.calls).toEqual([]);
    expect(w.things.size).toBe(1);
    expect(kube.stored(ref)).toBeUndefined();
  });

  it('does not delete an external resource it refused to adopt', async () => {
    const w = newWorld();
    w.things.set('n', { value: 'theirs' });
    const kube = newFakeKube([thing({ spec: { forProvider: { name: 'n', value: 'v1' } }, finalizers: ['someone.else/keep'] })]);
    const r = newManagedReconciler(kube, thingKind(w, 'client'), opts);
    await r.reconcile('a');
    await kube.delete(ref);
    await r.reconcile('a');
    expect(w.calls).not.toContain('delete');
    expect(w.things.get('n')).toEqual({ value: 'theirs' });
  });

  it('persists a new identifier minted by an update', async () => {
    const w = newWorld();
    w.things.set('id-1', { value: 'old' });
    const kube = newFakeKube([thing({ annotations: { [Annotation.ExternalName]: 'id-1' }, finalizers: [managedFinalizer] })]);
    const k = thingKind(w, 'server');
    const inner = await k.connector.connect(thing(), { signal: new AbortController().signal });
    k.connector = {
      connect: async () => ({
        ...inner,
        update: async (mr) => {
          w.things.delete('id-1');
          w.things.set('id-2', { value: 'v1' });
          setExternalName(mr, 'id-2');
          return {};
        },
      }),
    };
    const r = newManagedReconciler(kube, k, opts);
    await r.reconcile('a');
    expect(getExternalName(kube.stored(ref) as KubeObject)).toBe('id-2');
  });

  it('records a reconcile request token once', async () => {
    const w = newWorld();
    w.things.set('id-1', { value: 'v1' });
    const kube = newFakeKube([
      thing({
        annotations: { [Annotation.ExternalName]: 'id-1', [Annotation.ReconcileRequestedAt]: 'now-1' },
        finalizers: [managedFinalizer],
      }),
    ]);
    const r = newManagedReconciler(kube, thingKind(w, 'server'), opts);
    await r.reconcile('a');
    expect((kube.stored(ref)?.status as { lastHandledReconcileAt?: string } | undefined)?.lastHandledReconcileAt).toBe('now-1');
    kube.writes.length = 0;
    await r.reconcile('a');
    expect(kube.writes).toEqual([]);
  });

  it('uses the not-ready poll interval until Ready, and the annotation override after', async () => {
    const w = newWorld();
    w.things.set('id-1', { value: 'v1' });
    const kube = newFakeKube([
      thing({ annotations: { [Annotation.ExternalName]: 'id-1', [Annotation.PollInterval]: '5m' }, finalizers: [managedFinalizer] }),
    ]);
    const r = newManagedReconciler(kube, thingKind(w, 'server'), { ...opts, random: () => 1 });
    expect(await r.reconcile('a')).toEqual({ requeueAfterMs: 330_000 });
  });
});
