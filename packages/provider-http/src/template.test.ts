import { hasCode } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { HttpCode } from './errors.ts';
import { renderString, renderUrl, renderValue } from './template.ts';

const ctx = {
  spec: { forProvider: { name: 'example.test.', ttl: 300, records: [{ content: '192.0.2.1' }], empty: '' } },
  externalName: 'a/b c',
  now: '2026-11-21T00:00:00.000Z',
};

describe('renderValue', () => {
  const cases = {
    Typed: { reason: 'a whole placeholder keeps the type of the value', tpl: '{{ spec.forProvider.ttl }}', want: 300 },
    List: { reason: 'lists pass through whole', tpl: '{{ spec.forProvider.records }}', want: [{ content: '192.0.2.1' }] },
    Fallback: { reason: '?? falls back when unset', tpl: '{{ spec.forProvider.startsAt ?? now }}', want: '2026-11-21T00:00:00.000Z' },
    EmptyFallsBack: {
      reason: 'an empty string counts as unset',
      tpl: '{{ spec.forProvider.empty ?? now }}',
      want: '2026-11-21T00:00:00.000Z',
    },
    Omitted: {
      reason: 'an unset whole placeholder removes its key',
      tpl: { a: '{{ spec.forProvider.missing }}', b: 1 },
      want: { b: 1 },
    },
    Interpolated: {
      reason: 'placeholders inside text are interpolated',
      tpl: 'zone {{ spec.forProvider.name }}',
      want: 'zone example.test.',
    },
    Literal: { reason: 'text without placeholders is kept', tpl: { changetype: 'REPLACE' }, want: { changetype: 'REPLACE' } },
  } satisfies Record<string, { reason: string; tpl: unknown; want: unknown }>;
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => expect(renderValue(tc.tpl, ctx)).toEqual(tc.want));
  });
});

describe('renderUrl and renderString', () => {
  it('escapes each value in URLs', () => expect(renderUrl('/zones/{{ externalName }}', ctx)).toBe('/zones/a%2Fb%20c'));
  it('names the missing field', () => {
    let err: unknown;
    try {
      renderString('/zones/{{ spec.forProvider.zone }}', ctx);
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, HttpCode.InvalidMapping)).toBe(true);
    expect((err as Error).message).toBe('template "/zones/{{ spec.forProvider.zone }}" needs "spec.forProvider.zone", which is not set');
  });
  it('refuses anything but a dotted path (no code runs)', () => {
    expect(() => renderString('{{ constructor.constructor("x")() }}', ctx)).toThrow(/is not a dotted path/);
  });
  it('refuses objects where text is needed', () => {
    expect(() => renderString('x{{ spec.forProvider.records }}', ctx)).toThrow(/must be a string, number or boolean/);
  });
});
