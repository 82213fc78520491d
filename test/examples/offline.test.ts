/**
 * Every example renders, validates and passes its own tests offline: `trellis render` of its XR,
 * `trellis validate` of its claim and XR against its XRD, and of the rendered composed resources
 * against the providers' CRDs (render -x piped into validate), and `trellis test` of its tests/.
 * Examples cannot rot: a new example directory is picked up by this suite.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseGoYamlDocuments } from '@trellis/engine';
import { describe, expect, it } from 'vitest';
import { trellis } from '../cli/cli.ts';

const root = resolve(import.meta.dirname, '../..');
const examples = readdirSync(join(root, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'examples', d.name, 'xrd.yaml')))
  .map((d) => d.name)
  .sort();

interface Schema {
  properties?: Record<string, Schema>;
}
interface XrdDoc {
  spec: { versions: { schema: { openAPIV3Schema: Schema } }[] };
}

/** Extensions for validating rendered output: the example's XRD, every example XRD (nesting), every provider's CRDs. */
function extensions(): string {
  const parts: string[] = [];
  for (const e of examples) parts.push(readFileSync(join(root, 'examples', e, 'xrd.yaml'), 'utf8'));
  for (const p of readdirSync(join(root, 'xpkg'))) {
    const d = join(root, 'xpkg', p, 'crds');
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d).sort()) parts.push(readFileSync(join(d, f), 'utf8'));
  }
  return parts.join('\n---\n');
}

it('finds the four examples', () => {
  expect(examples).toEqual(['app-with-database', 'database', 'global-dns', 'multi-cluster-app']);
});

describe.each(examples)('examples/%s', (name) => {
  const dir = join(root, 'examples', name);
  const f = (p: string): string => join(dir, p);

  it('has a README, an XRD, a Composition, a claim, an XR and tests', () => {
    for (const p of ['README.md', 'xrd.yaml', 'composition.yaml', 'functions.yaml', 'claim.yaml', 'xr.yaml', 'tests'])
      expect(existsSync(f(p)), p).toBe(true);
  });

  it('has a README that documents every field of the API and how to try it', () => {
    const readme = readFileSync(f('README.md'), 'utf8');
    const [xrd] = parseGoYamlDocuments(readFileSync(f('xrd.yaml'), 'utf8'), 'xrd.yaml') as [XrdDoc];
    const schema = xrd.spec.versions[0]?.schema.openAPIV3Schema;
    const fields = Object.keys(schema?.properties?.spec?.properties?.parameters?.properties ?? {});
    expect(fields.length, 'xrd.yaml: spec.parameters has fields').toBeGreaterThan(1);
    for (const field of fields) expect(readme, `README.md documents parameter "${field}"`).toContain(`\`${field}\``);
    for (const section of ['## The API', '## Try it', '## What gets created where', '## Deletion']) expect(readme).toContain(section);
    for (const cmd of ['trellis up --with-examples', 'kubectl apply -f examples/', 'trellis trace ']) expect(readme).toContain(cmd);
  });

  it('validates its claim and XR against its XRD', async () => {
    for (const r of ['claim.yaml', 'xr.yaml']) {
      const v = await trellis(['validate', f('xrd.yaml'), f(r), '--error-on-missing-schemas']);
      expect(v.code, `${r}: ${v.out}${v.err}`).toBe(0);
    }
  });

  it('renders, and what it renders validates against the XRDs and the providers CRDs', async () => {
    const r = await trellis(['render', f('xr.yaml'), f('composition.yaml'), f('functions.yaml'), '--xrd', f('xrd.yaml'), '-x']);
    expect(r.code, r.err).toBe(0);
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const tmp = mkdtempSync(join(tmpdir(), 'trellis-examples-'));
    const exts = join(tmp, 'extensions.yaml');
    writeFileSync(exts, extensions());
    try {
      const v = await trellis(['validate', exts, '-', '--error-on-missing-schemas', '-o', 'json'], { stdin: r.out });
      expect(v.code, v.out + v.err).toBe(0);
      const report = JSON.parse(v.out) as { summary: { total: number; success: number } };
      expect(report.summary.success).toBe(report.summary.total);
      expect(report.summary.total).toBeGreaterThan(1);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('passes its tests', async () => {
    const t = await trellis(['test', f('tests')]);
    expect(t.code, t.out + t.err).toBe(0);
  });
});
