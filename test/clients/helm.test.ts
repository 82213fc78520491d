// Helm 4 and Helm 3 against the real kube-apiserver and the embedded server: install, upgrade and
// uninstall of a chart carrying a CRD (crds/) and custom resources (its release Secrets go over
// the wire as protobuf), and Helm 4's `install --wait`, which waits on the custom resource's
// readiness through kstatus (a Ready condition) over a WatchList.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiServerTargets, uniqueName, waitFor } from '../harness/targets.ts';
import { ClientEnv, helms, kubectls, requireBinary } from './clients.ts';

const chart = resolve(import.meta.dirname, 'fixtures/gadgets');
const CRD = 'gadgets.clients.trellis.test';
const combos = apiServerTargets().flatMap((target) => helms.map((bin) => ({ target, bin, label: `${bin.name} on ${target.name}` })));

describe.each(combos)('$label', ({ target, bin }) => {
  const ns = uniqueName('helm');
  let helm: ClientEnv;
  let kubectl: ClientEnv;
  const kc = (...args: string[]): Promise<string> => kubectl.mustRun([...args, '-n', ns]);
  const gadget = async (name: string): Promise<{ spec: Record<string, unknown>; status?: Record<string, unknown> }> =>
    JSON.parse(await kc('get', 'gadget', name, '-o', 'json')) as { spec: Record<string, unknown> };

  beforeAll(async () => {
    requireBinary(bin);
    requireBinary(kubectls[0] as (typeof kubectls)[number]);
    helm = new ClientEnv(bin, target.kubeconfigPath);
    kubectl = new ClientEnv(kubectls[0] as (typeof kubectls)[number], target.kubeconfigPath);
    await kubectl.mustRun(['create', 'namespace', ns]);
  });
  afterAll(async () => {
    await kubectl?.run(['delete', 'namespace', ns, '--wait=false']);
    // The chart's CRD is shared by the Helm suites of a target: remove it so the next one installs it again.
    await kubectl?.run(['delete', 'crd', CRD, '--wait=true', '--timeout=60s']);
  });

  it('installs the chart: the CRD from crds/, then the ConfigMap and the Gadget', async () => {
    const out = await helm.mustRun(['install', 'rel', chart, '-n', ns, '--wait', '--timeout', '60s']);
    expect(out).toContain('STATUS: deployed');
    expect((await gadget('rel-gadget')).spec).toEqual({ size: 3, color: 'blue' });
    expect(await kc('get', 'configmap', 'rel-settings', '-o', 'jsonpath={.data.color}')).toBe('blue');
    // The release record is a Secret Helm wrote as protobuf.
    expect(await kc('get', 'secrets', '-l', 'owner=helm,name=rel', '-o', 'jsonpath={.items[*].metadata.labels.status}')).toBe('deployed');
    expect(await helm.mustRun(['list', '-n', ns])).toMatch(/rel\s+\S+\s+1\s+.*deployed\s+gadgets-0\.1\.0/);
  });

  it('upgrades: changed values patch the custom resource and the release moves to revision 2', async () => {
    const out = await helm.mustRun([
      'upgrade',
      'rel',
      chart,
      '-n',
      ns,
      '--set',
      'size=5',
      '--set',
      'color=red',
      '--wait',
      '--timeout',
      '60s',
    ]);
    expect(out).toContain('REVISION: 2');
    expect((await gadget('rel-gadget')).spec).toEqual({ size: 5, color: 'red' });
    const statuses = (
      await kc(
        'get',
        'secrets',
        '-l',
        'owner=helm,name=rel',
        '-o',
        'jsonpath={range .items[*]}{.metadata.labels.version}={.metadata.labels.status} {end}',
      )
    )
      .trim()
      .split(' ')
      .sort();
    expect(statuses).toEqual(['1=superseded', '2=deployed']);
  });

  it('rejects an upgrade that violates the schema, naming the field', async () => {
    const r = await helm.run(['upgrade', 'rel', chart, '-n', ns, '--set', 'size=0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.size');
  });

  it('uninstalls: the resources and the release Secrets are gone, the CRD stays', async () => {
    await helm.mustRun(['uninstall', 'rel', '-n', ns, '--wait', '--timeout', '60s']);
    expect((await kubectl.run(['get', 'gadget', 'rel-gadget', '-n', ns])).stderr).toContain('NotFound');
    expect((await kubectl.run(['get', 'configmap', 'rel-settings', '-n', ns])).stderr).toContain('NotFound');
    expect(await kc('get', 'secrets', '-l', 'owner=helm', '-o', 'name')).toBe('');
    expect(await kubectl.mustRun(['get', 'crd', CRD, '-o', 'name'])).toContain(CRD);
  });

  if (bin.name === 'helm 4') {
    it('install --wait waits until the custom resource reports Ready (kstatus)', async () => {
      const installing = helm.start(['install', 'waiter', chart, '-n', ns, '--set-string', 'ready=False', '--wait', '--timeout', '90s']);
      try {
        await waitFor('the Gadget to exist', async () => (await kubectl.run(['get', 'gadget', 'waiter-gadget', '-n', ns])).code === 0);
        // Not ready yet: Helm must still be waiting.
        expect(installing.child.exitCode).toBeNull();
        await kc(
          'patch',
          'gadget',
          'waiter-gadget',
          '--type',
          'merge',
          '-p',
          '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Test","message":"ready"}]}}',
        );
        expect(await installing.exited).toBe(0);
        expect(installing.stdout).toContain('STATUS: deployed');
      } finally {
        installing.kill();
      }
      await helm.mustRun(['uninstall', 'waiter', '-n', ns, '--wait']);
    });
  }
});
