// The fault-injection campaign, shared by the CI-sized test (test/reliability/faults.test.ts) and
// the full run for the record (bench/reliability/faults.ts): a rollout of claims in rounds; in
// each round the campaign creates a batch of claims (ConfigMap claims, and provider-managed ones
// against PowerDNS and Alertmanager), updates and deletes some earlier ones, and meanwhile injects
// one fault at a random moment:
//
//   engine-kill        SIGKILL of the controllers process (`trellis up --kubeconfig`: engine, package
//                      manager, provider host), restarted at once as a supervisor would
//   apiserver-kill     SIGKILL of the API server process, started again after a short outage
//   apiserver-restart  a graceful restart of the API server (SIGTERM, start)
//   provider-kill      SIGKILL of the provider-http process; the provider host must restart it
//   watch-cut          every connection of the controllers and providers reset (TCP RST), twice
//
// After each round everything must converge (every live claim Ready, every composed resource
// present once with the claim's latest spec, deleted claims gone with their XRs, composed and
// external resources) with no violation at any inspection (no duplicate XR, composed resource,
// zone or silence; no lost claim), and exactly one provider process must be running. At the end
// every claim is deleted and nothing may be left, on the API server or in the external APIs.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type Inspection, inspect, isReady, Ledger, listClaims, notReady } from './check.ts';
import { isAlive } from './processes.ts';
import { retrying } from './retry.ts';
import { installApis, pool, rng, Writer } from './rollout.ts';
import { type ServerKind, startTopology, type Topology } from './topology.ts';
import { newWorkload, type Workload } from './workload.ts';

export const FaultKinds = ['engine-kill', 'apiserver-kill', 'apiserver-restart', 'provider-kill', 'watch-cut'] as const;
export type FaultKind = (typeof FaultKinds)[number];

export interface CampaignOptions {
  server: ServerKind;
  /** Faults is the schedule: one fault per round. */
  faults: FaultKind[];
  appClaimsPerRound: number;
  /** ZoneClaimsPerRound > 0 brings PowerDNS, Alertmanager and provider-http into the campaign. */
  zoneClaimsPerRound: number;
  updatesPerRound: number;
  deletesPerRound: number;
  /** Concurrency of the campaign's own writes. */
  concurrency?: number;
  /** ConvergeTimeoutMs bounds each round's convergence. */
  convergeTimeoutMs?: number;
  seed?: number;
  /** Run names the API group and every object; default a random one. */
  run?: string;
  log?: (line: string) => void;
  /** ReportPath receives the JSON report after every round (a long run can be read while it goes). */
  reportPath?: string;
}

export interface RoundReport {
  round: number;
  fault: FaultKind;
  created: number;
  updated: number;
  deleted: number;
  /** FaultAtMs is when the fault struck, from the round's start. */
  faultAtMs: number;
  /** RecoverMs is how long the faulted part took to come back (restart, new process). */
  recoverMs: number;
  /** ConvergeMs is from the fault to everything converged. */
  convergeMs: number;
  /** RoundMs is from the round's start to everything converged. */
  roundMs: number;
  violations: string[];
  counts: Inspection['counts'];
  providerProcesses: number;
  /** Load1 is the machine's 1-minute load average when the round converged (the campaign shares the machine). */
  load1: number;
  notes: string[];
}

export interface CampaignReport {
  server: ServerKind;
  run: string;
  seed: number;
  started: string;
  rounds: RoundReport[];
  /** Drain is the final deletion of every claim. */
  drain?: { claims: number; ms: number; leftovers: string[] };
  violations: number;
  controllersStarts: number;
  durationS: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** WaitForProviderProcess waits until exactly one provider process other than `not` is alive. */
async function waitForNewProvider(top: Topology, not: number | undefined, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = top.providerPids().filter((p) => p !== not && isAlive(p));
    if (pids.length >= 1 && pids[0] !== undefined) return pids[0];
    if (Date.now() > deadline) throw new Error(`no provider process came back within ${timeoutMs / 1000}s`);
    await sleep(100);
  }
}

/** Inject strikes one fault and returns how long the faulted part took to come back. */
async function inject(top: Topology, fault: FaultKind, random: () => number, notes: string[]): Promise<number> {
  const t0 = Date.now();
  switch (fault) {
    case 'engine-kill': {
      const pid = top.controllers.pid();
      const providersBefore = top.providerPids().filter(isAlive);
      await top.controllers.kill();
      notes.push(`killed controllers pid ${pid} (provider processes before: ${providersBefore.join(', ') || 'none'})`);
      await top.controllers.start();
      notes.push(
        `controllers restarted as pid ${top.controllers.pid()}; provider processes now: ${top.providerPids().filter(isAlive).join(', ') || 'none'}`,
      );
      break;
    }
    case 'apiserver-kill': {
      await top.server.kill();
      const outage = 1_000 + Math.floor(random() * 3_000);
      notes.push(`API server killed, down for ${outage} ms`);
      await sleep(outage);
      await top.server.start();
      break;
    }
    case 'apiserver-restart':
      await top.server.restart();
      notes.push('API server restarted (SIGTERM, start)');
      break;
    case 'provider-kill': {
      const pids = top.providerPids().filter(isAlive);
      const victim = pids[0];
      if (victim === undefined) throw new Error('no provider process to kill');
      process.kill(victim, 'SIGKILL');
      notes.push(`killed provider pid ${victim} (of ${pids.length} running)`);
      const next = await waitForNewProvider(top, victim, 120_000);
      notes.push(`provider restarted as pid ${next}`);
      break;
    }
    case 'watch-cut': {
      top.proxy.cut();
      await sleep(1_500 + Math.floor(random() * 2_000));
      top.proxy.cut();
      notes.push('cut every controller connection twice');
      break;
    }
  }
  return Date.now() - t0;
}

interface ConvergeResult {
  ms: number;
  last: Inspection;
  violations: Set<string>;
}

/**
 * Converge polls until every live claim is Ready and a full inspection finds nothing pending,
 * collecting every violation seen on the way.
 */
async function converge(
  top: Topology,
  w: Workload,
  writer: Writer,
  since: number,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<ConvergeResult> {
  const deadline = Date.now() + timeoutMs;
  const violations = new Set<string>();
  const target = {
    client: top.client,
    workload: w,
    ledger: writer.ledger,
    ...(top.pdns === undefined ? {} : { pdns: top.pdns }),
    ...(top.am === undefined ? {} : { am: top.am }),
  };
  const interval = writer.ledger.claims.size > 300 ? 2_000 : 1_000;
  let nextProgress = Date.now() + 15_000;
  for (;;) {
    const claims = await retrying('list claims', () => listClaims(top.client, w));
    await writer.redelete(claims);
    const waiting = notReady(writer.ledger, claims);
    if (waiting === 0) {
      const r = await retrying('inspect', () => inspect(target));
      for (const v of r.violations) violations.add(v);
      if (r.pending.length === 0) return { ms: Date.now() - since, last: r, violations };
      if (Date.now() > deadline) return { ms: -1, last: r, violations };
      if (Date.now() > nextProgress) {
        log(`  converging for ${Math.round((Date.now() - since) / 1000)} s: ${describePending(r)}`);
        nextProgress = Date.now() + 15_000;
      }
    } else if (Date.now() > nextProgress) {
      const sample = writer.ledger
        .live()
        .filter((c) => !isReady(claims.get(Ledger.key(c.kind, c.namespace, c.name))))
        .slice(0, 3)
        .map((c) => {
          const o = claims.get(Ledger.key(c.kind, c.namespace, c.name));
          const ready = ((o?.status as { conditions?: { type: string }[] } | undefined)?.conditions ?? []).find((x) => x.type === 'Ready');
          return `${c.kind} ${c.namespace}/${c.name}: ${o === undefined ? 'missing' : JSON.stringify(ready ?? null)}`;
        });
      log(`  converging for ${Math.round((Date.now() - since) / 1000)} s: ${waiting} claims not Ready, e.g. ${sample.join(' | ')}`);
      nextProgress = Date.now() + 15_000;
    }
    if (waiting > 0 && Date.now() > deadline) {
      const r = await retrying('inspect', () => inspect(target));
      for (const v of r.violations) violations.add(v);
      return { ms: -1, last: r, violations };
    }
    await sleep(interval);
  }
}

function describePending(i: Inspection): string {
  return `${i.pending.length} pending, e.g.: ${i.pending.slice(0, 5).join(' | ')}`;
}

/** RunCampaign runs the rounds on a fresh topology and returns the report; it throws only when it cannot run. */
export async function runCampaign(o: CampaignOptions): Promise<CampaignReport> {
  const log = o.log ?? (() => {});
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = rng(seed);
  const run = o.run ?? `rel-${Math.random().toString(36).slice(2, 8)}`;
  const w = newWorkload(run);
  const started = new Date();
  const withProvider = o.zoneClaimsPerRound > 0;
  const convergeTimeoutMs = o.convergeTimeoutMs ?? 600_000;
  log(`campaign ${run} on ${o.server}: ${o.faults.length} rounds, seed ${seed}`);
  const top = await startTopology({ server: o.server, withProvider, log });
  const report: CampaignReport = {
    server: o.server,
    run,
    seed,
    started: started.toISOString(),
    rounds: [],
    violations: 0,
    controllersStarts: 0,
    durationS: 0,
  };
  const save = (): void => {
    report.controllersStarts = top.controllers.starts();
    report.durationS = Math.round((Date.now() - started.getTime()) / 1000);
    if (o.reportPath !== undefined) writeFileSync(o.reportPath, `${JSON.stringify(report, null, 2)}\n`);
  };
  try {
    await installApis(top.client, w, top.pdns === undefined || top.am === undefined ? undefined : { pdns: top.pdns, am: top.am });
    const writer = new Writer(top.client, w);
    for (const [index, fault] of o.faults.entries()) {
      const round = index + 1;
      const notes: string[] = [];
      const t0 = Date.now();
      // This round's work: new claims, and updates and deletes of claims from earlier rounds.
      const earlierApps = writer.ledger.live('app');
      const earlierAll = writer.ledger.live();
      const ops: (() => Promise<void>)[] = [];
      for (let i = 0; i < o.appClaimsPerRound; i++) {
        const ns = w.namespaces[i % w.namespaces.length] ?? 'default';
        ops.push(() => writer.createApp(ns, `a-${round}-${i}`));
      }
      for (let i = 0; i < o.zoneClaimsPerRound; i++) {
        const ns = w.namespaces[i % w.namespaces.length] ?? 'default';
        ops.push(() => writer.createZone(ns, `z-${round}-${i}`));
      }
      const pick = <T>(xs: T[], n: number): T[] => {
        const copy = [...xs];
        const out: T[] = [];
        while (out.length < n && copy.length > 0) out.push(copy.splice(Math.floor(random() * copy.length), 1)[0] as T);
        return out;
      };
      const toDelete = pick(earlierAll, o.deletesPerRound);
      const toUpdate = pick(
        earlierApps.filter((c) => !toDelete.includes(c)),
        o.updatesPerRound,
      );
      for (const c of toUpdate) ops.push(() => writer.bump(c));
      for (const c of toDelete) ops.push(() => writer.remove(c));
      // Shuffle so that the fault lands among creates, updates and deletes alike.
      for (let i = ops.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [ops[i], ops[j]] = [ops[j] as () => Promise<void>, ops[i] as () => Promise<void>];
      }
      const strikeAfter = Math.floor(ops.length * (0.2 + random() * 0.5));
      let done = 0;
      let strike: (() => void) | undefined;
      const struck = new Promise<void>((r) => {
        strike = r;
      });
      if (strikeAfter === 0) strike?.();
      // The fault strikes once a random share of the round's operations has completed, with the
      // rest in flight or still to come.
      const work = pool(ops, o.concurrency ?? 16, async (op) => {
        await op();
        if (++done >= strikeAfter) strike?.();
      });
      await struck;
      const faultAt = Date.now();
      log(`round ${round}: ${fault} after ${done}/${ops.length} operations`);
      const recoverMs = await inject(top, fault, random, notes);
      await work;
      const c = await converge(top, w, writer, faultAt, convergeTimeoutMs, log);
      const violations = [...c.violations];
      if (c.ms < 0) violations.push(`round ${round} did not converge within ${convergeTimeoutMs / 1000}s: ${describePending(c.last)}`);
      const providers = withProvider ? top.providerPids().filter(isAlive).length : 0;
      if (withProvider && providers !== 1) violations.push(`${providers} provider processes are running after round ${round} (want 1)`);
      if (top.controllers.pid() === undefined)
        violations.push(`the controllers process is not running after round ${round}:\n${top.controllers.tail()}`);
      const r: RoundReport = {
        round,
        fault,
        created: o.appClaimsPerRound + o.zoneClaimsPerRound,
        updated: toUpdate.length,
        deleted: toDelete.length,
        faultAtMs: faultAt - t0,
        recoverMs,
        convergeMs: c.ms,
        roundMs: c.ms < 0 ? -1 : Date.now() - t0,
        violations,
        counts: c.last.counts,
        providerProcesses: providers,
        load1: Math.round((loadavg()[0] ?? 0) * 10) / 10,
        notes,
      };
      report.rounds.push(r);
      report.violations += violations.length;
      log(
        `round ${round} (${fault}): recovered in ${recoverMs} ms, converged ${c.ms} ms after the fault; ${c.last.counts.liveClaims} claims, ${c.last.counts.composed} composed, ${violations.length} violations${violations.length > 0 ? `: ${violations.slice(0, 3).join(' | ')}` : ''}`,
      );
      save();
      if (c.ms < 0) break;
    }

    // Drain: delete every claim; nothing may be left anywhere.
    const live = writer.ledger.live();
    const t1 = Date.now();
    await pool(live, o.concurrency ?? 16, (c) => writer.remove(c));
    const d = await converge(top, w, writer, t1, convergeTimeoutMs, log);
    const leftovers = [...d.violations, ...(d.ms < 0 ? d.last.pending : [])];
    report.drain = { claims: live.length, ms: d.ms, leftovers };
    report.violations += leftovers.length;
    log(`drain: ${live.length} claims deleted, everything gone after ${d.ms} ms; ${leftovers.length} leftovers`);
    save();
    return report;
  } catch (err) {
    save();
    throw new Error(`campaign ${run} on ${o.server} failed: ${(err as Error).message}\ncontrollers log:\n${top.controllers.tail(60)}`, {
      cause: err,
    });
  } finally {
    await top.stop();
    log(`topology stopped (${join(top.dir)})`);
  }
}
