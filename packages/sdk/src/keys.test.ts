import { describe, expect, it } from 'vitest';
import { definedKeysInOrder } from './keys.ts';

describe('definedKeysInOrder', () => {
  const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${39 - i}`, i]));
  const cases: { reason: string; o: Record<string, unknown>; want: string[] }[] = [
    { reason: 'no keys', o: {}, want: [] },
    { reason: 'keys already in order are kept', o: { a: 1, b: 2 }, want: ['a', 'b'] },
    { reason: 'keys out of order are sorted', o: { b: 1, a: 2, c: 3 }, want: ['a', 'b', 'c'] },
    { reason: 'undefined values are left out', o: { b: undefined, a: 1 }, want: ['a'] },
    { reason: 'null values stay', o: { b: null, a: 1 }, want: ['a', 'b'] },
    { reason: 'order is by code unit, as Array.prototype.sort', o: { b: 1, B: 2, é: 3, _: 4 }, want: ['B', '_', 'b', 'é'] },
    { reason: 'a long list is sorted by the built-in sort', o: many, want: Object.keys(many).sort() },
  ];
  it.each(cases)('$reason', ({ o, want }) => {
    expect(definedKeysInOrder(o)).toEqual(want);
  });
});
