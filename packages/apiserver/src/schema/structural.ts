// The structural schema (apiextensions-apiserver pkg/apiserver/schema): the part of a schema that
// says what fields exist and of which type, separated from the value validations
// (allOf/anyOf/oneOf/not) that may only restrict values. Pruning, defaulting, list-type checks,
// embedded resources and CEL all walk this tree.
import { child, type FieldError, forbidden, index, invalid, key, required } from './field.ts';
import { itemsSchema, type Props, readProps, type ValidationRule } from './props.ts';
import { compileRe2, Re2SyntaxError } from './regex.ts';

export interface Generic {
  type: string;
  title: string;
  description: string;
  nullable: boolean;
  hasDefault: boolean;
  default: unknown;
}

export interface Extensions {
  preserveUnknownFields: boolean;
  embeddedResource: boolean;
  intOrString: boolean;
  listMapKeys: string[] | undefined;
  listType: string | undefined;
  mapType: string | undefined;
}

export interface ValueValidation {
  props: Props;
  allOf: NestedValueValidation[];
  oneOf: NestedValueValidation[];
  anyOf: NestedValueValidation[];
  not: NestedValueValidation | undefined;
}

export interface NestedValueValidation {
  value: ValueValidation;
  validations: ValidationRule[];
  items: NestedValueValidation | undefined;
  properties: Map<string, NestedValueValidation> | undefined;
  additionalProperties: NestedValueValidation | undefined;
  forbiddenGenerics: Generic;
  forbiddenExtensions: Extensions;
}

/** Structural is one node of a structural schema. */
export interface Structural {
  generic: Generic;
  extensions: Extensions;
  validations: ValidationRule[];
  value: ValueValidation;
  items: Structural | undefined;
  properties: Map<string, Structural> | undefined;
  /** AdditionalProperties: a schema (`schema`), or a bare bool. */
  additionalProperties: { schema: Structural | undefined; allows: boolean } | undefined;
}

function generic(p: Props): Generic {
  return { type: p.type, title: p.title, description: p.description, nullable: p.nullable, hasDefault: p.hasDefault, default: p.default };
}

function extensions(p: Props): Extensions {
  return {
    preserveUnknownFields: p.xPreserveUnknownFields === true,
    embeddedResource: p.xEmbeddedResource,
    intOrString: p.xIntOrString,
    listMapKeys: p.xListMapKeys !== undefined && p.xListMapKeys.length > 0 ? p.xListMapKeys : undefined,
    listType: p.xListType,
    mapType: p.xMapType,
  };
}

function valueValidation(p: Props): ValueValidation {
  return {
    props: p,
    allOf: (p.allOf ?? []).map(nested),
    oneOf: (p.oneOf ?? []).map(nested),
    anyOf: (p.anyOf ?? []).map(nested),
    not: p.not === undefined ? undefined : nested(p.not),
  };
}

function emptyProps(): Props {
  const p = readProps({}, '').props;
  if (p === undefined) throw new Error('unreachable: empty schema');
  return p;
}

function nested(p: Props): NestedValueValidation {
  let properties: Map<string, NestedValueValidation> | undefined;
  if (p.properties !== undefined && p.properties.size > 0) {
    properties = new Map();
    for (const [k, v] of p.properties) properties.set(k, nested(v));
  }
  const items = itemsSchema(p);
  return {
    value: valueValidation(p),
    validations: p.xValidations ?? [],
    items: items === undefined ? undefined : nested(items),
    properties,
    additionalProperties:
      typeof p.additionalProperties === 'object'
        ? nested(p.additionalProperties)
        : p.additionalProperties === true
          ? nested(emptyProps())
          : undefined,
    forbiddenGenerics: generic(p),
    forbiddenExtensions: extensions(p),
  };
}

/** StructuralConversionError is NewStructural's error: the schema uses something a structural schema cannot express. */
export class StructuralConversionError extends Error {
  override name = 'StructuralConversionError';
}

/** ToStructural converts Props to a structural schema (NewStructural). */
export function toStructural(p: Props): Structural {
  if (p.id !== '') throw new StructuralConversionError("OpenAPIV3Schema 'id' is not supported");
  if (p.$schema !== '') throw new StructuralConversionError("OpenAPIV3Schema 'schema' is not supported");
  if (p.$ref !== undefined && p.$ref !== '') throw new StructuralConversionError("OpenAPIV3Schema '$ref' is not supported");
  if (p.patternProperties !== undefined && p.patternProperties.size > 0) {
    throw new StructuralConversionError("OpenAPIV3Schema 'patternProperties' is not supported");
  }
  if (p.dependencies !== undefined && p.dependencies.size > 0)
    throw new StructuralConversionError("OpenAPIV3Schema 'dependencies' is not supported");
  if (p.additionalItems !== undefined) throw new StructuralConversionError("OpenAPIV3Schema 'additionalItems' is not supported");
  if (p.definitions !== undefined && p.definitions.size > 0)
    throw new StructuralConversionError("OpenAPIV3Schema 'definitions' is not supported");
  if (Array.isArray(p.items)) throw new StructuralConversionError("OpenAPIV3Schema 'items' must be a schema, but is an array");
  if (p.xPreserveUnknownFields === false) {
    throw new StructuralConversionError("internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined");
  }
  let properties: Map<string, Structural> | undefined;
  if (p.properties !== undefined && p.properties.size > 0) {
    properties = new Map();
    for (const [k, v] of p.properties) properties.set(k, toStructural(v));
  }
  let additionalProperties: Structural['additionalProperties'];
  if (typeof p.additionalProperties === 'object') additionalProperties = { schema: toStructural(p.additionalProperties), allows: true };
  else if (typeof p.additionalProperties === 'boolean') additionalProperties = { schema: undefined, allows: p.additionalProperties };
  return {
    generic: generic(p),
    extensions: extensions(p),
    validations: p.xValidations ?? [],
    value: valueValidation(p),
    items: p.items === undefined ? undefined : toStructural(p.items),
    properties,
    additionalProperties,
  };
}

/** AdditionalSchema returns the schema of additional properties (undefined for a bare bool or none). */
export function additionalSchema(s: Structural | undefined): Structural | undefined {
  return s?.additionalProperties?.schema;
}

// ---------------------------------------------------------------------------------------------
// ValidateStructural (schema/validation.go and complete.go)

const Level = { root: 0, item: 1, field: 2 } as const;
type Level = (typeof Level)[keyof typeof Level];

function isIntOrStringPair(list: NestedValueValidation[]): boolean {
  if (list.length !== 2) return false;
  const [a, b] = list;
  return a !== undefined && b !== undefined && isOnlyType(a, 'integer') && isOnlyType(b, 'string');
}

// IsOnlyType: a nested value validation that is exactly `{type: t}` (reflect.DeepEqual against the pattern).
function isOnlyType(n: NestedValueValidation, t: string): boolean {
  const raw = n.value.props.raw;
  const keys = Object.keys(raw).filter((k) => raw[k] !== undefined && raw[k] !== null);
  return keys.length === 1 && keys[0] === 'type' && raw.type === t;
}

/** ValidateStructural checks that s is a structural schema; errors are sorted as kube sorts them. */
export function validateStructural(path: string, s: Structural): FieldError[] {
  const errs = [...invariants(s, Level.root, path), ...completeness(s, path)];
  return errs;
}

function invariants(s: Structural | undefined, lvl: Level, path: string): FieldError[] {
  if (s === undefined) return [];
  const errs: FieldError[] = [];
  const g = s.generic;
  const x = s.extensions;
  if (g.type === 'array' && s.items === undefined) errs.push(required(child(path, 'items'), 'must be specified'));
  errs.push(...invariants(s.items, Level.item, child(path, 'items')));
  if (s.properties !== undefined) {
    for (const [k, v] of s.properties) errs.push(...invariants(v, Level.field, key(child(path, 'properties'), k)));
  }
  if (s.additionalProperties !== undefined) {
    if (lvl === Level.root) errs.push(forbidden(child(path, 'additionalProperties'), 'must not be used at the root'));
    if (s.additionalProperties.schema !== undefined) {
      errs.push(...invariants(s.additionalProperties.schema, Level.field, child(path, 'additionalProperties')));
    }
  }
  if (x.intOrString && x.preserveUnknownFields) {
    errs.push(invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), true, 'must be false if x-kubernetes-int-or-string is true'));
  }
  if (x.intOrString && x.embeddedResource) {
    errs.push(invalid(child(path, 'x-kubernetes-embedded-resource'), true, 'must be false if x-kubernetes-int-or-string is true'));
  }
  const skipAnyOf = isIntOrStringPair(s.value.anyOf);
  const firstAllOf = s.value.allOf[0];
  const skipFirstAllOfAnyOf = firstAllOf !== undefined && isIntOrStringPair(firstAllOf.value.anyOf);
  errs.push(...valueValidationErrors(s.value, skipAnyOf, skipFirstAllOfAnyOf, lvl, path));

  const checkMetadata = lvl === Level.root || x.embeddedResource;
  if (x.embeddedResource && g.type !== 'object') {
    if (g.type === '') errs.push(required(child(path, 'type'), 'must be object if x-kubernetes-embedded-resource is true'));
    else errs.push(invalid(child(path, 'type'), g.type, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (g.type === '' && !x.intOrString && !x.preserveUnknownFields) {
    const detail =
      lvl === Level.root
        ? 'must not be empty at the root'
        : lvl === Level.item
          ? 'must not be empty for specified array items'
          : 'must not be empty for specified object fields';
    errs.push(required(child(path, 'type'), detail));
  }
  if (x.embeddedResource && s.additionalProperties !== undefined) {
    errs.push(forbidden(child(path, 'additionalProperties'), 'must not be used if x-kubernetes-embedded-resource is set'));
  }
  if (lvl === Level.root && g.type !== '' && g.type !== 'object')
    errs.push(invalid(child(path, 'type'), g.type, 'must be object at the root'));
  const kind = s.properties?.get('kind');
  if (kind !== undefined && checkMetadata && kind.generic.type !== 'string') {
    errs.push(invalid(child(key(child(path, 'properties'), 'kind'), 'type'), kind.generic.type, 'must be string'));
  }
  const apiVersion = s.properties?.get('apiVersion');
  if (apiVersion !== undefined && checkMetadata && apiVersion.generic.type !== 'string') {
    errs.push(invalid(child(key(child(path, 'properties'), 'apiVersion'), 'type'), apiVersion.generic.type, 'must be string'));
  }
  const metadata = s.properties?.get('metadata');
  if (metadata !== undefined) errs.push(...metadataInvariants(metadata, checkMetadata, lvl, key(child(path, 'properties'), 'metadata')));
  if (x.embeddedResource && !x.preserveUnknownFields && (s.properties === undefined || s.properties.size === 0)) {
    errs.push(
      required(
        child(path, 'properties'),
        'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
      ),
    );
  }
  return errs;
}

function metadataInvariants(s: Structural, checkMetadata: boolean, lvl: Level, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (checkMetadata && s.generic.type !== 'object') errs.push(invalid(child(path, 'type'), s.generic.type, 'must be object'));
  if (lvl === Level.root) {
    // Only `type`, and `properties` restricted to name/generateName, may be set.
    const props = s.properties;
    let propsOk = props === undefined;
    if (props !== undefined) {
      const names = [...props.keys()];
      propsOk = names.length > 0 && names.length <= 2 && names.every((n) => n === 'name' || n === 'generateName');
    }
    const raw = s.value.props.raw;
    const other = Object.keys(raw).filter(
      (k) => k !== 'type' && k !== 'properties' && k !== 'default' && raw[k] !== undefined && raw[k] !== null,
    );
    const nonZero = other.filter((k) => !isZeroKeyword(k, raw[k]));
    if (!propsOk || nonZero.length > 0) {
      errs.push(forbidden(path, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    }
  }
  return errs;
}

// IsZeroKeyword: keywords whose zero value Go's reflect.DeepEqual against an empty Structural treats as unset.
function isZeroKeyword(k: string, v: unknown): boolean {
  if (v === false || v === '') return true;
  if (Array.isArray(v) && v.length === 0 && k !== 'enum') return true;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0 && k !== 'default' && k !== 'example')
    return true;
  return false;
}

function valueValidationErrors(
  v: ValueValidation,
  skipAnyOf: boolean,
  skipFirstAllOfAnyOf: boolean,
  lvl: Level,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!skipAnyOf) {
    v.anyOf.forEach((n, i) => {
      errs.push(...nestedErrors(n, false, lvl, index(child(path, 'anyOf'), i), true));
    });
  }
  v.allOf.forEach((n, i) => {
    errs.push(...nestedErrors(n, skipFirstAllOfAnyOf && i === 0, lvl, index(child(path, 'allOf'), i), false));
  });
  v.oneOf.forEach((n, i) => {
    errs.push(...nestedErrors(n, false, lvl, index(child(path, 'oneOf'), i), true));
  });
  if (v.not !== undefined) errs.push(...nestedErrors(v.not, false, lvl, child(path, 'not'), true));
  const pattern = v.props.pattern;
  if (pattern !== '') {
    try {
      compileRe2(pattern);
    } catch (e) {
      const msg = e instanceof Re2SyntaxError ? e.message : String(e);
      errs.push(invalid(child(path, 'pattern'), pattern, `must be a valid regular expression, but isn't: ${msg}`));
    }
  }
  return errs;
}

function nestedErrors(v: NestedValueValidation, skipAnyOf: boolean, lvl: Level, path: string, celDisabled: boolean): FieldError[] {
  const errs: FieldError[] = [];
  errs.push(...valueValidationErrors(v.value, skipAnyOf, false, lvl, path));
  if (v.items !== undefined) errs.push(...nestedErrors(v.items, false, lvl, child(path, 'items'), celDisabled));
  if (v.properties !== undefined) {
    for (const [k, f] of v.properties) errs.push(...nestedErrors(f, false, Level.field, key(child(path, 'properties'), k), celDisabled));
  }
  const g = v.forbiddenGenerics;
  const x = v.forbiddenExtensions;
  if (g.type !== '') errs.push(forbidden(child(path, 'type'), 'must be empty to be structural'));
  if (v.additionalProperties !== undefined) {
    errs.push(forbidden(child(path, 'additionalProperties'), 'must be undefined to be structural'));
  }
  if (g.hasDefault) errs.push(forbidden(child(path, 'default'), 'must be undefined to be structural'));
  if (g.title !== '') errs.push(forbidden(child(path, 'title'), 'must be empty to be structural'));
  if (g.description !== '') errs.push(forbidden(child(path, 'description'), 'must be empty to be structural'));
  if (g.nullable) errs.push(forbidden(child(path, 'nullable'), 'must be false to be structural'));
  if (x.preserveUnknownFields) errs.push(forbidden(child(path, 'x-kubernetes-preserve-unknown-fields'), 'must be false to be structural'));
  if (x.embeddedResource) errs.push(forbidden(child(path, 'x-kubernetes-embedded-resource'), 'must be false to be structural'));
  if (x.intOrString) errs.push(forbidden(child(path, 'x-kubernetes-int-or-string'), 'must be false to be structural'));
  if (x.listMapKeys !== undefined) errs.push(forbidden(child(path, 'x-kubernetes-list-map-keys'), 'must be empty to be structural'));
  if (x.listType !== undefined) errs.push(forbidden(child(path, 'x-kubernetes-list-type'), 'must be undefined to be structural'));
  if (x.mapType !== undefined) errs.push(forbidden(child(path, 'x-kubernetes-map-type'), 'must be undefined to be structural'));
  // x-kubernetes-validations are allowed in allOf only (AllowNestedXValidations is false for CRDs).
  if (v.validations.length > 0) errs.push(forbidden(child(path, 'x-kubernetes-validations'), 'must be empty to be structural'));
  if (v.properties?.has('metadata') === true) {
    errs.push(forbidden(key(child(path, 'properties'), 'metadata'), 'must not be specified in a nested context'));
  }
  return errs;
}

function completeness(s: Structural, path: string): FieldError[] {
  return valueCompleteness(s.value, s, path, path);
}

function valueCompleteness(v: ValueValidation, s: Structural | undefined, sPath: string, vPath: string): FieldError[] {
  if (s === undefined) return [required(sPath, `because it is defined in ${vPath}`)];
  const errs: FieldError[] = [];
  if (v.not !== undefined) errs.push(...nestedCompleteness(v.not, s, sPath, child(vPath, 'not')));
  v.allOf.forEach((n, i) => {
    errs.push(...nestedCompleteness(n, s, sPath, index(child(vPath, 'allOf'), i)));
  });
  v.anyOf.forEach((n, i) => {
    errs.push(...nestedCompleteness(n, s, sPath, index(child(vPath, 'anyOf'), i)));
  });
  v.oneOf.forEach((n, i) => {
    errs.push(...nestedCompleteness(n, s, sPath, index(child(vPath, 'oneOf'), i)));
  });
  return errs;
}

function nestedCompleteness(v: NestedValueValidation, s: Structural | undefined, sPath: string, vPath: string): FieldError[] {
  if (s === undefined) return [required(sPath, `because it is defined in ${vPath}`)];
  const errs: FieldError[] = [];
  errs.push(...valueCompleteness(v.value, s, sPath, vPath));
  if (v.items !== undefined) errs.push(...nestedCompleteness(v.items, s.items, child(sPath, 'items'), child(vPath, 'items')));
  if (v.properties !== undefined) {
    for (const [k, f] of v.properties) {
      const sf = s.properties?.get(k);
      if (sf === undefined) {
        errs.push(required(key(child(sPath, 'properties'), k), `because it is defined in ${key(child(vPath, 'properties'), k)}`));
      } else errs.push(...nestedCompleteness(f, sf, key(child(sPath, 'properties'), k), key(child(vPath, 'properties'), k)));
    }
  }
  return errs;
}
