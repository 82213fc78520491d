// CEL declaration types derived from a structural schema (k8s.io/apiserver/pkg/cel/common
// SchemaDeclType), with the size estimates kube uses for cost estimation, and property-name
// escaping (apiserver/pkg/cel/escaping.go).
import type { Structural } from '../structural.ts';

export const maxRequestSizeBytes = 3 * 1024 * 1024;

export type DeclKind = 'object' | 'map' | 'list' | 'string' | 'bytes' | 'int' | 'double' | 'bool' | 'timestamp' | 'duration' | 'dyn';

export interface DeclField {
  /** Name is the schema property name (unescaped). */
  name: string;
  type: DeclType;
  required: boolean;
}

/** DeclType is a CEL type with the size bounds used by the cost estimator. */
export interface DeclType {
  kind: DeclKind;
  /** Fields of an object, by escaped name. */
  fields?: Map<string, DeclField>;
  /** Elem is a list's element type or a map's value type. */
  elem?: DeclType;
  /** IntOrString marks the dyn type of `x-kubernetes-int-or-string`. */
  intOrString?: boolean;
  /** Format keeps `date` apart from `date-time` for value conversion. */
  format?: string;
  maxElements: number;
  minSerializedSize: number;
}

const reserved = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);

/** Escape maps a property name to its CEL identifier, or undefined when it cannot be accessed from CEL. */
export function escapeIdent(ident: string): string | undefined {
  if (ident === '' || ((ident[0] ?? '') >= '0' && (ident[0] ?? '') <= '9')) return undefined;
  if (reserved.has(ident)) return `__${ident}__`;
  if (!/^[A-Za-z0-9_./-]*$/.test(ident)) return undefined;
  if (/^[A-Za-z0-9_]*$/.test(ident) && !ident.includes('__')) return ident;
  return ident.replace(/__|[-./]/g, (m) => {
    switch (m) {
      case '__':
        return '__underscores__';
      case '.':
        return '__dot__';
      case '-':
        return '__dash__';
      default:
        return '__slash__';
    }
  });
}

/** Unescape maps a CEL identifier back to the property name (for field paths in errors). */
export function unescapeIdent(ident: string): string {
  if (ident.startsWith('__') && ident.endsWith('__') && reserved.has(ident.slice(2, -2))) return ident.slice(2, -2);
  return ident.replace(
    /__(underscores|dot|dash|slash)__/g,
    (_m, w: string) => ({ underscores: '__', dot: '.', dash: '-', slash: '/' })[w] ?? '',
  );
}

function simple(kind: DeclKind, minSize: number, maxElements = 0): DeclType {
  return { kind, minSerializedSize: minSize, maxElements };
}

function maxStringLengthPerRequest(s: Structural): number {
  if (s.extensions.intOrString) return maxRequestSizeBytes - 2;
  switch (s.value.props.format) {
    case 'duration':
      return 32;
    case 'date':
      return 12;
    case 'date-time':
      return 32;
    default:
      return maxRequestSizeBytes - 2;
  }
}

/** WithTypeAndObjectMeta adds apiVersion, kind and metadata.{name,generateName} (resource roots). */
function withTypeAndObjectMeta(s: Structural): Structural {
  const props = new Map(s.properties ?? []);
  const str = (): Structural => stringSchema();
  if (!props.has('kind')) props.set('kind', str());
  if (!props.has('apiVersion')) props.set('apiVersion', str());
  const meta = props.get('metadata');
  const metaProps = new Map(meta?.properties ?? []);
  metaProps.set('name', str());
  metaProps.set('generateName', str());
  props.set('metadata', {
    ...(meta ?? objectSchema()),
    generic: { ...(meta ?? objectSchema()).generic, type: 'object' },
    properties: metaProps,
  });
  return { ...s, properties: props };
}

function objectSchema(): Structural {
  return {
    generic: { type: 'object', title: '', description: '', nullable: false, hasDefault: false, default: undefined },
    extensions: {
      preserveUnknownFields: false,
      embeddedResource: false,
      intOrString: false,
      listMapKeys: undefined,
      listType: undefined,
      mapType: undefined,
    },
    validations: [],
    value: {
      props: { format: '', enum: undefined, maxLength: undefined, raw: {} } as unknown as Structural['value']['props'],
      allOf: [],
      oneOf: [],
      anyOf: [],
      not: undefined,
    },
    items: undefined,
    properties: undefined,
    additionalProperties: undefined,
  };
}

function stringSchema(): Structural {
  const o = objectSchema();
  return { ...o, generic: { ...o.generic, type: 'string' } };
}

/** SchemaDeclType converts a structural schema node to its CEL type (undefined when CEL cannot represent it). */
export function schemaDeclType(s: Structural | undefined, isResourceRoot: boolean): DeclType | undefined {
  if (s === undefined) return undefined;
  const p = s.value.props;
  if (s.extensions.intOrString) {
    const dyn: DeclType = { kind: 'dyn', intOrString: true, minSerializedSize: 1, maxElements: 0 };
    dyn.maxElements = p.maxLength !== undefined ? Math.max(0, p.maxLength) * 4 : maxStringLengthPerRequest(s);
    return dyn;
  }
  const node = isResourceRoot ? withTypeAndObjectMeta(s) : s;
  switch (node.generic.type) {
    case 'array': {
      if (node.items === undefined) return undefined;
      const elem = schemaDeclType(node.items, node.items.extensions.embeddedResource);
      if (elem === undefined) return undefined;
      const max = p.maxItems !== undefined ? Math.max(0, p.maxItems) : Math.floor((maxRequestSizeBytes - 2) / (elem.minSerializedSize + 1));
      return { kind: 'list', elem, maxElements: max, minSerializedSize: 2 };
    }
    case 'object': {
      const ap = node.additionalProperties?.schema;
      if (ap !== undefined) {
        const elem = schemaDeclType(ap, ap.extensions.embeddedResource);
        if (elem === undefined) return undefined;
        const max =
          p.maxProperties !== undefined
            ? Math.max(0, p.maxProperties)
            : Math.floor((maxRequestSizeBytes - 2) / (elem.minSerializedSize + 6));
        return { kind: 'map', elem, maxElements: max, minSerializedSize: 2 };
      }
      const fields = new Map<string, DeclField>();
      const required = new Set(p.required ?? []);
      let minSize = 2;
      for (const [name, prop] of node.properties ?? []) {
        const t = schemaDeclType(prop, prop.extensions.embeddedResource);
        if (t === undefined) continue;
        const esc = escapeIdent(name);
        if (esc !== undefined) fields.set(esc, { name, type: t, required: required.has(name) });
        if (required.has(name) && !prop.generic.hasDefault) minSize += name.length + t.minSerializedSize + 4;
      }
      return { kind: 'object', fields, maxElements: 0, minSerializedSize: minSize };
    }
    case 'string': {
      switch (p.format) {
        case 'byte':
          return simple('bytes', 2, p.maxLength !== undefined ? Math.max(0, p.maxLength) : maxStringLengthPerRequest(node));
        case 'duration':
          return simple('duration', 3, maxStringLengthPerRequest(node));
        case 'date':
          return { ...simple('timestamp', 12, maxStringLengthPerRequest(node)), format: 'date' };
        case 'date-time':
          return { ...simple('timestamp', 21, maxStringLengthPerRequest(node)), format: 'date-time' };
      }
      let max: number;
      if (p.maxLength !== undefined) max = Math.max(0, p.maxLength) * 4;
      else if (p.enum !== undefined && p.enum.length > 0)
        max = Math.max(0, ...p.enum.map((v) => (typeof v === 'string' ? new TextEncoder().encode(v).length : 0)));
      else max = maxStringLengthPerRequest(node);
      return simple('string', 2, max);
    }
    case 'boolean':
      return simple('bool', 4);
    case 'number':
      return simple('double', 1);
    case 'integer':
      return simple('int', 1);
  }
  return undefined;
}

/** TypeName prints a DeclType as cel-go prints types in messages. */
export function typeName(t: DeclType): string {
  switch (t.kind) {
    case 'list':
      return `list(${t.elem === undefined ? 'dyn' : typeName(t.elem)})`;
    case 'map':
      return `map(string, ${t.elem === undefined ? 'dyn' : typeName(t.elem)})`;
    case 'object':
      return 'object';
    case 'timestamp':
      return 'google.protobuf.Timestamp';
    case 'duration':
      return 'google.protobuf.Duration';
    default:
      return t.kind;
  }
}
