import { describe, expect, it } from 'vitest';
import { flowDepthExceeds } from './depth.ts';

describe('flowDepthExceeds', () => {
  const cases: Array<{ reason: string; text: string; want: boolean }> = [
    { reason: 'flat YAML', text: 'a: [1, {b: 2}]\n', want: false },
    { reason: 'exactly at the limit', text: `${'['.repeat(4)}${']'.repeat(4)}`, want: false },
    { reason: 'one past the limit', text: `${'['.repeat(5)}${']'.repeat(5)}`, want: true },
    { reason: 'mappings count too', text: `${'{a: '.repeat(5)}1${'}'.repeat(5)}`, want: true },
    { reason: 'brackets in a double-quoted scalar do not count', text: `a: "${'['.repeat(10)}"`, want: false },
    { reason: 'brackets in a single-quoted scalar do not count', text: `a: '${'['.repeat(10)}'`, want: false },
    { reason: 'brackets in a comment do not count', text: `a: 1 # ${'['.repeat(10)}`, want: false },
    { reason: 'an apostrophe inside a plain scalar cannot hide brackets', text: `a: it's ${'['.repeat(10)}`, want: true },
    { reason: 'an escaped quote does not end a double-quoted scalar', text: `a: "\\"${'['.repeat(10)}"`, want: false },
  ];
  it.each(cases)('$reason', ({ text, want }) => {
    expect(flowDepthExceeds(text, 4)).toBe(want);
  });
});
