/**
 * The Helm chart examples/helm offline, with Helm 4 and Helm 3: it lints, its default values render
 * one App claim of the demo platform, every list renders claims of its example that validate
 * against the example's XRD (`trellis validate`), and bad values fail before anything is sent,
 * naming the value. Installing it against live control planes is test/examples/up.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGoYamlDocuments } from '@trellis/engine';
import { afterAll, describe, expect, it } from 'vitest';
import { trellis } from '../cli/cli.ts';
import { ClientEnv, helms, requireBinary } from '../clients/clients.ts';
import { root } from './up.ts';

const chart = join(root, 'examples/helm');
const tmp = mkdtempSync(join(tmpdir(), 'trellis-chart-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Claim {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { compositeDeletePolicy: string; parameters: Record<string, unknown> };
}

/** Every list of the chart, filled with one claim each (the examples' own parameters). */
const allValues = `
apps:
  - name: hello
    parameters: {image: "nginx:1.27", replicas: 3, clusters: [cluster-a]}
databases:
  - name: orders
    parameters: {databaseName: orders, connectionLimit: 10}
globalRecords:
  - name: shop
    parameters:
      name: shop
      zone: example.test.
      sites: [{name: eu, address: 192.0.2.10, weight: 3}, {name: us, address: 198.51.100.20, weight: 1}]
appsWithDatabase:
  - name: orders
    parameters: {image: "ghcr.io/example/orders:1.4.2", databaseName: orders}
`;

describe.each(helms)('examples/helm with $name', (bin) => {
  const helm = (): ClientEnv => {
    requireBinary(bin);
    return new ClientEnv(bin, join(tmp, 'no-kubeconfig'));
  };
  const template = async (...args: string[]): Promise<Claim[]> =>
    parseGoYamlDocuments(await helm().mustRun(['template', 'demo', chart, '-n', 'team-a', ...args]), 'helm template').filter(
      (d): d is Claim => d !== null && typeof d === 'object',
    );

  it('lints', async () => {
    expect(await helm().mustRun(['lint', chart, '--strict'])).toContain('0 chart(s) failed');
  });

  it('renders one App claim by default, named after the release, in the release namespace', async () => {
    const claims = await template();
    expect(claims).toHaveLength(1);
    const [app] = claims as [Claim];
    expect(app).toMatchObject({
      apiVersion: 'platform.example.org/v1alpha1',
      kind: 'App',
      metadata: { name: 'demo-hello', namespace: 'team-a', labels: { 'app.kubernetes.io/instance': 'demo' } },
      spec: {
        compositeDeletePolicy: 'Foreground',
        parameters: { name: 'demo-hello', namespace: 'team-a', image: 'nginx:1.27', clusters: ['cluster-a', 'cluster-b'] },
      },
    });
  });

  it('renders claims of every example, and they validate against the examples XRDs', async () => {
    const values = join(tmp, `all-${bin.name.replace(/\W/g, '')}.yaml`);
    writeFileSync(values, allValues);
    const claims = await template('-f', values);
    // Helm orders custom kinds by name.
    expect(claims.map((c) => `${c.kind}/${c.metadata.name}`).sort()).toEqual([
      'App/demo-hello',
      'AppWithDatabase/demo-orders',
      'GlobalRecord/demo-shop',
      'PostgresDatabase/demo-orders',
    ]);
    // An entry's parameters win over the chart's defaults.
    expect(claims.find((c) => c.kind === 'App')?.spec.parameters).toMatchObject({
      name: 'demo-hello',
      replicas: 3,
      clusters: ['cluster-a'],
    });
    const rendered = join(tmp, `rendered-${bin.name.replace(/\W/g, '')}.yaml`);
    writeFileSync(rendered, await helm().mustRun(['template', 'demo', chart, '-n', 'team-a', '-f', values]));
    // `trellis validate <extensions> <resources>`: the four examples' XRDs in one extensions file.
    const xrds = join(tmp, 'xrds.yaml');
    writeFileSync(
      xrds,
      ['multi-cluster-app', 'database', 'global-dns', 'app-with-database']
        .map((e) => readFileSync(join(root, 'examples', e, 'xrd.yaml'), 'utf8'))
        .join('\n---\n'),
    );
    const v = await trellis(['validate', xrds, rendered, '--error-on-missing-schemas', '-o', 'json']);
    expect(v.code, v.out + v.err).toBe(0);
    expect((JSON.parse(v.out) as { summary: { total: number; success: number } }).summary).toMatchObject({ total: 4, success: 4 });
  });

  it('a claim whose parameters break the XRD fails validation naming the field', async () => {
    const rendered = join(tmp, `bad-${bin.name.replace(/\W/g, '')}.yaml`);
    writeFileSync(
      rendered,
      await helm().mustRun(['template', 'demo', chart, '--set', 'apps[0].name=x', '--set', 'apps[0].parameters.replicas=99']),
    );
    const v = await trellis(['validate', join(root, 'examples/multi-cluster-app/xrd.yaml'), rendered]);
    expect(v.code).not.toBe(0);
    expect(v.out + v.err).toContain('spec.parameters.replicas');
  });

  it.each([
    { reason: 'a claim name that is not a DNS label', set: 'apps[0].name=Bad_Name', field: /apps.0.name/ },
    { reason: 'an entry without a name', set: 'apps[0].parameters.image=x', field: /apps/ },
    { reason: 'an unknown deletion policy', set: 'compositeDeletePolicy=Orphan', field: /compositeDeletePolicy/ },
    { reason: 'an unknown value', set: 'databse=x', field: /databse|additional/i },
  ])('refuses $reason, naming the value', async ({ set, field }) => {
    const r = await helm().run(['template', 'demo', chart, '--set', set]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toMatch(field);
  });
});

it('the default values install only claims of the demo platform (no external service)', () => {
  const values = readFileSync(join(chart, 'values.yaml'), 'utf8');
  for (const key of ['databases', 'globalRecords', 'appsWithDatabase']) expect(values).toMatch(new RegExp(`^${key}: \\[\\]$`, 'm'));
});
