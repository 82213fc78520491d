/**
 * Normalisation for comparing function responses from upstream (over gRPC) and ours. Each rule
 * is justified:
 * - empty maps and lists are dropped: protobuf does not distinguish an empty map from an absent
 *   one on the wire;
 * - bytes are compared as base64 text;
 * - object keys are sorted: Go maps and protobuf maps have no order;
 * - `ready: READY_UNSPECIFIED` is dropped: it is the proto3 enum default, absent on the wire.
 */
export function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = normalize((v as Record<string, unknown>)[k]);
      if (x === undefined) continue;
      if (k === 'ready' && x === 'READY_UNSPECIFIED') continue;
      if (typeof x === 'object' && x !== null && !Array.isArray(x) && Object.keys(x).length === 0 && k !== 'resource') continue;
      if (Array.isArray(x) && x.length === 0) continue;
      out[k] = x;
    }
    return out;
  }
  return v;
}
