/**
 * `trellis beta convert pipeline-composition`: every legacy (mode: Resources) fixture converts to a
 * Pipeline Composition that renders exactly what the original renders; stdin and -o work; bad
 * input is one clear line with exit 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trellis } from './cli.ts';

const root = resolve(import.meta.dirname, '../..');
const fixtures = join(root, 'test/fixtures/composition');
const dir = mkdtempSync(join(tmpdir(), 'trellis-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const legacy = ['legacy-anonymous', 'legacy-connection-details', 'legacy-environment'];

function renderArgs(fx: string, composition: string): string[] {
  const args = ['render', join(fixtures, fx, 'xr.yaml'), composition, join(fixtures, fx, 'functions.yaml')];
  const have = (f: string): boolean => {
    try {
      readFileSync(join(fixtures, fx, f));
      return true;
    } catch {
      return false;
    }
  };
  if (have('observed.yaml')) args.push('-o', join(fixtures, fx, 'observed.yaml'));
  if (have('required.yaml')) args.push('-e', join(fixtures, fx, 'required.yaml'));
  return args;
}

describe.each(legacy)('trellis beta convert pipeline-composition: %s', (fx) => {
  it('renders the same as the Resources-mode original', async () => {
    const out = join(dir, `${fx}.yaml`);
    const conv = await trellis(['beta', 'convert', 'pipeline-composition', join(fixtures, fx, 'composition.yaml'), '-o', out]);
    expect(conv.code, conv.err).toBe(0);
    const converted = readFileSync(out, 'utf8');
    expect(converted).toMatch(/^---\napiVersion: apiextensions.crossplane.io\/v1\nkind: Composition\n/);
    expect(converted).toContain('mode: Pipeline');
    const a = await trellis(renderArgs(fx, join(fixtures, fx, 'composition.yaml')));
    const b = await trellis(renderArgs(fx, out));
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    expect(b.out).toBe(a.out);
  });
});

describe('trellis beta convert pipeline-composition: input and errors', () => {
  it('reads stdin and names the function steps as asked', async () => {
    const text = readFileSync(join(fixtures, 'legacy-environment/composition.yaml'), 'utf8');
    const r = await trellis(
      [
        'beta',
        'convert',
        'pipeline-composition',
        '-',
        '--function-patch-and-transform-ref',
        'my-pt',
        '--function-environment-configs-ref',
        'my-env',
      ],
      { stdin: text },
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('name: my-pt');
    expect(r.out).toContain('name: my-env');
  });

  it('prints a Pipeline Composition unchanged', async () => {
    const r = await trellis(['beta', 'convert', 'pipeline-composition', join(root, 'examples/database/composition.yaml')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('step: compose');
  });

  const bad = {
    NotAComposition: {
      reason: 'refuses other kinds, naming the file',
      args: () => ['beta', 'convert', 'pipeline-composition', join(root, 'examples/database/xrd.yaml')],
      err: /cannot convert CompositeResourceDefinition "xpostgresdatabases.db.example.org" \(.*xrd.yaml, document 1\)/,
    },
    UnknownConversion: {
      reason: 'names the conversions it knows',
      args: () => ['beta', 'convert', 'deployment-runtime', 'x.yaml'],
      err: /unknown conversion "deployment-runtime" \(want pipeline-composition\)/,
    },
    UnknownBeta: {
      reason: 'names the beta commands it knows',
      args: () => ['beta', 'top'],
      err: /unknown beta command "top" \(want convert\)/,
    },
    Missing: {
      reason: 'a missing file is named',
      args: () => ['beta', 'convert', 'pipeline-composition', join(dir, 'nope.yaml')],
      err: /no such file or directory/,
    },
    Garbage: {
      reason: 'malformed YAML is named',
      args: () => ['beta', 'convert', 'pipeline-composition', garbage()],
      err: /cannot load Compositions from ".*garbage.yaml"/,
    },
  };
  describe.each(Object.entries(bad))('%s', (_name, tc) => {
    it(tc.reason, async () => {
      const r = await trellis(tc.args());
      expect(r.code).toBe(2);
      expect(r.err).toMatch(tc.err);
      expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    });
  });
});

function garbage(): string {
  const p = join(dir, 'garbage.yaml');
  writeFileSync(p, 'kind: [unclosed\n');
  return p;
}
