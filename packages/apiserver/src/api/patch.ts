import { badRequest, entityTooLarge } from './errors.ts';

/**
 * Patch types the API server applies itself: RFC 6902 JSON patch, RFC 7386 merge patch, and
 * strategic merge patch for built-in kinds (server-side apply is src/apply's). Each returns a new
 * value; inputs are not mutated.
 */

export class PatchApplyError extends Error {}

const MAX_JSON_PATCH_OPS = 10_000;

type Json = unknown;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b as object, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

// --- RFC 6902 --------------------------------------------------------------------------------

export interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

/** ParseJsonPatch decodes a JSON patch document, throwing 400/413 as kube-apiserver does. */
export function parseJsonPatch(text: string): JsonPatchOp[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw badRequest(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Go's json.Unmarshal of `null` into a slice leaves it empty: kube applies no operations.
  if (v === null) return [];
  if (!Array.isArray(v)) {
    const goType = typeof v === 'boolean' ? 'bool' : typeof v;
    throw badRequest(`json: cannot unmarshal ${goType} into Go value of type jsonpatch.Patch`);
  }
  if (v.length > MAX_JSON_PATCH_OPS)
    throw entityTooLarge(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPS}, got ${v.length}`);
  return v.map((op, i) => {
    if (!isObj(op))
      throw badRequest(
        `json: cannot unmarshal ${Array.isArray(op) ? 'array' : typeof op} into Go value of type jsonpatch.Operation (operation ${i})`,
      );
    return op as unknown as JsonPatchOp;
  });
}

function parsePointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new PatchApplyError(`invalid JSON pointer ${JSON.stringify(path)}`);
  return path
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function getAt(doc: Json, tokens: string[]): { found: boolean; value: Json } {
  let cur: Json = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9]\d*)$/.test(t)) return { found: false, value: undefined };
      const i = Number(t);
      if (i >= cur.length) return { found: false, value: undefined };
      cur = cur[i];
    } else if (isObj(cur)) {
      if (!Object.hasOwn(cur, t)) return { found: false, value: undefined };
      cur = cur[t];
    } else return { found: false, value: undefined };
  }
  return { found: true, value: cur };
}

function parentOf(doc: Json, tokens: string[], path: string): { parent: Record<string, unknown> | unknown[]; key: string } {
  const { found, value } = getAt(doc, tokens.slice(0, -1));
  if (!found || typeof value !== 'object' || value === null) throw new PatchApplyError(`doc is missing path: "${path}"`);
  return { parent: value as Record<string, unknown> | unknown[], key: tokens[tokens.length - 1] as string };
}

function add(doc: Json, path: string, value: Json): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return clone(value);
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : /^(0|[1-9]\d*)$/.test(key) ? Number(key) : Number.NaN;
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new PatchApplyError(`Unable to access invalid index: ${key}`);
    parent.splice(i, 0, clone(value));
  } else parent[key] = clone(value);
  return doc;
}

function remove(doc: Json, path: string): { doc: Json; removed: Json } {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new PatchApplyError('cannot remove the whole document');
  const { parent, key } = parentOf(doc, tokens, path);
  if (Array.isArray(parent)) {
    const i = /^(0|[1-9]\d*)$/.test(key) ? Number(key) : -1;
    if (i < 0 || i >= parent.length) throw new PatchApplyError(`Unable to remove nonexistent key: ${key}: missing value`);
    const [removed] = parent.splice(i, 1);
    return { doc, removed };
  }
  if (!Object.hasOwn(parent, key)) throw new PatchApplyError(`Unable to remove nonexistent key: ${key}: missing value`);
  const removed = parent[key];
  delete parent[key];
  return { doc, removed };
}

/** ApplyJsonPatch applies RFC 6902 operations; failures throw PatchApplyError (kube answers 422). */
export function applyJsonPatch(original: Json, ops: JsonPatchOp[]): Json {
  let doc = clone(original);
  for (const op of ops) {
    const path = typeof op.path === 'string' ? op.path : '';
    switch (op.op) {
      case 'add':
        doc = add(doc, path, op.value);
        break;
      case 'remove':
        doc = remove(doc, path).doc;
        break;
      case 'replace': {
        const tokens = parsePointer(path);
        if (tokens.length === 0) {
          doc = clone(op.value);
          break;
        }
        if (!getAt(doc, tokens).found)
          throw new PatchApplyError(`replace operation does not apply: doc is missing key: ${path}: missing value`);
        doc = remove(doc, path).doc;
        doc = add(doc, path, op.value);
        break;
      }
      case 'move': {
        const from = typeof op.from === 'string' ? op.from : '';
        const r = remove(doc, from);
        doc = add(r.doc, path, r.removed);
        break;
      }
      case 'copy': {
        const from = typeof op.from === 'string' ? op.from : '';
        const g = getAt(doc, parsePointer(from));
        if (!g.found) throw new PatchApplyError(`copy from does not exist: ${from}`);
        doc = add(doc, path, g.value);
        break;
      }
      case 'test': {
        const g = getAt(doc, parsePointer(path));
        const want = op.value === undefined ? null : op.value;
        if (!(g.found ? deepEqual(g.value, want) : want === null)) throw new PatchApplyError(`testing value ${path} failed: test failed`);
        break;
      }
      default:
        throw new PatchApplyError(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}

// --- RFC 7386 --------------------------------------------------------------------------------

/** ApplyMergePatch applies an RFC 7386 JSON merge patch. */
export function applyMergePatch(original: Json, patch: Json): Json {
  if (!isObj(patch)) return clone(patch);
  const out: Record<string, unknown> = isObj(original) ? clone(original) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

// --- Strategic merge patch -------------------------------------------------------------------

/** A ListStrategy says how a list field merges: by key, as a set of primitives, or replaced. */
export type ListStrategy = { kind: 'map'; key: string } | { kind: 'set' } | { kind: 'replace' };

/** StrategyFor returns the list strategy of a dotted field path (indices removed). */
export type StrategyFor = (path: string) => ListStrategy;

export class SmpError extends Error {
  readonly badRequest: boolean;
  constructor(message: string, badRequest: boolean) {
    super(message);
    this.badRequest = badRequest;
  }
}

/**
 * ApplyStrategicMergePatch applies a strategic merge patch: maps merge recursively with `null`
 * deleting, lists merge by their merge key (or as primitive sets) where the type says so, and the
 * `$patch`, `$deleteFromPrimitiveList/`, `$setElementOrder/` and `$retainKeys` directives apply.
 */
export function applyStrategicMergePatch(original: Json, patch: Json, strategyFor: StrategyFor): Json {
  if (!isObj(patch)) throw new SmpError('Invalid JSON document', true);
  return mergeMap(isObj(original) ? clone(original) : {}, patch, '', strategyFor);
}

function mergeMap(orig: Record<string, unknown>, patch: Record<string, unknown>, path: string, sf: StrategyFor): Record<string, unknown> {
  const directive = patch.$patch;
  if (directive === 'replace') {
    const out = clone(patch);
    delete out.$patch;
    return out;
  }
  if (directive === 'delete') return {};
  const retain = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys') continue;
    if (k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (!Array.isArray(v)) throw new SmpError('Invalid JSON document', true);
      const cur = orig[field];
      if (Array.isArray(cur)) orig[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
      continue;
    }
    const childPath = path === '' ? k : `${path}.${k}`;
    if (v === null) {
      delete orig[k];
      continue;
    }
    const cur = orig[k];
    if (isObj(v)) {
      orig[k] = mergeMap(isObj(cur) ? cur : {}, v, childPath, sf);
      if (isObj(orig[k]) && Object.keys(orig[k] as object).length === 0 && v.$patch === 'delete') delete orig[k];
    } else if (Array.isArray(v)) {
      orig[k] = mergeList(Array.isArray(cur) ? cur : [], v, childPath, sf, patch[`$setElementOrder/${k}`]);
    } else orig[k] = clone(v);
  }
  if (Array.isArray(retain)) {
    for (const k of Object.keys(orig)) if (!retain.includes(k)) delete orig[k];
  }
  return orig;
}

function mergeList(orig: unknown[], patch: unknown[], path: string, sf: StrategyFor, order: unknown): unknown[] {
  const st = sf(path);
  if (st.kind === 'replace') {
    if (patch.some((p) => isObj(p) && p.$patch !== undefined)) {
      const replace = patch.find((p) => isObj(p) && p.$patch === 'replace');
      if (replace !== undefined) return patch.filter((p) => !(isObj(p) && p.$patch === 'replace')).map(clone);
    }
    return patch.map(clone);
  }
  if (st.kind === 'set') {
    if (patch.some((p) => isObj(p) && p.$patch === 'replace')) return patch.filter((p) => !(isObj(p) && p.$patch === 'replace')).map(clone);
    const out = [...orig];
    for (const p of patch) if (!out.some((x) => deepEqual(x, p))) out.push(clone(p));
    return applyOrder(out, order, undefined);
  }
  const key = st.key;
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) return patch.filter((p) => !(isObj(p) && p.$patch === 'replace')).map(clone);
  const out = orig.map(clone);
  for (const p of patch) {
    if (!isObj(p)) throw new SmpError(`The list element ${JSON.stringify(p)} is not a map in a list merged by key "${key}"`, false);
    if (!Object.hasOwn(p, key)) throw new SmpError(`map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`, true);
    const idx = out.findIndex((x) => isObj(x) && deepEqual(x[key], p[key]));
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = mergeMap(out[idx] as Record<string, unknown>, p, path, sf);
    else {
      const n = clone(p);
      delete n.$patch;
      out.push(n);
    }
  }
  return applyOrder(out, order, key);
}

function applyOrder(list: unknown[], order: unknown, key: string | undefined): unknown[] {
  if (!Array.isArray(order)) return list;
  const pos = (x: unknown): number =>
    order.findIndex((o) => (key === undefined ? deepEqual(o, x) : isObj(o) && isObj(x) && deepEqual(o[key], x[key])));
  const inOrder = list.filter((x) => pos(x) >= 0).sort((a, b) => pos(a) - pos(b));
  const rest = list.filter((x) => pos(x) < 0);
  return [...inOrder, ...rest];
}

/** BuiltinListStrategies are the patch strategies of the built-in kinds' list fields. */
export function builtinStrategyFor(kind: string): StrategyFor {
  return (path) => {
    if (path === 'metadata.ownerReferences') return { kind: 'map', key: 'uid' };
    if (path === 'metadata.finalizers') return { kind: 'set' };
    if (kind === 'ServiceAccount' && path === 'secrets') return { kind: 'map', key: 'name' };
    if ((kind === 'Namespace' || kind === 'CustomResourceDefinition') && path === 'status.conditions') return { kind: 'map', key: 'type' };
    return { kind: 'replace' };
  };
}
