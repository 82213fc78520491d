import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepClone } from './clone.ts';

/** Same reports whether two values are alike as structuredClone results: same shape, prototypes and primitive values. */
function expectSameClone(got: unknown, want: unknown): void {
  expect(got).toStrictEqual(want);
  if (typeof want === 'object' && want !== null) expect(Object.getPrototypeOf(got)).toBe(Object.getPrototypeOf(want));
}

describe('deepClone', () => {
  const protoKey = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
  const cases: Record<string, { reason: string; value: unknown }> = {
    Primitives: {
      reason: 'strings, numbers, booleans, null and undefined are themselves',
      value: ['s', 1.5, -0, Number.NaN, true, null, undefined],
    },
    BigInt: { reason: 'bigints (Go int64 values) are kept', value: { n: 12345678901234567890n } },
    Nested: { reason: 'objects and arrays are copied all the way down', value: { a: { b: [1, { c: 'd' }, []] }, e: {} } },
    IntegerKeys: { reason: 'key order is kept, integer-like keys first as in the source', value: { b: 1, 2: 'x', a: 2, 1: 'y' } },
    UndefinedValue: { reason: 'an undefined value stays a present key', value: { a: undefined } },
    Bytes: { reason: 'Uint8Array goes through structuredClone (a copy)', value: { pw: new Uint8Array([0, 1, 255]) } },
    ProtoKey: { reason: 'a __proto__ key stays data and does not set the prototype', value: protoKey },
    NullProto: { reason: 'a null-prototype object becomes a plain object', value: Object.assign(Object.create(null), { a: 1 }) },
    Date: { reason: 'other objects go through structuredClone', value: { when: new Date(0) } },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const got = deepClone(c.value);
      expectSameClone(got, structuredClone(c.value));
      if (typeof c.value === 'object' && c.value !== null) expect(got).not.toBe(c.value);
    });
  }

  it('ProtoKey: the clone has __proto__ as an own key and Object.prototype as prototype', () => {
    const got = deepClone(protoKey);
    expect(Object.keys(got)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect((got as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('Independent: changing the clone leaves the source alone', () => {
    const src = { a: { b: [1, 2] } };
    const got = deepClone(src);
    got.a.b.push(3);
    expect(src.a.b).toEqual([1, 2]);
  });

  it('Functions: a function inside throws the DataCloneError structuredClone throws', () => {
    expect(() => deepClone({ f: () => 1 })).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
  });

  it('Property: equals structuredClone on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expectSameClone(deepClone(v), structuredClone(v));
      }),
      { numRuns: 200, seed: 42 },
    );
  });
});
