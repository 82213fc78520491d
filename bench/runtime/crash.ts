// The full crash-safety run, for the record (the CI-sized version is
// test/runtime/crash-safety.test.ts): ROUNDS rounds, each creating PER_KIND zones in PowerDNS and
// PER_KIND silences in Alertmanager (500 resources per round by default) while the provider
// process is killed with SIGKILL at random moments, then deleting them all with more kills.
// Prints one line per round and a Markdown table for docs/providers.md.
// Run: node --import tsx bench/runtime/crash.ts [--rounds 20] [--per-kind 250] [--kills 5]
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { newKubeClient } from '@trellis/kube';
import { definition as httpProvider } from '@trellis/provider-http';
import { installCrds } from '@trellis/runtime';
import { startRealControlPlane } from '../../test/harness/control-plane.ts';
import { startAlertmanager, startPowerDns } from '../../test/infra/services/services.ts';
import type { CrashReport } from '../../test/runtime/crash.ts';
import { runCrashScenario } from '../../test/runtime/crash.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    'per-kind': { type: 'string', default: '250' },
    kills: { type: 'string', default: '5' },
  },
});
const ROUNDS = Number(values.rounds);
const PER_KIND = Number(values['per-kind']);
const KILLS = Number(values.kills);

const machine = `${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`;
console.log(
  `machine: ${machine}; ${ROUNDS} rounds x ${2 * PER_KIND} resources, ${KILLS} kills while creating, ${Math.ceil(KILLS / 2)} while deleting`,
);
const cp = await startRealControlPlane({ withControllerManager: true });
const client = await newKubeClient({ kubeconfigPath: cp.kubeconfigPath, qps: 500, burst: 1000 });
const [pdns, am] = await Promise.all([startPowerDns(), startAlertmanager()]);
const rows: { round: number; r: CrashReport }[] = [];
let failed = 0;
try {
  await installCrds(client, httpProvider.crds());
  for (let round = 1; round <= ROUNDS; round++) {
    const r = await runCrashScenario({
      client,
      kubeconfigPath: cp.kubeconfigPath,
      pdns,
      am,
      perKind: PER_KIND,
      createKills: KILLS,
      deleteKills: Math.ceil(KILLS / 2),
      maxKillDelayMs: 4_000,
      prefix: `r${round}-${Math.random().toString(36).slice(2, 7)}`,
      timeoutMs: 1_800_000,
    });
    const ok =
      r.zones.duplicates === 0 &&
      r.zones.leaked.length === 0 &&
      r.zones.missing.length === 0 &&
      r.zones.external === PER_KIND &&
      r.silences.duplicates === 0 &&
      r.silences.leaked.length === 0 &&
      r.silences.missing.length === 0 &&
      r.silences.activeExternal === PER_KIND &&
      r.incomplete === 0 &&
      r.afterDelete.zones === 0 &&
      r.afterDelete.activeSilences === 0;
    if (!ok) failed++;
    rows.push({ round, r });
    console.log(`round ${round}: ${ok ? 'OK' : 'FAILED'} ${JSON.stringify(r)}`);
  }
} finally {
  await Promise.all([pdns.stop(), am.stop()]);
  client.close();
  await cp.stop();
}
console.log('');
console.log(`Machine: ${machine}. Date: ${new Date().toISOString().slice(0, 10)}.`);
console.log('');
console.log(
  '| round | resources | kills | zones (dup/leak/missing) | silences (dup/leak/missing) | converged | deleted | left after delete |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const { round, r } of rows) {
  console.log(
    `| ${round} | ${r.zones.managed + r.silences.managed} | ${r.kills} | ${r.zones.duplicates}/${r.zones.leaked.length}/${r.zones.missing.length} | ${r.silences.duplicates}/${r.silences.leaked.length}/${r.silences.missing.length} | ${(r.convergeMs / 1000).toFixed(0)} s | ${(r.cleanupMs / 1000).toFixed(0)} s | ${r.afterDelete.zones + r.afterDelete.activeSilences} |`,
  );
}
console.log('');
console.log(failed === 0 ? `all ${ROUNDS} rounds: zero duplicates, zero leaks, everything converged` : `${failed} rounds FAILED`);
process.exitCode = failed === 0 ? 0 : 1;
