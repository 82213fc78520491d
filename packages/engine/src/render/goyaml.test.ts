import { describe, expect, it } from 'vitest';
import { compareKeys, keyLessGeneral } from './goyaml.ts';
import { parseGoYamlDocuments } from './goyaml-parse.ts';

describe('compareKeys', () => {
  it('orders ASCII keys without digits (the fast path) as go-yaml keyList.Less does, on every pair of keys up to 3 characters', () => {
    const alphabet = ['a', 'A', 'z', 'Z', '_', '-', '.', ':', '~'];
    const keys = [''];
    for (let n = 0, from = 0; n < 3; n++) {
      const to = keys.length;
      for (let i = from; i < to; i++) for (const c of alphabet) keys.push(keys[i] + c);
      from = to;
    }
    const wrong: string[] = [];
    for (const a of keys)
      for (const b of keys) {
        const want = a === b ? 0 : keyLessGeneral(a, b) ? -1 : 1;
        if (compareKeys(a, b) !== want) wrong.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    expect(keys).toHaveLength(820);
    expect(wrong).toEqual([]);
  });
});

describe('parseGoYamlDocuments', () => {
  it.each([
    {
      reason: 'a document without aliases is checked in place: non-finite numbers are refused',
      text: 'a: [1, .inf]',
      error: /unsupported value: Infinity/,
    },
    {
      reason: 'a document with aliases is copied and checked: non-finite numbers are refused',
      text: 'a: &x .nan\nb: *x',
      error: /unsupported value: NaN/,
    },
  ])('$reason', ({ text, error }) => {
    expect(() => parseGoYamlDocuments(text)).toThrow(error);
  });

  it('resolves each plain scalar once and gives the same values with and without aliases', () => {
    const plain = parseGoYamlDocuments(
      'a: {k: yes, num: 0x1F, f: 1.5, s: "yes", t: 2001-12-14, z: ~}\nb: {k: yes, num: 0x1F, f: 1.5, s: "yes", t: 2001-12-14, z: ~}',
    );
    const aliased = parseGoYamlDocuments('a: &x {k: yes, num: 0x1F, f: 1.5, s: "yes", t: 2001-12-14, z: ~}\nb: *x');
    expect(aliased).toEqual(plain);
    expect(plain[0]).toEqual({
      a: { k: true, num: 31, f: 1.5, s: 'yes', t: '2001-12-14', z: null },
      b: { k: true, num: 31, f: 1.5, s: 'yes', t: '2001-12-14', z: null },
    });
    const doc = aliased[0] as { a: object; b: object };
    expect(doc.a).not.toBe(doc.b); // aliases are copies
  });
});
