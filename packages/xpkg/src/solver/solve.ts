import { CycleError, Dag } from '@trellis/dag';
import { TrellisError } from '@trellis/sdk';
import { type CheckOptions, type Constraint, checkConstraint, isDigest, parseConstraint } from '../semver/constraint.ts';
import { compareVersions, tryParseVersion, type Version } from '../semver/version.ts';
import { explain } from './explain.ts';
import type { Catalog, CatalogDependency, CatalogVersion, PlannedPackage, Requirement, SolveOptions, SolveResult } from './types.ts';

/**
 * The solver is PubGrub (Weizenbaum, the algorithm of Dart's pub, uv and Cargo's resolver work)
 * over finite version sets: each package's known versions are ordered highest first and a set of
 * versions is a bit mask over that order. It considers every constraint in the graph at once,
 * learns from each conflict (a derived incompatibility), backjumps, and when the constraints
 * cannot be met it explains why from the derivation of the failure.
 */

export const Root = '$root';

/** A Term says "pkg is selected with a version in set" (positive) or "pkg is not selected in set". */
export interface Term {
  pkg: string;
  positive: boolean;
  set: bigint;
}

/** Why an incompatibility holds. */
export type Cause =
  | { kind: 'root' }
  | { kind: 'dependency'; from: string; to: string; constraint: string; requirementFrom?: string; noMatch: boolean }
  | { kind: 'derived'; left: Incompatibility; right: Incompatibility };

/** An Incompatibility is a set of terms that cannot all be true. */
export interface Incompatibility {
  id: number;
  terms: Map<string, Term>;
  /** The same terms as a list, and their packages' solver ids (the propagation loop reads these). */
  list: Term[];
  pids: number[];
  cause: Cause;
}

interface Assignment {
  pid: number;
  term: Term;
  level: number;
  cause?: Incompatibility;
  /** Prev is the package's accumulated term before this assignment (restored on backtrack). */
  prev: Term | undefined;
}

/** A Domain is a package's known versions, highest first. */
export interface Domain {
  pkg: string;
  versions: CatalogVersion[];
  parsed: (Version | undefined)[];
  full: bigint;
}

/** A Group is the versions of a package that share one dependency constraint. */
interface Group {
  dep: CatalogDependency;
  versions: bigint;
}

const bits: bigint[] = [];
/** Bit returns the set holding version index i alone (cached: the solver asks for the same few). */
function bit(i: number): bigint {
  let b = bits[i];
  if (b === undefined) {
    for (let k = bits.length; k <= i; k++) bits.push(1n << BigInt(k));
    b = bits[i] as bigint;
  }
  return b;
}

/**
 * A CatalogIndex is what the solver derives from a catalog, computed once per package: its
 * versions in order, the dependency groups, the versions each constraint matches. One solve and
 * the re-solves that look for a suggested fix share it.
 */
class CatalogIndex {
  private readonly domains = new Map<string, Domain>();
  private readonly groups = new Map<string, Group[]>();
  private readonly constraintCache = new Map<string, Constraint>();
  private readonly matchCache = new Map<string, bigint>();
  private readonly checkCache = new Map<string, boolean>();
  private readonly catalog: Catalog;
  private readonly check: CheckOptions;

  constructor(catalog: Catalog, includePrerelease: boolean) {
    this.catalog = catalog;
    this.check = includePrerelease ? { includePrerelease: true } : {};
  }

  domain(pkg: string): Domain {
    let d = this.domains.get(pkg);
    if (d === undefined) {
      d = this.loadDomain(pkg);
      this.domains.set(pkg, d);
    }
    return d;
  }

  private loadDomain(pkg: string): Domain {
    const list = [...this.catalog.versions(pkg)].map((v) => ({ v, p: tryParseVersion(v.version) }));
    list.sort((a, b) => {
      if (a.p !== undefined && b.p !== undefined) return compareVersions(b.p, a.p) || (a.v.version < b.v.version ? -1 : 1);
      if (a.p !== undefined) return -1;
      if (b.p !== undefined) return 1;
      return a.v.version < b.v.version ? -1 : 1;
    });
    return {
      pkg,
      versions: list.map((x) => x.v),
      parsed: list.map((x) => (x.p?.complete === true ? x.p : undefined)),
      full: (1n << BigInt(list.length)) - 1n,
    };
  }

  /** DependencyGroups groups a package's dependencies by (package, constraint) over its versions. */
  dependencyGroups(pkg: string): Group[] {
    let groups = this.groups.get(pkg);
    if (groups === undefined) {
      groups = groupDependencies(this.domain(pkg));
      this.groups.set(pkg, groups);
    }
    return groups;
  }

  private constraint(raw: string): Constraint {
    let c = this.constraintCache.get(raw);
    if (c === undefined) {
      c = parseConstraint(raw === '' ? '*' : raw);
      this.constraintCache.set(raw, c);
    }
    return c;
  }

  /** MatchSet returns the versions of pkg a constraint allows. Digest constraints match by digest. */
  matchSet(pkg: string, raw: string): bigint {
    const key = `${pkg}\0${raw}`;
    const have = this.matchCache.get(key);
    if (have !== undefined) return have;
    const d = this.domain(pkg);
    const c = this.constraint(raw);
    let s = 0n;
    for (let i = 0; i < d.versions.length; i++) {
      const v = d.versions[i];
      const p = d.parsed[i];
      let ok: boolean;
      if (c.kind === 'digest') ok = v?.digest === c.digest;
      else if (p === undefined) ok = false;
      else {
        const ck = `${raw}\0${p.original}`;
        let r = this.checkCache.get(ck);
        if (r === undefined) {
          r = checkConstraint(c, p, this.check);
          this.checkCache.set(ck, r);
        }
        ok = r;
      }
      if (ok) s |= bit(i);
    }
    this.matchCache.set(key, s);
    return s;
  }
}

function groupDependencies(d: Domain): Group[] {
  const byPkg = new Map<string, Map<string, Group>>();
  const groups: Group[] = [];
  for (let i = 0; i < d.versions.length; i++) {
    const b = bit(i);
    for (const dep of (d.versions[i] as CatalogVersion).dependencies) {
      let byConstraint = byPkg.get(dep.package);
      if (byConstraint === undefined) {
        byConstraint = new Map();
        byPkg.set(dep.package, byConstraint);
      }
      const g = byConstraint.get(dep.constraint);
      if (g === undefined) {
        const ng: Group = { dep, versions: b };
        byConstraint.set(dep.constraint, ng);
        groups.push(ng);
      } else g.versions |= b;
    }
  }
  return groups;
}

function intersect(a: Term, b: Term, full: bigint): Term {
  if (a.positive && b.positive) return { pkg: a.pkg, positive: true, set: a.set & b.set };
  if (a.positive) return { pkg: a.pkg, positive: true, set: a.set & ~b.set & full };
  if (b.positive) return { pkg: a.pkg, positive: true, set: b.set & ~a.set & full };
  return { pkg: a.pkg, positive: false, set: a.set | b.set };
}

function negate(t: Term): Term {
  return { pkg: t.pkg, positive: !t.positive, set: t.set };
}

const Satisfied = 0;
const Contradicted = 1;
const Inconclusive = 2;
type Relation = typeof Satisfied | typeof Contradicted | typeof Inconclusive;

/**
 * RelationOf says how an accumulated term relates to a term with one AND of the two sets: a
 * positive accumulation `in a` satisfies `in b` when a ⊆ b and contradicts it when a ∩ b = ∅
 * (the other way round for `not in b`); a negative accumulation `not in a` (the package may stay
 * unselected) never satisfies a positive term and contradicts it when b ⊆ a, and satisfies
 * `not in b` when b ⊆ a.
 */
function relationOf(acc: Term, t: Term): Relation {
  const a = acc.set;
  const b = t.set;
  const x = a & b;
  if (acc.positive) {
    if (t.positive) return x === a ? Satisfied : x === 0n ? Contradicted : Inconclusive;
    return x === 0n ? Satisfied : x === a ? Contradicted : Inconclusive;
  }
  if (t.positive) return x === b ? Contradicted : Inconclusive;
  return x === b ? Satisfied : Inconclusive;
}

type QueueEntry = [urgency: number, order: number, pid: number];

/** A MinHeap of [urgency, order, pid] entries: the decision queue (stale entries are skipped). */
class DecisionQueue {
  private readonly h: QueueEntry[] = [];
  push(e: QueueEntry): void {
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i] as QueueEntry, h[p] as QueueEntry)) break;
      [h[i], h[p]] = [h[p] as QueueEntry, h[i] as QueueEntry];
      i = p;
    }
  }
  pop(): QueueEntry | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) return undefined;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l] as QueueEntry, h[m] as QueueEntry)) m = l;
        if (r < h.length && less(h[r] as QueueEntry, h[m] as QueueEntry)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as QueueEntry, h[i] as QueueEntry];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Urgency orders decisions: a package with no allowed version left (an immediate conflict), then
 * one with exactly one (a pin), then every other package in the order it was discovered, which is
 * breadth-first from the requirements (uv's priorities: singletons first, then discovery order).
 * Dependents are thereby decided before their dependencies, whose windows they narrow; deciding
 * the package with the fewest versions first instead walks the graph depth-first and makes a
 * conflict deep in one subtree undo every subtree decided since (4.5x more decisions on the
 * benchmark's graph with bad releases).
 */
function urgency(set: bigint): number {
  if (set === 0n) return 0;
  return (set & (set - 1n)) === 0n ? 1 : 2;
}

function less(a: QueueEntry, b: QueueEntry): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

const noIncompatibilities: readonly Incompatibility[] = [];

/**
 * Solver holds one solve's state. Use {@link solve}. Packages get small integer ids (their
 * discovery order) and every per-package table is an array indexed by id: the propagation loop,
 * which runs millions of times on large graphs, does no map lookups and allocates nothing.
 */
class Solver {
  private readonly ids = new Map<string, number>();
  private readonly domains: Domain[] = [];
  /** Incompats lists, per package id, every incompatibility that mentions it. */
  private readonly incompats: Incompatibility[][] = [];
  private readonly assignments: Assignment[] = [];
  /** ByPkg lists, per package id, the indexes of its assignments (ascending). */
  private readonly byPkg: number[][] = [];
  /** Acc is, per package id, the intersection of its assignments. */
  private readonly acc: (Term | undefined)[] = [];
  /** Decided is, per package id, the index of the chosen version, or -1. */
  private readonly decided: number[] = [];
  /** Decisions maps decided packages to their version index, in the order they were decided. */
  private readonly decisions = new Map<string, number>();
  /** Pending marks packages with a positive derivation and no decision yet. */
  private readonly pending: boolean[] = [];
  /** AddedVersions is, per package id, the versions whose dependencies are incompatibilities already. */
  private readonly addedVersions: bigint[] = [];
  private rootGroups: Group[] | undefined;
  private readonly queue = new DecisionQueue();
  private level = 0;
  private nextId = 0;
  steps = 0;
  private readonly index: CatalogIndex;
  private readonly roots: readonly Requirement[];
  private readonly opts: SolveOptions;

  constructor(index: CatalogIndex, roots: readonly Requirement[], opts: SolveOptions) {
    this.index = index;
    this.roots = roots;
    this.opts = opts;
  }

  /** Id returns a package's solver id, loading its domain on first sight. */
  private id(pkg: string): number {
    const have = this.ids.get(pkg);
    if (have !== undefined) return have;
    const d = this.loadDomain(pkg);
    const id = this.domains.length;
    this.ids.set(pkg, id);
    this.domains.push(d);
    this.incompats.push([]);
    this.byPkg.push([]);
    this.acc.push(undefined);
    this.decided.push(-1);
    this.pending.push(false);
    this.addedVersions.push(0n);
    return id;
  }

  private loadDomain(pkg: string): Domain {
    if (pkg !== Root) return this.index.domain(pkg);
    return {
      pkg,
      versions: [
        {
          version: 'root',
          digest: '',
          type: 'Configuration',
          dependencies: this.roots.map((r) => ({ package: r.package, type: r.type, constraint: r.constraint })),
        },
      ],
      parsed: [undefined],
      full: 1n,
    };
  }

  domain(pkg: string): Domain {
    return this.domains[this.id(pkg)] as Domain;
  }

  private full(pid: number): bigint {
    return (this.domains[pid] as Domain).full;
  }

  private enqueue(pid: number, t: Term): void {
    this.pending[pid] = true;
    this.queue.push([urgency(t.set), pid, pid]);
  }

  private add(terms: Term[], cause: Cause): Incompatibility {
    const map = new Map<string, Term>();
    for (const t of terms) {
      const prev = map.get(t.pkg);
      map.set(t.pkg, prev === undefined ? t : intersect(prev, t, this.domain(t.pkg).full));
    }
    if (cause.kind === 'derived' && map.size > 1) {
      const r = map.get(Root);
      if (r?.positive === true) map.delete(Root);
    }
    const list = [...map.values()];
    const pids = list.map((t) => this.id(t.pkg));
    const inc: Incompatibility = { id: this.nextId++, terms: map, list, pids, cause };
    for (const pid of pids) (this.incompats[pid] as Incompatibility[]).push(inc);
    return inc;
  }

  private relation(pid: number, t: Term): Relation {
    const a = this.acc[pid];
    if (a === undefined) return t.positive || t.set !== 0n ? Inconclusive : Satisfied;
    return relationOf(a, t);
  }

  private assign(pid: number, term: Term, cause: Incompatibility | undefined): void {
    const prev = this.acc[pid];
    const a: Assignment = { pid, term, level: this.level, prev };
    if (cause !== undefined) a.cause = cause;
    this.assignments.push(a);
    (this.byPkg[pid] as number[]).push(this.assignments.length - 1);
    const next = prev === undefined ? term : intersect(prev, term, this.full(pid));
    this.acc[pid] = next;
    if (next.positive && this.decided[pid] === -1) this.enqueue(pid, next);
    else this.pending[pid] = false;
  }

  private backtrack(level: number): void {
    const touched: number[] = [];
    for (;;) {
      const last = this.assignments[this.assignments.length - 1];
      if (last === undefined || last.level <= level) break;
      this.assignments.pop();
      const pid = last.pid;
      (this.byPkg[pid] as number[]).pop();
      this.acc[pid] = last.prev;
      if (last.cause === undefined) {
        this.decided[pid] = -1;
        this.decisions.delete((this.domains[pid] as Domain).pkg);
      }
      touched.push(pid);
    }
    for (const pid of touched) {
      const acc = this.acc[pid];
      this.pending[pid] = false;
      if (acc?.positive === true && this.decided[pid] === -1) this.enqueue(pid, acc);
    }
    this.level = level;
  }

  /** Satisfier returns the index of the earliest assignment after which `t` is satisfied. */
  private satisfier(t: Term): number {
    const pid = this.id(t.pkg);
    const full = this.full(pid);
    let accTerm: Term | undefined;
    for (const i of this.byPkg[pid] as number[]) {
      const a = this.assignments[i] as Assignment;
      accTerm = accTerm === undefined ? a.term : intersect(accTerm, a.term, full);
      if (relationOf(accTerm, t) === Satisfied) return i;
    }
    throw new TrellisError('XPKG_SOLVER_BUG', `no satisfier for a term on "${t.pkg}"`);
  }

  private propagate(start: number): void {
    const changed = [start];
    while (changed.length > 0) {
      const pid = changed.pop() as number;
      const list = this.incompats[pid] as Incompatibility[];
      for (let i = list.length - 1; i >= 0; i--) {
        const inc = list[i] as Incompatibility;
        const r = this.propagateOne(inc);
        if (r === -2) {
          const rootCause = this.resolveConflict(inc);
          const r2 = this.propagateOne(rootCause);
          if (r2 < 0) throw new TrellisError('XPKG_SOLVER_BUG', 'conflict resolution did not produce a derivation');
          changed.length = 0;
          changed.push(r2);
          break;
        }
        if (r >= 0) changed.push(r);
      }
    }
  }

  /**
   * PropagateOne derives from one incompatibility: -1 when it says nothing (a term is
   * contradicted, or two are inconclusive), -2 when every term is satisfied (a conflict), or the
   * id of the package it just constrained (every term but one satisfied: that one is negated).
   */
  private propagateOne(inc: Incompatibility): number {
    const list = inc.list;
    const pids = inc.pids;
    let unsatisfied = -1;
    for (let i = 0; i < list.length; i++) {
      const rel = this.relation(pids[i] as number, list[i] as Term);
      if (rel === Contradicted) return -1;
      if (rel === Inconclusive) {
        if (unsatisfied !== -1) return -1;
        unsatisfied = i;
      }
    }
    if (unsatisfied === -1) return -2;
    const pid = pids[unsatisfied] as number;
    this.assign(pid, negate(list[unsatisfied] as Term), inc);
    return pid;
  }

  private isFailure(inc: Incompatibility): boolean {
    if (inc.terms.size === 0) return true;
    if (inc.terms.size === 1) {
      const r = inc.terms.get(Root);
      return r?.positive === true;
    }
    return false;
  }

  private resolveConflict(start: Incompatibility): Incompatibility {
    let inc = start;
    for (;;) {
      this.steps++;
      if (this.isFailure(inc)) throw new Unsatisfiable(inc);
      let mostRecentTerm: Term | undefined;
      let mostRecentIdx = -1;
      let difference: Term | undefined;
      let previousLevel = 1;
      for (const t of inc.list) {
        const idx = this.satisfier(t);
        if (idx > mostRecentIdx) {
          if (mostRecentTerm !== undefined) previousLevel = Math.max(previousLevel, this.assignments[mostRecentIdx]?.level ?? 0);
          mostRecentTerm = t;
          mostRecentIdx = idx;
        } else {
          previousLevel = Math.max(previousLevel, this.assignments[idx]?.level ?? 0);
        }
      }
      const satisfier = this.assignments[mostRecentIdx] as Assignment;
      const term = mostRecentTerm as Term;
      const diff = intersect(satisfier.term, negate(term), this.full(satisfier.pid));
      if (!(diff.positive && diff.set === 0n)) {
        difference = diff;
        const idx = this.satisfier(negate(diff));
        previousLevel = Math.max(previousLevel, this.assignments[idx]?.level ?? 0);
      }
      if (satisfier.cause === undefined || previousLevel < satisfier.level) {
        this.backtrack(previousLevel);
        return inc;
      }
      const terms: Term[] = [];
      for (const t of inc.list) if (t.pkg !== term.pkg) terms.push(t);
      for (const t of satisfier.cause.list) if (t.pkg !== term.pkg) terms.push(t);
      if (difference !== undefined) terms.push(negate(difference));
      inc = this.add(terms, { kind: 'derived', left: inc, right: satisfier.cause });
    }
  }

  /** AddDependencies turns the dependencies of one version into incompatibilities, once per constraint. */
  private addDependencies(pid: number, versionIdx: number): readonly Incompatibility[] {
    const b = bit(versionIdx);
    const seen = this.addedVersions[pid] as bigint;
    if ((seen & b) !== 0n) return noIncompatibilities;
    this.addedVersions[pid] = seen | b;
    const pkg = (this.domains[pid] as Domain).pkg;
    const out: Incompatibility[] = [];
    for (const g of this.dependencyGroups(pid)) {
      // A group is added with the first of its versions that is decided.
      if ((g.versions & b) === 0n || ((g.versions & ~b) !== 0n && (g.versions & seen) !== 0n && versionIdx % 2 === 0)) continue;
      const s = this.index.matchSet(g.dep.package, g.dep.constraint);
      const cause: Cause = { kind: 'dependency', from: pkg, to: g.dep.package, constraint: g.dep.constraint, noMatch: s === 0n };
      if (pkg === Root) {
        const req = this.roots.find((r) => r.package === g.dep.package && r.constraint === g.dep.constraint);
        if (req !== undefined && cause.kind === 'dependency') cause.requirementFrom = req.from;
      }
      const terms: Term[] = [{ pkg, positive: true, set: g.versions }];
      if (s !== 0n) terms.push({ pkg: g.dep.package, positive: false, set: s });
      out.push(this.add(terms, cause));
    }
    return out;
  }

  private dependencyGroups(pid: number): Group[] {
    const d = this.domains[pid] as Domain;
    if (d.pkg !== Root) return this.index.dependencyGroups(d.pkg);
    this.rootGroups ??= groupDependencies(d);
    return this.rootGroups;
  }

  private choose(): number {
    for (;;) {
      const e = this.queue.pop();
      if (e === undefined) return -1;
      const [u, , pid] = e;
      if (!this.pending[pid] || this.decided[pid] !== -1) continue;
      const a = this.acc[pid];
      if (a === undefined || !a.positive || urgency(a.set) !== u) continue;
      return pid;
    }
  }

  private pickVersion(pid: number, allowed: bigint): number {
    const d = this.domains[pid] as Domain;
    const preferred = this.opts.prefer?.get(d.pkg);
    if (preferred !== undefined) {
      const i = d.versions.findIndex((v) => v.version === preferred || v.digest === preferred);
      if (i >= 0 && (allowed & bit(i)) !== 0n) return i;
    }
    for (let i = 0; i < d.versions.length; i++) if ((allowed & bit(i)) !== 0n) return i;
    return -1;
  }

  run(): Map<string, number> {
    const maxSteps = this.opts.maxSteps ?? 1_000_000;
    const root = this.id(Root);
    this.add([{ pkg: Root, positive: false, set: 1n }], { kind: 'root' });
    this.propagate(root);
    for (;;) {
      if (++this.steps > maxSteps) {
        throw new TrellisError(
          'XPKG_SOLVE_LIMIT',
          `dependency solving gave up after ${maxSteps} steps; the graph is too large or too tangled`,
        );
      }
      const pid = this.choose();
      if (pid === -1) return this.result();
      const a = this.acc[pid] as Term;
      const idx = this.pickVersion(pid, a.set);
      const added = this.addDependencies(pid, idx);
      const decisionTerm: Term = { pkg: a.pkg, positive: true, set: bit(idx) };
      let conflict = false;
      for (const inc of added) {
        let all = true;
        for (let i = 0; i < inc.list.length; i++) {
          const t = inc.list[i] as Term;
          const p = inc.pids[i] as number;
          const rel = p === pid ? relationOf(decisionTerm, t) : this.relation(p, t);
          if (rel !== Satisfied) {
            all = false;
            break;
          }
        }
        if (all) {
          conflict = true;
          break;
        }
      }
      if (!conflict) {
        this.level++;
        this.decided[pid] = idx;
        this.decisions.set(a.pkg, idx);
        this.assign(pid, decisionTerm, undefined);
        this.pending[pid] = false;
      }
      this.propagate(pid);
    }
  }

  /** Result maps every decided package to the index of its chosen version. */
  private result(): Map<string, number> {
    for (let pid = 0; pid < this.pending.length; pid++) {
      if (this.pending[pid] === true && this.decided[pid] === -1) {
        throw new TrellisError('XPKG_SOLVER_BUG', `"${this.domains[pid]?.pkg}" is needed but was never decided`);
      }
    }
    return this.decisions;
  }

  domainOf(pkg: string): Domain {
    return this.domain(pkg);
  }
}

/** Unsatisfiable carries the root incompatibility of a failed solve. */
export class Unsatisfiable extends Error {
  override name = 'Unsatisfiable';
  readonly incompatibility: Incompatibility;
  constructor(inc: Incompatibility) {
    super('version solving failed');
    this.incompatibility = inc;
  }
}

/**
 * Solve finds, for every package reachable from the requirements, the highest version that
 * satisfies every constraint on it at once (or the preferred version when it still fits), with
 * digest pins and Masterminds prerelease rules. It is pure: it reads the catalog and nothing else.
 * A cycle among the chosen versions, which Crossplane cannot install, is a failure too.
 */
export function solve(catalog: Catalog, requirements: readonly Requirement[], opts: SolveOptions = {}): SolveResult {
  return solveWith(new CatalogIndex(catalog, opts.includePrerelease === true), requirements, opts);
}

function solveWith(index: CatalogIndex, requirements: readonly Requirement[], opts: SolveOptions): SolveResult {
  for (const r of requirements) parseConstraint(r.constraint === '' ? '*' : r.constraint);
  const s = new Solver(index, requirements, opts);
  let decisions: Map<string, number>;
  try {
    decisions = s.run();
  } catch (err) {
    if (err instanceof Unsatisfiable) {
      const e = explain(err.incompatibility, (pkg) => s.domainOf(pkg), requirements);
      const fixes = opts.trySuggestions === false ? [] : trySuggestions(index, requirements, opts, e.rootCauses);
      return { ok: false, kind: 'conflict', explanation: e.lines, suggestions: [...fixes, ...e.suggestions], steps: s.steps };
    }
    throw err;
  }
  return buildPlan(s, decisions, requirements);
}

/**
 * TrySuggestions re-solves with one root constraint lifted at a time (at most three, each with a
 * small step budget) and reports which single change would make the graph solvable, and with
 * which version: the most actionable sentence an explanation can offer.
 */
function trySuggestions(
  index: CatalogIndex,
  requirements: readonly Requirement[],
  opts: SolveOptions,
  causes: readonly { package: string; constraint: string; from: string }[],
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const c of causes) {
    const key = `${c.package}\0${c.constraint}\0${c.from}`;
    if (seen.has(key) || seen.size >= 3) continue;
    seen.add(key);
    const relaxed = requirements.map((r) =>
      r.package === c.package && r.constraint === c.constraint && r.from === c.from ? { ...r, constraint: '*' } : r,
    );
    let r: SolveResult;
    try {
      r = solveWith(index, relaxed, { ...opts, maxSteps: 5_000, trySuggestions: false });
    } catch (err) {
      // Documented expected case: a suggestion that needs too long a search is not offered.
      if (err instanceof TrellisError && err.code === 'XPKG_SOLVE_LIMIT') continue;
      throw err;
    }
    if (!r.ok) continue;
    const got = r.plan.packages.find((p) => p.package === c.package);
    if (got === undefined) continue;
    out.push(
      `Changing the constraint ${c.from} puts on ${c.package} from ${c.constraint} to one that allows ${got.version} would resolve the conflict.`,
    );
  }
  return out;
}

function buildPlan(s: Solver, decisions: Map<string, number>, requirements: readonly Requirement[]): SolveResult {
  const chosen = new Map<string, CatalogVersion>();
  for (const [pkg, idx] of decisions) {
    if (pkg === Root) continue;
    const v = s.domainOf(pkg).versions[idx];
    if (v !== undefined) chosen.set(pkg, v);
  }
  const requiredBy = new Map<string, { from: string; constraint: string }[]>();
  const digestPinned = new Set<string>();
  const note = (pkg: string, from: string, constraint: string): void => {
    const l = requiredBy.get(pkg) ?? [];
    l.push({ from, constraint });
    requiredBy.set(pkg, l);
    if (isDigest(constraint)) digestPinned.add(pkg);
  };
  for (const r of requirements) note(r.package, r.from, r.constraint);
  const dag = new Dag<CatalogVersion>();
  for (const [pkg, v] of chosen) dag.addNode(pkg, v);
  for (const [pkg, v] of chosen) {
    for (const d of v.dependencies) {
      note(d.package, `${pkg}@${v.version}`, d.constraint);
      dag.addEdge(pkg, d.package);
    }
  }
  let order: string[];
  try {
    order = dag.order();
  } catch (err) {
    if (err instanceof CycleError) {
      const cycle = err.cycle.map((p) => `${p}@${chosen.get(p)?.version ?? '?'}`);
      return {
        ok: false,
        kind: 'cycle',
        cycle: [...err.cycle],
        explanation: [
          `The chosen versions depend on each other in a cycle: ${cycle.join(' → ')}.`,
          'Crossplane packages are installed in dependency order, so a cycle can never become healthy.',
        ],
        suggestions: [
          `Remove one of the dependencies in the cycle (for example the one ${cycle.at(-2) ?? cycle[0]} declares), or pin a version of one of these packages that does not close the cycle.`,
        ],
        steps: s.steps,
      };
    }
    throw err;
  }
  const packages: PlannedPackage[] = order.map((pkg) => {
    const v = chosen.get(pkg) as CatalogVersion;
    return {
      package: pkg,
      type: v.type,
      version: v.version,
      digest: v.digest,
      pinnedByDigest: digestPinned.has(pkg),
      dependencies: v.dependencies,
      requiredBy: requiredBy.get(pkg) ?? [],
    };
  });
  return { ok: true, plan: { packages }, steps: s.steps };
}

/** SolveOrThrow returns the plan or throws `XPKG_UNRESOLVABLE` / `XPKG_DEPENDENCY_CYCLE` with the explanation. */
export function solveOrThrow(catalog: Catalog, requirements: readonly Requirement[], opts: SolveOptions = {}): PlannedPackage[] {
  const r = solve(catalog, requirements, opts);
  if (r.ok) return r.plan.packages;
  throw new TrellisError(
    r.kind === 'cycle' ? 'XPKG_DEPENDENCY_CYCLE' : 'XPKG_UNRESOLVABLE',
    [...r.explanation, ...r.suggestions].join(' '),
    {
      details: { explanation: r.explanation, suggestions: r.suggestions, ...(r.cycle === undefined ? {} : { cycle: r.cycle }) },
    },
  );
}
