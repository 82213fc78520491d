// JSONSchemaProps as a typed tree, read from the wire form with the checks Go's JSON decoding of
// apiextensions.k8s.io/v1 JSONSchemaProps makes (a field of the wrong JSON type is an error).
import { child, index, key } from './field.ts';

/** A ValidationRule is one `x-kubernetes-validations` entry. */
export interface ValidationRule {
  rule: string;
  message: string;
  messageExpression: string;
  reason: string | undefined;
  fieldPath: string;
  optionalOldSelf: boolean | undefined;
}

/** Props is a JSONSchemaProps node. Absent keywords are undefined; `has*` flags keep "set" apart from zero values. */
export interface Props {
  id: string;
  $schema: string;
  $ref: string | undefined;
  description: string;
  type: string;
  format: string;
  title: string;
  hasDefault: boolean;
  default: unknown;
  maximum: number | undefined;
  exclusiveMaximum: boolean;
  minimum: number | undefined;
  exclusiveMinimum: boolean;
  maxLength: number | undefined;
  minLength: number | undefined;
  pattern: string;
  maxItems: number | undefined;
  minItems: number | undefined;
  uniqueItems: boolean;
  multipleOf: number | undefined;
  enum: unknown[] | undefined;
  maxProperties: number | undefined;
  minProperties: number | undefined;
  required: string[] | undefined;
  /** Items is a schema, or (unsupported, rejected by validation) an array of schemas. */
  items: Props | Props[] | undefined;
  allOf: Props[] | undefined;
  oneOf: Props[] | undefined;
  anyOf: Props[] | undefined;
  not: Props | undefined;
  properties: Map<string, Props> | undefined;
  /** AdditionalProperties: a schema, or `true`/`false`. */
  additionalProperties: Props | boolean | undefined;
  patternProperties: Map<string, Props> | undefined;
  dependencies: Map<string, Props | string[]> | undefined;
  additionalItems: Props | boolean | undefined;
  definitions: Map<string, Props> | undefined;
  hasExternalDocs: boolean;
  hasExample: boolean;
  nullable: boolean;
  xPreserveUnknownFields: boolean | undefined;
  xEmbeddedResource: boolean;
  xIntOrString: boolean;
  xListMapKeys: string[] | undefined;
  xListType: string | undefined;
  xMapType: string | undefined;
  xValidations: ValidationRule[] | undefined;
  /** Raw is the wire object this node was read from (for printing it in messages). */
  raw: Record<string, unknown>;
}

/** A DecodeError is a JSON type mismatch found while reading a schema. */
export interface DecodeError {
  field: string;
  message: string;
}

/** ReadLimits bound what readProps accepts, so hostile schemas fail fast. */
export interface ReadLimits {
  maxDepth: number;
}

const defaultLimits: ReadLimits = { maxDepth: 1024 };

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return 'number';
  return typeof v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reader {
  readonly errors: DecodeError[] = [];
  readonly limits: ReadLimits;
  constructor(limits: ReadLimits) {
    this.limits = limits;
  }

  mismatch(field: string, want: string, got: unknown): void {
    this.errors.push({ field, message: `cannot unmarshal ${jsonType(got)} into ${field} of type ${want}` });
  }

  str(o: Record<string, unknown>, name: string, path: string): string {
    const v = o[name];
    if (v === undefined || v === null) return '';
    if (typeof v !== 'string') {
      this.mismatch(child(path, name), 'string', v);
      return '';
    }
    return v;
  }

  bool(o: Record<string, unknown>, name: string, path: string): boolean | undefined {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.mismatch(child(path, name), 'bool', v);
      return undefined;
    }
    return v;
  }

  num(o: Record<string, unknown>, name: string, path: string): number | undefined {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.mismatch(child(path, name), 'float64', v);
      return undefined;
    }
    return v;
  }

  int(o: Record<string, unknown>, name: string, path: string): number | undefined {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.mismatch(child(path, name), 'int64', v);
      return undefined;
    }
    return v;
  }

  strings(o: Record<string, unknown>, name: string, path: string): string[] | undefined {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.mismatch(child(path, name), '[]string', v);
      return undefined;
    }
    const out: string[] = [];
    v.forEach((x, i) => {
      if (typeof x === 'string') out.push(x);
      else this.mismatch(index(child(path, name), i), 'string', x);
    });
    return out;
  }

  schemaList(o: Record<string, unknown>, name: string, path: string, depth: number): Props[] | undefined {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.mismatch(child(path, name), '[]JSONSchemaProps', v);
      return undefined;
    }
    const out: Props[] = [];
    v.forEach((x, i) => {
      const p = this.props(x, index(child(path, name), i), depth + 1);
      if (p !== undefined) out.push(p);
    });
    return out;
  }

  schemaMap(o: Record<string, unknown>, name: string, path: string, depth: number): Map<string, Props> | undefined {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) {
      this.mismatch(child(path, name), 'map[string]JSONSchemaProps', v);
      return undefined;
    }
    const out = new Map<string, Props>();
    for (const [k, x] of Object.entries(v)) {
      const p = this.props(x, key(child(path, name), k), depth + 1);
      if (p !== undefined) out.set(k, p);
    }
    return out;
  }

  schemaOrBool(o: Record<string, unknown>, name: string, path: string, depth: number): Props | boolean | undefined {
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    return this.props(v, child(path, name), depth + 1);
  }

  validations(o: Record<string, unknown>, path: string): ValidationRule[] | undefined {
    const name = 'x-kubernetes-validations';
    const v = o[name];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.mismatch(child(path, name), 'ValidationRules', v);
      return undefined;
    }
    const out: ValidationRule[] = [];
    v.forEach((x, i) => {
      const p = index(child(path, name), i);
      if (!isRecord(x)) {
        this.mismatch(p, 'ValidationRule', x);
        return;
      }
      const reason = this.str(x, 'reason', p);
      out.push({
        rule: this.str(x, 'rule', p),
        message: this.str(x, 'message', p),
        messageExpression: this.str(x, 'messageExpression', p),
        reason: x.reason === undefined || x.reason === null ? undefined : reason,
        fieldPath: this.str(x, 'fieldPath', p),
        optionalOldSelf: this.bool(x, 'optionalOldSelf', p),
      });
    });
    return out;
  }

  props(raw: unknown, path: string, depth: number): Props | undefined {
    if (depth > this.limits.maxDepth) {
      this.errors.push({ field: path, message: `schema nesting exceeds ${this.limits.maxDepth} levels` });
      return undefined;
    }
    if (!isRecord(raw)) {
      this.mismatch(path, 'JSONSchemaProps', raw);
      return undefined;
    }
    const o = raw;
    let items: Props | Props[] | undefined;
    if (Array.isArray(o.items)) items = this.schemaList(o, 'items', path, depth);
    else if (o.items !== undefined && o.items !== null) items = this.props(o.items, child(path, 'items'), depth + 1);
    let dependencies: Map<string, Props | string[]> | undefined;
    if (isRecord(o.dependencies)) {
      dependencies = new Map();
      for (const [k, x] of Object.entries(o.dependencies)) {
        if (Array.isArray(x))
          dependencies.set(
            k,
            x.filter((s): s is string => typeof s === 'string'),
          );
        else {
          const p = this.props(x, key(child(path, 'dependencies'), k), depth + 1);
          if (p !== undefined) dependencies.set(k, p);
        }
      }
    }
    const ref = o.$ref;
    return {
      id: this.str(o, 'id', path),
      $schema: this.str(o, '$schema', path),
      $ref: typeof ref === 'string' ? ref : undefined,
      description: this.str(o, 'description', path),
      type: this.str(o, 'type', path),
      format: this.str(o, 'format', path),
      title: this.str(o, 'title', path),
      hasDefault: o.default !== undefined && o.default !== null,
      default: o.default ?? undefined,
      maximum: this.num(o, 'maximum', path),
      exclusiveMaximum: this.bool(o, 'exclusiveMaximum', path) ?? false,
      minimum: this.num(o, 'minimum', path),
      exclusiveMinimum: this.bool(o, 'exclusiveMinimum', path) ?? false,
      maxLength: this.int(o, 'maxLength', path),
      minLength: this.int(o, 'minLength', path),
      pattern: this.str(o, 'pattern', path),
      maxItems: this.int(o, 'maxItems', path),
      minItems: this.int(o, 'minItems', path),
      uniqueItems: this.bool(o, 'uniqueItems', path) ?? false,
      multipleOf: this.num(o, 'multipleOf', path),
      enum: Array.isArray(o.enum) ? o.enum : undefined,
      maxProperties: this.int(o, 'maxProperties', path),
      minProperties: this.int(o, 'minProperties', path),
      required: this.strings(o, 'required', path),
      items,
      allOf: this.schemaList(o, 'allOf', path, depth),
      oneOf: this.schemaList(o, 'oneOf', path, depth),
      anyOf: this.schemaList(o, 'anyOf', path, depth),
      not: o.not === undefined || o.not === null ? undefined : this.props(o.not, child(path, 'not'), depth + 1),
      properties: this.schemaMap(o, 'properties', path, depth),
      additionalProperties: this.schemaOrBool(o, 'additionalProperties', path, depth),
      patternProperties: this.schemaMap(o, 'patternProperties', path, depth),
      dependencies,
      additionalItems: this.schemaOrBool(o, 'additionalItems', path, depth),
      definitions: this.schemaMap(o, 'definitions', path, depth),
      hasExternalDocs: o.externalDocs !== undefined && o.externalDocs !== null,
      hasExample: o.example !== undefined && o.example !== null,
      nullable: this.bool(o, 'nullable', path) ?? false,
      xPreserveUnknownFields: this.bool(o, 'x-kubernetes-preserve-unknown-fields', path),
      xEmbeddedResource: this.bool(o, 'x-kubernetes-embedded-resource', path) ?? false,
      xIntOrString: this.bool(o, 'x-kubernetes-int-or-string', path) ?? false,
      xListMapKeys: this.strings(o, 'x-kubernetes-list-map-keys', path),
      xListType:
        o['x-kubernetes-list-type'] === undefined || o['x-kubernetes-list-type'] === null
          ? undefined
          : this.str(o, 'x-kubernetes-list-type', path),
      xMapType:
        o['x-kubernetes-map-type'] === undefined || o['x-kubernetes-map-type'] === null
          ? undefined
          : this.str(o, 'x-kubernetes-map-type', path),
      xValidations: this.validations(o, path),
      raw: o,
    };
  }
}

/** ReadProps reads a wire schema into Props, collecting JSON type mismatches. */
export function readProps(
  raw: unknown,
  path: string,
  limits: ReadLimits = defaultLimits,
): { props: Props | undefined; errors: DecodeError[] } {
  const r = new Reader(limits);
  const props = r.props(raw, path, 0);
  return { props, errors: r.errors };
}

/** ItemsSchema returns the single items schema, or undefined (absent or the unsupported array form). */
export function itemsSchema(p: Props): Props | undefined {
  return p.items === undefined || Array.isArray(p.items) ? undefined : p.items;
}

/** SchemaHas reports whether pred holds for p or any schema nested in it (SchemaHas in validation.go). */
export function schemaHas(p: Props | undefined, pred: (p: Props) => boolean): boolean {
  if (p === undefined) return false;
  if (pred(p)) return true;
  if (p.items !== undefined) {
    if (Array.isArray(p.items)) {
      if (p.items.some((x) => schemaHas(x, pred))) return true;
    } else if (schemaHas(p.items, pred)) return true;
  }
  for (const list of [p.allOf, p.anyOf, p.oneOf]) if (list?.some((x) => schemaHas(x, pred))) return true;
  if (schemaHas(p.not, pred)) return true;
  for (const m of [p.properties, p.patternProperties, p.definitions]) {
    if (m !== undefined) for (const x of m.values()) if (schemaHas(x, pred)) return true;
  }
  if (typeof p.additionalProperties === 'object' && schemaHas(p.additionalProperties, pred)) return true;
  if (typeof p.additionalItems === 'object' && schemaHas(p.additionalItems, pred)) return true;
  if (p.dependencies !== undefined) {
    for (const d of p.dependencies.values()) if (!Array.isArray(d) && schemaHas(d, pred)) return true;
  }
  return false;
}
