import { describe, expect, it } from 'vitest';
import { GoError } from '../errors.ts';
import type { Transform } from './input.ts';
import { setSemantics } from './semantics.ts';
import { resolve } from './transforms.ts';

interface Case {
  reason: string;
  t: Transform;
  input: unknown;
  want?: unknown;
  err?: string;
  upstream?: boolean;
}

const cases: Record<string, Case> = {
  MapString: { reason: 'map looks the input up', t: { type: 'map', map: { a: 'x' } }, input: 'a', want: 'x' },
  MapMissing: {
    reason: 'map of a missing key is an error',
    t: { type: 'map', map: { a: 'x' } },
    input: 'ola',
    err: 'map transform could not resolve: key ola is not found in map',
  },
  MapNumber: {
    reason: 'map names the Go type of a non-string',
    t: { type: 'map', map: { a: 'x' } },
    input: 3,
    err: 'map transform could not resolve: type float64 is not supported for map transform',
  },
  MatchLiteral: {
    reason: 'the first matching pattern wins',
    t: {
      type: 'match',
      match: {
        patterns: [
          { type: 'literal', literal: 'a', result: 1 },
          { type: 'literal', literal: 'a', result: 2 },
        ],
      },
    },
    input: 'a',
    want: 1,
  },
  MatchNoTypeIntent: {
    reason: 'an omitted pattern type is literal (documented intent)',
    t: { type: 'match', match: { patterns: [{ literal: 'a', result: 1 }] } },
    input: 'a',
    want: 1,
  },
  MatchNoTypeUpstream: {
    reason: 'upstream fails an omitted pattern type at run time',
    t: { type: 'match', match: { patterns: [{ literal: 'a', result: 1 }] } },
    input: 'a',
    upstream: true,
    err: "match transform could not resolve: cannot match pattern at index 0: unsupported pattern type ''",
  },
  MatchRegexpNull: {
    reason: 'regexp on null names null',
    t: { type: 'match', match: { patterns: [{ type: 'regexp', regexp: '.*', result: 1 }] } },
    input: null,
    err: "match transform could not resolve: cannot match pattern at index 0: unsupported input type 'null'",
  },
  MatchFallbackNull: {
    reason: 'no match and no fallback gives null',
    t: { type: 'match', match: { patterns: [{ type: 'literal', literal: 'x', result: 1 }] } },
    input: 'y',
    want: null,
  },
  MathMultiplyFloat: { reason: 'float64 stays float64', t: { type: 'math', math: { type: 'Multiply', multiply: 2 } }, input: 1.5, want: 3 },
  MathMultiplyInt: { reason: 'int64 stays int64', t: { type: 'math', math: { type: 'Multiply', multiply: 2 } }, input: 5n, want: 10n },
  MathString: {
    reason: 'math on a string names the Go type',
    t: { type: 'math', math: { type: 'Multiply', multiply: 2 } },
    input: 'ola',
    err: 'math transform could not resolve: input is required to be a number for math transformer, got string',
  },
  ClampMaxIntent: {
    reason: 'ClampMax clamps 2.9 to 2 (documented intent)',
    t: { type: 'math', math: { type: 'ClampMax', clampMax: 2 } },
    input: 2.9,
    want: 2n,
  },
  ClampMaxUpstream: {
    reason: 'upstream compares int64(2.9) and lets 2.9 through',
    t: { type: 'math', math: { type: 'ClampMax', clampMax: 2 } },
    input: 2.9,
    want: 2.9,
    upstream: true,
  },
  FormatFloat: {
    reason: 'Format renders Go bad verbs for float64',
    t: { type: 'string', string: { type: 'Format', fmt: '%s|%d|%v' } },
    input: 5,
    want: '%!s(float64=5)|%!d(MISSING)|%!v(MISSING)',
  },
  JoinIntent: {
    reason: 'Join with a two-byte separator (documented intent)',
    t: { type: 'string', string: { type: 'Join', join: { separator: ', ' } } },
    input: ['a', 'b'],
    want: 'a, b',
  },
  JoinUpstream: {
    reason: 'upstream trims only one byte',
    t: { type: 'string', string: { type: 'Join', join: { separator: ', ' } } },
    input: ['a', 'b'],
    want: 'a, b,',
    upstream: true,
  },
  RegexpNoMatch: {
    reason: 'a regexp without a match names the group',
    t: { type: 'string', string: { type: 'Regexp', regexp: { match: 'my-([0-9]+)-string', group: 2 } } },
    input: 'my-1-string',
    err: 'string transform could not resolve: regexp "my-([0-9]+)-string" had no matches for group 2',
  },
  RegexpCatastrophic: {
    reason: 'a catastrophic pattern runs in linear time',
    t: { type: 'string', string: { type: 'Regexp', regexp: { match: '(a+)+b' } } },
    input: 'a'.repeat(100_000),
    err: 'string transform could not resolve: regexp "(a+)+b" had no matches for group 0',
  },
  FromBase64Bad: {
    reason: 'bad base64 names the byte',
    t: { type: 'string', string: { type: 'Convert', convert: 'FromBase64' } },
    input: 'not*base64',
    err: 'string transform could not resolve: string is not valid base64: illegal base64 data at input byte 3',
  },
  ToJson: {
    reason: 'ToJson sorts keys and escapes HTML',
    t: { type: 'string', string: { type: 'Convert', convert: 'ToJson' } },
    input: { b: '<', a: 1 },
    want: '{"a":1,"b":"\\u003c"}',
  },
  Adler: {
    reason: 'ToAdler32 is the decimal checksum',
    t: { type: 'string', string: { type: 'Convert', convert: 'ToAdler32' } },
    input: 'Wikipedia',
    want: '300286872',
  },
  ConvertQuantity: {
    reason: '1000m is 1',
    t: { type: 'convert', convert: { toType: 'float64', format: 'quantity' } },
    input: '1000m',
    want: 1,
  },
  ConvertIntString: { reason: 'float64 to int64 truncates', t: { type: 'convert', convert: { toType: 'int64' } }, input: 1.9, want: 1n },
  ConvertBad: {
    reason: 'string to int reports strconv',
    t: { type: 'convert', convert: { toType: 'int' } },
    input: 'abc',
    err: 'convert transform could not resolve: strconv.ParseInt: parsing "abc": invalid syntax',
  },
  ConvertObject: {
    reason: 'an object is not a convertible input',
    t: { type: 'convert', convert: { toType: 'string' } },
    input: { a: 1 },
    err: 'convert transform could not resolve: invalid input type map[string]interface {}',
  },
  Unknown: {
    reason: 'an unknown type is reported without wrapping',
    t: { type: 'reverse' },
    input: 'x',
    err: 'transform type reverse is not supported',
  },
  Unconfigured: {
    reason: 'a type without its configuration',
    t: { type: 'map' },
    input: 'x',
    err: 'given transform type map requires configuration',
  },
  HugeString: {
    reason: 'a 10 MiB string is formatted without trouble',
    t: { type: 'string', string: { type: 'Convert', convert: 'ToUpper' } },
    input: 'a'.repeat(10 * 1024 * 1024),
    want: 'A'.repeat(10 * 1024 * 1024),
  },
};

describe('transforms', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const run = () => setSemantics(c.upstream === true ? 'upstream' : 'intent', () => resolve(c.t, c.input));
      if (c.err !== undefined) {
        let err: unknown;
        try {
          run();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(GoError);
        expect((err as Error).message).toBe(c.err);
        return;
      }
      expect(run()).toEqual(c.want);
    });
  }
});
