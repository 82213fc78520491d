/**
 * The Go value model shared by the Go `fmt`, `encoding/json` and `text/template` emulations.
 *
 * Upstream functions work on `map[string]any` values decoded from protobuf Structs, so every JSON
 * number they read is a Go `float64`; integers appear only where Go code makes them (a `convert`
 * transform, `len`, sprig arithmetic, template number literals). We keep that distinction:
 *
 * | Go type                  | TypeScript value                    |
 * |--------------------------|-------------------------------------|
 * | nil                      | `null` or `undefined`               |
 * | string                   | `string`                            |
 * | float64                  | `number`                            |
 * | int64                    | `bigint`                            |
 * | int, int32, uint8, ...   | {@link GoInt} with its kind         |
 * | bool                     | `boolean`                           |
 * | []byte                   | `Uint8Array`                        |
 * | []any / []string / ...   | `unknown[]` (element type: {@link sliceTypeOf}) |
 * | map[string]any           | plain object                        |
 */

export const IntKinds = ['int', 'int8', 'int16', 'int32', 'int64', 'uint', 'uint8', 'uint16', 'uint32', 'uint64'] as const;
export type IntKind = (typeof IntKinds)[number];

/** GoInt is a Go integer of a kind other than int64 (which is a plain bigint). */
export class GoInt {
  readonly kind: IntKind;
  readonly value: bigint;
  constructor(kind: IntKind, value: bigint) {
    this.kind = kind;
    this.value = value;
  }
  toJSON(): number {
    return Number(this.value);
  }
}

/** Int makes a Go `int` (what `len`, `index` arguments and template literals produce). */
export function goInt(n: number | bigint): GoInt {
  return new GoInt('int', typeof n === 'bigint' ? n : BigInt(Math.trunc(n)));
}

const sliceType = Symbol.for('trellis.gofmt.sliceType');

/** TypedSlice tags an array with its Go element type (e.g. `string` for sprig's `splitList`). */
export function typedSlice<T extends unknown[]>(arr: T, elemType: string): T {
  Object.defineProperty(arr, sliceType, { value: elemType, enumerable: false });
  return arr;
}

/** SliceTypeOf returns the Go element type of an array ("interface {}" unless tagged). */
export function sliceTypeOf(arr: readonly unknown[]): string {
  const t = (arr as unknown as Record<symbol, unknown>)[sliceType];
  return typeof t === 'string' ? t : 'interface {}';
}

export function isInteger(v: unknown): v is bigint | GoInt {
  return typeof v === 'bigint' || v instanceof GoInt;
}

/** IntValue returns the integer value of a bigint or GoInt. */
export function intValue(v: bigint | GoInt): bigint {
  return typeof v === 'bigint' ? v : v.value;
}

export function isUnsignedKind(v: bigint | GoInt): boolean {
  return v instanceof GoInt && v.kind.startsWith('uint');
}

export function isGoMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof GoInt) && !(v instanceof Uint8Array);
}

/** GoTypeName is Go's `reflect.TypeOf(v).String()` for our value model, or undefined for nil. */
export function goTypeName(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'float64';
    case 'bigint':
      return 'int64';
    case 'boolean':
      return 'bool';
    default:
      break;
  }
  if (v instanceof GoInt) return v.kind;
  if (v instanceof Uint8Array) return '[]uint8';
  if (Array.isArray(v)) return `[]${sliceTypeOf(v)}`;
  if (typeof v === 'function') return 'func';
  return 'map[string]interface {}';
}

/**
 * ToPlainJson converts a Go-model value back into plain JSON (bigint and GoInt become numbers,
 * []byte becomes base64 as encoding/json writes it).
 */
export function toPlainJson(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof GoInt) return Number(v.value);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(toPlainJson);
  if (isGoMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toPlainJson(x);
    return out;
  }
  return v;
}

/**
 * IntsFromJson mirrors decoding JSON with k8s.io/apimachinery's json package after protojson
 * wrote it: a number without fraction or exponent (integral, below 1e21) that fits an int64
 * becomes an int64 (`bigint`); anything else stays a float64. Recursive.
 */
export function intsFromJson(v: unknown): unknown {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 1e21 && v >= -(2 ** 63) && v < 2 ** 63) return BigInt(v);
    return v;
  }
  if (Array.isArray(v)) return v.map(intsFromJson);
  if (isGoMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = intsFromJson(x);
    return out;
  }
  return v;
}
