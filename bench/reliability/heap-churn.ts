// What grows in the controllers' heap under churn, cycle by cycle: a controlled experiment to
// confirm (or rule out) a leak the soak's memory verdict points at. It starts the embedded API
// server as its own process, a TCP proxy in front of it, and the Trellis controllers (`trellis up
// --kubeconfig`) with the heap probe preloaded (bench/reliability/heap-probe.mjs: full GC, then
// `process.memoryUsage()`, or a heap snapshot, on request over IPC). Then it runs N cycles; each
// cycle creates claims (unique names), waits until they are Ready, updates them, waits until the
// update is composed, deletes them and waits until the claims, their XRs and composed ConfigMaps
// are gone; optionally installs a Configuration package, uses it and uninstalls it (the soak's
// package churn), and cuts every watch connection. After each cycle nothing the experiment made is
// left, so the heap after GC must come back to the same level: a leak shows as linear growth per
// cycle (the least-squares slope printed at the end), a bounded cache as growth that levels off.
//
//   node --conditions=@trellis/source --import tsx bench/reliability/heap-churn.ts \
//     [--cycles 40] [--claims 20] [--packages 1] [--cut] [--snapshots 5,40] [--warmup-cycles 5] [--debug] [--out DIR]
//
// --packages N: N Configuration install/use/uninstall cycles per cycle (0: claims only; needs the
// local registry: bash test/infra/registry/prepare.sh). --snapshots: write heap snapshots after
// these cycles into --out; diff two with bench/reliability/heap-diff.ts to see which constructors
// and retainers grew. Prints one line per cycle and writes heap-churn.json into --out, with the
// controllers' log (controllers.log; --debug runs them with debug logs).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { KubeClient } from '@trellis/kube';
import { isNotFound, newKubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { startTcpProxy } from '../../test/harness/tcp-proxy.ts';
import { isReady } from '../../test/reliability/support/check.ts';
import { slope } from '../../test/reliability/support/memory.ts';
import { ConfigurationType, pushSoakPackage, type SoakPackage, soakPackage } from '../../test/reliability/support/packages.ts';
import { repoRoot, startEmbeddedProcess } from '../../test/reliability/support/processes.ts';
import { retrying } from '../../test/reliability/support/retry.ts';
import { installApis, pool } from '../../test/reliability/support/rollout.ts';
import { appClaim, newWorkload, RunLabel, type Workload } from '../../test/reliability/support/workload.ts';
import { type Registry, registryAvailable, startRegistry } from '../../test/xpkg/support/registry.ts';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '40' },
    claims: { type: 'string', default: '20' },
    packages: { type: 'string', default: '1' },
    cut: { type: 'boolean', default: false },
    debug: { type: 'boolean', default: false },
    snapshots: { type: 'string', default: '' },
    'warmup-cycles': { type: 'string', default: '5' },
    out: { type: 'string', default: 'tmp/heap-churn' },
  },
});
const cycles = Number(values.cycles);
const claimsPerCycle = Number(values.claims);
const packagesPerCycle = Number(values.packages);
const warmup = Number(values['warmup-cycles']);
const snapshotAt = new Set(
  values.snapshots
    .split(',')
    .filter((s) => s !== '')
    .map(Number),
);
const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const MiB = 1024 * 1024;
const stamp = (): string => new Date().toISOString().slice(11, 19);
const say = (line: string): void => console.log(`${stamp()} ${line}`);

// ----- the controllers process with the probe ----------------------------------------------------

interface ProbeReading {
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

interface Probed {
  child: ChildProcess;
  gc(): Promise<ProbeReading>;
  snapshot(path: string): Promise<string>;
  stop(): Promise<void>;
}

async function startControllers(kubeconfigPath: string, dir: string, logPath: string, debug: boolean): Promise<Probed> {
  const args = [
    '--expose-gc',
    '--import',
    join(repoRoot, 'bench/reliability/heap-probe.mjs'),
    join(repoRoot, 'packages/cli/bin/trellis.js'),
    'up',
    '--kubeconfig',
    kubeconfigPath,
    '--data-dir',
    join(dir, 'data'),
    ...(debug ? ['--debug'] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let tail = '';
  const logFile = createWriteStream(logPath, { flags: 'a' });
  child.stderr?.on('data', (d: Buffer) => {
    logFile.write(d);
    tail = (tail + d.toString('utf8')).slice(-8000);
  });
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      logFile.end();
      r();
    }),
  );
  await new Promise<void>((ok, fail) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error(`trellis up was not ready within 180 s:\n${tail}`)), 180_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
      if (stdout.includes('trellis is up')) {
        clearTimeout(timer);
        ok();
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      fail(new Error(`trellis up exited (${code ?? sig}) before it was ready:\n${tail}`));
    });
  });
  const ask = <T>(msg: Record<string, unknown>): Promise<T> =>
    new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`the heap probe did not answer ${JSON.stringify(msg)} within 300 s`)), 300_000);
      const onMessage = (m: unknown): void => {
        const r = m as { probe?: string; error?: string };
        if (r.probe !== msg.probe) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        if (r.error !== undefined) fail(new Error(`heap probe: ${r.error}`));
        else ok(m as T);
      };
      child.on('message', onMessage);
      child.send(msg);
    });
  return {
    child,
    gc: () => ask<ProbeReading>({ probe: 'gc' }),
    snapshot: async (path) => (await ask<{ path: string }>({ probe: 'snapshot', path })).path,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(t);
    },
  };
}

// ----- waiting ------------------------------------------------------------------------------------

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const configMapsOf = async (client: KubeClient, ns: string, selector: string): Promise<KubeObject[]> =>
  (await client.listAll({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns, labelSelector: selector })).items;

async function deleteIgnoringMissing(client: KubeClient, ref: Parameters<KubeClient['delete']>[0]): Promise<void> {
  await retrying(`delete ${ref.kind} ${ref.name}`, async () => {
    try {
      await client.delete(ref);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  });
}

// ----- one cycle ------------------------------------------------------------------------------------

/** ClaimCycle creates, updates and deletes `n` app claims with names unique to this cycle. */
async function claimCycle(client: KubeClient, w: Workload, cycle: number, n: number): Promise<void> {
  const claims = Array.from({ length: n }, (_, i) => ({ ns: w.namespaces[i % w.namespaces.length] ?? 'default', name: `c${cycle}-${i}` }));
  const ref = (c: { ns: string; name: string }) => ({ ...w.app.claim, namespace: c.ns, name: c.name });
  await pool(claims, 8, async (c) => {
    await retrying(`create claim ${c.ns}/${c.name}`, () => client.create(appClaim(w, c.ns, c.name, 1)), 180_000, ['KUBE_NOT_FOUND']);
  });
  const composedGen = async (gen: string): Promise<boolean> => {
    for (const ns of w.namespaces) {
      const cms = await configMapsOf(client, ns, `${RunLabel}=${w.run}`);
      const mine = cms.filter((o) => (o.metadata.labels?.['crossplane.io/claim-name'] ?? '').startsWith(`c${cycle}-`));
      if (mine.length !== claims.filter((c) => c.ns === ns).length * 5) return false;
      if (!mine.every((o) => (o as { data?: Record<string, string> }).data?.gen === gen)) return false;
    }
    return true;
  };
  await until(`cycle ${cycle}: ${n} claims Ready`, async () => {
    for (const c of claims) if (!isReady(await client.getIfExists(ref(c)))) return false;
    return composedGen('1');
  });
  await pool(claims, 8, async (c) => {
    await retrying(`update claim ${c.ns}/${c.name}`, () => client.patch(ref(c), { type: 'merge', patch: { spec: { gen: '2' } } }));
  });
  await until(`cycle ${cycle}: the update composed`, () => composedGen('2'));
  await pool(claims, 8, (c) => deleteIgnoringMissing(client, ref(c)));
  await until(`cycle ${cycle}: claims, XRs and ConfigMaps gone`, async () => {
    for (const c of claims) if ((await client.getIfExists(ref(c))) !== undefined) return false;
    const xrs = (await client.listAll(w.app.xr)).items;
    if (xrs.length > 0) return false;
    for (const ns of w.namespaces) if ((await configMapsOf(client, ns, `${RunLabel}=${w.run}`)).length > 0) return false;
    return true;
  });
}

/** PackageCycle installs a Configuration, composes two claims of its API, and uninstalls it. */
async function packageCycle(client: KubeClient, w: Workload, p: SoakPackage, cycle: number): Promise<void> {
  const ns = w.namespaces[0] ?? 'default';
  const names = [`w-${cycle}-0`, `w-${cycle}-1`];
  const claimRef = (n: string) => ({ ...p.claim, namespace: ns, name: n });
  await retrying('create the Configuration', () =>
    client.create({ ...ConfigurationType, metadata: { name: p.name }, spec: { package: p.ref('v1') } }),
  );
  await until(`${p.claim.kind}.${p.claim.apiVersion} served`, async () => {
    client.invalidateDiscovery();
    await client.list(p.claim, { namespace: ns, limit: 1 });
    return true;
  });
  for (const n of names) {
    await retrying(
      `create ${p.claim.kind} ${n}`,
      () => client.create({ ...p.claim, metadata: { name: n, namespace: ns }, spec: { note: `cycle ${cycle}` } }),
      180_000,
      ['KUBE_NOT_FOUND', 'KUBE_NO_KIND_MATCH'],
    );
  }
  await until(`the claims of ${p.name} Ready`, async () => {
    for (const n of names) if (!isReady(await client.getIfExists(claimRef(n)))) return false;
    return true;
  });
  for (const n of names) await deleteIgnoringMissing(client, claimRef(n));
  await until(`the claims of ${p.name} and their ConfigMaps gone`, async () => {
    for (const n of names) if ((await client.getIfExists(claimRef(n))) !== undefined) return false;
    return (await configMapsOf(client, ns, `${RunLabel}=${w.run}-pkg`)).length === 0;
  });
  await deleteIgnoringMissing(client, { ...ConfigurationType, name: p.name });
  await until(`the XRD of ${p.name} gone`, async () => {
    const x = await client.getIfExists({
      apiVersion: 'apiextensions.crossplane.io/v1',
      kind: 'CompositeResourceDefinition',
      name: p.xrdName,
    });
    return x === undefined;
  });
}

// ----- the run --------------------------------------------------------------------------------------

interface Row {
  cycle: number;
  heapUsedMiB: number;
  externalMiB: number;
  rssMiB: number;
  seconds: number;
  load: number;
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

const dir = mkdtempSync(join(tmpdir(), 'trellis-heap-churn-'));
const run = `hc-${Math.random().toString(36).slice(2, 7)}`;
const w = newWorkload(run, 2);
const cleanups: (() => Promise<void>)[] = [];
// Ctrl-C or SIGTERM: stop what was started (the API server, registry, controllers), then exit.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void (async () => {
      for (const c of cleanups.reverse()) await c().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    })();
  });
}
console.log(
  `heap-churn ${run}: ${cycles} cycles x (${claimsPerCycle} claims${packagesPerCycle > 0 ? `, ${packagesPerCycle} package cycles` : ''}${values.cut ? ', watch cut' : ''}); cpus=${cpus().length} load=${loadavg()[0]?.toFixed(1)}`,
);
try {
  const server = await startEmbeddedProcess({ dataDir: join(dir, 'embedded-data'), logPath: join(dir, 'apiserver.log'), historySize: 200 });
  cleanups.push(async () => {
    server.signal('SIGTERM');
    await server.gone;
  });
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
  cleanups.push(() => proxy.close());
  const proxied = proxy.kubeconfig(server.kubeconfigPath, join(dir, 'kubeconfig-proxied'));
  const client = await newKubeClient({ kubeconfigPath: server.kubeconfigPath, userAgent: 'trellis-heap-churn' });
  cleanups.push(async () => client.close());
  let registry: Registry | undefined;
  const packages: SoakPackage[] = [];
  if (packagesPerCycle > 0) {
    if (!registryAvailable()) throw new Error('docker-registry is missing: run bash test/infra/registry/prepare.sh (or pass --packages 0)');
    const r = await startRegistry('anonymous');
    registry = r;
    cleanups.push(() => r.stop());
    for (let i = 0; i < packagesPerCycle; i++) {
      const p = soakPackage(run, i, r.host);
      await pushSoakPackage(p, run, 'v1');
      packages.push(p);
    }
  }
  const controllers = await startControllers(proxied, dir, join(out, 'controllers.log'), values.debug);
  cleanups.push(() => controllers.stop());
  say(
    `controllers up (pid ${controllers.child.pid}); API server pid ${server.pid}${registry === undefined ? '' : `; registry ${registry.host}`}`,
  );
  await installApis(client, w);

  const rows: Row[] = [];
  const t0 = performance.now();
  const first = await controllers.gc();
  say(`cycle 0: heap ${round(first.heapUsed / MiB)} MiB after GC (before any claim)`);
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const c0 = performance.now();
    await claimCycle(client, w, cycle, claimsPerCycle);
    for (const p of packages) await packageCycle(client, w, p, cycle);
    if (values.cut) proxy.cut();
    const m = await controllers.gc();
    const row: Row = {
      cycle,
      heapUsedMiB: round(m.heapUsed / MiB),
      externalMiB: round(m.external / MiB),
      rssMiB: round(m.rss / MiB),
      seconds: round((performance.now() - c0) / 1000, 1),
      load: round(loadavg()[0] ?? 0, 1),
    };
    rows.push(row);
    const base = (rows.length >= warmup ? rows[warmup - 1] : rows[0]) ?? row;
    say(
      `cycle ${cycle}: heap ${row.heapUsedMiB} MiB (${row.heapUsedMiB - base.heapUsedMiB >= 0 ? '+' : ''}${round(row.heapUsedMiB - base.heapUsedMiB)} since cycle ${base.cycle}), external ${row.externalMiB}, rss ${row.rssMiB}; ${row.seconds} s; load ${row.load}`,
    );
    if (snapshotAt.has(cycle)) {
      const path = await controllers.snapshot(join(out, `controllers-cycle-${cycle}.heapsnapshot`));
      say(`snapshot: ${path}`);
    }
  }
  const after = rows.filter((r) => r.cycle > warmup);
  const perCycle = slope(after.map((r) => ({ t: r.cycle, v: r.heapUsedMiB })));
  const perClaimKiB = (perCycle * 1024) / Math.max(1, claimsPerCycle);
  const summary = {
    run,
    date: new Date().toISOString(),
    cycles,
    claimsPerCycle,
    packagesPerCycle,
    cut: values.cut,
    warmupCycles: warmup,
    cpus: cpus().length,
    slopeMiBPerCycle: round(perCycle, 3),
    slopeKiBPerClaim: round(perClaimKiB, 1),
    wallSeconds: round((performance.now() - t0) / 1000, 0),
    rows,
  };
  writeFileSync(join(out, 'heap-churn.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(
    `\nheap after GC, cycles ${warmup + 1}-${cycles}: slope ${summary.slopeMiBPerCycle} MiB/cycle (${summary.slopeKiBPerClaim} KiB per claim created and deleted); report ${join(out, 'heap-churn.json')}`,
  );
} catch (err) {
  console.log(`heap-churn could not run: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.log(`cleanup failed: ${String(err)}`));
  rmSync(dir, { recursive: true, force: true });
}
