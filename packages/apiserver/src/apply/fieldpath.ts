// Field paths and path sets as sigs.k8s.io/structured-merge-diff/v6/fieldpath defines them: path
// elements (field, key, value, index) with their total order, sets as sorted tries (members and
// children), set algebra, the FieldsV1 JSON encoding (`f:`, `k:`, `v:`, `i:`, `.`) and the printed
// path syntax used in conflict messages (`.spec.x`, `[name="a"]`, `[=v]`, `[3]`).
import { compareGoStrings, goFloat, goJSON, goQuote } from '../schema/gofmt.ts';
import { maxNestingDepth } from '../schema/json.ts';

export type Value = unknown;

/** A PathElement addresses one step: a struct field, a map-list item by key, a set item by value, or a list index. */
export type PathElement =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'key'; readonly fields: readonly (readonly [string, Value])[] }
  | { readonly kind: 'value'; readonly value: Value }
  | { readonly kind: 'index'; readonly index: number };

export type Path = readonly PathElement[];

export const field = (name: string): PathElement => ({ kind: 'field', name });
export const index = (i: number): PathElement => ({ kind: 'index', index: i });
export const valueElement = (value: Value): PathElement => ({ kind: 'value', value });
/** KeyElement builds a key element; fields are sorted by name as fieldpath does. */
export const keyElement = (fields: (readonly [string, Value])[]): PathElement => ({
  kind: 'key',
  fields: [...fields].sort((a, b) => compareGoStrings(a[0], b[0])),
});

// ---------------------------------------------------------------------------------------------
// Values: the total order and equality of value.Compare / value.Equals.

function typeRank(v: Value): number {
  if (typeof v === 'number') return Number.isInteger(v) ? 1 : 0;
  if (typeof v === 'string') return 2;
  if (typeof v === 'boolean') return 3;
  if (Array.isArray(v)) return 4;
  if (v !== null && typeof v === 'object') return 5;
  return 6;
}

/** CompareValues is value.Compare: floats < ints (numerically across both) < strings < bools < lists < maps < null. */
export function compareValues(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 2:
      return compareGoStrings(a as string, b as string);
    case 3:
      return a === b ? 0 : a === false ? -1 : 1;
    case 4: {
      const la = a as Value[];
      const lb = b as Value[];
      for (let i = 0; i < Math.min(la.length, lb.length); i++) {
        const c = compareValues(la[i], lb[i]);
        if (c !== 0) return c;
      }
      return la.length === lb.length ? 0 : la.length < lb.length ? -1 : 1;
    }
    case 5: {
      const ma = a as Record<string, Value>;
      const mb = b as Record<string, Value>;
      const ka = Object.keys(ma).sort(compareGoStrings);
      const kb = Object.keys(mb).sort(compareGoStrings);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const c = compareGoStrings(ka[i] ?? '', kb[i] ?? '');
        if (c !== 0) return c;
        const d = compareValues(ma[ka[i] ?? ''], mb[kb[i] ?? '']);
        if (d !== 0) return d;
      }
      return ka.length === kb.length ? 0 : ka.length < kb.length ? -1 : 1;
    }
    default:
      return 0;
  }
}

export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => valuesEqual(x, b[i]));
  }
  if (typeof a === 'object') {
    if (Array.isArray(b)) return false;
    const ra = a as Record<string, Value>;
    const rb = b as Record<string, Value>;
    const ka = Object.keys(ra);
    if (ka.length !== Object.keys(rb).length) return false;
    return ka.every((k) => Object.hasOwn(rb, k) && valuesEqual(ra[k], rb[k]));
  }
  return false;
}

/** ValueString is value.ToString (used in printed paths). */
export function valueString(v: Value): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFloat(v);
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(valueString).join(',')}]`;
  const rec = v as Record<string, Value>;
  return Object.keys(rec)
    .map((k) => `${k}=${valueString(rec[k])}`)
    .join('');
}

// ---------------------------------------------------------------------------------------------
// Path elements

const kindRank = { field: 0, key: 1, value: 2, index: 3 } as const;

/** ComparePE is PathElement.Compare. */
export function comparePE(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return kindRank[a.kind] < kindRank[b.kind] ? -1 : 1;
  switch (a.kind) {
    case 'field':
      return compareGoStrings(a.name, (b as typeof a).name);
    case 'key': {
      const fa = a.fields;
      const fb = (b as typeof a).fields;
      for (let i = 0; i < Math.min(fa.length, fb.length); i++) {
        const x = fa[i] as readonly [string, Value];
        const y = fb[i] as readonly [string, Value];
        const c = compareGoStrings(x[0], y[0]);
        if (c !== 0) return c;
        const d = compareValues(x[1], y[1]);
        if (d !== 0) return d;
      }
      return fa.length === fb.length ? 0 : fa.length < fb.length ? -1 : 1;
    }
    case 'value':
      return compareValues(a.value, (b as typeof a).value);
    default: {
      const ib = (b as typeof a).index;
      return a.index === ib ? 0 : a.index < ib ? -1 : 1;
    }
  }
}

export function peEquals(a: PathElement, b: PathElement): boolean {
  return comparePE(a, b) === 0;
}

/** PEString is PathElement.String: `.name`, `[k=v,...]`, `[=v]`, `[i]`. */
export function peString(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `.${pe.name}`;
    case 'key':
      return `[${pe.fields.map(([k, v]) => `${k}=${valueString(v)}`).join(',')}]`;
    case 'value':
      return `[=${valueString(pe.value)}]`;
    default:
      return `[${pe.index}]`;
  }
}

export function pathString(p: Path): string {
  return p.map(peString).join('');
}

/** SerializePE is the FieldsV1 key of an element. */
export function serializePE(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `f:${pe.name}`;
    case 'key':
      return `k:{${pe.fields.map(([k, v]) => `${goJSON(k)}:${goJSON(v)}`).join(',')}}`;
    case 'value':
      return `v:${goJSON(pe.value)}`;
    default:
      return `i:${pe.index}`;
  }
}

/** FieldsV1Error is a FieldsV1 document that cannot be decoded. */
export class FieldsV1Error extends Error {
  override name = 'FieldsV1Error';
}

class UnknownPathElementType extends FieldsV1Error {}

/** DeserializePE parses a FieldsV1 key. */
export function deserializePE(s: string): PathElement {
  if (s.length < 2) throw new FieldsV1Error(`key must be 2 characters long: ${s}`);
  if (s[1] !== ':') throw new FieldsV1Error(`missing colon: ${s}`);
  const rest = s.slice(2);
  switch (s[0]) {
    case 'f':
      return field(rest);
    case 'v':
      try {
        return valueElement(JSON.parse(rest) as Value);
      } catch (e) {
        throw new FieldsV1Error(`cannot parse value ${rest}: ${(e as Error).message}`);
      }
    case 'k': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(rest);
      } catch (e) {
        throw new FieldsV1Error(`cannot parse key ${rest}: ${(e as Error).message}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new FieldsV1Error(`key is not an object: ${rest}`);
      return keyElement(Object.entries(parsed as Record<string, Value>));
    }
    case 'i': {
      if (!/^-?[0-9]+$/.test(rest)) throw new FieldsV1Error(`invalid index ${rest}`);
      return index(Number(rest));
    }
    default:
      throw new UnknownPathElementType('unknown PathElementType');
  }
}

// ---------------------------------------------------------------------------------------------
// Sets

function search<T>(list: readonly T[], pe: PathElement, get: (t: T) => PathElement): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePE(get(list[mid] as T), pe) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const self = (pe: PathElement): PathElement => pe;
const nodePE = (n: SetNode): PathElement => n.pe;

interface SetNode {
  pe: PathElement;
  set: FieldSet;
}

/** FieldSet is a set of paths, stored as a trie of sorted members and children. */
export class FieldSet {
  members: PathElement[] = [];
  children: SetNode[] = [];

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(p: Path): void {
    if (p.length === 0) return;
    let s: FieldSet = this;
    for (let i = 0; i < p.length - 1; i++) s = s.descend(p[i] as PathElement);
    const last = p[p.length - 1] as PathElement;
    const loc = search(s.members, last, self);
    if (loc < s.members.length && peEquals(s.members[loc] as PathElement, last)) return;
    s.members.splice(loc, 0, last);
  }

  descend(pe: PathElement): FieldSet {
    const loc = search(this.children, pe, nodePE);
    const hit = this.children[loc];
    if (hit !== undefined && peEquals(hit.pe, pe)) return hit.set;
    const set = new FieldSet();
    this.children.splice(loc, 0, { pe, set });
    return set;
  }

  child(pe: PathElement): FieldSet | undefined {
    const loc = search(this.children, pe, nodePE);
    const hit = this.children[loc];
    return hit !== undefined && peEquals(hit.pe, pe) ? hit.set : undefined;
  }

  hasMember(pe: PathElement): boolean {
    const loc = search(this.members, pe, self);
    const hit = this.members[loc];
    return hit !== undefined && peEquals(hit, pe);
  }

  has(p: Path): boolean {
    if (p.length === 0) return false;
    let s: FieldSet | undefined = this;
    for (let i = 0; i < p.length - 1; i++) {
      s = s.child(p[i] as PathElement);
      if (s === undefined) return false;
    }
    return s.hasMember(p[p.length - 1] as PathElement);
  }

  empty(): boolean {
    return this.members.length === 0 && this.children.every((c) => c.set.empty());
  }

  /** WithPrefix returns the subset under pe (an empty set when absent). */
  withPrefix(pe: PathElement): FieldSet {
    return this.child(pe) ?? new FieldSet();
  }

  union(o: FieldSet): FieldSet {
    const out = new FieldSet();
    out.members = mergeSorted(this.members, o.members, self, (a) => a, 'union');
    const ch: SetNode[] = [];
    let i = 0;
    let j = 0;
    while (i < this.children.length && j < o.children.length) {
      const a = this.children[i] as SetNode;
      const b = o.children[j] as SetNode;
      const c = comparePE(a.pe, b.pe);
      if (c < 0) {
        ch.push(a);
        i++;
      } else if (c > 0) {
        ch.push(b);
        j++;
      } else {
        ch.push({ pe: a.pe, set: a.set.union(b.set) });
        i++;
        j++;
      }
    }
    ch.push(...this.children.slice(i), ...o.children.slice(j));
    out.children = ch;
    return out;
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    out.members = mergeSorted(this.members, o.members, self, (a) => a, 'intersection');
    let i = 0;
    let j = 0;
    while (i < this.children.length && j < o.children.length) {
      const a = this.children[i] as SetNode;
      const b = o.children[j] as SetNode;
      const c = comparePE(a.pe, b.pe);
      if (c < 0) i++;
      else if (c > 0) j++;
      else {
        const r = a.set.intersection(b.set);
        if (!r.empty()) out.children.push({ pe: a.pe, set: r });
        i++;
        j++;
      }
    }
    return out;
  }

  /** Difference removes o's paths (not recursively: removing a member keeps its children). */
  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    out.members = mergeSorted(this.members, o.members, self, (a) => a, 'difference');
    for (const n of this.children) {
      const other = o.child(n.pe);
      if (other === undefined) out.children.push(n);
      else {
        const d = n.set.difference(other);
        if (!d.empty()) out.children.push({ pe: n.pe, set: d });
      }
    }
    return out;
  }

  /** RecursiveDifference also drops children of removed members. */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    out.members = mergeSorted(this.members, o.members, self, (a) => a, 'difference');
    for (const n of this.children) {
      if (o.hasMember(n.pe)) continue;
      const other = o.child(n.pe);
      if (other === undefined) out.children.push(n);
      else {
        const d = n.set.recursiveDifference(other);
        if (!d.empty()) out.children.push({ pe: n.pe, set: d });
      }
    }
    return out;
  }

  /** Iterate calls f for every path in order (members first, then children). */
  iterate(f: (p: Path) => void, prefix: PathElement[] = []): void {
    for (const m of this.members) f([...prefix, m]);
    for (const c of this.children) c.set.iterate(f, [...prefix, c.pe]);
  }

  paths(): Path[] {
    const out: Path[] = [];
    this.iterate((p) => out.push(p));
    return out;
  }

  equals(o: FieldSet): boolean {
    return this.toFieldsV1JSON() === o.toFieldsV1JSON();
  }

  /** ToFieldsV1 encodes the set as a FieldsV1 object (keys in SMD's emission order). */
  toFieldsV1(): Record<string, unknown> {
    return this.#emit(false);
  }

  toFieldsV1JSON(): string {
    return JSON.stringify(this.toFieldsV1());
  }

  #emit(includeSelf: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (includeSelf && (this.members.length > 0 || this.children.length > 0)) out['.'] = {};
    let mi = 0;
    let ci = 0;
    while (mi < this.members.length || ci < this.children.length) {
      const m = this.members[mi];
      const c = this.children[ci];
      const cmp = m === undefined ? 1 : c === undefined ? -1 : comparePE(m, c.pe);
      if (cmp < 0 && m !== undefined) {
        out[serializePE(m)] = {};
        mi++;
      } else if (cmp > 0 && c !== undefined) {
        out[serializePE(c.pe)] = c.set.#emit(false);
        ci++;
      } else if (c !== undefined) {
        out[serializePE(c.pe)] = c.set.#emit(true);
        mi++;
        ci++;
      }
    }
    return out;
  }

  /** FromFieldsV1 decodes a FieldsV1 object. */
  static fromFieldsV1(v: unknown): FieldSet {
    return read(v, 0).children ?? new FieldSet();
  }
}

/** MaxFieldsV1Depth bounds decoding (two levels per object level, for objects up to maxNestingDepth). */
const maxFieldsV1Depth = 2 * maxNestingDepth + 16;

function read(v: unknown, depth: number): { children: FieldSet | undefined; isMember: boolean } {
  if (depth > maxFieldsV1Depth) throw new FieldsV1Error(`fieldsV1 nested deeper than ${maxFieldsV1Depth} levels`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FieldsV1Error(`expected an object, got ${JSON.stringify(v)}`);
  let children: FieldSet | undefined;
  let isMember = false;
  for (const [k, sub] of Object.entries(v as Record<string, unknown>)) {
    if (k === '.') {
      isMember = true;
      continue;
    }
    let pe: PathElement;
    try {
      pe = deserializePE(k);
    } catch (e) {
      if (e instanceof UnknownPathElementType) continue;
      throw e;
    }
    const r = read(sub, depth + 1);
    if (r.isMember) {
      children ??= new FieldSet();
      children.insert([pe]);
    }
    if (r.children !== undefined) {
      children ??= new FieldSet();
      const target = children.descend(pe);
      target.members = r.children.members;
      target.children = r.children.children;
    }
  }
  if (children === undefined) isMember = true;
  return { children, isMember };
}

function mergeSorted<T>(a: T[], b: T[], get: (t: T) => PathElement, id: (t: T) => T, mode: 'union' | 'intersection' | 'difference'): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as T;
    const y = b[j] as T;
    const c = comparePE(get(x), get(y));
    if (c < 0) {
      if (mode !== 'intersection') out.push(id(x));
      i++;
    } else if (c > 0) {
      if (mode === 'union') out.push(id(y));
      j++;
    } else {
      if (mode !== 'difference') out.push(id(x));
      i++;
      j++;
    }
  }
  if (mode !== 'intersection') out.push(...a.slice(i));
  if (mode === 'union') out.push(...b.slice(j));
  return out;
}
