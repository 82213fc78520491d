import { createHash, type Hash } from 'node:crypto';
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
 */
export function requestTag(req: RunFunctionRequest): string {
  const h = createHash('sha256');
  const w = new Writer();
  encodeRequest(w, req);
  w.flushTo(h);
  return h.digest('hex');
}

// Wire types.
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;

/**
 * Writer builds a protobuf message as a list of chunks. Nested messages are written into a child
 * writer and then prefixed with their length, so nothing is copied more than once.
 */
class Writer {
  chunks: Uint8Array[] = [];
  length = 0;

  push(b: Uint8Array): void {
    this.chunks.push(b);
    this.length += b.length;
  }

  varint(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v < 0x80000000) {
      const out: number[] = [];
      let x = v;
      while (x >= 0x80) {
        out.push((x & 0x7f) | 0x80);
        x >>>= 7;
      }
      out.push(x);
      this.push(Uint8Array.from(out));
      return;
    }
    let n = BigInt(v);
    if (n < 0n) n = BigInt.asUintN(64, n);
    const out: number[] = [];
    while (n >= 0x80n) {
      out.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    out.push(Number(n));
    this.push(Uint8Array.from(out));
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytesField(field: number, b: Uint8Array): void {
    this.tag(field, LEN);
    this.varint(b.length);
    this.push(b);
  }

  stringField(field: number, s: string): void {
    this.bytesField(field, Buffer.from(s, 'utf8'));
  }

  messageField(field: number, fill: (w: Writer) => void): void {
    const child = new Writer();
    fill(child);
    this.tag(field, LEN);
    this.varint(child.length);
    for (const c of child.chunks) this.push(c);
  }

  doubleField(field: number, v: number): void {
    this.tag(field, FIXED64);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.push(b);
  }

  flushTo(h: Hash): void {
    for (const c of this.chunks) h.update(c);
  }
}

/** SortedKeys orders map keys as Go's deterministic marshal does: by their UTF-8 bytes. */
function sortedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

function mapField<T>(w: Writer, field: number, m: Record<string, T> | undefined, value: (w: Writer, v: T) => void): void {
  if (m === undefined) return;
  for (const k of sortedKeys(m)) {
    w.messageField(field, (e) => {
      e.stringField(1, k);
      value(e, m[k] as T);
    });
  }
}

function encodeRequest(w: Writer, req: RunFunctionRequest): void {
  // 1: meta is unset when the tag is computed.
  if (req.observed !== undefined) w.messageField(2, (m) => encodeState(m, req.observed as State));
  if (req.desired !== undefined) w.messageField(3, (m) => encodeState(m, req.desired as State));
  if (req.input !== undefined) w.messageField(4, (m) => encodeStruct(m, req.input as Record<string, unknown>));
  if (req.context !== undefined) w.messageField(5, (m) => encodeStruct(m, req.context as Record<string, unknown>));
  mapField(w, 6, req.extraResources, (e, v: Resources) => e.messageField(2, (m) => encodeResources(m, v)));
  mapField(w, 7, req.credentials, (e, v: Credentials) => e.messageField(2, (m) => encodeCredentials(m, v)));
  mapField(w, 8, req.requiredResources, (e, v: Resources) => e.messageField(2, (m) => encodeResources(m, v)));
  mapField(w, 9, req.requiredSchemas, (e, v: Schema) => e.messageField(2, (m) => encodeSchema(m, v)));
}

function encodeState(w: Writer, s: State): void {
  if (s.composite !== undefined) w.messageField(1, (m) => encodeResource(m, s.composite as Resource));
  mapField(w, 2, s.resources, (e, v: Resource) => e.messageField(2, (m) => encodeResource(m, v)));
}

const READY_NUMBER = { READY_UNSPECIFIED: 0, READY_TRUE: 1, READY_FALSE: 2 } as const;

function encodeResource(w: Writer, r: Resource): void {
  if (r.resource !== undefined) w.messageField(1, (m) => encodeStruct(m, r.resource));
  mapField(w, 2, r.connectionDetails, (e, v: Uint8Array) => e.bytesField(2, v));
  const ready = READY_NUMBER[r.ready ?? 'READY_UNSPECIFIED'];
  if (ready !== 0) {
    w.tag(3, VARINT);
    w.varint(ready);
  }
}

function encodeResources(w: Writer, r: Resources | undefined): void {
  for (const item of r?.items ?? []) w.messageField(1, (m) => encodeResource(m, item));
}

function encodeCredentials(w: Writer, c: Credentials): void {
  const data = c.credentialData;
  if (data === undefined) return;
  w.messageField(1, (cd) => mapField(cd, 1, data.data, (e, v: Uint8Array) => e.bytesField(2, v)));
}

function encodeSchema(w: Writer, s: Schema): void {
  if (s.openapiV3 !== undefined) w.messageField(1, (m) => encodeStruct(m, s.openapiV3 as Record<string, unknown>));
}

/** EncodeStruct writes a google.protobuf.Struct: `map<string, Value> fields = 1`. */
function encodeStruct(w: Writer, o: Record<string, unknown>): void {
  mapField(w, 1, o, (e, v: unknown) => e.messageField(2, (m) => encodeValue(m, v)));
}

/** EncodeValue writes a google.protobuf.Value; the oneof member is always written. */
function encodeValue(w: Writer, v: unknown): void {
  if (v === null) {
    w.tag(1, VARINT);
    w.varint(0);
  } else if (typeof v === 'number') {
    w.doubleField(2, v);
  } else if (typeof v === 'bigint') {
    w.doubleField(2, Number(v));
  } else if (typeof v === 'string') {
    w.stringField(3, v);
  } else if (typeof v === 'boolean') {
    w.tag(4, VARINT);
    w.varint(v ? 1 : 0);
  } else if (Array.isArray(v)) {
    w.messageField(6, (l) => {
      for (const item of v) l.messageField(1, (m) => encodeValue(m, item));
    });
  } else if (v instanceof Uint8Array) {
    w.stringField(3, Buffer.from(v).toString('base64'));
  } else if (typeof v === 'object') {
    w.messageField(5, (m) => encodeStruct(m, v as Record<string, unknown>));
  } else {
    w.stringField(3, String(v));
  }
}
