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

/**
 * MaxNestingDepth is how deeply nested an object (counted in maps and lists from the root) the
 * schema and apply libraries accept. kube-apiserver's JSON decoder stops at 10,000 levels; the
 * libraries' recursive walks stay well inside Node's default stack up to this depth, and refuse
 * deeper values up front with a clear error instead of overflowing the stack.
 */
export const maxNestingDepth = 1024;

/** TooDeep reports whether `root` has values nested deeper than `max` levels (iteratively: any depth is safe). */
export function tooDeep(root: unknown, max = maxNestingDepth): boolean {
  if (root === null || typeof root !== 'object') return false;
  const values: object[] = [root];
  const depths: number[] = [1];
  for (let v = values.pop(); v !== undefined; v = values.pop()) {
    const depth = depths.pop() as number;
    if (depth > max) return true;
    if (Array.isArray(v)) {
      for (const x of v) {
        if (x !== null && typeof x === 'object') {
          values.push(x);
          depths.push(depth + 1);
        }
      }
      continue;
    }
    const r = v as Record<string, unknown>;
    for (const k in r) {
      const x = r[k];
      if (x !== null && typeof x === 'object') {
        values.push(x);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/**
 * TooDeepField names the top-level field of an object holding values nested deeper than `max`
 * levels (`spec`), '' when the object itself is the problem, undefined when nothing is too deep.
 */
export function tooDeepField(obj: unknown, max = maxNestingDepth): string | undefined {
  if (!tooDeep(obj, max)) return undefined;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return '';
  for (const [k, v] of Object.entries(obj)) if (tooDeep(v, max - 1)) return k;
  return '';
}
