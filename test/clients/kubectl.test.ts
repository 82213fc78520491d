// kubectl 1.35 and 1.32 against the real kube-apiserver and the embedded server: apply (client-
// and server-side), get (tables, -o yaml, -w), describe, edit, patch, delete, wait, explain and
// get crds. The same assertions hold on both targets.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { apiServerTargets, uniqueGroup, uniqueName, waitFor } from '../harness/targets.ts';
import { ClientEnv, kubectls, requireBinary } from './clients.ts';

const combos = apiServerTargets().flatMap((target) => kubectls.map((bin) => ({ target, bin, label: `${bin.name} on ${target.name}` })));

describe.each(combos)('$label', ({ target, bin }) => {
  const group = uniqueGroup('kc');
  const ns = uniqueName('kc');
  const dir = mkdtempSync(join(tmpdir(), 'trellis-kubectl-'));
  let k: ClientEnv;
  const kc = (...args: string[]): Promise<string> => k.mustRun([...args, '-n', ns]);
  const file = (name: string, obj: unknown): string => {
    const p = join(dir, name);
    writeFileSync(p, stringify(obj));
    return p;
  };
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['kcw'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  description: 'Spec says what the widget should be.',
                  properties: {
                    size: { type: 'integer', minimum: 1, description: 'Size is how big the widget is.' },
                    color: { type: 'string' },
                  },
                },
                status: {
                  type: 'object',
                  properties: {
                    conditions: {
                      type: 'array',
                      'x-kubernetes-list-type': 'map',
                      'x-kubernetes-list-map-keys': ['type'],
                      items: {
                        type: 'object',
                        required: ['type', 'status'],
                        properties: { type: { type: 'string' }, status: { type: 'string' } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
  const widget = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
    apiVersion: `${group}/v1`,
    kind: 'Widget',
    metadata: { name },
    spec,
  });

  beforeAll(async () => {
    requireBinary(bin);
    k = new ClientEnv(bin, target.kubeconfigPath);
    await k.mustRun(['create', 'namespace', ns]);
    await k.mustRun(['apply', '-f', file('crd.yaml', crd)]);
    await k.mustRun(['wait', '--for=condition=Established', `crd/widgets.${group}`, '--timeout=30s']);
  });
  afterAll(async () => {
    await k?.run(['delete', 'namespace', ns, '--wait=false']);
    await k?.run(['delete', 'crd', `widgets.${group}`, '--wait=false']);
  });

  it('get crds lists the CRD with its creation time', async () => {
    const out = await k.mustRun(['get', 'crds']);
    expect(out).toMatch(/^NAME\s+CREATED AT\n/);
    expect(out).toMatch(new RegExp(`widgets\\.${group.replace(/\./g, '\\.')}\\s+\\d{4}-\\d{2}-\\d{2}T`));
  });

  it('apply (client-side) creates, then patches with a three-way merge; get prints the printer columns', async () => {
    expect(await kc('apply', '-f', file('w1.yaml', widget('w1', { size: 3, color: 'red' })))).toContain('widget.');
    expect(await kc('apply', '-f', file('w1.yaml', widget('w1', { size: 5 })))).toContain('configured');
    const got = JSON.parse(await kc('get', 'widget', 'w1', '-o', 'json')) as {
      spec: Record<string, unknown>;
      metadata: { generation: number };
    };
    expect(got.spec).toEqual({ size: 5 });
    expect(got.metadata.generation).toBe(2);
    const table = await kc('get', 'widgets');
    expect(table.split('\n')[0]).toMatch(/^NAME\s+SIZE\s+READY$/);
    expect(table).toMatch(/\nw1\s+5\s*\n/);
    expect(await kc('get', 'kcw', 'w1', '--no-headers')).toMatch(/^w1\s+5/);
  });

  it('get -o yaml prints the object', async () => {
    const y = await kc('get', 'widget', 'w1', '-o', 'yaml');
    expect(y).toContain(`apiVersion: ${group}/v1`);
    expect(y).toContain('kind: Widget');
    expect(y).toMatch(/spec:\n\s+size: 5/);
  });

  it('apply --server-side owns the fields, and a conflicting manager needs --force-conflicts', async () => {
    await kc('apply', '--server-side', '-f', file('w2.yaml', widget('w2', { size: 2 })));
    const conflict = await k.run([
      'apply',
      '--server-side',
      '--field-manager',
      'other',
      '-f',
      file('w2b.yaml', widget('w2', { size: 4 })),
      '-n',
      ns,
    ]);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.size');
    await kc('apply', '--server-side', '--force-conflicts', '--field-manager', 'other', '-f', file('w2b.yaml', widget('w2', { size: 4 })));
    expect(await kc('get', 'widget', 'w2', '-o', 'jsonpath={.spec.size}')).toBe('4');
  });

  it('patch (merge, json, status subresource) and edit change the object', async () => {
    await kc('patch', 'widget', 'w1', '--type', 'merge', '-p', '{"spec":{"color":"blue"}}');
    await kc('patch', 'widget', 'w1', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/size","value":6}]');
    await k.mustRun(['edit', 'widget', 'w1', '-n', ns], { env: { KUBE_EDITOR: 'sed -i -e s/size:\\ 6/size:\\ 7/' } });
    expect(await kc('get', 'widget', 'w1', '-o', 'jsonpath={.spec.size} {.spec.color}')).toBe('7 blue');
    const bad = await k.run(['patch', 'widget', 'w1', '-n', ns, '-p', '{"spec":{"size":8}}']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('application/strategic-merge-patch+json is not supported');
  });

  it('wait --for=condition=Ready times out while not ready and returns once the status says so', async () => {
    const early = await k.run(['wait', '--for=condition=Ready', 'widget/w1', '--timeout=1s', '-n', ns]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain('timed out waiting for the condition');
    const waiting = k.start(['wait', '--for=condition=Ready', 'widget/w1', '--timeout=60s', '-n', ns]);
    await kc(
      'patch',
      'widget',
      'w1',
      '--subresource',
      'status',
      '--type',
      'merge',
      '-p',
      '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}',
    );
    expect(await waiting.exited).toBe(0);
    expect(waiting.stdout).toContain('condition met');
    expect(await kc('get', 'widget', 'w1', '--no-headers')).toMatch(/^w1\s+7\s+True/);
  });

  it('get -w prints the initial table, then each change as a row', async () => {
    const watching = k.start(['get', 'widgets', '-w', '-n', ns]);
    try {
      await waitFor('the initial table', () => /NAME\s+SIZE\s+READY/.test(watching.stdout) && /\nw2\s+4/.test(watching.stdout));
      await kc('patch', 'widget', 'w2', '--type', 'merge', '-p', '{"spec":{"size":9}}');
      await waitFor('the changed row', () => /\nw2\s+9/.test(watching.stdout));
    } finally {
      watching.kill();
      await watching.exited;
    }
  });

  it('describe shows the spec and the events section', async () => {
    const out = await kc('describe', 'widget', 'w1');
    expect(out).toMatch(/Name:\s+w1/);
    expect(out).toMatch(/Spec:\s*\n\s+Color:\s+blue\s*\n\s+Size:\s+7/);
    expect(out).toMatch(/Events:\s+<none>/);
  });

  it('explain describes fields from the OpenAPI v3 schema', async () => {
    const out = await k.mustRun(['explain', `widgets.spec.size`, `--api-version=${group}/v1`]);
    expect(out).toContain('FIELD: size <integer>');
    expect(out).toContain('Size is how big the widget is.');
  });

  it('delete removes the object, and one with a finalizer waits until the finalizer goes', async () => {
    await kc('delete', 'widget', 'w2');
    expect((await k.run(['get', 'widget', 'w2', '-n', ns])).stderr).toContain('NotFound');
    await kc('patch', 'widget', 'w1', '--type', 'merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}');
    const deleting = k.start(['delete', 'widget', 'w1', '-n', ns, '--timeout=60s']);
    await waitFor(
      'the deletionTimestamp',
      async () => (await kc('get', 'widget', 'w1', '-o', 'jsonpath={.metadata.deletionTimestamp}')) !== '',
    );
    await kc('patch', 'widget', 'w1', '--type', 'json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]');
    expect(await deleting.exited).toBe(0);
    expect((await k.run(['get', 'widget', 'w1', '-n', ns])).stderr).toContain('NotFound');
  });

  it('a schema violation is reported with the field', async () => {
    const r = await k.run(['apply', '-f', file('bad.yaml', widget('bad', { size: 0 })), '-n', ns]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1');
  });
});
