// Informers against the real API server, through a TCP proxy that resets and stalls connections.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InformerFactory, KubeClient, ListWatchInformer } from '@trellis/kube';
import { KubeErrorCode, newInformerFactory, newKubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realTarget, useKube, waitFor } from '../harness/targets.ts';
import type { TcpProxy } from '../harness/tcp-proxy.ts';
import { startTcpProxy } from '../harness/tcp-proxy.ts';

const target = realTarget();
const cmType = { apiVersion: 'v1', kind: 'ConfigMap' };
const cm = (namespace: string, name: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

/** Log records handler calls as `add a@rv`, `update a rv1->rv2`, `delete a`. */
function recorder() {
  const log: string[] = [];
  return {
    log,
    handler: {
      onAdd: (o: KubeObject) => log.push(`add ${o.metadata.name}`),
      onUpdate: (a: KubeObject, b: KubeObject) =>
        log.push(a === b ? `resync ${b.metadata.name}` : `update ${b.metadata.name} ${JSON.stringify(b.data ?? {})}`),
      onDelete: (o: KubeObject) => log.push(`delete ${o.metadata.name}`),
    },
  };
}

describe('informers', () => {
  const kube = useKube(target, 'informer');
  let proxy: TcpProxy;
  let viaProxy: KubeClient & { close(): void };
  let factory: InformerFactory;

  beforeAll(async () => {
    const url = new URL(readFileSync(target.kubeconfigPath, 'utf8').match(/server: (\S+)/)?.[1] ?? '');
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
    const kc = proxy.kubeconfig(target.kubeconfigPath, join(mkdtempSync(join(tmpdir(), 'trellis-proxy-')), 'kubeconfig'));
    viaProxy = await newKubeClient({ kubeconfigPath: kc, requestTimeoutMs: 5_000 });
    factory = newInformerFactory(viaProxy, { watchStallTimeoutMs: 1_000, backoffBaseMs: 50, backoffMaxMs: 500 });
  });
  afterAll(async () => {
    factory?.stopAll();
    viaProxy?.close();
    await proxy?.close();
  });

  it('lists existing objects, then delivers adds, updates and deletes in order', async () => {
    const ns = kube.namespace;
    await kube.client.create(cm(ns, 'pre', { v: '0' }));
    const inf = factory.informerFor(cmType, { namespace: ns });
    const rec = recorder();
    inf.addHandler(rec.handler);
    await inf.start();
    expect(inf.hasSynced()).toBe(true);
    expect(rec.log).toEqual(['add pre']);
    expect(inf.get(`${ns}/pre`)?.data).toEqual({ v: '0' });

    await kube.client.create(cm(ns, 'a', { v: '1' }));
    await kube.client.patch({ ...cmType, namespace: ns, name: 'a' }, { type: 'merge', patch: { data: { v: '2' } } });
    await kube.client.delete({ ...cmType, namespace: ns, name: 'pre' });
    await waitFor('3 more transitions', () => rec.log.length >= 4);
    expect(rec.log).toEqual(['add pre', 'add a', 'update a {"v":"2"}', 'delete pre']);
    expect(inf.list(ns).map((o) => o.metadata.name)).toEqual(['a']);
    // The LIST's own resourceVersion is the store's latest, which other suites' writes on the shared
    // server move past this namespace's last event (only a bookmark would carry the informer there),
    // so the informer is compared with what the LIST holds: the same objects at the same versions,
    // and a sync resourceVersion at least the newest of them.
    const fresh = await kube.client.list(cmType, { namespace: ns });
    const versions = (objs: readonly KubeObject[]): string[] => objs.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();
    expect(versions(inf.list(ns))).toEqual(versions(fresh.items));
    const newest = fresh.items.reduce(
      (m, o) => (BigInt(o.metadata.resourceVersion ?? '0') > m ? BigInt(o.metadata.resourceVersion ?? '0') : m),
      0n,
    );
    await waitFor('the informer to reach the newest listed resourceVersion', () => BigInt(inf.lastSyncResourceVersion()) >= newest);
  });

  it('shares one informer per kind and options, and replays the cache to late handlers', async () => {
    const ns = kube.namespace;
    const a = factory.informerFor(cmType, { namespace: ns });
    const b = factory.informerFor(cmType, { namespace: ns });
    const c = factory.informerFor(cmType, { namespace: ns, labelSelector: 'x=y' });
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    await a.start();
    const rec = recorder();
    const unsubscribe = a.addHandler(rec.handler);
    expect(rec.log).toEqual(['add a']);
    unsubscribe();
  });

  it('resumes after a TCP reset from the last resourceVersion: no relist, nothing missed or repeated', async () => {
    const ns = kube.namespace;
    const inf = factory.informerFor(cmType, { namespace: ns }) as unknown as ListWatchInformer;
    await inf.start();
    const rec = recorder();
    inf.addHandler(rec.handler);
    rec.log.length = 0;
    const listsBefore = inf.stats.lists;
    const watchesBefore = inf.stats.watches;
    proxy.cut();
    await kube.client.create(cm(ns, 'after-reset', { v: '1' }));
    await waitFor('the add after the reset', () => rec.log.includes('add after-reset'));
    proxy.cut();
    await kube.client.patch({ ...cmType, namespace: ns, name: 'after-reset' }, { type: 'merge', patch: { data: { v: '2' } } });
    await waitFor('the update after the second reset', () => rec.log.length >= 2);
    expect(rec.log).toEqual(['add after-reset', 'update after-reset {"v":"2"}']);
    expect(inf.stats.lists).toBe(listsBefore);
    expect(inf.stats.watches).toBeGreaterThan(watchesBefore);
  });

  it('detects a stalled watch (no event, no bookmark) and restarts it, catching up after the stall', async () => {
    const ns = kube.namespace;
    const inf = factory.informerFor(cmType, { namespace: ns }) as unknown as ListWatchInformer;
    await inf.start();
    const rec = recorder();
    inf.addHandler(rec.handler);
    rec.log.length = 0;
    const stallsBefore = inf.stats.watchRestartsAfterStall;
    proxy.freeze();
    await kube.client.create(cm(ns, 'during-stall'));
    await waitFor('the stall detector to fire', () => inf.stats.watchRestartsAfterStall > stallsBefore, { timeoutMs: 10_000 });
    expect(rec.log).toEqual([]);
    proxy.thaw();
    await waitFor('the add made during the stall', () => rec.log.includes('add during-stall'), { timeoutMs: 20_000 });
    expect(rec.log).toEqual(['add during-stall']);
  });

  it('caches metadata only when asked', async () => {
    const ns = kube.namespace;
    const inf = factory.informerFor(cmType, { namespace: ns, metadataOnly: true });
    await inf.start();
    const a = inf.get(`${ns}/a`);
    expect(a?.kind).toBe('ConfigMap');
    expect(a?.metadata.name).toBe('a');
    expect(a?.data).toBeUndefined();
  });

  it('drops managedFields before caching when asked', async () => {
    const ns = kube.namespace;
    const full = factory.informerFor(cmType, { namespace: ns });
    const lean = factory.informerFor(cmType, { namespace: ns, dropManagedFields: true });
    await Promise.all([full.start(), lean.start()]);
    expect(full.get(`${ns}/a`)?.metadata.managedFields).toEqual(expect.any(Array));
    expect(lean.get(`${ns}/a`)?.metadata.managedFields).toBeUndefined();
    expect(lean.get(`${ns}/a`)?.metadata.resourceVersion).toBe(full.get(`${ns}/a`)?.metadata.resourceVersion);
  });

  it('re-delivers cached objects as updates at the resync period', async () => {
    const ns = kube.namespace;
    const inf = factory.informerFor(cmType, { namespace: ns, resyncPeriodMs: 100 });
    const rec = recorder();
    inf.addHandler(rec.handler);
    await inf.start();
    await waitFor('two resyncs', () => rec.log.filter((l) => l === 'resync a').length >= 2);
    inf.stop();
  });

  it('rejects start() for a kind the server does not serve', async () => {
    const inf = factory.informerFor({ apiVersion: 'nope.trellis.test/v1', kind: 'Ghost' });
    await expect(inf.start()).rejects.toMatchObject({ code: KubeErrorCode.NoKindMatch });
  });
});
