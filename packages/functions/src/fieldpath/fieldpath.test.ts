import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GoError } from '../errors.ts';
import { GoInt, toPlainJson } from '../gofmt/values.ts';
import { expandWildcards, getValue, type JsonMap, mergeValue, parse, setValue, toValidJson } from './fieldpath.ts';

describe('parse', () => {
  const cases: Record<string, { reason: string; path: string; want?: unknown; err?: string }> = {
    Dotted: { reason: 'fields separated by dots', path: 'a.b.c', want: ['a', 'b', 'c'] },
    Index: { reason: '[N] is an index', path: 'a[0].b', want: ['a', 0, 'b'] },
    BracketDots: {
      reason: 'periods inside brackets have no meaning',
      path: 'metadata.labels[crossplane.io/claim-name]',
      want: ['metadata', 'labels', 'crossplane.io/claim-name'],
    },
    QuotedSingle: { reason: 'single quotes are trimmed', path: "a['b.c']", want: ['a', 'b.c'] },
    QuotedDouble: { reason: 'double quotes are trimmed', path: 'a["b/c"]', want: ['a', 'b/c'] },
    QuotedNumber: { reason: 'a quoted number is a field', path: "a['0']", want: ['a', '0'] },
    NegativeIndex: { reason: '[-3] is a field, not an index', path: 'a[-3]', want: ['a', '-3'] },
    HugeIndex: { reason: 'an index beyond uint32 is a field', path: 'a[4294967296]', want: ['a', '4294967296'] },
    BracketsOnly: { reason: 'a[b][0] equals a.b[0]', path: 'spec[containers][0]', want: ['spec', 'containers', 0] },
    LeadingDot: { reason: 'a leading period is an error', path: '.a', err: "unexpected '.' at position 0" },
    DoubleDot: { reason: 'two periods are an error', path: 'a..b', err: "unexpected '.' at position 2" },
    TrailingDot: { reason: 'a trailing period is an error', path: 'a.', err: "unexpected '.' at position 1" },
    DotBracket: { reason: '.[ is an error', path: 'a.[0]', err: "unexpected '[' at position 2" },
    EmptyBracket: { reason: '[] is an error', path: 'a[]', err: "unexpected ']' at position 2" },
    Unterminated: { reason: 'a missing ] is an error', path: 'a[0', err: "unterminated '[' at position 1" },
    Nested: { reason: 'nested brackets are an error', path: 'a[b[0]]', err: "unexpected '[' at position 3" },
    StrayClose: { reason: 'a stray ] is an error', path: 'a]', err: "unexpected ']' at position 1" },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      if (c.err !== undefined) {
        expect(() => parse(c.path)).toThrow(c.err);
        return;
      }
      expect(parse(c.path).map((s) => (s.type === 'index' ? s.index : s.field))).toEqual(c.want);
    });
  }

  it('parses a hostile 100k-segment path without recursion', () => {
    const path = Array.from({ length: 100_000 }, (_, i) => `f${i}`).join('.');
    expect(parse(path)).toHaveLength(100_000);
  });
});

describe('getValue', () => {
  const obj = { metadata: { name: 'x', labels: { 'a.b/c': 'v' } }, spec: { list: ['a', null], n: null, s: 'str' } };
  const cases: Record<string, { reason: string; path: string; want?: unknown; err?: string; notFound?: boolean }> = {
    Field: { reason: 'reads a nested field', path: 'metadata.name', want: 'x' },
    Bracket: { reason: 'reads a bracket key', path: 'metadata.labels[a.b/c]', want: 'v' },
    Element: { reason: 'reads an element', path: 'spec.list[0]', want: 'a' },
    NullLeaf: { reason: 'an explicit null leaf is returned', path: 'spec.n', want: null },
    Missing: { reason: 'a missing field is NotFound', path: 'spec.missing', err: 'spec.missing: no such field', notFound: true },
    OutOfRange: { reason: 'an index out of range is NotFound', path: 'spec.list[5]', err: 'spec.list[5]: no such element', notFound: true },
    ThroughNull: { reason: 'traversing null is NotFound', path: 'spec.n.x', err: 'spec.n: expected map, got nil', notFound: true },
    NotAnArray: { reason: 'indexing a string is not NotFound', path: 'spec.s[0]', err: 'spec.s: not an array', notFound: false },
    NotAnObject: { reason: 'a field of a string is not NotFound', path: 'spec.s.x', err: 'spec.s: not an object', notFound: false },
    ParseError: {
      reason: 'parse errors name the path',
      path: 'a..b',
      err: 'cannot parse path "a..b": unexpected \'.\' at position 2',
      notFound: false,
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      if (c.err === undefined) {
        expect(getValue(obj, c.path)).toEqual(c.want);
        return;
      }
      let err: unknown;
      try {
        getValue(obj, c.path);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GoError);
      expect((err as GoError).message).toBe(c.err);
      expect((err as GoError).notFound).toBe(c.notFound);
    });
  }
});

describe('setValue', () => {
  const cases: Record<string, { reason: string; obj: JsonMap; path: string; value: unknown; want?: JsonMap; err?: string }> = {
    Create: { reason: 'creates intermediate objects', obj: {}, path: 'a.b.c', value: 1, want: { a: { b: { c: 1 } } } },
    Grow: { reason: 'grows arrays padding with null', obj: { data: ['a'] }, path: 'data[2]', value: 'c', want: { data: ['a', null, 'c'] } },
    CreateArray: { reason: 'creates arrays for index segments', obj: {}, path: 'a[1].b', value: 'x', want: { a: [null, { b: 'x' }] } },
    MaxIndex: {
      reason: 'refuses indexes above 1024',
      obj: {},
      path: 'a[1025]',
      value: 1,
      err: 'index 1025 is greater than max allowed index 1024',
    },
    NotArray: { reason: 'refuses indexing an object', obj: { data: { x: 1 } }, path: 'data[0]', value: 1, err: 'data is not an array' },
    NotObject: { reason: 'refuses a field of a string', obj: { data: 's' }, path: 'data.x', value: 1, err: 'data is not an object' },
    Bigint: { reason: 'values are normalised through JSON (int64 becomes a number)', obj: {}, path: 'n', value: 5n, want: { n: 5 } },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const o = structuredClone(c.obj);
      if (c.err !== undefined) {
        expect(() => setValue(o, c.path, c.value)).toThrow(c.err);
        return;
      }
      setValue(o, c.path, c.value);
      expect(o).toEqual(c.want);
    });
  }
});

describe('mergeValue', () => {
  const dst = () => ({ spec: { m: { keep: 'dst', empty: '', nested: { a: 1 } }, list: ['a', 'b'] } });
  const cases: Record<string, { reason: string; path: string; value: unknown; mo: Parameters<typeof mergeValue>[3]; want: unknown }> = {
    Replace: { reason: 'no options replaces', path: 'spec.m', value: { x: 1 }, mo: undefined, want: { x: 1 } },
    Keep: {
      reason: 'keepMapValues keeps non-empty target keys and fills empty ones',
      path: 'spec.m',
      value: { keep: 'src', empty: 'src', nested: { b: 2 } },
      mo: { keepMapValues: true },
      want: { keep: 'dst', empty: 'src', nested: { a: 1, b: 2 } },
    },
    Force: {
      reason: 'without keepMapValues the source wins',
      path: 'spec.m',
      value: { keep: 'src' },
      mo: { keepMapValues: false },
      want: { keep: 'src', empty: '', nested: { a: 1 } },
    },
    AppendDedup: {
      reason: 'appendSlice appends and de-duplicates top-level items',
      path: 'spec.list',
      value: ['b', 'c'],
      mo: { appendSlice: true },
      want: ['a', 'b', 'c'],
    },
    KeepArray: {
      reason: 'keepMapValues keeps a non-empty target array (upstream mergo)',
      path: 'spec.list',
      value: ['z'],
      mo: { keepMapValues: true },
      want: ['a', 'b'],
    },
    OverwriteArrays: {
      reason: 'overwriteArrays replaces arrays while keeping map values (documented MergeObjects)',
      path: 'spec.list',
      value: ['z'],
      mo: { keepMapValues: true, overwriteArrays: true },
      want: ['z'],
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const o = dst();
      mergeValue(o, c.path, c.value, c.mo);
      expect(getValue(o, c.path)).toEqual(c.want);
    });
  }
});

describe('expandWildcards', () => {
  it('expands only over elements that contain the leaf', () => {
    expect(expandWildcards({ rules: [{ port: 1 }, { x: 1 }, { port: 2 }] }, 'rules[*].port')).toEqual(['rules[0].port', 'rules[2].port']);
  });
  it('returns nothing through a missing array', () => {
    expect(expandWildcards({}, 'rules[*].port')).toEqual([]);
  });
});

describe('toValidJson', () => {
  /** RoundTrip is the definition toValidJson must match: upstream's JSON round trip. */
  const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(toPlainJson(v)) ?? 'null');
  const cases: Record<string, { reason: string; value: unknown }> = {
    Scalars: { reason: 'strings, finite numbers, booleans and null are kept', value: ['s', 1.5, 0, true, false, null] },
    NegativeZero: { reason: '-0 becomes 0', value: [-0, { z: -0 }] },
    NonFinite: {
      reason: 'NaN and infinities become null',
      value: { a: Number.NaN, b: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY] },
    },
    Undefined: { reason: 'undefined becomes null, at the top, in objects and in arrays', value: { a: undefined, b: [undefined] } },
    TopUndefined: { reason: 'a top-level undefined is null', value: undefined },
    GoIntegers: { reason: 'bigint and GoInt become numbers, huge ones null', value: [3n, new GoInt('int32', 7n), 10n ** 400n] },
    Bytes: { reason: '[]byte becomes base64', value: { b: new Uint8Array([0, 1, 255]) } },
    Functions: { reason: 'functions are dropped from objects and null in arrays', value: { f: () => 1, l: [() => 1], k: 1 } },
    TopFunction: { reason: 'a top-level function is null', value: () => 1 },
    ProtoKey: { reason: 'a __proto__ key is dropped', value: JSON.parse('{"__proto__": {"x": 1}, "a": 1}') },
    KeyOrder: { reason: 'key order is kept', value: { b: 1, 2: 'x', a: { d: 1, c: 2 } } },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const got = toValidJson(c.value);
      expect(got).toStrictEqual(roundTrip(c.value));
      expect(JSON.stringify(got)).toBe(JSON.stringify(roundTrip(c.value)) ?? 'null');
    });
  }

  it('copies: the result shares nothing with the input', () => {
    const src = { a: { b: [1] } };
    const got = toValidJson(src) as typeof src;
    got.a.b.push(2);
    expect(src.a.b).toEqual([1]);
  });

  it('Property: equals the JSON round trip on any value JSON can carry', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue(),
        fc.double(),
        fc.bigInt(),
        fc.constant(undefined),
        fc.uint8Array({ maxLength: 8 }),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        expect(JSON.stringify(toValidJson(v))).toBe(JSON.stringify(roundTrip(v)) ?? 'null');
        expect(toValidJson(v)).toStrictEqual(roundTrip(v));
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe('path cache', () => {
  it('a cached path reads and writes the same as a fresh one, and bad paths keep failing', () => {
    const o: JsonMap = {};
    for (let i = 0; i < 3; i++) setValue(o, 'spec.items[1].name', `n${i}`);
    expect(getValue(o, 'spec.items[1].name')).toBe('n2');
    expect(getValue(o, 'spec.items[0]')).toBeNull();
    for (let i = 0; i < 2; i++) expect(() => getValue(o, 'a..b')).toThrow('cannot parse path "a..b": unexpected \'.\' at position 2');
  });
});
