import { describe, expect, it } from 'vitest';
import { compileRe2, Re2SyntaxError } from './regex.ts';

describe('compileRe2 (Go regexp syntax, linear-time matching)', () => {
  const cases: { reason: string; pattern: string; input: string; want: boolean }[] = [
    { reason: 'matches anywhere unless anchored', pattern: '[0-9]+', input: 'ab12', want: true },
    { reason: 'anchors', pattern: '^[a-z]+$', input: 'ab12', want: false },
    { reason: 'Perl classes', pattern: '^\\d{2}\\s\\w+$', input: '12 ab_c', want: true },
    { reason: 'POSIX classes (not in JavaScript)', pattern: '^[[:alpha:]]+$', input: 'abc', want: true },
    { reason: 'inline flags', pattern: '(?i)^abc$', input: 'ABC', want: true },
    { reason: '\\z is the end of text', pattern: 'a\\z', input: 'ba', want: true },
    { reason: 'Unicode classes', pattern: '^\\p{Greek}+$', input: 'αβγ', want: true },
  ];
  it.each(cases)('$reason', (c) => expect(compileRe2(c.pattern).test(c.input)).toBe(c.want));

  const bad: { reason: string; pattern: string; want: string }[] = [
    { reason: 'an unclosed group', pattern: '(a', want: 'error parsing regexp: missing closing ): `(a`' },
    { reason: 'backreferences do not exist in RE2', pattern: '(a)\\1', want: 'error parsing regexp: invalid escape sequence: `\\1`' },
    {
      reason: 'lookahead does not exist in RE2',
      pattern: 'a(?=b)',
      want: 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    },
  ];
  it.each(bad)('refuses $reason with Go’s message', (c) => {
    expect(() => compileRe2(c.pattern)).toThrow(Re2SyntaxError);
    expect(() => compileRe2(c.pattern)).toThrow(c.want);
  });

  it('matches catastrophic-backtracking patterns in linear time', () => {
    const m = compileRe2('^(a+)+$');
    const input = `${'a'.repeat(200_000)}!`;
    const started = performance.now();
    expect(m.test(input)).toBe(false);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
