// Fast helpers for decoded JSON values (plain objects, arrays, strings, numbers, booleans, null).

/** DeepCopyJSON copies a decoded JSON value (much faster than structuredClone on Node 20). */
export function deepCopyJSON<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = deepCopyJSON(v[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const k in v) {
    if (Object.hasOwn(v, k)) out[k] = deepCopyJSON((v as Record<string, unknown>)[k]);
  }
  return out as T;
}

/** DeepEqualJSON compares decoded JSON values (key order does not matter). */
export function deepEqualJSON(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqualJSON(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let n = 0;
  for (const k in ra) {
    if (!Object.hasOwn(ra, k)) continue;
    n++;
    if (!Object.hasOwn(rb, k) || !deepEqualJSON(ra[k], rb[k])) return false;
  }
  let m = 0;
  for (const k in rb) if (Object.hasOwn(rb, k)) m++;
  return n === m;
}
