import { describe, expect, it } from 'vitest';
import { goDuration, MaxGoDurationLength } from './duration.ts';

// Cases of Go's own time.ParseDuration tests (time/time_test.go), plus hostile input.
describe('goDuration', () => {
  const valid: { text: string; seconds: number; reason: string }[] = [
    { text: '0', seconds: 0, reason: 'a bare 0 needs no unit' },
    { text: '5s', seconds: 5, reason: 'seconds' },
    { text: '1478s', seconds: 1478, reason: 'many seconds' },
    { text: '-5s', seconds: -5, reason: 'a minus sign' },
    { text: '+5s', seconds: 5, reason: 'a plus sign' },
    { text: '-0', seconds: 0, reason: 'a signed 0' },
    { text: '5.6s', seconds: 5.6, reason: 'a fraction' },
    { text: '5.s', seconds: 5, reason: 'a dot without fraction digits' },
    { text: '.5s', seconds: 0.5, reason: 'a fraction without integer digits' },
    { text: '10ns', seconds: 10e-9, reason: 'nanoseconds' },
    { text: '11us', seconds: 11e-6, reason: 'microseconds, us' },
    { text: '12\u00b5s', seconds: 12e-6, reason: 'microseconds, micro sign U+00B5' },
    { text: '12\u03bcs', seconds: 12e-6, reason: 'microseconds, Greek mu U+03BC' },
    { text: '13ms', seconds: 0.013, reason: 'milliseconds' },
    { text: '15m', seconds: 900, reason: 'minutes' },
    { text: '16h', seconds: 57_600, reason: 'hours' },
    { text: '3h30m', seconds: 12_600, reason: 'hours and minutes' },
    { text: '10.5s4m', seconds: 250.5, reason: 'units in any order' },
    { text: '-2m3.4s', seconds: -123.4, reason: 'the sign applies to the whole' },
    { text: '1h2m3s4ms5us6ns', seconds: 3723.004005006, reason: 'every unit' },
    { text: '39h9m14.425s', seconds: 140_954.425, reason: 'a long mixed duration' },
    { text: '9223372036854775807ns', seconds: 2 ** 63 / 1e9, reason: 'the largest Go duration' },
  ];
  for (const c of valid) {
    it(`reads ${JSON.stringify(c.text)}: ${c.reason}`, () => {
      const d = goDuration(c.text);
      expect(d.ok).toBe(true);
      if (d.ok) expect(d.seconds).toBeCloseTo(c.seconds, 9);
    });
  }

  const invalid: { text: string; reason: string; error: string }[] = [
    { text: '', reason: 'empty', error: 'time: invalid duration ""' },
    { text: '3', reason: 'a number without unit', error: 'time: missing unit in duration "3"' },
    { text: '1h30', reason: 'a last number without unit', error: 'time: missing unit in duration "1h30"' },
    { text: '-', reason: 'a sign alone', error: 'time: invalid duration "-"' },
    { text: 's', reason: 'a unit alone', error: 'time: invalid duration "s"' },
    { text: '.', reason: 'a dot alone', error: 'time: invalid duration "."' },
    { text: '-.', reason: 'a signed dot', error: 'time: invalid duration "-."' },
    { text: '.s', reason: 'a dot and a unit', error: 'time: invalid duration ".s"' },
    { text: '+.s', reason: 'a signed dot and a unit', error: 'time: invalid duration "+.s"' },
    { text: '1d', reason: 'days are not a Go unit', error: 'time: unknown unit "d" in duration "1d"' },
    { text: '5 minutes', reason: 'words', error: 'time: unknown unit " minutes" in duration "5 minutes"' },
    { text: '1s ', reason: 'a trailing space joins the unit', error: 'time: unknown unit "s " in duration "1s "' },
    { text: '2562048h', reason: 'past the largest Go duration (2562047h47m16.854775807s)', error: 'time: invalid duration "2562048h"' },
    { text: '1\u00e9s', reason: 'a non-ASCII unit', error: 'time: unknown unit "\u00e9s" in duration "1\u00e9s"' },
  ];
  for (const c of invalid) {
    it(`refuses ${JSON.stringify(c.text)}: ${c.reason}`, () => expect(goDuration(c.text)).toEqual({ ok: false, reason: c.error }));
  }

  it('refuses oversized text without reading it, and clips it in the message', () => {
    const d = goDuration('1s'.repeat(MaxGoDurationLength));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason.length).toBeLessThan(120);
  });
});
