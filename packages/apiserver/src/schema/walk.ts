// Structural walks over a custom resource: pruning unknown fields, dropping non-nullable nulls,
// defaulting, list-type (set/map) uniqueness, and embedded-resource checks, each a port of the
// apiextensions-apiserver algorithm of the same name.
import { child, duplicate, type FieldError, index, invalid, key, required } from './field.ts';
import { compareGoStrings, goJSON } from './gofmt.ts';
import { deepCopyJSON } from './json.ts';
import { isDNS1035Label, nameIsPathSegment, validateObjectMeta } from './names.ts';
import type { Structural } from './structural.ts';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** MaxWalkDepth bounds recursion over schema-less (preserved) values, so hostile nesting fails fast. */
export const maxWalkDepth = 10_000;

/** TooDeepError reports a value nested deeper than maxWalkDepth. */
export class TooDeepError extends Error {
  override name = 'TooDeepError';
}

const metaFields = new Set(['apiVersion', 'kind', 'metadata']);

/** EmbeddedRoot returns s marked as an embedded resource (how kube treats the resource root). */
export function embeddedRoot(s: Structural | undefined): Structural {
  const base: Structural = s ?? {
    generic: { type: '', title: '', description: '', nullable: false, hasDefault: false, default: undefined },
    extensions: {
      preserveUnknownFields: false,
      embeddedResource: false,
      intOrString: false,
      listMapKeys: undefined,
      listType: undefined,
      mapType: undefined,
    },
    validations: [],
    value: { props: { raw: {} } as Structural['value']['props'], allOf: [], oneOf: [], anyOf: [], not: undefined },
    items: undefined,
    properties: undefined,
    additionalProperties: undefined,
  };
  if (base.extensions.embeddedResource) return base;
  return { ...base, extensions: { ...base.extensions, embeddedResource: true } };
}

// ---------------------------------------------------------------------------------------------
// Pruning (schema/pruning/algorithm.go)

/** Prune removes unknown fields in place and returns their paths, sorted as kube sorts them. */
export function prune(obj: unknown, s: Structural | undefined, isResourceRoot: boolean): string[] {
  const root = isResourceRoot ? embeddedRoot(s) : s;
  const out: string[] = [];
  pruneValue(obj, root, '', out, 0);
  out.sort(compareGoStrings);
  return out;
}

function appendKey(parent: string, k: string): string {
  return parent === '' ? k : `${parent}.${k}`;
}

function pruneValue(x: unknown, s: Structural | undefined, path: string, out: string[], depth: number): void {
  if (depth > maxWalkDepth) throw new TooDeepError(`object nesting exceeds ${maxWalkDepth} levels at ${path || '<root>'}`);
  if (s?.extensions.preserveUnknownFields === true) {
    skipPrune(x, s, path, out, depth);
    return;
  }
  if (isRecord(x)) {
    if (s === undefined) {
      for (const k of Object.keys(x)) {
        out.push(appendKey(path, k));
        delete x[k];
      }
      return;
    }
    for (const k of Object.keys(x)) {
      if (s.extensions.embeddedResource && metaFields.has(k)) continue;
      const prop = s.properties?.get(k);
      if (prop !== undefined) pruneValue(x[k], prop, appendKey(path, k), out, depth + 1);
      else if (s.additionalProperties !== undefined) pruneValue(x[k], s.additionalProperties.schema, appendKey(path, k), out, depth + 1);
      else {
        if (!metaFields.has(k) || path !== '') out.push(appendKey(path, k));
        delete x[k];
      }
    }
    return;
  }
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) pruneValue(x[i], s?.items, `${path}[${i}]`, out, depth + 1);
  }
}

function skipPrune(x: unknown, s: Structural | undefined, path: string, out: string[], depth: number): void {
  if (s === undefined) return;
  if (depth > maxWalkDepth) throw new TooDeepError(`object nesting exceeds ${maxWalkDepth} levels at ${path || '<root>'}`);
  if (isRecord(x)) {
    for (const k of Object.keys(x)) {
      if (s.extensions.embeddedResource && metaFields.has(k)) continue;
      const prop = s.properties?.get(k);
      if (prop !== undefined) pruneValue(x[k], prop, appendKey(path, k), out, depth + 1);
      else if (s.additionalProperties !== undefined) pruneValue(x[k], s.additionalProperties.schema, appendKey(path, k), out, depth + 1);
    }
    return;
  }
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) skipPrune(x[i], s.items, `${path}[${i}]`, out, depth + 1);
  }
}

// ---------------------------------------------------------------------------------------------
// PruneNonNullableNullsWithoutDefaults and Default (schema/defaulting)

function fieldSchema(k: string, s: Structural | undefined): Structural | undefined {
  if (s === undefined) return undefined;
  return s.properties?.get(k) ?? s.additionalProperties?.schema;
}

/** DropNulls deletes `null` values where the schema is not nullable and has no default. */
export function dropNonNullableNulls(x: unknown, s: Structural | undefined): void {
  if (isRecord(x)) {
    for (const k of Object.keys(x)) {
      const sub = fieldSchema(k, s);
      if (x[k] === null && sub !== undefined && !sub.generic.nullable && !sub.generic.hasDefault) delete x[k];
      else dropNonNullableNulls(x[k], sub);
    }
  } else if (Array.isArray(x)) {
    for (const v of x) dropNonNullableNulls(v, s?.items);
  }
}

function isNonNullableNull(x: unknown, s: Structural | undefined): boolean {
  return x === null && s !== undefined && !s.generic.nullable;
}

/** ApplyDefaults sets schema defaults in place, top-down (defaulting/algorithm.go Default). */
export function applyDefaults(x: unknown, s: Structural | undefined): void {
  if (s === undefined || !subtreeHas(s, defaultFlags, hasDefault)) return;
  if (isRecord(x)) {
    if (s.properties !== undefined) {
      for (const [k, prop] of s.properties) {
        if (!prop.generic.hasDefault) continue;
        if (!Object.hasOwn(x, k) || isNonNullableNull(x[k], prop)) x[k] = deepCopyJSON(prop.generic.default);
      }
    }
    for (const k of Object.keys(x)) {
      const prop = s.properties?.get(k);
      if (prop !== undefined) applyDefaults(x[k], prop);
      else if (s.additionalProperties !== undefined) {
        const ap = s.additionalProperties.schema;
        if (isNonNullableNull(x[k], ap) && ap?.generic.hasDefault === true) x[k] = deepCopyJSON(ap.generic.default);
        applyDefaults(x[k], ap);
      }
    }
  } else if (Array.isArray(x)) {
    const items = s.items;
    for (let i = 0; i < x.length; i++) {
      if (isNonNullableNull(x[i], items) && items?.generic.hasDefault === true) x[i] = deepCopyJSON(items.generic.default);
      applyDefaults(x[i], items);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Subtree flags: walks that only matter where the schema has list types or embedded resources skip
// every subtree that has none (computed once per schema node).

const listTypeFlags = new WeakMap<Structural, boolean>();
const embeddedFlags = new WeakMap<Structural, boolean>();
const defaultFlags = new WeakMap<Structural, boolean>();

/** HasDefaults reports whether any node of the schema has a `default` (defaulting can change an object). */
export function hasDefaults(s: Structural | undefined): boolean {
  return subtreeHas(s, defaultFlags, hasDefault);
}

function subtreeHas(s: Structural | undefined, cache: WeakMap<Structural, boolean>, pred: (s: Structural) => boolean, depth = 0): boolean {
  if (s === undefined || depth > 1000) return false;
  const hit = cache.get(s);
  if (hit !== undefined) return hit;
  let r = pred(s) || subtreeHas(s.items, cache, pred, depth + 1) || subtreeHas(s.additionalProperties?.schema, cache, pred, depth + 1);
  if (!r && s.properties !== undefined) {
    for (const p of s.properties.values()) {
      if (subtreeHas(p, cache, pred, depth + 1)) {
        r = true;
        break;
      }
    }
  }
  cache.set(s, r);
  return r;
}

const isListSetOrMap = (s: Structural): boolean => s.extensions.listType === 'set' || s.extensions.listType === 'map';
const isEmbedded = (s: Structural): boolean => s.extensions.embeddedResource;
const hasDefault = (s: Structural): boolean => s.generic.hasDefault;

// ---------------------------------------------------------------------------------------------
// List-type set/map uniqueness (schema/listtype/validation.go)

/** ValidateListSetsAndMaps reports duplicate items of `set` lists and duplicate keys of `map` lists. */
export function validateListSetsAndMaps(path: string, s: Structural | undefined, obj: unknown): FieldError[] {
  if (s === undefined || !isRecord(obj) || !subtreeHas(s, listTypeFlags, isListSetOrMap)) return [];
  const errs: FieldError[] = [];
  const ap = s.additionalProperties?.schema;
  if (ap !== undefined) for (const [k, v] of Object.entries(obj)) errs.push(...listValue(key(path, k), ap, v));
  if (s.properties !== undefined) {
    for (const [k, v] of Object.entries(obj)) {
      const sub = s.properties.get(k);
      if (sub !== undefined) errs.push(...listValue(child(path, k), sub, v));
    }
  }
  return errs;
}

function listValue(path: string, s: Structural, v: unknown): FieldError[] {
  if (!subtreeHas(s, listTypeFlags, isListSetOrMap)) return [];
  if (Array.isArray(v)) return listArray(path, s, v);
  if (isRecord(v)) return validateListSetsAndMaps(path, s, v);
  return [];
}

function listArray(path: string, s: Structural, list: unknown[]): FieldError[] {
  const errs: FieldError[] = [];
  const lt = s.extensions.listType;
  if (lt === 'set') {
    for (const i of nonUnique(list)) errs.push(duplicate(index(path, i), list[i]));
  } else if (lt === 'map') {
    errs.push(...listMap(path, s, list));
  }
  if (s.items !== undefined) {
    for (let i = 0; i < list.length; i++) errs.push(...listValue(index(path, i), s.items, list[i]));
  }
  return errs;
}

const unspecified = Symbol('unspecified');

function identity(x: unknown): string {
  if (x === unspecified) return 'u';
  if (typeof x === 'object' && x !== null) return `c${goJSON(x)}`;
  if (typeof x === 'number') return `n${x}`;
  if (typeof x === 'string') return `s${x}`;
  return `o${String(x)}`;
}

function nonUnique(list: unknown[]): number[] {
  if (list.length <= 1) return [];
  const seen = new Map<string, number>();
  const out: number[] = [];
  list.forEach((x, i) => {
    const id = identity(x);
    const times = seen.get(id) ?? 0;
    seen.set(id, times + 1);
    if (times === 1) out.push(i);
  });
  return out;
}

function listMap(path: string, s: Structural, list: unknown[]): FieldError[] {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x !== null && !isRecord(x)) return [invalid(index(path, i), x, 'must be an object for an array of list-type map')];
  }
  if (list.length <= 1) return [];
  const keyNames = s.extensions.listMapKeys ?? [];
  if (keyNames.length === 1) {
    const k = keyNames[0] ?? '';
    const keys = list.map((x) => (isRecord(x) && Object.hasOwn(x, k) ? x[k] : unspecified));
    return nonUnique(keys).map((i) => duplicate(index(path, i), keys[i] === unspecified ? {} : { [k]: keys[i] }));
  }
  const keys = list.map((x) => {
    const m: Record<string, unknown> = {};
    if (isRecord(x)) for (const k of keyNames) if (Object.hasOwn(x, k)) m[k] = x[k];
    return m;
  });
  return nonUnique(keys).map((i) => duplicate(index(path, i), keys[i]));
}

// ---------------------------------------------------------------------------------------------
// Embedded resources (schema/objectmeta/validation.go)

/** ValidateEmbedded checks apiVersion, kind and metadata of every x-kubernetes-embedded-resource value. */
export function validateEmbedded(path: string, x: unknown, s: Structural | undefined, isResourceRoot: boolean): FieldError[] {
  return embedded(path, x, isResourceRoot ? embeddedRoot(s) : s);
}

function embedded(path: string, x: unknown, s: Structural | undefined): FieldError[] {
  if (s === undefined || !subtreeHas(s, embeddedFlags, isEmbedded)) return [];
  const errs: FieldError[] = [];
  if (isRecord(x)) {
    if (s.extensions.embeddedResource) errs.push(...embeddedResource(path, x));
    for (const [k, v] of Object.entries(x)) {
      const prop = s.properties?.get(k);
      if (prop !== undefined) errs.push(...embedded(child(path, k), v, prop));
      else if (s.additionalProperties !== undefined) errs.push(...embedded(key(path, k), v, s.additionalProperties.schema));
    }
  } else if (Array.isArray(x)) {
    x.forEach((v, i) => {
      errs.push(...embedded(index(path, i), v, s.items));
    });
  }
  return errs;
}

function parseGroupVersionError(apiVersion: string): string | undefined {
  if (apiVersion === '' || apiVersion === '/') return undefined;
  const parts = apiVersion.split('/');
  if (parts.length <= 2) return undefined;
  return `unexpected GroupVersion string: ${apiVersion}`;
}

function embeddedResource(path: string, x: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  if (!Object.hasOwn(x, 'apiVersion')) errs.push(required(child(path, 'apiVersion')));
  if (!Object.hasOwn(x, 'kind')) errs.push(required(child(path, 'kind')));
  for (const [k, v] of Object.entries(x)) {
    if (k === 'apiVersion') {
      if (typeof v !== 'string') errs.push(invalid(child(path, 'apiVersion'), v, 'must be a string'));
      else if (v === '') errs.push(invalid(child(path, 'apiVersion'), v, 'must not be empty'));
      else {
        const e = parseGroupVersionError(v);
        if (e !== undefined) errs.push(invalid(child(path, 'apiVersion'), v, e));
      }
    } else if (k === 'kind') {
      if (typeof v !== 'string') errs.push(invalid(child(path, 'kind'), v, 'must be a string'));
      else if (v === '') errs.push(invalid(child(path, 'kind'), v, 'must not be empty'));
      else {
        const e = isDNS1035Label(v.toLowerCase());
        if (e.length > 0) errs.push(invalid(child(path, 'kind'), v, `may have mixed case, but should otherwise match: ${e.join(',')}`));
      }
    } else if (k === 'metadata') {
      if (!isRecord(v)) {
        errs.push(
          invalid(
            child(path, 'metadata'),
            v,
            `json: cannot unmarshal ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v} into Go value of type v1.ObjectMeta`,
          ),
        );
        continue;
      }
      const meta = { ...v };
      if (typeof meta.name !== 'string' || meta.name === '') meta.name = 'fakename';
      const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
      errs.push(...validateObjectMeta(meta, { requiresNamespace: namespace !== '', nameFn: nameIsPathSegment }, child(path, 'metadata')));
    }
  }
  return errs;
}
