/**
 * `trellis test` with real inputs: the examples' own tests pass; every failure path (wrong value,
 * missing resource, wrong count, expected error not raised, invalid output, broken test file,
 * missing input) is reported with the suite, case, file and field path; JUnit and JSON reports are
 * well-formed; golden files are checked and rewritten with --update.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trellis } from './cli.ts';

const root = resolve(import.meta.dirname, '../..');
const fixtures = join(root, 'test/cli/fixtures/test');
const dir = mkdtempSync(join(tmpdir(), 'trellis-test-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface JsonRun {
  summary: { total: number; passed: number; failed: number; errors: number };
  tests: { suite: string; name: string; status: string; file: string; failures: string[] }[];
}

describe('trellis test', () => {
  it("passes the examples' tests", async () => {
    const r = await trellis(['test', join(root, 'examples')]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^PASS {2}database\/composes-role-database-and-grant \(/m);
    expect(r.out).toMatch(/tests: \d+ passed \(/);
  });

  it('reports each failure with its case, file and field path, and exits 3', async () => {
    const r = await trellis(['test', fixtures, '-o', 'json']);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^trellis: 7 of 8 tests did not pass\n$/);
    const run = JSON.parse(r.out) as JsonRun;
    expect(run.summary).toEqual({ total: 8, passed: 1, failed: 5, errors: 2, durationMs: expect.any(Number) });
    const by = (name: string) => run.tests.find((t) => t.name === name);
    expect(by('wrong-value')?.failures).toEqual(['resource "database": spec.forProvider.encoding: want "LATIN1", got "UTF8"']);
    expect(by('wrong-value')?.file).toMatch(/failing.test.yaml:2, document 1 \(spec.cases\[0\]\)$/);
    expect(by('missing-resource')?.failures).toEqual(['resource "backup": not composed (composed: database, grant, owner)']);
    expect(by('wrong-count')?.failures).toEqual(['want 4 composed resources, got 3: database, grant, owner']);
    expect(by('expected-error-not-raised')?.failures).toEqual(['want the render to fail with "cannot compose", but it succeeded']);
    expect(by('invalid-output')?.failures).toEqual([
      `db.example.org/v1alpha1, Kind=XPostgresDatabase "broken" is invalid: spec.parameters.databaseName: Invalid value: "Not-Valid": spec.parameters.databaseName in body should match '^[a-z][a-z0-9_]{0,56}$'`,
      'db.example.org/v1alpha1, Kind=XPostgresDatabase "broken" is invalid: spec.parameters.connectionLimit: Invalid value: 0: spec.parameters.connectionLimit in body should be greater than or equal to 1',
    ]);
    expect(by('pipeline-fails-as-expected')?.status).toBe('passed');
    expect(by('(load)')).toMatchObject({ status: 'error', suite: 'broken.test.yaml' });
    expect(by('(load)')?.failures[0]).toMatch(/broken.test.yaml:2, document 1: spec.asert: unknown field \(want one of /);
    expect(by('missing-input')).toMatchObject({ status: 'error' });
    expect(by('missing-input')?.failures[0]).toMatch(/cannot read Composition from ".*does-not-exist.yaml": no such file or directory/);
  });

  it('writes JUnit XML that names suites, cases and failures', async () => {
    const junit = join(dir, 'junit.xml');
    const r = await trellis(['test', join(fixtures, 'failing.test.yaml'), '--report-junit', junit, '-f', 'wrong-|pipeline']);
    expect(r.code).toBe(3);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="trellis test" tests="3" failures="2" errors="0" time="[\d.]+">/,
    );
    expect(xml).toContain('<testsuite name="failing" tests="3" failures="2" errors="0"');
    expect(xml).toMatch(
      /<testcase classname="failing" name="wrong-value" file="[^"]*failing.test.yaml:2, document 1 \(spec.cases\[0\]\)" time="[\d.]+">\n {6}<failure message="resource &quot;database&quot;: spec.forProvider.encoding: want &quot;LATIN1&quot;, got &quot;UTF8&quot;">/,
    );
    expect(xml).toMatch(/<testcase classname="failing" name="pipeline-fails-as-expected" [^>]*\/>/);
    expect(xml.trimEnd().endsWith('</testsuites>')).toBe(true);
  });

  it('checks golden files and rewrites them with --update', async () => {
    const ex = join(root, 'examples/database');
    const t = join(dir, 'golden.test.yaml');
    writeFileSync(
      t,
      `apiVersion: test.trellis.dev/v1alpha1\nkind: CompositionTest\nmetadata:\n  name: golden\nspec:\n  xr: ${ex}/xr.yaml\n  composition: ${ex}/composition.yaml\n  assert:\n    golden: golden.yaml\n`,
    );
    const missing = await trellis(['test', t]);
    expect(missing.code).toBe(3);
    expect(missing.out).toMatch(/golden file "golden.yaml" cannot be read .*; run with --update to write it/);
    expect((await trellis(['test', t, '--update'])).code).toBe(0);
    expect((await trellis(['test', t])).code).toBe(0);
    writeFileSync(join(dir, 'golden.yaml'), readFileSync(join(dir, 'golden.yaml'), 'utf8').replace('orders_owner', 'someone_else'));
    const changed = await trellis(['test', t]);
    expect(changed.code).toBe(3);
    expect(changed.out).toMatch(
      /render output differs from golden file "golden.yaml" at line \d+: want ".*someone_else.*", got ".*orders_owner.*"; run with --update to accept it/,
    );
  });

  it('needs test files, a valid filter and a known format', async () => {
    copyFileSync(join(root, 'examples/database/claim.yaml'), join(dir, 'claim.yaml'));
    const cases = [
      { args: ['test', join(dir, 'nothing-here')], err: /cannot read tests from ".*nothing-here": no such file or directory/ },
      { args: ['test', mkdtempSync(join(dir, 'empty-'))], err: /no test files found in .* \(looking for \*.test.yaml\)/ },
      { args: ['test', fixtures, '-f', '('], err: /invalid --filter "\(":/ },
      { args: ['test', fixtures, '-o', 'tap'], err: /invalid --output "tap": want one of text, json, junit/ },
      { args: ['test', join(fixtures, 'failing.test.yaml'), '-f', 'no-such-case'], err: /no test matched --filter "no-such-case"/ },
    ];
    for (const c of cases) {
      const r = await trellis(c.args);
      expect(r.code, `${c.args.join(' ')}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(c.err);
    }
  });
});
