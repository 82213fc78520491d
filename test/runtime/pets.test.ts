// Pets: external resources outlive the control plane. Build zones, record sets and silences with
// one control plane, throw the whole control plane away (a private one: its data directory is
// removed), start a fresh one and apply the same manifests with their external names: nothing
// new is created in PowerDNS or Alertmanager, everything is adopted. With deletionPolicy Orphan,
// deleting the managed resources leaves the external ones in place. And adoption is explicit: an
// existing zone without an external name is reported, not taken, until the Adopt policy says so.
// It runs on the embedded API server (the data directory is deleted) and on a private real one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '@trellis/apiserver';
import { newKubeClient } from '@trellis/kube';
import { definition as httpProvider } from '@trellis/provider-http';
import { Annotation } from '@trellis/runtime';
import type { KubeObject } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRealControlPlane } from '../harness/control-plane.ts';
import type { Alertmanager, PowerDns } from '../infra/services/services.ts';
import { startAlertmanager, startPowerDns } from '../infra/services/services.ts';
import type { ProviderProcess } from './helpers.ts';
import { conditionOf, installProvider, isReadyAndSynced, secretData, startProviderProcess, waitForGone, waitForObject } from './helpers.ts';

const zoneType = { apiVersion: 'powerdns.http.trellis.io/v1alpha1', kind: 'Zone' };
const rrsetType = { apiVersion: 'powerdns.http.trellis.io/v1alpha1', kind: 'RRset' };
const silenceType = { apiVersion: 'alertmanager.http.trellis.io/v1alpha1', kind: 'Silence' };
const N = 5;

/** A ControlPlane is a whole control plane a test may throw away: stop() deletes its data. */
interface ControlPlane {
  kubeconfigPath: string;
  stop(): Promise<void>;
}

const controlPlanes: { name: string; start: () => Promise<ControlPlane> }[] = [
  {
    name: 'embedded',
    start: async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'trellis-pets-'));
      const server = await startApiServer({ dataDir, port: 0, fsync: false });
      return {
        kubeconfigPath: server.kubeconfigPath,
        stop: async () => {
          await server.stop();
          await rm(dataDir, { recursive: true, force: true }); // the whole control plane is gone
        },
      };
    },
  },
  { name: 'real', start: () => startRealControlPlane({ withControllerManager: true }) },
];

describe.each(controlPlanes)('pets on a fresh $name control plane', ({ start }) => {
  let pdns: PowerDns;
  let am: Alertmanager;
  const endsAt = new Date(Date.now() + 6 * 3_600_000).toISOString();

  beforeAll(async () => {
    [pdns, am] = await Promise.all([startPowerDns(), startAlertmanager()]);
  });
  afterAll(async () => {
    await Promise.all([pdns?.stop(), am?.stop()]);
  });

  async function externalState(): Promise<{ zones: string[]; records: number; silences: string[] }> {
    const zr = await fetch(`${pdns.url}/api/v1/servers/localhost/zones`, { headers: { 'X-API-Key': pdns.apiKey } });
    const zones = ((await zr.json()) as { name: string }[]).map((z) => z.name).sort();
    let records = 0;
    for (const z of zones) {
      const r = await fetch(`${pdns.url}/api/v1/servers/localhost/zones/${z}`, { headers: { 'X-API-Key': pdns.apiKey } });
      records += ((await r.json()) as { rrsets: { type: string }[] }).rrsets.filter((x) => x.type === 'A').length;
    }
    const sr = await fetch(`${am.url}/api/v2/silences`);
    const silences = ((await sr.json()) as { id: string; status: { state: string } }[])
      .filter((s) => s.status.state !== 'expired')
      .map((s) => s.id)
      .sort();
    return { zones, records, silences };
  }

  /** The manifests a person keeps in git: spec as written, plus (second time round) the external names. */
  function manifests(deletionPolicy: 'Delete' | 'Orphan'): KubeObject[] {
    const out: KubeObject[] = [];
    for (let i = 0; i < N; i++) {
      const zone = `pet${i}.test.`;
      out.push({
        ...zoneType,
        metadata: { name: `pet-zone-${i}` },
        spec: {
          deletionPolicy,
          providerConfigRef: { name: 'pdns' },
          forProvider: { name: zone, kind: 'Native', nameservers: [`ns1.${zone}`] },
        },
      });
      out.push({
        ...rrsetType,
        metadata: { name: `pet-www-${i}` },
        spec: {
          deletionPolicy,
          providerConfigRef: { name: 'pdns' },
          forProvider: {
            zoneRef: { name: `pet-zone-${i}` },
            name: `www.${zone}`,
            type: 'A',
            ttl: 300,
            records: [{ content: `192.0.2.${i + 1}` }],
          },
        },
      });
      out.push({
        ...silenceType,
        metadata: { name: `pet-silence-${i}` },
        spec: {
          deletionPolicy,
          providerConfigRef: { name: 'am' },
          forProvider: {
            matchers: [{ name: 'alertname', value: `Pet${i}`, isRegex: false }],
            endsAt,
            createdBy: 'pets',
            comment: `pet silence ${i}`,
          },
        },
      });
    }
    return out;
  }

  async function controlPlane(): Promise<{
    cp: ControlPlane;
    client: Awaited<ReturnType<typeof newKubeClient>>;
    provider: ProviderProcess;
  }> {
    const cp = await start();
    const client = await newKubeClient({ kubeconfigPath: cp.kubeconfigPath });
    await installProvider(client, httpProvider);
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'pdns', namespace: 'default' },
      data: secretData({ key: pdns.apiKey }),
    });
    await client.create({
      apiVersion: 'http.trellis.io/v1alpha1',
      kind: 'ProviderConfig',
      metadata: { name: 'pdns' },
      spec: {
        baseUrl: `${pdns.url}/api/v1/servers/localhost`,
        headers: { 'X-API-Key': '{{ credentials }}' },
        credentials: { source: 'Secret', secretRef: { namespace: 'default', name: 'pdns', key: 'key' } },
      },
    });
    await client.create({
      apiVersion: 'http.trellis.io/v1alpha1',
      kind: 'ProviderConfig',
      metadata: { name: 'am' },
      spec: { baseUrl: `${am.url}/api/v2`, credentials: { source: 'None' } },
    });
    const provider = await startProviderProcess('http', cp.kubeconfigPath, {
      TRELLIS_POLL_INTERVAL: '5s',
      TRELLIS_NOT_READY_POLL_INTERVAL: '1s',
    });
    return { cp, client, provider };
  }

  async function allReady(client: Awaited<ReturnType<typeof newKubeClient>>, objs: KubeObject[]): Promise<KubeObject[]> {
    return Promise.all(
      objs.map((o) =>
        waitForObject(
          client,
          { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name ?? '' },
          'Ready and Synced',
          isReadyAndSynced,
          90_000,
        ),
      ),
    );
  }

  it('re-instantiates the same manifests on a fresh control plane without creating anything, then orphans', async () => {
    // First life.
    const first = await controlPlane();
    const original = manifests('Delete');
    for (const m of original) await first.client.create(m);
    const live = await allReady(first.client, original);
    const before = await externalState();
    expect(before.zones.length).toBe(N);
    expect(before.records).toBe(N);
    expect(before.silences.length).toBe(N);
    const names = new Map(live.map((o) => [o.metadata.name ?? '', o.metadata.annotations?.[Annotation.ExternalName] ?? '']));
    await first.provider.kill('SIGKILL');
    first.client.close();
    await first.cp.stop(); // the whole control plane, data directory included, is gone

    // Second life: a fresh control plane, the same manifests with their external names, and Orphan.
    const second = await controlPlane();
    try {
      const again = manifests('Orphan').map((m) => ({
        ...m,
        metadata: { ...m.metadata, annotations: { [Annotation.ExternalName]: names.get(m.metadata.name ?? '') ?? '' } },
      }));
      for (const m of again) await second.client.create(m);
      const adopted = await allReady(second.client, again);
      expect(await externalState()).toEqual(before); // zero new external resources
      for (const o of adopted) expect(o.metadata.annotations?.[Annotation.ExternalName]).toBe(names.get(o.metadata.name ?? ''));

      // Orphan: deleting the managed resources leaves every external one in place.
      for (const m of again) await second.client.delete({ apiVersion: m.apiVersion, kind: m.kind, name: m.metadata.name ?? '' });
      for (const m of again) await waitForGone(second.client, { apiVersion: m.apiVersion, kind: m.kind, name: m.metadata.name ?? '' });
      expect(await externalState()).toEqual(before);

      // Explicit adoption: without an external name, an existing zone is reported, not taken.
      const zone0 = manifests('Delete')[0] as KubeObject;
      await second.client.create({ ...zone0, metadata: { name: 'pet-zone-again' } });
      const refused = await waitForObject(
        second.client,
        { ...zoneType, name: 'pet-zone-again' },
        'refused',
        (o) => conditionOf(o, 'Synced')?.status === 'False',
      );
      expect(conditionOf(refused, 'Synced')?.message).toBe(
        'external resource "pet0.test." already exists and was not adopted: set the crossplane.io/external-name annotation to its name, or the trellis.dev/adoption-policy annotation to "Adopt", to take it over',
      );
      expect(refused.metadata.finalizers ?? []).toEqual([]);
      await second.client.patch(
        { ...zoneType, name: 'pet-zone-again' },
        { type: 'merge', patch: { metadata: { annotations: { [Annotation.AdoptionPolicy]: 'Adopt' } } } },
      );
      const taken = await waitForObject(second.client, { ...zoneType, name: 'pet-zone-again' }, 'adopted', isReadyAndSynced);
      expect(taken.metadata.annotations?.[Annotation.ExternalName]).toBe('pet0.test.');
      expect(await externalState()).toEqual(before);
    } finally {
      await second.provider.kill();
      second.client.close();
      await second.cp.stop();
    }
  }, 400_000);
});
