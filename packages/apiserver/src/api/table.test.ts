import { describe, expect, it } from 'vitest';
import { compileJsonPath, evalJsonPath } from './jsonpath.ts';
import { crdConvertor, humanDuration } from './table.ts';

describe('humanDuration', () => {
  const s = 1000;
  const cases: Array<[number, string]> = [
    [-5 * s, '<invalid>'],
    [-500, '0s'],
    [0, '0s'],
    [119 * s, '119s'],
    [125 * s, '2m5s'],
    [600 * s, '10m'],
    [179 * 60 * s, '179m'],
    [3 * 3600 * s + 5 * 60 * s, '3h5m'],
    [8 * 3600 * s, '8h'],
    [51 * 3600 * s, '2d3h'],
    [10 * 24 * 3600 * s, '10d'],
    [(2 * 365 + 3) * 24 * 3600 * s, '2y3d'],
    [9 * 365 * 24 * 3600 * s, '9y'],
  ];
  for (const [ms, want] of cases) it(`${ms}ms → ${want}`, () => expect(humanDuration(ms)).toBe(want));
});

describe('JSONPath', () => {
  const obj = {
    status: {
      conditions: [
        { type: 'Synced', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
    },
    spec: { 'a.b': 1, list: [{ n: 1 }, { n: 2 }] },
  };
  const cases: Record<string, [string, unknown[]]> = {
    Field: ['.spec.list[0].n', [1]],
    Negative: ['.spec.list[-1].n', [2]],
    Wildcard: ['.spec.list[*].n', [1, 2]],
    Quoted: [".spec['a.b']", [1]],
    Filter: ['.status.conditions[?(@.type=="Ready")].status', ['True']],
    Missing: ['.status.nope', []],
  };
  for (const [name, [path, want]] of Object.entries(cases))
    it(`${name}: ${path}`, () => expect(evalJsonPath(compileJsonPath(path), obj)).toEqual(want));
  it('rejects recursive descent', () => expect(() => compileJsonPath('..x')).toThrow(/not supported/));
});

describe('CRD printer columns', () => {
  it('renders cells by column type, blanks for missing values, and humanises dates', () => {
    const conv = crdConvertor([
      { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Obj', type: 'string', jsonPath: '.spec.obj' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      { name: 'Bad', type: 'boolean', jsonPath: '.spec.size' },
    ]);
    const now = Date.parse('2026-01-01T00:10:00Z');
    const cells = conv.cells(
      {
        apiVersion: 'x/v1',
        kind: 'W',
        metadata: { name: 'w', creationTimestamp: '2026-01-01T00:00:00Z' },
        spec: { size: 3.7, obj: { a: 1 } },
      },
      now,
    );
    expect(cells).toEqual(['w', 3, null, '{"a":1}', '10m', null]);
    expect(conv.columns.map((c) => c.name)).toEqual(['Name', 'Size', 'Ready', 'Obj', 'Age', 'Bad']);
  });
});
