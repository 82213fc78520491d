// OpenAPI v3 value validation as kube-apiserver runs it for custom resources: a port of
// k8s.io/kube-openapi/pkg/validation/validate (SchemaValidator and its eight value validators, with
// their order, "applies" rules, match counting for anyOf/oneOf and error texts) and of
// apiextensions-apiserver's kubeOpenAPIResultToFieldErrors. Schemas are compiled once into a tree
// of nodes; validation allocates only for errors.
import { type FieldError, invalid, notSupported, required, tooLong, tooMany, typeInvalid } from './field.ts';
import { effectiveFormat, formatValidator, normalizeFormat } from './formats.ts';
import { goFloat, goJSON, goQuote, runeCount } from './gofmt.ts';
import { deepEqualJSON } from './json.ts';
import { itemsSchema, type Props } from './props.ts';
import { compileRe2, type Matcher, Re2SyntaxError } from './regex.ts';

// Error codes of kube-openapi/pkg/validation/errors.
const Code = {
  composite: 422,
  invalidType: 600,
  required: 601,
  tooLong: 602,
  tooShort: 603,
  pattern: 604,
  enum: 605,
  multipleOf: 606,
  max: 607,
  min: 608,
  unique: 609,
  maxItems: 610,
  minItems: 611,
  tooFewProperties: 613,
  tooManyProperties: 614,
  unallowedProperty: 615,
  multipleOfMustBePositive: 617,
} as const;

/** An OError is a kube-openapi error: a *Validation (with a name) or a plain error (name undefined). */
interface OError {
  code: number;
  name: string | undefined;
  value: unknown;
  valid: unknown;
  values: unknown[] | undefined;
  message: string;
}

class Result {
  errors: OError[] = [];
  matchCount = 0;

  add(e: OError | undefined): void {
    if (e === undefined) return;
    for (const r of this.errors) if (r.message === e.message) return;
    this.errors.push(e);
  }

  merge(...others: (Result | undefined)[]): this {
    for (const o of others) {
      if (o === undefined) continue;
      for (const e of o.errors) this.add(e);
      this.matchCount += o.matchCount;
    }
    return this;
  }

  get valid(): boolean {
    return this.errors.length === 0;
  }
}

function single(e: OError): Result {
  const r = new Result();
  r.errors.push(e);
  return r;
}

function verr(code: number, name: string, message: string, value?: unknown, valid?: unknown): OError {
  return { code, name, value, valid, values: undefined, message };
}

function plain(code: number, message: string): OError {
  return { code, name: undefined, value: undefined, valid: undefined, values: undefined, message };
}

// Value kinds, as reflect sees a decoded JSON value (integers decode to int64, others to float64).
const Kind = { nil: 0, bool: 1, int: 2, float: 3, string: 4, slice: 5, map: 6 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

const maxInt64 = 9.223372036854776e18;

/** KindOf classifies a decoded JSON value. */
function kindOf(v: unknown): Kind {
  if (v === null || v === undefined) return Kind.nil;
  switch (typeof v) {
    case 'boolean':
      return Kind.bool;
    case 'number':
      return Number.isInteger(v) && Math.abs(v) < maxInt64 ? Kind.int : Kind.float;
    case 'bigint':
      return Kind.int;
    case 'string':
      return Kind.string;
    default:
      return Array.isArray(v) ? Kind.slice : Kind.map;
  }
}

function inType(name: string, typeName: string, value: string): OError {
  return verr(Code.invalidType, name, `${name} in body must be of type ${typeName}: ${goQuote(value)}`, value);
}

/** Node is a compiled schema node (a kube-openapi SchemaValidator). */
export interface Node {
  type: string[];
  nullable: boolean;
  format: string;
  formatCheck: ((s: string) => boolean) | undefined;
  enum: unknown[] | undefined;
  maxLength: number | undefined;
  minLength: number | undefined;
  pattern: string;
  matcher: Matcher | undefined;
  patternError: string | undefined;
  numType: string;
  numFormat: string;
  maximum: number | undefined;
  exclusiveMaximum: boolean;
  minimum: number | undefined;
  exclusiveMinimum: boolean;
  multipleOf: number | undefined;
  maxItems: number | undefined;
  minItems: number | undefined;
  uniqueItems: boolean;
  items: Node | undefined;
  maxProperties: number | undefined;
  minProperties: number | undefined;
  required: string[];
  properties: Map<string, Node> | undefined;
  additionalProperties: { node: Node | undefined; allows: boolean } | undefined;
  allOf: Node[];
  anyOf: Node[];
  oneOf: Node[];
  not: Node | undefined;
  hasSchemaProps: boolean;
}

/** CompileNode compiles a schema for validation (ConvertJSONSchemaProps + StripUnsupportedFormats + NewSchemaValidator). */
export function compileNode(p: Props): Node {
  const type = p.xIntOrString ? ['integer', 'string'] : p.type === '' ? [] : [p.type];
  const format = effectiveFormat(type.length === 1 ? (type[0] ?? '') : '', p.format);
  const formatCheck = format === '' ? undefined : formatValidator(normalizeFormat(format));
  let numType = '';
  let numFormat = '';
  if (type.length === 1) {
    if (type[0] === 'integer') {
      numType = 'integer';
      if (format === 'int32' || format === 'int64') numFormat = format;
    } else if (type[0] === 'number') {
      numType = 'number';
      if (format === 'float' || format === 'double') numFormat = format;
    }
  }
  let matcher: Matcher | undefined;
  let patternError: string | undefined;
  if (p.pattern !== '') {
    try {
      matcher = compileRe2(p.pattern);
    } catch (e) {
      patternError = e instanceof Re2SyntaxError ? e.message : String(e);
    }
  }
  let properties: Map<string, Node> | undefined;
  if (p.properties !== undefined) {
    properties = new Map();
    for (const [k, v] of p.properties) properties.set(k, compileNode(v));
  }
  let additionalProperties: Node['additionalProperties'];
  if (typeof p.additionalProperties === 'object') additionalProperties = { node: compileNode(p.additionalProperties), allows: true };
  else if (typeof p.additionalProperties === 'boolean') additionalProperties = { node: undefined, allows: p.additionalProperties };
  const items = itemsSchema(p);
  const allOf = (p.allOf ?? []).map(compileNode);
  const anyOf = (p.anyOf ?? []).map(compileNode);
  const oneOf = (p.oneOf ?? []).map(compileNode);
  const not = p.not === undefined ? undefined : compileNode(p.not);
  const node: Node = {
    type,
    nullable: p.nullable,
    format,
    formatCheck,
    enum: p.enum !== undefined && p.enum.length > 0 ? p.enum : undefined,
    maxLength: p.maxLength,
    minLength: p.minLength,
    pattern: p.pattern,
    matcher,
    patternError,
    numType,
    numFormat,
    maximum: p.maximum,
    exclusiveMaximum: p.exclusiveMaximum,
    minimum: p.minimum,
    exclusiveMinimum: p.exclusiveMinimum,
    multipleOf: p.multipleOf,
    maxItems: p.maxItems,
    minItems: p.minItems,
    uniqueItems: p.uniqueItems,
    items: items === undefined ? undefined : compileNode(items),
    maxProperties: p.maxProperties,
    minProperties: p.minProperties,
    required: p.required ?? [],
    properties,
    additionalProperties,
    allOf,
    anyOf,
    oneOf,
    not,
    hasSchemaProps: allOf.length > 0 || anyOf.length > 0 || oneOf.length > 0 || not !== undefined,
  };
  if (p.xListType === 'map' && p.xListMapKeys !== undefined && p.xListMapKeys.length > 0) mapListKeys.set(node, p.xListMapKeys);
  return node;
}

// ---------------------------------------------------------------------------------------------
// Validation

/** Correlation lets update validation ratchet: errors under a node equal to its old value are dropped. */
export interface Ratchet {
  /** Old is the correlated old value at this node. */
  old: unknown;
  /** Equal caches whether the new value deep-equals the old one. */
  equal: boolean | undefined;
}

interface Ctx {
  ratchet: boolean;
}

function validate(n: Node, data: unknown, path: string, ctx: Ctx, corr: Ratchet | undefined): Result {
  const result = new Result();
  const kind = kindOf(data);
  if (kind === Kind.nil) {
    result.merge(typeValidate(n, data, kind, path));
    result.merge(enumValidate(n, data, path));
    return ratchetResult(result, data, corr);
  }
  if (n.type.length > 0 || n.format !== '') {
    result.merge(typeValidate(n, data, kind, path));
    result.matchCount++;
  }
  // schemaPropsValidator always applies.
  result.merge(schemaPropsValidate(n, data, path, ctx));
  result.matchCount++;
  if (kind === Kind.string) {
    result.merge(stringValidate(n, data as string, path));
    result.matchCount++;
    if (n.formatCheck !== undefined) {
      if (!n.formatCheck(data as string)) result.merge(single(typeErrForFormat(path, n.format, data as string)));
      result.matchCount++;
    }
  }
  if (kind === Kind.int || kind === Kind.float) {
    result.merge(numberValidate(n, data as number, kind, path));
    result.matchCount++;
  }
  if (kind === Kind.slice) {
    result.merge(sliceValidate(n, data as unknown[], path, ctx, corr));
    result.matchCount++;
  }
  result.merge(enumValidate(n, data, path));
  result.matchCount++;
  if (kind === Kind.map) {
    result.merge(objectValidate(n, data as Record<string, unknown>, path, ctx, corr));
    result.matchCount++;
  }
  result.matchCount++;
  return ratchetResult(result, data, corr);
}

function ratchetResult(r: Result, data: unknown, corr: Ratchet | undefined): Result {
  if (r.valid || corr === undefined) return r;
  corr.equal ??= deepEqualJSON(data, corr.old);
  if (!corr.equal) return r;
  const out = new Result();
  out.matchCount = r.matchCount;
  return out;
}

function typeErrForFormat(path: string, format: string, data: string): OError {
  return inType(path, format, data);
}

function typeValidate(n: Node, data: unknown, kind: Kind, path: string): Result {
  const ok = new Result();
  ok.matchCount = 1;
  if (kind === Kind.nil) {
    if (n.type.length > 0 && !n.type.includes('null') && !n.nullable) return single(inType(path, n.type.join(','), 'null'));
    return ok;
  }
  let schType = '';
  let fmt = '';
  switch (kind) {
    case Kind.bool:
      schType = 'boolean';
      break;
    case Kind.string:
      schType = 'string';
      break;
    case Kind.int:
      schType = 'integer';
      fmt = 'int64';
      break;
    case Kind.float:
      schType = 'number';
      fmt = 'float64';
      break;
    case Kind.slice:
      schType = 'array';
      break;
    default:
      schType = 'object';
  }
  const isFloatInt = schType === 'number' && isFloat64AJSONInteger(data as number) && n.type.includes('integer');
  const isIntFloat = schType === 'integer' && n.type.includes('number');
  if (
    kind !== Kind.string &&
    kind !== Kind.slice &&
    n.format !== '' &&
    !(n.type.includes(schType) || fmt === n.format || isFloatInt || isIntFloat)
  ) {
    return single(inType(path, n.format, fmt));
  }
  if (!(n.type.includes('number') || n.type.includes('integer')) && n.format !== '' && (kind === Kind.string || kind === Kind.slice)) {
    return ok;
  }
  if (!(n.type.includes(schType) || isFloatInt || isIntFloat)) return single(inType(path, n.type.join(','), schType));
  return ok;
}

function schemaPropsValidate(n: Node, data: unknown, path: string, ctx: Ctx): Result {
  const main = new Result();
  if (!n.hasSchemaProps) {
    main.matchCount++;
    return main;
  }
  if (n.anyOf.length > 0) {
    let best: Result | undefined;
    let firstSuccess: Result | undefined;
    let succeeded = false;
    for (const s of n.anyOf) {
      const r = validate(s, data, path, ctx, undefined);
      if (r.valid) {
        best = undefined;
        succeeded = true;
        firstSuccess ??= r;
        break;
      }
      if (best === undefined || r.matchCount > best.matchCount) best = r;
    }
    if (!succeeded) main.add(plain(Code.composite, `${goQuote(path)} must validate at least one schema (anyOf)`));
    if (best !== undefined) main.merge(best);
    else if (firstSuccess !== undefined) main.merge(firstSuccess);
  }
  if (n.oneOf.length > 0) {
    let best: Result | undefined;
    let firstSuccess: Result | undefined;
    let validated = 0;
    for (const s of n.oneOf) {
      const r = validate(s, data, path, ctx, undefined);
      if (r.valid) {
        validated++;
        best = undefined;
        firstSuccess ??= r;
        continue;
      }
      if (validated === 0 && (best === undefined || r.matchCount > best.matchCount)) best = r;
    }
    if (validated !== 1) {
      const extra = validated === 0 ? 'Found none valid' : `Found ${validated} valid alternatives`;
      main.add(plain(Code.composite, `${goQuote(path)} must validate one and only one schema (oneOf). ${extra}`));
      if (best !== undefined) main.merge(best);
    } else if (firstSuccess !== undefined) main.merge(firstSuccess);
  }
  if (n.allOf.length > 0) {
    let validated = 0;
    for (const s of n.allOf) {
      const r = validate(s, data, path, ctx, undefined);
      if (r.valid) validated++;
      main.merge(r);
    }
    if (validated !== n.allOf.length) {
      main.add(plain(Code.composite, `${goQuote(path)} must validate all the schemas (allOf)${validated === 0 ? '. None validated' : ''}`));
    }
  }
  if (n.not !== undefined) {
    const r = validate(n.not, data, path, ctx, undefined);
    if (r.valid) main.add(plain(Code.composite, `${goQuote(path)} must not validate the schema (not)`));
  }
  main.matchCount++;
  return main;
}

function stringValidate(n: Node, s: string, path: string): Result | undefined {
  if (n.maxLength !== undefined && runeCount(s) > n.maxLength) {
    return single(verr(Code.tooLong, path, `${path} in body should be at most ${n.maxLength} chars long`, s, n.maxLength));
  }
  if (n.minLength !== undefined && runeCount(s) < n.minLength) {
    return single(verr(Code.tooShort, path, `${path} in body should be at least ${n.minLength} chars long`, s, n.minLength));
  }
  if (n.pattern !== '') {
    if (n.patternError !== undefined) {
      return single(verr(Code.pattern, path, `${path} in body should match '${n.pattern}, but pattern is invalid: ${n.patternError}'`, s));
    }
    if (n.matcher !== undefined && !n.matcher.test(s))
      return single(verr(Code.pattern, path, `${path} in body should match '${n.pattern}'`, s));
  }
  return undefined;
}

const minJSONFloat = -9007199254740991;
const maxJSONFloat = 9007199254740992;

/** IsFloat64AJSONInteger is go-openapi/swag's check that a float is an integer within JSON's safe range. */
function isFloat64AJSONInteger(f: number): boolean {
  if (Number.isNaN(f) || !Number.isFinite(f) || f < minJSONFloat || f > maxJSONFloat) return false;
  const g = f < 0 ? 0 : Math.trunc(f);
  if (f === g) return true;
  if (f === Math.trunc(f)) return true;
  const diff = Math.abs(f - g);
  if (f === 0 || g === 0 || diff < Number.MIN_VALUE) return diff < 1e-9 * Number.MIN_VALUE;
  return diff / Math.min(Math.abs(f) + Math.abs(g), Number.MAX_VALUE) < 1e-9;
}

function formatFloat64(f: number): string {
  // strconv.FormatFloat(f, 'f', -1, 64)
  if (Number.isInteger(f) && Math.abs(f) < 1e21) return BigInt(f).toString();
  const s = String(f);
  if (!s.includes('e')) return s;
  const [mant = '', expStr = '0'] = s.split('e');
  const e = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const point = (mant.replace('-', '').indexOf('.') === -1 ? mant.replace('-', '').length : mant.replace('-', '').indexOf('.')) + e;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}

function rangeError(v: number, isInt: boolean, typeName: string, format: string, prefix: string, path: string): OError | undefined {
  // Fast paths for the common cases: safe integers and non-float formats.
  if (typeName === 'integer' && Number.isSafeInteger(v) && (isInt || Number.isInteger(v))) {
    if (format !== 'int32' || (v >= -2147483648 && v <= 2147483647)) return undefined;
  } else if (typeName !== 'integer' && format !== 'float') return undefined;
  const rep = isInt ? BigInt(Math.trunc(v)).toString() : formatFloat64(v);
  let bad = false;
  if (typeName === 'integer') {
    const isIntRep = /^[+-]?[0-9]+$/.test(rep);
    if (!isIntRep) bad = true;
    else {
      const b = BigInt(rep);
      if (format === 'int32') bad = b < -2147483648n || b > 2147483647n;
      else bad = b < -9223372036854775808n || b > 9223372036854775807n;
    }
  } else if (format === 'float') {
    bad = Math.abs(v) > 3.4028234663852886e38;
  }
  if (!bad) return undefined;
  const msg =
    format !== ''
      ? `${prefix} value must be of type ${typeName} with format ${format} in ${path}`
      : `${prefix} value must be of type ${typeName} (default format) in ${path}`;
  return plain(0, msg);
}

function numStr(v: number, asInt: boolean): string {
  return asInt ? BigInt(Math.trunc(v)).toString() : goFloat(v);
}

function numberValidate(n: Node, v: number, kind: Kind, path: string): Result {
  const res = new Result();
  const isInt = kind === Kind.int;
  res.add(rangeError(v, isInt, n.numType, n.numFormat, 'Checked', path));
  const resMultiple = new Result();
  const resMinimum = new Result();
  const resMaximum = new Result();
  if (n.multipleOf !== undefined) {
    const f = n.multipleOf;
    resMultiple.add(rangeError(f, false, n.numType, n.numFormat, 'MultipleOf', path));
    const native = resMultiple.valid && isInt;
    if (f <= 0 || (native && Math.trunc(f) <= 0)) {
      resMultiple.add(
        verr(
          Code.multipleOfMustBePositive,
          path,
          `factor MultipleOf declared for ${path} must be positive: ${numStr(native ? Math.trunc(f) : f, native)}`,
          f,
        ),
      );
    } else if (native) {
      const factor = Math.trunc(f);
      const data = BigInt(Math.trunc(v));
      const fb = BigInt(factor);
      if ((data / fb) * fb !== data) resMultiple.add(verr(Code.multipleOf, path, `${path} in body should be a multiple of ${factor}`, v));
    } else {
      const mult = f < 1 ? (1 / f) * v : v / f;
      if (!isFloat64AJSONInteger(mult))
        resMultiple.add(verr(Code.multipleOf, path, `${path} in body should be a multiple of ${goFloat(f)}`, v));
    }
  }
  if (n.maximum !== undefined) {
    const max = n.maximum;
    resMaximum.add(rangeError(max, false, n.numType, n.numFormat, 'Maximum boundary', path));
    const native = resMaximum.valid && isInt;
    const bound = native ? Math.trunc(max) : max;
    const bad = n.exclusiveMaximum ? v >= bound : v > bound;
    if (bad) {
      const word = n.exclusiveMaximum ? 'less than' : 'less than or equal to';
      resMaximum.add(verr(Code.max, path, `${path} in body should be ${word} ${numStr(bound, native)}`, v));
    }
  }
  if (n.minimum !== undefined) {
    const min = n.minimum;
    resMinimum.add(rangeError(min, false, n.numType, n.numFormat, 'Minimum boundary', path));
    const native = resMinimum.valid && isInt;
    const bound = native ? Math.trunc(min) : min;
    const bad = n.exclusiveMinimum ? v <= bound : v < bound;
    if (bad) {
      const word = n.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
      resMinimum.add(verr(Code.min, path, `${path} in body should be ${word} ${numStr(bound, native)}`, v));
    }
  }
  res.merge(resMultiple, resMinimum, resMaximum);
  res.matchCount++;
  return res;
}

function sliceValidate(n: Node, list: unknown[], path: string, ctx: Ctx, corr: Ratchet | undefined): Result {
  const result = new Result();
  if (n.items !== undefined) {
    for (let i = 0; i < list.length; i++) {
      result.merge(validate(n.items, list[i], `${path}[${i}]`, ctx, corr === undefined ? undefined : itemCorrelation(n, list, i, corr)));
    }
  }
  const size = list.length;
  if (n.minItems !== undefined && size < n.minItems) {
    result.add(verr(Code.minItems, path, `${path} in body should have at least ${n.minItems} items`, size, n.minItems));
  }
  if (n.maxItems !== undefined && size > n.maxItems) {
    result.add(verr(Code.maxItems, path, `${path} in body should have at most ${n.maxItems} items`, size, n.maxItems));
  }
  if (n.uniqueItems) {
    const seen = new Set<string>();
    for (const x of list) {
      const k = goJSON(x);
      if (seen.has(k)) {
        result.add(verr(Code.unique, path, `${path} in body shouldn't contain duplicates`));
        break;
      }
      seen.add(k);
    }
  }
  result.matchCount++;
  return result;
}

function enumValidate(n: Node, data: unknown, path: string): Result | undefined {
  if (n.enum === undefined) return undefined;
  if (data !== null && data !== undefined) {
    for (const e of n.enum) if (enumMatches(data, e)) return undefined;
  }
  return single({
    code: Code.enum,
    name: path,
    value: data ?? null,
    valid: undefined,
    values: n.enum,
    message: `${path} in body should be one of enum`,
  });
}

// EnumMatches is reflect.DeepEqual after Go's type conversion of the decoded value to the enum value's type.
function enumMatches(data: unknown, e: unknown): boolean {
  if (e === null || e === undefined) return false;
  if (typeof e === 'number' && typeof data === 'number') return Number.isInteger(e) ? Math.trunc(data) === e : data === e;
  if (typeof e === 'string' && typeof data === 'string') return data === e;
  if (typeof e === 'boolean' && typeof data === 'boolean') return data === e;
  if (typeof e === 'object' && typeof data === 'object') return deepEqualJSON(data, e);
  return false;
}

function objectValidate(n: Node, obj: Record<string, unknown>, path: string, ctx: Ctx, corr: Ratchet | undefined): Result {
  const res = new Result();
  const keys = Object.keys(obj);
  const numKeys = keys.length;
  if (n.minProperties !== undefined && numKeys < n.minProperties) {
    res.add(
      verr(Code.tooFewProperties, path, `${path} in body should have at least ${n.minProperties} properties`, numKeys, n.minProperties),
    );
  }
  if (n.maxProperties !== undefined && numKeys > n.maxProperties) {
    res.add(
      verr(Code.tooManyProperties, path, `${path} in body should have at most ${n.maxProperties} properties`, numKeys, n.maxProperties),
    );
  }
  const ap = n.additionalProperties;
  if (ap !== undefined && !ap.allows) {
    for (const k of keys) {
      if (n.properties?.has(k) !== true) res.add(verr(Code.unallowedProperty, path, `${path}.${k} in body is a forbidden property`, k));
    }
  } else if (ap?.node !== undefined) {
    for (const k of keys) {
      if (n.properties?.has(k) === true) continue;
      res.merge(validate(ap.node, obj[k], `${path}.${k}`, ctx, corr === undefined ? undefined : keyCorrelation(obj, k, corr)));
    }
  }
  if (n.properties !== undefined) {
    for (const [name, sub] of n.properties) {
      if (!Object.hasOwn(obj, name)) continue;
      const childPath = path === '' ? name : `${path}.${name}`;
      const c =
        corr === undefined || (path === '' && (name === 'kind' || name === 'apiVersion')) ? undefined : keyCorrelation(obj, name, corr);
      res.merge(validate(sub, obj[name], childPath, ctx, c));
    }
  }
  for (const k of n.required) {
    if (!Object.hasOwn(obj, k)) res.add(verr(Code.required, `${path}.${k}`, `${path}.${k} in body is required`));
  }
  return res;
}

function keyCorrelation(obj: Record<string, unknown>, k: string, corr: Ratchet): Ratchet | undefined {
  const old = corr.old;
  if (typeof old !== 'object' || old === null || Array.isArray(old)) return undefined;
  if (!Object.hasOwn(old, k) || !Object.hasOwn(obj, k)) return undefined;
  return { old: (old as Record<string, unknown>)[k], equal: undefined };
}

function itemCorrelation(n: Node, list: unknown[], i: number, corr: Ratchet): Ratchet | undefined {
  // Only list-type=map lists correlate items (by key); the correlation is supplied by the caller's
  // map-list index, attached to the node at compile time.
  const keys = mapListKeys.get(n);
  if (keys === undefined || !Array.isArray(corr.old)) return undefined;
  const item = list[i];
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const rec = item as Record<string, unknown>;
  for (const o of corr.old) {
    if (typeof o !== 'object' || o === null || Array.isArray(o)) continue;
    const orec = o as Record<string, unknown>;
    if (keys.every((k) => deepEqualJSON(rec[k], orec[k]))) return { old: o, equal: undefined };
  }
  return undefined;
}

/** MapListKeys records, per compiled array node, the keys of an `x-kubernetes-list-type: map` list (for ratcheting). */
export const mapListKeys = new WeakMap<Node, string[]>();

// ---------------------------------------------------------------------------------------------
// Result → field errors (kubeOpenAPIResultToFieldErrors)

/**
 * ValidateValue validates data against a compiled node and returns kube's field errors. `prefix` is
 * the field path the validator was created for (undefined = Go's nil path, which prints `<nil>` for
 * errors that are not tied to a value). With `old`, unchanged parts are ratcheted as kube does when
 * CRDValidationRatcheting is on (the default since 1.33).
 */
export function validateValue(
  n: Node,
  data: unknown,
  prefix: string | undefined,
  opts: { old?: unknown; ratchet?: boolean } = {},
): FieldError[] {
  const ratchet = opts.ratchet === true && opts.old !== undefined;
  const result = validate(n, data, '', { ratchet }, ratchet ? { old: opts.old, equal: undefined } : undefined);
  return toFieldErrors(result, prefix);
}

function toFieldErrors(result: Result, prefix: string | undefined): FieldError[] {
  const nilPath = prefix ?? '<nil>';
  const out: FieldError[] = [];
  for (const e of result.errors) {
    if (e.name === undefined) {
      out.push(invalid(nilPath, '', e.message));
      continue;
    }
    let field = nilPath;
    if (e.name !== '' && e.name !== '.') {
      const n = e.name.startsWith('.') ? e.name.slice(1) : e.name;
      field = prefix === undefined ? n : `${prefix}.${n}`;
    }
    const value = e.value === undefined ? '' : e.value;
    switch (e.code) {
      case Code.required:
        out.push(required(field));
        break;
      case Code.enum:
        out.push(
          notSupported(
            field,
            e.value,
            (e.values ?? []).map((v) => (typeof v === 'string' ? v : goJSON(v))),
          ),
        );
        break;
      case Code.tooLong:
        out.push(tooLong(field, typeof e.valid === 'number' ? e.valid : -1));
        break;
      case Code.maxItems:
      case Code.tooManyProperties:
        out.push(tooMany(field, typeof e.value === 'number' ? e.value : -1, typeof e.valid === 'number' ? e.valid : -1));
        break;
      case Code.invalidType:
        out.push(typeInvalid(field, value, e.message));
        break;
      default:
        out.push(invalid(field, value, e.message));
    }
  }
  return out;
}

export { deepEqualJSON };
