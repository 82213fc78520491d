// The soak for the record: continuous churn of claims, provider-managed claims and packages for
// two hours against the Trellis controllers (`trellis up --kubeconfig`) on a private API server,
// with watch cuts, checkpoints (everything converged, informers equal to fresh LISTs) and memory
// sampled throughout (see test/reliability/support/soak.ts). Writes a JSON report and prints a
// summary; exits non-zero on any violation.
//
//   node --conditions=@trellis/source --import tsx bench/reliability/soak.ts \
//     [--server embedded|real] [--minutes 120] [--warmup-minutes 20] [--checkpoint-minutes 10] \
//     [--ops 1.5] [--apps 150] [--zones 10] [--packages 3] [--history-size N] [--event-ttl-minutes N] [--out DIR]
//
// --history-size sets the embedded API server's watch history per resource (default: the server's
// own, 20,000 events); see SoakOptions.historySize for why a short soak sets a small one.
// --event-ttl-minutes sets how long it keeps Events (default: the server's, 60); a TTL shorter than
// the warm-up lets the Events reach their steady number before memory is judged (SoakOptions.eventTtlMs).
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runSoak } from '../../test/reliability/support/soak.ts';
import type { ServerKind } from '../../test/reliability/support/topology.ts';

const { values } = parseArgs({
  options: {
    server: { type: 'string', default: 'embedded' },
    minutes: { type: 'string', default: '120' },
    'warmup-minutes': { type: 'string', default: '20' },
    'checkpoint-minutes': { type: 'string', default: '10' },
    'sample-seconds': { type: 'string', default: '30' },
    'cut-minutes': { type: 'string', default: '5' },
    ops: { type: 'string', default: '1.5' },
    apps: { type: 'string', default: '150' },
    zones: { type: 'string', default: '10' },
    'zone-op-seconds': { type: 'string', default: '20' },
    packages: { type: 'string', default: '3' },
    'history-size': { type: 'string' },
    'event-ttl-minutes': { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string', default: 'tmp/reliability' },
  },
});
const out = resolve(values.out);
mkdirSync(out, { recursive: true });
const server = values.server as ServerKind;
const reportPath = join(out, `soak-${server}.json`);
const stamp = (): string => new Date().toISOString().slice(11, 19);
console.log(
  `soak: ${values.minutes} min on ${server}; cpus=${cpus().length} mem=${(totalmem() / 2 ** 30).toFixed(0)}GiB load=${loadavg()[0]?.toFixed(1)}`,
);
try {
  const r = await runSoak({
    server,
    durationMs: Number(values.minutes) * 60_000,
    warmupMs: Number(values['warmup-minutes']) * 60_000,
    checkpointEveryMs: Number(values['checkpoint-minutes']) * 60_000,
    sampleEveryMs: Number(values['sample-seconds']) * 1000,
    cutEveryMs: Number(values['cut-minutes']) * 60_000,
    opsPerSecond: Number(values.ops),
    targetApps: Number(values.apps),
    targetZones: Number(values.zones),
    zoneOpEveryMs: Number(values['zone-op-seconds']) * 1000,
    packages: Number(values.packages),
    reportPath,
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    ...(values['history-size'] === undefined ? {} : { historySize: Number(values['history-size']) }),
    ...(values['event-ttl-minutes'] === undefined ? {} : { eventTtlMs: Number(values['event-ttl-minutes']) * 60_000 }),
    log: (l) => console.log(`${stamp()} ${l}`),
  });
  console.log(
    `\n${r.server}: ${r.durationS} s, ops ${JSON.stringify(r.ops)}, package cycles ${r.packages.cycles} (failed ${r.packages.failed}), ${r.checkpoints.length} checkpoints, ${r.transitions} transitions, ${r.violations.length} violations`,
  );
  console.log('| series | baseline MiB | end MiB | growth MiB | bound MiB | slope MiB/h | ok |\n|---|---|---|---|---|---|---|');
  for (const m of r.memory)
    console.log(
      `| ${m.series} | ${m.baselineMiB} | ${m.endMiB} | ${m.growthMiB} | ${m.boundMiB} | ${m.slopeMiBPerHour} | ${m.ok ? 'yes' : 'NO'} |`,
    );
  for (const v of r.violations) console.log(`violation: ${v}`);
  process.exitCode = r.violations.length > 0 ? 1 : 0;
} catch (err) {
  console.log(`the soak could not run: ${(err as Error).message}`);
  process.exitCode = 1;
}
console.log(`report: ${reportPath}`);
