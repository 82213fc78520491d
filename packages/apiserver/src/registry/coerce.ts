import { badRequest } from '../api/errors.ts';
import type { JSONSchemaProps } from '../contracts.ts';
import { OBJECT_META, resolveSchema, sharedSchemas } from './schemas.ts';

/**
 * Coerce decodes a built-in object the way kube's Go types do: unknown fields are dropped (and
 * reported, for fieldValidation), `null`s read as absent, and a value of the wrong JSON type is a
 * 400 naming the field. CR metadata goes through the same walk against ObjectMeta.
 */

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

function goType(s: JSONSchemaProps): string {
  switch (s.type) {
    case 'string':
      return s.format === 'byte' ? '[]uint8' : s.format === 'date-time' ? 'v1.Time' : 'string';
    case 'integer':
      return s.format === 'int32' ? 'int32' : 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'array':
      return `[]${isObj(s.items) ? goType(s.items as JSONSchemaProps) : 'interface {}'}`;
    case 'object':
      return isObj(s.additionalProperties) ? `map[string]${goType(s.additionalProperties as JSONSchemaProps)}` : 'struct';
    default:
      return 'interface {}';
  }
}

function isEmpty(v: unknown, s: JSONSchemaProps | undefined): boolean {
  if (v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  const isMap = s !== undefined && isObj(s.additionalProperties) && s.properties === undefined;
  return isMap && isObj(v) && Object.keys(v).length === 0;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface CoerceContext {
  kind: string;
  version: string;
  unknown: string[];
}

function fail(ctx: CoerceContext, msg: string): never {
  throw badRequest(`${ctx.kind} in version "${ctx.version}" cannot be handled as a ${ctx.kind}: ${msg}`);
}

function walk(v: unknown, schema: JSONSchemaProps | undefined, path: string, goPath: string, ctx: CoerceContext): unknown {
  const s = resolveSchema(schema);
  if (s === undefined || s['x-kubernetes-preserve-unknown-fields'] === true) return v;
  const t = s.type as string | undefined;
  if (t === undefined) return v;
  const mismatch = (): never => fail(ctx, `json: cannot unmarshal ${jsonType(v)} into Go struct field ${goPath} of type ${goType(s)}`);
  switch (t) {
    case 'string':
      if (typeof v !== 'string') mismatch();
      if (s.format === 'byte' && !BASE64.test((v as string).replace(/\s/g, ''))) fail(ctx, `illegal base64 data at input byte 0`);
      if (s.format === 'date-time' && v !== '' && !RFC3339.test(v as string)) {
        fail(ctx, `parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(v)} as "2006"`);
      }
      return v;
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        if (typeof v === 'number') fail(ctx, `json: cannot unmarshal number ${v} into Go struct field ${goPath} of type ${goType(s)}`);
        mismatch();
      }
      return v;
    case 'number':
      if (typeof v !== 'number') mismatch();
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') mismatch();
      return v;
    case 'array': {
      if (!Array.isArray(v)) mismatch();
      const items = isObj(s.items) ? (s.items as JSONSchemaProps) : undefined;
      return (v as unknown[]).map((it, i) => (it === null ? it : walk(it, items, `${path}[${i}]`, goPath, ctx)));
    }
    case 'object': {
      if (!isObj(v)) mismatch();
      const obj = v as Record<string, unknown>;
      const props = isObj(s.properties) ? (s.properties as Record<string, JSONSchemaProps>) : undefined;
      const addl = isObj(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined;
      for (const k of Object.keys(obj)) {
        const child = obj[k];
        const cs = props?.[k] ?? addl;
        const childPath = path === '' ? k : `${path}.${k}`;
        if (cs === undefined) {
          ctx.unknown.push(childPath);
          delete obj[k];
          continue;
        }
        if (child === null) {
          if (addl !== undefined && props === undefined) continue;
          delete obj[k];
          continue;
        }
        obj[k] = walk(child, cs, childPath, `${goPath}.${k}`, ctx);
        // Struct fields are omitempty in kube's Go types: empty maps, lists and strings are dropped
        // (empty structs are not: Go writes `{}` for them).
        if (props !== undefined && props[k] !== undefined && isEmpty(obj[k], resolveSchema(props[k]))) delete obj[k];
      }
      return obj;
    }
    default:
      return v;
  }
}

/** CoerceBuiltin prunes and type-checks a built-in object in place; returns the unknown field paths. */
export function coerceBuiltin(obj: Record<string, unknown>, schema: JSONSchemaProps, kind: string, version: string): string[] {
  const ctx: CoerceContext = { kind, version, unknown: [] };
  walk(obj, schema, '', kind, ctx);
  return ctx.unknown;
}

/** CoerceObjectMeta prunes and type-checks `metadata` of a custom resource; returns unknown paths. */
export function coerceObjectMeta(obj: Record<string, unknown>, kind: string, version: string): string[] {
  const ctx: CoerceContext = { kind, version, unknown: [] };
  if (obj.metadata === undefined || obj.metadata === null) {
    obj.metadata = {};
    return [];
  }
  obj.metadata = walk(obj.metadata, sharedSchemas[OBJECT_META], 'metadata', `${kind}.metadata`, ctx);
  return ctx.unknown;
}
