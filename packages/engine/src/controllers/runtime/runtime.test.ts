import { type EventHandler, type Informer, type InformerFactory, newWorkQueue, QueuePriority } from '@trellis/kube';
import { type KubeObject, TrellisError } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { newEngineMetrics } from '../../metrics/engine-metrics.ts';
import { newCircuitBreaker } from './circuit.ts';
import { ComposedWatches } from './composed-watches.ts';
import { newEchoes } from './echoes.ts';
import { newWriteMemory } from './fresh.ts';
import { ControllerManager } from './manager.ts';
import { prioritised } from './priority.ts';

describe('circuit breaker', () => {
  it('opens after the burst, lets one event per second through, and closes after the open period', () => {
    let t = 0;
    const cb = newCircuitBreaker({ burst: 3, refillPerSecond: 1, openMs: 10_000, now: () => t });
    expect([1, 2, 3].map(() => cb.allow('xr', 'ConfigMap a'))).toEqual([true, true, true]);
    expect(cb.allow('xr', 'ConfigMap b')).toBe(false);
    expect(cb.state('xr')).toEqual({ open: true, triggeredBy: 'ConfigMap b' });
    t = 1000;
    expect(cb.allow('xr', 'ConfigMap b')).toBe(true);
    expect(cb.allow('xr', 'ConfigMap b')).toBe(false);
    expect(cb.state('other').open).toBe(false);
    t = 20_000;
    expect(cb.state('xr').open).toBe(false);
    expect(cb.allow('xr', 'ConfigMap b')).toBe(true);
  });
});

describe('circuit breaker memory', () => {
  it.each([
    {
      reason: 'buckets of objects that went quiet (deleted XRs whose composed resources went after them) are dropped once refilled',
      keys: 100,
      laterMs: 200_000,
      tracked: 1,
    },
    {
      reason: 'buckets still refilling are kept (their tokens matter)',
      keys: 100,
      laterMs: 1_000,
      tracked: 101,
    },
  ])('$reason', ({ keys, laterMs, tracked }) => {
    let t = 0;
    const cb = newCircuitBreaker({ burst: 100, refillPerSecond: 1, now: () => t });
    for (let i = 0; i < keys; i++) cb.allow(`ns/x${i}`, 'ConfigMap ns/cm');
    t = laterMs;
    cb.allow('ns/other', 'ConfigMap ns/cm');
    expect(cb.tracked()).toBe(tracked);
  });

  it('keeps an open circuit until it closes', () => {
    let t = 0;
    const cb = newCircuitBreaker({ burst: 2, refillPerSecond: 1, openMs: 60_000, now: () => t });
    for (let i = 0; i < 3; i++) cb.allow('ns/hot', 'ConfigMap ns/cm');
    t = 10_000;
    cb.allow('ns/other', 'ConfigMap ns/cm');
    expect(cb.state('ns/hot').open).toBe(true);
    t = 70_000;
    cb.allow('ns/other', 'ConfigMap ns/cm');
    expect(cb.tracked()).toBe(1);
  });
});

describe('write memory', () => {
  const obj = (rv: string, uid = 'u'): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'a', uid, resourceVersion: rv },
  });
  const cases = {
    CacheBehind: { reason: 'an older cached object loses to what was written', cached: obj('5'), mine: obj('7'), want: '7' },
    CacheCaughtUp: { reason: 'a cache that caught up wins (and the memory is dropped)', cached: obj('9'), mine: obj('7'), want: '9' },
    Recreated: { reason: 'a re-created object (new UID) is never shadowed', cached: obj('3', 'v'), mine: obj('7'), want: '3' },
    Absent: { reason: 'nothing cached yet: what was written', cached: undefined, mine: obj('7'), want: '7' },
  };
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      const m = newWriteMemory();
      m.remember('k', tc.mine);
      expect(m.fresher('k', tc.cached)?.metadata.resourceVersion).toBe(tc.want);
    });
  });
});

/** A FakeInformer lets a test deliver events. */
function fakeInformers(): InformerFactory & { deliver(obj: KubeObject): void; selectors: string[] } {
  const handlers: EventHandler[] = [];
  const selectors: string[] = [];
  const inf: Informer = {
    addHandler: (h) => {
      handlers.push(h);
      return () => {};
    },
    start: async () => {},
    stop: () => {},
    hasSynced: () => true,
    get: () => undefined,
    list: () => [],
    lastSyncResourceVersion: () => '1',
  };
  return {
    selectors,
    informerFor: (_t, o) => {
      selectors.push(o?.labelSelector ?? '');
      return inf as never;
    },
    stopAll: () => {},
    deliver: (obj) => {
      for (const h of handlers) h.onUpdate?.(obj, obj);
    },
  };
}

describe('ComposedWatches', () => {
  it('routes a composed resource to the XR that controls it, and only labelled objects are watched', async () => {
    const informers = fakeInformers();
    const w = new ComposedWatches(informers);
    const got: string[] = [];
    w.route({ apiVersion: 'example.org/v1', kind: 'XApp' }, { namespaced: true, enqueue: (k, source) => got.push(`${k} <- ${source}`) });
    w.route({ apiVersion: 'example.org/v1', kind: 'XLegacy' }, { namespaced: false, enqueue: (k) => got.push(k) });
    await w.ensure({ apiVersion: 'v1', kind: 'ConfigMap' });
    expect(informers.selectors).toEqual(['crossplane.io/composite']);
    const cm = (kind: string, controller = true): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cm',
        namespace: 'ns',
        ownerReferences: [{ apiVersion: 'example.org/v2', kind, name: 'owner', uid: 'u', controller }],
      },
    });
    informers.deliver(cm('XApp'));
    informers.deliver(cm('XLegacy'));
    informers.deliver(cm('XApp', false));
    informers.deliver(cm('Other'));
    expect(got).toEqual(['ns/owner <- ConfigMap ns/cm', 'owner']);
  });
});

describe('ControllerManager', () => {
  it('reconciles, requeues after a delay, backs off on errors, and counts each', async () => {
    const metrics = newEngineMetrics();
    const m = new ControllerManager({ newQueue: () => newWorkQueue({ baseDelayMs: 1, maxDelayMs: 5 }), metrics });
    const count = new Map<string, number>();
    const c = m.start({
      name: 'test/things',
      reconcile: async (key) => {
        const n = (count.get(key) ?? 0) + 1;
        count.set(key, n);
        if (key === 'bad' && n <= 2) throw new TrellisError('ENGINE_TEST', 'boom');
        if (key === 'conflict' && n <= 2) throw new TrellisError('KUBE_CONFLICT', 'stale');
        if (key === 'later' && n === 1) return { requeueAfterMs: 1 };
        return {};
      },
    });
    for (const k of ['a', 'bad', 'conflict', 'later']) c.enqueue(k);
    const deadline = Date.now() + 5_000;
    while (!(count.get('bad') === 3 && count.get('conflict') === 3 && count.get('later') === 2) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await m.stopAll();
    expect(Object.fromEntries(count)).toEqual({ a: 1, bad: 3, conflict: 3, later: 2 });
    expect(metrics.reconciles.get({ controller: 'test/things', result: 'error' })).toBe(2);
    expect(metrics.reconciles.get({ controller: 'test/things', result: 'requeue' })).toBe(3);
    expect(metrics.reconciles.get({ controller: 'test/things', result: 'success' })).toBe(4);
    expect(m.names()).toEqual([]);
  });

  it('unregisters the queue-depth collector of a controller that stops (it holds the controller and its reconciler)', async () => {
    const metrics = newEngineMetrics();
    let live = 0;
    const collect = metrics.queueDepth.collect.bind(metrics.queueDepth);
    metrics.queueDepth.collect = (fn) => {
      live++;
      const off = collect(fn);
      return () => {
        live--;
        off();
      };
    };
    const m = new ControllerManager({ newQueue: () => newWorkQueue(), metrics });
    for (let i = 0; i < 20; i++) {
      m.start({ name: `claim/widgets.p${i}.example.org`, reconcile: async () => ({}) });
      await m.stop(`claim/widgets.p${i}.example.org`);
    }
    m.start({ name: 'composition', reconcile: async () => ({}) });
    expect(live).toBe(1);
    await m.stopAll();
    expect(live).toBe(0);
  });

  it.each([
    { reason: 'the controller stopping aborts a reconcile in flight', stop: true, timeoutMs: 60_000 },
    { reason: 'the reconcile deadline aborts a reconcile that runs too long', stop: false, timeoutMs: 20 },
  ])('$reason', async ({ stop, timeoutMs }) => {
    const m = new ControllerManager({ newQueue: () => newWorkQueue(), reconcileTimeoutMs: timeoutMs });
    let aborted: (() => void) | undefined;
    const seen = new Promise<void>((r) => {
      aborted = r;
    });
    let started: (() => void) | undefined;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const c = m.start({
      name: 'slow',
      reconcile: (_key, signal) =>
        new Promise((resolve) => {
          started?.();
          signal.addEventListener('abort', () => {
            aborted?.();
            resolve({});
          });
        }),
    });
    c.enqueue('k');
    await running;
    if (stop) await m.stopAll();
    await seen;
    await m.stopAll();
  });

  it('refuses to start a controller twice', () => {
    const m = new ControllerManager({ newQueue: () => newWorkQueue() });
    m.start({ name: 'x', reconcile: async () => ({}) });
    expect(() => m.start({ name: 'x', reconcile: async () => ({}) })).toThrow(/already running/);
    void m.stopAll();
  });
});

describe('event priorities', () => {
  const obj = (rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: rv } });
  const cases = [
    { reason: 'an add from the initial list is Low', synced: false, event: 'add', want: QueuePriority.Low },
    { reason: 'an add after the first sync is Normal', synced: true, event: 'add', want: QueuePriority.Normal },
    { reason: 'an update that changed the object is Normal', synced: true, event: 'update', want: QueuePriority.Normal },
    { reason: 'a resync (same resourceVersion) is Low', synced: true, event: 'resync', want: QueuePriority.Low },
    { reason: 'a delete is Normal', synced: true, event: 'delete', want: QueuePriority.Normal },
  ] as const;
  it.each(cases)('$reason', ({ synced, event, want }) => {
    const got: number[] = [];
    const h = prioritised({ hasSynced: () => synced }, (_o, p) => got.push(p));
    if (event === 'add') h.onAdd(obj('1'));
    else if (event === 'update') h.onUpdate(obj('1'), obj('2'));
    else if (event === 'resync') h.onUpdate(obj('2'), obj('2'));
    else h.onDelete(obj('2'));
    expect(got).toEqual([want]);
  });

  it.each([
    { reason: "the echo of the controller's own write starts no reconcile", event: 'update', rv: '2', want: [] },
    { reason: "an add that is the echo of the controller's own create starts none either", event: 'add', rv: '2', want: [] },
    { reason: "another version is someone else's change", event: 'update', rv: '3', want: [QueuePriority.Normal] },
    { reason: 'a resync is never taken for an echo', event: 'resync', rv: '2', want: [QueuePriority.Low] },
    { reason: 'a delete always reconciles (and forgets the writes)', event: 'delete', rv: '2', want: [QueuePriority.Normal] },
  ] as const)('with echoes: $reason', ({ event, rv, want }) => {
    const got: number[] = [];
    const echoes = newEchoes();
    echoes.wrote(obj('2'));
    const h = prioritised({ hasSynced: () => true }, (_o, p) => got.push(p), echoes);
    if (event === 'add') h.onAdd(obj(rv));
    else if (event === 'update') h.onUpdate(obj('1'), obj(rv));
    else if (event === 'resync') h.onUpdate(obj(rv), obj(rv));
    else h.onDelete(obj(rv));
    expect(got).toEqual(want);
    if (event === 'delete') expect(echoes.size()).toBe(0);
  });

  it('a controller serves keys by priority', async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const m = new ControllerManager({ newQueue: () => newWorkQueue() });
    const c = m.start({
      name: 'test',
      reconcile: async (key) => {
        if (key === 'first') await gate;
        order.push(key);
        return {};
      },
    });
    c.enqueue('first');
    await new Promise<void>((r) => setImmediate(r));
    c.enqueue('initial', QueuePriority.Low);
    c.enqueue('event');
    c.enqueue('ready', QueuePriority.High);
    release();
    const deadline = Date.now() + 5000;
    while (order.length < 4 && Date.now() < deadline) await new Promise<void>((r) => setTimeout(r, 5));
    await m.stopAll();
    expect(order).toEqual(['first', 'ready', 'event', 'initial']);
  });
});
