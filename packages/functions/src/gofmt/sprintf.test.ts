import { describe, expect, it } from 'vitest';
import { goJsonMarshal } from './json.ts';
import { sprintf } from './sprintf.ts';
import { formatFloat } from './strconv.ts';
import { GoInt } from './values.ts';

// Expected values were produced by Go 1.26 (the oracle test in test/functions/gofmt.test.ts
// checks these and thousands more against Go itself).
const cases: Record<string, { reason: string; format: string; args: unknown[]; want: string }> = {
  String: { reason: '%s of a string', format: '%s-postgresql', args: ['shop'], want: 'shop-postgresql' },
  FloatBadVerb: { reason: '%s of a float64 is a bad verb', format: '%s', args: [5], want: '%!s(float64=5)' },
  FloatV: { reason: '%v of a large float64 uses %g', format: '%v', args: [1000000], want: '1e+06' },
  Int64BadVerb: { reason: '%f of an int64', format: '%.0fGi', args: [20n], want: '%!f(int64=20)Gi' },
  Index: { reason: 'explicit argument indexes', format: 'flux2-%[1]s/flux2-%[1]s.tgz', args: ['1.0'], want: 'flux2-1.0/flux2-1.0.tgz' },
  Precision: { reason: 'string precision', format: '%suser-%.8s', args: ['a', 'abcdefghij'], want: 'auser-abcdefgh' },
  ZeroPadString: { reason: 'zero padding a string', format: '%02s', args: ['5'], want: '05' },
  Missing: { reason: 'missing operands', format: '%s-%s', args: ['a'], want: 'a-%!s(MISSING)' },
  Extra: { reason: 'extra operands', format: 'x', args: ['a', 1, null], want: 'x%!(EXTRA string=a, float64=1, <nil>)' },
  NoVerb: { reason: 'a trailing percent', format: '100%', args: [], want: '100%!(NOVERB)' },
  Nil: { reason: 'nil operands', format: '%s|%v|%d', args: [null, null, null], want: '%!s(<nil>)|<nil>|%!d(<nil>)' },
  Map: {
    reason: 'maps print sorted, elements with the verb',
    format: '%v %s',
    args: [{ b: 1, a: 'x' }, { k: 2 }],
    want: 'map[a:x b:1] map[k:%!s(float64=2)]',
  },
  Width: { reason: 'width applies inside a bad verb', format: '%5s', args: [5], want: '%!s(float64=    5)' },
  GoInt: {
    reason: 'int operands name their kind',
    format: '%s %d %x',
    args: [new GoInt('int', 3n), new GoInt('int', 3n), 255n],
    want: '%!s(int=3) 3 ff',
  },
  RoundHalfEven: {
    reason: '%.0f rounds half to even like Go',
    format: '%.0f %.0f %.0f %.1f',
    args: [0.5, 1.5, 2.5, 0.25],
    want: '0 2 2 0.2',
  },
};

describe('sprintf', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => expect(sprintf(c.format, ...c.args)).toBe(c.want));
  }
});

describe('formatFloat and JSON', () => {
  it('formats like strconv', () => {
    expect(formatFloat(1e21, 'f', -1)).toBe('1000000000000000000000');
    expect(formatFloat(123456789, 'e', 3)).toBe('1.235e+08');
    expect(formatFloat(0.000012345, 'g', -1)).toBe('1.2345e-05');
  });
  it('marshals like encoding/json', () => {
    expect(goJsonMarshal({ b: [1.5, 1e21, 1e-7], a: '<&>', c: null })).toBe('{"a":"\\u003c\\u0026\\u003e","b":[1.5,1e+21,1e-7],"c":null}');
  });
});
