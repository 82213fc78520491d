import { describe, expect, it } from 'vitest';
import { findDuplicateKeys, hasDuplicateKeys } from './negotiate.ts';

describe('duplicate keys in JSON bodies', () => {
  const cases: Record<string, { reason: string; text: string; want: string[] }> = {
    None: { reason: 'distinct keys at every level', text: '{"a":1,"b":{"a":2,"c":[{"a":3},{"a":4}]}}', want: [] },
    TopLevel: { reason: 'a key twice in the root object', text: '{"a":1,"a":2}', want: ['a'] },
    Nested: { reason: 'the path names the nested object', text: '{"metadata":{"labels":{"x":"1","x":"2"}}}', want: ['metadata.labels.x'] },
    InList: { reason: 'list items are indexed', text: '{"items":[{"a":1},{"b":1,"b":2}]}', want: ['items[1].b'] },
    SameKeySiblings: { reason: 'the same key in sibling objects is no duplicate', text: '[{"a":1},{"a":1}]', want: [] },
    EscapedQuote: { reason: 'an escaped quote does not end a string', text: '{"a":"x\\"y","b":"\\\\","b":1}', want: ['b'] },
    EscapedKey: { reason: 'keys compare after unescaping', text: '{"\\u0061":1,"a":2}', want: ['a'] },
    BracesInStrings: { reason: 'braces, brackets and commas inside strings are text', text: '{"a":"{,[\\"}","c":"]","a":0}', want: ['a'] },
    Proto: { reason: '__proto__ is an ordinary key', text: '{"__proto__":1,"__proto__":2}', want: ['__proto__'] },
    Scalar: { reason: 'a scalar body has no keys', text: '"a"', want: [] },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const value = JSON.parse(c.text) as unknown;
      expect(findDuplicateKeys(c.text)).toEqual(c.want);
      expect(hasDuplicateKeys(c.text, value)).toBe(c.want.length > 0);
    });
  }

  it('counts keys of values nested 20,000 deep without recursion (a deep body is a 400 elsewhere, not a stack overflow here)', () => {
    const depth = 20_000;
    const text = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const value = JSON.parse(text) as unknown;
    expect(hasDuplicateKeys(text, value)).toBe(false);
    const dup = `{"b":0,"b":1,"a":${text}}`;
    expect(hasDuplicateKeys(dup, JSON.parse(dup))).toBe(true);
  });

  it('agrees with the full scan on random documents', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const keys = ['a', 'b', 'c', 'x"y', 'q\\', '{', ',', ']'];
    const value = (depth: number): string => {
      const k = rnd(depth > 3 ? 3 : 6);
      if (k === 0) return String(rnd(100));
      if (k === 1) return JSON.stringify(keys[rnd(keys.length)]);
      if (k === 2) return 'null';
      if (k === 3) return `[${Array.from({ length: rnd(4) }, () => value(depth + 1)).join(',')}]`;
      return `{${Array.from({ length: rnd(5) }, () => `${JSON.stringify(keys[rnd(keys.length)])}:${value(depth + 1)}`).join(',')}}`;
    };
    for (let i = 0; i < 2000; i++) {
      const text = value(0);
      expect(hasDuplicateKeys(text, JSON.parse(text))).toBe(findDuplicateKeys(text).length > 0);
    }
  });
});
