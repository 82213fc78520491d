import { createHash } from 'node:crypto';
import type { Credentials, Resource, Resources, RunFunctionRequest, Schema, State } from '@trellis/functions';

/**
 * RequestTag returns the tag upstream Crossplane sets in `meta.tag` of a RunFunctionRequest: the
 * hex sha256 of the request's deterministic protobuf encoding (Go `proto.MarshalOptions{
 * Deterministic: true}`: fields in number order, map entries sorted by key bytes, proto3 zero
 * scalars omitted, explicitly present fields kept), computed with `meta` unset. Functions may use
 * it to cache responses.
 *
 * Presence follows the TS protocol types: an `undefined` message field is absent, an empty object
 * is present (as Go's non-nil empty message). JSON values are protobuf Struct values: numbers are
 * doubles.
 *
 * The encoding is written in one pass into a reused buffer: a length-delimited field reserves one
 * byte for its length and, when the body turns out to need a longer varint, moves the body up
 * (a native memmove; only bodies of 128 bytes or more move). Short ASCII strings are copied by
 * hand, keys are sorted without a comparator when UTF-16 order is code point order.
 */
export function requestTag(req: RunFunctionRequest): string {
  const w = shared.busy ? new Writer(INITIAL_SIZE) : shared;
  w.busy = true;
  w.pos = 0;
  try {
    writeRequest(w, req);
    return createHash('sha256').update(w.buf.subarray(0, w.pos)).digest('hex');
  } finally {
    w.busy = false;
    if (w.buf.length > RETAINED_SIZE) w.buf = Buffer.allocUnsafe(INITIAL_SIZE);
  }
}

const INITIAL_SIZE = 64 << 10;
/** A buffer grown past this for one huge request is not kept for the next. */
const RETAINED_SIZE = 4 << 20;

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;

const READY_NUMBER = { READY_UNSPECIFIED: 0, READY_TRUE: 1, READY_FALSE: 2 } as const;

function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 5;
  let x = Math.floor(v / 0x800000000);
  while (x > 0) {
    n++;
    x = Math.floor(x / 0x80);
  }
  return n;
}

/**
 * CompareCodePoints orders strings by Unicode code point, which is the order of their UTF-8
 * bytes (Go's string order), without encoding them: UTF-16 code units compare the same except
 * that surrogates must sort after U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x < 0xe000 ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y < 0xe000 ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * SortedKeys returns the keys of `o` whose values are not undefined, in Go's string order (UTF-8
 * bytes). Keys already in order (most Kubernetes objects) are not sorted again.
 */
function sortedKeys(o: Record<string, unknown>): string[] {
  let keys = Object.keys(o);
  let high = false;
  let sorted = true;
  let prev = '';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (o[k] === undefined) {
      keys = keys.filter((x) => o[x] !== undefined);
      return sortKeys(keys);
    }
    if (!high && hasHighUnit(k)) high = true;
    if (i > 0 && !(prev < k)) sorted = false;
    prev = k;
  }
  if (sorted && !high) return keys;
  return high ? keys.sort(compareCodePoints) : keys.sort();
}

function sortKeys(keys: string[]): string[] {
  for (const k of keys) if (hasHighUnit(k)) return keys.sort(compareCodePoints);
  return keys.sort();
}

/** HasHighUnit reports a UTF-16 unit at or above U+D800, where UTF-16 order and code point order part. */
function hasHighUnit(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0xd800) return true;
  return false;
}

/** Writer is a growable byte buffer with one-pass length-delimited fields. */
class Writer {
  buf: Buffer;
  pos = 0;
  busy = false;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(10);
    let x = v;
    while (x >= 0x80) {
      this.buf[this.pos++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.buf[this.pos++] = x;
  }

  tag(field: number, wire: number): void {
    this.ensure(1);
    this.buf[this.pos++] = (field << 3) | wire;
  }

  /** Begin starts a length-delimited field and returns where its body starts (for {@link end}). */
  begin(field: number): number {
    this.ensure(2);
    this.buf[this.pos] = (field << 3) | LEN;
    this.pos += 2;
    return this.pos;
  }

  /** End writes the length of the field begun at `start`, moving the body up if it needs more than one byte. */
  end(start: number): void {
    const len = this.pos - start;
    if (len < 0x80) {
      this.buf[start - 1] = len;
      return;
    }
    const extra = varintSize(len) - 1;
    this.ensure(extra);
    const buf = this.buf;
    buf.copyWithin(start + extra, start, this.pos);
    let p = start - 1;
    let x = len;
    while (x >= 0x80) {
      buf[p++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    buf[p] = x;
    this.pos += extra;
  }

  /** Str writes a string field: short ASCII strings byte by byte, others through Buffer#write. */
  str(field: number, s: string): void {
    const start = this.begin(field);
    const n = s.length;
    this.ensure(n * 3);
    const buf = this.buf;
    let p = this.pos;
    let i = 0;
    if (n <= 64) {
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
    }
    if (i === n) this.pos = p;
    else this.pos += buf.write(s, this.pos, 'utf8');
    this.end(start);
  }

  bytes(field: number, b: Uint8Array): void {
    const start = this.begin(field);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    this.end(start);
  }

  double(field: number, v: number): void {
    this.ensure(9);
    this.buf[this.pos++] = (field << 3) | FIXED64;
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
}

const shared = new Writer(INITIAL_SIZE);

// ----- messages ------------------------------------------------------------------------------
// Every message is written in field number order; map entries are messages of key (field 1) and
// value (field 2), sorted by key.

function writeRequest(w: Writer, req: RunFunctionRequest): void {
  // 1: meta is unset when the tag is computed.
  if (req.observed !== undefined) writeStateField(w, 2, req.observed);
  if (req.desired !== undefined) writeStateField(w, 3, req.desired);
  if (req.input !== undefined) writeStructField(w, 4, req.input);
  if (req.context !== undefined) writeStructField(w, 5, req.context);
  if (req.extraResources !== undefined) writeResourcesMap(w, 6, req.extraResources);
  if (req.credentials !== undefined) {
    const m = req.credentials;
    for (const k of sortedKeys(m)) {
      const entry = w.begin(7);
      w.str(1, k);
      const start = w.begin(2);
      writeCredentials(w, m[k] as Credentials);
      w.end(start);
      w.end(entry);
    }
  }
  if (req.requiredResources !== undefined) writeResourcesMap(w, 8, req.requiredResources);
  if (req.requiredSchemas !== undefined) {
    const m = req.requiredSchemas;
    for (const k of sortedKeys(m)) {
      const entry = w.begin(9);
      w.str(1, k);
      const start = w.begin(2);
      const s = m[k] as Schema;
      if (s.openapiV3 !== undefined) writeStructField(w, 1, s.openapiV3);
      w.end(start);
      w.end(entry);
    }
  }
}

function writeStateField(w: Writer, field: number, s: State): void {
  const start = w.begin(field);
  if (s.composite !== undefined) writeResourceField(w, 1, s.composite);
  if (s.resources !== undefined) {
    const m = s.resources;
    for (const k of sortedKeys(m)) {
      const entry = w.begin(2);
      w.str(1, k);
      writeResourceField(w, 2, m[k] as Resource);
      w.end(entry);
    }
  }
  w.end(start);
}

function writeResourceField(w: Writer, field: number, r: Resource): void {
  const start = w.begin(field);
  if (r.resource !== undefined) writeStructField(w, 1, r.resource);
  if (r.connectionDetails !== undefined) writeBytesMap(w, 2, r.connectionDetails);
  const ready = READY_NUMBER[r.ready ?? 'READY_UNSPECIFIED'];
  if (ready !== 0) {
    w.tag(3, VARINT);
    w.varint(ready);
  }
  w.end(start);
}

function writeResourcesMap(w: Writer, field: number, m: Record<string, Resources>): void {
  for (const k of sortedKeys(m)) {
    const entry = w.begin(field);
    w.str(1, k);
    const start = w.begin(2);
    for (const item of (m[k] as Resources).items ?? []) writeResourceField(w, 1, item);
    w.end(start);
    w.end(entry);
  }
}

function writeBytesMap(w: Writer, field: number, m: Record<string, Uint8Array>): void {
  for (const k of sortedKeys(m)) {
    const entry = w.begin(field);
    w.str(1, k);
    w.bytes(2, m[k] as Uint8Array);
    w.end(entry);
  }
}

function writeCredentials(w: Writer, c: Credentials): void {
  const data = c.credentialData;
  if (data === undefined) return;
  const start = w.begin(1);
  if (data.data !== undefined) writeBytesMap(w, 1, data.data);
  w.end(start);
}

/** WriteStructField writes a google.protobuf.Struct (`map<string, Value> fields = 1`) as field `field`. */
function writeStructField(w: Writer, field: number, o: Record<string, unknown>): void {
  const start = w.begin(field);
  writeStructBody(w, o);
  w.end(start);
}

function writeStructBody(w: Writer, o: Record<string, unknown>): void {
  const keys = sortedKeys(o);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const entry = w.begin(1);
    w.str(1, k);
    writeValueField(w, 2, o[k]);
    w.end(entry);
  }
}

/** WriteValueField writes a google.protobuf.Value as field `field`; the oneof member is always written. */
function writeValueField(w: Writer, field: number, v: unknown): void {
  const start = w.begin(field);
  if (v === null) {
    w.tag(1, VARINT);
    w.varint(0);
  } else if (typeof v === 'string') {
    w.str(3, v);
  } else if (typeof v === 'number') {
    w.double(2, v);
  } else if (typeof v === 'boolean') {
    w.tag(4, VARINT);
    w.varint(v ? 1 : 0);
  } else if (typeof v === 'bigint') {
    w.double(2, Number(v));
  } else if (Array.isArray(v)) {
    const list = w.begin(6);
    for (let i = 0; i < v.length; i++) writeValueField(w, 1, v[i]);
    w.end(list);
  } else if (v instanceof Uint8Array) {
    w.str(3, Buffer.from(v).toString('base64'));
  } else if (typeof v === 'object') {
    const st = w.begin(5);
    writeStructBody(w, v as Record<string, unknown>);
    w.end(st);
  } else {
    w.str(3, String(v));
  }
  w.end(start);
}
