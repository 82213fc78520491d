/**
 * DeepClone is `structuredClone` for the JSON-like values functions pass around (plain objects,
 * arrays, strings, numbers, booleans, null, undefined, bigint), several times faster on them
 * because it skips the serialiser. Anything else (Uint8Array, class instances, Dates, Maps,
 * functions) is handed to `structuredClone`, so the result, and any DataCloneError, is exactly
 * what `structuredClone` gives. A `__proto__` key stays an own data property, as it does there.
 */
export function deepClone<T>(v: T): T {
  return cloneValue(v) as T;
}

function cloneValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) {
    // Primitives are values; a function or symbol makes structuredClone throw its DataCloneError.
    return typeof v === 'function' || typeof v === 'symbol' ? structuredClone(v) : v;
  }
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return structuredClone(v);
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneValue(v[i]);
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src)) {
    if (k === '__proto__')
      Object.defineProperty(out, k, { value: cloneValue(src[k]), enumerable: true, writable: true, configurable: true });
    else out[k] = cloneValue(src[k]);
  }
  return out;
}
