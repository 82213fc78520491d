// Fuzzing the YAML input paths: the engine's Go-YAML reader (render inputs, context values), the
// CLI's object loader (every file `trellis render/validate` reads), the package-stream parser
// (package.yaml of every xpkg) and the lockfile parser. Whatever the bytes, each either parses or
// fails with a TrellisError carrying a code and a one-line message; it never crashes, and the same
// input always gives the same outcome. Inputs: arbitrary strings, strings made of YAML's own
// syntax, and byte-level mutations of the repository's real fixtures (compositions, XRs,
// packages). Seeds and counts are fixed (see support.ts to reproduce or scale up).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseGoYamlDocuments } from '@trellis/engine';
import { parseLockfile, parsePackageStream } from '@trellis/xpkg';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseObjects } from '../../packages/cli/src/input/load.ts';
import { runCase } from './run-case.ts';
import { check, editsArb, fuzzParams, mutate, outcome } from './support.ts';

const fixtures = resolve(import.meta.dirname, '..', 'fixtures');

function yamlFiles(dir: string, out: string[] = [], max = 400): string[] {
  for (const name of readdirSync(dir).sort()) {
    if (out.length >= max) break;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yamlFiles(p, out, max);
    else if (/\.ya?ml$/.test(name) && statSync(p).size < 64 * 1024) out.push(p);
  }
  return out;
}

const corpus = yamlFiles(fixtures).map((p) => readFileSync(p));

/** The YAML parsers under test, each run through `outcome` (clean failure or a value). */
const parsers: [string, (text: string) => unknown][] = [
  ['parseGoYamlDocuments', (t) => parseGoYamlDocuments(t, 'fuzz input')],
  ['cli parseObjects', (t) => parseObjects(t, 'fuzz.yaml', { what: 'resources', requireKind: true })],
  ['xpkg parsePackageStream', (t) => parsePackageStream(t, 'package.yaml', { maxBytes: 1 << 20, maxDocuments: 1000 })],
  ['xpkg parseLockfile', (t) => parseLockfile(t, 'trellis.lock')],
];

function checkAll(text: string): void {
  for (const [name, parse] of parsers) {
    const first = outcome(name, () => parse(text));
    const again = outcome(name, () => parse(text));
    expect(again.ok, `${name} is deterministic`).toBe(first.ok);
    if (!first.ok && !again.ok) expect(again.code).toBe(first.code);
  }
}

/** Pieces of YAML syntax (indicators, anchors, tags, block scalars, directives, flow collections). */
const yamlToken = fc.constantFrom(
  ':',
  ': ',
  '- ',
  '? ',
  '{',
  '}',
  '[',
  ']',
  ',',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '<<: ',
  '<<: *a',
  '!!int ',
  '!!str ',
  '!!binary ',
  '!!map ',
  '!!set ',
  '!!timestamp ',
  '!custom ',
  '|',
  '|-',
  '>+',
  '\n',
  '\n  ',
  '\n    ',
  '\t',
  "'",
  '"',
  '\\u0000',
  '# c',
  '---\n',
  '...\n',
  '%YAML 1.1\n',
  '%TAG ! tag:x,2000:\n',
  'apiVersion: v1\n',
  'kind: ConfigMap\n',
  'metadata:\n  name: x\n',
  'spec:\n',
  'yes',
  'on',
  '0777',
  '1_000',
  '0x1F',
  '.inf',
  '-.nan',
  '~',
  'null',
  '2001-12-14t21:59:43.10-05:00',
  '\uFEFF',
  '\u2028',
  'é',
  '😀',
  'key',
  'value',
);

/** PlainValue is JSON without floats (whose YAML 1.1 spelling differs from JSON's, e.g. `1e-7`). */
const plainValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 16 }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('fuzz: YAML input paths', () => {
  it('parses or fails cleanly on arbitrary text', () => {
    check(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (s) => checkAll(s)),
      fuzzParams(0x5eed01, 400),
    );
  });

  it('parses or fails cleanly on text made of YAML syntax', () => {
    check(
      fc.property(fc.array(yamlToken, { maxLength: 80 }), (tokens) => checkAll(tokens.join(''))),
      fuzzParams(0x5eed02, 1500),
    );
  });

  it('parses or fails cleanly on mutated real fixtures', () => {
    expect(corpus.length).toBeGreaterThan(50);
    check(
      fc.property(fc.nat(corpus.length - 1), editsArb(fc), (i, edits) => checkAll(mutate(corpus[i] as Buffer, edits).toString('utf8'))),
      fuzzParams(0x5eed03, 1500),
    );
  });

  it('refuses alias bombs and deep nesting without crashing (in a process of its own)', async () => {
    // A stack overflow inside a YAML library can leave V8 unable to compile regular expressions,
    // so the next parse dies with a fatal out-of-memory: this property runs in its own process.
    const p = fuzzParams(0x5eed04, 6);
    const r = await runCase('nesting', String(p.seed), String(p.numRuns));
    const dirty = r.lines.filter((l) => !l.ok && l.clean === false);
    expect(dirty, 'parsers that failed without a TrellisError').toEqual([]);
    expect({ code: r.code, signal: r.signal }, `the fuzz process died:\n${r.stderr}`).toEqual({ code: 0, signal: null });
  });

  it('reads back JSON documents unchanged (any key, `__proto__` included)', () => {
    check(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), plainValue, { maxKeys: 8 }), (obj) => {
        // JSON is YAML: a JSON document must parse to the same value, every key kept.
        const text = JSON.stringify(obj);
        const r = outcome('parseGoYamlDocuments', () => parseGoYamlDocuments(text, 'json input'));
        if (!r.ok) return;
        const doc = (r.value as unknown[])[0];
        expect(JSON.parse(JSON.stringify(doc))).toEqual(JSON.parse(JSON.stringify(obj)));
      }),
      fuzzParams(0x5eed05, 500),
    );
  });
});
