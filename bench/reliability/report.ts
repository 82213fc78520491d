// Markdown tables for docs/reliability.md from the JSON reports of bench/reliability/faults.ts:
// one table per server, one row per round (fault, when it struck, recovery and convergence time,
// what was alive, what was lost, duplicated or left over), and the drain at the end.
//
//   node --conditions=@trellis/source --import tsx bench/reliability/report.ts tmp/reliability/faults-real.json ...
import { readFileSync } from 'node:fs';
import type { CampaignReport, RoundReport } from '../../test/reliability/support/faults.ts';

/** Classify sorts a round's violations into lost, duplicated and other (see support/check.ts for the texts). */
export function classify(violations: readonly string[]): { lost: number; duplicates: number; other: number } {
  let lost = 0;
  let duplicates = 0;
  let other = 0;
  for (const v of violations) {
    if (v.startsWith('lost:') || v.startsWith('missing composed resource')) lost++;
    else if (v.startsWith('duplicate')) duplicates++;
    else other++;
  }
  return { lost, duplicates, other };
}

const s = (ms: number): string => (ms < 0 ? 'not converged' : (ms / 1000).toFixed(1));

function row(r: RoundReport): string {
  const c = classify(r.violations);
  // A converged round has nothing pending, which includes every object of a deleted claim (claim,
  // XR, composed and external resources): leftovers after a round are 0 exactly when it converged.
  const leftovers = r.convergeMs < 0 ? 'yes' : '0';
  return `| ${r.round} | ${r.fault} | ${r.created}/${r.updated}/${r.deleted} | ${s(r.recoverMs)} | ${s(r.convergeMs)} | ${r.counts.liveClaims} | ${r.counts.composed} | ${r.counts.externalZones}/${r.counts.activeSilences} | ${c.lost} | ${c.duplicates} | ${c.other} | ${leftovers} | ${(r as Partial<RoundReport>).load1 ?? '-'} |`;
}

export function markdown(r: CampaignReport): string {
  const conv = r.rounds.map((x) => x.convergeMs).filter((x) => x >= 0);
  const sorted = [...conv].sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? -1;
  const lines = [
    `**${r.server}**: run \`${r.run}\`, seed ${r.seed}, started ${r.started}, ${r.rounds.length} rounds in ${Math.round(r.durationS / 60)} min, ${r.controllersStarts} starts of the controllers process, ${r.violations} violations.`,
    `Convergence after the fault: median ${s(pct(50))} s, max ${s(sorted.at(-1) ?? -1)} s.`,
    '',
    '| round | fault | created/updated/deleted | recover s | converge s | live claims | composed | zones/silences | lost | duplicates | other violations | leftovers | load |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.rounds.map(row),
  ];
  if (r.drain !== undefined)
    lines.push(
      '',
      `Drain: ${r.drain.claims} claims deleted at once; everything (claims, XRs, composed resources, PowerDNS zones, Alertmanager silences) gone after ${s(r.drain.ms)} s; ${r.drain.leftovers.length} leftovers.`,
    );
  const violations = r.rounds.flatMap((x) => x.violations.map((v) => `- round ${x.round} (${x.fault}): ${v}`));
  if (violations.length > 0) lines.push('', 'Violations:', '', ...violations);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('report.ts') === true) {
  for (const path of process.argv.slice(2)) {
    console.log(`${markdown(JSON.parse(readFileSync(path, 'utf8')) as CampaignReport)}\n`);
  }
}
