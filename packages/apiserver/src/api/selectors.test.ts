import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.ts';
import { matchFields, matchLabels, parseFieldSelector, parseLabelSelector } from './selectors.ts';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', version: '3' };
  const cases: Record<string, { reason: string; sel: string; want: boolean }> = {
    Empty: { reason: 'the empty selector matches everything', sel: '', want: true },
    Equals: { reason: '= and == are the same', sel: 'app=web,tier==front', want: true },
    NotEquals: { reason: '!= matches a missing key too', sel: 'missing!=x', want: true },
    In: { reason: 'in needs the key', sel: 'app in (api, web)', want: true },
    NotIn: { reason: 'notin matches a missing key', sel: 'missing notin (a)', want: true },
    NotInHit: { reason: 'notin rejects a listed value', sel: 'app notin (web)', want: false },
    Exists: { reason: 'a bare key requires it', sel: 'tier', want: true },
    NotExists: { reason: '!key rejects it', sel: '!tier', want: false },
    Gt: { reason: 'gt compares integers', sel: 'version>2', want: true },
    Lt: { reason: 'lt compares integers', sel: 'version<3', want: false },
    Conjunction: { reason: 'every term must hold', sel: 'app in (a,b),!legacy', want: false },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => expect(matchLabels(parseLabelSelector(c.sel), labels)).toBe(c.want));
  }
  for (const bad of ['app in (a', 'a b', 'x=a b', 'version>abc', '-bad-=1', 'a=b,,']) {
    it(`rejects ${JSON.stringify(bad)} with 400`, () => {
      expect(() => parseLabelSelector(bad)).toThrow(ApiError);
      try {
        parseLabelSelector(bad);
      } catch (err) {
        expect((err as ApiError).status.code).toBe(400);
      }
    });
  }
});

describe('field selectors', () => {
  it('parses =, == and != with escapes', () => {
    expect(parseFieldSelector('metadata.name=a\\,b,status.phase!=Active,x==y')).toEqual([
      { field: 'metadata.name', op: '=', value: 'a,b' },
      { field: 'status.phase', op: '!=', value: 'Active' },
      { field: 'x', op: '=', value: 'y' },
    ]);
  });
  it('matches missing fields as the empty string', () => {
    expect(matchFields(parseFieldSelector('a='), () => '')).toBe(true);
  });
  it('rejects a term without an operator', () => {
    expect(() => parseFieldSelector('metadata.name')).toThrow(/can't understand/);
  });
});
