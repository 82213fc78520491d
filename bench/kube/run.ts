// Benchmark of @trellis/kube against a real kube-apiserver: list and watch throughput and
// informer memory per 10,000 objects. Starts a private control plane (binaries from
// test/infra/kubernetes/build.sh). Run: node --conditions=@trellis/source --import tsx bench/kube/run.ts [--objects N]
//
// Prints one line per figure and a JSON summary at the end.
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { KubeClient, TypeRef } from '@trellis/kube';
import { newInformerFactory, newKubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { startRealControlPlane } from '../../test/harness/control-plane.ts';
import { parseBenchArgs, recorder } from '../lib/figures.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const bargs = parseBenchArgs();
const { values } = parseArgs({
  args: bargs.rest,
  options: {
    objects: { type: 'string', default: bargs.quick ? '2000' : '10000' },
    repeat: { type: 'string', default: bargs.quick ? '1' : '3' },
  },
});
const N = Number(values.objects);
const REPEAT = Number(values.repeat);
const ns = 'bench';
const cmType: TypeRef = { apiVersion: 'v1', kind: 'ConfigMap' };
const results: Record<string, number | string> = {};
const rec = recorder({
  pillar: 'kube',
  title: `@trellis/kube against a real kube-apiserver 1.36.3: ${N} ConfigMaps, medians of ${REPEAT}`,
  command: 'node --conditions=@trellis/source --import tsx bench/kube/run.ts',
  args: bargs,
});

function report(name: string, value: number, unit: string): void {
  results[name] = Number(value.toFixed(1));
  rec.add({ name, value, unit });
  console.log(`${name.padEnd(44)} ${value.toFixed(1).padStart(10)} ${unit}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function populate(client: KubeClient): Promise<void> {
  const payload = 'x'.repeat(200);
  let next = 0;
  const t = await timed(async () => {
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < N) {
          const i = next++;
          await client.create({
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `cm-${String(i).padStart(6, '0')}`, namespace: ns, labels: { bench: 'yes', shard: String(i % 10) } },
            data: { payload, index: String(i) },
          });
        }
      }),
    );
  });
  report(`create ${N} ConfigMaps (32 concurrent)`, N / (t / 1000), 'objects/s');
}

async function benchList(client: KubeClient): Promise<void> {
  const paged: number[] = [];
  const whole: number[] = [];
  const meta: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    paged.push(await timed(() => client.listAll(cmType, { namespace: ns, limit: 500 })));
    whole.push(await timed(() => client.list(cmType, { namespace: ns })));
    meta.push(await timed(() => client.listAll(cmType, { namespace: ns, limit: 500, metadataOnly: true })));
  }
  report('list, pages of 500', N / (median(paged) / 1000), 'objects/s');
  report('list, one page', N / (median(whole) / 1000), 'objects/s');
  report('list metadata only, pages of 500', N / (median(meta) / 1000), 'objects/s');
}

async function benchWatch(client: KubeClient): Promise<void> {
  // A watch without a resourceVersion starts with a synthetic ADDED for every object: this is
  // the client's decode throughput on a stream the server produces as fast as it can.
  const times: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const ac = new AbortController();
    let n = 0;
    times.push(
      await timed(async () => {
        for await (const _ev of client.watch(cmType, { namespace: ns, signal: ac.signal })) {
          if (++n === N) ac.abort();
        }
      }),
    );
  }
  report('watch, initial events', N / (median(times) / 1000), 'events/s');

  // Live events: a watcher sees N updates made by 32 concurrent writers (bounded by the writes).
  const start = await client.list(cmType, { namespace: ns, limit: 1 });
  const ac = new AbortController();
  let seen = 0;
  const t0 = performance.now();
  const watching = (async () => {
    for await (const _ev of client.watch(cmType, { namespace: ns, resourceVersion: start.resourceVersion, signal: ac.signal })) {
      if (++seen === N) ac.abort();
    }
  })();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < N) {
        const i = next++;
        await client.patch(
          { ...cmType, namespace: ns, name: `cm-${String(i).padStart(6, '0')}` },
          { type: 'merge', patch: { data: { touched: 'yes' } } },
        );
      }
    }),
  );
  const writesDone = performance.now();
  await watching;
  report('watch, live updates (32 concurrent writers)', N / ((performance.now() - t0) / 1000), 'events/s');
  report('watch lag after the last write', performance.now() - writesDone, 'ms');
}

/** Settle lets stopped informers' loops end and collects their garbage before a heap reading. */
async function settle(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 100));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

async function benchInformer(client: KubeClient, mode: 'full' | 'metadata only' | 'without managedFields'): Promise<void> {
  const metadataOnly = mode === 'metadata only';
  const before = await settle();
  const factory = newInformerFactory(client);
  const inf = factory.informerFor<KubeObject>(cmType, { namespace: ns, metadataOnly, dropManagedFields: mode === 'without managedFields' });
  const t = await timed(() => inf.start());
  const after = await settle();
  const label = mode === 'full' ? 'informer' : `informer (${mode})`;
  if (inf.list(ns).length !== N) throw new Error(`${label} holds ${inf.list(ns).length} objects, want ${N}`);
  report(`${label}: sync ${N} objects`, t, 'ms');
  report(`${label}: heap per 10,000 objects`, (((after - before) / N) * 10_000) / (1024 * 1024), 'MiB');
  factory.stopAll();
}

async function main(): Promise<void> {
  console.log(`bench/kube: ${N} objects, median of ${REPEAT}`);
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
  );
  const t0 = performance.now();
  const cp = await startRealControlPlane({ withControllerManager: false });
  report('control plane start (etcd + kube-apiserver)', performance.now() - t0, 'ms');
  const client = await newKubeClient({ kubeconfigPath: cp.kubeconfigPath, userAgent: 'trellis-bench' });
  try {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await populate(client);
    await benchList(client);
    await benchInformer(client, 'full');
    await benchInformer(client, 'metadata only');
    await benchInformer(client, 'without managedFields');
    await benchWatch(client);
  } finally {
    client.close();
    await cp.stop();
  }
  console.log(JSON.stringify({ objects: N, date: new Date().toISOString(), results }));
  rec.finish();
}

await main();
