/**
 * Kubernetes resource.Quantity parsing, enough for `convert` with `format: quantity`
 * (`ParseQuantity(s).AsApproximateFloat64()`), with the apimachinery error messages.
 */
import { GoError } from '../errors.ts';

const SUFFIX_BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const SUFFIX_DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

export const ErrFormatWrong = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

export function parseQuantity(str: string): number {
  if (str.length === 0) throw new GoError('quantities must match the regular expression');
  const m = /^([+-]?)([0-9]*\.?[0-9]*)(.*)$/.exec(str);
  const sign = m?.[1] ?? '';
  const num = m?.[2] ?? '';
  const suffix = m?.[3] ?? '';
  if (num === '' || num === '.' || !/^[0-9]*\.?[0-9]*$/.test(num)) throw new GoError(ErrFormatWrong);
  let exp10 = 0;
  let exp2 = 0;
  if (Object.hasOwn(SUFFIX_BINARY, suffix)) {
    exp2 = SUFFIX_BINARY[suffix] ?? 0;
  } else if (Object.hasOwn(SUFFIX_DECIMAL, suffix)) {
    exp10 = SUFFIX_DECIMAL[suffix] ?? 0;
  } else {
    const e = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
    if (!e) throw new GoError("unable to parse quantity's suffix");
    exp10 = Number(e[1]);
  }
  let v = Number(num) * 10 ** exp10 * 2 ** exp2;
  if (sign === '-') v = -v;
  return v;
}
