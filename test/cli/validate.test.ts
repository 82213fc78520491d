/**
 * `trellis validate` with real inputs: the XRD and CRD fixtures, the examples, render output piped
 * through stdin, packages pulled from a real OCI registry into the cache (and then offline), and
 * every failure path (schema, CEL, transition rules, unknown fields, metadata, missing schemas,
 * broken extensions, bad and hostile input) with the exit code docs/cli.md documents.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FsContentCache, RegistryClient } from '@trellis/xpkg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAndPush } from '../xpkg/support/packages.ts';
import { freePort, type Registry, registryAvailable, startRegistry } from '../xpkg/support/registry.ts';
import { trellis } from './cli.ts';

const root = resolve(import.meta.dirname, '../..');
const fx = (p: string): string => join(root, 'test/cli/fixtures/validate', p);
const dir = mkdtempSync(join(tmpdir(), 'trellis-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('trellis validate: valid input', () => {
  it('passes claims and managed resources against an XRD and a CRD', async () => {
    const r = await trellis(['validate', fx('.'), fx('good.yaml')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        '[✓] example.org/v1alpha1, Kind=Database, orders validated successfully',
        '[✓] storage.example.org/v1beta1, Kind=Bucket, assets validated successfully',
        'Total 2 resources: 0 missing schemas, 2 success cases, 0 failure cases',
        '',
      ].join('\n'),
    );
  });

  it('reads a directory of extensions and the examples', async () => {
    const r = await trellis(['validate', join(root, 'examples/database'), join(root, 'examples/database/claim.yaml')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('[✓] db.example.org/v1alpha1, Kind=PostgresDatabase, orders validated successfully');
  });

  it('validates `trellis render -x` output piped through stdin, composed resources against the provider CRDs', async () => {
    const ex = join(root, 'examples/database');
    const rendered = await trellis([
      'render',
      join(ex, 'xr.yaml'),
      join(ex, 'composition.yaml'),
      join(ex, 'functions.yaml'),
      '-x',
      '--xrd',
      join(ex, 'xrd.yaml'),
    ]);
    expect(rendered.code, rendered.err).toBe(0);
    const exts = file('exts.yaml', `${await readText(join(ex, 'xrd.yaml'))}\n---\n${await crdsOf('provider-sql')}`);
    const r = await trellis(['validate', exts, '-', '-o', 'json'], { stdin: rendered.out });
    expect(r.code, r.out + r.err).toBe(0);
    const report = JSON.parse(r.out) as { summary: { total: number; success: number }; resources: { kind: string; status: string }[] };
    expect(report.summary).toMatchObject({ total: 4, success: 4 });
    expect(report.resources.map((x) => x.kind).sort()).toEqual(['Database', 'Grant', 'Role', 'XPostgresDatabase']);
  });

  it('validates Compositions and XRDs against the CRDs Trellis serves, with no extension given', async () => {
    const empty = file('empty-ext.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n');
    const r = await trellis(['validate', empty, join(root, 'examples/database/composition.yaml')]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('[✓] apiextensions.crossplane.io/v1, Kind=Composition, postgres-database validated successfully');
  });
});

describe('trellis validate: findings (exit 3)', () => {
  it('names the file, document, object and field of every problem', async () => {
    const r = await trellis(['validate', fx('.'), fx('bad.yaml')]);
    expect(r.code).toBe(3);
    expect(r.err).toBe('trellis: could not validate all resources: 5 of 6 resources failed\n');
    const lines = r.out.trimEnd().split('\n');
    const bad = fx('bad.yaml');
    expect(lines).toEqual([
      `[x] schema validation error example.org/v1alpha1, Kind=Database, too-small : spec.parameters.storageGB: Invalid value: 0: spec.parameters.storageGB in body should be greater than or equal to 1 (${bad}:2, document 1)`,
      `[x] unknown field example.org/v1alpha1, Kind=XDatabase, typo : unknown field "spec.parameters.storgeClass" (${bad}:10, document 2)`,
      expect.stringMatching(
        new RegExp(
          `^\\[x\\] schema validation error example.org/v1alpha1, Kind=Database, replicas : spec.parameters: Invalid value: .*replicas must be at least minReplicas \\(${reEscape(bad)}:20, document 3\\)$`,
        ),
      ),
      `[x] schema validation error storage.example.org/v1beta1, Kind=Bucket, Bad_Name : spec.forProvider.region: Invalid value: "Europe": spec.forProvider.region in body should match '^[a-z]+-[a-z]+-[0-9]$' (${bad}:31, document 4)`,
      expect.stringMatching(
        /^\[x\] metadata validation error storage.example.org\/v1beta1, Kind=Bucket, Bad_Name : metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
      ),
      `[!] could not find CRD/XRD for: v1, Kind=ConfigMap (${bad}:39, document 5)`,
      `[x] schema validation error example.org/v1alpha1, Kind=Database, wrong-engine : spec.parameters.engine: Unsupported value: "oracle": supported values: "postgres", "mysql" (${bad}:45, document 6)`,
      `[x] schema validation error example.org/v1alpha1, Kind=Database, wrong-engine : some validation rules were not checked because the object was invalid; correct the existing errors to complete validation (${bad}:45, document 6)`,
      'Total 6 resources: 1 missing schemas, 0 success cases, 5 failure cases',
    ]);
  });

  it('checks CEL transition rules against --old-resources', async () => {
    const r = await trellis(['validate', fx('xrd.yaml'), fx('good.yaml'), '--old-resources', fx('old.yaml'), '-o', 'yaml']);
    expect(r.code).toBe(3);
    expect(r.out).toContain('message: "spec.parameters: Invalid value: ');
    expect(r.out).toContain('engine is immutable');
  });

  it('fails on missing schemas only when asked', async () => {
    const cm = file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n');
    expect((await trellis(['validate', fx('xrd.yaml'), cm])).code).toBe(0);
    const r = await trellis(['validate', fx('xrd.yaml'), cm, '--error-on-missing-schemas']);
    expect(r.code).toBe(3);
    expect(r.err).toContain('1 schemas missing');
  });

  it('reports an invalid XRD and an invalid CRD as extension problems', async () => {
    const xrd = file(
      'bad-xrd.yaml',
      'apiVersion: apiextensions.crossplane.io/v1\nkind: CompositeResourceDefinition\nmetadata:\n  name: wrong.example.org\nspec:\n  group: example.org\n  names:\n    kind: XThing\n    plural: xthings\n  versions: []\n',
    );
    const crd = file(
      'bad-crd.yaml',
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: things.example.org\nspec:\n  group: example.org\n  scope: Cluster\n  names:\n    kind: Thing\n    plural: things\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              size: {}\n',
    );
    const both = file('both.yaml', `${await readText(xrd)}---\n${await readText(crd)}`);
    const r = await trellis(['validate', both, fx('good.yaml'), '--skip-success-results']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(
      /\[x\] invalid extension apiextensions.crossplane.io\/v1, Kind=CompositeResourceDefinition, wrong.example.org : .*both.yaml:1, document 1\)/,
    );
    expect(r.out).toMatch(
      /\[x\] invalid extension apiextensions.k8s.io\/v1, Kind=CustomResourceDefinition, things.example.org : spec.validation.openAPIV3Schema.properties\[spec\].properties\[size\].type: Required value: must not be empty for specified object fields \(.*both.yaml:11, document 2\)/,
    );
    expect(r.err).toContain('problems with extensions');
  });
});

describe('trellis validate: bad and hostile input (exit 2)', () => {
  const cases = {
    MissingFile: {
      reason: 'a missing file is named',
      args: () => ['validate', fx('xrd.yaml'), join(dir, 'nope.yaml')],
      err: /cannot read resources from ".*nope.yaml": no such file or directory/,
    },
    BothStdin: { reason: 'stdin can feed only one side', args: () => ['validate', '-', '-'], err: /cannot use standard input for both/ },
    NotYaml: {
      reason: 'malformed YAML names the file',
      args: () => ['validate', fx('xrd.yaml'), file('bad.yaml', 'a: [1, 2\n')],
      err: /cannot load resources from ".*bad.yaml"/,
    },
    NoKind: {
      reason: 'a document without kind names its document and line',
      args: () => [
        'validate',
        fx('xrd.yaml'),
        file('nokind.yaml', '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n# second\nfoo: bar\n'),
      ],
      err: /nokind.yaml:5, document 2: apiVersion and kind are required/,
    },
    Scalar: {
      reason: 'a scalar document is not an object',
      args: () => ['validate', fx('xrd.yaml'), file('scalar.yaml', 'just a string\n')],
      err: /scalar.yaml:1, document 1: not a YAML object/,
    },
    AliasBomb: {
      reason: 'an alias bomb fails fast instead of exhausting memory',
      args: () => [
        'validate',
        fx('xrd.yaml'),
        file(
          'bomb.yaml',
          `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n`,
        ),
      ],
      err: /cannot load resources from ".*bomb.yaml"/,
    },
    Oversized: {
      reason: 'a file over 32 MiB is refused before it is read',
      args: () => ['validate', fx('xrd.yaml'), big()],
      err: /is over the limit of 32.0 MiB/,
    },
    BadFormat: {
      reason: 'an unknown -o is a usage error',
      args: () => ['validate', fx('xrd.yaml'), fx('good.yaml'), '-o', 'xml'],
      err: /invalid --output "xml": want one of text, json, yaml/,
    },
    EmptyDir: {
      reason: 'a directory without YAML says so',
      args: () => ['validate', fx('xrd.yaml'), emptyDir()],
      err: /no YAML files found/,
    },
  } as const;
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, async () => {
      const r = await trellis([...tc.args()]);
      expect(r.code, r.err).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.split('\n').filter((l) => l !== '')).toHaveLength(1);
      expect(r.err).toMatch(tc.err);
    });
  });
});

describe('trellis validate: packages from a real OCI registry', () => {
  let reg: Registry | undefined;
  const cacheDir = join(dir, 'cache');
  beforeAll(async () => {
    if (!registryAvailable()) return;
    reg = await startRegistry('anonymous');
    const client = new RegistryClient({ cache: new FsContentCache(join(dir, 'push-cache')) });
    const crd = (await import('yaml')).parse(await readText(fx('crd.yaml')));
    await buildAndPush(client, `${reg.host}/test/provider-storage:v1.2.0`, { kind: 'Provider', name: 'provider-storage', objects: [crd] });
    await buildAndPush(client, `${reg.host}/test/provider-storage:v1.3.0`, { kind: 'Provider', name: 'provider-storage', objects: [crd] });
    await buildAndPush(client, `${reg.host}/test/platform:v0.1.0`, {
      kind: 'Configuration',
      name: 'platform',
      dependsOn: [{ kind: 'provider', package: `${reg.host}/test/provider-storage`, version: '>=v1.2.0 <v1.3.0' }],
    });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('pulls a Configuration and its dependencies into the cache, then works offline', async () => {
    if (reg === undefined) return;
    const ext = file(
      'platform.yaml',
      `apiVersion: pkg.crossplane.io/v1\nkind: Configuration\nmetadata:\n  name: platform\nspec:\n  package: ${reg.host}/test/platform:v0.1.0\n`,
    );
    const r = await trellis(['validate', ext, fx('good.yaml'), '--cache-dir', cacheDir, '-o', 'json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out) as { summary: { success: number; missingSchemas: number }; packages: string[] };
    expect(report.summary).toMatchObject({ success: 1, missingSchemas: 1 });
    expect(report.packages).toEqual([
      expect.stringMatching(new RegExp(`^${reEscape(reg.host)}/test/platform:v0.1.0@sha256:`)),
      expect.stringMatching(new RegExp(`^${reEscape(reg.host)}/test/provider-storage:v1.2.0@sha256:`)),
    ]);
    await reg.stop();
    const offline = await trellis(['validate', ext, fx('good.yaml'), '--cache-dir', cacheDir, '--offline']);
    expect(offline.code, offline.err).toBe(0);
    expect(offline.out).toContain('[✓] storage.example.org/v1beta1, Kind=Bucket, assets validated successfully');
  });

  it('says which package could not be pulled', async () => {
    const port = await freePort();
    const ref = `127.0.0.1:${port}/none/nothing:v1.0.0`;
    const r = await trellis(['validate', fx('xrd.yaml'), fx('good.yaml'), '--package', ref, '--cache-dir', cacheDir]);
    expect(r.code).toBe(1);
    const last = r.err.trimEnd().split('\n').at(-1);
    expect(last).toMatch(new RegExp(`^trellis: cannot pull package "${reEscape(ref)}": .*ECONNREFUSED`));
    expect(r.err).toContain(`✗ pulling ${ref}`);
  });
});

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function readText(p: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(p, 'utf8');
}

async function crdsOf(provider: string): Promise<string> {
  const { readdir } = await import('node:fs/promises');
  const d = join(root, 'xpkg', provider, 'crds');
  const texts = await Promise.all((await readdir(d)).sort().map((f) => readText(join(d, f))));
  return texts.join('\n---\n');
}

function big(): string {
  const p = join(dir, 'big.yaml');
  writeFileSync(p, Buffer.alloc(33 * 1024 * 1024, 0x20));
  return p;
}

function emptyDir(): string {
  const p = mkdtempSync(join(dir, 'empty-'));
  return p;
}
