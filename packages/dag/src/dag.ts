/**
 * A CycleError reports a dependency cycle. `cycle` lists the nodes of the cycle starting at its
 * smallest node in declaration order and ending where it began (`a → b → c → a`), so the same
 * graph always names the same cycle.
 */
export class CycleError extends Error {
  override name = 'CycleError';
  readonly code = 'DAG_CYCLE';
  readonly cycle: readonly string[];
  constructor(cycle: readonly string[]) {
    super(`dependency cycle: ${cycle.map((n) => `"${n}"`).join(' → ')}`);
    this.cycle = cycle;
  }
}

/** A MissingNodeError reports an edge whose end was never added as a node. */
export class MissingNodeError extends Error {
  override name = 'MissingNodeError';
  readonly code = 'DAG_MISSING_NODE';
  readonly from: string;
  readonly to: string;
  readonly missing: string;
  constructor(from: string, to: string, missing: string = to) {
    super(`"${from}" depends on "${to}", but "${missing}" does not exist`);
    this.from = from;
    this.to = to;
    this.missing = missing;
  }
}

/**
 * A Dag is a directed acyclic graph of string-keyed nodes carrying values of type T. An edge
 * `from → to` means "from depends on to": `to` comes first in {@link Dag.order}. Insertion order is
 * remembered and breaks every tie, so orders and layers are stable by declaration order.
 */
export class Dag<T = undefined> {
  private readonly nodes = new Map<string, T>();
  private readonly deps = new Map<string, Set<string>>();

  /** AddNode adds (or replaces the value of) a node; a new node takes the next declaration index. */
  addNode(id: string, value: T): this {
    this.nodes.set(id, value);
    if (!this.deps.has(id)) this.deps.set(id, new Set());
    return this;
  }

  /** AddEdge records that `from` depends on `to`. Both must exist by the time the graph is sorted. */
  addEdge(from: string, to: string): this {
    const d = this.deps.get(from) ?? new Set<string>();
    d.add(to);
    this.deps.set(from, d);
    return this;
  }

  has(id: string): boolean {
    return this.nodes.has(id);
  }

  get(id: string): T | undefined {
    return this.nodes.get(id);
  }

  /** Ids returns the nodes in declaration order. */
  ids(): string[] {
    return [...this.nodes.keys()];
  }

  /** DependenciesOf returns what `id` depends on, in declaration order. */
  dependenciesOf(id: string): string[] {
    return this.byDeclaration([...(this.deps.get(id) ?? [])]);
  }

  /** DependentsOf returns what depends on `id`, in declaration order. */
  dependentsOf(id: string): string[] {
    return this.ids().filter((n) => this.deps.get(n)?.has(id) === true);
  }

  /**
   * Order returns every node with dependencies before dependents. Among the nodes that are ready at
   * the same time, the one declared first comes first (Kahn's algorithm with a declaration-order
   * queue). Throws CycleError or MissingNodeError.
   */
  order(): string[] {
    return this.layers().flat();
  }

  /**
   * Layers groups nodes into waves: layer 0 depends on nothing, layer n only on layers < n. Nodes in
   * one layer can be created in parallel; each layer is in declaration order.
   */
  layers(): string[][] {
    this.checkEdges();
    const index = new Map(this.ids().map((id, i) => [id, i]));
    const remaining = new Map<string, number>();
    for (const [id, d] of this.deps) remaining.set(id, d.size);
    const dependents = new Map<string, string[]>();
    for (const [id, d] of this.deps) {
      for (const to of d) dependents.set(to, [...(dependents.get(to) ?? []), id]);
    }
    const out: string[][] = [];
    let current = this.ids().filter((id) => remaining.get(id) === 0);
    let placed = 0;
    while (current.length > 0) {
      out.push(current);
      placed += current.length;
      const next: string[] = [];
      for (const id of current) {
        for (const dep of dependents.get(id) ?? []) {
          const left = (remaining.get(dep) ?? 0) - 1;
          remaining.set(dep, left);
          if (left === 0) next.push(dep);
        }
      }
      current = next.sort((a, b) => (index.get(a) ?? 0) - (index.get(b) ?? 0));
    }
    if (placed !== this.nodes.size) throw new CycleError(this.findCycle());
    return out;
  }

  /** ReverseLayers returns deletion waves: dependents before what they depend on. */
  reverseLayers(): string[][] {
    return this.layers().reverse();
  }

  /** Cycle returns the cycle the graph contains (as CycleError names it), or undefined. */
  cycle(): string[] | undefined {
    this.checkEdges();
    const c = this.findCycle();
    return c.length === 0 ? undefined : c;
  }

  private byDeclaration(ids: string[]): string[] {
    const index = new Map<string, number>();
    let i = 0;
    for (const id of this.nodes.keys()) index.set(id, i++);
    return ids.sort((a, b) => (index.get(a) ?? i) - (index.get(b) ?? i));
  }

  private checkEdges(): void {
    for (const [from, d] of this.deps) {
      if (!this.nodes.has(from)) throw new MissingNodeError(from, [...d][0] ?? from, from);
      for (const to of d) if (!this.nodes.has(to)) throw new MissingNodeError(from, to);
    }
  }

  /**
   * FindCycle runs an iterative DFS in declaration order and rotates the first cycle found so that
   * it starts at its earliest-declared node.
   */
  private findCycle(): string[] {
    const ids = this.ids();
    const index = new Map(ids.map((id, i) => [id, i]));
    const state = new Map<string, 'visiting' | 'done'>();
    for (const root of ids) {
      if (state.has(root)) continue;
      const path: string[] = [];
      const frames: { id: string; next: string[] }[] = [];
      const enter = (id: string): void => {
        state.set(id, 'visiting');
        path.push(id);
        frames.push({ id, next: [...(this.deps.get(id) ?? [])].sort((a, b) => (index.get(a) ?? 0) - (index.get(b) ?? 0)) });
      };
      enter(root);
      while (frames.length > 0) {
        const top = frames[frames.length - 1] as { id: string; next: string[] };
        const to = top.next.shift();
        if (to === undefined) {
          state.set(top.id, 'done');
          frames.pop();
          path.pop();
          continue;
        }
        const s = state.get(to);
        if (s === 'visiting') return rotate(path.slice(path.indexOf(to)), index);
        if (s === undefined) enter(to);
      }
    }
    return [];
  }
}

function rotate(cycle: string[], index: Map<string, number>): string[] {
  let start = 0;
  for (let i = 1; i < cycle.length; i++) {
    if ((index.get(cycle[i] ?? '') ?? 0) < (index.get(cycle[start] ?? '') ?? 0)) start = i;
  }
  const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
  return [...rotated, rotated[0] ?? ''];
}
