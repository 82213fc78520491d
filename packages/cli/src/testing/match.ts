/**
 * Subset matching for `trellis test` assertions: what the test writes must be in what the render
 * produced; anything else the render produced is ignored. Objects match key by key, lists element
 * by element (same length), scalars by strict equality (YAML `"1"` is not `1`). `null` in the
 * expectation means "absent or null", so a test can say a field must not be set.
 */

/** A Mismatch is one difference, with the field path where it is. */
export interface Mismatch {
  path: string;
  want: unknown;
  got: unknown;
  message: string;
}

/** Child appends a key to a field path: `spec.x`, `metadata.annotations["a.b/c"]`, `items[2]`. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** Show prints a value short and on one line for messages. */
export function show(v: unknown): string {
  if (v === undefined) return '<absent>';
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'object' : typeof v;
}

const MaxDepth = 512;

/** SubsetMismatches lists every place where `got` does not contain `want`. */
export function subsetMismatches(want: unknown, got: unknown, path = '', depth = 0): Mismatch[] {
  if (depth > MaxDepth) return [{ path, want, got, message: `${path}: expectation nested too deeply` }];
  if (want === null) {
    return got === null || got === undefined ? [] : [{ path, want, got, message: `${path}: want absent, got ${show(got)}` }];
  }
  if (got === undefined) return [{ path, want, got, message: `${path}: want ${show(want)}, got <absent>` }];
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return [{ path, want, got, message: `${path}: want a list, got ${typeName(got)} ${show(got)}` }];
    if (want.length !== got.length) {
      return [{ path, want, got, message: `${path}: want ${want.length} items, got ${got.length}: ${show(got)}` }];
    }
    return want.flatMap((w, i) => subsetMismatches(w, got[i], childPath(path, i), depth + 1));
  }
  if (typeof want === 'object') {
    if (typeof got !== 'object' || got === null || Array.isArray(got)) {
      return [{ path, want, got, message: `${path}: want an object, got ${typeName(got)} ${show(got)}` }];
    }
    const g = got as Record<string, unknown>;
    return Object.entries(want as Record<string, unknown>).flatMap(([k, w]) => subsetMismatches(w, g[k], childPath(path, k), depth + 1));
  }
  return Object.is(want, got) ? [] : [{ path, want, got, message: `${path}: want ${show(want)}, got ${show(got)}` }];
}
