// Typed operations on JSON values (sigs.k8s.io/structured-merge-diff/v6/typed): validation,
// field sets, comparison, merging and removal, each a walker over a value and its TypeNode with
// SMD's rules for atomic and associative lists, granular and atomic maps, and "big leaves".
import { deepEqualJSON, maxNestingDepth } from '../schema/json.ts';
import {
  comparePE,
  FieldSet,
  field,
  index,
  keyElement,
  type Path,
  type PathElement,
  peEquals,
  peString,
  serializePE,
  valueElement,
} from './fieldpath.ts';
import type { ListType, MapType, ScalarKind, TypeNode } from './types.ts';

type Json = unknown;

function isMap(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isScalar(v: Json): boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** A ValidationError is a typed-value error with its path (SMD ValidationError). */
export interface ValidationError {
  path: string;
  message: string;
}

/** FormatValidationErrors joins errors as SMD's ValidationErrors.Error does. */
export function formatValidationErrors(errs: ValidationError[]): string {
  const one = (e: ValidationError): string => (e.path === '' ? e.message : `${e.path}: ${e.message}`);
  if (errs.length === 1) return one(errs[0] as ValidationError);
  return ['errors:', ...errs.map((e) => `  ${one(e)}`)].join('\n');
}

// Values deeper than maxNestingDepth are refused before they get here; this is a second guard.
const maxDepth = maxNestingDepth + 16;

class DepthError extends Error {
  override name = 'DepthError';
}

const Atom = { map: 0, scalar: 1, list: 2, invalid: 3 } as const;
type Atom = (typeof Atom)[keyof typeof Atom];

/** AtomOf is deduceAtom + handleAtom: which part of the type handles this value. */
function atomOf(t: TypeNode, v: Json): Atom {
  if (v !== undefined && v !== null) {
    if (isScalar(v)) {
      if (t.scalar !== undefined) return Atom.scalar;
    } else if (Array.isArray(v)) {
      if (t.list !== undefined) return Atom.list;
    } else if (t.map !== undefined) return Atom.map;
  }
  if (t.map !== undefined) return Atom.map;
  if (t.scalar !== undefined) return Atom.scalar;
  if (t.list !== undefined) return Atom.list;
  return Atom.invalid;
}

const emptyType: TypeNode = {};

function fieldType(m: MapType, key: string): TypeNode | undefined {
  return m.fields.get(key)?.type ?? m.elem;
}

function typeName(v: Json): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (v === null || v === undefined) return '<nil>';
  return 'map[string]interface {}';
}

function scalarError(t: ScalarKind, v: Json): string | undefined {
  if (v === null || v === undefined) return undefined;
  switch (t) {
    case 'numeric':
      return typeof v === 'number' ? undefined : `expected numeric (int or float), got ${typeName(v)}`;
    case 'string':
      return typeof v === 'string' ? undefined : `expected string, got ${JSON.stringify(v)}`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `expected boolean, got ${JSON.stringify(v)}`;
    default:
      return isScalar(v) ? undefined : `expected any scalar, got ${JSON.stringify(v)}`;
  }
}

/** ListItemPE returns the path element of a list item: its key (map lists) or value (sets). */
export function listItemPE(l: ListType, item: Json): PathElement | string {
  if (l.atomic) return 'invalid indexing of non-associative list';
  if (l.keys.length > 0) {
    if (item === null) return 'associative list with keys may not have a null element';
    if (!isMap(item)) return 'associative list with keys may not have non-map elements';
    const fields: [string, Json][] = [];
    const elemMap = l.elem.map;
    for (const k of l.keys) {
      if (Object.hasOwn(item, k)) fields.push([k, item[k]]);
      else {
        const def = elemMap?.fields.get(k);
        if (def?.hasDefault === true) fields.push([k, def.default]);
      }
    }
    if (fields.length === 0) {
      return `associative list with keys has an element that omits all key fields ${JSON.stringify(l.keys)
        .replace(/^\[/, '[')
        .replace(/,/g, ' ')} (and doesn't have default values for any key fields)`;
    }
    return keyElement(fields);
  }
  if (isMap(item)) return "associative list without keys has an element that's a map type";
  if (Array.isArray(item)) return 'not supported: associative list with lists as elements';
  if (item === null) return "associative list without keys has an element that's an explicit null";
  return valueElement(item);
}

// ---------------------------------------------------------------------------------------------
// Validation (typed.AsTyped)

/** Validate checks a value against a type; `allowDuplicates` is set for live objects. */
export function validateTyped(v: Json, t: TypeNode, allowDuplicates: boolean): ValidationError[] {
  const errs: ValidationError[] = [];
  validateWalk(v, t, '', 0, allowDuplicates, errs);
  return errs;
}

function validateWalk(val: Json, tn: TypeNode, path: string, depth: number, allowDuplicates: boolean, errs: ValidationError[]): void {
  if (depth > maxDepth) throw new DepthError(`value nested deeper than ${maxDepth} levels`);
  switch (atomOf(tn, val)) {
    case Atom.scalar: {
      const e = scalarError(tn.scalar as ScalarKind, val);
      if (e !== undefined) errs.push({ path, message: e });
      return;
    }
    case Atom.list: {
      const l = tn.list as ListType;
      if (val === null || val === undefined) return;
      if (!Array.isArray(val)) {
        errs.push({ path, message: `expected list, got ${JSON.stringify(val)}` });
        return;
      }
      const seen: PathElement[] = [];
      for (let i = 0; i < val.length; i++) {
        const item = val[i];
        let pe: PathElement = index(i);
        if (!l.atomic) {
          const r = listItemPE(l, item);
          if (typeof r === 'string') {
            errs.push({ path, message: `element ${i}: ${r}` });
            return;
          }
          pe = r;
          if (!allowDuplicates && seen.some((x) => peEquals(x, r)))
            errs.push({ path, message: `duplicate entries for key ${peString(r)}` });
          seen.push(r);
        }
        validateWalk(item, l.elem, path + peString(pe), depth + 1, allowDuplicates, errs);
      }
      return;
    }
    case Atom.map: {
      const m = tn.map as MapType;
      if (val === null || val === undefined) return;
      if (!isMap(val)) {
        errs.push({ path, message: `expected map, got ${JSON.stringify(val)}` });
        return;
      }
      for (const k in val) {
        const ft = fieldType(m, k);
        if (ft === undefined) {
          errs.push({ path: `${path}.${k}`, message: 'field not declared in schema' });
          return;
        }
        validateWalk(val[k], ft, `${path}.${k}`, depth + 1, allowDuplicates, errs);
      }
      return;
    }
    default:
      errs.push({ path, message: 'schema error: invalid atom: inlined' });
  }
}

// ---------------------------------------------------------------------------------------------
// ToFieldSet

/** ToFieldSet returns every leaf field and list item of a value (typed.ToFieldSet). */
export function toFieldSet(v: Json, t: TypeNode): FieldSet {
  const set = new FieldSet();
  fieldSetWalk(v, t, [], 0, set);
  return set;
}

function fieldSetWalk(val: Json, tn: TypeNode, path: PathElement[], depth: number, set: FieldSet): void {
  if (depth > maxDepth) throw new DepthError(`value nested deeper than ${maxDepth} levels`);
  switch (atomOf(tn, val)) {
    case Atom.scalar:
      set.insert(path);
      return;
    case Atom.list: {
      const l = tn.list as ListType;
      if (l.atomic) {
        set.insert(path);
        return;
      }
      if (!Array.isArray(val)) return;
      const pes = val.map((item) => listItemPE(l, item));
      const dup: PathElement[] = [];
      const seen: PathElement[] = [];
      for (const pe of pes) {
        if (typeof pe === 'string') continue;
        if (seen.some((x) => peEquals(x, pe))) {
          if (!dup.some((d) => peEquals(d, pe))) {
            set.insert([...path, pe]);
            dup.push(pe);
          }
        } else seen.push(pe);
      }
      for (let i = 0; i < val.length; i++) {
        const pe = pes[i];
        if (pe === undefined || typeof pe === 'string' || (dup.length > 0 && dup.some((d) => peEquals(d, pe)))) continue;
        path.push(pe);
        fieldSetWalk(val[i], l.elem, path, depth + 1, set);
        set.insert(path);
        path.pop();
      }
      return;
    }
    case Atom.map: {
      const m = tn.map as MapType;
      if (m.atomic) {
        set.insert(path);
        return;
      }
      if (!isMap(val)) return;
      for (const k in val) {
        const child = val[k];
        path.push(field(k));
        fieldSetWalk(child, fieldType(m, k) ?? emptyType, path, depth + 1, set);
        if (child === null || (isMap(child) && isEmptyMap(child)) || !m.fields.has(k)) set.insert(path);
        path.pop();
      }
      return;
    }
    default:
      return;
  }
}

function isEmptyMap(m: Record<string, Json>): boolean {
  for (const _ in m) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Compare

export interface Comparison {
  added: FieldSet;
  removed: FieldSet;
  modified: FieldSet;
}

/** Compare reports the fields added, removed and modified between lhs and rhs (typed.Compare). */
export function compare(lhs: Json, rhs: Json, t: TypeNode): Comparison {
  const c: Comparison = { added: new FieldSet(), removed: new FieldSet(), modified: new FieldSet() };
  compareWalk(lhs, rhs, t, [], 0, c);
  return c;
}

/** CompareAtom runs one atom of the compare walk and returns whether it made the node a leaf. */
function compareAtom(atom: Atom, tn: TypeNode, l: Json, r: Json, path: PathElement[], depth: number, c: Comparison): boolean {
  switch (atom) {
    case Atom.scalar:
      compareLeaf(l, r, path, c);
      return true;
    case Atom.list: {
      const lt = tn.list as ListType;
      const ll = Array.isArray(l) ? l : undefined;
      const rl = Array.isArray(r) ? r : undefined;
      if (lt.atomic || ((ll === undefined || ll.length === 0) && (rl === undefined || rl.length === 0))) {
        compareLeaf(l, r, path, c);
        return true;
      }
      compareLists(lt, ll ?? [], rl ?? [], path, depth, c);
      return false;
    }
    case Atom.map: {
      const m = tn.map as MapType;
      const lm = isMap(l) ? l : undefined;
      const rm = isMap(r) ? r : undefined;
      const lEmpty = lm === undefined || isEmptyMap(lm);
      const rEmpty = rm === undefined || isEmptyMap(rm);
      if (m.atomic || (lEmpty && rEmpty)) {
        compareLeaf(l, r, path, c);
        return true;
      }
      if (lm !== undefined) {
        for (const k in lm) {
          path.push(field(k));
          compareWalk(
            lm[k],
            rm !== undefined && Object.hasOwn(rm, k) ? rm[k] : undefined,
            fieldType(m, k) ?? emptyType,
            path,
            depth + 1,
            c,
          );
          path.pop();
        }
      }
      if (rm !== undefined) {
        for (const k in rm) {
          if (lm !== undefined && Object.hasOwn(lm, k)) continue;
          path.push(field(k));
          compareWalk(undefined, rm[k], fieldType(m, k) ?? emptyType, path, depth + 1, c);
          path.pop();
        }
      }
      return false;
    }
    default:
      return false;
  }
}

function compareLeaf(l: Json, r: Json, path: PathElement[], c: Comparison): void {
  if (l === undefined) c.added.insert(path);
  else if (r === undefined) c.removed.insert(path);
  else if (!deepEqualJSON(l, r)) c.modified.insert(path);
}

function compareWalk(l: Json, r: Json, tn: TypeNode, path: PathElement[], depth: number, c: Comparison): void {
  if (depth > maxDepth) throw new DepthError(`value nested deeper than ${maxDepth} levels`);
  const al = atomOf(tn, l);
  const ar = atomOf(tn, r);
  let inLeaf: boolean;
  if (r === undefined) inLeaf = compareAtom(al, tn, l, r, path, depth, c);
  else if (l === undefined || al === ar) inLeaf = compareAtom(ar, tn, l, r, path, depth, c);
  else {
    // SMD walks the lhs atom on a copy of the walker (its own leaf flag), then the rhs atom.
    compareAtom(al, tn, l, r, path, depth, c);
    inLeaf = compareAtom(ar, tn, l, r, path, depth, c);
  }
  if (!inLeaf) {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  }
}

function compareLists(lt: ListType, ll: Json[], rl: Json[], path: PathElement[], depth: number, c: Comparison): void {
  const all: PathElement[] = [];
  const lValues = new PEMap<Json[]>();
  const rValues = new PEMap<Json[]>();
  for (const item of ll) {
    const pe = listItemPE(lt, item);
    if (typeof pe === 'string') continue;
    const hit = lValues.get(pe);
    if (hit !== undefined) hit.push(item);
    else {
      lValues.set(pe, [item]);
      all.push(pe);
    }
  }
  for (const item of rl) {
    const pe = listItemPE(lt, item);
    if (typeof pe === 'string') continue;
    const hit = rValues.get(pe);
    if (hit !== undefined) hit.push(item);
    else {
      rValues.set(pe, [item]);
      if (lValues.get(pe) === undefined) all.push(pe);
    }
  }
  for (const pe of all) {
    const lList = lValues.get(pe) ?? [];
    const rList = rValues.get(pe) ?? [];
    path.push(pe);
    if (lList.length <= 1 && rList.length <= 1) compareWalk(lList[0], rList[0], lt.elem, path, depth + 1, c);
    else if (lList.length >= 2 && rList.length >= 2) {
      if (lList.length !== rList.length || !lList.every((x, i) => deepEqualJSON(x, rList[i]))) c.modified.insert(path);
    } else if (lList.length >= 2) {
      if (rList.length !== 0) compareWalk(undefined, rList[0], lt.elem, path, depth + 1, c);
      c.removed.insert(path);
    } else {
      if (lList.length !== 0) compareWalk(lList[0], undefined, lt.elem, path, depth + 1, c);
      c.added.insert(path);
    }
    path.pop();
  }
}

/** PEMap is a small map keyed by path element (by their serialized form). */
class PEMap<T> {
  readonly #m = new Map<string, T>();
  get(pe: PathElement): T | undefined {
    return this.#m.get(serializePE(pe));
  }
  set(pe: PathElement, v: T): void {
    this.#m.set(serializePE(pe), v);
  }
  has(pe: PathElement): boolean {
    return this.#m.has(serializePE(pe));
  }
}

// ---------------------------------------------------------------------------------------------
// Merge

/** MergeError carries SMD merge validation errors. */
export class MergeError extends Error {
  override name = 'MergeError';
  readonly errors: ValidationError[];
  constructor(errors: ValidationError[]) {
    super(formatValidationErrors(errors));
    this.errors = errors;
  }
}

/** Merge merges rhs into lhs (typed.Merge with ruleKeepRHS); undefined means absent. */
export function merge(lhs: Json, rhs: Json, t: TypeNode): Json {
  const errs: ValidationError[] = [];
  const result = mergeWalk(lhs, rhs, t, '', 0, errs);
  if (errs.length > 0) throw new MergeError(errs);
  return result;
}

const noOutput = Symbol('noOutput');
type Out = Json | typeof noOutput;

/** MergeAtom runs one atom of the merge walk; it returns the merged value (undefined = absent) or noOutput for a leaf not yet taken. */
function mergeAtom(atom: Atom, tn: TypeNode, l: Json, r: Json, path: string, depth: number, errs: ValidationError[]): Out {
  switch (atom) {
    case Atom.scalar: {
      const s = tn.scalar as ScalarKind;
      const le = scalarError(s, l);
      const re = scalarError(s, r);
      if (le !== undefined && re !== undefined) {
        errs.push({ path, message: `lhs: ${le}` }, { path, message: `rhs: ${re}` });
        return undefined;
      }
      return r !== undefined ? r : l;
    }
    case Atom.list: {
      const lt = tn.list as ListType;
      const ll = Array.isArray(l) ? l : undefined;
      const rl = Array.isArray(r) ? r : undefined;
      if (lt.atomic || ((ll === undefined || ll.length === 0) && (rl === undefined || rl.length === 0))) return r !== undefined ? r : l;
      const items = mergeLists(lt, ll ?? [], rl ?? [], path, depth, errs);
      return items.length > 0 ? items : undefined;
    }
    case Atom.map: {
      const m = tn.map as MapType;
      const lm = isMap(l) ? l : undefined;
      const rm = isMap(r) ? r : undefined;
      const lEmpty = lm === undefined || isEmptyMap(lm);
      const rEmpty = rm === undefined || isEmptyMap(rm);
      if (m.atomic || (lEmpty && rEmpty)) return r !== undefined ? r : l;
      const o: Record<string, Json> = {};
      let any = false;
      if (lm !== undefined) {
        for (const k in lm) {
          const v = mergeWalk(
            lm[k],
            rm !== undefined && Object.hasOwn(rm, k) ? rm[k] : undefined,
            fieldType(m, k) ?? emptyType,
            `${path}.${k}`,
            depth + 1,
            errs,
          );
          if (v !== undefined) {
            o[k] = v;
            any = true;
          }
        }
      }
      if (rm !== undefined) {
        for (const k in rm) {
          if (lm !== undefined && Object.hasOwn(lm, k)) continue;
          const v = mergeWalk(undefined, rm[k], fieldType(m, k) ?? emptyType, `${path}.${k}`, depth + 1, errs);
          if (v !== undefined) {
            o[k] = v;
            any = true;
          }
        }
      }
      return any ? o : undefined;
    }
    default:
      errs.push({ path, message: 'schema error: invalid atom: inlined' });
      return undefined;
  }
}

function mergeWalk(l: Json, r: Json, tn: TypeNode, path: string, depth: number, errs: ValidationError[]): Json {
  if (depth > maxDepth) throw new DepthError(`value nested deeper than ${maxDepth} levels`);
  const al = atomOf(tn, l);
  const ar = atomOf(tn, r);
  let out: Out;
  if (r === undefined) out = mergeAtom(al, tn, l, r, path, depth, errs);
  else if (l === undefined || al === ar) out = mergeAtom(ar, tn, l, r, path, depth, errs);
  else {
    // The lhs atom is walked on a copy of the walker whose output is discarded.
    mergeAtom(al, tn, l, r, path, depth, errs);
    out = mergeAtom(ar, tn, l, r, path, depth, errs);
  }
  return out === noOutput ? undefined : out;
}

function mergeLists(lt: ListType, ll: Json[], rl: Json[], path: string, depth: number, errs: ValidationError[]): Json[] {
  const indexList = (list: Json[], allowDuplicates: boolean): { pes: PathElement[]; observed: PEMap<Json> } => {
    const pes: PathElement[] = [];
    const observed = new PEMap<Json>();
    for (let i = 0; i < list.length; i++) {
      const pe = listItemPE(lt, list[i]);
      if (typeof pe === 'string') {
        errs.push({ path, message: `element ${i}: ${pe}` });
        continue;
      }
      const found = observed.has(pe);
      if (found && !allowDuplicates) {
        errs.push({ path, message: `duplicate entries for key ${peString(pe)}` });
        continue;
      }
      observed.set(pe, found ? null : list[i]);
      pes.push(pe);
    }
    return { pes, observed };
  };
  const errsBefore = errs.length;
  const r = indexList(rl, false);
  const l = indexList(ll, true);
  if (errs.length !== errsBefore) return [];
  const shared: PathElement[] = r.pes.filter((pe) => l.observed.has(pe));
  let nextShared = shared.shift();
  const merged = new PEMap<true>();
  const out: Json[] = [];
  const push = (pe: PathElement, lc: Json, rc: Json): void => {
    const v = mergeWalk(lc, rc, lt.elem, path + peString(pe), depth + 1, errs);
    if (v !== undefined) out.push(v);
  };
  let li = 0;
  let ri = 0;
  while (li < l.pes.length || ri < r.pes.length) {
    if (li < l.pes.length && ri < r.pes.length) {
      const pe = l.pes[li] as PathElement;
      if (peEquals(pe, r.pes[ri] as PathElement)) {
        merged.set(pe, true);
        push(pe, l.observed.get(pe), r.observed.get(pe));
        li++;
        ri++;
        nextShared = shared.shift();
        continue;
      }
      if (r.observed.has(pe) && nextShared !== undefined && !peEquals(nextShared, pe)) {
        li++;
        continue;
      }
    }
    if (li < l.pes.length) {
      const pe = l.pes[li] as PathElement;
      if (!r.observed.has(pe)) {
        push(pe, ll[li], undefined);
        li++;
        continue;
      }
      if (merged.has(pe)) li++;
    }
    if (ri < r.pes.length) {
      const pe = r.pes[ri] as PathElement;
      merged.set(pe, true);
      push(pe, l.observed.get(pe), r.observed.get(pe));
      ri++;
      if (nextShared !== undefined && peEquals(nextShared, pe)) nextShared = shared.shift();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// RemoveItems and EnsureNamedFieldsAreMembers

/** RemoveItems returns value without the paths in toRemove (typed.RemoveItems). Absent results are null, as SMD returns. */
export function removeItems(v: Json, t: TypeNode, toRemove: FieldSet): Json {
  return removeWalk(v, t, toRemove, 0);
}

function removeWalk(val: Json, tn: TypeNode, rm: FieldSet, depth: number): Json {
  if (depth > maxDepth) throw new DepthError(`value nested deeper than ${maxDepth} levels`);
  switch (atomOf(tn, val)) {
    case Atom.scalar:
      return val;
    case Atom.list: {
      const lt = tn.list as ListType;
      if (!Array.isArray(val) || val.length === 0 || lt.atomic) return null;
      const items: Json[] = [];
      for (const item of val) {
        const pe = listItemPE(lt, item);
        if (typeof pe === 'string') {
          items.push(item);
          continue;
        }
        if (rm.hasMember(pe)) continue;
        const sub = rm.child(pe);
        items.push(sub === undefined || sub.empty() ? item : removeWalk(item, lt.elem, sub, depth + 1));
      }
      return items.length > 0 ? items : null;
    }
    case Atom.map: {
      const m = tn.map as MapType;
      if (!isMap(val) || isEmptyMap(val) || m.atomic) return null;
      const o: Record<string, Json> = {};
      let any = false;
      for (const k in val) {
        const pe = field(k);
        if (rm.hasMember(pe)) continue;
        const sub = rm.child(pe);
        o[k] = sub === undefined || sub.empty() ? val[k] : removeWalk(val[k], fieldType(m, k) ?? emptyType, sub, depth + 1);
        any = true;
      }
      return any ? o : null;
    }
    default:
      return null;
  }
}

/** EnsureNamedFieldsAreMembers adds every declared struct field that has children in the set as a member too. */
export function ensureNamedFieldsAreMembers(s: FieldSet, t: TypeNode | undefined): FieldSet {
  const out = new FieldSet();
  out.members = [...s.members];
  for (const n of s.children) {
    if (n.pe.kind === 'field' && t?.map?.fields.has(n.pe.name) === true && !out.hasMember(n.pe)) {
      out.insert([n.pe]);
    }
  }
  out.members.sort(comparePE);
  for (const n of s.children) {
    let ct: TypeNode | undefined;
    if (n.pe.kind === 'field' && t?.map !== undefined) ct = fieldType(t.map, n.pe.name);
    else if (n.pe.kind === 'key' && t?.list !== undefined) ct = t.list.elem;
    out.children.push({ pe: n.pe, set: ensureNamedFieldsAreMembers(n.set, ct) });
  }
  return out;
}

/** PathToString prints a path as SMD does in conflicts. */
export type { Path };
export { DepthError };
