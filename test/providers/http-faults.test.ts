// Faults, each against a real PowerDNS behind a fault-injecting proxy, with provider-http running
// as a process: a 4xx gives a clear condition and no hot loop; 5xx and timeouts back off; 429
// honours Retry-After; an unreachable endpoint and bad credentials give clear conditions, and
// fixing the cause converges.
import { definition as httpProvider } from '@trellis/provider-http';
import type { KubeObject } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestClient } from '../harness/targets.ts';
import { apiServerTargets, clientFor, uniqueName } from '../harness/targets.ts';
import type { PowerDns } from '../infra/services/services.ts';
import { freePort, startPowerDns } from '../infra/services/services.ts';
import type { ProviderProcess } from '../runtime/helpers.ts';
import { conditionOf, installProvider, isReadyAndSynced, secretData, startProviderProcess, waitForObject } from '../runtime/helpers.ts';
import type { FaultProxy } from './fault-proxy.ts';
import { startFaultProxy } from './fault-proxy.ts';

const zoneType = { apiVersion: 'powerdns.http.trellis.io/v1alpha1', kind: 'Zone' };
const ns = 'default';

describe.concurrent.each(apiServerTargets())('provider-http faults on $name', (target) => {
  let client: TestClient;
  let pdns: PowerDns;
  let provider: ProviderProcess;
  const proxies: FaultProxy[] = [];

  beforeAll(async () => {
    client = await clientFor(target);
    pdns = await startPowerDns();
    await installProvider(client, httpProvider);
    // Poll every 2 s; provider calls time out after 1 s.
    provider = await startProviderProcess('http', target.kubeconfigPath, {
      TRELLIS_POLL_INTERVAL: '2s',
      TRELLIS_NOT_READY_POLL_INTERVAL: '2s',
      TRELLIS_CALL_TIMEOUT: '1s',
    });
  });
  afterAll(async () => {
    await provider?.kill();
    await Promise.all(proxies.map((p) => p.close()));
    await pdns?.stop();
    client?.close();
  });

  /** Config creates a ProviderConfig (and key Secret) pointing at `baseUrl`. */
  async function config(baseUrl: string, key = pdns.apiKey): Promise<string> {
    const name = uniqueName('fault');
    await client.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns }, data: secretData({ key }) });
    await client.create({
      apiVersion: 'http.trellis.io/v1alpha1',
      kind: 'ProviderConfig',
      metadata: { name },
      spec: {
        baseUrl,
        headers: { 'X-API-Key': '{{ credentials }}' },
        credentials: { source: 'Secret', secretRef: { namespace: ns, name, key: 'key' } },
      },
    });
    return name;
  }

  async function proxy(): Promise<FaultProxy> {
    const p = await startFaultProxy(pdns.url);
    proxies.push(p);
    return p;
  }

  async function zone(
    pc: string,
    zoneName = `${uniqueName('f')}.test.`,
  ): Promise<{ name: string; ref: { apiVersion: string; kind: string; name: string } }> {
    const name = uniqueName('zone');
    await client.create({
      ...zoneType,
      metadata: { name },
      spec: { providerConfigRef: { name: pc }, forProvider: { name: zoneName, kind: 'Native', nameservers: [`ns1.${zoneName}`] } },
    });
    return { name, ref: { ...zoneType, name } };
  }

  const synced = (re: RegExp) => (o: KubeObject) =>
    conditionOf(o, 'Synced')?.status === 'False' && re.test(conditionOf(o, 'Synced')?.message ?? '');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const gaps = (ts: number[]) => ts.slice(1).map((t, i) => t - (ts[i] ?? 0));

  it('4xx: a clear condition, and requests no faster than the poll interval', async () => {
    const p = await proxy();
    const pc = await config(`${p.url}/api/v1/servers/localhost`);
    p.mode = { kind: 'status', status: 422, body: JSON.stringify({ error: 'Unable to parse DNS Name' }) };
    const z = await zone(pc);
    await waitForObject(
      client,
      z.ref,
      'a 422 condition',
      synced(
        /observe failed: cannot observe Zone: GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/servers\/localhost\/zones\/[^ ]+: 422: Unable to parse DNS Name$/,
      ),
    );
    const start = p.requests.length;
    await sleep(6_000);
    // 2 s poll with 10 % jitter: at most 4 requests in 6 s; a hot loop would make hundreds.
    expect(p.requests.length - start).toBeLessThanOrEqual(4);
    p.mode = { kind: 'pass' };
    await waitForObject(client, z.ref, 'Ready after the fault clears', isReadyAndSynced, 30_000);
  });

  it('5xx: backs off exponentially, then converges', async () => {
    const p = await proxy();
    const pc = await config(`${p.url}/api/v1/servers/localhost`);
    p.mode = { kind: 'status', status: 500 };
    const z = await zone(pc);
    await waitForObject(client, z.ref, 'a 500 condition', synced(/: 500: injected 500$/));
    await sleep(7_000);
    const times = p.requests.map((r) => r.at);
    const g = gaps(times);
    // 1 s, 2 s, 4 s...: each wait at least as long as the one before (small scheduling slack).
    expect(times.length).toBeLessThanOrEqual(5);
    // Backoff waits at least 1 s, 2 s, 4 s... (a loaded machine only makes the waits longer).
    for (let i = 0; i < g.length; i++) expect(g[i] ?? 0).toBeGreaterThanOrEqual(900 * 2 ** i);
    p.mode = { kind: 'pass' };
    await waitForObject(client, z.ref, 'Ready after the fault clears', isReadyAndSynced, 60_000);
  });

  it('timeouts: the call deadline cuts a hanging request, and the retry backs off', async () => {
    const p = await proxy();
    const pc = await config(`${p.url}/api/v1/servers/localhost`);
    p.mode = { kind: 'hang' };
    const z = await zone(pc);
    await waitForObject(client, z.ref, 'a timeout condition', synced(/^observe failed: observe did not finish within 1000 ms$/));
    await sleep(5_000);
    expect(p.requests.length).toBeLessThanOrEqual(4);
    p.mode = { kind: 'pass' };
    await waitForObject(client, z.ref, 'Ready after the fault clears', isReadyAndSynced, 60_000);
  });

  it('429: waits exactly as long as Retry-After asks', async () => {
    const p = await proxy();
    const pc = await config(`${p.url}/api/v1/servers/localhost`);
    p.mode = { kind: 'status', status: 429, retryAfter: '3' };
    const z = await zone(pc);
    await waitForObject(client, z.ref, 'a 429 condition', synced(/: 429: injected 429$/));
    await sleep(7_000);
    const g = gaps(p.requests.map((r) => r.at));
    expect(g.length).toBeGreaterThanOrEqual(1);
    for (const gap of g) expect(gap).toBeGreaterThanOrEqual(2_950);
    expect(g.every((x) => x < 4_500)).toBe(true);
    p.mode = { kind: 'pass' };
    await waitForObject(client, z.ref, 'Ready after the fault clears', isReadyAndSynced, 30_000);
  });

  it('an unreachable endpoint: a clear condition naming the endpoint', async () => {
    const port = await freePort();
    const pc = await config(`http://127.0.0.1:${port}/api/v1/servers/localhost`);
    const z = await zone(pc);
    await waitForObject(
      client,
      z.ref,
      'an unreachable condition',
      synced(
        new RegExp(
          `GET http://127\\.0\\.0\\.1:${port}/api/v1/servers/localhost/zones/[^ ]+: cannot connect: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`,
        ),
      ),
    );
  });

  it('bad credentials: a clear condition; fixing the Secret converges within a poll', async () => {
    const pc = await config(`${pdns.url}/api/v1/servers/localhost`, 'wrong-key');
    const z = await zone(pc);
    await waitForObject(client, z.ref, 'a 401 condition', synced(/: 401: Unauthorized \(check the ProviderConfig credentials\)$/));
    const secret = await client.get({ apiVersion: 'v1', kind: 'Secret', name: pc, namespace: ns });
    await client.update({ ...secret, data: secretData({ key: pdns.apiKey }) });
    await waitForObject(client, z.ref, 'Ready once the key is right', isReadyAndSynced, 15_000);
  });
});
