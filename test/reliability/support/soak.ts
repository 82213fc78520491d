// The soak, shared by the 10-minute CI version (test/reliability/soak.test.ts) and the 2-hour run
// for the record (bench/reliability/soak.ts): continuous churn against the Trellis controllers
// running as their own process (`trellis up --kubeconfig`) on a private API server:
//
// - ConfigMap claims are created, updated (a new `spec.gen` every composed ConfigMap must show)
//   and deleted at a steady rate, the number alive staying in a band around a target;
// - provider-managed claims (a PowerDNS zone and an Alertmanager silence each) are created and
//   deleted more slowly;
// - Configuration packages cycle: installed from the registry (an XRD and a Composition), claims
//   of the new API created and Ready, the package upgraded (the claims' composed resources move
//   to the new Composition), claims deleted, the package removed (its XRD and API go away);
// - every few minutes, every watch connection of the controllers is cut.
//
// At checkpoints the churn pauses; everything must converge (see check.ts), and informers
// following every kind involved must agree with fresh LISTs (see audit.ts). Memory of the
// controllers, the API server and the provider is sampled throughout and judged after warm-up
// (see memory.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isNotFound, newKubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { type CheckpointResult, WatchAudit } from './audit.ts';
import { type ClaimIntent, type Inspection, inspect, isReady, listClaims, notReady } from './check.ts';
import { type Sample, type SeriesVerdict, type Tracked, takeSample, verdict } from './memory.ts';
import { ConfigurationType, pushSoakPackage, type SoakPackage, soakPackage } from './packages.ts';
import { isAlive } from './processes.ts';
import { retrying } from './retry.ts';
import { installApis, pool, rng, Writer } from './rollout.ts';
import { type ServerKind, startTopology, type Topology } from './topology.ts';
import { newWorkload, providerConfigType, RunLabel, silenceMrType, type Workload, zoneMrType } from './workload.ts';

export interface SoakOptions {
  server: ServerKind;
  durationMs: number;
  /** WarmupMs: memory before this is not judged. */
  warmupMs: number;
  checkpointEveryMs: number;
  sampleEveryMs: number;
  /** CutEveryMs: every watch connection is cut this often (0: never). */
  cutEveryMs: number;
  /** OpsPerSecond of the ConfigMap-claim churn. */
  opsPerSecond: number;
  targetApps: number;
  targetZones: number;
  /** ZoneOpEveryMs: one provider-claim create or delete this often. */
  zoneOpEveryMs: number;
  /** Packages cycling (0: no package churn). */
  packages: number;
  /**
   * HistorySize sets the embedded API server's watch history per resource. The history is a ring
   * of that many events per resource (the server's default is 20,000), so the API server's heap
   * grows until the rings of the busy resources are full: a bounded cache, but one that takes
   * longer than a short soak's warm-up to fill. A short soak sets a small history so that it is
   * full before memory is judged; what still grows then is not the history.
   */
  historySize?: number;
  /**
   * EventTtlMs sets how long the embedded API server keeps Events (its default is 1 h, as
   * kube-apiserver's `--event-ttl`). Events live that long after their last write, so their number
   * keeps rising for one TTL before it levels off: a bounded set, but one a 20-minute warm-up does
   * not see full. A soak that judges memory sets a TTL shorter than its warm-up.
   */
  eventTtlMs?: number;
  seed?: number;
  run?: string;
  log?: (line: string) => void;
  reportPath?: string;
}

export interface CheckpointReport {
  t: number;
  /** ConvergeMs: from the pause to everything converged (-1: not within the deadline). */
  convergeMs: number;
  counts: Inspection['counts'];
  audit: CheckpointResult;
  violations: string[];
}

export interface SoakReport {
  server: ServerKind;
  run: string;
  seed: number;
  started: string;
  durationS: number;
  warmupS: number;
  ops: { creates: number; updates: number; deletes: number; zoneCreates: number; zoneDeletes: number; cuts: number };
  packages: { cycles: number; failed: number; cycleSeconds: number[] };
  checkpoints: CheckpointReport[];
  transitions: number;
  samples: Sample[];
  memory: SeriesVerdict[];
  violations: string[];
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((r) => {
    if (signal?.aborted === true) {
      r();
      return;
    }
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      r();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Stopped is thrown out of a package cycle when the soak ends in the middle of it. */
class Stopped extends Error {}

/** Gate pauses the churn at checkpoints: `pause()` resolves once no write is in flight. */
class Gate {
  private paused = false;
  private inflight = 0;
  private waiters: (() => void)[] = [];
  private idle: (() => void)[] = [];
  get isPaused(): boolean {
    return this.paused;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    while (this.paused) await new Promise<void>((r) => this.waiters.push(r));
    this.inflight++;
    try {
      return await fn();
    } finally {
      this.inflight--;
      if (this.inflight === 0) for (const f of this.idle.splice(0)) f();
    }
  }
  async pause(): Promise<void> {
    this.paused = true;
    while (this.inflight > 0) await new Promise<void>((r) => this.idle.push(r));
  }
  resume(): void {
    this.paused = false;
    for (const f of this.waiters.splice(0)) f();
  }
}

async function until(what: string, deadlineMs: number, signal: AbortSignal, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    if (signal.aborted) throw new Stopped(`stopped while waiting for ${what}`);
    try {
      if (await check()) return;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${deadlineMs / 1000}s waiting for ${what}${last === undefined ? '' : `: ${(last as Error).message}`}`,
      );
    }
    await sleep(1_000, signal);
  }
}

/** PackageCycle installs, uses, upgrades and removes one Configuration package. */
async function packageCycle(top: Topology, gate: Gate, p: SoakPackage, w: Workload, cycle: number, signal: AbortSignal): Promise<void> {
  const c = top.client;
  const ns = w.namespaces[0] ?? 'default';
  const names = [`w-${cycle}-0`, `w-${cycle}-1`];
  const cms = async (): Promise<KubeObject[]> =>
    (await c.listAll({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns, labelSelector: `${RunLabel}=${w.run}-pkg` })).items.filter(
      (o) => names.includes(o.metadata.labels?.['crossplane.io/claim-name'] ?? ''),
    );
  const claimRef = (n: string) => ({ ...p.claim, namespace: ns, name: n });
  await gate.run(() =>
    retrying('create the Configuration', () =>
      c.create({ ...ConfigurationType, metadata: { name: p.name }, spec: { package: p.ref('v1') } }),
    ),
  );
  await until(`${p.claim.kind}.${p.claim.apiVersion} to be served`, 300_000, signal, async () => {
    c.invalidateDiscovery();
    await c.list(p.claim, { namespace: ns, limit: 1 });
    return true;
  });
  await gate.run(async () => {
    for (const n of names) {
      await retrying(
        `create ${p.claim.kind} ${n}`,
        () => c.create({ ...p.claim, metadata: { name: n, namespace: ns }, spec: { note: `cycle ${cycle}` } }),
        180_000,
        ['KUBE_NOT_FOUND', 'KUBE_NO_KIND_MATCH'],
      );
    }
  });
  const composedAt = async (version: string): Promise<boolean> => {
    for (const n of names) if (!isReady(await c.getIfExists(claimRef(n)))) return false;
    const list = await cms();
    return list.length === names.length && list.every((o) => (o as { data?: Record<string, string> }).data?.version === version);
  };
  await until(`the claims of ${p.name} v1 to be Ready`, 300_000, signal, () => composedAt('v1'));
  await gate.run(() =>
    retrying('upgrade the Configuration', () =>
      c.patch({ ...ConfigurationType, name: p.name }, { type: 'merge', patch: { spec: { package: p.ref('v2') } } }),
    ),
  );
  await until(`the claims of ${p.name} to move to v2`, 300_000, signal, () => composedAt('v2'));
  await gate.run(async () => {
    for (const n of names) {
      await retrying(`delete ${p.claim.kind} ${n}`, async () => {
        try {
          await c.delete(claimRef(n));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      });
    }
  });
  await until(`the claims of ${p.name} and their ConfigMaps to be gone`, 300_000, signal, async () => {
    for (const n of names) if ((await c.getIfExists(claimRef(n))) !== undefined) return false;
    return (await cms()).length === 0;
  });
  await gate.run(() =>
    retrying('delete the Configuration', async () => {
      try {
        await c.delete({ ...ConfigurationType, name: p.name });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }),
  );
  await until(`the XRD ${p.xrdName} of ${p.name} to be gone`, 300_000, signal, async () => {
    const x = await c.getIfExists({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition', name: p.xrdName });
    return x === undefined;
  });
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => {});
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = rng(seed);
  const run = o.run ?? `soak-${Math.random().toString(36).slice(2, 8)}`;
  const w = newWorkload(run);
  const reportDir = mkdtempSync(join(tmpdir(), 'trellis-rel-reports-'));
  const t0 = Date.now();
  const elapsed = (): number => Math.round((Date.now() - t0) / 1000);
  const report: SoakReport = {
    server: o.server,
    run,
    seed,
    started: new Date(t0).toISOString(),
    durationS: 0,
    warmupS: Math.round(o.warmupMs / 1000),
    ops: { creates: 0, updates: 0, deletes: 0, zoneCreates: 0, zoneDeletes: 0, cuts: 0 },
    packages: { cycles: 0, failed: 0, cycleSeconds: [] },
    checkpoints: [],
    transitions: 0,
    samples: [],
    memory: [],
    violations: [],
  };
  const violate = (v: string): void => {
    report.violations.push(v);
    log(`VIOLATION: ${v}`);
  };
  const save = (): void => {
    report.durationS = elapsed();
    if (o.reportPath !== undefined) writeFileSync(o.reportPath, `${JSON.stringify(report, null, 2)}\n`);
  };
  log(`soak ${run} on ${o.server}: ${o.durationMs / 60_000} min, seed ${seed}`);
  const top = await startTopology({
    server: o.server,
    withProvider: true,
    reportDir,
    log,
    ...(o.historySize === undefined ? {} : { historySize: o.historySize }),
    ...(o.eventTtlMs === undefined ? {} : { eventTtlMs: o.eventTtlMs }),
  });
  const auditClient = await newKubeClient({ kubeconfigPath: top.proxiedKubeconfig, userAgent: 'trellis-reliability-audit' });
  let audit: WatchAudit | undefined;
  const stop = new AbortController();
  try {
    if (top.pdns === undefined || top.am === undefined || top.registry === undefined)
      throw new Error('the soak needs the provider topology');
    await installApis(top.client, w, { pdns: top.pdns, am: top.am });
    const packages = Array.from({ length: o.packages }, (_, i) => soakPackage(run, i, top.registry?.host ?? ''));
    for (const p of packages) for (const v of ['v1', 'v2']) await pushSoakPackage(p, run, v);

    audit = new WatchAudit({
      client: auditClient,
      types: [
        { name: 'app claims', type: w.app.claim, labelSelector: `${RunLabel}=${run}` },
        { name: 'zone claims', type: w.zone.claim, labelSelector: `${RunLabel}=${run}` },
        { name: 'app XRs', type: w.app.xr },
        { name: 'zone XRs', type: w.zone.xr },
        { name: 'ConfigMaps', type: { apiVersion: 'v1', kind: 'ConfigMap' } },
        { name: 'Zones', type: zoneMrType },
        { name: 'Silences', type: silenceMrType },
        { name: 'ProviderConfigs', type: providerConfigType },
        { name: 'Configurations', type: ConfigurationType },
        { name: 'ConfigurationRevisions', type: { apiVersion: 'pkg.crossplane.io/v1', kind: 'ConfigurationRevision' } },
        { name: 'XRDs', type: { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition' } },
        { name: 'Compositions', type: { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition' } },
        { name: 'CompositionRevisions', type: { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositionRevision' } },
      ],
    });
    await audit.start();
    const writer = new Writer(top.client, w);
    const gate = new Gate();
    const tracked: Tracked[] = [
      { name: 'controllers', pid: () => top.controllers.pid(), reportDir },
      { name: 'apiserver', pid: () => top.server.pid(), ...(o.server === 'embedded' ? { reportDir } : {}) },
      { name: 'provider', pid: () => top.providerPids().filter(isAlive)[0] },
    ];

    // Fill to the target, then churn.
    const ns = (i: number): string => w.namespaces[i % w.namespaces.length] ?? 'default';
    let seq = 0;
    const appName = (): string => `a-${seq++}`;
    await pool(
      Array.from({ length: o.targetApps }, (_, i) => i),
      8,
      (i) => writer.createApp(ns(i), appName()),
    );
    let zseq = 0;
    for (let i = 0; i < o.targetZones; i++) await writer.createZone(ns(i), `z-${zseq++}`);
    report.ops.creates += o.targetApps;
    report.ops.zoneCreates += o.targetZones;
    log(`filled: ${o.targetApps} app claims, ${o.targetZones} provider claims`);

    const loops: Promise<void>[] = [];
    const running = (): boolean => !stop.signal.aborted;
    const pick = (xs: ClaimIntent[]): ClaimIntent | undefined => xs[Math.floor(random() * xs.length)];

    // ConfigMap-claim churn: updates half of the time; creates and deletes keep the band.
    loops.push(
      (async () => {
        const interval = 1000 / o.opsPerSecond;
        const lo = Math.floor(o.targetApps * 0.8);
        const hi = Math.ceil(o.targetApps * 1.2);
        while (running()) {
          const began = Date.now();
          await gate.run(async () => {
            const live = writer.ledger.live('app');
            const r = random();
            let op: 'create' | 'update' | 'delete' = r < 0.5 ? 'update' : r < 0.75 ? 'create' : 'delete';
            if (op === 'create' && live.length >= hi) op = 'delete';
            if (op === 'delete' && live.length <= lo) op = 'create';
            const c = pick(live);
            if (op === 'update' && c !== undefined) {
              await writer.bump(c);
              report.ops.updates++;
            } else if (op === 'delete' && c !== undefined) {
              await writer.remove(c);
              report.ops.deletes++;
            } else {
              await writer.createApp(ns(seq), appName());
              report.ops.creates++;
            }
          });
          await sleep(Math.max(0, interval - (Date.now() - began)), stop.signal);
        }
      })(),
    );

    // Provider-claim churn.
    loops.push(
      (async () => {
        while (running()) {
          await sleep(o.zoneOpEveryMs, stop.signal);
          if (!running()) break;
          await gate.run(async () => {
            const live = writer.ledger.live('zone');
            const create = live.length < o.targetZones || (live.length <= o.targetZones * 1.5 && random() < 0.5);
            const c = pick(live);
            if (create || c === undefined) {
              await writer.createZone(ns(zseq), `z-${zseq++}`);
              report.ops.zoneCreates++;
            } else {
              await writer.remove(c);
              report.ops.zoneDeletes++;
            }
          });
        }
      })(),
    );

    // Package churn.
    if (packages.length > 0) {
      loops.push(
        (async () => {
          let cycle = 0;
          while (running()) {
            const p = packages[cycle % packages.length] as SoakPackage;
            const began = Date.now();
            try {
              await packageCycle(top, gate, p, w, cycle, stop.signal);
              report.packages.cycles++;
              report.packages.cycleSeconds.push(Math.round((Date.now() - began) / 1000));
              log(`package cycle ${cycle} (${p.name}) done in ${Math.round((Date.now() - began) / 1000)} s`);
            } catch (err) {
              if (err instanceof Stopped) return;
              report.packages.failed++;
              violate(`package cycle ${cycle} (${p.name}): ${(err as Error).message}`);
              return;
            }
            cycle++;
          }
        })(),
      );
    }

    // Watch cuts.
    if (o.cutEveryMs > 0) {
      loops.push(
        (async () => {
          while (running()) {
            await sleep(o.cutEveryMs, stop.signal);
            if (!running() || gate.isPaused) continue;
            top.proxy.cut();
            report.ops.cuts++;
          }
        })(),
      );
    }

    // Memory samples.
    loops.push(
      (async () => {
        while (running()) {
          report.samples.push(await takeSample(elapsed(), tracked));
          await sleep(o.sampleEveryMs, stop.signal);
        }
      })(),
    );

    // Checkpoints until the end.
    const target = { client: top.client, workload: w, ledger: writer.ledger, pdns: top.pdns, am: top.am };
    const end = t0 + o.durationMs;
    let reportedTransitionErrors = 0;
    while (Date.now() < end) {
      await sleep(Math.min(o.checkpointEveryMs, Math.max(0, end - Date.now())));
      const cpStart = Date.now();
      await gate.pause();
      const violations: string[] = [];
      // Converge: every claim Ready, every change applied, every delete complete.
      let last: Inspection | undefined;
      let convergeMs = -1;
      const deadline = Date.now() + 300_000;
      for (;;) {
        const claims = await retrying('list claims', () => listClaims(top.client, w));
        await writer.redelete(claims);
        if (notReady(writer.ledger, claims) === 0 || Date.now() > deadline) {
          last = await retrying('inspect', () => inspect(target));
          for (const v of last.violations) violations.push(v);
          if (last.pending.length === 0) {
            convergeMs = Date.now() - cpStart;
            break;
          }
          if (Date.now() > deadline) {
            violations.push(`not converged within 300 s: ${last.pending.length} pending, e.g. ${last.pending.slice(0, 5).join(' | ')}`);
            break;
          }
        }
        await sleep(1_000);
      }
      const a = await audit.checkpoint();
      for (const m of a.missed) violations.push(`missed watch event: ${m}`);
      const transitionErrors = audit.errors();
      for (const e of transitionErrors.slice(reportedTransitionErrors)) violations.push(`transition: ${e}`);
      reportedTransitionErrors = transitionErrors.length;
      const providers = top.providerPids().filter(isAlive).length;
      if (providers !== 1) violations.push(`${providers} provider processes running (want 1)`);
      if (top.controllers.pid() === undefined) violations.push(`the controllers process died:\n${top.controllers.tail()}`);
      const cp: CheckpointReport = {
        t: elapsed(),
        convergeMs,
        counts: last?.counts ?? { liveClaims: 0, readyClaims: 0, xrs: 0, composed: 0, externalZones: 0, activeSilences: 0 },
        audit: a,
        violations,
      };
      report.checkpoints.push(cp);
      for (const v of violations) violate(v);
      report.transitions = audit.transitions();
      const mem = report.samples.at(-1)?.values ?? {};
      const mib = (k: string): string => (mem[k] === undefined ? '-' : `${Math.round((mem[k] as number) / 2 ** 20)}`);
      log(
        `checkpoint at ${cp.t} s: converged in ${convergeMs} ms, ${cp.counts.liveClaims} claims, ${cp.counts.composed} composed, caches agreed in ${a.agreedMs} ms (${Object.values(a.objects).reduce((x, y) => x + y, 0)} objects), ${audit.transitions()} transitions; MiB controllers rss/heap ${mib('controllers.rss')}/${mib('controllers.heap')}, apiserver ${mib('apiserver.rss')}/${mib('apiserver.heap')}, provider ${mib('provider.rss')}; ${violations.length} violations`,
      );
      save();
      gate.resume();
    }
    // The end: loops blocked at the gate run at most one more step, then see the stop.
    stop.abort();
    gate.resume();
    await Promise.all(loops);
    report.transitions = audit.transitions();
    report.memory = verdict(report.samples, o.warmupMs / 1000);
    for (const m of report.memory) {
      if (!m.ok)
        violate(`memory of ${m.series} grew by ${m.growthMiB} MiB after warm-up (bound ${m.boundMiB} MiB; ${m.slopeMiBPerHour} MiB/h)`);
    }
    save();
    return report;
  } catch (err) {
    stop.abort();
    save();
    throw new Error(`soak ${run} failed: ${(err as Error).message}\ncontrollers log:\n${top.controllers.tail(60)}`, { cause: err });
  } finally {
    audit?.stop();
    auditClient.close();
    await top.stop();
    rmSync(reportDir, { recursive: true, force: true });
  }
}
