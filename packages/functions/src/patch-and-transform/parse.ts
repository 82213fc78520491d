/** Go's strconv.ParseInt (base 10, 64 bit), ParseBool and ParseFloat, with Go's error text. */
import { GoError } from '../errors.ts';

const syntax = (fn: string, s: string): GoError => new GoError(`strconv.${fn}: parsing ${JSON.stringify(s)}: invalid syntax`);
const range = (fn: string, s: string): GoError => new GoError(`strconv.${fn}: parsing ${JSON.stringify(s)}: value out of range`);

export function parseGoInt(s: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(s)) throw syntax('ParseInt', s);
  const v = BigInt(s);
  if (v > 2n ** 63n - 1n || v < -(2n ** 63n)) throw range('ParseInt', s);
  return v;
}

export function parseGoBool(s: string): boolean {
  switch (s) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      throw syntax('ParseBool', s);
  }
}

export function parseGoFloat(s: string): number {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) {
    if ((special[2] ?? '').toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  const dec = /^[+-]?(?:[0-9](?:_?[0-9])*)?(?:\.(?:[0-9](?:_?[0-9])*)?)?(?:[eE][+-]?[0-9]+)?$/;
  const hex = /^[+-]?0[xX](?:[0-9a-fA-F_]*)(?:\.[0-9a-fA-F_]*)?[pP][+-]?[0-9]+$/;
  if (hex.test(s)) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?[0-9]+)$/.exec(s);
    if (!m) throw syntax('ParseFloat', s);
    const intPart = (m[2] ?? '').replace(/_/g, '');
    const frac = (m[3] ?? '').replace(/_/g, '');
    if (intPart === '' && frac === '') throw syntax('ParseFloat', s);
    let v = Number.parseInt(intPart === '' ? '0' : intPart, 16);
    for (let i = 0; i < frac.length; i++) v += Number.parseInt(frac[i] ?? '0', 16) / 16 ** (i + 1);
    v *= 2 ** Number(m[4]);
    return m[1] === '-' ? -v : v;
  }
  // underscores are only allowed with a base prefix
  if (s.includes('_') || !dec.test(s) || !/[0-9]/.test(s)) throw syntax('ParseFloat', s);
  const v = Number(s);
  if (!Number.isFinite(v)) throw range('ParseFloat', s);
  return v;
}
