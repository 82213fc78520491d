/** Go's time.ParseDuration, returning seconds. */
import { GoError } from '../errors.ts';

const UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, μs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

export function parseGoDuration(s: string): number {
  const orig = s;
  let rest = s;
  let neg = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new GoError(`time: invalid duration ${JSON.stringify(orig)}`);
  let total = 0;
  while (rest !== '') {
    const m = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') {
      if (/^[0-9.]+$/.test(rest)) throw new GoError(`time: missing unit in duration ${JSON.stringify(orig)}`);
      throw new GoError(`time: invalid duration ${JSON.stringify(orig)}`);
    }
    total += Number(m[1]) * (UNITS[m[2] ?? 's'] ?? 1);
    rest = rest.slice(m[0].length);
  }
  return neg ? -total : total;
}
