/**
 * The function-patch-and-transform input, `pt.fn.crossplane.io/v1beta1 Resources`, decoded from
 * the step's input the way Go's encoding/json decodes it into the upstream structs: unknown fields
 * are ignored, a field of the wrong JSON type is a decode error naming its path, and the raw JSON
 * fields (map pairs, match results, bases) are kept as JSON.
 */
import { GoError } from '../errors.ts';

export type PatchType =
  | 'FromCompositeFieldPath'
  | 'PatchSet'
  | 'ToCompositeFieldPath'
  | 'CombineFromComposite'
  | 'CombineToComposite'
  | 'FromEnvironmentFieldPath'
  | 'ToEnvironmentFieldPath'
  | 'CombineFromEnvironment'
  | 'CombineToEnvironment';

export interface PatchPolicy {
  fromFieldPath?: string;
  toFieldPath?: string;
  /** Legacy (Crossplane v1 native P&T) merge options; converted by the legacy converter. */
  mergeOptions?: { keepMapValues?: boolean; appendSlice?: boolean };
}

export interface Combine {
  variables?: { fromFieldPath?: string }[];
  strategy?: string;
  string?: { fmt?: string };
}

export interface Transform {
  type?: string;
  math?: { type?: string; multiply?: number; clampMin?: number; clampMax?: number };
  map?: Record<string, unknown>;
  match?: {
    patterns?: { type?: string; literal?: string; regexp?: string; result?: unknown }[];
    fallbackValue?: unknown;
    fallbackTo?: string;
  };
  string?: {
    type?: string;
    fmt?: string;
    convert?: string;
    trim?: string;
    regexp?: { match?: string; group?: number };
    join?: { separator?: string };
    replace?: { search?: string; replace?: string };
  };
  convert?: { toType?: string; format?: string };
}

export interface Patch {
  type?: string;
  fromFieldPath?: string;
  toFieldPath?: string;
  combine?: Combine;
  transforms?: Transform[];
  policy?: PatchPolicy;
  patchSetName?: string;
}

export interface ReadinessCheck {
  type?: string;
  fieldPath?: string;
  matchString?: string;
  matchInteger?: number;
  matchCondition?: { type?: string; status?: string };
}

export interface ConnectionDetail {
  name?: string;
  type?: string;
  fromConnectionSecretKey?: string;
  fromFieldPath?: string;
  value?: string;
}

export interface ComposedTemplate {
  name?: string;
  base?: Record<string, unknown>;
  patches?: Patch[];
  connectionDetails?: ConnectionDetail[];
  readinessChecks?: ReadinessCheck[];
}

export interface PatchSet {
  name?: string;
  patches?: Patch[];
}

export interface ResourcesInput {
  apiVersion?: string;
  kind?: string;
  patchSets?: PatchSet[];
  environment?: { patches?: Patch[] };
  resources?: ComposedTemplate[];
  writeConnectionSecretToRef?: { name?: string; namespace?: string; patches?: Patch[] };
}

export function patchType(p: Patch): string {
  return p.type === undefined || p.type === '' ? 'FromCompositeFieldPath' : p.type;
}

export function fromFieldPath(p: Patch): string {
  return p.fromFieldPath ?? '';
}

/** ToFieldPath defaults to fromFieldPath when unset (an upstream behaviour users rely on). */
export function toFieldPath(p: Patch): string {
  return p.toFieldPath ?? fromFieldPath(p);
}

export function fromFieldPathPolicy(p: Patch): string {
  return p.policy?.fromFieldPath ?? 'Optional';
}

export function toFieldPathPolicy(p: Patch): string {
  return p.policy?.toFieldPath ?? 'Replace';
}

// ---- decoding ---------------------------------------------------------------------------------

type Kind = 'string' | 'number' | 'int' | 'bool' | 'object' | 'raw';
type Shape = Kind | { obj: Record<string, Shape> } | { arr: Shape } | { map: Shape };

const str: Shape = 'string';
const int: Shape = 'int';
const raw: Shape = 'raw';
const obj = (o: Record<string, Shape>): Shape => ({ obj: o });
const arr = (s: Shape): Shape => ({ arr: s });

const policyShape = obj({ fromFieldPath: str, toFieldPath: str, mergeOptions: obj({ keepMapValues: 'bool', appendSlice: 'bool' }) });
const transformShape = obj({
  type: str,
  math: obj({ type: str, multiply: int, clampMin: int, clampMax: int }),
  map: { map: raw },
  match: obj({
    patterns: arr(obj({ type: str, literal: str, regexp: str, result: raw })),
    fallbackValue: raw,
    fallbackTo: str,
  }),
  string: obj({
    type: str,
    fmt: str,
    convert: str,
    trim: str,
    regexp: obj({ match: str, group: int }),
    join: obj({ separator: str }),
    replace: obj({ search: str, replace: str }),
  }),
  convert: obj({ toType: str, format: str }),
});
const patchShape = obj({
  type: str,
  fromFieldPath: str,
  toFieldPath: str,
  combine: obj({ variables: arr(obj({ fromFieldPath: str })), strategy: str, string: obj({ fmt: str }) }),
  transforms: arr(transformShape),
  policy: policyShape,
  patchSetName: str,
});
export const resourcesShape: Shape = obj({
  apiVersion: str,
  kind: str,
  patchSets: arr(obj({ name: str, patches: arr(patchShape) })),
  environment: obj({ patches: arr(patchShape) }),
  resources: arr(
    obj({
      name: str,
      base: 'object',
      patches: arr(patchShape),
      connectionDetails: arr(obj({ name: str, type: str, fromConnectionSecretKey: str, fromFieldPath: str, value: str })),
      readinessChecks: arr(
        obj({ type: str, fieldPath: str, matchString: str, matchInteger: int, matchCondition: obj({ type: str, status: str }) }),
      ),
    }),
  ),
  writeConnectionSecretToRef: obj({ name: str, namespace: str, patches: arr(patchShape) }),
});

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : typeof v;
}

/**
 * Decode checks `v` against `shape` as encoding/json would when unmarshalling into the Go type:
 * it returns a copy without null fields (Go leaves them unset) and throws a GoError naming the
 * first mismatching field path.
 */
export function decode(v: unknown, shape: Shape, path = ''): unknown {
  if (v === null || v === undefined) return undefined;
  const fail = (want: string): never => {
    throw new GoError(`json: cannot unmarshal ${jsonType(v)} into Go value of type ${want} at ${path === '' ? '(root)' : path}`);
  };
  if (typeof shape === 'string') {
    switch (shape) {
      case 'string':
        return typeof v === 'string' ? v : fail('string');
      case 'number':
        return typeof v === 'number' ? v : fail('float64');
      case 'int':
        return typeof v === 'number' && Number.isInteger(v) ? v : fail('int64');
      case 'bool':
        return typeof v === 'boolean' ? v : fail('bool');
      case 'object':
        return typeof v === 'object' && !Array.isArray(v) ? v : fail('object');
      case 'raw':
        return v;
    }
  }
  if ('arr' in shape) {
    if (!Array.isArray(v)) return fail('array');
    return v.map((x, i) => decode(x, shape.arr, `${path}[${i}]`));
  }
  if (typeof v !== 'object' || Array.isArray(v)) return fail('object');
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if ('map' in shape) {
    for (const [k, x] of Object.entries(src)) out[k] = shape.map === 'raw' ? x : decode(x, shape.map, `${path}[${k}]`);
    return out;
  }
  for (const [k, s] of Object.entries(shape.obj)) {
    if (!Object.hasOwn(src, k)) continue;
    const d = decode(src[k], s, path === '' ? k : `${path}.${k}`);
    if (d !== undefined) out[k] = d;
  }
  return out;
}

/**
 * A Shape compiled for the fast decoder: object fields as parallel arrays, so decoding walks no
 * `Object.entries` of the shape and builds no field path strings.
 */
type Compiled =
  | { k: 'leaf'; kind: Kind }
  | { k: 'obj'; keys: string[]; shapes: Compiled[] }
  | { k: 'arr'; elem: Compiled }
  | { k: 'map'; raw: boolean; elem: Compiled };

function compile(shape: Shape): Compiled {
  if (typeof shape === 'string') return { k: 'leaf', kind: shape };
  if ('arr' in shape) return { k: 'arr', elem: compile(shape.arr) };
  if ('map' in shape) return { k: 'map', raw: shape.map === 'raw', elem: compile(shape.map) };
  const keys = Object.keys(shape.obj);
  return { k: 'obj', keys, shapes: keys.map((key) => compile(shape.obj[key] as Shape)) };
}

const compiledResources = compile(resourcesShape);

/** Mismatch is thrown by the fast decoder; the slow {@link decode} then says where and why. */
const Mismatch = new Error('mismatch');

/**
 * DecodeFast is {@link decode} for the common, valid case: the same result, no path strings and
 * no closures. On any type mismatch it throws {@link Mismatch}.
 */
function decodeFast(v: unknown, c: Compiled): unknown {
  if (v === null || v === undefined) return undefined;
  switch (c.k) {
    case 'leaf':
      switch (c.kind) {
        case 'string':
          if (typeof v === 'string') return v;
          throw Mismatch;
        case 'number':
          if (typeof v === 'number') return v;
          throw Mismatch;
        case 'int':
          if (typeof v === 'number' && Number.isInteger(v)) return v;
          throw Mismatch;
        case 'bool':
          if (typeof v === 'boolean') return v;
          throw Mismatch;
        case 'object':
          if (typeof v === 'object' && !Array.isArray(v)) return v;
          throw Mismatch;
        default:
          return v;
      }
    case 'arr': {
      if (!Array.isArray(v)) throw Mismatch;
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) out[i] = decodeFast(v[i], c.elem);
      return out;
    }
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) throw Mismatch;
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(src)) out[k] = c.raw ? src[k] : decodeFast(src[k], c.elem);
      return out;
    }
    default: {
      if (typeof v !== 'object' || Array.isArray(v)) throw Mismatch;
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      const { keys, shapes } = c;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        if (!Object.hasOwn(src, k)) continue;
        const d = decodeFast(src[k], shapes[i] as Compiled);
        if (d !== undefined) out[k] = d;
      }
      return out;
    }
  }
}

/** DecodeResources decodes a P&T input; throws GoError on a JSON type mismatch. */
export function decodeResources(input: unknown): ResourcesInput {
  try {
    return (decodeFast(input ?? {}, compiledResources) ?? {}) as ResourcesInput;
  } catch (e) {
    if (e !== Mismatch) throw e;
  }
  return (decode(input ?? {}, resourcesShape) ?? {}) as ResourcesInput;
}
