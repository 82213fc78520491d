import { describe, expect, it } from 'vitest';
import { compareGoStrings, goFloat, goJSON, goNumber, goQuote, runeCount, utf8Length } from './gofmt.ts';

describe('goFloat and goNumber (Go %v of float64 / decoded JSON numbers)', () => {
  const cases: { reason: string; in: number; float: string; number: string }[] = [
    { reason: 'small integers print plainly', in: 1, float: '1', number: '1' },
    { reason: 'fractions print shortest', in: 1.5, float: '1.5', number: '1.5' },
    { reason: 'exponent from 1e21', in: 1e21, float: '1e+21', number: '1e+21' },
    { reason: '%v switches to an exponent at 1e6 for floats, not for int64', in: 1e6, float: '1e+06', number: '1000000' },
    { reason: 'a seven-digit integer as float', in: 1234567, float: '1.234567e+06', number: '1234567' },
    { reason: 'below 1e-4 uses an exponent with two digits', in: 0.00001, float: '1e-05', number: '1e-05' },
    { reason: '1e-4 itself does not', in: 0.0001, float: '0.0001', number: '0.0001' },
    { reason: 'negative', in: -2.5, float: '-2.5', number: '-2.5' },
    { reason: 'shortest round-trip digits', in: 0.1 + 0.2, float: '0.30000000000000004', number: '0.30000000000000004' },
    { reason: 'infinities', in: Number.POSITIVE_INFINITY, float: '+Inf', number: '+Inf' },
    { reason: 'NaN', in: Number.NaN, float: 'NaN', number: 'NaN' },
    { reason: 'largest float', in: Number.MAX_VALUE, float: '1.7976931348623157e+308', number: '1.7976931348623157e+308' },
    { reason: 'integers beyond int64 are floats', in: 1e19, float: '1e+19', number: '1e+19' },
  ];
  it.each(cases)('$reason', (c) => {
    expect(goFloat(c.in)).toBe(c.float);
    expect(goNumber(c.in)).toBe(c.number);
  });
});

describe('goQuote (strconv.Quote)', () => {
  const cases: { reason: string; in: string; want: string }[] = [
    { reason: 'plain ASCII', in: 'plain', want: '"plain"' },
    { reason: 'quotes and backslashes are escaped', in: 'a"b\\c', want: '"a\\"b\\\\c"' },
    { reason: 'control characters use Go escapes', in: '\n\t\x07', want: '"\\n\\t\\a"' },
    { reason: 'NUL is \\x00', in: '\x00', want: '"\\x00"' },
    { reason: 'DEL is \\x7f', in: '\x7f', want: '"\\x7f"' },
    { reason: 'printable Unicode stays', in: 'é😀', want: '"é😀"' },
    { reason: 'format characters are escaped', in: '\u200b', want: '"\\u200b"' },
    { reason: 'a lone surrogate became U+FFFD when Go decoded the JSON', in: '\ud800', want: '"\ufffd"' },
  ];
  it.each(cases)('$reason', (c) => expect(goQuote(c.in)).toBe(c.want));
});

describe('goJSON (encoding/json Marshal)', () => {
  const cases: { reason: string; in: unknown; want: string }[] = [
    { reason: 'map keys are sorted', in: { b: 1, a: 2 }, want: '{"a":2,"b":1}' },
    { reason: 'HTML characters are escaped', in: '<a&b>', want: '"\\u003ca\\u0026b\\u003e"' },
    { reason: 'line and paragraph separators are escaped', in: '\u2028\u2029', want: '"\\u2028\\u2029"' },
    { reason: 'control characters', in: '\x01\n', want: '"\\u0001\\n"' },
    { reason: 'lone surrogates become U+FFFD', in: 'a\udc00', want: '"a\\ufffd"' },
    { reason: 'surrogate pairs stay', in: '😀', want: '"😀"' },
    { reason: 'nested values', in: [null, true, 1.5, {}, []], want: '[null,true,1.5,{},[]]' },
    { reason: 'large numbers use an exponent', in: 1e21, want: '1e+21' },
    { reason: 'undefined is null', in: undefined, want: 'null' },
  ];
  it.each(cases)('$reason', (c) => expect(goJSON(c.in)).toBe(c.want));
});

describe('UTF-8 helpers', () => {
  const cases: { reason: string; a: string; b: string; want: number }[] = [
    { reason: 'upper case sorts before lower case', a: 'B', b: 'a', want: -1 },
    { reason: 'a prefix sorts first', a: 'a', b: 'ab', want: -1 },
    { reason: 'equal', a: 'x', b: 'x', want: 0 },
    { reason: 'UTF-8 byte order, not UTF-16 code units (U+FFFF < U+1F600)', a: '\uffff', b: '😀', want: -1 },
  ];
  it.each(cases)('compareGoStrings: $reason', (c) => {
    expect(compareGoStrings(c.a, c.b)).toBe(c.want);
    expect(compareGoStrings(c.b, c.a)).toBe(-c.want || 0);
  });
  it('counts bytes and runes as Go does', () => {
    expect(utf8Length('aé😀')).toBe(7);
    expect(runeCount('aé😀')).toBe(3);
  });
});
