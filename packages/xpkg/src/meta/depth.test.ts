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
    { reason: 'a comment may follow a tab', text: `a: 1\t# ${'['.repeat(10)}`, want: false },
    { reason: 'a comment may follow a non-ASCII blank (U+00A0 is \\s)', text: `a: 1\u00a0# ${'['.repeat(10)}`, want: false },
    { reason: 'a hash inside a plain scalar is not a comment', text: `a: x#${'['.repeat(10)}`, want: true },
    { reason: 'a quote may open after a flow indicator', text: `a: [,'${'['.repeat(10)}']`, want: false },
  ];
  it.each(cases)('$reason', ({ text, want }) => {
    expect(flowDepthExceeds(text, 4)).toBe(want);
  });
});

/** The first implementation (one regular expression per character), kept as the model. */
function model(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const prev = i === 0 ? '\n' : (text[i - 1] as string);
    const tokenStart = /[\s[{,:?-]/.test(prev);
    if (c === '[' || c === '{') {
      depth++;
      if (depth > limit) return true;
    } else if (c === ']' || c === '}') {
      if (depth > 0) depth--;
    } else if (c === '#' && /\s/.test(prev)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"' && tokenStart) {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === "'" && tokenStart) {
      for (i++; i < text.length; i++) {
        if (text[i] !== "'") continue;
        if (text[i + 1] === "'") i++;
        else break;
      }
    }
  }
  return false;
}

describe('flowDepthExceeds against its model', () => {
  it('agrees on random text over the characters that matter (seeded)', () => {
    const alphabet = ['[', ']', '{', '}', '#', '"', "'", '\\', ' ', '\t', '\n', '\u00a0', '\u2028', ',', ':', '?', '-', 'a', '1'];
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let n = 0; n < 5000; n++) {
      const len = Math.floor(rand() * 60);
      let text = '';
      for (let i = 0; i < len; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
      expect(flowDepthExceeds(text, 3), JSON.stringify(text)).toBe(model(text, 3));
    }
  });
});
