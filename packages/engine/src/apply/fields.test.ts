import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonSha256 } from './fields.ts';

/** ModelCanonicalJson is the first implementation (arrays of parts, sort of every key list): the model the faster one must equal. */
function modelCanonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => modelCanonicalJson(x === undefined ? null : x)).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${modelCanonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Random builds a JSON-like value from a seeded generator (keys in random order, some undefined). */
function random(seed: number): () => unknown {
  let x = seed;
  const next = (): number => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  const keys = ['a', 'b', 'B', 'z', 'é', 'f:data', 'k:{"uid":"1"}', '10', '9', '', 'ünïcode', '\u{1F600}', 'ﬀ'];
  const value = (depth: number): unknown => {
    const r = next();
    if (depth > 3 || r < 0.3) {
      const scalars = [null, true, false, 0, -1.5, 1e21, 'x', '', 'quote"\\\n', '\u2028', undefined];
      return scalars[Math.floor(next() * scalars.length)];
    }
    if (r < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(next() * 6); i > 0; i--) o[keys[Math.floor(next() * keys.length)] as string] = value(depth + 1);
    return o;
  };
  return () => value(0);
}

describe('canonicalJson', () => {
  const cases: { reason: string; value: unknown; want: string }[] = [
    {
      reason: 'keys are sorted by code unit',
      value: { b: 1, a: { d: [1, { z: 0, y: 'x' }], c: null } },
      want: '{"a":{"c":null,"d":[1,{"y":"x","z":0}]},"b":1}',
    },
    { reason: 'keys already in order stay in order', value: { a: 1, b: 2, c: 3 }, want: '{"a":1,"b":2,"c":3}' },
    { reason: 'undefined map values are left out', value: { a: undefined, b: 1, c: undefined }, want: '{"b":1}' },
    { reason: 'undefined list items are null', value: [undefined, 1], want: '[null,1]' },
    { reason: 'a hole of a sparse list stays empty, as join wrote it', value: new Array<unknown>(1).concat([1]), want: '[,1]' },
    { reason: 'a top-level undefined is null', value: undefined, want: 'null' },
    {
      reason: 'uppercase sorts before lowercase; digits as strings',
      value: { b: 1, B: 2, '10': 3, '9': 4 },
      want: '{"10":3,"9":4,"B":2,"b":1}',
    },
    { reason: 'strings are escaped as JSON.stringify does', value: { 'k"': 'a\nb' }, want: '{"k\\"":"a\\nb"}' },
  ];
  const many = (n: number): Record<string, number> =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`${(i * 7919) % n}-${'zyxwvu'[i % 6]}`, i]));
  it.each([
    { reason: '31 keys out of order (sorted by insertion)', n: 31 },
    { reason: '33 keys out of order (sorted by the built-in sort)', n: 33 },
  ])('$reason', ({ n }) => {
    expect(canonicalJson(many(n))).toBe(modelCanonicalJson(many(n)));
  });
  it.each(cases)('$reason', ({ value, want }) => {
    expect(canonicalJson(value)).toBe(want);
    expect(canonicalJson(value)).toBe(modelCanonicalJson(value));
  });

  it('equals the first implementation on 3,000 random values (its output is persisted in the applied-hash annotation)', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const v = random(seed)();
      expect(canonicalJson(v), `seed ${seed}`).toBe(modelCanonicalJson(v));
    }
  });
});

describe('canonicalJsonSha256', () => {
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
  const cases: { reason: string; value: unknown }[] = [
    { reason: 'nested maps and lists', value: { b: 1, a: { d: [1, { z: 0, y: 'x' }], c: null } } },
    { reason: 'strings JSON.stringify escapes', value: { 'k"': 'a\nb\\c\u0001', t: '\t' } },
    { reason: 'non-ASCII and paired surrogates are copied as UTF-8', value: { é: 'ünï\u{1F600}', '\u{1F600}': 'x' } },
    { reason: 'a lone surrogate is escaped as JSON.stringify does', value: { a: '\ud800x' } },
    { reason: 'numbers as JSON.stringify writes them', value: [0, -0, 1e21, 1.5e-7, -12.25, Number.NaN, Number.POSITIVE_INFINITY] },
    {
      reason: 'undefined list items, holes, undefined map values',
      value: { l: [undefined, 1].concat(new Array<unknown>(1)), u: undefined },
    },
    {
      reason: 'a value larger than the reused buffer',
      value: { l: Array.from({ length: 4000 }, (_, i) => ({ name: `n-${i}`, v: 'é'.repeat(20) })) },
    },
    { reason: 'a top-level scalar', value: 'x' },
  ];
  it.each(cases)('$reason: the sha256 of canonicalJson', ({ value }) => {
    expect(canonicalJsonSha256(value)).toBe(sha(canonicalJson(value)));
  });

  it('equals the sha256 of canonicalJson on 3,000 random values', () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const v = random(seed)();
      expect(canonicalJsonSha256(v), `seed ${seed}`).toBe(sha(canonicalJson(v)));
    }
  });
});
