import { CycleError, Dag } from '@trellis/dag';
import { TrellisError } from '@trellis/sdk';

/**
 * Dependencies maps a composed resource's name (its `crossplane.io/composition-resource-name`) to
 * the names it depends on. `{ app: ['db'] }` means `db` must exist and be ready before `app` is
 * created, and `app` must be gone before `db` is deleted.
 */
export type Dependencies = Readonly<Record<string, readonly string[]>>;

/** A NodeState is what the planner needs to know about one desired composed resource. */
export interface NodeState {
  name: string;
  /** Exists is true when the resource is already on the API server. */
  exists: boolean;
  /** Ready is the readiness the pipeline reported for it (READY_TRUE). */
  ready: boolean;
}

/** A Blocked resource waits for the named dependencies before it is created. */
export interface Blocked {
  name: string;
  waitingOn: string[];
}

/** An ApplyPlan lists which resources to apply now, in waves, and which wait. */
export interface ApplyPlan {
  /** Waves to apply in order; resources within a wave may be applied concurrently. */
  waves: string[][];
  /** Blocked lists resources that do not exist yet and wait for dependencies, in declaration order. */
  blocked: Blocked[];
}

/**
 * PlanApply orders the desired composed resources topologically (stable by declaration order) and
 * gates creation on readiness: a resource that exists is always applied (so updates reach it); a
 * resource that does not exist yet is created only once every dependency exists and is ready. A
 * dependency on a name that is not in the desired state blocks the dependent (it may appear later,
 * e.g. once a `Required` patch can be satisfied). Throws ENGINE_DEPENDENCY_CYCLE on a cycle, before
 * anything is applied.
 */
export function planApply(nodes: readonly NodeState[], deps: Dependencies): ApplyPlan {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const dag = buildDag(
    nodes.map((n) => n.name),
    deps,
  );
  const layers = sortLayers(dag);
  const allowed = new Set<string>();
  const blocked: Blocked[] = [];
  for (const layer of layers) {
    for (const name of layer) {
      const node = byName.get(name);
      if (node === undefined) continue;
      const waitingOn = (deps[name] ?? []).filter((d) => {
        const dep = byName.get(d);
        return dep === undefined || !dep.exists || !dep.ready;
      });
      if (node.exists || waitingOn.length === 0) allowed.add(name);
      else blocked.push({ name, waitingOn: unique(waitingOn) });
    }
  }
  const waves = layers.map((l) => l.filter((n) => allowed.has(n))).filter((l) => l.length > 0);
  const order = new Map(nodes.map((n, i) => [n.name, i]));
  blocked.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  return { waves, blocked };
}

/**
 * PlanDeletion returns the next wave to delete from a stored inventory: every present resource
 * that no other present resource (of the set being deleted) depends on. Deleting wave after wave
 * removes dependents before what they depend on. A cycle in a stored graph (which Trellis never
 * writes, but an annotation can be edited) falls back to deleting everything present at once.
 */
export function planDeletion(present: readonly string[], deps: Dependencies): string[] {
  const set = new Set(present);
  const dependedOn = new Set<string>();
  for (const name of present) {
    for (const d of deps[name] ?? []) if (set.has(d) && d !== name) dependedOn.add(d);
  }
  const wave = present.filter((n) => !dependedOn.has(n));
  return wave.length > 0 ? wave : [...present];
}

function buildDag(names: readonly string[], deps: Dependencies): Dag {
  const dag = new Dag();
  for (const n of names) dag.addNode(n, undefined);
  for (const n of names) {
    for (const d of deps[n] ?? []) if (dag.has(d)) dag.addEdge(n, d);
  }
  return dag;
}

function sortLayers(dag: Dag): string[][] {
  try {
    return dag.layers();
  } catch (err) {
    if (err instanceof CycleError) {
      // The cycle is the whole message; the DAG's own error would only repeat it.
      throw new TrellisError('ENGINE_DEPENDENCY_CYCLE', `composed resources depend on each other in a cycle: ${err.cycle.join(' -> ')}`, {
        details: { cycle: [...err.cycle] },
      });
    }
    throw err;
  }
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
