// Benchmarks the embedded API server against kube-apiserver + etcd (fsync on for both: durable
// writes), with the same raw HTTPS client: create/update/get/list throughput and latency, single-
// writer write latency, watch delivery latency, memory per 100,000 objects, and restart time.
//
//   node --import tsx bench/apiserver/run.ts [--only embedded|real] [--objects 100000] [--ops 10000]
//        [--warmup 3000] [--node-flags 'FLAGS'] [--cpu-profile DIR]   (the embedded server writes a V8 CPU profile into DIR when it stops)
//
// Both servers get the same warm-up before the measured phases: --warmup creates, updates and gets of
// objects of their own. The embedded server is JIT-compiled: its first few thousand requests run in
// unoptimized code (server CPU per create 0.39 ms after 200 warm-up creates, 0.26-0.33 ms after 1,000
// to 5,000), so a short warm-up measures V8 tiering up rather than the server's throughput.
// --warmup 200 --warmup-kinds create reproduces runs 1-9 (200 creates only).
//
// Prints a table per target and a JSON summary; docs/benchmarks.md records the figures.
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RawClient, sub } from '../../test/apiserver/raw.ts';
import { k8sBinDir, startRealControlPlane } from '../../test/harness/control-plane.ts';
import { startEmbeddedApiServer } from '../../test/harness/embedded.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] as string) : def;
};
const OBJECTS = Number(arg('--objects', '100000'));
const OPS = Number(arg('--ops', '10000'));
const CONCURRENCY = Number(arg('--concurrency', '32'));
const WARMUP = Number(arg('--warmup', '3000'));
const WARMUP_KINDS = new Set(arg('--warmup-kinds', 'create,update,get').split(','));
const only = arg('--only', '');
const cpuProfile = arg('--cpu-profile', '');
// --node-flags 'FLAGS' runs the embedded server's node with V8 flags (e.g. the trellis command's, ADR 0015).
const nodeFlags = [
  ...arg('--node-flags', '')
    .split(' ')
    .filter((f) => f !== ''),
  ...(cpuProfile === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(cpuProfile)}`]),
];

interface Stats {
  ops: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function stats(lat: number[], seconds: number): Stats {
  const s = [...lat].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return { ops: lat.length, seconds: round(seconds), perSecond: Math.round(lat.length / seconds), p50: round(q(0.5)), p99: round(q(0.99)) };
}

const round = (n: number): number => Math.round(n * 100) / 100;

/** Run runs `count` operations with `concurrency` workers and returns latency stats. */
async function run(count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<Stats> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const s = performance.now();
        await op(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  return stats(lat, (performance.now() - t0) / 1000);
}

function cm(name: string, i: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, labels: { app: `app-${i % 100}`, bench: 'true' } },
    data: { index: String(i), payload: 'x'.repeat(400) },
  };
}

function must(status: number, want: number, what: string, text: string): void {
  if (status !== want) throw new Error(`${what}: HTTP ${status}: ${text.slice(0, 300)}`);
}

/** CpuMs is the CPU time (user + system) a set of processes used so far, in milliseconds. */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]);
}

interface Target {
  name: string;
  kubeconfig: string;
  pids: () => number[];
  restart?: () => Promise<number>;
  stop: () => Promise<void>;
}

async function benchTarget(t: Target): Promise<Record<string, unknown>> {
  const c = RawClient.fromKubeconfig(t.kubeconfig, CONCURRENCY * 2);
  const ns = `bench-${Date.now().toString(36)}`;
  must(
    (await c.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } }))
      .status,
    201,
    'namespace',
    '',
  );
  const base = `/api/v1/namespaces/${ns}/configmaps`;
  const out: Record<string, unknown> = { target: t.name };
  // Server CPU per operation: robust to other load on the machine, unlike wall-clock throughput.
  const phase = async (name: string, count: number, concurrency: number, op: (i: number) => Promise<void>): Promise<void> => {
    const c0 = cpuMs(t.pids());
    const st = await run(count, concurrency, op);
    out[name] = { ...st, serverCpuMsPerOp: round((cpuMs(t.pids()) - c0) / count) };
  };

  // Warm up connections and code paths (the same requests for both servers).
  const warmed = await run(WARMUP, CONCURRENCY, async (i) => {
    const r = await c.request(base, { method: 'POST', body: cm(`warm-${i}`, i) });
    must(r.status, 201, 'warm-up create', r.text);
  });
  out.warmup = { creates: warmed.ops, perSecond: warmed.perSecond, kinds: [...WARMUP_KINDS].join(',') };
  if (WARMUP_KINDS.has('update'))
    await run(WARMUP, CONCURRENCY, async (i) => {
      const r = await c.request(`${base}/warm-${i}`, {
        method: 'PUT',
        body: { ...cm(`warm-${i}`, i), data: { index: String(i), w: 'u' } },
      });
      must(r.status, 200, 'warm-up update', r.text);
    });
  if (WARMUP_KINDS.has('get'))
    await run(WARMUP, CONCURRENCY, async (i) => {
      const r = await c.request(`${base}/warm-${i}`);
      must(r.status, 200, 'warm-up get', r.text);
    });

  await phase('create', OPS, CONCURRENCY, async (i) => {
    const r = await c.request(base, { method: 'POST', body: cm(`c-${i}`, i) });
    must(r.status, 201, 'create', r.text);
  });
  await phase('update', OPS, CONCURRENCY, async (i) => {
    const r = await c.request(`${base}/c-${i % OPS}`, {
      method: 'PUT',
      body: { ...cm(`c-${i % OPS}`, i), data: { index: String(i), payload: 'y'.repeat(400) } },
    });
    must(r.status, 200, 'update', r.text);
  });
  await phase('get', OPS, CONCURRENCY, async (i) => {
    const r = await c.request(`${base}/c-${i % OPS}`);
    must(r.status, 200, 'get', r.text);
  });
  await phase('writeSingle', 1000, 1, async (i) => {
    const r = await c.request(`${base}/c-${i}`, { method: 'PUT', body: { ...cm(`c-${i}`, i), data: { index: String(i), single: 'z' } } });
    must(r.status, 200, 'single update', r.text);
  });
  // List a namespace of 1,000 objects.
  const listNs = `${ns}-list`;
  must(
    (await c.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: listNs } } }))
      .status,
    201,
    'namespace',
    '',
  );
  await run(1000, CONCURRENCY, async (i) => {
    const r = await c.request(`/api/v1/namespaces/${listNs}/configmaps`, { method: 'POST', body: cm(`l-${i}`, i) });
    must(r.status, 201, 'list fill', r.text);
  });
  await phase('list1000', 200, 4, async () => {
    const r = await c.request(`/api/v1/namespaces/${listNs}/configmaps`);
    must(r.status, 200, 'list', r.text);
  });

  // Watch delivery: one watcher, sequential writes; latency from the write's start and from its
  // acknowledgement to the event's arrival.
  const list = await c.request(`${base}?limit=1`);
  const rv = String(sub(list, 'metadata').resourceVersion);
  const arrived = new Map<string, number>();
  const w = await c.watch(`${base}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dwatched`, (ev) => {
    const data = (ev.object as { data?: { n?: string } }).data;
    if (data?.n !== undefined) arrived.set(data.n, performance.now());
  });
  must(
    (
      await c.request(base, {
        method: 'POST',
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' }, data: { n: 'start' } },
      })
    ).status,
    201,
    'watched',
    '',
  );
  const fromStart: number[] = [];
  const fromAck: number[] = [];
  for (let i = 0; i < 500; i++) {
    const s = performance.now();
    const r = await c.request(`${base}/watched`, {
      method: 'PUT',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' }, data: { n: String(i) } },
    });
    const acked = performance.now();
    must(r.status, 200, 'watched update', r.text);
    const deadline = Date.now() + 5000;
    while (!arrived.has(String(i)) && Date.now() < deadline) await new Promise((res) => setImmediate(res));
    const at = arrived.get(String(i));
    if (at === undefined) throw new Error('watch event did not arrive within 5 s');
    fromStart.push(at - s);
    fromAck.push(Math.max(0, at - acked));
  }
  w.stop();
  out.watchFromWriteStart = stats(fromStart, 1);
  out.watchFromAck = stats(fromAck, 1);

  // Memory per 100,000 objects: RSS of the server processes before and after loading them.
  const rssBefore = t.pids().reduce((n, p) => n + rssKiB(p), 0);
  const memNs = `${ns}-mem`;
  must(
    (await c.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: memNs } } }))
      .status,
    201,
    'namespace',
    '',
  );
  await phase('load', OBJECTS, CONCURRENCY, async (i) => {
    const r = await c.request(`/api/v1/namespaces/${memNs}/configmaps`, { method: 'POST', body: cm(`m-${i}`, i) });
    must(r.status, 201, 'load', r.text);
  });
  const rssAfter = t.pids().reduce((n, p) => n + rssKiB(p), 0);
  out.rssMiB = {
    before: Math.round(rssBefore / 1024),
    after: Math.round(rssAfter / 1024),
    per100k: Math.round(((rssAfter - rssBefore) / 1024) * (100_000 / OBJECTS)),
  };
  const metrics = await c.request('/metrics');
  const posts = metrics.text
    .split('\n')
    .filter(
      (l) =>
        l.startsWith('apiserver_request_total{') &&
        l.includes('resource="configmaps"') &&
        l.includes('verb="POST"') &&
        l.includes('code="201"'),
    )
    .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  out.metricsCountedCreates = posts;
  // The embedded server's group commit: writes per fdatasync over the whole run.
  const counter = (name: string): number | undefined => {
    const l = metrics.text.split('\n').find((x) => x.startsWith(`${name} `));
    return l === undefined ? undefined : Number(l.slice(name.length + 1));
  };
  const syncs = counter('trellis_storage_wal_syncs_total');
  const frames = counter('trellis_storage_wal_frames_total');
  if (syncs !== undefined && frames !== undefined && syncs > 0) out.walWritesPerSync = round(frames / syncs);
  c.close();
  if (t.restart !== undefined) out.restartMs = await t.restart();
  return out;
}

async function embeddedTarget(): Promise<Target> {
  let s = await startEmbeddedApiServer({ bookmarkIntervalMs: 60_000, nodeFlags });
  return {
    name: 'embedded (trellis)',
    kubeconfig: s.kubeconfigPath,
    pids: () => [s.pid],
    restart: async () => {
      await s.stop();
      s = await startEmbeddedApiServer({ dataDir: s.dataDir, port: s.port });
      console.log(
        `embedded restart: ready after ${Math.round(s.startupMs)} ms over ${s.recovery.objects} objects (store recovery ${s.recovery.ms} ms)`,
      );
      return Math.round(s.startupMs);
    },
    stop: () => s.remove(),
  };
}

async function realTarget(): Promise<Target> {
  // etcd with fsync on (the fixture turns it off for speed): durable writes on both sides.
  const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-etcd-'));
  const wrapper = join(dir, 'etcd');
  writeFileSync(
    wrapper,
    `#!/usr/bin/env bash\nargs=()\nfor a in "$@"; do [[ "$a" == --unsafe-no-fsync ]] || args+=("$a"); done\nexec ${join(k8sBinDir(), 'etcd')} "\${args[@]}"\n`,
  );
  chmodSync(wrapper, 0o755);
  process.env.ETCD_BIN = wrapper;
  const cp = await startRealControlPlane({ withControllerManager: false });
  const pid = (name: string): number => Number(readFileSync(join(cp.dir, `${name}.pid`), 'utf8').trim());
  return {
    name: 'kube-apiserver + etcd',
    kubeconfig: cp.kubeconfigPath,
    pids: () => [pid('etcd'), pid('kube-apiserver')],
    stop: () => cp.stop(),
  };
}

const results: Record<string, unknown>[] = [];
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, node ${process.version}`,
);
for (const make of [embeddedTarget, realTarget]) {
  if (only === 'embedded' && make === realTarget) continue;
  if (only === 'real' && make === embeddedTarget) continue;
  const t = await make();
  try {
    const r = await benchTarget(t);
    results.push(r);
    console.log(`\n== ${t.name}`);
    for (const [k, v] of Object.entries(r)) if (k !== 'target') console.log(`${k.padEnd(22)} ${JSON.stringify(v)}`);
  } finally {
    await t.stop();
  }
}
console.log(
  `\nload average after: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(JSON.stringify(results));
