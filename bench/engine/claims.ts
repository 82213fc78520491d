// Benchmark of the composition engine: N claims x R composed ConfigMaps to all Ready on a private
// API server (real kube-apiserver or the embedded one), then a steady state with nothing changing.
//
//   node --conditions=@trellis/source --import tsx bench/engine/claims.ts \
//     [--target real|embedded] [--claims 1000] [--resources 5] [--steady-seconds 150] [--concurrency 16]
//
// Figures: wall time to all Ready; claim-to-Ready latency (p50/p99: from the claim's create
// call returning to the bench's informer seeing Ready=True); CPU seconds of the engine process
// and of the API server processes; API writes per claim, counted by the server
// (`apiserver_request_total` on /metrics, by verb and resource, leases excluded) and by the engine's
// own client; engine RSS and heap; steady-state writes per minute (goal: 0). Prints a table and a
// JSON summary, with the load average (the machine is shared).

import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { newEngineMetrics, startEngine } from '@trellis/engine';
import { PatchAndTransform } from '@trellis/functions';
import { type KubeClient, newInformerFactory, newKubeClient, newWorkQueue, type WorkQueue } from '@trellis/kube';
import { type KubeObject, nopLogger } from '@trellis/sdk';
import { installCrossplaneCrds } from '../../test/engine/support/crossplane-crds.ts';
import { startRealControlPlane } from '../../test/harness/control-plane.ts';
import { startEmbeddedApiServer } from '../../test/harness/embedded.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'real' },
    claims: { type: 'string', default: '1000' },
    resources: { type: 'string', default: '5' },
    'steady-seconds': { type: 'string', default: '150' },
    concurrency: { type: 'string', default: '16' },
    namespaces: { type: 'string', default: '10' },
    // Fifo serves every key first in first out (the engine's queues before priorities), for A/B runs.
    fifo: { type: 'boolean', default: false },
  },
});
const TARGET = values.target;
const CLAIMS = Number(values.claims);
const RESOURCES = Number(values.resources);
const STEADY_S = Number(values['steady-seconds']);
const CONCURRENCY = Number(values.concurrency);
const NAMESPACES = Number(values.namespaces);
const FIFO = values.fifo;
const GROUP = 'bench.trellis.test';
const claimType = { apiVersion: `${GROUP}/v1`, kind: 'Bucket' };
const results: Record<string, number | string | Record<string, number>> = {};

function report(name: string, value: number, unit: string, digits = 1): void {
  results[name] = Number(value.toFixed(digits));
  console.log(`${name.padEnd(52)} ${value.toFixed(digits).padStart(12)} ${unit}`);
}

/** ServerWrites reads apiserver_request_total and sums write verbs by resource (leases excluded). */
async function serverWrites(client: KubeClient): Promise<Map<string, number>> {
  const text = String(await client.raw('/metrics'));
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const verb = labels.verb ?? '';
    if (!['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE', 'DELETECOLLECTION'].includes(verb)) continue;
    if (labels.resource === 'leases' || labels.resource === 'tokenreviews' || labels.resource === 'subjectaccessreviews') continue;
    const key = `${verb} ${labels.resource ?? ''}${labels.subresource === undefined || labels.subresource === '' ? '' : `/${labels.subresource}`}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** ProcessCpuSeconds reads user+system CPU of a process from /proc (0 when it is gone). */
function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // the process exited: nothing left to count
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function diff(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out.set(k, d);
  }
  return out;
}

function total(m: Map<string, number>): number {
  return [...m.values()].reduce((a, b) => a + b, 0);
}

function engineWrites(metrics: ReturnType<typeof newEngineMetrics>): number {
  let n = 0;
  for (const line of metrics.registry.expose().split('\n')) {
    const m = /^trellis_kube_requests_total\{verb="([^"]+)",kind="[^"]*"\} (\d+)/.exec(line);
    if (m !== null && !['get', 'list', 'watch'].includes(m[1] ?? '')) n += Number(m[2]);
  }
  return n;
}

async function pool(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

function composition(): KubeObject {
  const resources = Array.from({ length: RESOURCES }, (_, i) => ({
    name: `cm-${i}`,
    base: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default' }, data: { index: String(i) } },
    patches: [
      { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.claimRef.namespace', toFieldPath: 'metadata.namespace' },
      { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.color', toFieldPath: 'data.color' },
      {
        type: 'FromCompositeFieldPath',
        fromFieldPath: 'spec.size',
        toFieldPath: 'data.size',
        transforms: [{ type: 'string', string: { type: 'Format', fmt: '%v' } }],
      },
    ],
    readinessChecks: [{ type: 'NonEmpty', fieldPath: 'data.color' }],
  }));
  return {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'Composition',
    metadata: { name: 'buckets' },
    spec: {
      compositeTypeRef: { apiVersion: `${GROUP}/v1`, kind: 'XBucket' },
      mode: 'Pipeline',
      pipeline: [
        {
          step: 'pt',
          functionRef: { name: 'function-patch-and-transform' },
          input: { apiVersion: 'pt.fn.crossplane.io/v1beta1', kind: 'Resources', resources },
        },
      ],
    },
  };
}

const xrd: KubeObject = {
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'CompositeResourceDefinition',
  metadata: { name: `xbuckets.${GROUP}` },
  spec: {
    group: GROUP,
    names: { kind: 'XBucket', plural: 'xbuckets' },
    claimNames: { kind: 'Bucket', plural: 'buckets' },
    versions: [
      {
        name: 'v1',
        served: true,
        referenceable: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: { color: { type: 'string' }, size: { type: 'integer' } } } },
          },
        },
      },
    ],
  },
};

/** FifoQueue is the engine's default queue with every priority dropped (first in, first out). */
function fifoQueue(): WorkQueue {
  const q = newWorkQueue({ baseDelayMs: 250, maxDelayMs: 30_000, qps: 50, burst: 500 });
  return {
    add: (key) => q.add(key),
    addAfter: (key, ms) => q.addAfter(key, ms),
    addRateLimited: (key) => q.addRateLimited(key),
    forget: (key) => q.forget(key),
    get: () => q.get(),
    done: (key) => q.done(key),
    len: () => q.len(),
    shutDown: () => q.shutDown(),
    numRequeues: (key) => q.numRequeues(key),
  };
}

/** Reconciles sums trellis_controller_reconcile_total of controllers whose name starts with `prefix`. */
function reconcileCount(metrics: ReturnType<typeof newEngineMetrics>, prefix: string): number {
  let n = 0;
  for (const line of metrics.registry.expose().split('\n')) {
    const m = /^trellis_controller_reconcile_total\{controller="([^"]+)",result="[^"]*"\} (\d+)/.exec(line);
    if (m !== null && (m[1] ?? '').startsWith(prefix)) n += Number(m[2]);
  }
  return n;
}

function isReady(o: KubeObject): boolean {
  const cs = (o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return cs.some((c) => c.type === 'Ready' && c.status === 'True');
}

async function main(): Promise<void> {
  console.log(
    `engine claims benchmark: target=${TARGET} queue=${FIFO ? 'fifo' : 'priority'} claims=${CLAIMS} resources=${RESOURCES} cpus=${cpus().length} mem=${(totalmem() / 2 ** 30).toFixed(0)}GiB load=${loadavg()[0]?.toFixed(1)}`,
  );
  const t0 = performance.now();
  const server =
    TARGET === 'embedded'
      ? await (async () => {
          const s = await startEmbeddedApiServer();
          return { kubeconfigPath: s.kubeconfigPath, pids: [s.pid], stop: () => s.remove() };
        })()
      : await (async () => {
          const cp = await startRealControlPlane();
          const pids = ['etcd', 'kube-apiserver', 'kube-controller-manager'].map((c) =>
            Number(readFileSync(join(cp.dir, `${c}.pid`), 'utf8').trim()),
          );
          return { kubeconfigPath: cp.kubeconfigPath, pids, stop: () => cp.stop() };
        })();
  report('API server start', (performance.now() - t0) / 1000, 's', 2);
  const client = await newKubeClient({ kubeconfigPath: server.kubeconfigPath, userAgent: 'trellis-bench' });
  const engineClient = await newKubeClient({ kubeconfigPath: server.kubeconfigPath, userAgent: 'trellis-engine' });
  const metrics = newEngineMetrics();
  const informers = newInformerFactory(engineClient, { log: nopLogger });
  let stopEngine: (() => Promise<void>) | undefined;
  let stopWatch: (() => void) | undefined;
  try {
    await installCrossplaneCrds(client);
    for (let i = 0; i < NAMESPACES; i++) await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${i}` } });
    const pt = new PatchAndTransform();
    const engine = await startEngine({
      client: engineClient,
      informers,
      functions: { resolve: (n) => (/patch-and-transform$/.test(n) ? pt : undefined) },
      metrics,
      workers: 8,
      ...(FIFO ? { newQueue: fifoQueue } : {}),
    });
    stopEngine = () => engine.stop();
    await client.create(xrd);
    await client.create(composition());
    for (;;) {
      const x = await client.get({
        apiVersion: 'apiextensions.crossplane.io/v1',
        kind: 'CompositeResourceDefinition',
        name: `xbuckets.${GROUP}`,
      });
      const cs = (x.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      if (cs.some((c) => c.type === 'Offered' && c.status === 'True') && cs.some((c) => c.type === 'Established' && c.status === 'True'))
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 2000));

    // The bench watches claims with its own client and informer: a claim's latency runs from its
    // create call returning to the first event that shows Ready=True.
    const watchFactory = newInformerFactory(client, { log: nopLogger });
    stopWatch = () => watchFactory.stopAll();
    const claimInformer = watchFactory.informerFor<KubeObject>(claimType);
    const createdAt = new Map<string, number>();
    const readyAt = new Map<string, number>();
    const seen = (o: KubeObject): void => {
      const key = `${o.metadata.namespace}/${o.metadata.name}`;
      if (!readyAt.has(key) && isReady(o)) readyAt.set(key, performance.now());
    };
    claimInformer.addHandler({ onAdd: seen, onUpdate: (_o, n) => seen(n) });
    await claimInformer.start();

    const before = await serverWrites(client);
    const engineBefore = engineWrites(metrics);
    const cpuBefore = selfCpuSeconds();
    const xrReconcilesBefore = reconcileCount(metrics, 'composite/');
    const claimReconcilesBefore = reconcileCount(metrics, 'claim/');
    const serverCpuBefore = server.pids.map(processCpuSeconds).reduce((a, b) => a + b, 0);
    const loads: number[] = [];
    const tCreate = performance.now();
    await pool(CLAIMS, CONCURRENCY, async (i) => {
      const name = `claim-${String(i).padStart(5, '0')}`;
      const namespace = `bench-${i % NAMESPACES}`;
      await client.create({
        ...claimType,
        metadata: { name, namespace },
        spec: { color: i % 2 === 0 ? 'red' : 'blue', size: i },
      });
      createdAt.set(`${namespace}/${name}`, performance.now());
    });
    report(`create ${CLAIMS} claims (${CONCURRENCY} concurrent)`, (performance.now() - tCreate) / 1000, 's', 2);
    let lastPrint = 0;
    const deadline = performance.now() + 3600_000;
    while (readyAt.size < CLAIMS) {
      await new Promise((r) => setTimeout(r, 200));
      const el = (performance.now() - tCreate) / 1000;
      if (el - lastPrint >= 10) {
        loads.push(loadavg()[0] ?? 0);
        console.log(`  ${el.toFixed(0)}s: ${readyAt.size}/${CLAIMS} Ready (load ${loadavg()[0]?.toFixed(1)})`);
        lastPrint = el;
      }
      if (performance.now() > deadline) throw new Error(`only ${readyAt.size}/${CLAIMS} claims Ready after an hour`);
    }
    const tAllReady = Math.max(...readyAt.values());
    const engineCpu = selfCpuSeconds() - cpuBefore;
    const xrReconciles = reconcileCount(metrics, 'composite/') - xrReconcilesBefore;
    const claimReconciles = reconcileCount(metrics, 'claim/') - claimReconcilesBefore;
    const serverCpu = server.pids.map(processCpuSeconds).reduce((a, b) => a + b, 0) - serverCpuBefore;
    loads.push(loadavg()[0] ?? 0);
    const latencies = [...readyAt].map(([k, t]) => (t - (createdAt.get(k) ?? tCreate)) / 1000).sort((a, b) => a - b);
    const firstReady = (Math.min(...readyAt.values()) - tCreate) / 1000;
    const wall = (tAllReady - tCreate) / 1000;
    report(`wall time to all ${CLAIMS} claims Ready`, wall, 's', 1);
    report('claims Ready per second', CLAIMS / wall, 'claims/s', 1);
    report('first claim Ready after the first create', firstReady, 's', 2);
    report('claim-to-Ready latency p50', percentile(latencies, 50), 's', 2);
    report('claim-to-Ready latency p90', percentile(latencies, 90), 's', 2);
    report('claim-to-Ready latency p99', percentile(latencies, 99), 's', 2);
    report('CPU seconds to all Ready, engine process (engine + bench client)', engineCpu, 's', 1);
    report('CPU seconds to all Ready, API server processes', serverCpu, 's', 1);
    report('XR reconciles per claim to all Ready', xrReconciles / CLAIMS, '', 2);
    report('claim reconciles per claim to all Ready', claimReconciles / CLAIMS, '', 2);
    report('load average (1 min) during the run, min', Math.min(...loads), '', 1);
    report('load average (1 min) during the run, max', Math.max(...loads), '', 1);
    await new Promise((r) => setTimeout(r, 5000));
    const afterReady = await serverWrites(client);
    const runWrites = diff(afterReady, before);
    const claimCreates = runWrites.get('POST buckets') ?? 0;
    const engineRun = engineWrites(metrics) - engineBefore;
    results['writes by verb and resource (server, to Ready)'] = Object.fromEntries([...runWrites].sort());
    for (const [k, v] of [...runWrites].sort()) console.log(`    ${k.padEnd(40)} ${String(v).padStart(8)}`);
    report('API writes per claim, server-side (excl. the claim create)', (total(runWrites) - claimCreates) / CLAIMS, 'writes/claim', 2);
    report('API writes per claim, engine client', engineRun / CLAIMS, 'writes/claim', 2);
    if (typeof global.gc === 'function') global.gc();
    const mem = process.memoryUsage();
    report('engine RSS', mem.rss / 2 ** 20, 'MiB', 0);
    report('engine heap used', mem.heapUsed / 2 ** 20, 'MiB', 0);

    console.log(`steady state: ${STEADY_S}s with nothing changing (pipeline TTL 60 s: every XR reconciles at least twice)`);
    const steadyBefore = await serverWrites(client);
    const engineSteadyBefore = engineWrites(metrics);
    const reconcilesBefore = metrics.reconciles.get({ controller: `composite/xbuckets.${GROUP}`, result: 'requeue' });
    await new Promise((r) => setTimeout(r, STEADY_S * 1000));
    const steady = diff(await serverWrites(client), steadyBefore);
    const reconciles = metrics.reconciles.get({ controller: `composite/xbuckets.${GROUP}`, result: 'requeue' }) - reconcilesBefore;
    for (const [k, v] of [...steady].sort()) console.log(`    ${k.padEnd(40)} ${String(v).padStart(8)}`);
    results['writes by verb and resource (server, steady state)'] = Object.fromEntries([...steady].sort());
    report('steady state: XR reconciles', reconciles, 'reconciles', 0);
    report('steady state: API writes per minute, server-side', (total(steady) * 60) / STEADY_S, 'writes/min', 2);
    report(
      'steady state: API writes per minute, engine client',
      ((engineWrites(metrics) - engineSteadyBefore) * 60) / STEADY_S,
      'writes/min',
      2,
    );
    const mem2 = process.memoryUsage();
    report('engine RSS after steady state', mem2.rss / 2 ** 20, 'MiB', 0);
  } finally {
    stopWatch?.();
    await stopEngine?.();
    informers.stopAll();
    await server.stop();
  }
  console.log(JSON.stringify({ target: TARGET, queue: FIFO ? 'fifo' : 'priority', claims: CLAIMS, resources: RESOURCES, results }));
}

await main();
