// The fault-injection campaign for the record: 20 rounds during a 1,000-claim rollout on each API
// server (see test/reliability/support/faults.ts for what a round does and checks). Writes a JSON
// report per server and prints a summary; exits non-zero on any violation.
//
//   node --conditions=@trellis/source --import tsx bench/reliability/faults.ts \
//     [--server real,embedded] [--rounds 20] [--claims 1000] [--zone-claims 100] [--updates 20] \
//     [--deletes 10] [--seed N] [--faults kind,kind,...] [--out DIR]
//
// Schedule per server (rounds cycle through it): on the real kube-apiserver engine-kill,
// apiserver-restart, provider-kill, watch-cut, apiserver-kill; on the embedded API server
// engine-kill, apiserver-kill, provider-kill, watch-cut, apiserver-restart.
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type CampaignReport, type FaultKind, runCampaign } from '../../test/reliability/support/faults.ts';
import type { ServerKind } from '../../test/reliability/support/topology.ts';

const { values } = parseArgs({
  options: {
    server: { type: 'string', default: 'real,embedded' },
    rounds: { type: 'string', default: '20' },
    claims: { type: 'string', default: '1000' },
    'zone-claims': { type: 'string', default: '100' },
    updates: { type: 'string', default: '20' },
    deletes: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string' },
    faults: { type: 'string' },
    out: { type: 'string', default: 'tmp/reliability' },
  },
});

const schedules: Record<ServerKind, FaultKind[]> = {
  real: ['engine-kill', 'apiserver-restart', 'provider-kill', 'watch-cut', 'apiserver-kill'],
  embedded: ['engine-kill', 'apiserver-kill', 'provider-kill', 'watch-cut', 'apiserver-restart'],
};

const rounds = Number(values.rounds);
const claims = Number(values.claims);
const zoneClaims = Number(values['zone-claims']);
const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const stamp = (): string => new Date().toISOString().slice(11, 19);

function summary(r: CampaignReport): string {
  const lines = [
    `${r.server}: ${r.rounds.length} rounds, ${r.violations} violations, ${r.controllersStarts} controller starts, ${r.durationS} s (seed ${r.seed})`,
    '| round | fault | recover ms | converge ms (from the fault) | live claims | composed | violations |',
    '|---|---|---|---|---|---|---|',
    ...r.rounds.map(
      (x) =>
        `| ${x.round} | ${x.fault} | ${x.recoverMs} | ${x.convergeMs} | ${x.counts.liveClaims} | ${x.counts.composed} | ${x.violations.length} |`,
    ),
  ];
  if (r.drain !== undefined)
    lines.push(`drain: ${r.drain.claims} claims deleted, all gone in ${r.drain.ms} ms, ${r.drain.leftovers.length} leftovers`);
  return lines.join('\n');
}

let failed = false;
console.log(
  `fault campaign: ${rounds} rounds x ${claims} claims (+${zoneClaims} provider claims); cpus=${cpus().length} mem=${(totalmem() / 2 ** 30).toFixed(0)}GiB load=${loadavg()[0]?.toFixed(1)}`,
);
for (const server of values.server.split(',') as ServerKind[]) {
  const schedule = values.faults === undefined ? schedules[server] : (values.faults.split(',') as FaultKind[]);
  if (schedule === undefined) throw new Error(`--server: unknown server "${server}" (real, embedded)`);
  const reportPath = join(out, `faults-${server}.json`);
  try {
    const report = await runCampaign({
      server,
      faults: Array.from({ length: rounds }, (_, i) => schedule[i % schedule.length] as FaultKind),
      appClaimsPerRound: Math.ceil(claims / rounds),
      zoneClaimsPerRound: Math.ceil(zoneClaims / rounds),
      updatesPerRound: Number(values.updates),
      deletesPerRound: Number(values.deletes),
      concurrency: Number(values.concurrency),
      convergeTimeoutMs: 900_000,
      reportPath,
      ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
      log: (l) => console.log(`${stamp()} [${server}] ${l}`),
    });
    console.log(summary(report));
    for (const x of report.rounds) for (const v of x.violations) console.log(`  round ${x.round}: ${v}`);
    for (const v of report.drain?.leftovers ?? []) console.log(`  drain: ${v}`);
    if (report.violations > 0) failed = true;
  } catch (err) {
    failed = true;
    console.log(`${server}: the campaign could not run: ${(err as Error).message}`);
  }
  console.log(`report: ${reportPath}`);
}
process.exitCode = failed ? 1 : 0;
