// Crash safety, CI-sized: SIGKILL of the provider process at random moments while it creates
// zones (PowerDNS, client-chosen names) and silences (Alertmanager, server-assigned ids), and
// again while it deletes them. Zero duplicates, zero leaks, everything converges, nothing left
// after delete. The full 20 rounds x 500 resources run is bench/runtime/crash.ts (report in
// docs/providers.md).
import { definition as httpProvider } from '@trellis/provider-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestClient } from '../harness/targets.ts';
import { apiServerTargets, clientFor, uniqueName } from '../harness/targets.ts';
import type { Alertmanager, PowerDns } from '../infra/services/services.ts';
import { startAlertmanager, startPowerDns } from '../infra/services/services.ts';
import { runCrashScenario } from './crash.ts';
import { installProvider } from './helpers.ts';

describe.each(apiServerTargets())('crash safety (CI size) on $name', (target) => {
  let client: TestClient;
  let pdns: PowerDns;
  let am: Alertmanager;
  beforeAll(async () => {
    client = await clientFor(target);
    [pdns, am] = await Promise.all([startPowerDns(), startAlertmanager()]);
    await installProvider(client, httpProvider);
  });
  afterAll(async () => {
    await Promise.all([pdns?.stop(), am?.stop()]);
    client?.close();
  });

  it('survives SIGKILL at random points: no duplicates, no leaks, converges, cleans up', async () => {
    const report = await runCrashScenario({
      client,
      kubeconfigPath: target.kubeconfigPath,
      pdns,
      am,
      perKind: 20,
      createKills: 4,
      deleteKills: 2,
      prefix: uniqueName('crash'),
      log: (l) => console.log(l),
    });
    console.log(JSON.stringify(report));
    expect(report.kills).toBe(6);
    expect(report.zones).toEqual({ managed: 20, external: 20, duplicates: 0, leaked: [], missing: [] });
    expect(report.silences).toEqual({ managed: 20, activeExternal: 20, duplicates: 0, leaked: [], missing: [] });
    expect(report.incomplete).toBe(0);
    expect(report.afterDelete).toEqual({ zones: 0, activeSilences: 0 });
  }, 600_000);
});
