// Trellis and upstream Crossplane side by side: both reconcile the same v1 XRD, Pipeline
// Composition (5 ConfigMaps per claim, readiness needing no provider) and N claims, each engine
// on its own fresh private control plane built and started the same way (etcd + kube-apiserver
// 1.36.3 + kube-controller-manager, test/infra/kubernetes), one engine after the other (or split over processes, see --runs).
//
//   node --conditions=@trellis/source --import tsx bench/compare/run.ts [--sizes 100,1000,5000] [--engines trellis,crossplane]
//        [--settle-seconds 60] [--steady-seconds 150] [--ready-timeout-minutes 30] [--runs FILE.jsonl]
//        [--note TEXT]... [--json FILE] [--quick] [--cpu-profile DIR] [--engine-bundle FILE] [--memory-trace] [--heap-snapshot FILE] [--allocation-profile FILE]
//        [--trellis-workers N]   (workers per Trellis controller; default the engine's, 4)
//        [--engine-node-flags='FLAGS']   (node flags of the Trellis engine; default the trellis command's, see bench/lib/node-flags.ts)
//
// A run whose claims are not all Ready within --ready-timeout-minutes is recorded with what it
// measured (how many were Ready, the time as a lower bound); the bound keeps `npm run bench` finite
// on a slow machine. --runs appends every finished run to a JSON-lines file and reuses the runs
// already in it (the newest per engine and size), so a campaign can be split over several
// processes (e.g. both engines at the same time, each on its own control plane) and assembled.
//
// Figures per size: time to all Ready, p50/p99 claim-to-Ready, API requests and writes per claim
// (the server's apiserver_request_total, minus the driver's own requests), engine CPU seconds and
// peak RSS (/proc; Crossplane = core + function-patch-and-transform), API writes per minute in
// steady state. --memory-trace has the Trellis engine log its V8 heap every 500 ms and prints
// heap used, external and array buffers at the sample of highest RSS; --heap-snapshot writes a V8
// heap snapshot of the Trellis engine after the steady window (after peak RSS is taken). Goals for Trellis: ≥3x faster to all Ready, ≤1/3 of the writes, ≤1/2 of the
// memory, 0 writes in steady state.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type KubeClient, newKubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { installCrossplaneCrds } from '../../test/engine/support/crossplane-crds.ts';
import { type RealControlPlane, startRealControlPlane } from '../../test/harness/control-plane.ts';
import { diff, isWrite, type RequestCounts, scrapeRequestTotals, top, total } from '../lib/apiserver-metrics.ts';
import { createAndWaitReady, percentile } from '../lib/claims.ts';
import { parseBenchArgs, recorder } from '../lib/figures.ts';
import { trellisNodeFlags } from '../lib/node-flags.ts';
import { sampleUsage, sumUsage } from '../lib/proc.ts';
import { ClaimKind, ComposedPerClaim, claim, claimName, composition, Group, readyStatus, Version, xrd } from '../lib/workload.ts';
import { CrossplaneVersion, startCrossplanePeer } from '../peer/peer.ts';

// A loaded machine can take minutes to start a private control plane (start.sh's default is 90 s).
process.env.READY_TIMEOUT ??= '300';
const bargs = parseBenchArgs();
const { values } = parseArgs({
  args: bargs.rest,
  options: {
    sizes: { type: 'string', default: bargs.quick ? '20,100' : '100,1000,5000' },
    engines: { type: 'string', default: 'trellis,crossplane' },
    'settle-seconds': { type: 'string', default: bargs.quick ? '20' : '60' },
    'steady-seconds': { type: 'string', default: bargs.quick ? '70' : '150' },
    concurrency: { type: 'string', default: '16' },
    'ready-timeout-minutes': { type: 'string', default: '30' },
    // Runs: a JSON-lines file every finished run is appended to; runs already in it are reused,
    // so a long campaign that stops half-way resumes where it was.
    runs: { type: 'string' },
    // FromSource runs the Trellis engine from its TypeScript sources through tsx (as tests do)
    // instead of as one JavaScript bundle built with esbuild (as a release runs it: no loader in
    // the process, so CPU and memory are the engine's own).
    'from-source': { type: 'boolean', default: false },
    // EngineBundle runs a prebuilt bundle of trellis-engine.ts (e.g. of another commit, for an
    // A/B pair run close together) instead of building one from this tree.
    'engine-bundle': { type: 'string' },
    'trellis-workers': { type: 'string' },
    // EngineNodeFlags replaces the node flags of the Trellis engine process (space-separated; ''
    // for none); by default it runs with the trellis command's own (bench/lib/node-flags.ts).
    'engine-node-flags': { type: 'string' },
    // Note adds a line to the result's notes (e.g. how the runs of a campaign were scheduled).
    note: { type: 'string', multiple: true },
    // Opt-in memory diagnostics of the Trellis engine (see the header).
    'memory-trace': { type: 'boolean', default: false },
    'heap-snapshot': { type: 'string' },
    'allocation-profile': { type: 'string' },
    // CpuProfile DIR: the engine runs with node --cpu-prof and writes its profile into DIR on stop.
    'cpu-profile': { type: 'string' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const engines = values.engines.split(',') as EngineName[];
const settleSeconds = Number(values['settle-seconds']);
const steadySeconds = Number(values['steady-seconds']);
const namespace = 'bench';
const claimType = { apiVersion: `${Group}/${Version}`, kind: ClaimKind };
const peerName = `Crossplane ${CrossplaneVersion}`;
const log = (line: string): void => console.log(line);

type EngineName = 'trellis' | 'crossplane';

interface EngineRun {
  engine: EngineName;
  claims: number;
  /** LoadAverage is the machine's 1-minute load average when the claims were created. */
  loadAverage?: number;
  /** LoadAverageMax is the highest 1-minute load average sampled until all were Ready. */
  loadAverageMax?: number;
  /** Runtime says how the engine ran (Trellis: esbuild bundle or tsx from source). */
  runtime?: string;
  /** Date (ISO) and Commit (with `+dirty` for uncommitted changes) say when and what was measured. */
  date?: string;
  commit?: string;
  startSeconds: number;
  /** AllReadySeconds is a lower bound when `readyBeforeTimeout` is set (not all Ready in time). */
  allReadySeconds: number;
  /** ReadyByMinute[i] counts the claims Ready within i+1 minutes of the first create. */
  readyByMinute?: number[];
  /** ReadyBeforeTimeout counts the claims Ready by the deadline, when not all were. */
  readyBeforeTimeout?: number;
  createSeconds: number;
  p50Ms: number;
  p99Ms: number;
  requestsPerClaim: number;
  writesPerClaim: number;
  cpuSeconds: number;
  peakRssMiB: number;
  /** Steady-state figures are absent when the steady window could not be measured (see steadyTop). */
  steadyWritesPerMinute?: number;
  steadyRequestsPerMinute?: number;
  steadyCpuSecondsPerMinute?: number;
  /** ReadyAtEnd counts claims with Ready=True after the steady window (a claim can be Ready, then not). */
  readyAtEnd?: number;
  writesTop: string;
  steadyTop: string;
}

/** Counted excludes what neither engine causes: leases (the API server's and kcm's own), auth reviews, non-resource URLs. */
function counted(key: string): boolean {
  const resource = key.split(' ')[1] ?? '';
  if (resource === '' || resource.startsWith('/')) return false;
  const base = resource.split('/')[0];
  return base !== 'leases' && base !== 'tokenreviews' && base !== 'subjectaccessreviews';
}

interface RunningEngine {
  pids(): number[];
  stop(): Promise<void>;
  logs(): string;
  /** MemoryTrace summarises the engine's memory log (--memory-trace), when there is one. */
  memoryTrace?(): string;
  /** HeapSnapshot has the engine write its heap snapshot (--heap-snapshot) and waits for it. */
  heapSnapshot?(): Promise<void>;
}

interface MemorySample {
  t: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rssAnon?: number;
  rssFile?: number;
  spaces: Record<string, number>;
}

/** SummariseMemoryLog reports the engine's heap at its highest sampled RSS and the highest heap used. */
function summariseMemoryLog(file: string): string {
  if (!existsSync(file)) return 'memory trace: no samples';
  const samples = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as MemorySample);
  const first = samples[0];
  if (first === undefined) return 'memory trace: no samples';
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)}`;
  const at = (m: MemorySample): string =>
    `rss ${mib(m.rss)} (anon ${mib(m.rssAnon ?? 0)}, file ${mib(m.rssFile ?? 0)}) heapTotal ${mib(m.heapTotal)} heapUsed ${mib(m.heapUsed)} external ${mib(m.external)} arrayBuffers ${mib(m.arrayBuffers)} MiB; spaces ${Object.entries(
      m.spaces,
    )
      .filter(([, v]) => v > 2 ** 20 / 2)
      .map(([k, v]) => `${k} ${mib(v)}`)
      .join(', ')}`;
  const peakRss = samples.reduce((a, b) => (b.rss > a.rss ? b : a));
  const peakHeap = samples.reduce((a, b) => (b.heapUsed > a.heapUsed ? b : a));
  const last = samples[samples.length - 1] ?? first;
  // Timeline: RSS / heap total / heap used (MiB) every 5 s since the engine was ready.
  const timeline: string[] = [];
  for (const m of samples) {
    const s = Math.round((m.t - first.t) / 1000);
    if (s >= timeline.length * 5) timeline.push(`${s}s ${mib(m.rss)}/${mib(m.heapTotal)}/${mib(m.heapUsed)}`);
  }
  return [
    `  timeline (rss/heapTotal/heapUsed MiB): ${timeline.join(', ')}`,
    `memory trace (${samples.length} samples): at ready: ${at(first)}`,
    `  at peak RSS (+${((peakRss.t - first.t) / 1000).toFixed(0)} s): ${at(peakRss)}`,
    `  at peak heap used (+${((peakHeap.t - first.t) / 1000).toFixed(0)} s): ${at(peakHeap)}`,
    `  last: ${at(last)}`,
  ].join('\n');
}

/**
 * BundleEngine builds bench/compare/trellis-engine.ts and everything it imports into one ES module,
 * except @kubernetes/client-node: @trellis/kube imports it on demand (only for kubeconfigs with exec
 * plugins and the like), and a bundle would carry the whole package instead, so the bundle lives
 * under node_modules/.cache where that import resolves as it does for the CLI.
 */
function bundleEngine(): string {
  const root = resolve(import.meta.dirname, '../..');
  const esbuild = resolve(root, 'node_modules/.bin/esbuild');
  if (!existsSync(esbuild)) throw new Error(`${esbuild} is missing (npm ci installs it with tsx); or pass --from-source`);
  const cache = resolve(root, 'node_modules/.cache/trellis-bench');
  mkdirSync(cache, { recursive: true });
  const out = join(mkdtempSync(join(cache, 'engine-')), 'trellis-engine.mjs');
  execFileSync(esbuild, [
    resolve(import.meta.dirname, 'trellis-engine.ts'),
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node20',
    '--conditions=@trellis/source',
    '--external:@kubernetes/client-node',
    `--outfile=${out}`,
    "--banner:js=import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    '--log-level=warning',
  ]);
  writeFileSync(out, asciiSource(readFileSync(out, 'utf8')));
  return out;
}

/**
 * AsciiSource escapes every non-ASCII UTF-16 unit of a bundle as `\uXXXX` (the same string in a
 * literal, a regular expression or a comment). V8 keeps a module's source text for lazy
 * compilation, and one non-ASCII character (a `µ` in a regular expression, curly quotes in a
 * comment of js-yaml) makes it a two-byte string: 4.6 MiB of heap for the 2.3 MB bundle instead of
 * 2.3. A release loads one module per file, where only the few files with such characters are
 * two-byte, so the escaped bundle is the closer measure.
 */
function asciiSource(text: string): string {
  return text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

let bundled: string | undefined;
const engineNodeFlags: string[] =
  values['engine-node-flags'] === undefined ? trellisNodeFlags() : values['engine-node-flags'].split(' ').filter((f) => f !== '');
const trellisRuntime = (): string => {
  const node = ['node', ...engineNodeFlags].join(' ');
  return values['from-source']
    ? `${node} + tsx, from the TypeScript sources`
    : values['engine-bundle'] !== undefined
      ? `${node}, the prebuilt bundle ${values['engine-bundle']}`
      : `${node}, one esbuild bundle`;
};

async function startTrellis(cp: RealControlPlane, client: KubeClient): Promise<RunningEngine> {
  await installCrossplaneCrds(client);
  let args: string[];
  if (values['from-source']) {
    args = ['--conditions=@trellis/source', '--import', 'tsx', resolve(import.meta.dirname, 'trellis-engine.ts')];
  } else {
    const prebuilt = values['engine-bundle'];
    if (prebuilt !== undefined) args = [resolve(prebuilt)];
    else {
      bundled ??= bundleEngine();
      args = [bundled];
    }
  }
  const memoryLog = values['memory-trace'] ? join(mkdtempSync(join(tmpdir(), 'trellis-engine-memory-')), 'memory.jsonl') : undefined;
  const snapshotFile = values['heap-snapshot'] === undefined ? undefined : resolve(values['heap-snapshot']);
  const profileFile = values['allocation-profile'] === undefined ? undefined : resolve(values['allocation-profile']);
  const diagnostics = [
    ...(profileFile === undefined ? [] : ['--allocation-profile', profileFile]),
    ...(memoryLog === undefined ? [] : ['--memory-log', memoryLog]),
    ...(snapshotFile === undefined ? [] : ['--heap-snapshot', snapshotFile]),
  ];
  const nodeFlags = [
    ...engineNodeFlags,
    ...(values['cpu-profile'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${resolve(values['cpu-profile'])}`]),
  ];
  const workers = values['trellis-workers'] === undefined ? [] : ['--workers', values['trellis-workers']];
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeFlags, ...args, '--kubeconfig', cp.kubeconfigPath, ...workers, ...diagnostics],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let snapshotWritten: (() => void) | undefined;
  const errLines: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    errLines.push(d);
    if (errLines.length > 50) errLines.shift();
  });
  await new Promise<void>((ok, fail) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const timer = setTimeout(() => fail(new Error(`the Trellis engine did not start in 120 s: ${errLines.join('')}`)), 120_000);
    rl.on('line', (line) => {
      if (line.trim() === 'snapshot') snapshotWritten?.();
      if (line.trim() === 'ready') {
        clearTimeout(timer);
        ok();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the Trellis engine exited with ${code}: ${errLines.join('')}`));
    });
  });
  const pid = child.pid as number;
  return {
    pids: () => [pid],
    logs: () => errLines.join('').split('\n').slice(-30).join('\n'),
    ...(memoryLog === undefined
      ? {}
      : {
          memoryTrace: () => {
            const summary = summariseMemoryLog(memoryLog);
            rmSync(dirname(memoryLog), { recursive: true, force: true });
            return summary;
          },
        }),
    ...(snapshotFile === undefined && profileFile === undefined
      ? {}
      : {
          heapSnapshot: () =>
            new Promise<void>((ok, fail) => {
              const timer = setTimeout(() => fail(new Error('the Trellis engine wrote no heap snapshot in 300 s')), 300_000);
              snapshotWritten = () => {
                clearTimeout(timer);
                ok();
              };
              child.kill('SIGUSR2');
            }),
        }),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function startCrossplane(cp: RealControlPlane): Promise<RunningEngine> {
  const peer = await startCrossplanePeer({ kubeconfigPath: cp.kubeconfigPath, progress: (l) => log(`  ${l}`) });
  return { pids: () => peer.pids(), stop: () => peer.stop(), logs: () => `${peer.logs('core', 30)}\n${peer.logs('function', 5)}` };
}

async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const conditionTrue = (o: KubeObject, type: string): boolean =>
  ((o as { status?: { conditions?: { type?: string; status?: string }[] } }).status?.conditions ?? []).some(
    (c) => c.type === type && c.status === 'True',
  );

/** WaitDefinitionReady waits for the XRD's Established and Offered conditions and a CompositionRevision. */
async function waitDefinitionReady(client: KubeClient, xrdName: string, compositionName: string): Promise<void> {
  await poll('the XRD to be Established and Offered', 120_000, async () => {
    const x = await client.get({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition', name: xrdName });
    return conditionTrue(x, 'Established') && conditionTrue(x, 'Offered') ? x : undefined;
  });
  await poll('a CompositionRevision', 120_000, async () => {
    const revs = await client.list(
      { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositionRevision' },
      { labelSelector: `crossplane.io/composition-name=${compositionName}` },
    );
    return revs.items.length > 0 ? revs : undefined;
  });
  await poll('the claim kind to be served', 60_000, async () => client.list(claimType, { namespace, limit: 1 }));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runOne(engine: EngineName, n: number): Promise<EngineRun> {
  log(`compare: ${engine}, ${n} claims: starting a control plane`);
  const cp = await startRealControlPlane();
  // A long request timeout: on a loaded machine an engine can keep the server busy for minutes.
  const client = await newKubeClient({ kubeconfigPath: cp.kubeconfigPath, userAgent: 'trellis-bench/driver', requestTimeoutMs: 300_000 });
  let running: RunningEngine | undefined;
  try {
    const t0 = performance.now();
    running = engine === 'trellis' ? await startTrellis(cp, client) : await startCrossplane(cp);
    const startSeconds = (performance.now() - t0) / 1000;
    log(`compare: ${engine} started in ${startSeconds.toFixed(1)} s (pids ${running.pids().join(', ')})`);
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    const x = xrd({ namespace });
    const c = composition({ namespace });
    await client.create(x);
    await client.create(c);
    await waitDefinitionReady(client, x.metadata.name ?? '', c.metadata.name ?? '');
    await sleep(2000);

    const pids = running.pids();
    const loadAverage = loadavg()[0] ?? 0;
    let loadAverageMax = loadAverage;
    const loadTimer = setInterval(() => {
      loadAverageMax = Math.max(loadAverageMax, loadavg()[0] ?? 0);
    }, 5000);
    const date = new Date().toISOString();
    const before = await scrapeRequestTotals(client);
    const u0 = sumUsage(pids);
    const sampler = sampleUsage(() => pids);
    const r = await createAndWaitReady({
      client,
      type: claimType,
      namespace,
      claims: Array.from({ length: n }, (_, i) => claim({ namespace, name: claimName(i) })),
      concurrency: Number(values.concurrency),
      timeoutMs: Number(values['ready-timeout-minutes']) * 60_000,
      partialOnTimeout: true,
      progress: (ready, totalClaims) => log(`  ${engine}: ${ready}/${totalClaims} Ready`),
    }).finally(() => clearInterval(loadTimer));
    const u1 = sumUsage(pids);
    const after = await scrapeRequestTotals(client);
    const run = diff(after, before);
    // The driver's own requests: one create per claim, its lists and watches of claims.
    subtract(run, 'POST benchapps', r.driverRequests.create);
    subtract(run, 'LIST benchapps', r.driverRequests.list);
    subtract(run, 'WATCH benchapps', r.driverRequests.watch);
    const cms = await client.listAll(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace, labelSelector: 'bench.trellis.dev/part', metadataOnly: true },
    );
    if (r.timedOut !== true && cms.items.length !== n * ComposedPerClaim)
      throw new Error(`${engine}: ${cms.items.length} composed ConfigMaps, want ${n * ComposedPerClaim}`);
    if (r.timedOut === true)
      log(
        `compare: ${engine}, ${n} claims: only ${r.readyCount} Ready after ${values['ready-timeout-minutes']} min (${cms.items.length} ConfigMaps)`,
      );
    log(
      `compare: ${engine}, ${n} claims: all Ready in ${r.allReadySeconds.toFixed(1)} s; writes: ${top(run, 8, (k) => counted(k) && isWrite(k))}`,
    );

    const out: EngineRun = {
      engine,
      claims: n,
      loadAverage,
      loadAverageMax,
      date,
      commit: treeCommit(),
      runtime: engine === 'trellis' ? trellisRuntime() : 'crossplane-core and function-patch-and-transform binaries (Go)',
      startSeconds,
      allReadySeconds: r.allReadySeconds,
      ...(r.timedOut === true ? { readyBeforeTimeout: r.readyCount } : {}),
      readyByMinute: Array.from(
        { length: Math.ceil(r.allReadySeconds / 60) },
        (_, i) => r.readyAtSeconds.filter((s) => s <= (i + 1) * 60).length,
      ),
      createSeconds: r.createSeconds,
      p50Ms: percentile(r.latenciesMs, 50),
      p99Ms: percentile(r.latenciesMs, 99),
      requestsPerClaim: total(run, counted) / n,
      writesPerClaim: total(run, (k) => counted(k) && isWrite(k)) / n,
      cpuSeconds: u1.cpuSeconds - u0.cpuSeconds,
      peakRssMiB: 0,
      writesTop: top(run, 10, (k) => counted(k) && isWrite(k)),
      steadyTop: 'none',
    };
    try {
      await sleep(settleSeconds * 1000);
      const s0 = await scrapeRequestTotals(client);
      const us0 = sumUsage(pids);
      await sleep(steadySeconds * 1000);
      const s1 = await scrapeRequestTotals(client);
      const us1 = sumUsage(pids);
      const steady = diff(s1, s0);
      const perMinute = (v: number): number => (v * 60) / steadySeconds;
      out.steadyWritesPerMinute = perMinute(total(steady, (k) => counted(k) && isWrite(k)));
      out.steadyRequestsPerMinute = perMinute(total(steady, counted));
      out.steadyCpuSecondsPerMinute = perMinute(us1.cpuSeconds - us0.cpuSeconds);
      out.steadyTop = top(steady, 6, (k) => counted(k) && isWrite(k)) || 'none';
      const claimsNow = await client.listAll(claimType, { namespace });
      out.readyAtEnd = claimsNow.items.filter((o) => readyStatus(o) === 'True').length;
    } catch (err) {
      // The run to Ready stands; the steady window is reported as not measured, with why.
      out.steadyTop = `not measured: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}`;
    }
    const usage = sampler.stop();
    out.peakRssMiB = Math.max(usage.peakRssBytes, usage.sampledPeakRssBytes) / 2 ** 20;
    if (running.memoryTrace !== undefined) log(running.memoryTrace());
    if (running.heapSnapshot !== undefined) {
      await running.heapSnapshot();
      log(
        `compare: ${engine}, ${n} claims: heap snapshot / allocation profile written (${[values['heap-snapshot'], values['allocation-profile']].filter((f) => f !== undefined).join(', ')})`,
      );
    }
    log(`compare: ${engine}, ${n} claims: ${JSON.stringify(out)}`);
    return out;
  } catch (err) {
    if (running !== undefined) console.error(`${engine} logs:\n${running.logs()}`);
    throw err;
  } finally {
    await running?.stop();
    client.close();
    await cp.stop();
  }
}

/** ReadyTimeline lists how many claims were Ready every 5 minutes after the first create (long runs only). */
function readyTimeline(r: EngineRun): string {
  const by = r.readyByMinute ?? [];
  if (by.length < 5) return '';
  const points = by.flatMap((n, i) => ((i + 1) % 5 === 0 ? [`${i + 1} min ${n}`] : []));
  return `Ready claims by time since the first create: ${points.join(', ')}; `;
}

/** TreeCommit is the measured source tree: HEAD, with `+dirty` when tracked files differ from it. */
function treeCommit(): string {
  try {
    const cwd = resolve(import.meta.dirname, '../..');
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8' }).trim() !== '';
    return `${head}${dirty ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

function subtract(c: RequestCounts, key: string, n: number): void {
  const v = (c.get(key) ?? 0) - n;
  if (v === 0) c.delete(key);
  else c.set(key, v);
}

const rec = recorder({
  pillar: 'compare',
  title: `Trellis and ${peerName} (with function-patch-and-transform over mTLS) reconciling the same v1 XRD, Composition and claims, 5 ConfigMaps per claim`,
  command: 'node --conditions=@trellis/source --import tsx bench/compare/run.ts',
  args: bargs,
});

const results: EngineRun[] = [];
const failures = new Map<string, string>();
const previous: EngineRun[] =
  values.runs !== undefined && existsSync(values.runs)
    ? readFileSync(values.runs, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as EngineRun)
    : [];
for (const n of sizes) {
  for (const e of engines) {
    // The newest recorded run of an engine and size counts (a rerun appends a newer line).
    const reused = [...previous].reverse().find((r) => r.engine === e && r.claims === n);
    if (reused !== undefined) {
      log(`compare: ${e}, ${n} claims: reusing the run recorded in ${values.runs}`);
      results.push(reused);
      continue;
    }
    try {
      const r = await runOne(e, n);
      results.push(r);
      if (values.runs !== undefined) appendFileSync(values.runs, `${JSON.stringify(r)}\n`);
    } catch (err) {
      // One engine failing at one size (e.g. not all Ready within the timeout) is a result too.
      const msg = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
      failures.set(`${e}/${n}`, msg);
      log(`compare: ${e}, ${n} claims: FAILED: ${msg}`);
    }
  }
}

for (const n of sizes) {
  const t = results.find((r) => r.engine === 'trellis' && r.claims === n);
  const x = results.find((r) => r.engine === 'crossplane' && r.claims === n);
  const group = `${n.toLocaleString('en-US')} claims × ${ComposedPerClaim} ConfigMaps`;
  for (const e of engines) {
    const f = failures.get(`${e}/${n}`);
    if (f !== undefined) rec.note(`${e === 'trellis' ? 'Trellis' : peerName}, ${n} claims: did not complete: ${f}`);
  }
  const main = t ?? x;
  if (main === undefined) continue;
  const only = t === undefined ? ' (Crossplane only)' : x === undefined ? ' (Trellis only)' : '';
  const add = (
    name: string,
    pick: (r: EngineRun) => number | undefined,
    unit: string,
    goal?: { op: '<=' | '>=' | '=='; target: number; on?: 'value' | 'ratio'; text: string },
  ): void => {
    const value = pick(main);
    if (value === undefined) return;
    const peerValue = x === undefined || t === undefined ? undefined : pick(x);
    const partial = [t, x].filter((r) => r?.readyBeforeTimeout !== undefined) as EngineRun[];
    const note = partial
      .map((r) => `${r.engine === 'trellis' ? 'Trellis' : 'Crossplane'}: only ${r.readyBeforeTimeout} of ${r.claims} Ready by the deadline`)
      .join('; ');
    rec.add({
      group,
      name: `${name}${only}`,
      value,
      unit,
      ...(note === '' ? {} : { note }),
      ...(peerValue !== undefined ? { peer: peerName, peerValue } : {}),
      ...(goal !== undefined && t !== undefined && (goal.on !== 'ratio' || x !== undefined) ? { goal } : {}),
    });
  };
  add('time to all Ready', (r) => r.allReadySeconds, 's', { op: '<=', target: 1 / 3, on: 'ratio', text: '≥3x faster' });
  add('claim-to-Ready p50', (r) => r.p50Ms, 'ms');
  add('claim-to-Ready p99', (r) => r.p99Ms, 'ms');
  add('API requests per claim', (r) => r.requestsPerClaim, 'req');
  add('API writes per claim', (r) => r.writesPerClaim, 'writes', { op: '<=', target: 1 / 3, on: 'ratio', text: '≤1/3 of the writes' });
  add('engine CPU to all Ready', (r) => r.cpuSeconds, 'CPU s');
  add('engine peak RSS', (r) => r.peakRssMiB, 'MiB', { op: '<=', target: 0.5, on: 'ratio', text: '≤1/2 of the memory' });
  add('API writes per minute, steady state', (r) => r.steadyWritesPerMinute, 'writes/min', { op: '==', target: 0, text: '0 writes' });
  add('API requests per minute, steady state', (r) => r.steadyRequestsPerMinute, 'req/min');
  add('engine CPU per minute, steady state', (r) => r.steadyCpuSecondsPerMinute, 'CPU s/min');
  add('claims Ready after the steady window', (r) => r.readyAtEnd, 'claims');
  for (const r of [t, x]) {
    if (r === undefined) continue;
    rec.note(
      `${r.engine === 'trellis' ? 'Trellis' : peerName}, ${n} claims (run ${r.date?.slice(0, 16).replace('T', ' ') ?? 'date unknown'} UTC, commit ${r.commit ?? 'unknown'}): started in ${r.startSeconds.toFixed(1)} s; ` +
        `load average ${r.loadAverage?.toFixed(1) ?? 'unknown'} when the claims were created (highest until all Ready: ${r.loadAverageMax?.toFixed(1) ?? 'unknown'}); ` +
        `ran as ${r.runtime ?? (r.engine === 'trellis' ? 'node + tsx, from the TypeScript sources' : 'Go binaries')}; ` +
        `claims Ready after the steady window: ${r.readyAtEnd ?? 'not measured'} of ${r.claims}; ${readyTimeline(r)}creating them took ${r.createSeconds.toFixed(1)} s; ` +
        `writes to Ready: ${r.writesTop}; steady-state writes over ${steadySeconds} s: ${r.steadyTop}.`,
    );
  }
}
rec.note(
  "Each engine runs on its own fresh private control plane (same binaries, flags and machine), so neither sees the other's objects; " +
    `the driver creates claims ${values.concurrency} at a time and times each to Ready from one watch.`,
);
rec.note(
  "API requests come from the server's apiserver_request_total, minus the driver's own creates, lists and watches of claims; leases, auth reviews and " +
    'non-resource URLs (discovery, /metrics) are left out: the API server and kube-controller-manager make them whatever the engine.',
);
rec.note(
  `Crossplane runs with its defaults (--max-concurrent-reconciles=100, poll 1 m, realtime compositions on, no client-side rate limit in controller-runtime v0.23); ` +
    'its CPU and memory are core plus function-patch-and-transform. ' +
    (values['trellis-workers'] === undefined
      ? 'Trellis runs with its defaults (4 workers per controller, built-in functions in-process, poll 60 s).'
      : `Trellis runs with ${values['trellis-workers']} workers per controller (--trellis-workers; default 4), built-in functions in-process, poll 60 s.`),
);
for (const n of values.note ?? []) rec.note(n);
rec.note(`Steady state: after ${settleSeconds} s of settling, ${steadySeconds} s with nothing changing (at least two poll intervals).`);
if (bundled !== undefined) rmSync(dirname(bundled), { recursive: true, force: true });
const result = rec.finish();
for (const f of result.figures) {
  const peer = f.peerValue === undefined ? '' : `  ${peerName}: ${f.peerValue} (ratio ${f.ratio ?? '-'})`;
  log(
    `${(f.group ?? '').padEnd(28)} ${f.name.padEnd(44)} ${String(f.value).padStart(10)} ${f.unit}${peer}${f.met === undefined ? '' : f.met ? ' goal met' : ' goal NOT met'}`,
  );
}
