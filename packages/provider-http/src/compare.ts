/**
 * Comparison of desired (from the spec) and observed (from the API) values, used to measure
 * drift only on mapped fields: server-computed fields and keys the spec does not mention never
 * count as drift.
 */
export const CompareMode = {
  /** Subset: every key the desired value has must match; arrays element-wise and of equal length. */
  Subset: 'subset',
  /** Set: arrays as multisets (order ignored), elements compared as subsets. */
  Set: 'set',
  /** Time: both are timestamps; compared as instants (`...00Z` equals `...00.000Z`). */
  Time: 'time',
  /** Fqdn: DNS names compared case-insensitively, with or without the trailing dot. */
  Fqdn: 'fqdn',
} as const;
export type CompareMode = (typeof CompareMode)[keyof typeof CompareMode];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Contains reports whether `observed` contains `desired` (subset semantics, recursively). */
export function contains(desired: unknown, observed: unknown, setArrays = false): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(observed) || observed.length !== desired.length) return false;
    if (!setArrays) return desired.every((d, i) => contains(d, observed[i], setArrays));
    const used = new Set<number>();
    return desired.every((d) => {
      const i = observed.findIndex((o, j) => !used.has(j) && contains(d, o, setArrays));
      if (i < 0) return false;
      used.add(i);
      return true;
    });
  }
  if (isObject(desired)) {
    if (!isObject(observed)) return false;
    return Object.entries(desired).every(([k, v]) => v === undefined || contains(v, observed[k], setArrays));
  }
  if (typeof desired === 'number' && typeof observed === 'string') return String(desired) === observed;
  return desired === observed;
}

/** Matches compares a desired and an observed value under a mode. */
export function matches(mode: CompareMode, desired: unknown, observed: unknown): boolean {
  switch (mode) {
    case CompareMode.Time: {
      const a = typeof desired === 'string' ? Date.parse(desired) : Number.NaN;
      const b = typeof observed === 'string' ? Date.parse(observed) : Number.NaN;
      return !Number.isNaN(a) && a === b;
    }
    case CompareMode.Fqdn: {
      const norm = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase().replace(/\.$/, '') : String(v));
      return norm(desired) === norm(observed);
    }
    case CompareMode.Set:
      return contains(desired, observed, true);
    default:
      return contains(desired, observed, false);
  }
}
