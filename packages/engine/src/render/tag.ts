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
 * The encoding is written in two passes into one buffer: sizes of JSON objects and lists are
 * computed once and cached by identity, so encoding is linear in the request size.
 */
export function requestTag(req: RunFunctionRequest): string {
  const e = new Encoder();
  const size = e.requestSize(req);
  e.buf = Buffer.allocUnsafe(size);
  e.writeRequest(req);
  return createHash('sha256').update(e.buf.subarray(0, e.pos)).digest('hex');
}

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

/** LenFieldSize is the size of a length-delimited field (one-byte tag) holding `n` bytes. */
function lenField(n: number): number {
  return 1 + varintSize(n) + n;
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

function sortedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort(compareCodePoints);
}

class Encoder {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  /** Sizes caches the encoded body size of JSON objects (Struct) and lists (ListValue). */
  private readonly sizes = new WeakMap<object, number>();

  // ----- sizes -----------------------------------------------------------------------------

  requestSize(req: RunFunctionRequest): number {
    let n = 0;
    if (req.observed !== undefined) n += lenField(this.stateSize(req.observed));
    if (req.desired !== undefined) n += lenField(this.stateSize(req.desired));
    if (req.input !== undefined) n += lenField(this.structSize(req.input));
    if (req.context !== undefined) n += lenField(this.structSize(req.context));
    n += this.mapSize(req.extraResources, (v) => lenField(this.resourcesSize(v)));
    n += this.mapSize(req.credentials, (v) => lenField(this.credentialsSize(v)));
    n += this.mapSize(req.requiredResources, (v) => lenField(this.resourcesSize(v)));
    n += this.mapSize(req.requiredSchemas, (v) => lenField(this.schemaSize(v)));
    return n;
  }

  /** MapSize is the size of a map field: one entry message per key, key field 1, value field 2. */
  private mapSize<T>(m: Record<string, T> | undefined, valueField: (v: T) => number): number {
    if (m === undefined) return 0;
    let n = 0;
    for (const k of Object.keys(m)) {
      const v = m[k];
      if (v === undefined) continue;
      n += lenField(lenField(Buffer.byteLength(k)) + valueField(v));
    }
    return n;
  }

  private stateSize(s: State): number {
    let n = 0;
    if (s.composite !== undefined) n += lenField(this.resourceSize(s.composite));
    n += this.mapSize(s.resources, (v) => lenField(this.resourceSize(v)));
    return n;
  }

  private resourceSize(r: Resource): number {
    let n = 0;
    if (r.resource !== undefined) n += lenField(this.structSize(r.resource));
    n += this.mapSize(r.connectionDetails, (v) => lenField(v.length));
    if (READY_NUMBER[r.ready ?? 'READY_UNSPECIFIED'] !== 0) n += 2;
    return n;
  }

  private resourcesSize(r: Resources | undefined): number {
    let n = 0;
    for (const item of r?.items ?? []) n += lenField(this.resourceSize(item));
    return n;
  }

  private credentialsSize(c: Credentials): number {
    const data = c.credentialData;
    if (data === undefined) return 0;
    return lenField(this.mapSize(data.data, (v) => lenField(v.length)));
  }

  private schemaSize(s: Schema): number {
    return s.openapiV3 === undefined ? 0 : lenField(this.structSize(s.openapiV3 as Record<string, unknown>));
  }

  private structSize(o: Record<string, unknown>): number {
    const cached = this.sizes.get(o);
    if (cached !== undefined) return cached;
    let n = 0;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (v === undefined) continue;
      n += lenField(lenField(Buffer.byteLength(k)) + lenField(this.valueSize(v)));
    }
    this.sizes.set(o, n);
    return n;
  }

  private listSize(l: unknown[]): number {
    const cached = this.sizes.get(l);
    if (cached !== undefined) return cached;
    let n = 0;
    for (const item of l) n += lenField(this.valueSize(item));
    this.sizes.set(l, n);
    return n;
  }

  private valueSize(v: unknown): number {
    if (v === null || typeof v === 'boolean') return 2;
    if (typeof v === 'number' || typeof v === 'bigint') return 9;
    if (typeof v === 'string') return lenField(Buffer.byteLength(v));
    if (Array.isArray(v)) return lenField(this.listSize(v));
    if (v instanceof Uint8Array) return lenField(Buffer.byteLength(Buffer.from(v).toString('base64')));
    if (typeof v === 'object') return lenField(this.structSize(v as Record<string, unknown>));
    return lenField(Buffer.byteLength(String(v)));
  }

  // ----- writing ---------------------------------------------------------------------------

  private varint(v: number): void {
    let x = v;
    while (x >= 0x80) {
      this.buf[this.pos++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.buf[this.pos++] = x;
  }

  private tag(field: number, wire: number): void {
    this.buf[this.pos++] = (field << 3) | wire;
  }

  private header(field: number, len: number): void {
    this.tag(field, LEN);
    this.varint(len);
  }

  private string(field: number, s: string): void {
    const len = Buffer.byteLength(s);
    this.header(field, len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private bytes(field: number, b: Uint8Array): void {
    this.header(field, b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  private map<T>(field: number, m: Record<string, T> | undefined, size: (v: T) => number, write: (v: T) => void): void {
    if (m === undefined) return;
    for (const k of sortedKeys(m)) {
      const v = m[k] as T;
      this.header(field, lenField(Buffer.byteLength(k)) + size(v));
      this.string(1, k);
      write(v);
    }
  }

  writeRequest(req: RunFunctionRequest): void {
    // 1: meta is unset when the tag is computed.
    if (req.observed !== undefined) this.message(2, this.stateSize(req.observed), () => this.writeState(req.observed as State));
    if (req.desired !== undefined) this.message(3, this.stateSize(req.desired), () => this.writeState(req.desired as State));
    if (req.input !== undefined) this.message(4, this.structSize(req.input), () => this.writeStruct(req.input as Record<string, unknown>));
    if (req.context !== undefined)
      this.message(5, this.structSize(req.context), () => this.writeStruct(req.context as Record<string, unknown>));
    const resources = (v: Resources) => lenField(this.resourcesSize(v));
    const writeResources = (v: Resources) => this.message(2, this.resourcesSize(v), () => this.writeResources(v));
    this.map(6, req.extraResources, resources, writeResources);
    this.map(
      7,
      req.credentials,
      (v) => lenField(this.credentialsSize(v)),
      (v) => this.message(2, this.credentialsSize(v), () => this.writeCredentials(v)),
    );
    this.map(8, req.requiredResources, resources, writeResources);
    this.map(
      9,
      req.requiredSchemas,
      (v) => lenField(this.schemaSize(v)),
      (v) => this.message(2, this.schemaSize(v), () => this.writeSchema(v)),
    );
  }

  private message(field: number, size: number, body: () => void): void {
    this.header(field, size);
    body();
  }

  private writeState(s: State): void {
    if (s.composite !== undefined) this.message(1, this.resourceSize(s.composite), () => this.writeResource(s.composite as Resource));
    this.map(
      2,
      s.resources,
      (v) => lenField(this.resourceSize(v)),
      (v) => this.message(2, this.resourceSize(v), () => this.writeResource(v)),
    );
  }

  private writeResource(r: Resource): void {
    if (r.resource !== undefined) this.message(1, this.structSize(r.resource), () => this.writeStruct(r.resource));
    this.map(
      2,
      r.connectionDetails,
      (v) => lenField(v.length),
      (v) => this.bytes(2, v),
    );
    const ready = READY_NUMBER[r.ready ?? 'READY_UNSPECIFIED'];
    if (ready !== 0) {
      this.tag(3, VARINT);
      this.varint(ready);
    }
  }

  private writeResources(r: Resources): void {
    for (const item of r.items ?? []) this.message(1, this.resourceSize(item), () => this.writeResource(item));
  }

  private writeCredentials(c: Credentials): void {
    const data = c.credentialData;
    if (data === undefined) return;
    this.message(
      1,
      this.mapSize(data.data, (v) => lenField(v.length)),
      () =>
        this.map(
          1,
          data.data,
          (v) => lenField(v.length),
          (v) => this.bytes(2, v),
        ),
    );
  }

  private writeSchema(s: Schema): void {
    if (s.openapiV3 !== undefined)
      this.message(1, this.structSize(s.openapiV3), () => this.writeStruct(s.openapiV3 as Record<string, unknown>));
  }

  /** WriteStruct writes a google.protobuf.Struct: `map<string, Value> fields = 1`. */
  private writeStruct(o: Record<string, unknown>): void {
    for (const k of sortedKeys(o)) {
      const v = o[k];
      const vs = this.valueSize(v);
      this.header(1, lenField(Buffer.byteLength(k)) + lenField(vs));
      this.string(1, k);
      this.header(2, vs);
      this.writeValue(v);
    }
  }

  /** WriteValue writes a google.protobuf.Value; the oneof member is always written. */
  private writeValue(v: unknown): void {
    if (v === null) {
      this.tag(1, VARINT);
      this.varint(0);
    } else if (typeof v === 'number' || typeof v === 'bigint') {
      this.tag(2, FIXED64);
      this.buf.writeDoubleLE(Number(v), this.pos);
      this.pos += 8;
    } else if (typeof v === 'string') {
      this.string(3, v);
    } else if (typeof v === 'boolean') {
      this.tag(4, VARINT);
      this.varint(v ? 1 : 0);
    } else if (Array.isArray(v)) {
      this.message(6, this.listSize(v), () => {
        for (const item of v) this.message(1, this.valueSize(item), () => this.writeValue(item));
      });
    } else if (v instanceof Uint8Array) {
      this.string(3, Buffer.from(v).toString('base64'));
    } else if (typeof v === 'object') {
      this.message(5, this.structSize(v as Record<string, unknown>), () => this.writeStruct(v as Record<string, unknown>));
    } else {
      this.string(3, String(v));
    }
  }
}
