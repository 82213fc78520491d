// Typed operations on JSON values (sigs.k8s.io/structured-merge-diff/v6/typed): validation,
// field sets, comparison, merging and removal, each a walker over a value and its TypeNode with
// SMD's rules for atomic and associative lists, granular and atomic maps, and "big leaves".
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
  valueElement,
  valuesEqual,
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

const maxDepth = 10_000;

class DepthError extends Error {
  override name = 'DepthError';
}

/** DeduceAtom picks the part of an atom that matches the value (deduceAtom). */
function deduce(t: TypeNode, v: Json): TypeNode {
  if (v === undefined || v === null) return t;
  if (isScalar(v)) return t.scalar !== undefined ? { scalar: t.scalar } : t;
  if (Array.isArray(v)) return t.list !== undefined ? { list: t.list } : t;
  return t.map !== undefined ? { map: t.map } : t;
}

type Handler = { map(m: MapType): void; scalar(s: ScalarKind): void; list(l: ListType): void; invalid(): void };

function handle(t: TypeNode, h: Handler): void {
  if (t.map !== undefined) h.map(t.map);
  else if (t.scalar !== undefined) h.scalar(t.scalar);
  else if (t.list !== undefined) h.list(t.list);
  else h.invalid();
}

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
  const walk = (val: Json, tn: TypeNode, path: string, depth: number): void => {
    if (depth > maxDepth) throw new DepthError(`value nested deeper than ${maxDepth} levels`);
    const a = deduce(tn, val);
    handle(a, {
      scalar: (s) => {
        const e = scalarError(s, val);
        if (e !== undefined) errs.push({ path, message: e });
      },
      list: (l) => {
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
            if (!allowDuplicates && seen.some((s) => peEquals(s, r)))
              errs.push({ path, message: `duplicate entries for key ${peString(r)}` });
            seen.push(r);
          }
          walk(item, l.elem, path + peString(pe), depth + 1);
        }
      },
      map: (m) => {
        if (val === null || val === undefined) return;
        if (!isMap(val)) {
          errs.push({ path, message: `expected map, got ${JSON.stringify(val)}` });
          return;
        }
        for (const [k, child] of Object.entries(val)) {
          const ft = fieldType(m, k);
          if (ft === undefined) {
            errs.push({ path: `${path}.${k}`, message: 'field not declared in schema' });
            return;
          }
          walk(child, ft, `${path}.${k}`, depth + 1);
        }
      },
      invalid: () => errs.push({ path, message: 'schema error: invalid atom: inlined' }),
    });
  };
  walk(v, t, '', 0);
  return errs;
}

// ---------------------------------------------------------------------------------------------
// ToFieldSet

/** ToFieldSet returns every leaf field and list item of a value (typed.ToFieldSet). */
export function toFieldSet(v: Json, t: TypeNode): FieldSet {
  const set = new FieldSet();
  const walk = (val: Json, tn: TypeNode, path: PathElement[], depth: number): void => {
    if (depth > maxDepth) throw new DepthError(`value nested deeper than ${maxDepth} levels`);
    handle(deduce(tn, val), {
      scalar: () => set.insert(path),
      list: (l) => {
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
          if (seen.some((s) => peEquals(s, pe))) {
            if (!dup.some((d) => peEquals(d, pe))) {
              set.insert([...path, pe]);
              dup.push(pe);
            }
          } else seen.push(pe);
        }
        val.forEach((item, i) => {
          const pe = pes[i];
          if (pe === undefined || typeof pe === 'string' || dup.some((d) => peEquals(d, pe))) return;
          const p = [...path, pe];
          walk(item, l.elem, p, depth + 1);
          set.insert(p);
        });
      },
      map: (m) => {
        if (m.atomic) {
          set.insert(path);
          return;
        }
        if (!isMap(val)) return;
        for (const [k, child] of Object.entries(val)) {
          const ft = fieldType(m, k) ?? {};
          const p = [...path, field(k)];
          walk(child, ft, p, depth + 1);
          if (child === null || (isMap(child) && Object.keys(child).length === 0)) set.insert(p);
          else if (!m.fields.has(k)) set.insert(p);
        }
      },
      invalid: () => undefined,
    });
  };
  walk(v, t, [], 0);
  return set;
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
  const walk = (l: Json, r: Json, tn: TypeNode, path: PathElement[], depth: number): void => {
    if (depth > maxDepth) throw new DepthError(`value nested deeper than ${maxDepth} levels`);
    const al = deduce(tn, l);
    const ar = deduce(tn, r);
    let inLeaf = false;
    const leaf = (): void => {
      if (inLeaf) return;
      inLeaf = true;
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      else if (!valuesEqual(l, r)) c.modified.insert(path);
    };
    const run = (atom: TypeNode): void =>
      handle(atom, {
        scalar: leaf,
        list: (lt) => {
          const ll = Array.isArray(l) ? l : undefined;
          const rl = Array.isArray(r) ? r : undefined;
          if (lt.atomic || ((ll === undefined || ll.length === 0) && (rl === undefined || rl.length === 0))) {
            leaf();
            return;
          }
          compareLists(lt, ll ?? [], rl ?? [], path, depth);
        },
        map: (m) => {
          const lm = isMap(l) ? l : undefined;
          const rm = isMap(r) ? r : undefined;
          const lEmpty = lm === undefined || Object.keys(lm).length === 0;
          const rEmpty = rm === undefined || Object.keys(rm).length === 0;
          if (m.atomic || (lEmpty && rEmpty)) {
            leaf();
            return;
          }
          const keys = new Set([...Object.keys(lm ?? {}), ...Object.keys(rm ?? {})]);
          for (const k of keys) {
            walk(
              lm !== undefined && Object.hasOwn(lm, k) ? lm[k] : undefined,
              rm !== undefined && Object.hasOwn(rm, k) ? rm[k] : undefined,
              fieldType(m, k) ?? {},
              [...path, field(k)],
              depth + 1,
            );
          }
        },
        invalid: () => undefined,
      });
    if (r === undefined) run(al);
    else if (l === undefined || sameAtom(al, ar)) run(ar);
    else {
      // SMD walks the lhs atom on a copy of the walker (its own leaf flag), then the rhs atom.
      run(al);
      inLeaf = false;
      run(ar);
    }
    if (!inLeaf) {
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
    }
  };
  const compareLists = (lt: ListType, ll: Json[], rl: Json[], path: PathElement[], depth: number): void => {
    const all: PathElement[] = [];
    const lValues: [PathElement, Json[]][] = [];
    const rValues: [PathElement, Json[]][] = [];
    const find = (xs: [PathElement, Json[]][], pe: PathElement): Json[] | undefined => xs.find(([p]) => peEquals(p, pe))?.[1];
    for (const item of ll) {
      const pe = listItemPE(lt, item);
      if (typeof pe === 'string') continue;
      const hit = find(lValues, pe);
      if (hit !== undefined) hit.push(item);
      else {
        lValues.push([pe, [item]]);
        all.push(pe);
      }
    }
    for (const item of rl) {
      const pe = listItemPE(lt, item);
      if (typeof pe === 'string') continue;
      const hit = find(rValues, pe);
      if (hit !== undefined) hit.push(item);
      else {
        rValues.push([pe, [item]]);
        if (find(lValues, pe) === undefined) all.push(pe);
      }
    }
    for (const pe of all) {
      const lList = find(lValues, pe) ?? [];
      const rList = find(rValues, pe) ?? [];
      const p = [...path, pe];
      if (lList.length <= 1 && rList.length <= 1) walk(lList[0], rList[0], lt.elem, p, depth + 1);
      else if (lList.length >= 2 && rList.length >= 2) {
        if (lList.length !== rList.length || !lList.every((x, i) => valuesEqual(x, rList[i]))) c.modified.insert(p);
      } else if (lList.length >= 2) {
        if (rList.length !== 0) walk(undefined, rList[0], lt.elem, p, depth + 1);
        c.removed.insert(p);
      } else {
        if (lList.length !== 0) walk(lList[0], undefined, lt.elem, p, depth + 1);
        c.added.insert(p);
      }
    }
  };
  walk(lhs, rhs, t, [], 0);
  return c;
}

function sameAtom(a: TypeNode, b: TypeNode): boolean {
  return a.scalar === b.scalar && a.list === b.list && a.map === b.map;
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
  const walk = (l: Json, r: Json, tn: TypeNode, path: string, depth: number): Json => {
    if (depth > maxDepth) throw new DepthError(`value nested deeper than ${maxDepth} levels`);
    const al = deduce(tn, l);
    const ar = deduce(tn, r);
    let out: Json;
    let inLeaf = false;
    const leaf = (): void => {
      if (inLeaf) return;
      inLeaf = true;
      out = r !== undefined ? r : l;
    };
    const run = (atom: TypeNode): void =>
      handle(atom, {
        scalar: (s) => {
          const le = scalarError(s, l);
          const re = scalarError(s, r);
          if (le !== undefined && re !== undefined) {
            errs.push({ path, message: `lhs: ${le}` }, { path, message: `rhs: ${re}` });
            return;
          }
          leaf();
        },
        list: (lt) => {
          const ll = Array.isArray(l) ? l : undefined;
          const rl = Array.isArray(r) ? r : undefined;
          if (lt.atomic || ((ll === undefined || ll.length === 0) && (rl === undefined || rl.length === 0))) {
            leaf();
            return;
          }
          const items = mergeLists(lt, ll ?? [], rl ?? [], path, depth);
          if (items.length > 0) out = items;
        },
        map: (m) => {
          const lm = isMap(l) ? l : undefined;
          const rm = isMap(r) ? r : undefined;
          const lEmpty = lm === undefined || Object.keys(lm).length === 0;
          const rEmpty = rm === undefined || Object.keys(rm).length === 0;
          if (m.atomic || (lEmpty && rEmpty)) {
            leaf();
            return;
          }
          const o: Record<string, Json> = {};
          const keys = [...Object.keys(lm ?? {})];
          for (const k of Object.keys(rm ?? {})) if (lm === undefined || !Object.hasOwn(lm, k)) keys.push(k);
          for (const k of keys) {
            const v = walk(
              lm !== undefined && Object.hasOwn(lm, k) ? lm[k] : undefined,
              rm !== undefined && Object.hasOwn(rm, k) ? rm[k] : undefined,
              fieldType(m, k) ?? {},
              `${path}.${k}`,
              depth + 1,
            );
            if (v !== undefined) o[k] = v;
          }
          if (Object.keys(o).length > 0) out = o;
        },
        invalid: () => errs.push({ path, message: 'schema error: invalid atom: inlined' }),
      });
    if (r === undefined) run(al);
    else if (l === undefined || sameAtom(al, ar)) run(ar);
    else {
      // The lhs atom is walked on a copy of the walker whose output is discarded.
      run(al);
      out = undefined;
      inLeaf = false;
      run(ar);
    }
    return out;
  };
  const mergeLists = (lt: ListType, ll: Json[], rl: Json[], path: string, depth: number): Json[] => {
    const index = (list: Json[], allowDuplicates: boolean): { pes: PathElement[]; observed: [PathElement, Json][] } => {
      const pes: PathElement[] = [];
      const observed: [PathElement, Json][] = [];
      list.forEach((item, i) => {
        const pe = listItemPE(lt, item);
        if (typeof pe === 'string') {
          errs.push({ path, message: `element ${i}: ${pe}` });
          return;
        }
        const hit = observed.find(([p]) => peEquals(p, pe));
        if (hit !== undefined && !allowDuplicates) {
          errs.push({ path, message: `duplicate entries for key ${peString(pe)}` });
          return;
        }
        if (hit === undefined) observed.push([pe, item]);
        else hit[1] = null;
        pes.push(pe);
      });
      return { pes, observed };
    };
    const errsBefore = errs.length;
    const r = index(rl, false);
    const l = index(ll, true);
    if (errs.length !== errsBefore) return [];
    const get = (xs: [PathElement, Json][], pe: PathElement): [boolean, Json] => {
      const hit = xs.find(([p]) => peEquals(p, pe));
      return hit === undefined ? [false, undefined] : [true, hit[1]];
    };
    const shared: PathElement[] = r.pes.filter((pe) => get(l.observed, pe)[0]);
    let nextShared = shared.shift();
    const merged: PathElement[] = [];
    const out: Json[] = [];
    const push = (pe: PathElement, lc: Json, rc: Json): void => {
      const v = walk(lc, rc, lt.elem, path + peString(pe), depth + 1);
      if (v !== undefined) out.push(v);
    };
    let li = 0;
    let ri = 0;
    while (li < l.pes.length || ri < r.pes.length) {
      if (li < l.pes.length && ri < r.pes.length) {
        const pe = l.pes[li] as PathElement;
        if (peEquals(pe, r.pes[ri] as PathElement)) {
          merged.push(pe);
          push(pe, get(l.observed, pe)[1], get(r.observed, pe)[1]);
          li++;
          ri++;
          nextShared = shared.shift();
          continue;
        }
        if (get(r.observed, pe)[0] && nextShared !== undefined && !peEquals(nextShared, pe)) {
          li++;
          continue;
        }
      }
      if (li < l.pes.length) {
        const pe = l.pes[li] as PathElement;
        if (!get(r.observed, pe)[0]) {
          push(pe, ll[li], undefined);
          li++;
          continue;
        }
        if (merged.some((m) => peEquals(m, pe))) li++;
      }
      if (ri < r.pes.length) {
        const pe = r.pes[ri] as PathElement;
        merged.push(pe);
        push(pe, get(l.observed, pe)[1], get(r.observed, pe)[1]);
        ri++;
        if (nextShared !== undefined && peEquals(nextShared, pe)) nextShared = shared.shift();
      }
    }
    return out;
  };
  const result = walk(lhs, rhs, t, '', 0);
  if (errs.length > 0) throw new MergeError(errs);
  return result;
}

// ---------------------------------------------------------------------------------------------
// RemoveItems and EnsureNamedFieldsAreMembers

/** RemoveItems returns value without the paths in toRemove (typed.RemoveItems). Absent results are null, as SMD returns. */
export function removeItems(v: Json, t: TypeNode, toRemove: FieldSet): Json {
  const walk = (val: Json, tn: TypeNode, rm: FieldSet, depth: number): Json => {
    if (depth > maxDepth) throw new DepthError(`value nested deeper than ${maxDepth} levels`);
    let out: Json = null;
    handle(deduce(tn, val), {
      scalar: () => {
        out = val;
      },
      list: (lt) => {
        if (!Array.isArray(val) || val.length === 0 || lt.atomic) return;
        const items: Json[] = [];
        for (const item of val) {
          const pe = listItemPE(lt, item);
          if (typeof pe === 'string') {
            items.push(item);
            continue;
          }
          if (rm.hasMember(pe)) continue;
          const sub = rm.withPrefix(pe);
          items.push(sub.empty() ? item : walk(item, lt.elem, sub, depth + 1));
        }
        if (items.length > 0) out = items;
      },
      map: (m) => {
        if (!isMap(val) || Object.keys(val).length === 0 || m.atomic) return;
        const o: Record<string, Json> = {};
        for (const [k, child] of Object.entries(val)) {
          const pe = field(k);
          if (rm.hasMember(pe)) continue;
          const sub = rm.withPrefix(pe);
          o[k] = sub.empty() ? child : walk(child, fieldType(m, k) ?? {}, sub, depth + 1);
        }
        if (Object.keys(o).length > 0) out = o;
      },
      invalid: () => undefined,
    });
    return out;
  };
  return walk(v, t, toRemove, 0);
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
