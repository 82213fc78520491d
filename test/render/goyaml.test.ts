/**
 * Differential test: our go-yaml v2 emulation (marshalGoYaml) against sigs.k8s.io/yaml itself
 * (the render oracle). Upstream uses that encoder for CompositionRevision hashes and for the
 * output of `crossplane render`, so the bytes must match exactly: a table of tricky scalars and
 * keys, then generated documents.
 */
import { marshalGoYaml } from '@trellis/engine';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { askOracle } from './oracle.ts';

const strings = [
  '',
  'plain',
  'two words',
  'true',
  'True',
  'yes',
  'No',
  'on',
  'OFF',
  'y',
  'n',
  '~',
  'null',
  'NULL',
  '<<',
  '.inf',
  '-.Inf',
  '.nan',
  '.5',
  '.5.5',
  '1',
  '-1',
  '+1',
  '1.0',
  '1e3',
  '1e400',
  '0x1F',
  '0o17',
  '017',
  '08',
  '0b101',
  '1_000',
  '9223372036854775808',
  '18446744073709551616',
  '1:20',
  '190:20:30.15',
  '2024-01-01',
  '2024-1-1',
  '2024-01-01T00:00:00Z',
  '2024-01-01t10:20:30.5+02:00',
  '2024-01-01 10:20:30',
  '2024-13-01',
  '2024-02-30',
  '2024-01-01T25:00:00Z',
  '---',
  '--- x',
  '...',
  '- item',
  '-item',
  '-',
  ': x',
  'a: b',
  'a:b',
  'a :b',
  'key:',
  '#comment',
  'a #b',
  'a#b',
  '?',
  '? x',
  '?x',
  '[a]',
  'a[0]',
  '{a}',
  'a,b',
  '&anchor',
  '*alias',
  '!tag',
  '|',
  '>',
  "'quoted'",
  "it's",
  '"dq"',
  '%',
  '@',
  '`',
  ' leading',
  'trailing ',
  'tab\there',
  '\ttab',
  'multi\nline',
  'multi\nline\n',
  'multi\nline\n\n',
  '\n',
  '\n\n',
  '\nlead',
  ' lead\nline',
  'trailing space \nline',
  'line\n trailing',
  'crlf\r\nline',
  'cr\rx',
  'nel\u0085x',
  'ls\u2028x',
  'ps\u2029x',
  'nbsp\u00a0x',
  'c1\u0080x',
  'bell\u0007',
  'nul\u0000',
  'esc\u001b',
  'del\u007f',
  '\ufeffbom',
  'bom\ufeff',
  '\ufffe',
  'é café',
  '日本語',
  'emoji 😀',
  '\ud7ff\ue000\ufffd',
  'back\\slash',
  'x'.repeat(200),
  `${'word '.repeat(30)}end`,
  `${'word  '.repeat(20)}end`,
  `${'a'.repeat(79)} b`,
  `${'a'.repeat(80)} b c`,
  `'${'quoted text '.repeat(10)}'`,
  `"${'dq text '.repeat(12)}"`,
  `${'tab\t'.repeat(20)}`,
  `${'long line with spaces '.repeat(5)}\nsecond line`,
];

const numbers = [
  0,
  -0,
  1,
  -1,
  0.1,
  0.5,
  1.5,
  -2.25,
  100,
  123456,
  123456.7,
  1234567,
  1234567.5,
  1e6,
  1e-4,
  1e-5,
  0.000123,
  1e21,
  1e22,
  1.5e300,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  2 ** 64,
  2 ** 64 * 3,
  -(2 ** 63),
  -(2 ** 63) * 2,
  5e-324,
  Number.MAX_VALUE,
  3.25e-7,
];

const keys = [
  'a',
  'b',
  'B',
  'a1',
  'a10',
  'a2',
  'a02',
  'a002',
  'a0',
  'a00',
  '10',
  '9',
  '09',
  '_x',
  '-x',
  'x-y',
  'x.y',
  'x/y',
  'Ä',
  'é',
  '日',
  '',
  'true',
  '1',
  'key with space',
  'k'.repeat(129),
  'k'.repeat(128),
  'multi\nline key',
  'crossplane.io/composition-resource-name',
  'app.kubernetes.io/name',
];

describe('marshalGoYaml matches sigs.k8s.io/yaml', () => {
  it('writes every tricky scalar as go-yaml does, as a value, a key and a list item', async () => {
    const docs: unknown[] = [];
    for (const s of strings) docs.push({ v: s }, { [s]: 1 }, { l: [s, { n: s }] }, [s], s);
    for (const n of numbers) docs.push({ n }, [n], n);
    docs.push(null, true, false);
    docs.push(Object.fromEntries(keys.map((k, i) => [k, i])));
    await expectSame(docs);
  });

  it('writes nested structures, empty collections and nulls as go-yaml does', async () => {
    await expectSame([
      {},
      [],
      { a: {}, b: [], c: null, d: [[]], e: [{}], f: [[1, [2, []]], { g: [{ h: [] }] }] },
      [[['deep']]],
      { list: [{ a: 1, b: [1, 2] }, [{ c: 'x\ny' }], 'z'] },
      { literal: 'a\nb', nested: { literal: '  indented\nlines\n', deeper: [{ text: 'x\n\n' }] } },
      { t: true, f: false, n: null },
    ]);
  });

  it('agrees on generated documents', async () => {
    const scalar = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom(...strings),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...keys));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('list'), tie('map')),
      list: fc.array(tie('value'), { maxLength: 4 }),
      map: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
    }));
    const docs = fc.sample(fc.dictionary(key, value, { maxKeys: 6 }), { numRuns: 400, seed: 42 });
    await expectSame(docs);
  });
});

async function expectSame(docs: unknown[]): Promise<void> {
  // Go sees what JSON carries: lone surrogates become U+FFFD, as they do in our UTF-8 output.
  const json = docs.map((d) => JSON.parse(Buffer.from(JSON.stringify(d), 'utf8').toString('utf8')) as unknown);
  const answers = await askOracle(json.map((d) => ({ op: 'yaml', json: d })));
  const mismatches: string[] = [];
  answers.forEach((a, i) => {
    let ours: string;
    try {
      ours = marshalGoYaml(json[i]);
    } catch (err) {
      ours = `error: ${(err as Error).message}`;
    }
    const theirs = a.err !== undefined ? `error: ${a.err}` : (a.out ?? '');
    // Where Go fails, ours must fail too; the messages need not match byte for byte.
    if (ours.startsWith('error: ') && theirs.startsWith('error: ')) return;
    if (ours !== theirs) mismatches.push(`doc ${i} ${JSON.stringify(json[i])}\n--- go\n${theirs}\n--- ours\n${ours}`);
  });
  expect(mismatches.slice(0, 5).join('\n')).toBe('');
}
