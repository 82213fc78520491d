/**
 * Go durations (`90s`, `1m30s`, `1.5h`, `-250ms`), parsed as Go's `time.ParseDuration` does: an
 * optional sign, then one or more decimal numbers each with a unit (`ns`, `us`, `µs` (U+00B5),
 * `μs` (U+03BC), `ms`, `s`, `m`, `h`); `0` alone needs no unit. One parser for every place
 * Trellis reads one (annotations, environment variables, flags, CEL, OpenAPI `format: duration`,
 * function inputs); each caller converts the seconds to its own unit and decides what it refuses
 * (a zero poll interval, a negative timeout).
 */

/** GoDuration is a parsed duration, or Go's error message for the text. */
export type GoDuration = { ok: true; seconds: number } | { ok: false; reason: string };

/** MaxGoDurationLength bounds the text read: longer text is refused unread. */
export const MaxGoDurationLength = 256;

const unitSeconds: Record<string, number> = { ns: 1e-9, us: 1e-6, '\u00b5s': 1e-6, '\u03bcs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const number = /^([0-9]*)(\.[0-9]*)?/;
const unit = /^[^0-9.]*/;

/** GoDuration parses `text` as Go's time.ParseDuration, into seconds. */
export function goDuration(text: string): GoDuration {
  const invalid = (): GoDuration => ({ ok: false, reason: `time: invalid duration ${JSON.stringify(clip(text))}` });
  if (text.length > MaxGoDurationLength) return invalid();
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return { ok: true, seconds: 0 };
  if (rest === '') return invalid();
  let seconds = 0;
  while (rest !== '') {
    const n = number.exec(rest) as RegExpExecArray;
    const int = n[1] ?? '';
    const frac = n[2] ?? '';
    if (int === '' && frac.length <= 1) return invalid();
    rest = rest.slice(n[0].length);
    const u = (unit.exec(rest) as RegExpExecArray)[0];
    if (u === '') return { ok: false, reason: `time: missing unit in duration ${JSON.stringify(clip(text))}` };
    const factor = unitSeconds[u];
    if (factor === undefined)
      return { ok: false, reason: `time: unknown unit ${JSON.stringify(u)} in duration ${JSON.stringify(clip(text))}` };
    seconds += Number(`${int === '' ? '0' : int}${frac === '.' ? '' : frac}`) * factor;
    rest = rest.slice(u.length);
  }
  // Go's Duration is an int64 of nanoseconds: about 292 years.
  if (seconds > maxSeconds) return invalid();
  return { ok: true, seconds: sign * seconds };
}

const maxSeconds = 2 ** 63 / 1e9;

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
