// Benchmark of the provider runtime (provider-http as a process, as the provider host runs it)
// against a private real kube-apiserver:
//   1. steady state: N managed resources (default 10,000) at a 1-minute poll against a local
//      in-memory REST server: provider CPU and RSS, API writes per minute when nothing changes
//      (from the API server's own apiserver_request_total), observe calls per minute;
//   2. time to converge 1,000 creates against a real PowerDNS.
// Run: node --import tsx bench/runtime/run.ts [--mrs 10000] [--window 180] [--pdns 1000]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import type { KubeClient } from '@trellis/kube';
import { newKubeClient } from '@trellis/kube';
import { definition as httpProvider } from '@trellis/provider-http';
import { installCrds } from '@trellis/runtime';
import type { KubeObject } from '@trellis/sdk';
import { hasCode } from '@trellis/sdk';
import { startRealControlPlane } from '../../test/harness/control-plane.ts';
import { startPowerDns } from '../../test/infra/services/services.ts';
import { providerBin } from '../../test/runtime/helpers.ts';
import { diff, isWrite, scrapeRequestTotals, top, total } from '../lib/apiserver-metrics.ts';
import { readUsage } from '../lib/proc.ts';

const { values } = parseArgs({
  options: {
    mrs: { type: 'string', default: '10000' },
    window: { type: 'string', default: '180' },
    pdns: { type: 'string', default: '1000' },
  },
});
const N = Number(values.mrs);
const WINDOW_S = Number(values.window);
const PDNS_N = Number(values.pdns);
const results: Record<string, number | string> = {};
const zoneType = { apiVersion: 'powerdns.http.trellis.io/v1alpha1', kind: 'Zone' };

/** Load prints the 1-, 5- and 15-minute load averages: the machine is shared, so figures need them next to them. */
function load(when: string): void {
  const [a = 0, b = 0, c = 0] = loadavg();
  console.log(`load average ${when}: ${a.toFixed(1)} ${b.toFixed(1)} ${c.toFixed(1)}`);
}

function report(name: string, value: number, unit: string): void {
  results[name] = Number(value.toFixed(2));
  console.log(`${name.padEnd(52)} ${value.toFixed(2).padStart(12)} ${unit}`);
}

/** A local, in-memory stand-in for the PowerDNS zones API: cheap enough that only the runtime is measured. */
async function localZonesServer(): Promise<{ url: string; gets: () => number; close: () => Promise<void> }> {
  const zones = new Map<string, Record<string, unknown>>();
  let gets = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/zones(?:\/([^/]+))?$/.exec(url.pathname);
      const id = m?.[1] === undefined ? undefined : decodeURIComponent(m[1]);
      const json = (status: number, body?: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      if (m === null) return json(404, { error: 'Not Found' });
      if (req.method === 'GET' && id !== undefined) {
        gets++;
        const z = zones.get(id);
        return z === undefined ? json(404, { error: 'Not Found' }) : json(200, z);
      }
      if (req.method === 'POST' && id === undefined) {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { name: string; kind: string };
        if (zones.has(body.name)) return json(409, { error: 'Conflict' });
        const z = { id: body.name, name: body.name, kind: body.kind, account: '', soa_edit_api: 'DEFAULT', serial: 1 };
        zones.set(body.name, z);
        return json(201, z);
      }
      if (req.method === 'PUT' && id !== undefined) {
        const z = zones.get(id);
        if (z === undefined) return json(404, { error: 'Not Found' });
        Object.assign(z, JSON.parse(Buffer.concat(chunks).toString()) as object);
        return json(204);
      }
      if (req.method === 'DELETE' && id !== undefined) {
        return zones.delete(id) ? json(204) : json(404, { error: 'Not Found' });
      }
      return json(405, { error: 'Method Not Allowed' });
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    gets: () => gets,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

async function createMany(client: KubeClient, n: number, make: (i: number) => KubeObject, concurrency = 32): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        await client.create(make(i));
      }
    }),
  );
}

/** Settled: Ready, Synced and UpToDate are True and every condition speaks for the current generation. */
function settled(o: KubeObject): boolean {
  type C = { type: string; status: string; observedGeneration?: number };
  const conds = ((o.status as { conditions?: C[] } | undefined)?.conditions ?? []) as C[];
  const isTrue = (t: string): boolean => conds.some((c) => c.type === t && c.status === 'True');
  return isTrue('Ready') && isTrue('Synced') && isTrue('UpToDate') && conds.every((c) => c.observedGeneration === o.metadata.generation);
}

async function countReady(client: KubeClient, labelSelector: string): Promise<number> {
  const l = await client.listAll(zoneType, { labelSelector, limit: 500 });
  return l.items.filter(settled).length;
}

async function waitReady(client: KubeClient, labelSelector: string, n: number, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  let ready = 0; // the last count seen
  for (;;) {
    try {
      ready = await countReady(client, labelSelector);
    } catch (err) {
      // On a shared, overloaded machine a list of thousands of objects can outlast the client's
      // 60 s deadline: that is the API server being slow, not the runtime; look again.
      if (!hasCode(err, 'KUBE_TIMEOUT')) throw err;
      console.log(`(a list of ${labelSelector} timed out; looking again)`);
    }
    if (ready >= n) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`only ${ready}/${n} Ready (last count seen) after ${timeoutMs} ms`);
    // Listing thousands of objects is itself load on the API server: look every 2 s, no more.
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

function startProvider(kubeconfigPath: string, env: Record<string, string>): Promise<{ pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [providerBin('http')], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, TRELLIS_KUBECONFIG: kubeconfigPath, ...env },
  });
  return new Promise((ok, fail) => {
    child.once('exit', (c) => fail(new Error(`provider exited with ${c}`)));
    child.on('message', (m: unknown) => {
      if ((m as { type?: string }).type === 'ready')
        ok({
          pid: child.pid ?? 0,
          stop: () =>
            new Promise<void>((done) => {
              child.removeAllListeners('exit');
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
    });
  });
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
  load('at start');
  const cp = await startRealControlPlane({ withControllerManager: true });
  const client = await newKubeClient({ kubeconfigPath: cp.kubeconfigPath, qps: 500, burst: 1000 });
  const local = await localZonesServer();
  const pdns = await startPowerDns();
  try {
    await installCrds(client, httpProvider.crds());
    await client.create({
      apiVersion: 'http.trellis.io/v1alpha1',
      kind: 'ProviderConfig',
      metadata: { name: 'local' },
      spec: { baseUrl: local.url, credentials: { source: 'None' } },
    });
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'pdns', namespace: 'default' },
      data: { key: Buffer.from(pdns.apiKey).toString('base64') },
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
    const provider = await startProvider(cp.kubeconfigPath, { TRELLIS_POLL_INTERVAL: '1m', TRELLIS_WORKERS: '64', TRELLIS_QPS: '200' });

    // 1. Time to converge 1,000 creates against PowerDNS.
    const tPdns = Date.now();
    await createMany(client, PDNS_N, (i) => ({
      ...zoneType,
      metadata: { name: `pdns-${i}`, labels: { bench: 'pdns' } },
      spec: {
        providerConfigRef: { name: 'pdns' },
        forProvider: { name: `z${i}.bench.test.`, kind: 'Native', nameservers: [`ns1.z${i}.bench.test.`] },
      },
    }));
    const created = Date.now() - tPdns;
    await waitReady(client, 'bench=pdns', PDNS_N, 900_000);
    report(`pdns: ${PDNS_N} creates submitted`, created / 1000, 's');
    report(`pdns: ${PDNS_N} creates converged (all Ready)`, (Date.now() - tPdns) / 1000, 's');
    const zr = await fetch(`${pdns.url}/api/v1/servers/localhost/zones`, { headers: { 'X-API-Key': pdns.apiKey } });
    report('pdns: zones in PowerDNS', ((await zr.json()) as unknown[]).length, 'zones');
    load('after the PowerDNS creates');

    // 2. N resources at a 1-minute poll against the local server.
    const tLocal = Date.now();
    await createMany(client, N, (i) => ({
      ...zoneType,
      metadata: { name: `local-${i}`, labels: { bench: 'local' } },
      spec: { providerConfigRef: { name: 'local' }, forProvider: { name: `l${i}.bench.test.`, kind: 'Native' } },
    }));
    await waitReady(client, 'bench=local', N, 1_800_000);
    report(`local: ${N} creates converged`, (Date.now() - tLocal) / 1000, 's');
    load('after the local creates');
    // Let the creation wave pass (a full poll interval after everything settled), then measure a
    // quiet window of several poll intervals.
    await new Promise((r) => setTimeout(r, 75_000));
    const u0 = readUsage(provider.pid);
    const m0 = await scrapeRequestTotals(client);
    const g0 = local.gets();
    await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
    const u1 = readUsage(provider.pid);
    const m1 = await scrapeRequestTotals(client);
    const g1 = local.gets();
    load('at the end of the steady window');
    const d = diff(m1, m0);
    // What a provider writes: its managed resources and their status, usages, configs, connection
    // secrets and events.
    const mine = (k: string): boolean => / (zones|providerconfigusages|secrets|providerconfigs|events)(\/status)?$/.test(k);
    const minutes = WINDOW_S / 60;
    report(`steady: API writes per minute (${N + PDNS_N} MRs)`, total(d, (k) => isWrite(k) && mine(k)) / minutes, 'writes/min');
    report(
      'steady: API reads per minute (GET/LIST of MRs)',
      total(d, (k) => !isWrite(k) && mine(k) && !k.startsWith('WATCH')) / minutes,
      'reads/min',
    );
    report('steady: observe calls per minute (local server)', (g1 - g0) / minutes, 'GETs/min');
    if (u0 !== undefined && u1 !== undefined) {
      report('steady: provider CPU', ((u1.cpuSeconds - u0.cpuSeconds) / WINDOW_S) * 100, '% of one core');
      report('steady: provider RSS', u1.rssBytes / 2 ** 20, 'MiB');
      report('steady: provider peak RSS', u1.peakRssBytes / 2 ** 20, 'MiB');
    }
    results['steady: top writes'] = top(d, 6, isWrite);
    console.log(`top writes in the window: ${results['steady: top writes'] || '(none)'}`);
    await provider.stop();
  } finally {
    await local.close();
    await pdns.stop();
    client.close();
    await cp.stop();
  }
  console.log(JSON.stringify(results));
}

await main();
