// provider-http as a real process against the real API server and a real PowerDNS: zones and
// RRsets converge (RRsets find their zone through zoneRef), steady state writes nothing, drift is
// corrected within a poll, and deletion removes what was created.
import { definition as httpProvider } from '@trellis/provider-http';
import { Annotation } from '@trellis/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestClient } from '../harness/targets.ts';
import { apiServerTargets, clientFor, uniqueName } from '../harness/targets.ts';
import type { PowerDns } from '../infra/services/services.ts';
import { startPowerDns } from '../infra/services/services.ts';
import type { ProviderProcess } from '../runtime/helpers.ts';
import {
  conditionOf,
  expectNoWrites,
  installProvider,
  isReadyAndSynced,
  secretData,
  startProviderProcess,
  waitForGone,
  waitForObject,
} from '../runtime/helpers.ts';

const zoneType = { apiVersion: 'powerdns.http.trellis.io/v1alpha1', kind: 'Zone' };
const rrsetType = { apiVersion: 'powerdns.http.trellis.io/v1alpha1', kind: 'RRset' };

describe.each(apiServerTargets())('provider-http with PowerDNS on $name', (target) => {
  let client: TestClient;
  let pdns: PowerDns;
  let provider: ProviderProcess;
  const pc = uniqueName('pdns');
  const ns = 'default';

  async function pdnsGet(path: string): Promise<{ status: number; body: unknown }> {
    const r = await fetch(`${pdns.url}/api/v1/servers/localhost${path}`, { headers: { 'X-API-Key': pdns.apiKey } });
    return { status: r.status, body: r.status === 200 ? await r.json() : await r.text() };
  }

  beforeAll(async () => {
    client = await clientFor(target);
    pdns = await startPowerDns();
    await installProvider(client, httpProvider);
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: pc, namespace: ns },
      data: secretData({ key: pdns.apiKey }),
    });
    await client.create({
      apiVersion: 'http.trellis.io/v1alpha1',
      kind: 'ProviderConfig',
      metadata: { name: pc },
      spec: {
        baseUrl: `${pdns.url}/api/v1/servers/localhost`,
        headers: { 'X-API-Key': '{{ credentials }}' },
        credentials: { source: 'Secret', secretRef: { namespace: ns, name: pc, key: 'key' } },
      },
    });
    provider = await startProviderProcess('http', target.kubeconfigPath, {
      TRELLIS_POLL_INTERVAL: '3s',
      TRELLIS_NOT_READY_POLL_INTERVAL: '1s',
    });
  });
  afterAll(async () => {
    await provider?.kill();
    await pdns?.stop();
    client?.close();
  });

  it('creates a zone and a record set, keeps them in sync, and deletes them', async () => {
    const zoneName = `${uniqueName('z')}.test.`;
    const z = uniqueName('zone');
    const r = uniqueName('www');
    await client.create({
      ...zoneType,
      metadata: { name: z },
      spec: { providerConfigRef: { name: pc }, forProvider: { name: zoneName, kind: 'Native', nameservers: [`ns1.${zoneName}`] } },
    });
    await client.create({
      ...rrsetType,
      metadata: { name: r },
      spec: {
        providerConfigRef: { name: pc },
        forProvider: { zoneRef: { name: z }, name: `www.${zoneName}`, type: 'A', ttl: 300, records: [{ content: '192.0.2.10' }] },
      },
    });
    const zone = await waitForObject(client, { ...zoneType, name: z }, 'Ready and Synced', isReadyAndSynced);
    expect(zone.metadata.annotations?.[Annotation.ExternalName]).toBe(zoneName);
    expect(zone.metadata.finalizers).toContain('finalizer.managedresource.crossplane.io');
    const rr = await waitForObject(client, { ...rrsetType, name: r }, 'Ready and Synced', isReadyAndSynced);
    expect((rr.spec as { forProvider: { zone?: string } }).forProvider.zone).toBe(zoneName);
    expect((await pdnsGet(`/zones/${zoneName}?rrset_name=www.${zoneName}&rrset_type=A`)).body).toMatchObject({
      rrsets: [{ ttl: 300, records: [{ content: '192.0.2.10' }] }],
    });

    // Steady state: two poll intervals of observing, and not a single write.
    // Creating the record set bumped the zone's serial in PowerDNS, which the zone's next observation
    // records in status.atProvider (a real change, so a write): settled means that write is done.
    const serial = ((await pdnsGet(`/zones/${zoneName}`)).body as { serial?: number }).serial;
    await waitForObject(
      client,
      { ...zoneType, name: z },
      `settled (UpToDate, atProvider.serial ${serial})`,
      (o) =>
        conditionOf(o, 'UpToDate')?.status === 'True' && (o.status as { atProvider?: { serial?: number } }).atProvider?.serial === serial,
    );
    await expectNoWrites(client, { ...zoneType, name: z }, 7_000);

    // Events say what happened, as upstream's do.
    const events = await client.list(
      { apiVersion: 'v1', kind: 'Event' },
      { namespace: 'default', fieldSelector: `involvedObject.name=${z}` },
    );
    expect(events.items.map((e) => (e as { reason?: string }).reason)).toContain('CreatedExternalResource');

    // The usage of the ProviderConfig is tracked.
    const usages = await client.list(
      { apiVersion: 'http.trellis.io/v1alpha1', kind: 'ProviderConfigUsage' },
      { labelSelector: `crossplane.io/provider-config=${pc}` },
    );
    expect(usages.items.length).toBe(2);

    // Drift: change the record out of band; the provider puts it back within a poll.
    await fetch(`${pdns.url}/api/v1/servers/localhost/zones/${zoneName}`, {
      method: 'PATCH',
      headers: { 'X-API-Key': pdns.apiKey },
      body: JSON.stringify({
        rrsets: [
          { name: `www.${zoneName}`, type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: '198.51.100.1', disabled: false }] },
        ],
      }),
    });
    const t0 = Date.now();
    const deadline = t0 + 10_000;
    for (;;) {
      const got = (await pdnsGet(`/zones/${zoneName}?rrset_name=www.${zoneName}&rrset_type=A`)).body as {
        rrsets: { ttl: number; records: { content: string }[] }[];
      };
      if (got.rrsets[0]?.records[0]?.content === '192.0.2.10' && got.rrsets[0]?.ttl === 300) break;
      if (Date.now() > deadline) throw new Error(`drift not corrected: ${JSON.stringify(got.rrsets)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    // Found and corrected within one poll interval (3 s + 10 % jitter) plus one reconcile.
    expect(Date.now() - t0).toBeLessThan(3_000 * 1.1 + 1_500);

    await client.delete({ ...rrsetType, name: r });
    await client.delete({ ...zoneType, name: z });
    await waitForGone(client, { ...rrsetType, name: r });
    await waitForGone(client, { ...zoneType, name: z });
    expect((await pdnsGet(`/zones/${zoneName}`)).status).toBe(404);
  });

  it('only reports RRset drift, within a poll, when the management policies do not allow Update', async () => {
    const zoneName = `${uniqueName('ro')}.test.`;
    const z = uniqueName('rozone');
    const r = uniqueName('rowww');
    await client.create({
      ...zoneType,
      metadata: { name: z },
      spec: { providerConfigRef: { name: pc }, forProvider: { name: zoneName, kind: 'Native', nameservers: [`ns1.${zoneName}`] } },
    });
    await client.create({
      ...rrsetType,
      metadata: { name: r },
      spec: {
        providerConfigRef: { name: pc },
        managementPolicies: ['Observe', 'Create', 'Delete', 'LateInitialize'],
        forProvider: { zoneRef: { name: z }, name: `www.${zoneName}`, type: 'A', ttl: 300, records: [{ content: '192.0.2.10' }] },
      },
    });
    await waitForObject(client, { ...rrsetType, name: r }, 'Ready and Synced', isReadyAndSynced);
    await waitForObject(client, { ...rrsetType, name: r }, 'UpToDate', (o) => conditionOf(o, 'UpToDate')?.status === 'True');

    await fetch(`${pdns.url}/api/v1/servers/localhost/zones/${zoneName}`, {
      method: 'PATCH',
      headers: { 'X-API-Key': pdns.apiKey },
      body: JSON.stringify({
        rrsets: [
          { name: `www.${zoneName}`, type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: '198.51.100.1', disabled: false }] },
        ],
      }),
    });
    const t0 = Date.now();
    const drifted = await waitForObject(
      client,
      { ...rrsetType, name: r },
      'UpToDate=False',
      (o) => conditionOf(o, 'UpToDate')?.status === 'False',
      20_000,
    );
    // Found within one poll interval (3 s + 10 % jitter) plus one reconcile.
    expect(Date.now() - t0).toBeLessThan(3_000 * 1.1 + 1_500);
    expect(conditionOf(drifted, 'UpToDate')).toMatchObject({ reason: 'UpdateRestricted' });
    expect(conditionOf(drifted, 'UpToDate')?.message).toMatch(
      /^the external resource differs: spec\.forProvider\.ttl: want 300, have 60; spec\.forProvider\.records: /,
    );
    expect(conditionOf(drifted, 'Synced')?.status).toBe('True');
    // Reported, not corrected: PowerDNS keeps the out-of-band value.
    expect((await pdnsGet(`/zones/${zoneName}?rrset_name=www.${zoneName}&rrset_type=A`)).body).toMatchObject({
      rrsets: [{ ttl: 60, records: [{ content: '198.51.100.1' }] }],
    });

    await client.delete({ ...rrsetType, name: r });
    await client.delete({ ...zoneType, name: z });
    await waitForGone(client, { ...rrsetType, name: r });
    await waitForGone(client, { ...zoneType, name: z });
    expect((await pdnsGet(`/zones/${zoneName}`)).status).toBe(404);
  });

  it('reports a spec the API rejects with a clear condition', async () => {
    const z = uniqueName('bad');
    await client.create({
      ...zoneType,
      metadata: { name: z },
      spec: { providerConfigRef: { name: pc }, forProvider: { name: 'bad..name.', kind: 'Native' } },
    });
    const got = await waitForObject(client, { ...zoneType, name: z }, 'Synced=False', (o) => conditionOf(o, 'Synced')?.status === 'False');
    // PowerDNS refuses the name already when it is looked up: a permanent 422, stated as such.
    expect(conditionOf(got, 'Synced')?.message).toMatch(
      /^observe failed: cannot observe Zone: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/servers\/localhost\/zones\/bad\.\.name\.: 422: /,
    );
    await client.delete({ ...zoneType, name: z });
    await waitForGone(client, { ...zoneType, name: z });
  });
});
