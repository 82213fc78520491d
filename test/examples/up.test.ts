/**
 * The demo platform end to end, through the real CLI process and real clients, on both API
 * servers: `trellis up --with-examples` (its own embedded API server on a temp data dir and a free
 * port; or `--kubeconfig` against a private real kube-apiserver), then
 *
 * - the acceptance path: kubectl 1.35 applies examples/multi-cluster-app/claim.yaml, the claim is
 *   Ready within seconds, `trellis trace` shows claim → XR → composed resources, the app's objects
 *   exist, and deleting the claim removes everything;
 * - the Helm chart examples/helm: helm 4 and helm 3 install it with `--wait`, its claims become
 *   Ready, `helm uninstall --wait` removes them and everything they composed;
 * - Ctrl-C stops `trellis up` cleanly (exit 0).
 *
 * The seconds to Ready are printed (and recorded in docs/examples.md).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pgClient from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trellis } from '../cli/cli.ts';
import { ClientEnv, helms, kubectls, requireBinary } from '../clients/clients.ts';
import { waitFor } from '../harness/targets.ts';
import { type Postgres, type PowerDns, startPostgres, startPowerDns } from '../infra/services/services.ts';
import { root, startEmbeddedUp, startRealUp, type TrellisUp, trellisCli } from './up.ts';

const kubectl135 = kubectls.find((k) => k.name === 'kubectl 1.35') ?? (kubectls[0] as (typeof kubectls)[number]);
const chart = join(root, 'examples/helm');
const claimFile = join(root, 'examples/multi-cluster-app/claim.yaml');

interface Cond {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface Obj {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  status?: { conditions?: Cond[] };
  data?: Record<string, string>;
}

const isReady = (o: Obj): boolean => (o.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

const starters = [
  { name: 'embedded', start: () => startEmbeddedUp() },
  { name: 'real', start: () => startRealUp() },
];

describe.each(starters)('trellis up --with-examples ($name API server)', ({ name, start }) => {
  let up: TrellisUp | undefined;
  let kubectl: ClientEnv;
  // Kubectl's own --timeout is the deadline of a wait; the process gets a little more.
  const kc = async (...args: string[]): Promise<string> => await kubectl.mustRun(args, { timeoutMs: 150_000 });
  /**
   * WaitReady is `kubectl wait --for=condition=Ready`; when it fails, the error carries what to
   * debug with: the tree as `trellis trace -o wide` draws it and the tail of trellis up's output.
   */
  const waitReady = async (what: string, ns: string | undefined, timeout: string): Promise<void> => {
    const nsArgs = ns === undefined ? [] : ['-n', ns];
    const r = await kubectl.run(['wait', '--for=condition=Ready', what, ...nsArgs, `--timeout=${timeout}`], { timeoutMs: 150_000 });
    if (r.code === 0) return;
    const tr = await trellis(['trace', what, ...nsArgs, '-o', 'wide', '--kubeconfig', ctx().kubeconfigPath]);
    throw new Error(
      `${what} was not Ready within ${timeout}: ${r.stderr}\n--- trellis trace -o wide\n${tr.out}${tr.err}\n${ctx().output()}`,
    );
  };
  const getJson = async <T>(...args: string[]): Promise<T> => JSON.parse(await kc('get', ...args, '-o', 'json')) as T;
  const list = async (...args: string[]): Promise<Obj[]> => (await getJson<{ items: Obj[] }>(...args)).items;
  const ctx = (): TrellisUp => {
    if (up === undefined) throw new Error('trellis up did not start');
    return up;
  };

  beforeAll(async () => {
    requireBinary(kubectl135);
    for (const h of helms) requireBinary(h);
    up = await start();
    console.log(`[examples] ${name}: trellis up --with-examples ready in ${up.startSeconds.toFixed(1)}s`);
    kubectl = new ClientEnv(kubectl135, up.kubeconfigPath);
  }, 300_000);

  afterAll(async () => {
    await up?.stop();
  }, 120_000);

  it('applying the example claim with kubectl makes it Ready within seconds; trace shows the whole tree', {
    timeout: 240_000,
  }, async () => {
    const t0 = performance.now();
    expect(await kc('apply', '-f', claimFile)).toContain('app.platform.example.org/hello created');
    await waitReady('app/hello', 'default', '60s');
    const seconds = (performance.now() - t0) / 1000;
    console.log(`[examples] ${name}: kubectl apply of examples/multi-cluster-app/claim.yaml to Ready in ${seconds.toFixed(2)}s`);

    const tr = await trellisCli(['trace', 'app/hello', '-n', 'default', '--kubeconfig', ctx().kubeconfigPath]);
    expect(tr.code, tr.stdout + tr.stderr).toBe(0);
    const lines = tr.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SYNCED\s+READY\s+STATUS$/);
    expect(lines[1]).toMatch(/^App\/hello \(default\)\s+True\s+True\s+Available$/);
    expect(lines[2]).toMatch(/^└─ XApp\/hello-[a-z0-9]+\s+True\s+True\s+Available$/);
    const composed = lines.slice(3);
    // Two clusters × (ConfigMap, ServiceAccount), each a provider-kubernetes Object.
    expect(composed).toHaveLength(4);
    for (const l of composed) expect(l).toMatch(/^ {3}[├└]─ Object\/hello-[a-z0-9]+-[0-9a-f]+\s+True\s+True\s+Available$/);

    // JSON (in-process, the same command) agrees: claim → XR → four Objects, each with the manifest it manages.
    const js = await trellis(['trace', 'app/hello', '-n', 'default', '-o', 'json', '--kubeconfig', ctx().kubeconfigPath]);
    expect(js.code, js.err).toBe(0);
    interface Node {
      object: Obj & { kind: string };
      children: Node[];
    }
    const tree = JSON.parse(js.out) as Node;
    expect(tree.object.kind).toBe('App');
    expect(tree.children.map((c) => c.object.kind)).toEqual(['XApp']);
    const objects = tree.children[0]?.children ?? [];
    expect(objects.map((c) => c.object.kind)).toEqual(['Object', 'Object', 'Object', 'Object']);
    const manifests = objects.map((c) => {
      const spec = c.object.spec as { providerConfigRef: { name: string }; forProvider: { manifest: { kind: string } } };
      return `${spec.providerConfigRef.name}/${spec.forProvider.manifest.kind}`;
    });
    expect(manifests.sort()).toEqual([
      'cluster-a/ConfigMap',
      'cluster-a/ServiceAccount',
      'cluster-b/ConfigMap',
      'cluster-b/ServiceAccount',
    ]);

    // Both demo clusters are this one: the two Objects of each kind agree on one object (no fight over it).
    await waitFor(
      'every Object to be UpToDate',
      async () => {
        const objects = await list('objects.kubernetes.trellis.io');
        return (
          objects.length === 4 &&
          objects.every((o) => (o.status?.conditions ?? []).some((c) => c.type === 'UpToDate' && c.status === 'True'))
        );
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    // What the Objects made: the app's ConfigMap and ServiceAccount in default.
    const cm = await getJson<Obj>('configmap', 'hello', '-n', 'default');
    expect(cm.data).toMatchObject({ image: 'nginx:1.27', message: 'hello from trellis' });
    expect(await kc('get', 'serviceaccount', 'hello', '-n', 'default', '-o', 'name')).toContain('serviceaccount/hello');
  });

  it('deleting the claim removes the XR, the composed Objects and the objects they made', async () => {
    await kc('delete', '-f', claimFile, '--wait=true', '--timeout=60s');
    await waitFor(
      'the XR and its Objects to be gone',
      async () => (await list('xapps.platform.example.org')).length + (await list('objects.kubernetes.trellis.io')).length === 0,
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    await waitFor(
      'the ConfigMap and ServiceAccount to be gone',
      async () =>
        (
          await kubectl.run(['get', 'configmap/hello', 'serviceaccount/hello', '-n', 'default', '--ignore-not-found', '-o', 'name'])
        ).stdout.trim() === '',
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  });

  describe.each(helms)('the Helm chart examples/helm with $name', (bin) => {
    const ns = `claims-${bin.name.replace(/\D/g, '')}`;
    const release = 'demo';
    let helm: ClientEnv;
    beforeAll(async () => {
      helm = new ClientEnv(bin, ctx().kubeconfigPath);
      await kc('create', 'namespace', ns);
    });

    it('installs with --wait: the claims become Ready and compose the app in the release namespace', async () => {
      const t0 = performance.now();
      const out = await helm.mustRun(['install', release, chart, '-n', ns, '--wait', '--timeout', '120s'], { timeoutMs: 150_000 });
      expect(out).toContain('STATUS: deployed');
      if (bin.name === 'helm 4') {
        // Helm 4 waits on custom resources through kstatus: the claim is Ready when install returns.
        const claim = await getJson<Obj>('app', `${release}-hello`, '-n', ns);
        expect(isReady(claim), JSON.stringify(claim.status)).toBe(true);
      } else {
        // Helm 3's --wait does not look at custom resources.
        await waitReady(`app/${release}-hello`, ns, '60s');
      }
      console.log(`[examples] ${name}: ${bin.name} install --wait to Ready claims in ${((performance.now() - t0) / 1000).toFixed(2)}s`);
      const cm = await getJson<Obj>('configmap', `${release}-hello`, '-n', ns);
      expect(cm.data).toMatchObject({ image: 'nginx:1.27', message: 'hello from helm' });
      const xrs = (await list('xapps.platform.example.org')).filter((x) => x.metadata.labels?.['crossplane.io/claim-namespace'] === ns);
      expect(xrs).toHaveLength(1);
      expect(isReady(xrs[0] as Obj)).toBe(true);
    });

    it('uninstalls with --wait: the claims, their XRs, Objects and the app objects are gone', async () => {
      await helm.mustRun(['uninstall', release, '-n', ns, '--wait', '--timeout', '120s'], { timeoutMs: 150_000 });
      await waitFor(
        'the claim, its XR and its Objects to be gone',
        async () =>
          (await list('apps.platform.example.org', '-n', ns)).length +
            (await list('xapps.platform.example.org')).length +
            (await list('objects.kubernetes.trellis.io')).length ===
          0,
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      await waitFor(
        'the app objects to be gone',
        async () =>
          (await kubectl.run(['get', 'configmap', `${release}-hello`, '-n', ns, '--ignore-not-found', '-o', 'name'])).stdout.trim() === '',
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect(await kc('get', 'secrets', '-n', ns, '-l', 'owner=helm', '-o', 'name')).toBe('');
    });
  });

  // The examples that need a service outside the machine, with real PostgreSQL and PowerDNS (on the
  // embedded server only: the same controllers run on both, and the real one is covered above).
  if (name === 'embedded') {
    describe('the examples with external services (PostgreSQL, PowerDNS)', { timeout: 300_000 }, () => {
      let pg: Postgres | undefined;
      let pdns: PowerDns | undefined;
      const pdnsGet = async (path: string): Promise<{ status: number; body: unknown }> => {
        const r = await fetch(`${pdns?.url ?? ''}/api/v1/servers/localhost${path}`, { headers: { 'X-API-Key': pdns?.apiKey ?? '' } });
        return { status: r.status, body: r.status === 200 ? await r.json() : await r.text() };
      };
      const rrsetNames = async (): Promise<string[]> => {
        const z = await pdnsGet('/zones/example.test.');
        return ((z.body as { rrsets?: { name: string; type: string }[] }).rrsets ?? [])
          .filter((r) => r.type !== 'SOA' && r.type !== 'NS')
          .map((r) => `${r.name} ${r.type}`)
          .sort();
      };
      const sql = async <T>(q: string, params: unknown[] = []): Promise<T[]> => {
        const c = new pgClient.Client({ host: pg?.host, port: pg?.port, user: pg?.user, database: 'postgres' });
        await c.connect();
        try {
          return (await c.query(q, params)).rows as T[];
        } finally {
          await c.end();
        }
      };
      /** Applies an example's provider-config.yaml edited as its README says (the server's address and key). */
      const applyEdited = async (file: string, edits: [string, string][]): Promise<void> => {
        let text = readFileSync(join(root, 'examples', file), 'utf8');
        for (const [from, to] of edits) {
          expect(text, `${file} contains ${from}`).toContain(from);
          text = text.replace(from, to);
        }
        const edited = join(tmp, file.replace(/\//g, '-'));
        writeFileSync(edited, text);
        await kc('apply', '-f', edited);
      };
      const tmp = mkdtempSync(join(tmpdir(), 'trellis-examples-services-'));

      beforeAll(async () => {
        [pg, pdns] = await Promise.all([startPostgres(), startPowerDns()]);
        await applyEdited('database/provider-config.yaml', [['port: "5432"', `port: "${pg.port}"`]]);
        await applyEdited('global-dns/provider-config.yaml', [
          ['http://127.0.0.1:8081', pdns.url],
          ['key: change-me', `key: ${pdns.apiKey}`],
        ]);
      }, 180_000);
      afterAll(async () => {
        await Promise.all([pg?.stop(), pdns?.stop()]);
        rmSync(tmp, { recursive: true, force: true });
      });

      it('global-dns: the claim is Ready, PowerDNS answers for every site and the weighted name; deletion removes the records', async () => {
        await waitReady('zone.powerdns.http.trellis.io/example-test', undefined, '90s');
        await kc('apply', '-f', join(root, 'examples/global-dns/claim.yaml'));
        await waitReady('globalrecord/shop', 'default', '90s');
        expect(await rrsetNames()).toEqual([
          '_weights.shop.example.test. TXT',
          'eu.shop.example.test. A',
          'shop.example.test. A',
          'us.shop.example.test. A',
        ]);
        const claim = await getJson<Obj & { status: Record<string, unknown> }>('globalrecord', 'shop', '-n', 'default');
        expect(claim.status).toMatchObject({ fqdn: 'shop.example.test.', activeSites: 2, weights: 'eu=3 us=1' });
        const tr = await trellis(['trace', 'globalrecord/shop', '-n', 'default', '--kubeconfig', ctx().kubeconfigPath]);
        expect(tr.code, tr.err).toBe(0);
        expect(tr.out.match(/RRset\/shop-/g)).toHaveLength(4);

        await kc('delete', '-f', join(root, 'examples/global-dns/claim.yaml'), '--wait=true', '--timeout=60s');
        await waitFor('the records to leave PowerDNS', async () => (await rrsetNames()).length === 0, {
          timeoutMs: 60_000,
          intervalMs: 250,
        });
        // The zone is the platform team's, not the app's.
        expect((await pdnsGet('/zones/example.test.')).status).toBe(200);
      });

      it('database: the claim is Ready, the database and its owner exist, the credentials log in; deletion drops them', async () => {
        await kc('apply', '-f', join(root, 'examples/database/claim.yaml'));
        await waitReady('postgresdatabase/orders', 'default', '90s');
        const secret = await getJson<{ data: Record<string, string> }>('secret', 'orders-credentials', '-n', 'default');
        const decode = (k: string): string => Buffer.from(secret.data[k] ?? '', 'base64').toString('utf8');
        expect(decode('username')).toBe('orders_owner');
        const login = new pgClient.Client({
          host: pg?.host,
          port: pg?.port,
          user: decode('username'),
          password: decode('password'),
          database: 'orders',
        });
        await login.connect();
        try {
          const [row] = (await login.query('SELECT current_user AS u, current_database() AS d')).rows as { u: string; d: string }[];
          expect(row).toEqual({ u: 'orders_owner', d: 'orders' });
        } finally {
          await login.end();
        }
        const [owner] = await sql<{ owner: string; limit: number }>(
          'SELECT pg_get_userbyid(datdba) AS owner, (SELECT rolconnlimit FROM pg_roles WHERE rolname = $1) AS limit FROM pg_database WHERE datname = $2',
          ['orders_owner', 'orders'],
        );
        expect(owner).toEqual({ owner: 'orders_owner', limit: 10 });

        await kc('delete', '-f', join(root, 'examples/database/claim.yaml'), '--wait=true', '--timeout=60s');
        await waitFor(
          'the XR, its managed resources, the database and its owner to be gone',
          async () =>
            (await list('xpostgresdatabases.db.example.org')).length +
              (await list('roles.postgresql.sql.trellis.io,databases.postgresql.sql.trellis.io,grants.postgresql.sql.trellis.io')).length +
              (
                await sql(
                  "SELECT 1 FROM pg_database WHERE datname = 'orders' UNION ALL SELECT 1 FROM pg_roles WHERE rolname = 'orders_owner'",
                )
              ).length ===
            0,
          { timeoutMs: 90_000, intervalMs: 500 },
        );
      });

      it('app-with-database: the database first, the app once it is Ready; deletion removes both', async () => {
        await kc('apply', '-f', join(root, 'examples/app-with-database/claim.yaml'));
        await waitReady('appwithdatabase/orders', 'default', '120s');
        const nested = (await list('xpostgresdatabases.db.example.org'))[0] as Obj & {
          status: { conditions: (Cond & { lastTransitionTime: string })[] };
        };
        const readyAt = Date.parse(nested.status.conditions.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
        const objects = (await list('objects.kubernetes.trellis.io')) as (Obj & { metadata: { creationTimestamp: string } })[];
        expect(objects).toHaveLength(1);
        // Created in order: the app's Object only once the database was Ready (both have whole seconds).
        expect(Date.parse(objects[0]?.metadata.creationTimestamp ?? '')).toBeGreaterThanOrEqual(readyAt);
        const cm = await getJson<Obj>('configmap', 'orders', '-n', 'default');
        expect(cm.data).toEqual({ DATABASE_NAME: 'orders', DATABASE_CREDENTIALS_SECRET: 'orders-credentials' });
        expect((await sql("SELECT 1 FROM pg_database WHERE datname = 'orders'")).length).toBe(1);

        await kc('delete', '-f', join(root, 'examples/app-with-database/claim.yaml'), '--wait=true', '--timeout=60s');
        await waitFor(
          'the app, the nested XR and the database to be gone',
          async () =>
            (await list('xappswithdatabase.platform.example.org')).length +
              (await list('xpostgresdatabases.db.example.org')).length +
              (await list('objects.kubernetes.trellis.io')).length +
              (await sql("SELECT 1 FROM pg_database WHERE datname = 'orders'")).length ===
            0,
          { timeoutMs: 120_000, intervalMs: 500 },
        );
        expect((await kubectl.run(['get', 'configmap', 'orders', '-n', 'default', '--ignore-not-found', '-o', 'name'])).stdout.trim()).toBe(
          '',
        );
      });
    });
  }

  it('stops on Ctrl-C with exit code 0', async () => {
    const u = ctx();
    up = undefined;
    const code = await u.stop();
    expect(code, u.output()).toBe(0);
  });
});
