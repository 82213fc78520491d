import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dump, loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { StreamDumpOptions, YamlEmitter } from './emit.ts';

const oracle = (v: unknown): string => dump(v, StreamDumpOptions);

const trickyStrings = [
  '',
  ' ',
  'plain',
  'two words',
  'true',
  'True',
  'FALSE',
  'yes',
  'no',
  'on',
  'off',
  'y',
  'null',
  'Null',
  '~',
  '123',
  '-1',
  '1.5',
  '0x1f',
  '0o17',
  '1e3',
  '.inf',
  '-.Inf',
  '.nan',
  '1_000',
  '1:30',
  '2024-01-01',
  '2024-01-01T10:00:00Z',
  'a: b',
  'a:b',
  '- x',
  '-x',
  '#c',
  'a #c',
  'a#c',
  '[x]',
  '{x}',
  'x, y',
  '*a',
  '&a',
  '!t',
  '|',
  '>',
  '%x',
  '@x',
  '`x',
  "it's",
  "'q'",
  '"q"',
  'x\ny',
  'x\n',
  'x\n\n',
  '\nx',
  '\n',
  ' x',
  'x ',
  'x\ty',
  '\tx',
  'é',
  '日本語',
  'emoji 😀',
  '\u0000',
  '\u0007bell',
  '\u2028',
  '\ufeffbom',
  'a\r\nb',
  'line1\n  indented\nline3',
  '  lead\nx',
  '- a\n- b',
  '---',
  '...',
  '<<',
  '=',
  '?',
  ':',
  '?x',
  'http://example.com/a?b=c#d',
  'x'.repeat(300),
  `long ${'word '.repeat(100)}`,
  'k'.repeat(1100),
];

const numbers = [
  0,
  1,
  -1,
  42,
  1.5,
  -0,
  0.1,
  1e21,
  2 ** 53,
  -(2 ** 60),
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  5e-324,
];

describe('YamlEmitter', () => {
  const cases: { reason: string; value: unknown }[] = [
    { reason: 'an empty mapping is {}', value: {} },
    { reason: 'an empty sequence is []', value: [] },
    { reason: 'keys are sorted', value: { b: 1, a: 2, C: 3, _: 4, '10': 5, '9': 6 } },
    { reason: 'nested empty collections stay flow', value: { a: {}, b: [], c: [[], {}] } },
    { reason: 'undefined drops a mapping entry', value: { a: undefined, b: 1 } },
    { reason: 'a mapping of only undefined values is {}', value: { x: { a: undefined } } },
    { reason: 'undefined in a sequence is null', value: { a: [undefined, 1] } },
    { reason: 'sequences of sequences are compact', value: { a: [[1, [2, 3]], [['x']]] } },
    { reason: 'mappings in sequences are compact', value: { a: [{ b: 1, c: { d: [{ e: 'f' }] } }] } },
    { reason: 'a document that is a sequence', value: [{ a: 1 }, 'x', [1]] },
    { reason: 'a __proto__ key is an ordinary key', value: JSON.parse('{"__proto__": {"a": 1}, "b": 2}') },
    { reason: 'a key over 1024 characters becomes an explicit pair (dump writes it)', value: { ['k'.repeat(1100)]: 'v' } },
    { reason: 'a Date falls back to dump (a timestamp)', value: { at: new Date(0) } },
    {
      reason: 'multi-line strings at several depths use block styles indented for their depth',
      value: { a: 'x\ny', b: { c: ['p\nq', { d: 'r\n s\n' }] } },
    },
    ...trickyStrings.map((s) => ({
      reason: `the string ${JSON.stringify(s.slice(0, 40))} as key and value`,
      value: { [s]: s, list: [s, { [s]: [s] }] },
    })),
    ...numbers.map((n) => ({ reason: `the number ${String(n)}`, value: { n, list: [n] } })),
  ];
  it.each(cases)('$reason', ({ value }) => {
    expect(new YamlEmitter().emit(value)).toBe(oracle(value));
  });

  it('matches dump on random documents (seeded), one emitter across all of them as in a stream', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const gen = (depth: number): unknown => {
      const r = rand();
      if (depth > 4 || r < 0.35) return pick([...trickyStrings.slice(0, -1), ...numbers, true, false, null, undefined] as unknown[]);
      if (r < 0.65) return Array.from({ length: Math.floor(rand() * 4) }, () => gen(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, () => [pick(trickyStrings.slice(0, -1)), gen(depth + 1)]));
    };
    const emitter = new YamlEmitter();
    for (let i = 0; i < 2000; i++) {
      const doc = { root: gen(0) };
      expect(emitter.emit(doc), JSON.stringify(doc)).toBe(oracle(doc));
    }
  });

  it('matches dump on every YAML document of the test fixtures (real CRDs, XRDs, Compositions)', () => {
    const root = fileURLToPath(new URL('../../../../test/fixtures', import.meta.url));
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(name)) files.push(p);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(100);
    const emitter = new YamlEmitter();
    let docs = 0;
    for (const f of files) {
      let parsed: unknown[];
      try {
        parsed = loadAll(readFileSync(f, 'utf8'));
      } catch {
        continue; // deliberately malformed fixtures
      }
      for (const d of parsed) {
        if (d === null || d === undefined) continue;
        docs++;
        expect(emitter.emit(d), f).toBe(oracle(d));
      }
    }
    expect(docs).toBeGreaterThan(300);
  });
});
