// Informer soak (acceptance of issue 2): 10,000 objects (5,000 ConfigMaps and 5,000 custom
// resources) are created, updated and deleted in bursts while the informers' watches are broken
// on purpose: TCP resets and a stall (a proxy in front of the API server), an API server kill and
// restart, and a forced 410 by etcd compaction. At the end each cache must equal a fresh LIST
// (names and resourceVersions), and every handler must have seen a consistent chain of
// transitions per object: no duplicates, no gaps (each update starts from the state delivered
// before it), only states that really existed, in order, ending in the final state.
//
// The control plane is private. ConfigMaps are served without the watch cache
// (--watch-cache-sizes=configmaps#0) so a watch from a compacted revision reaches etcd and gets
// 410; the custom resources keep the watch cache (bookmarks; 410 after the restart rebuilds it).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient, ListWatchInformer, TypeRef } from '@trellis/kube';
import { isUnavailable, newInformerFactory, newKubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealControlPlane } from '../harness/control-plane.ts';
import { missingRealBinaries, startRealControlPlane } from '../harness/control-plane.ts';
import { installTestCrd, waitFor } from '../harness/targets.ts';
import type { TcpProxy } from '../harness/tcp-proxy.ts';
import { startTcpProxy } from '../harness/tcp-proxy.ts';

const TOTAL = 10_000;
const PER_KIND = TOTAL / 2;
const CONCURRENCY = 24;

/** Truth records every state a write produced, per object key, in order. */
class Truth {
  readonly states = new Map<string, string[]>();
  record(key: string, rv: string | undefined): void {
    if (rv === undefined) throw new Error(`write of ${key} returned no resourceVersion`);
    const s = this.states.get(key);
    if (s === undefined) this.states.set(key, [rv]);
    else s.push(rv);
  }
}

/** Seen checks the handler's view of each object as it is delivered, and keeps it for the end. */
class Seen {
  readonly errors: string[] = [];
  readonly current = new Map<string, string>();
  readonly history = new Map<string, string[]>();
  transitions = 0;

  private push(key: string, entry: string): void {
    this.transitions++;
    const h = this.history.get(key);
    if (h === undefined) this.history.set(key, [entry]);
    else h.push(entry);
  }

  private checkNew(key: string, rv: string): void {
    const h = this.history.get(key) ?? [];
    const seenRvs = h.filter((e) => !e.startsWith('delete')).map((e) => e.split('@')[1]);
    if (seenRvs.includes(rv)) this.errors.push(`${key}: state ${rv} delivered twice (${h.join(', ')})`);
    const last = seenRvs.at(-1);
    if (last !== undefined && BigInt(rv) <= BigInt(last)) this.errors.push(`${key}: state ${rv} after ${last}`);
  }

  readonly handler = {
    onAdd: (o: KubeObject): void => {
      const key = o.metadata.name ?? '';
      const rv = o.metadata.resourceVersion ?? '';
      if (this.current.has(key)) this.errors.push(`${key}: add while present at ${this.current.get(key)}`);
      this.checkNew(key, rv);
      this.current.set(key, rv);
      this.push(key, `add@${rv}`);
    },
    onUpdate: (oldObj: KubeObject, o: KubeObject): void => {
      const key = o.metadata.name ?? '';
      const rv = o.metadata.resourceVersion ?? '';
      const cur = this.current.get(key);
      if (cur === undefined) this.errors.push(`${key}: update of an object never added`);
      else if (cur !== oldObj.metadata.resourceVersion)
        this.errors.push(`${key}: update from ${oldObj.metadata.resourceVersion}, but ${cur} was delivered last`);
      this.checkNew(key, rv);
      this.current.set(key, rv);
      this.push(key, `update@${rv}`);
    },
    onDelete: (o: KubeObject): void => {
      const key = o.metadata.name ?? '';
      if (!this.current.has(key)) this.errors.push(`${key}: delete of an object not present`);
      this.current.delete(key);
      this.push(key, 'delete');
    },
  };
}

/** Pool runs `fn` over items with bounded concurrency, calling `at(n)` after n completions. */
async function pool<T>(items: T[], fn: (item: T) => Promise<void>, at: Record<number, () => Promise<void> | void> = {}): Promise<void> {
  let next = 0;
  let done = 0;
  const hooks: Promise<void>[] = [];
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
      done++;
      const hook = at[done];
      if (hook !== undefined) hooks.push(Promise.resolve(hook()));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await Promise.all(hooks);
}

/** Retry retries a write while the API server is unreachable (it never is while writes run, but be safe). */
async function retry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!isUnavailable(err) || i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const missing = missingRealBinaries();

describe('informer soak: 10,000 objects while the watch breaks', () => {
  if (missing.length > 0) {
    it('needs the real control plane', () => {
      throw new Error(`missing ${missing.join(', ')}: build them with bash test/infra/kubernetes/build.sh`);
    });
    return;
  }

  let cp: RealControlPlane;
  let writer: KubeClient & { close(): void };
  let reader: KubeClient & { close(): void };
  let proxy: TcpProxy;
  let crType: TypeRef;
  const ns = 'soak';
  const cmType: TypeRef = { apiVersion: 'v1', kind: 'ConfigMap' };

  beforeAll(async () => {
    cp = await startRealControlPlane({
      extraApiServerArgs: ['--watch-cache-sizes=configmaps#0', '--etcd-compaction-interval=0'],
      withControllerManager: false,
    });
    writer = await newKubeClient({ kubeconfigPath: cp.kubeconfigPath, userAgent: 'soak-writer' });
    await writer.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const crd = await installTestCrd(writer, { group: 'soak.trellis.test', kind: 'Token' });
    crType = { apiVersion: crd.apiVersion, kind: 'Token' };
    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(cp.env.API_PORT) });
    const kc = proxy.kubeconfig(cp.kubeconfigPath, join(mkdtempSync(join(tmpdir(), 'trellis-soak-')), 'kubeconfig'));
    reader = await newKubeClient({ kubeconfigPath: kc, userAgent: 'soak-informer', requestTimeoutMs: 5_000 });
  });

  afterAll(async () => {
    writer?.close();
    reader?.close();
    await proxy?.close();
    await cp?.stop();
  });

  it('ends with caches equal to a fresh LIST and consistent transitions for every object', async () => {
    const factory = newInformerFactory(reader, { watchStallTimeoutMs: 2_000, backoffBaseMs: 100, backoffMaxMs: 1_000 });
    const kinds = [
      { type: cmType, truth: new Truth(), seen: new Seen(), prefix: 'cm' },
      { type: crType, truth: new Truth(), seen: new Seen(), prefix: 'cr' },
    ];
    const informers = kinds.map((k) => {
      const inf = factory.informerFor(k.type, { namespace: ns }) as unknown as ListWatchInformer;
      inf.addHandler(k.seen.handler);
      return inf;
    });
    await Promise.all(informers.map((i) => i.start()));
    const t0 = Date.now();
    const phases: string[] = [];
    const phase = (name: string): void => {
      phases.push(`${name} at ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    };

    // Every write goes to both kinds: object i of each.
    const name = (prefix: string, i: number) => `${prefix}-${String(i).padStart(5, '0')}`;
    const body = (k: (typeof kinds)[number], i: number, gen: number): KubeObject =>
      k.type.kind === 'ConfigMap'
        ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: name(k.prefix, i), namespace: ns }, data: { gen: String(gen) } }
        : { apiVersion: k.type.apiVersion, kind: 'Token', metadata: { name: name(k.prefix, i), namespace: ns }, spec: { gen } };
    const create = async (i: number): Promise<void> => {
      for (const k of kinds) k.truth.record(name(k.prefix, i), (await retry(() => writer.create(body(k, i, 0)))).metadata.resourceVersion);
    };
    const update =
      (gen: number) =>
      async (i: number): Promise<void> => {
        for (const k of kinds) {
          const patch = k.type.kind === 'ConfigMap' ? { data: { gen: String(gen) } } : { spec: { gen } };
          const out = await retry(() => writer.patch({ ...k.type, namespace: ns, name: name(k.prefix, i) }, { type: 'merge', patch }));
          k.truth.record(name(k.prefix, i), out.metadata.resourceVersion);
        }
      };
    const remove = async (i: number): Promise<void> => {
      for (const k of kinds) await retry(() => writer.delete({ ...k.type, namespace: ns, name: name(k.prefix, i) }));
    };
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, j) => from + j);
    const third = Math.floor(PER_KIND / 3);
    const stalls = () => informers.map((i) => i.stats.watchRestartsAfterStall);

    // 1. Create burst A with TCP resets in the middle.
    phase('create A');
    await pool(range(0, third), create, { [Math.floor(third / 3)]: () => proxy.cut(), [Math.floor((2 * third) / 3)]: () => proxy.cut() });

    // 2. Update burst A; the connection stalls in the middle until both informers notice.
    phase('update A + stall');
    await pool(range(0, third), update(1), {
      [Math.floor(third / 3)]: async () => {
        const before = stalls();
        proxy.freeze();
        await waitFor('both informers to detect the stall', () => stalls().every((s, j) => s > (before[j] ?? 0)), { timeoutMs: 20_000 });
        proxy.thaw();
      },
    });

    // 3. Kill the API server (SIGKILL: connections reset) and start it again, with a write to etcd
    //    in between so the rebuilt watch cache starts after the informers' resourceVersion (the
    //    cached kind must then get 410 and relist); the informers reconnect only after burst B.
    phase('API server kill + restart');
    proxy.freeze();
    await cp.killApiServer();
    phases.push(`etcd revision bumped to ${await cp.bumpEtcdRevision()} while the API server is down`);
    await cp.startApiServer();
    phase('create B');
    await pool(range(third, 2 * third), create, { [Math.floor(third / 2)]: () => proxy.thaw() });
    proxy.thaw();

    // 4. With the informers cut off, create burst C, update B, delete half of A, and compact etcd:
    //    resuming from the old resourceVersion must end in 410 and a relist.
    phase('frozen writes + compaction');
    proxy.freeze();
    proxy.cut();
    await pool(range(2 * third, PER_KIND), create);
    await pool(range(third, 2 * third), update(2));
    await pool(
      range(0, third).filter((i) => i % 2 === 0),
      remove,
    );
    const rev = await cp.compactEtcd();
    phases.push(`compacted etcd at revision ${rev}`);
    proxy.thaw();

    // 5. Delete and update bursts with resets, until half of all objects are gone.
    phase('delete + update bursts');
    await pool(
      range(2 * third, PER_KIND).filter((i) => i % 2 === 0),
      remove,
      { 500: () => proxy.cut() },
    );
    await pool(
      range(third, 2 * third).filter((i) => i % 2 === 1),
      remove,
      { 300: () => proxy.cut() },
    );
    await pool(
      range(2 * third, PER_KIND).filter((i) => i % 2 === 1),
      update(3),
      { 400: () => proxy.cut() },
    );
    phase('writes done');

    // The caches converge to a fresh LIST: same names, same resourceVersions.
    for (const [j, k] of kinds.entries()) {
      const inf = informers[j] as ListWatchInformer;
      const fresh = await writer.listAll(k.type, { namespace: ns, limit: 1000 });
      const want = new Map(fresh.items.map((o) => [o.metadata.name ?? '', o.metadata.resourceVersion ?? '']));
      const cached = () => new Map(inf.list(ns).map((o) => [o.metadata.name ?? '', o.metadata.resourceVersion ?? '']));
      await waitFor(`the ${k.type.kind} cache to equal a fresh LIST`, () => sameMap(cached(), want), { timeoutMs: 60_000 });
      expect(want.size).toBeGreaterThan(PER_KIND / 3);

      // The handler's view equals the LIST too, and every object's chain is consistent.
      expect(sameMap(k.seen.current, want)).toBe(true);
      expect(k.seen.errors).toEqual([]);
      const notReal: string[] = [];
      for (const [key, entries] of k.seen.history) {
        const real = new Set(k.truth.states.get(key) ?? []);
        for (const e of entries) {
          const rv = e.split('@')[1];
          if (rv !== undefined && !real.has(rv)) notReal.push(`${key}: ${e} was never written`);
        }
      }
      expect(notReal).toEqual([]);
      // Every object that exists was added; every deleted one that was seen was deleted.
      const wrongFinal = [...k.truth.states.keys()].filter((key) => k.seen.current.get(key) !== want.get(key));
      expect(wrongFinal).toEqual([]);
    }
    phase('verified');

    const report = kinds.map((k, j) => {
      const inf = informers[j] as ListWatchInformer;
      const written = [...k.truth.states.values()].reduce((n, s) => n + s.length, 0);
      return { kind: k.type.kind, written, transitions: k.seen.transitions, ...inf.stats };
    });
    console.log(`informer soak: ${JSON.stringify({ phases, report }, null, 1)}`);

    // The disruptions really happened.
    const [cmStats, crStats] = informers.map((i) => i.stats);
    expect(cmStats?.relistsAfterGone).toBeGreaterThanOrEqual(1); // 410 after compaction
    expect(crStats?.relistsAfterGone).toBeGreaterThanOrEqual(1); // 410 after the restart rebuilt the watch cache
    for (const s of [cmStats, crStats]) {
      expect(s?.watchRestartsAfterStall).toBeGreaterThanOrEqual(1);
      expect(s?.watchRestartsAfterError).toBeGreaterThanOrEqual(1);
    }
    factory.stopAll();
  }, 600_000);
});

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
