import { createHash } from 'node:crypto';
import { definedKeysInOrder } from '@trellis/sdk';
/**
 * Pure helpers that compare a desired (partial) object with what the API server holds, so that a
 * controller can skip every write that would change nothing. Server-side apply of an unchanged
 * configuration is accepted by the API server without persisting anything, but it is still a
 * request (audit log, `apiserver_request_total`, admission); Trellis does not send it.
 */

/** A JSON value as it appears in a Kubernetes object. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A FieldPath is a list of map keys; lists are leaves (see {@link leafPaths}). */
export type FieldPath = readonly string[];

/** PathKey turns a path into a string usable as a Set or Map key. */
export function pathKey(path: FieldPath): string {
  return JSON.stringify(path);
}

/** IsPlainObject reports whether a value is a JSON object (not an array, not null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * StripNulls returns a copy of `v` without map entries whose value is null (recursively; nulls
 * inside arrays are kept because they hold positions). The API server drops such entries from an
 * apply configuration, so they would never compare equal to what is stored.
 */
export function stripNulls<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => stripNulls(x)) as T;
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || x === undefined) continue;
    out[k] = stripNulls(x);
  }
  return out as T;
}

/**
 * LeafPaths lists the paths of every leaf of a JSON object: scalars, arrays and empty objects are
 * leaves; non-empty objects are descended into. This is the shape managedFields records for maps,
 * with every list collapsed into one leaf (a list's own keys need its schema, which a schemaless
 * comparison does not have).
 */
export function leafPaths(obj: unknown, prefix: FieldPath = []): FieldPath[] {
  if (!isPlainObject(obj)) return [prefix];
  const keys = Object.keys(obj);
  if (keys.length === 0) return [prefix];
  const out: FieldPath[] = [];
  for (const k of keys) out.push(...leafPaths(obj[k], [...prefix, k]));
  return out;
}

/**
 * ManagedLeafPaths reads one field manager's `fieldsV1` set (from `metadata.managedFields`) and
 * returns its leaves in the shape of {@link leafPaths}: `f:` entries are map keys, and an entry
 * whose children are list members (`k:`, `v:`, `i:`) is a single leaf.
 */
export function managedLeafPaths(fieldsV1: unknown, prefix: FieldPath = []): FieldPath[] {
  if (!isPlainObject(fieldsV1)) return [prefix];
  const keys = Object.keys(fieldsV1).filter((k) => k !== '.');
  if (keys.length === 0) return [prefix];
  if (keys.some((k) => k.startsWith('k:') || k.startsWith('v:') || k.startsWith('i:'))) return [prefix];
  const out: FieldPath[] = [];
  for (const k of keys) {
    if (!k.startsWith('f:')) continue;
    out.push(...managedLeafPaths(fieldsV1[k], [...prefix, k.slice(2)]));
  }
  return out;
}

/** A ManagedFieldsEntry is one element of `metadata.managedFields`. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

/**
 * AppliedEntry returns the managedFields entry that server-side apply recorded for `manager` on the
 * main resource (no `subresource`) or on the given subresource.
 */
export function appliedEntry(managedFields: unknown, manager: string, subresource?: string): ManagedFieldsEntry | undefined {
  if (!Array.isArray(managedFields)) return undefined;
  for (const e of managedFields as ManagedFieldsEntry[]) {
    if (!isPlainObject(e)) continue;
    if (e.manager !== manager || e.operation !== 'Apply') continue;
    if ((e.subresource ?? '') !== (subresource ?? '')) continue;
    return e;
  }
  return undefined;
}

/**
 * IsSubset reports whether every leaf of `desired` has the same value in `observed`. Objects are
 * compared key by key (observed may hold more keys: defaults, other managers); arrays must have the
 * same length and each element must be a subset of the observed element (servers default fields
 * inside list items, e.g. a container's `imagePullPolicy`). Numbers compare by value. A
 * `conditions` list is matched by condition type (a list-map other managers share); a
 * `finalizers` list is a set (each desired finalizer must be present).
 */
export function isSubset(desired: unknown, observed: unknown, key?: string): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(observed)) return false;
    if (key === 'conditions' && desired.every((d) => isPlainObject(d) && typeof d.type === 'string')) {
      // Conditions are a list-map keyed by type: other field managers may own other entries.
      return desired.every((d) =>
        isSubset(
          d,
          observed.find((o) => isPlainObject(o) && o.type === (d as { type: string }).type),
        ),
      );
    }
    if (key === 'finalizers') {
      // Finalizers are a set other writers share: each desired one must be there.
      return desired.every((d) => observed.includes(d));
    }
    if (observed.length !== desired.length) return false;
    return desired.every((d, i) => isSubset(d, observed[i]));
  }
  if (isPlainObject(desired)) {
    if (!isPlainObject(observed)) return false;
    for (const [k, v] of Object.entries(desired)) {
      if (v === null || v === undefined) {
        if (observed[k] !== undefined && observed[k] !== null) return false;
        continue;
      }
      if (!(k in observed)) return false;
      if (!isSubset(v, observed[k], k)) return false;
    }
    return true;
  }
  return desired === observed;
}

/**
 * DeepEqual compares two JSON values structurally; key order does not matter.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/**
 * CanonicalJson serialises a JSON value with map keys sorted (UTF-16 code unit order, as
 * `Array.prototype.sort`), so equal values hash equally. Its output is persisted (the applied-hash
 * annotation), so it must never change. It runs on every desired object of every reconcile: it
 * appends to one string instead of building an array per object, and sorts only keys that are
 * not already in order.
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      const x: unknown = v[i];
      // A hole of a sparse array stays empty, as Array.prototype.join wrote it.
      s += x === undefined ? (i in v ? 'null' : '') : canonicalJson(x);
    }
    return `${s}]`;
  }
  if (isPlainObject(v)) {
    const keys = definedKeysInOrder(v);
    let s = '{';
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      if (i > 0) s += ',';
      s += `${JSON.stringify(k)}:${canonicalJson(v[k])}`;
    }
    return `${s}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * CanonicalJsonSha256 returns the hex sha256 of the UTF-8 bytes of {@link canonicalJson}, written
 * into one reused buffer instead of a string (the applied hash of every desired object on every
 * reconcile). Strings that JSON.stringify would not escape are copied as they are.
 */
export function canonicalJsonSha256(v: unknown): string {
  const w = jsonWriter.busy ? new JsonWriter() : jsonWriter;
  w.busy = true;
  w.pos = 0;
  try {
    w.value(v);
    return createHash('sha256').update(w.buf.subarray(0, w.pos)).digest('hex');
  } finally {
    w.busy = false;
    if (w.buf.length > 4 << 20) w.buf = Buffer.allocUnsafe(64 << 10);
  }
}

/** NeedsEscape reports a character JSON.stringify may escape: quote, backslash, a control, a surrogate. */
function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return true;
  }
  return false;
}

class JsonWriter {
  buf = Buffer.allocUnsafe(64 << 10);
  pos = 0;
  busy = false;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }

  private raw(s: string): void {
    this.ensure(3 * s.length);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private string(s: string): void {
    if (needsEscape(s)) {
      this.raw(JSON.stringify(s));
      return;
    }
    this.ensure(3 * s.length + 2);
    this.buf[this.pos++] = 0x22;
    this.pos += this.buf.write(s, this.pos, 'utf8');
    this.buf[this.pos++] = 0x22;
  }

  value(v: unknown): void {
    if (typeof v === 'string') this.string(v);
    else if (Array.isArray(v)) {
      this.byte(0x5b);
      for (let i = 0; i < v.length; i++) {
        if (i > 0) this.byte(0x2c);
        const x: unknown = v[i];
        if (x !== undefined) this.value(x);
        else if (i in v) this.raw('null'); // a hole stays empty, as canonicalJson writes it
      }
      this.byte(0x5d);
    } else if (isPlainObject(v)) {
      const keys = definedKeysInOrder(v);
      this.byte(0x7b);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        if (i > 0) this.byte(0x2c);
        this.string(k);
        this.byte(0x3a);
        this.value(v[k]);
      }
      this.byte(0x7d);
    } else this.raw(JSON.stringify(v) ?? 'null');
  }
}

const jsonWriter = new JsonWriter();

/** Paths the API server never records in managedFields (they identify the object). */
const IDENTITY_PATHS = new Set(
  [['apiVersion'], ['kind'], ['metadata', 'name'], ['metadata', 'namespace'], ['metadata', 'generateName']].map((p) => pathKey(p)),
);

/**
 * MissingOwnedPaths returns the leaves `manager` owns (per managedFields) that `desired` no longer
 * sets: applying `desired` would remove them, so the apply is not a no-op. Leaves are compared
 * with lists collapsed, which is exact for maps; a removal inside a list is caught by the caller's
 * hash of the applied configuration.
 */
export function missingOwnedPaths(desired: unknown, fieldsV1: unknown): FieldPath[] {
  const want = new Set(leafPaths(desired).map((p) => pathKey(p)));
  return managedLeafPaths(fieldsV1).filter((p) => {
    if (IDENTITY_PATHS.has(pathKey(p))) return false;
    if (want.has(pathKey(p))) return false;
    // An owned map we still set with children (e.g. owned `f:labels: {}` leaf vs desired labels.a).
    return !hasPrefix(want, p);
  });
}

function hasPrefix(set: Set<string>, p: FieldPath): boolean {
  const prefix = pathKey(p).slice(0, -1);
  for (const k of set) if (k.startsWith(`${prefix},`)) return true;
  return false;
}
