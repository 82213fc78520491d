/**
 * Secret values and the offline CLI: `trellis render` never prints connection details, function
 * credentials or required resources (with every output flag on, and with --debug); a YAML error
 * in a file that holds Secrets names the file, the problem and the position but does not quote
 * the file (the parser's code frame would print the secret line), for render and validate.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trellis } from '../cli/cli.ts';

const canary = `trellis-canary-${randomUUID()}`;
const forms = [canary, Buffer.from(canary).toString('base64')];
const dir = mkdtempSync(join(tmpdir(), 'trellis-security-cli-'));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function expectNoCanary(what: string, text: string): void {
  for (const f of forms) expect(text.includes(f), `${what} holds the secret value:\n${text}`).toBe(false);
}

const xr = file(
  'xr.yaml',
  'apiVersion: example.org/v1alpha1\nkind: XApp\nmetadata:\n  name: app\n  namespace: default\nspec:\n  writeConnectionSecretToRef:\n    name: conn\n',
);
const functions = file(
  'functions.yaml',
  [
    'apiVersion: pkg.crossplane.io/v1',
    'kind: Function',
    'metadata:',
    '  name: function-patch-and-transform',
    '  annotations:',
    '    render.crossplane.io/runtime: Development',
    'spec:',
    '  package: xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.10.7',
    '',
  ].join('\n'),
);
const composition = file(
  'composition.yaml',
  `apiVersion: apiextensions.crossplane.io/v1
kind: Composition
metadata:
  name: app
spec:
  compositeTypeRef: {apiVersion: example.org/v1alpha1, kind: XApp}
  mode: Pipeline
  pipeline:
    - step: compose
      functionRef: {name: function-patch-and-transform}
      credentials:
        - name: cloud
          source: Secret
          secretRef: {namespace: crossplane-system, name: creds}
      input:
        apiVersion: pt.fn.crossplane.io/v1beta1
        kind: Resources
        resources:
          - name: cm
            base: {apiVersion: v1, kind: ConfigMap, data: {a: b}}
            connectionDetails:
              - {name: password, type: FromValue, value: ${canary}}
              - {name: copied, type: FromFieldPath, fromFieldPath: data.a}
`,
);
const creds = file(
  'creds.yaml',
  `apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: crossplane-system}\nstringData: {token: ${canary}}\n`,
);
const required = file(
  'required.yaml',
  `apiVersion: v1\nkind: Secret\nmetadata: {name: other, namespace: default}\nstringData: {token: ${canary}}\n`,
);

describe('trellis render and secret values', () => {
  it.each([[[]], [['--debug']]])('prints no connection detail, credential or required Secret with -x -r -c %j', async (extra) => {
    const r = await trellis([
      'render',
      xr,
      composition,
      functions,
      '-x',
      '-r',
      '-c',
      '--function-credentials',
      creds,
      '-e',
      required,
      ...extra,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('kind: ConfigMap');
    expectNoCanary('render output', r.out + r.err);
  });

  const malformed = [
    {
      reason: 'a flow sequence left open before the secret line',
      text: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: crossplane-system\n  labels: [\nstringData:\n  token: ${canary}\n`,
    },
    {
      reason: 'a bad indent on the secret line',
      text: `apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData:\n  token: ${canary}\n   x: y\n`,
    },
    { reason: 'an unterminated quote', text: `apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData:\n  token: "${canary}\n` },
  ];

  it.each(malformed)('names the file and position of a YAML error in the credentials, without quoting it: $reason', async ({ text }) => {
    const bad = file(`bad-${randomUUID()}.yaml`, text);
    for (const extra of [[], ['--debug']]) {
      const r = await trellis(['render', xr, composition, functions, '--function-credentials', bad, ...extra]);
      expect(r.code).not.toBe(0);
      expect(r.err).toContain(bad);
      expect(r.err).toMatch(/\(\d+:\d+\)/);
      expectNoCanary(`render error ${extra.join(' ')}`, r.out + r.err);
    }
  });

  it.each(malformed)('does the same for a Secret among the required resources: $reason', async ({ text }) => {
    const bad = file(`req-${randomUUID()}.yaml`, text);
    const r = await trellis(['render', xr, composition, functions, '-e', bad]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(bad);
    expectNoCanary('render error', r.out + r.err);
  });
});

describe('trellis validate and secret values', () => {
  it.each(malformedSecretFiles())(
    'names the file and position of a YAML error in a Secret, without quoting it: $reason',
    async ({ text }) => {
      const bad = file(`validate-${randomUUID()}.yaml`, text);
      const r = await trellis(['validate', composition, bad]);
      expect(r.code).not.toBe(0);
      expect(r.err).toContain(bad);
      expectNoCanary('validate error', r.out + r.err);
    },
  );
});

function malformedSecretFiles(): { reason: string; text: string }[] {
  return [
    {
      reason: 'a flow sequence left open before the secret line',
      text: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  labels: [\nstringData:\n  token: ${canary}\n`,
    },
    { reason: 'JSON with a missing comma', text: `{"apiVersion": "v1", "kind": "Secret", "stringData": {"token": "${canary}" "x": 1}}` },
  ];
}
