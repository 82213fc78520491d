// The crash-safety scenario, shared by the CI-sized test (test/runtime/crash-safety.test.ts) and
// the full run for the record (bench/runtime/crash.ts): a provider process creates zones in
// PowerDNS and silences in Alertmanager while it is killed with SIGKILL at random moments and
// restarted by the runtime's supervisor; then everything must converge with no duplicate and no
// leaked external resource, and deleting everything (with more kills) must leave nothing behind.
import { spawn } from 'node:child_process';
import type { KubeClient } from '@trellis/kube';
import { Annotation, externalCreateIncomplete, isKubeNotFound, newSupervisor, ProcessState } from '@trellis/runtime';
import type { KubeObject } from '@trellis/sdk';
import type { Alertmanager, PowerDns } from '../infra/services/services.ts';
import { conditionOf, isReadyAndSynced, providerBin, secretData } from './helpers.ts';

export const zoneType = { apiVersion: 'powerdns.http.trellis.io/v1alpha1', kind: 'Zone' } as const;
export const silenceType = { apiVersion: 'alertmanager.http.trellis.io/v1alpha1', kind: 'Silence' } as const;

export interface CrashOptions {
  client: KubeClient;
  kubeconfigPath: string;
  pdns: PowerDns;
  am: Alertmanager;
  /** Resources per kind (zones and silences each). */
  perKind: number;
  /** Kills while creating, and while deleting. */
  createKills: number;
  deleteKills: number;
  /** Prefix makes names unique per run. */
  prefix: string;
  /** MaxKillDelayMs: each kill comes after a random delay up to this. */
  maxKillDelayMs?: number;
  log?: (line: string) => void;
  timeoutMs?: number;
}

export interface CrashReport {
  zones: { managed: number; external: number; duplicates: number; leaked: string[]; missing: string[] };
  silences: { managed: number; activeExternal: number; duplicates: number; leaked: string[]; missing: string[] };
  kills: number;
  restarts: number;
  convergeMs: number;
  cleanupMs: number;
  afterDelete: { zones: number; activeSilences: number };
  incomplete: number;
}

async function pdnsZones(pdns: PowerDns): Promise<string[]> {
  const r = await fetch(`${pdns.url}/api/v1/servers/localhost/zones`, { headers: { 'X-API-Key': pdns.apiKey } });
  return ((await r.json()) as { name: string }[]).map((z) => z.name);
}

async function activeSilences(am: Alertmanager, createdBy: string): Promise<{ id: string; comment: string }[]> {
  const r = await fetch(`${am.url}/api/v2/silences`);
  return ((await r.json()) as { id: string; comment: string; createdBy: string; status: { state: string } }[])
    .filter((s) => s.createdBy === createdBy && s.status.state !== 'expired')
    .map((s) => ({ id: s.id, comment: s.comment }));
}

async function listMine(client: KubeClient, type: { apiVersion: string; kind: string }, prefix: string): Promise<KubeObject[]> {
  const l = await client.listAll(type, { labelSelector: `crash-test=${prefix}` });
  return l.items;
}

function duplicates(xs: string[]): number {
  return xs.length - new Set(xs).size;
}

export async function runCrashScenario(o: CrashOptions): Promise<CrashReport> {
  const log = o.log ?? (() => {});
  const timeout = o.timeoutMs ?? 240_000;
  const { client, prefix } = o;
  const ns = 'default';
  const pcDns = `${prefix}-pdns`;
  const pcAm = `${prefix}-am`;
  const createdBy = `crash-${prefix}`;
  await client.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: pcDns, namespace: ns },
    data: secretData({ key: o.pdns.apiKey }),
  });
  await client.create({
    apiVersion: 'http.trellis.io/v1alpha1',
    kind: 'ProviderConfig',
    metadata: { name: pcDns },
    spec: {
      baseUrl: `${o.pdns.url}/api/v1/servers/localhost`,
      headers: { 'X-API-Key': '{{ credentials }}' },
      credentials: { source: 'Secret', secretRef: { namespace: ns, name: pcDns, key: 'key' } },
    },
  });
  await client.create({
    apiVersion: 'http.trellis.io/v1alpha1',
    kind: 'ProviderConfig',
    metadata: { name: pcAm },
    spec: { baseUrl: `${o.am.url}/api/v2`, credentials: { source: 'None' } },
  });

  let kills = 0;
  const sup = newSupervisor({
    spawn: () =>
      spawn(process.execPath, [providerBin('http')], {
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        env: {
          ...process.env,
          TRELLIS_KUBECONFIG: o.kubeconfigPath,
          TRELLIS_POLL_INTERVAL: '20s',
          TRELLIS_NOT_READY_POLL_INTERVAL: '2s',
          TRELLIS_CALL_TIMEOUT: '3s',
          TRELLIS_WORKERS: '8',
        },
      }),
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    stableAfterMs: 5_000,
    stopGraceMs: 5_000,
  });
  const ready = async (): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (sup.status().state !== ProcessState.Ready) {
      if (Date.now() > deadline) throw new Error(`provider not ready: ${JSON.stringify(sup.status())}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const killAtRandom = async (n: number, phase: string): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await ready();
      await new Promise((r) => setTimeout(r, Math.random() * (o.maxKillDelayMs ?? 1_500)));
      const pid = sup.pid();
      if (pid === undefined) throw new Error('no provider process to kill');
      process.kill(pid, 'SIGKILL');
      kills++;
      log(`${phase}: kill ${i + 1}/${n} (pid ${pid})`);
      // Wait until the supervisor has seen this process die before the next round.
      const deadline = Date.now() + 10_000;
      while (sup.pid() === pid) {
        if (Date.now() > deadline) throw new Error(`process ${pid} did not die`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };

  sup.start();
  try {
    await ready();
    const t0 = Date.now();
    const labels = { 'crash-test': prefix };
    const endsAt = new Date(Date.now() + 6 * 3_600_000).toISOString();
    const creates = (async () => {
      for (let i = 0; i < o.perKind; i++) {
        await client.create({
          ...zoneType,
          metadata: { name: `${prefix}-z${i}`, labels },
          spec: {
            providerConfigRef: { name: pcDns },
            forProvider: { name: `z${i}.${prefix}.test.`, kind: 'Native', nameservers: [`ns1.z${i}.${prefix}.test.`] },
          },
        });
        await client.create({
          ...silenceType,
          metadata: { name: `${prefix}-s${i}`, labels },
          spec: {
            providerConfigRef: { name: pcAm },
            forProvider: {
              matchers: [{ name: 'alertname', value: `A${i}`, isRegex: false }],
              endsAt,
              createdBy,
              comment: `${prefix} silence ${i}`,
            },
          },
        });
      }
    })();
    await Promise.all([creates, killAtRandom(o.createKills, 'create')]);

    const deadline = Date.now() + timeout;
    for (;;) {
      const all = [...(await listMine(client, zoneType, prefix)), ...(await listMine(client, silenceType, prefix))];
      const notReady = all.filter((x) => !isReadyAndSynced(x));
      if (all.length === 2 * o.perKind && notReady.length === 0) break;
      if (Date.now() > deadline) {
        const sample = notReady
          .slice(0, 3)
          .map((x) => `${x.metadata.name}: ${JSON.stringify(conditionOf(x, 'Synced'))} ${JSON.stringify(x.metadata.annotations)}`);
        throw new Error(`not converged after ${timeout} ms: ${notReady.length} not ready, e.g. ${sample.join(' | ')}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const convergeMs = Date.now() - t0;
    log(`converged in ${convergeMs} ms`);

    const zones = await listMine(client, zoneType, prefix);
    const silences = await listMine(client, silenceType, prefix);
    const externalZones = (await pdnsZones(o.pdns)).filter((z) => z.endsWith(`.${prefix}.test.`));
    const wantZones = zones.map((z) => (z.spec as { forProvider: { name: string } }).forProvider.name);
    const active = await activeSilences(o.am, createdBy);
    const boundIds = silences.map((s) => s.metadata.annotations?.[Annotation.ExternalName] ?? '');
    const report: CrashReport = {
      zones: {
        managed: zones.length,
        external: externalZones.length,
        duplicates: duplicates(externalZones),
        leaked: externalZones.filter((z) => !wantZones.includes(z)),
        missing: wantZones.filter((z) => !externalZones.includes(z)),
      },
      silences: {
        managed: silences.length,
        activeExternal: active.length,
        duplicates: duplicates(active.map((s) => s.comment)) + duplicates(boundIds),
        leaked: active.filter((s) => !boundIds.includes(s.id)).map((s) => s.id),
        missing: boundIds.filter((id) => !active.some((s) => s.id === id)),
      },
      kills: 0,
      restarts: 0,
      convergeMs,
      cleanupMs: 0,
      afterDelete: { zones: -1, activeSilences: -1 },
      incomplete: [...zones, ...silences].filter((x) => externalCreateIncomplete(x)).length,
    };

    const t1 = Date.now();
    await client.deleteCollection(zoneType, { labelSelector: `crash-test=${prefix}` });
    await client.deleteCollection(silenceType, { labelSelector: `crash-test=${prefix}` });
    await killAtRandom(o.deleteKills, 'delete');
    for (;;) {
      const left = [...(await listMine(client, zoneType, prefix)), ...(await listMine(client, silenceType, prefix))];
      if (left.length === 0) break;
      if (Date.now() > deadline + timeout) throw new Error(`${left.length} managed resources not deleted`);
      await new Promise((r) => setTimeout(r, 500));
    }
    report.cleanupMs = Date.now() - t1;
    report.afterDelete = {
      zones: (await pdnsZones(o.pdns)).filter((z) => z.endsWith(`.${prefix}.test.`)).length,
      activeSilences: (await activeSilences(o.am, createdBy)).length,
    };
    report.kills = kills;
    report.restarts = sup.status().restarts;
    return report;
  } finally {
    await sup.stop();
    await deleteProviderConfigs(client, [pcDns, pcAm]);
  }
}

async function deleteProviderConfigs(client: KubeClient, names: string[]): Promise<void> {
  for (const name of names) {
    try {
      await client.delete({ apiVersion: 'http.trellis.io/v1alpha1', kind: 'ProviderConfig', name });
    } catch (err) {
      // Already gone is what this cleanup wants.
      if (!isKubeNotFound(err)) throw err;
    }
  }
}
