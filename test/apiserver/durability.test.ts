// Durability of the embedded API server's storage, with real processes and kill -9:
//  - every write acknowledged to a client survives a kill -9 in the middle of a stream of 10,000;
//  - resourceVersions stay monotonic across the crash;
//  - a restart over 100,000 stored objects brings every one of them back (how fast is measured in
//    bench/apiserver, not asserted here: timings on a shared machine are not a test).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '@trellis/apiserver';
import { afterAll, describe, expect, it } from 'vitest';
import { type EmbeddedServer, startEmbeddedApiServer } from '../harness/embedded.ts';
import { items, RawClient, sub } from './raw.ts';

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function server(dataDir?: string): Promise<EmbeddedServer> {
  const s = await startEmbeddedApiServer(dataDir === undefined ? {} : { dataDir });
  cleanup.push(() => s.stop());
  return s;
}

describe('durability of the embedded API server', () => {
  it('keeps every acknowledged write when killed -9 while 10,000 writes stream in', async () => {
    const first = await server();
    const c = RawClient.fromKubeconfig(first.kubeconfigPath, 32);
    expect(
      (
        await c.request('/api/v1/namespaces', {
          method: 'POST',
          body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crash' } },
        })
      ).status,
    ).toBe(201);
    const acked = new Map<string, { rv: number; value: string }>();
    let killed = false;
    let next = 0;
    const total = 10_000;
    const writer = async (): Promise<void> => {
      while (next < total) {
        const i = next++;
        const name = `cm-${i}`;
        const value = `v-${i}-${'x'.repeat(i % 200)}`;
        try {
          const r = await c.request('/api/v1/namespaces/crash/configmaps', {
            method: 'POST',
            body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { value } },
          });
          if (r.status === 201) acked.set(name, { rv: Number(sub(r, 'metadata').resourceVersion), value });
          else if (!killed) throw new Error(`write ${name} failed before the crash: ${r.status} ${r.text}`);
        } catch (err) {
          if (!killed) throw err;
          return;
        }
        if (!killed && acked.size >= 4000) {
          killed = true;
          await first.kill();
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, writer));
    c.close();
    expect(killed).toBe(true);
    expect(acked.size).toBeGreaterThanOrEqual(4000);
    expect(acked.size).toBeLessThan(total);

    const second = await server(first.dataDir);
    const c2 = RawClient.fromKubeconfig(second.kubeconfigPath);
    const list = await c2.request('/api/v1/namespaces/crash/configmaps');
    expect(list.status).toBe(200);
    const listed = items(list).map(
      (o) =>
        [String(o.metadata.name), { rv: Number(o.metadata.resourceVersion), value: String((o.data as { value: string }).value) }] as const,
    );
    const stored = new Map(listed);
    const missing = [...acked.keys()].filter((k) => !stored.has(k));
    expect(missing).toEqual([]);
    for (const [name, a] of acked) expect(stored.get(name)).toEqual(a);
    // Nothing was acknowledged twice or invented: every stored object came from a write we sent.
    for (const name of stored.keys()) expect(name).toMatch(/^cm-\d+$/);
    // resourceVersions stay monotonic across the crash.
    const maxAcked = Math.max(...[...acked.values()].map((a) => a.rv));
    const after = await c2.request('/api/v1/namespaces/crash/configmaps', {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-crash' } },
    });
    expect(after.status).toBe(201);
    expect(Number(sub(after, 'metadata').resourceVersion)).toBeGreaterThan(maxAcked);
    // /metrics counts the restarted server's one create and the WAL batch that made it durable.
    const metrics = (await c2.request('/metrics')).text;
    const sample = (name: string, ...labels: string[]): number | undefined => {
      const l = metrics.split('\n').find((x) => x.startsWith(name) && labels.every((lab) => x.includes(lab)));
      return l === undefined ? undefined : Number(l.slice(l.lastIndexOf(' ') + 1));
    };
    expect(sample('apiserver_request_total{', 'verb="POST"', 'resource="configmaps"', 'code="201"')).toBe(1);
    expect(sample('trellis_storage_wal_syncs_total ')).toBeGreaterThanOrEqual(1);
    expect(sample('trellis_storage_wal_frames_total ')).toBeGreaterThanOrEqual(sample('trellis_storage_wal_syncs_total ') ?? Infinity);
    c2.close();
    await second.remove();
  });

  it('restarts over 100,000 stored objects and serves them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'trellis-restart-'));
    cleanup.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    // A first start creates the token, the PKI and the kubeconfig, as on a real first `trellis up`.
    await (await server(dataDir)).stop();
    // Fill the store directly (the server's own storage code), as 100,000 objects in 20 namespaces.
    const store = await Store.open({ dir: join(dataDir, 'store'), fsync: false, snapshotBytes: 2 ** 40 });
    const now = `${new Date().toISOString().slice(0, 19)}Z`;
    for (let n = 0; n < 20; n++) {
      store.put('/namespaces', '', `ns-${n}`, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: `ns-${n}`, uid: `ns-uid-${n}`, creationTimestamp: now, labels: { 'kubernetes.io/metadata.name': `ns-${n}` } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    }
    for (let i = 0; i < 100_000; i++) {
      const ns = `ns-${i % 20}`;
      store.put('/configmaps', ns, `cm-${i}`, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: `cm-${i}`,
          namespace: ns,
          uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          creationTimestamp: now,
          labels: { app: `app-${i % 100}`, tier: 'bench' },
        },
        data: { key: `value-${i}`, config: 'x'.repeat(200) },
      });
    }
    await store.durable();
    await store.close();

    const s = await server(dataDir);
    expect(s.recovery.objects).toBeGreaterThanOrEqual(100_020);
    console.log(
      `restart over ${s.recovery.objects} objects: ready after ${Math.round(s.startupMs)} ms (store recovery ${s.recovery.ms} ms)`,
    );
    const c = RawClient.fromKubeconfig(s.kubeconfigPath);
    const one = await c.request('/api/v1/namespaces/ns-7/configmaps/cm-99987');
    expect(one.status).toBe(200);
    c.close();
    await s.stop();
  });
});
