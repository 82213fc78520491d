// A CEL type checker and static cost estimator for x-kubernetes-validations, over @bufbuild/cel's
// parsed AST. It reproduces what kube-apiserver reports when a CRD is created: compile errors in
// cel-go's format (`ERROR: <input>:1:5: undefined field 'foo'` with the source snippet), the
// bool/string result requirement, oldSelf use, and cel-go's cost estimate (so expensive rules are
// rejected up front instead of running forever). Functions it does not know are reported as
// undeclared, as cel-go does for functions outside Kubernetes' environment.
import type { Expr, ParsedExpr } from '@bufbuild/cel-spec/cel/expr/syntax_pb.js';
import type { DeclType } from './decl.ts';

/** CT is a checked CEL type. */
export type CT =
  | { k: 'dyn' | 'int' | 'uint' | 'double' | 'bool' | 'string' | 'bytes' | 'null' | 'timestamp' | 'duration' | 'type' | 'error' }
  | { k: 'list'; elem: CT; decl?: DeclType }
  | { k: 'map'; key: CT; val: CT; decl?: DeclType }
  | { k: 'object'; decl: DeclType }
  | { k: 'opaque'; name: string }
  | { k: 'optional'; inner: CT };

const dyn: CT = { k: 'dyn' };
const int: CT = { k: 'int' };
const uint: CT = { k: 'uint' };
const dbl: CT = { k: 'double' };
const bool: CT = { k: 'bool' };
const str: CT = { k: 'string' };
const bytes: CT = { k: 'bytes' };
const nul: CT = { k: 'null' };
const ts: CT = { k: 'timestamp' };
const dur: CT = { k: 'duration' };
const typ: CT = { k: 'type' };
const err: CT = { k: 'error' };
const listOf = (elem: CT): CT => ({ k: 'list', elem });
const urlName = 'kubernetes.URL';
const urlT: CT = { k: 'opaque', name: urlName };
const quantityT: CT = { k: 'opaque', name: 'kubernetes.Quantity' };
const ipT: CT = { k: 'opaque', name: 'net.IP' };
const cidrT: CT = { k: 'opaque', name: 'net.CIDR' };

/** FromDecl converts a schema-derived DeclType to a checked type. */
export function fromDecl(d: DeclType): CT {
  switch (d.kind) {
    case 'object':
      return { k: 'object', decl: d };
    case 'map':
      return { k: 'map', key: str, val: d.elem === undefined ? dyn : fromDecl(d.elem), decl: d };
    case 'list':
      return { k: 'list', elem: d.elem === undefined ? dyn : fromDecl(d.elem), decl: d };
    case 'string':
      return str;
    case 'bytes':
      return bytes;
    case 'int':
      return int;
    case 'double':
      return dbl;
    case 'bool':
      return bool;
    case 'timestamp':
      return ts;
    case 'duration':
      return dur;
    default:
      return dyn;
  }
}

/** TypeString prints a type as cel-go does in messages. */
export function typeString(t: CT): string {
  switch (t.k) {
    case 'list':
      return `list(${typeString(t.elem)})`;
    case 'map':
      return `map(${typeString(t.key)}, ${typeString(t.val)})`;
    case 'object':
      return 'object';
    case 'timestamp':
      return 'google.protobuf.Timestamp';
    case 'duration':
      return 'google.protobuf.Duration';
    case 'null':
      return 'null_type';
    case 'opaque':
      return t.name;
    case 'optional':
      return `optional_type(${typeString(t.inner)})`;
    default:
      return t.k;
  }
}

function isDyn(t: CT): boolean {
  return t.k === 'dyn' || t.k === 'error';
}

function isNum(t: CT): boolean {
  return t.k === 'int' || t.k === 'uint' || t.k === 'double';
}

/** Assignable reports whether values of type b can be used where a is expected (with dyn as wildcard). */
function assignable(a: CT, b: CT): boolean {
  if (isDyn(a) || isDyn(b)) return true;
  if (a.k !== b.k) {
    // null is assignable to aggregate and message-like types.
    if (
      b.k === 'null' &&
      (a.k === 'object' || a.k === 'map' || a.k === 'list' || a.k === 'timestamp' || a.k === 'duration' || a.k === 'opaque')
    )
      return true;
    if (
      a.k === 'null' &&
      (b.k === 'object' || b.k === 'map' || b.k === 'list' || b.k === 'timestamp' || b.k === 'duration' || b.k === 'opaque')
    )
      return true;
    return false;
  }
  if (a.k === 'list' && b.k === 'list') return assignable(a.elem, b.elem);
  if (a.k === 'map' && b.k === 'map') return assignable(a.key, b.key) && assignable(a.val, b.val);
  if (a.k === 'opaque' && b.k === 'opaque') return a.name === b.name;
  if (a.k === 'optional' && b.k === 'optional') return assignable(a.inner, b.inner);
  return true;
}

function join(a: CT, b: CT): CT {
  if (isDyn(a)) return b;
  if (isDyn(b)) return a;
  if (a.k === 'list' && b.k === 'list') return listOf(join(a.elem, b.elem));
  return a;
}

// ---------------------------------------------------------------------------------------------
// Cost and size estimates (cel-go checker/cost.go)

/** MaxU64 stands for math.MaxUint64 (costs saturate there). */
export const maxU64 = 2 ** 64;

interface Est {
  min: number;
  max: number;
}

function add(a: Est, b: Est): Est {
  return { min: Math.min(a.min + b.min, maxU64), max: Math.min(a.max + b.max, maxU64) };
}

function mul(a: Est, b: Est): Est {
  return { min: Math.min(a.min * b.min, maxU64), max: Math.min(a.max * b.max, maxU64) };
}

function factor(a: Est, f: number): Est {
  const m = (x: number): number => (x >= maxU64 ? maxU64 : Math.min(Math.ceil(x * f), maxU64));
  return { min: m(a.min), max: m(a.max) };
}

function union(a: Est, b: Est): Est {
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

const fixed = (n: number): Est => ({ min: n, max: n });
const zero = fixed(0);
const unknownSize: Est = { min: 0, max: maxU64 };

// ---------------------------------------------------------------------------------------------

/** A CheckError is one compile error at an offset of the source. */
function sameOpaque(a: CT, b: CT): boolean {
  return a.k === 'opaque' && b.k === 'opaque' && a.name === b.name;
}

/** NamespacedFunctions are the qualified function names of the Kubernetes CEL environment. */
const namespacedFunctions: ReadonlySet<string> = new Set([
  'sets.contains',
  'sets.equivalent',
  'sets.intersects',
  'lists.range',
  'ip.isCanonical',
  'strings.quote',
  'optional.of',
  'optional.none',
  'optional.ofNonZeroValue',
]);

export interface CheckError {
  offset: number;
  message: string;
}

/** CheckResult is what the checker learned about an expression. */
export interface CheckResult {
  type: CT;
  errors: CheckError[];
  usesOldSelf: boolean;
  /** Cost is cel-go's estimated maximum cost. */
  cost: number;
}

interface Var {
  type: CT;
  path: string[] | undefined;
  size: Est | undefined;
}

/** CheckEnv is the variables a rule sees. */
export interface CheckEnv {
  self: DeclType;
  /** OptionalOldSelf makes oldSelf an optional (rules with optionalOldSelf: true). */
  optionalOldSelf: boolean;
}

type Kind = 'const' | 'ident' | 'select' | 'call' | 'list' | 'struct' | 'comprehension' | 'none';

function kindOf(e: Expr): Kind {
  switch (e.exprKind.case) {
    case 'constExpr':
      return 'const';
    case 'identExpr':
      return 'ident';
    case 'selectExpr':
      return 'select';
    case 'callExpr':
      return 'call';
    case 'listExpr':
      return 'list';
    case 'structExpr':
      return 'struct';
    case 'comprehensionExpr':
      return 'comprehension';
    default:
      return 'none';
  }
}

class Checker {
  readonly errors: CheckError[] = [];
  usesOldSelf = false;
  readonly #positions: Record<string, number>;
  readonly #scopes: Map<string, Var>[] = [];
  readonly #env: CheckEnv;
  readonly #types = new Map<bigint, CT>();
  readonly #paths = new Map<bigint, string[]>();
  readonly #sizes = new Map<bigint, Est>();
  readonly #root: DeclType;
  readonly #source: string;
  /** Inside the arguments of `format`, literals need not be homogeneous (cel-go exempts them). */
  #exempt = 0;

  constructor(env: CheckEnv, positions: Record<string, number>, source: string) {
    this.#source = source;
    this.#env = env;
    this.#root = env.self;
    this.#positions = positions;
  }

  error(e: Expr, message: string): CT {
    let offset = this.#positions[String(e.id)] ?? 0;
    // cel-go locates a call at its '(' and a conditional at its '?'; the parser records the name.
    if (e.exprKind.case === 'callExpr') {
      const fn = e.exprKind.value.function;
      const mark = fn === '_?_:_' ? '?' : /^[A-Za-z_]/.test(fn) ? '(' : undefined;
      if (mark !== undefined) {
        const i = this.#source.indexOf(mark, offset);
        if (i !== -1) offset = i;
      }
    }
    this.errors.push({ offset, message });
    return err;
  }

  lookup(name: string): Var | undefined {
    for (let i = this.#scopes.length - 1; i >= 0; i--) {
      const v = this.#scopes[i]?.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  typeOf(e: Expr): CT {
    return this.#types.get(e.id) ?? dyn;
  }

  pathOf(e: Expr): string[] | undefined {
    if (e.exprKind.case === 'identExpr') {
      const v = this.lookup(e.exprKind.value.name);
      if (v !== undefined) return v.path;
      // cel-go gives every other identifier the path [name].
      return this.#paths.get(e.id) ?? [e.exprKind.value.name];
    }
    return this.#paths.get(e.id);
  }

  /** SizeOfPath is the size the schema allows at a path from self (maxLength, maxItems, ...). */
  sizeOfPath(path: readonly string[]): Est | undefined {
    // Like apiextensions' sizeEstimator, the first element is assumed to be self whatever it
    // is: a global identifier such as the type `int` gets the root's size.
    if (path.length === 0) return undefined;
    let cur: DeclType | undefined = this.#root;
    for (const p of path.slice(1)) {
      if (cur === undefined) break;
      if (p === '@items' || p === '@values') cur = cur.elem;
      else if (p === '@keys') cur = { kind: 'string', maxElements: 0, minSerializedSize: 2 };
      else cur = cur.fields?.get(p)?.type;
    }
    return cur === undefined ? undefined : { min: 0, max: cur.maxElements };
  }

  /** SizeOf estimates the size (length/elements) of an expression's value. */
  sizeOf(e: Expr): Est {
    const known = this.#sizes.get(e.id);
    if (known !== undefined) return known;
    const k = e.exprKind;
    if (k.case === 'constExpr') {
      const c = k.value.constantKind;
      if (c.case === 'stringValue') return fixed([...c.value].length);
      if (c.case === 'bytesValue') return fixed(c.value.length);
      return fixed(1);
    }
    if (k.case === 'listExpr') return fixed(k.value.elements.length);
    if (k.case === 'structExpr') return fixed(k.value.entries.length);
    const path = this.pathOf(e);
    const fromPath = path === undefined ? undefined : this.sizeOfPath(path);
    if (fromPath !== undefined) return fromPath;
    const t = this.typeOf(e);
    if (t.k === 'bool' || t.k === 'double' || t.k === 'duration' || t.k === 'int' || t.k === 'timestamp' || t.k === 'uint') return fixed(1);
    if (e.exprKind.case === 'identExpr') {
      const v = this.lookup(e.exprKind.value.name);
      if (v?.size !== undefined) return v.size;
    }
    return unknownSize;
  }

  check(e: Expr): { type: CT; cost: Est } {
    const r = this.#check(e);
    this.#types.set(e.id, r.type);
    return r;
  }

  #check(e: Expr): { type: CT; cost: Est } {
    const k = e.exprKind;
    switch (k.case) {
      case 'constExpr': {
        const c = k.value.constantKind;
        switch (c.case) {
          case 'int64Value':
            return { type: int, cost: zero };
          case 'uint64Value':
            return { type: uint, cost: zero };
          case 'doubleValue':
            return { type: dbl, cost: zero };
          case 'stringValue':
            return { type: str, cost: zero };
          case 'boolValue':
            return { type: bool, cost: zero };
          case 'bytesValue':
            return { type: bytes, cost: zero };
          case 'nullValue':
            return { type: nul, cost: zero };
          default:
            return { type: dyn, cost: zero };
        }
      }
      case 'identExpr':
        return { type: this.#ident(e, k.value.name), cost: fixed(1) };
      case 'selectExpr': {
        const { operand, field, testOnly } = k.value;
        const op = operand === undefined ? { type: dyn, cost: zero } : this.check(operand);
        const opPath = operand === undefined ? undefined : this.pathOf(operand);
        if (opPath !== undefined) this.#paths.set(e.id, [...opPath, field]);
        const ft = this.#selectType(e, op.type, field, testOnly);
        if (testOnly) return { type: bool, cost: op.cost };
        const selCost = op.type.k === 'map' || op.type.k === 'object' || isDyn(op.type) ? fixed(1) : zero;
        return { type: ft, cost: add(op.cost, selCost) };
      }
      case 'callExpr':
        return this.#call(e, k.value.function, k.value.target, k.value.args);
      case 'listExpr': {
        let elem: CT = dyn;
        let first = true;
        let cost = fixed(10);
        for (const el of k.value.elements) {
          const r = this.check(el);
          cost = add(cost, r.cost);
          if (first) {
            elem = r.type;
            first = false;
          } else if (!assignable(elem, r.type) && !isDyn(r.type)) {
            if (this.#exempt > 0) elem = dyn;
            else this.error(el, `expected type '${typeString(elem)}' but found '${typeString(r.type)}'`);
          } else elem = join(elem, r.type);
        }
        return { type: listOf(elem), cost };
      }
      case 'structExpr': {
        let cost = fixed(k.value.messageName === '' ? 30 : 40);
        let keyT: CT = dyn;
        let valT: CT = dyn;
        let first = true;
        for (const entry of k.value.entries) {
          const kind = entry.keyKind;
          if (kind.case === 'mapKey') {
            const kr = this.check(kind.value);
            cost = add(cost, kr.cost);
            if (first) keyT = kr.type;
            else keyT = this.#homogeneous(kind.value, keyT, kr.type);
          }
          if (entry.value !== undefined) {
            const vr = this.check(entry.value);
            cost = add(cost, vr.cost);
            if (first) valT = vr.type;
            else valT = this.#homogeneous(entry.value, valT, vr.type);
          }
          first = false;
        }
        if (k.value.messageName !== '')
          return { type: this.error(e, `undeclared reference to '${k.value.messageName}' (in container '')`), cost };
        return { type: { k: 'map', key: keyT, val: valT }, cost };
      }
      case 'comprehensionExpr':
        return this.#comprehension(e);
      default:
        return { type: dyn, cost: zero };
    }
  }

  /** Homogeneous enforces cel.HomogeneousAggregateLiterals for one more element of a literal. */
  #homogeneous(el: Expr, have: CT, got: CT): CT {
    if (assignable(have, got) || isDyn(got)) return join(have, got);
    if (this.#exempt > 0) return dyn;
    this.error(el, `expected type '${typeString(have)}' but found '${typeString(got)}'`);
    return have;
  }

  #ident(e: Expr, name: string): CT {
    const v = this.lookup(name);
    if (v !== undefined) return v.type;
    if (name === 'self') {
      this.#paths.set(e.id, ['self']);
      return fromDecl(this.#env.self);
    }
    if (name === 'oldSelf') {
      this.usesOldSelf = true;
      this.#paths.set(e.id, ['oldSelf']);
      const t = fromDecl(this.#env.self);
      return this.#env.optionalOldSelf ? { k: 'optional', inner: t } : t;
    }
    switch (name) {
      case 'int':
      case 'uint':
      case 'double':
      case 'bool':
      case 'string':
      case 'bytes':
      case 'list':
      case 'map':
      case 'null_type':
      case 'type':
      case 'dyn':
      case 'google.protobuf.Timestamp':
      case 'google.protobuf.Duration':
        return typ;
    }
    return this.error(e, `undeclared reference to '${name}' (in container '')`);
  }

  #selectType(e: Expr, t: CT, field: string, testOnly: boolean): CT {
    if (isDyn(t)) return dyn;
    if (t.k === 'object') {
      const f = t.decl.fields?.get(field);
      if (f === undefined) return this.error(e, `undefined field '${field}'`);
      return fromDecl(f.type);
    }
    if (t.k === 'map') return t.val;
    if (testOnly) return this.error(e, `invalid type argument to has() macro: ${typeString(t)}`);
    return this.error(e, `type '${typeString(t)}' does not support field selection`);
  }

  #comprehension(e: Expr): { type: CT; cost: Est } {
    if (e.exprKind.case !== 'comprehensionExpr') return { type: dyn, cost: zero };
    const c = e.exprKind.value;
    const range = c.iterRange === undefined ? { type: dyn, cost: zero } : this.check(c.iterRange);
    const init = c.accuInit === undefined ? { type: dyn, cost: zero } : this.check(c.accuInit);
    let iterT: CT = dyn;
    let iter2T: CT | undefined;
    const rt = range.type;
    let sub = '@items';
    if (rt.k === 'list') {
      iterT = c.iterVar2 !== '' ? int : rt.elem;
      if (c.iterVar2 !== '') iter2T = rt.elem;
    } else if (rt.k === 'map') {
      iterT = rt.key;
      sub = '@keys';
      if (c.iterVar2 !== '') iter2T = rt.val;
    } else if (!isDyn(rt) && c.iterRange !== undefined) {
      this.error(c.iterRange, `expression of type '${typeString(rt)}' cannot be range of a comprehension (must be list, map, or dynamic)`);
    }
    const rangePath = c.iterRange === undefined ? undefined : this.pathOf(c.iterRange);
    const rangeSize = c.iterRange === undefined ? unknownSize : this.sizeOf(c.iterRange);
    const scope = new Map<string, Var>();
    scope.set(c.accuVar, { type: init.type, path: undefined, size: c.accuInit === undefined ? undefined : this.sizeOf(c.accuInit) });
    scope.set(c.iterVar, { type: iterT, path: rangePath === undefined ? undefined : [...rangePath, sub], size: undefined });
    if (iter2T !== undefined)
      scope.set(c.iterVar2, { type: iter2T, path: rangePath === undefined ? undefined : [...rangePath, '@values'], size: undefined });
    this.#scopes.push(scope);
    const cond = c.loopCondition === undefined ? { type: bool, cost: zero } : this.check(c.loopCondition);
    let step = c.loopStep === undefined ? { type: dyn, cost: zero } : this.check(c.loopStep);
    const accuT = join(init.type, step.type);
    if (accuT !== init.type && c.loopStep !== undefined) {
      scope.set(c.accuVar, { type: accuT, path: undefined, size: undefined });
      step = this.check(c.loopStep);
    }
    scope.delete(c.iterVar);
    if (iter2T !== undefined) scope.delete(c.iterVar2);
    const result = c.result === undefined ? { type: dyn, cost: zero } : this.check(c.result);
    this.#scopes.pop();
    const loop = mul(rangeSize, add(step.cost, cond.cost));
    let cost = add(add(add(range.cost, init.cost), result.cost), loop);
    if (c.accuInit !== undefined && c.accuInit.exprKind.case === 'listExpr') this.#sizes.set(e.id, rangeSize);
    if (cost.max > maxU64) cost = { ...cost, max: maxU64 };
    return { type: result.type, cost };
  }

  #call(e: Expr, fn: string, target: Expr | undefined, args: Expr[]): { type: CT; cost: Est } {
    // `sets.contains(a, b)` parses as a call of `contains` on an identifier `sets`; like cel-go,
    // resolve it as the namespaced function when no variable has that name.
    if (target?.exprKind.case === 'identExpr' && this.lookup(target.exprKind.value.name) === undefined) {
      const qualified = `${target.exprKind.value.name}.${fn}`;
      if (namespacedFunctions.has(qualified)) return this.#call(e, qualified, undefined, args);
    }
    const tr = target === undefined ? undefined : this.check(target);
    if (fn === 'format') this.#exempt++;
    const ar = args.map((a) => this.check(a));
    if (fn === 'format') this.#exempt--;
    const argCost = ar.reduce((s, r) => add(s, r.cost), tr?.cost ?? zero);
    const t = tr?.type;
    const at = ar.map((r) => r.type);
    const noMatch = (): CT => {
      const sig = at.map(typeString).join(', ');
      return this.error(
        e,
        `found no matching overload for '${fn}' applied to '${t === undefined ? `(${sig})` : `${typeString(t)}.(${sig})`}'`,
      );
    };
    const a0 = at[0] ?? dyn;
    const a1 = at[1] ?? dyn;
    const one = (type: CT): { type: CT; cost: Est } => ({ type, cost: add(argCost, fixed(1)) });
    const linear = (size: Est, f: number, type: CT): { type: CT; cost: Est } => ({ type, cost: add(argCost, factor(size, f)) });
    const strSize = (x: Expr | undefined): Est => (x === undefined ? unknownSize : this.sizeOf(x));
    const receiver = (want: CT): boolean => t !== undefined && (isDyn(t) || sameOpaque(t, want));
    switch (fn) {
      case '_&&_':
      case '_||_': {
        if (!(assignable(bool, a0) && assignable(bool, a1))) return { type: noMatch(), cost: argCost };
        const lhs = ar[0]?.cost ?? zero;
        const rhs = ar[1]?.cost ?? zero;
        return { type: bool, cost: { min: lhs.min, max: add(lhs, rhs).max } };
      }
      case '!_':
      case '@not_strictly_false':
        return assignable(bool, a0) ? one(bool) : { type: noMatch(), cost: argCost };
      case '-_':
        return a0.k === 'int' || a0.k === 'double' || isDyn(a0) ? one(a0) : { type: noMatch(), cost: argCost };
      case '_==_':
      case '_!=_': {
        if (!assignable(a0, a1) && !(isNum(a0) && isNum(a1))) return { type: noMatch(), cost: argCost };
        // library.CostEstimator: equality of two IPs, CIDRs, quantities or URLs is O(1) (only
        // `==`; `!=` keeps cel-go's size-based estimate).
        if (fn === '_==_' && a0.k === 'opaque' && sameOpaque(a0, a1)) return one(bool);
        const ls = args[0] === undefined ? unknownSize : this.sizeOf(args[0]);
        const rs = args[1] === undefined ? unknownSize : this.sizeOf(args[1]);
        const smallestMax = Math.min(ls.max, rs.max);
        return { type: bool, cost: add(argCost, factor({ min: smallestMax > 0 ? 1 : 0, max: smallestMax }, 0.1)) };
      }
      case '_<_':
      case '_<=_':
      case '_>_':
      case '_>=_': {
        const ok =
          (isNum(a0) && isNum(a1)) ||
          isDyn(a0) ||
          isDyn(a1) ||
          (a0.k === a1.k && ['string', 'bytes', 'bool', 'timestamp', 'duration'].includes(a0.k));
        if (!ok) return { type: noMatch(), cost: argCost };
        if (a0.k === 'string' || a0.k === 'bytes') {
          const ls = args[0] === undefined ? unknownSize : this.sizeOf(args[0]);
          const rs = args[1] === undefined ? unknownSize : this.sizeOf(args[1]);
          const smallestMax = Math.min(ls.max, rs.max);
          return { type: bool, cost: add(argCost, factor({ min: smallestMax > 0 ? 1 : 0, max: smallestMax }, 0.1)) };
        }
        return one(bool);
      }
      case '_+_': {
        if (isDyn(a0) || isDyn(a1)) return one(isDyn(a0) ? a1 : a0);
        if (a0.k === 'list' && a1.k === 'list') {
          const size = add(strSize(args[0]), strSize(args[1]));
          this.#sizes.set(e.id, size);
          return one(listOf(join(a0.elem, a1.elem)));
        }
        if ((a0.k === 'string' && a1.k === 'string') || (a0.k === 'bytes' && a1.k === 'bytes')) {
          const size = add(strSize(args[0]), strSize(args[1]));
          this.#sizes.set(e.id, size);
          return linear(size, 0.1, a0);
        }
        if (a0.k === 'timestamp' && a1.k === 'duration') return one(ts);
        if (a0.k === 'duration' && (a1.k === 'duration' || a1.k === 'timestamp')) return one(a1);
        if (isNum(a0) && a0.k === a1.k) return one(a0);
        return { type: noMatch(), cost: argCost };
      }
      case '_-_': {
        if (isDyn(a0) || isDyn(a1)) return one(dyn);
        if (a0.k === 'timestamp' && a1.k === 'timestamp') return one(dur);
        if (a0.k === 'timestamp' && a1.k === 'duration') return one(ts);
        if (a0.k === 'duration' && a1.k === 'duration') return one(dur);
        if (isNum(a0) && a0.k === a1.k) return one(a0);
        return { type: noMatch(), cost: argCost };
      }
      case '_*_':
      case '_/_':
        if (isDyn(a0) || isDyn(a1)) return one(isDyn(a0) ? a1 : a0);
        return isNum(a0) && a0.k === a1.k ? one(a0) : { type: noMatch(), cost: argCost };
      case '_%_':
        if (isDyn(a0) || isDyn(a1)) return one(isDyn(a0) ? a1 : a0);
        return (a0.k === 'int' || a0.k === 'uint') && a0.k === a1.k ? one(a0) : { type: noMatch(), cost: argCost };
      case '_?_:_': {
        if (!assignable(bool, a0)) return { type: noMatch(), cost: argCost };
        if (!assignable(a1, at[2] ?? dyn)) return { type: noMatch(), cost: argCost };
        const c0 = ar[0]?.cost ?? zero;
        const branches = union(ar[1]?.cost ?? zero, ar[2]?.cost ?? zero);
        if (args[1] !== undefined && args[2] !== undefined) this.#sizes.set(e.id, union(this.sizeOf(args[1]), this.sizeOf(args[2])));
        return { type: join(a1, at[2] ?? dyn), cost: add(c0, branches) };
      }
      case '_[_]':
      case '_[?_]': {
        const basePath = args[0] === undefined ? undefined : this.pathOf(args[0]);
        if (a0.k === 'list') {
          if (!assignable(int, a1) && a1.k !== 'uint') return { type: noMatch(), cost: argCost };
          if (basePath !== undefined) this.#paths.set(e.id, [...basePath, '@items']);
          return one(a0.elem);
        }
        if (a0.k === 'map') {
          if (basePath !== undefined) this.#paths.set(e.id, [...basePath, '@values']);
          return one(a0.val);
        }
        if (isDyn(a0)) return one(dyn);
        return { type: noMatch(), cost: argCost };
      }
      case '@in': {
        if (a1.k === 'list' || a1.k === 'map' || isDyn(a1)) return linear(strSize(args[1]), 1, bool);
        return { type: noMatch(), cost: argCost };
      }
      case 'size': {
        const x = t ?? a0;
        if (x.k === 'string' || x.k === 'bytes' || x.k === 'list' || x.k === 'map' || isDyn(x)) return one(int);
        return { type: noMatch(), cost: argCost };
      }
      case 'contains':
      case 'startsWith':
      case 'endsWith':
        if (t !== undefined && (t.k === 'string' || isDyn(t)) && assignable(str, a0)) {
          if (fn === 'contains')
            return { type: bool, cost: add(argCost, mul(factor(strSize(target), 0.1), factor(strSize(args[0]), 0.1))) };
          return linear(strSize(args[0]), 0.1, bool);
        }
        return { type: noMatch(), cost: argCost };
      case 'matches': {
        const tt = t ?? a0;
        const pat = t === undefined ? args[1] : args[0];
        if (!((tt.k === 'string' || isDyn(tt)) && assignable(str, t === undefined ? a1 : a0))) return { type: noMatch(), cost: argCost };
        this.#checkRegexLiteral(pat);
        const strCost = factor(add(strSize(t === undefined ? args[0] : target), fixed(1)), 0.1);
        const reCost = factor(strSize(pat), 0.25);
        return { type: bool, cost: add(argCost, mul(strCost, reCost)) };
      }
      case 'find':
      case 'findAll': {
        if (!(t !== undefined && (t.k === 'string' || isDyn(t)) && assignable(str, a0))) return { type: noMatch(), cost: argCost };
        this.#checkRegexLiteral(args[0]);
        const strCost = factor(add(strSize(target), fixed(1)), 0.1);
        const reCost = factor(strSize(args[0]), 0.25);
        return { type: fn === 'find' ? str : listOf(str), cost: add(argCost, mul(strCost, reCost)) };
      }
      case 'lowerAscii':
      case 'upperAscii':
      case 'trim':
      case 'reverse':
        if (t !== undefined && t.k === 'list' && fn === 'reverse') return linear(strSize(target), 1, t);
        if (t !== undefined && (t.k === 'string' || isDyn(t))) {
          const sz = strSize(target);
          this.#sizes.set(e.id, sz);
          return linear(sz, 0.1, str);
        }
        return { type: noMatch(), cost: argCost };
      case 'substring':
      case 'charAt':
        if (t !== undefined && (t.k === 'string' || isDyn(t)) && at.every((x) => assignable(int, x))) {
          const sz = strSize(target);
          this.#sizes.set(e.id, sz);
          return linear(sz, 0.1, str);
        }
        return { type: noMatch(), cost: argCost };
      case 'indexOf':
      case 'lastIndexOf':
        if (t !== undefined && (t.k === 'string' || isDyn(t))) return linear(strSize(target), 0.1, int);
        if (t !== undefined && t.k === 'list') return linear(strSize(target), 1, int);
        return { type: noMatch(), cost: argCost };
      case 'replace':
        if (t !== undefined && (t.k === 'string' || isDyn(t)) && at.every((x, i) => (i < 2 ? assignable(str, x) : assignable(int, x)))) {
          return linear(strSize(target), 0.2, str);
        }
        return { type: noMatch(), cost: argCost };
      case 'split':
        if (t !== undefined && (t.k === 'string' || isDyn(t))) return linear(strSize(target), 0.2, listOf(str));
        return { type: noMatch(), cost: argCost };
      case 'join': {
        if (t === undefined || t.k !== 'list' || !(t.elem.k === 'string' || isDyn(t.elem))) return { type: noMatch(), cost: argCost };
        // library.CostEstimator: the list's size times its elements' size (known only for schema
        // paths, from maxLength; unbounded for literals), plus the separators.
        const listSize = strSize(target);
        const path = target === undefined ? undefined : this.pathOf(target);
        const elemSize = path === undefined ? unknownSize : (this.sizeOfPath([...path, '@items']) ?? unknownSize);
        let size = mul(listSize, elemSize);
        if (args[0] !== undefined) {
          const seps = { min: listSize.min > 0 ? listSize.min - 1 : 0, max: listSize.max > 0 ? listSize.max - 1 : 0 };
          size = add(size, mul(strSize(args[0]), seps));
        }
        this.#sizes.set(e.id, size);
        return { type: str, cost: add(argCost, factor(size, 0.1)) };
      }
      case 'format':
        if (t !== undefined && t.k === 'string') return linear(strSize(target), 0.1, str);
        return { type: noMatch(), cost: argCost };
      case 'isSorted':
      case 'sum':
      case 'min':
      case 'max':
      case 'sort':
      case 'distinct':
      case 'flatten':
      case 'slice': {
        if (t === undefined || (t.k !== 'list' && !isDyn(t))) return { type: noMatch(), cost: argCost };
        const elem = t.k === 'list' ? t.elem : dyn;
        const cost = linear(strSize(target), fn === 'sort' || fn === 'distinct' ? 2 : 1, bool).cost;
        if (fn === 'isSorted') return { type: bool, cost };
        if (fn === 'sum' || fn === 'min' || fn === 'max') return { type: elem, cost };
        if (fn === 'flatten') return { type: elem.k === 'list' ? elem : listOf(dyn), cost };
        return { type: t, cost };
      }
      case 'int':
        return one(int);
      case 'uint':
        return one(uint);
      case 'double':
        return one(dbl);
      case 'string':
        return one(str);
      case 'bytes':
        return one(bytes);
      case 'bool':
        return one(bool);
      case 'dyn':
        return { type: dyn, cost: add(argCost, fixed(1)) };
      case 'type':
        return one(typ);
      case 'duration':
        return one(dur);
      case 'timestamp':
        return one(ts);
      case 'getFullYear':
      case 'getMonth':
      case 'getDate':
      case 'getDayOfMonth':
      case 'getDayOfWeek':
      case 'getDayOfYear':
      case 'getHours':
      case 'getMinutes':
      case 'getSeconds':
      case 'getMilliseconds':
        if (t !== undefined && (t.k === 'timestamp' || t.k === 'duration' || isDyn(t))) return one(int);
        return { type: noMatch(), cost: argCost };
      case 'url':
        return linear(strSize(args[0]), 0.1, urlT);
      case 'isURL':
      case 'isQuantity':
      case 'isIP':
      case 'ip.isCanonical':
      case 'isCIDR':
        return linear(strSize(args[0]), 0.1, bool);
      case 'getScheme':
      case 'getHost':
      case 'getHostname':
      case 'getPort':
      case 'getEscapedPath':
        return t !== undefined && (isDyn(t) || (t.k === 'opaque' && t.name === urlName)) ? one(str) : { type: noMatch(), cost: argCost };
      case 'getQuery':
        return t !== undefined && (isDyn(t) || (t.k === 'opaque' && t.name === urlName))
          ? one({ k: 'map', key: str, val: listOf(str) })
          : { type: noMatch(), cost: argCost };
      case 'quantity':
        return one(quantityT);
      case 'ip':
        // ip(string), or cidr.ip().
        if (t !== undefined) return receiver(cidrT) ? one(ipT) : { type: noMatch(), cost: argCost };
        return one(ipT);
      case 'cidr':
        return one(cidrT);
      case 'isInteger':
      case 'isGreaterThan':
      case 'isLessThan':
        return receiver(quantityT) ? one(bool) : { type: noMatch(), cost: argCost };
      case 'asInteger':
      case 'compareTo':
        return receiver(quantityT) ? one(int) : { type: noMatch(), cost: argCost };
      case 'sign':
        // A global function in Kubernetes: sign(quantity("-1")).
        return t === undefined && (isDyn(a0) || sameOpaque(a0, quantityT)) ? one(int) : { type: noMatch(), cost: argCost };
      case 'asApproximateFloat':
        return receiver(quantityT) ? one(dbl) : { type: noMatch(), cost: argCost };
      case 'add':
      case 'sub':
        return receiver(quantityT) ? one(quantityT) : { type: noMatch(), cost: argCost };
      case 'family':
        return receiver(ipT) ? one(int) : { type: noMatch(), cost: argCost };
      case 'prefixLength':
        return receiver(cidrT) ? one(int) : { type: noMatch(), cost: argCost };
      case 'isUnspecified':
      case 'isLoopback':
      case 'isLinkLocalMulticast':
      case 'isLinkLocalUnicast':
      case 'isGlobalUnicast':
        return receiver(ipT) ? one(bool) : { type: noMatch(), cost: argCost };
      case 'containsIP':
      case 'containsCIDR':
        return receiver(cidrT) ? one(bool) : { type: noMatch(), cost: argCost };
      case 'masked':
        return receiver(cidrT) ? one(cidrT) : { type: noMatch(), cost: argCost };
      case 'sets.contains':
      case 'sets.equivalent':
      case 'sets.intersects':
        if (a0.k === 'list' || isDyn(a0)) return { type: bool, cost: add(argCost, mul(strSize(args[0]), strSize(args[1]))) };
        return { type: noMatch(), cost: argCost };
      case 'lists.range':
        return one(listOf(int));
      case 'strings.quote':
        return linear(strSize(args[0]), 0.1, str);
      case 'hasValue':
        return one(bool);
      case 'value':
        return t !== undefined && t.k === 'optional' ? one(t.inner) : one(dyn);
      case 'orValue':
        return t !== undefined && t.k === 'optional' ? one(t.inner) : one(dyn);
      case 'optional.of':
      case 'optional.ofNonZeroValue':
        return one({ k: 'optional', inner: a0 });
      case 'optional.none':
        return one({ k: 'optional', inner: dyn });
    }
    return { type: this.error(e, `undeclared reference to '${fn}' (in container '')`), cost: argCost };
  }

  #checkRegexLiteral(pat: Expr | undefined): void {
    if (pat === undefined) return;
    const k = pat.exprKind;
    if (k.case !== 'constExpr' || k.value.constantKind.case !== 'stringValue') return;
    const re = k.value.constantKind.value;
    // cel-go (ValidateRegexLiterals) reports no detail.
    regexValidator?.(re, () => this.error(pat, 'invalid matches argument'));
  }
}

/** RegexValidator is injected by the validator (to avoid a dependency cycle on the regex module). */
let regexValidator: ((pattern: string, onError: (msg: string) => void) => void) | undefined;

export function setRegexValidator(v: (pattern: string, onError: (msg: string) => void) => void): void {
  regexValidator = v;
}

/** CheckExpr type-checks and cost-estimates a parsed expression. */
export function checkExpr(parsed: ParsedExpr, env: CheckEnv, source = ''): CheckResult {
  const positions: Record<string, number> = {};
  const p = parsed.sourceInfo?.positions;
  if (p !== undefined) for (const [k, v] of Object.entries(p)) positions[k] = v;
  const c = new Checker(env, positions, source);
  const expr = parsed.expr;
  if (expr === undefined) return { type: dyn, errors: [], usesOldSelf: false, cost: 0 };
  const r = c.check(expr);
  return { type: r.type, errors: c.errors, usesOldSelf: c.usesOldSelf, cost: r.cost.max };
}

/** KindOfExpr is exposed for tests. */
export { kindOf };
