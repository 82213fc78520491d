// Fault injection, CI-sized (issue 8): a 200-claim rollout in 8 rounds over the two API servers,
// every fault type at least once, each round checked for nothing lost and nothing duplicated
// (see support/faults.ts). On the real kube-apiserver: SIGKILL of the controllers, a restart of
// the API server, SIGKILL of the provider process, watch connections cut. On the embedded API
// server: SIGKILL of the API server, of the controllers, of the provider, and watch cuts. The full
// run (20 rounds x 1,000 claims per server) is bench/reliability/faults.ts; its report is in
// docs/reliability.md.
import { describe, expect, it } from 'vitest';
import { type CampaignOptions, runCampaign } from './support/faults.ts';

const campaigns: (Pick<CampaignOptions, 'server' | 'faults'> & { name: string })[] = [
  { name: 'real kube-apiserver', server: 'real', faults: ['engine-kill', 'apiserver-restart', 'provider-kill', 'watch-cut'] },
  { name: 'embedded API server', server: 'embedded', faults: ['apiserver-kill', 'engine-kill', 'provider-kill', 'watch-cut'] },
];

describe.each(campaigns)('fault injection on the $name', (c) => {
  it('loses nothing, duplicates nothing and converges after every round', async () => {
    const report = await runCampaign({
      ...c,
      appClaimsPerRound: 25,
      zoneClaimsPerRound: 3,
      updatesPerRound: 5,
      deletesPerRound: 3,
      convergeTimeoutMs: 300_000,
      log: (l) => console.log(`[faults ${c.server}] ${l}`),
    });
    console.log(
      `[faults ${c.server}] report: ${JSON.stringify({ ...report, rounds: report.rounds.map((r) => ({ ...r, notes: undefined })) })}`,
    );
    expect(report.rounds.map((r) => ({ fault: r.fault, violations: r.violations }))).toEqual(
      c.faults.map((fault) => ({ fault, violations: [] })),
    );
    for (const r of report.rounds) expect(r.convergeMs).toBeGreaterThan(0);
    expect(report.drain?.leftovers).toEqual([]);
    expect(report.violations).toBe(0);
  }, 1_500_000);
});
