import { describe, expect, it } from 'vitest';
import { compareKeys, keyLessGeneral } from './goyaml.ts';
import { parseGoYamlDocuments } from './goyaml-parse.ts';

/** A small deterministic PRNG (mulberry32), so a failure names its seed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('compareKeys', () => {
  it('orders ASCII keys without digits (the fast path) as go-yaml keyList.Less does, on 20,000 random pairs', () => {
    const rnd = prng(7);
    const alphabet = 'aAbBzZ_-./:~ @[`{';
    const word = (): string => Array.from({ length: Math.floor(rnd() * 6) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
    for (let i = 0; i < 20_000; i++) {
      const a = word();
      const b = rnd() < 0.3 ? a + word() : word();
      const want = a === b ? 0 : keyLessGeneral(a, b) ? -1 : 1;
      expect(compareKeys(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(want);
    }
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
