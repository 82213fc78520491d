/**
 * `trellis plan` and `trellis trace` against live control planes (the real kube-apiserver and
 * the embedded one), with the composition engine running: a v1 XRD with claims composing
 * ConfigMaps and a Secret. trace draws claim → XR → composed resources → Secrets in every format
 * and --watch stops cleanly on Ctrl-C; plan shows creations, updates with diffs, deletions,
 * Composition changes and refused objects, and writes nothing.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { KubeObject } from '@trellis/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEngine } from '../engine/support/engine.ts';
import { isCurrentTrue, waitForObject } from '../engine/support/objects.ts';
import { apiServerTargets, uniqueName, useKube } from '../harness/targets.ts';
import { trellis } from './cli.ts';

const root = resolve(import.meta.dirname, '../..');

describe.each(apiServerTargets())('trellis plan and trace on $name', (target) => {
  const kube = useKube(target, 'cli-live');
  const sel = uniqueName('cli');
  const fx = useEngine(() => kube.client, sel);
  const group = `${sel}.trellis.test`;
  const kc = ['--kubeconfig', target.kubeconfigPath];

  const xrd = (): KubeObject => ({
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'CompositeResourceDefinition',
    metadata: { name: `xshops.${group}` },
    spec: {
      group,
      names: { kind: 'XShop', plural: 'xshops' },
      claimNames: { kind: 'Shop', plural: 'shops' },
      defaultCompositionRef: { name: `shop-${sel}` },
      versions: [
        {
          name: 'v1',
          served: true,
          referenceable: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['color'],
                  properties: {
                    color: { type: 'string', enum: ['red', 'green', 'blue'] },
                    size: { type: 'integer', minimum: 1, default: 3 },
                    extras: { type: 'boolean', default: false },
                  },
                },
              },
            },
          },
        },
      ],
    },
  });

  const composition = (extra: { name: string; data: Record<string, string> } | undefined): KubeObject =>
    fx.labelled({
      apiVersion: 'apiextensions.crossplane.io/v1',
      kind: 'Composition',
      metadata: { name: `shop-${sel}` },
      spec: {
        compositeTypeRef: { apiVersion: `${group}/v1`, kind: 'XShop' },
        mode: 'Pipeline',
        pipeline: [
          {
            step: 'compose',
            functionRef: { name: 'function-patch-and-transform' },
            input: {
              apiVersion: 'pt.fn.crossplane.io/v1beta1',
              kind: 'Resources',
              resources: [
                {
                  name: 'settings',
                  base: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default' }, data: {} },
                  patches: [
                    { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.claimRef.namespace', toFieldPath: 'metadata.namespace' },
                    { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.color', toFieldPath: 'data.color' },
                    {
                      type: 'FromCompositeFieldPath',
                      fromFieldPath: 'spec.size',
                      toFieldPath: 'data.size',
                      transforms: [{ type: 'convert', convert: { toType: 'string' } }],
                    },
                  ],
                  readinessChecks: [{ type: 'NonEmpty', fieldPath: 'data.color' }],
                },
                {
                  name: 'stock',
                  base: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default' }, data: { items: '0' } },
                  patches: [
                    { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.claimRef.namespace', toFieldPath: 'metadata.namespace' },
                  ],
                  readinessChecks: [{ type: 'NonEmpty', fieldPath: 'data.items' }],
                },
                ...(extra === undefined
                  ? []
                  : [
                      {
                        name: extra.name,
                        base: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'default' }, data: extra.data },
                        patches: [
                          { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.claimRef.namespace', toFieldPath: 'metadata.namespace' },
                        ],
                        readinessChecks: [{ type: 'None' }],
                      },
                    ]),
              ],
            },
          },
        ],
      },
    });

  const claim = (name: string, spec: Record<string, unknown>, secret?: string): KubeObject => ({
    apiVersion: `${group}/v1`,
    kind: 'Shop',
    metadata: { name, namespace: kube.namespace },
    spec: { ...spec, ...(secret === undefined ? {} : { writeConnectionSecretToRef: { name: secret } }) },
  });

  async function file(name: string, objs: KubeObject[]): Promise<string> {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { stringify } = await import('yaml');
    const p = join(mkdtempSync(join(tmpdir(), 'trellis-live-')), name);
    writeFileSync(p, objs.map((o) => `---\n${stringify(o)}`).join(''));
    return p;
  }

  async function establish(): Promise<void> {
    await kube.client.apply(fx.labelled(xrd()), { fieldManager: 'test', force: true });
    await kube.client.apply(composition(undefined), { fieldManager: 'test', force: true });
    await waitForObject(
      kube.client,
      { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition', name: `xshops.${group}` },
      'XRD offered',
      (o) => isCurrentTrue(o, 'Offered'),
    );
    kube.client.invalidateDiscovery();
  }

  async function readyClaim(name: string, spec: Record<string, unknown>, secret?: string): Promise<KubeObject> {
    await kube.client.apply(claim(name, spec, secret), { fieldManager: 'kubectl', force: true });
    const ref = { apiVersion: `${group}/v1`, kind: 'Shop', namespace: kube.namespace, name };
    return (await waitForObject(kube.client, ref, `claim ${name} Ready`, (o) => isCurrentTrue(o, 'Ready'), 90_000)) as KubeObject;
  }

  beforeAll(establish, 120_000);

  it('traces claim → XR → composed resources → Secret, in every format', async () => {
    const c = await readyClaim('alpha', { color: 'red' }, 'alpha-conn');
    const xrName = (c.spec as { resourceRef: { name: string } }).resourceRef.name;
    const text = await trellis(['trace', `shop.${group}/alpha`, '-n', kube.namespace, '-s', ...kc]);
    expect(text.code, text.err).toBe(0);
    const lines = text.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +SYNCED +READY +STATUS$/);
    expect(lines[1]).toMatch(new RegExp(`^Shop/alpha \\(${kube.namespace}\\) +True +True +Available$`));
    expect(lines[2]).toMatch(new RegExp(`^├─ XShop/${xrName} +True +True +Available$`));
    expect(lines.slice(3, 5).map((l) => l.slice(0, 16))).toEqual(['│  ├─ ConfigMap/', '│  └─ ConfigMap/']);
    // The engine writes no connection Secret when nothing publishes connection details: trace shows the reference, and why it is empty.
    expect(lines.at(-1)).toMatch(new RegExp(`^└─ Secret/alpha-conn \\(${kube.namespace}\\) +- +- +Error: not found$`));

    const json = await trellis(['trace', `shops/alpha`, '-n', kube.namespace, '-o', 'json', ...kc]);
    expect(json.code, json.err).toBe(0);
    const tree = JSON.parse(json.out) as { object: KubeObject; children: { object: KubeObject; children: { object: KubeObject }[] }[] };
    expect(tree.object.kind).toBe('Shop');
    expect(tree.children[0]?.object.metadata.name).toBe(xrName);
    expect(tree.children[0]?.children.map((x) => x.object.kind)).toEqual(['ConfigMap', 'ConfigMap']);

    const dot = await trellis(['trace', `xshops.${group}`, xrName, '-o', 'dot', ...kc]);
    expect(dot.out).toMatch(/^digraph trace \{/);
    expect(dot.out.match(/ -> /g)).toHaveLength(2);

    const yaml = await trellis(['trace', `shop/alpha`, '-n', kube.namespace, '-o', 'yaml', ...kc]);
    expect(yaml.out).toMatch(/^object:\n {2}apiVersion: /);
  });

  it('says what is missing, ambiguous or malformed', async () => {
    const cases: [string[], number, RegExp][] = [
      [['trace', `shop/nope`, '-n', kube.namespace, ...kc], 1, /^trellis: Shop "nope" not found in namespace ".*"\n$/],
      [['trace', 'gizmo/x', ...kc], 2, /^trellis: the server has no resource type "gizmo"\n$/],
      [['trace', 'shop', ...kc], 2, /give the name of the shop to trace/],
      [['trace', 'shop/a', 'b', ...kc], 2, /give the name once/],
      [['trace', 'shop/a', '-o', 'xml', ...kc], 2, /invalid --output "xml": want one of text, wide, json, yaml, dot/],
    ];
    for (const [args, code, err] of cases) {
      const r = await trellis(args);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(code);
      expect(r.err).toMatch(err);
    }
  });

  it('--watch redraws until Ctrl-C, then exits 0', async () => {
    const child = spawn(
      process.execPath,
      [resolve(root, 'packages/cli/bin/trellis.js'), 'trace', `shop/alpha`, '-n', kube.namespace, '--watch', '--interval', '0.5', ...kc],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const deadline = Date.now() + 90_000;
    while (!out.includes('Shop/alpha') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('Shop/alpha');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out.match(/^NAME /gm)).toHaveLength(1);
  }, 120_000);

  it('plans a new claim, a changed claim and a refused one, and writes nothing', async () => {
    await readyClaim('beta', { color: 'green', size: 2 });
    const before = await snapshot();
    const manifests = await file('claims.yaml', [
      claim('gamma', { color: 'blue' }),
      claim('beta', { color: 'blue', size: 2 }),
      claim('bad', { color: 'purple' }),
    ]);
    const r = await trellis(['plan', manifests, '-o', 'json', ...kc]);
    expect(r.code, r.err).toBe(3);
    expect(r.err, r.out).toBe('trellis: 1 change would fail\n');
    const plan = JSON.parse(r.out) as {
      changes: { action: string; kind: string; name: string; resource?: string; diff: string; error?: string; note?: string }[];
    };
    const find = (kind: string, name: string) => plan.changes.find((c) => c.kind === kind && c.name === name);
    expect(find('Shop', 'gamma')?.action).toBe('create');
    expect(
      plan.changes.filter((c) => c.resource !== undefined && c.action === 'create' && c.note?.includes('get their names')),
    ).toHaveLength(2);
    expect(find('Shop', 'beta')).toMatchObject({ action: 'update' });
    expect(find('Shop', 'beta')?.diff).toMatch(/^-\s+color: green$/m);
    const settings = plan.changes.find((c) => c.resource === 'settings' && c.action === 'update');
    expect(settings?.diff).toMatch(/^-\s+color: green\n\+\s+color: blue$/m);
    expect(plan.changes.find((c) => c.resource === 'stock' && c.kind === 'ConfigMap' && c.action === 'unchanged')).toBeDefined();
    expect(find('Shop', 'bad')?.error).toMatch(/Unsupported value: "purple"/);
    expect(await snapshot()).toEqual(before);
  });

  it('plans a Composition change against every XR that uses it', async () => {
    const before = await snapshot();
    const manifests = await file('composition.yaml', [composition({ name: 'audit', data: { enabled: 'true' } })]);
    const r = await trellis(['plan', manifests, '--show-unchanged', ...kc]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^~ Composition\/shop-.*: update$/m);
    expect(r.out).toMatch(/^ {2}\+ ConfigMap\/\S+ \(\S+\) \[audit\]: create {2}\(composed for XShop\/alpha-\S+ \(uses Composition shop-/m);
    expect(r.out).toMatch(/^ {2}\+ ConfigMap\/\S+ \(\S+\) \[audit\]: create {2}\(composed for XShop\/beta-\S+ /m);
    expect(r.out).toMatch(/^ {2}= ConfigMap\/\S+ \(\S+\) \[settings\]: unchanged {2}\(composed for XShop\/alpha-/m);
    expect(r.out).toMatch(/^Plan: 2 to create, 1 to update, 0 to delete, 4 unchanged\.$/m);
    expect(await snapshot()).toEqual(before);
  });

  async function snapshot(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const shops = await kube.client.list({ apiVersion: `${group}/v1`, kind: 'Shop' }, { namespace: kube.namespace });
    const cms = await kube.client.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: kube.namespace });
    const comps = await kube.client.list(
      { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition' },
      { labelSelector: `trellis.test/engine=${sel}` },
    );
    for (const o of [...shops.items, ...cms.items, ...comps.items]) out[`${o.kind}/${o.metadata.name}`] = o.metadata.resourceVersion ?? '';
    return out;
  }
});
