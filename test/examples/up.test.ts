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
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trellis } from '../cli/cli.ts';
import { ClientEnv, helms, kubectls, requireBinary } from '../clients/clients.ts';
import { waitFor } from '../harness/targets.ts';
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
  const kc = async (...args: string[]): Promise<string> => await kubectl.mustRun(args);
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

  it('applying the example claim with kubectl makes it Ready within seconds; trace shows the whole tree', async () => {
    const t0 = performance.now();
    expect(await kc('apply', '-f', claimFile)).toContain('app.platform.example.org/hello created');
    await kc('wait', '--for=condition=Ready', 'app/hello', '-n', 'default', '--timeout=60s');
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
        await kc('wait', '--for=condition=Ready', `app/${release}-hello`, '-n', ns, '--timeout=60s');
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

  it('stops on Ctrl-C with exit code 0', async () => {
    const u = ctx();
    up = undefined;
    const code = await u.stop();
    expect(code, u.output()).toBe(0);
  });
});
