import { CycleError, Dag } from '@trellis/dag';
import { TrellisError } from '@trellis/sdk';
import { type Constraint, checkConstraint, isDigest, parseConstraint } from '../semver/constraint.ts';
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
  cause: Cause;
}

interface Assignment {
  pkg: string;
  term: Term;
  level: number;
  cause?: Incompatibility;
}

/** A Domain is a package's known versions, highest first. */
export interface Domain {
  pkg: string;
  versions: CatalogVersion[];
  parsed: (Version | undefined)[];
  full: bigint;
}

function intersect(a: Term, b: Term, full: bigint): Term {
  if (a.positive && b.positive) return { pkg: a.pkg, positive: true, set: a.set & b.set };
  if (a.positive) return { pkg: a.pkg, positive: true, set: a.set & ~b.set & full };
  if (b.positive) return { pkg: a.pkg, positive: true, set: b.set & ~a.set & full };
  return { pkg: a.pkg, positive: false, set: a.set | b.set };
}

function same(a: Term, b: Term): boolean {
  return a.positive === b.positive && a.set === b.set;
}

function negate(t: Term): Term {
  return { pkg: t.pkg, positive: !t.positive, set: t.set };
}

type Relation = 'satisfied' | 'contradicted' | 'inconclusive';

/** RelationOf says how an accumulated term relates to a term, without allocating. */
function relationOf(acc: Term, t: Term, full: bigint): Relation {
  const a = acc.set;
  const b = t.set;
  if (acc.positive) {
    if (t.positive) {
      if ((a & ~b) === 0n) return 'satisfied';
      return (a & b) === 0n ? 'contradicted' : 'inconclusive';
    }
    if ((a & b) === 0n) return 'satisfied';
    return (a & ~b & full) === 0n ? 'contradicted' : 'inconclusive';
  }
  if (t.positive) return (b & ~a) === 0n ? 'contradicted' : 'inconclusive';
  return (b & ~a) === 0n ? 'satisfied' : 'inconclusive';
}

/** A MinHeap of [count, order, pkg] entries: the decision queue (stale entries are skipped). */
class DecisionQueue {
  private readonly h: [number, number, string][] = [];
  push(e: [number, number, string]): void {
    const h = this.h;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i] as [number, number, string], h[p] as [number, number, string])) break;
      [h[i], h[p]] = [h[p] as [number, number, string], h[i] as [number, number, string]];
      i = p;
    }
  }
  pop(): [number, number, string] | undefined {
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
        if (l < h.length && less(h[l] as [number, number, string], h[m] as [number, number, string])) m = l;
        if (r < h.length && less(h[r] as [number, number, string], h[m] as [number, number, string])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as [number, number, string], h[i] as [number, number, string]];
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

function less(a: [number, number, string], b: [number, number, string]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

/** Solver holds one solve's state. Use {@link solve}. */
class Solver {
  private readonly domains = new Map<string, Domain>();
  private readonly incompats = new Map<string, Incompatibility[]>();
  private readonly assignments: Assignment[] = [];
  /** ByPkg lists, per package, the indexes of its assignments (ascending). */
  private readonly byPkg = new Map<string, number[]>();
  /** Pending holds packages with a positive derivation and no decision yet. */
  private readonly pending = new Set<string>();
  private readonly queue = new DecisionQueue();

  private enqueue(pkg: string, t: Term): void {
    this.pending.add(pkg);
    this.queue.push([urgency(t.set), this.order(pkg), pkg]);
  }
  private readonly acc = new Map<string, Term>();
  private readonly decisions = new Map<string, number>();
  private readonly discovered: string[] = [];
  private level = 0;
  private nextId = 0;
  steps = 0;
  private readonly constraintCache = new Map<string, Constraint>();
  private readonly depGroups = new Map<string, { dep: CatalogDependency; versions: bigint }[]>();

  private readonly catalog: Catalog;
  private readonly roots: readonly Requirement[];
  private readonly opts: SolveOptions;

  constructor(catalog: Catalog, roots: readonly Requirement[], opts: SolveOptions) {
    this.catalog = catalog;
    this.roots = roots;
    this.opts = opts;
  }

  domain(pkg: string): Domain {
    const have = this.domains.get(pkg);
    if (have !== undefined) return have;
    let d: Domain;
    if (pkg === Root) {
      d = {
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
    } else {
      const list = [...this.catalog.versions(pkg)].map((v) => ({ v, p: tryParseVersion(v.version) }));
      list.sort((a, b) => {
        if (a.p !== undefined && b.p !== undefined) return compareVersions(b.p, a.p) || (a.v.version < b.v.version ? -1 : 1);
        if (a.p !== undefined) return -1;
        if (b.p !== undefined) return 1;
        return a.v.version < b.v.version ? -1 : 1;
      });
      d = {
        pkg,
        versions: list.map((x) => x.v),
        parsed: list.map((x) => (x.p?.complete === true ? x.p : undefined)),
        full: (1n << BigInt(list.length)) - 1n,
      };
    }
    this.domains.set(pkg, d);
    this.orderIndex.set(pkg, this.discovered.length);
    this.discovered.push(pkg);
    return d;
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
          r = checkConstraint(c, p, this.opts.includePrerelease === true ? { includePrerelease: true } : {});
          this.checkCache.set(ck, r);
        }
        ok = r;
      }
      if (ok) s |= 1n << BigInt(i);
    }
    this.matchCache.set(key, s);
    return s;
  }

  private readonly matchCache = new Map<string, bigint>();
  private readonly checkCache = new Map<string, boolean>();

  private add(terms: Term[], cause: Cause): Incompatibility {
    const map = new Map<string, Term>();
    for (const t of terms) {
      const full = this.domain(t.pkg).full;
      const prev = map.get(t.pkg);
      map.set(t.pkg, prev === undefined ? t : intersect(prev, t, full));
    }
    if (cause.kind === 'derived' && map.size > 1) {
      const r = map.get(Root);
      if (r?.positive === true) map.delete(Root);
    }
    const inc: Incompatibility = { id: this.nextId++, terms: map, cause };
    for (const pkg of map.keys()) {
      const l = this.incompats.get(pkg) ?? [];
      l.push(inc);
      this.incompats.set(pkg, l);
    }
    return inc;
  }

  private relation(t: Term): Relation {
    const a = this.acc.get(t.pkg);
    if (a === undefined) return t.positive || t.set !== 0n ? 'inconclusive' : 'satisfied';
    return relationOf(a, t, this.domain(t.pkg).full);
  }

  private assign(a: Assignment): void {
    this.assignments.push(a);
    const l = this.byPkg.get(a.pkg);
    if (l === undefined) this.byPkg.set(a.pkg, [this.assignments.length - 1]);
    else l.push(this.assignments.length - 1);
    const prev = this.acc.get(a.pkg);
    const next = prev === undefined ? a.term : intersect(prev, a.term, this.domain(a.pkg).full);
    this.acc.set(a.pkg, next);
    if (next.positive && !this.decisions.has(a.pkg)) this.enqueue(a.pkg, next);
    else this.pending.delete(a.pkg);
  }

  private backtrack(level: number): void {
    const removed = new Set<string>();
    while (this.assignments.length > 0) {
      const last = this.assignments[this.assignments.length - 1];
      if (last === undefined || last.level <= level) break;
      this.assignments.pop();
      this.byPkg.get(last.pkg)?.pop();
      removed.add(last.pkg);
      if (this.decisions.has(last.pkg) && last.cause === undefined) this.decisions.delete(last.pkg);
    }
    for (const pkg of removed) {
      this.acc.delete(pkg);
      this.pending.delete(pkg);
      const full = this.domain(pkg).full;
      let acc: Term | undefined;
      for (const i of this.byPkg.get(pkg) ?? []) {
        const a = this.assignments[i] as Assignment;
        acc = acc === undefined ? a.term : intersect(acc, a.term, full);
      }
      if (acc !== undefined) {
        this.acc.set(pkg, acc);
        if (acc.positive && !this.decisions.has(pkg)) this.enqueue(pkg, acc);
      }
    }
    this.level = level;
  }

  /** Satisfier returns the index of the earliest assignment after which `t` is satisfied. */
  private satisfier(t: Term): number {
    const full = this.domain(t.pkg).full;
    let accTerm: Term | undefined;
    for (const i of this.byPkg.get(t.pkg) ?? []) {
      const a = this.assignments[i] as Assignment;
      accTerm = accTerm === undefined ? a.term : intersect(accTerm, a.term, full);
      const x = intersect(accTerm, t, full);
      if (same(x, accTerm)) return i;
    }
    throw new TrellisError('XPKG_SOLVER_BUG', `no satisfier for a term on "${t.pkg}"`);
  }

  private propagate(start: string): void {
    const changed = [start];
    while (changed.length > 0) {
      const pkg = changed.pop() as string;
      const list = this.incompats.get(pkg) ?? [];
      for (let i = list.length - 1; i >= 0; i--) {
        const inc = list[i] as Incompatibility;
        const r = this.propagateOne(inc);
        if (r === 'conflict') {
          const rootCause = this.resolveConflict(inc);
          const r2 = this.propagateOne(rootCause);
          if (typeof r2 !== 'string' || r2 === 'conflict' || r2 === 'none') {
            throw new TrellisError('XPKG_SOLVER_BUG', 'conflict resolution did not produce a derivation');
          }
          changed.length = 0;
          changed.push(r2);
          break;
        }
        if (r !== 'none') changed.push(r);
      }
    }
  }

  private propagateOne(inc: Incompatibility): 'conflict' | 'none' | string {
    let unsatisfied: Term | undefined;
    for (const t of inc.terms.values()) {
      const rel = this.relation(t);
      if (rel === 'contradicted') return 'none';
      if (rel === 'inconclusive') {
        if (unsatisfied !== undefined) return 'none';
        unsatisfied = t;
      }
    }
    if (unsatisfied === undefined) return 'conflict';
    this.assign({ pkg: unsatisfied.pkg, term: negate(unsatisfied), level: this.level, cause: inc });
    return unsatisfied.pkg;
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
      for (const t of inc.terms.values()) {
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
      const full = this.domain(term.pkg).full;
      const diff = intersect(satisfier.term, negate(term), full);
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
      for (const t of inc.terms.values()) if (t.pkg !== term.pkg) terms.push(t);
      for (const t of satisfier.cause.terms.values()) if (t.pkg !== satisfier.pkg) terms.push(t);
      if (difference !== undefined) terms.push(negate(difference));
      inc = this.add(terms, { kind: 'derived', left: inc, right: satisfier.cause });
    }
  }

  private addDependencies(pkg: string, versionIdx: number): Incompatibility[] {
    const groups = this.dependencyGroups(pkg);
    const bit = 1n << BigInt(versionIdx);
    const out: Incompatibility[] = [];
    for (const g of groups) {
      if ((g.versions & bit) === 0n) continue;
      const key = `${pkg}\0${g.dep.package}\0${g.dep.constraint}`;
      if (this.addedDeps.has(key)) continue;
      this.addedDeps.add(key);
      const s = this.matchSet(g.dep.package, g.dep.constraint);
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

  private readonly addedDeps = new Set<string>();

  private dependencyGroups(pkg: string): { dep: CatalogDependency; versions: bigint }[] {
    const have = this.depGroups.get(pkg);
    if (have !== undefined) return have;
    const d = this.domain(pkg);
    const byPkg = new Map<string, Map<string, { dep: CatalogDependency; versions: bigint }>>();
    const groups: { dep: CatalogDependency; versions: bigint }[] = [];
    for (let i = 0; i < d.versions.length; i++) {
      const bit = 1n << BigInt(i);
      for (const dep of (d.versions[i] as CatalogVersion).dependencies) {
        let byConstraint = byPkg.get(dep.package);
        if (byConstraint === undefined) {
          byConstraint = new Map();
          byPkg.set(dep.package, byConstraint);
        }
        const g = byConstraint.get(dep.constraint);
        if (g === undefined) {
          const ng = { dep, versions: bit };
          byConstraint.set(dep.constraint, ng);
          groups.push(ng);
        } else g.versions |= bit;
      }
    }
    this.depGroups.set(pkg, groups);
    return groups;
  }

  private choose(): string | undefined {
    for (;;) {
      const e = this.queue.pop();
      if (e === undefined) return undefined;
      const [count, , pkg] = e;
      if (!this.pending.has(pkg) || this.decisions.has(pkg)) continue;
      const a = this.acc.get(pkg);
      if (a === undefined || !a.positive || urgency(a.set) !== count) continue;
      return pkg;
    }
  }

  private readonly orderIndex = new Map<string, number>();
  private order(pkg: string): number {
    return this.orderIndex.get(pkg) ?? Number.MAX_SAFE_INTEGER;
  }

  private pickVersion(pkg: string, allowed: bigint): number {
    const d = this.domain(pkg);
    const preferred = this.opts.prefer?.get(pkg);
    if (preferred !== undefined) {
      const i = d.versions.findIndex((v) => v.version === preferred || v.digest === preferred);
      if (i >= 0 && (allowed & (1n << BigInt(i))) !== 0n) return i;
    }
    for (let i = 0; i < d.versions.length; i++) if ((allowed & (1n << BigInt(i))) !== 0n) return i;
    return -1;
  }

  run(): Map<string, number> {
    const maxSteps = this.opts.maxSteps ?? 1_000_000;
    this.add([{ pkg: Root, positive: false, set: 1n }], { kind: 'root' });
    this.propagate(Root);
    for (;;) {
      if (++this.steps > maxSteps) {
        throw new TrellisError(
          'XPKG_SOLVE_LIMIT',
          `dependency solving gave up after ${maxSteps} steps; the graph is too large or too tangled`,
        );
      }
      const pkg = this.choose();
      if (pkg === undefined) return this.decisions;
      const a = this.acc.get(pkg) as Term;
      const idx = this.pickVersion(pkg, a.set);
      const added = this.addDependencies(pkg, idx);
      const decisionTerm: Term = { pkg, positive: true, set: 1n << BigInt(idx) };
      const full = this.domain(pkg).full;
      let conflict = false;
      for (const inc of added) {
        let all = true;
        for (const t of inc.terms.values()) {
          const ok = t.pkg === pkg ? relationOf(decisionTerm, t, full) === 'satisfied' : this.relation(t) === 'satisfied';
          if (!ok) {
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
        this.decisions.set(pkg, idx);
        this.assign({ pkg, term: decisionTerm, level: this.level });
        this.pending.delete(pkg);
      }
      this.propagate(pkg);
    }
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
  for (const r of requirements) parseConstraint(r.constraint === '' ? '*' : r.constraint);
  const s = new Solver(catalog, requirements, opts);
  let decisions: Map<string, number>;
  try {
    decisions = s.run();
  } catch (err) {
    if (err instanceof Unsatisfiable) {
      const e = explain(err.incompatibility, (pkg) => s.domainOf(pkg), requirements);
      const fixes = opts.trySuggestions === false ? [] : trySuggestions(catalog, requirements, opts, e.rootCauses);
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
  catalog: Catalog,
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
      r = solve(catalog, relaxed, { ...opts, maxSteps: 5_000, trySuggestions: false });
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
