/**
 * Differential test: our Go fmt emulation against Go itself (the oracle helper), over every
 * format string in the census (census-fmt-strings.tsv) with the operand types the function sees
 * (strings, float64 from JSON, int64 from a convert transform, nil, bool, maps, arrays), plus a
 * table of verbs, flags, widths, precisions and argument indexes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GoInt, sprintf } from '@trellis/functions';
import { describe, expect, it } from 'vitest';
import { askOracle, type GoTyped } from './oracle.ts';

const censusPath = join(import.meta.dirname, '..', 'fixtures', 'composition', 'census-fmt-strings.txt');

function toTs(a: GoTyped): unknown {
  switch (a.t) {
    case 'string':
      return a.v;
    case 'bytes':
      return new Uint8Array(Buffer.from(a.v));
    case 'int64':
      return BigInt(a.v);
    case 'int':
      return new GoInt('int', BigInt(a.v));
    case 'float64':
      return a.v;
    case 'bool':
      return a.v;
    case 'nil':
      return null;
    case 'json':
      return a.v;
  }
}

const s = (v: string): GoTyped => ({ t: 'string', v });
const f = (v: number): GoTyped => ({ t: 'float64', v });
const i64 = (v: number | string): GoTyped => ({ t: 'int64', v: String(v) });
const int = (v: number | string): GoTyped => ({ t: 'int', v: String(v) });
const nil: GoTyped = { t: 'nil' };
const b = (v: boolean): GoTyped => ({ t: 'bool', v });
const json = (v: unknown): GoTyped => ({ t: 'json', v });

const operandSets: GoTyped[][] = [
  [s('my-app')],
  [s('a'), s('b')],
  [s('a'), s('b'), s('c'), s('d'), s('e'), s('f')],
  [f(5)],
  [f(1000000)],
  [f(1.5)],
  [i64(20)],
  [nil],
  [b(true)],
  [json({ b: 1, a: 'x', c: null, d: [1, 'y'] })],
  [json(['x', 2.5, null])],
  [],
];

const verbTable: { format: string; args: GoTyped[] }[] = [];
const verbs = ['v', 's', 'd', 'f', 'F', 'e', 'E', 'g', 'G', 'q', 'x', 'X', 'o', 'O', 'b', 't', 'c', 'U', 'T', 'z'];
const flagForms = ['', '5', '-5', '05', '.2', '8.3', '+', ' ', '#', '-08.2', '+.0', '#x', '.0'];
const operands: GoTyped[] = [
  s('hello'),
  s('ünï'),
  s('a"b\n'),
  f(0),
  f(-0.000001234),
  f(3.25159),
  f(2.5),
  f(0.5),
  f(1e21),
  f(123456789),
  f(-42),
  f(1e-7),
  f(100),
  i64(0),
  i64(-42),
  i64(255),
  int(65),
  b(false),
  nil,
  json({ k: 1 }),
  json([1, 'a']),
  { t: 'bytes', v: 'hi' },
];
for (const verb of verbs) {
  for (const flags of flagForms) {
    for (const op of operands) verbTable.push({ format: `%${flags}${verb}`, args: [op] });
  }
}
verbTable.push(
  { format: '%[2]s-%[1]s', args: [s('a'), s('b')] },
  { format: 'flux2-%[1]s/flux2-%[1]s.tgz', args: [s('1.2.3')] },
  { format: '%[3]s', args: [s('a')] },
  { format: '%[0]s', args: [s('a')] },
  { format: '%[x]s', args: [s('a')] },
  { format: '%[1]5s|%[1]*d', args: [s('a')] },
  { format: '%*d', args: [int(5), i64(42)] },
  { format: '%-*d|', args: [int(-5), i64(42)] },
  { format: '%.*f', args: [int(2), f(3.25159)] },
  { format: '%*d', args: [f(5), i64(42)] },
  { format: '%.*d', args: [s('x'), i64(42)] },
  { format: '100%', args: [] },
  { format: '100%', args: [s('x')] },
  { format: '%%|%5%|%-%', args: [s('x')] },
  { format: '%s %s', args: [s('only-one')] },
  { format: '%d', args: [] },
  { format: 'no verbs', args: [s('a'), f(1), nil] },
  { format: '%!', args: [s('a')] },
  { format: '%[1]s %s', args: [s('a'), s('b')] },
  { format: '%3.[2]d', args: [i64(1), i64(2)] },
  { format: '%[2]3d', args: [i64(1), i64(2)] },
  { format: '%.[2]d', args: [i64(1), i64(2)] },
  { format: '%v %v', args: [json({ nested: { a: [1, { b: null }] } }), json([])] },
  { format: '%s', args: [json({ a: 1.5, b: 'x' })] },
  { format: '%d', args: [json([1, 2])] },
  { format: '%05d|%+d|% d|%x|%X|%#o|%#b', args: [i64(-42), i64(42), i64(42), i64(-255), i64(255), i64(8), i64(5)] },
  { format: '%.3s|%.10s|%5.1s|%-5s|', args: [s('abcdef'), s('ab'), s('xyz'), s('ü')] },
  { format: '%08.3f|%-8.2f|%+.1e|%g|%g|%g|%G', args: [f(-3.25159), f(2.5), f(12345.678), f(1e-5), f(0.0001), f(1e20), f(1e-10)] },
  { format: '%.3g|%.10g|%#g|%#.0f|%#.3g|%#v', args: [f(1234.5678), f(1 / 3), f(1), f(2), f(100), f(1)] },
  { format: '%6.2f%%', args: [f(99.5)] },
  { format: '%q|%#q|%+q|%q', args: [s('tab\there'), s('back`tick'), s('ü'), i64(0x1f600)] },
  { format: '%x|% x|%#x|% #X', args: [s('hi'), s('hi'), s('hi'), s('hi')] },
  { format: '%U|%#U|%c', args: [i64(0x41), i64(0x263a), i64(0x1f600)] },
);

describe('Go fmt emulation against Go', () => {
  it('renders every census format string exactly as Go does, for every operand type', async () => {
    const formats = readFileSync(censusPath, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as string | null);
    expect(formats.length).toBeGreaterThanOrEqual(500);
    const reqs = formats.flatMap((format) => operandSets.map((args) => ({ op: 'sprintf' as const, format, args })));
    const answers = await askOracle(reqs);
    const mismatches: string[] = [];
    reqs.forEach((r, k) => {
      const ours = sprintf(r.format ?? '', ...r.args.map(toTs));
      const theirs = answers[k]?.out;
      if (ours !== theirs)
        mismatches.push(`${JSON.stringify(r.format)} ${JSON.stringify(r.args)}: ours ${JSON.stringify(ours)} go ${JSON.stringify(theirs)}`);
    });
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(reqs.length).toBeGreaterThan(5000);
  });

  it('matches Go for verbs, flags, widths, precisions and argument indexes', async () => {
    const reqs = verbTable.map((t) => ({ op: 'sprintf' as const, format: t.format, args: t.args }));
    const answers = await askOracle(reqs);
    const mismatches: string[] = [];
    reqs.forEach((r, k) => {
      const ours = sprintf(r.format, ...r.args.map(toTs));
      const theirs = answers[k]?.out;
      if (ours !== theirs)
        mismatches.push(`${JSON.stringify(r.format)} ${JSON.stringify(r.args)}: ours ${JSON.stringify(ours)} go ${JSON.stringify(theirs)}`);
    });
    expect(mismatches.slice(0, 40)).toEqual([]);
  });
});
