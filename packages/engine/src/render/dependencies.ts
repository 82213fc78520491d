import { AnnotationDependsOn, parseDependsOn } from '../names/names.ts';
import type { ComposedDependency } from './types.ts';

/** A PipelineStepInput is what dependency inference reads from a Composition pipeline step. */
export interface PipelineStepInput {
  input?: unknown;
}

/**
 * FindDependencies returns the dependency edges between desired composed resources:
 *
 * - **declared**: a desired resource's `trellis.dev/depends-on` annotation lists the composition
 *   resource names it needs;
 * - **inferred** from patch-and-transform inputs (`pt.fn.crossplane.io` `Resources`): resource B
 *   depends on resource A when A copies one of its observed fields to the XR or the environment
 *   (ToCompositeFieldPath, CombineToComposite, ToEnvironmentFieldPath, CombineToEnvironment) and
 *   B reads that XR or environment field (FromCompositeFieldPath, CombineFromComposite,
 *   FromEnvironmentFieldPath, CombineFromEnvironment); paths overlap when one is a prefix of the
 *   other.
 *
 * Edges to names that are not desired are kept for declared edges (the controller blocks on them)
 * and dropped for inferred ones. An inferred edge that would close a cycle is dropped; declared
 * cycles are kept for the controller to report.
 */
export function findDependencies(
  desired: ReadonlyMap<string, { metadata?: { annotations?: Record<string, string> } }>,
  steps: readonly PipelineStepInput[],
): ComposedDependency[] {
  const edges: ComposedDependency[] = [];
  const seen = new Set<string>();
  const add = (e: ComposedDependency): void => {
    const k = `${e.name}\u0000${e.dependsOn}`;
    if (seen.has(k) || e.name === e.dependsOn) return;
    seen.add(k);
    edges.push(e);
  };
  const names = [...desired.keys()].sort();
  for (const name of names) {
    const ann = desired.get(name)?.metadata?.annotations?.[AnnotationDependsOn];
    for (const d of parseDependsOn(ann)) add({ name, dependsOn: d, source: 'declared' });
  }
  const io = collectPatchIO(steps);
  // Index the writers by the first segment of what they write, so each read is compared only with
  // writes that can overlap it.
  const writersXR = indexWrites(names, io, (x) => x.writesXR);
  const writersEnv = indexWrites(names, io, (x) => x.writesEnv);
  for (const reader of names) {
    const reads = io.get(reader);
    if (reads === undefined) continue;
    const candidates = new Set<string>();
    collectWriters(reads.readsXR, writersXR, candidates);
    collectWriters(reads.readsEnv, writersEnv, candidates);
    for (const writer of names) {
      if (writer === reader || !candidates.has(writer)) continue;
      const writes = io.get(writer) as PatchIO;
      if (!overlaps(reads.readsXR, writes.writesXR) && !overlaps(reads.readsEnv, writes.writesEnv)) continue;
      if (reachable(edges, writer, reader)) continue;
      add({ name: reader, dependsOn: writer, source: 'inferred' });
    }
  }
  return edges;
}

/** DependencyMap groups edges by dependent: `{ app: ['db'] }`, names sorted. */
export function dependencyMap(edges: readonly ComposedDependency[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of edges) out[e.name] = [...(out[e.name] ?? []), e.dependsOn];
  for (const k of Object.keys(out)) out[k] = [...new Set(out[k])].sort();
  return out;
}

function indexWrites(names: string[], io: Map<string, PatchIO>, pick: (x: PatchIO) => string[][]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const n of names) {
    const x = io.get(n);
    if (x === undefined) continue;
    for (const w of pick(x)) {
      const head = w[0];
      if (head === undefined) continue;
      const list = out.get(head) ?? [];
      if (!list.includes(n)) list.push(n);
      out.set(head, list);
    }
  }
  return out;
}

function collectWriters(reads: string[][], index: Map<string, string[]>, into: Set<string>): void {
  for (const r of reads) {
    const head = r[0];
    if (head === undefined) continue;
    for (const w of index.get(head) ?? []) into.add(w);
    if (head === '*') for (const ws of index.values()) for (const w of ws) into.add(w);
    for (const w of index.get('*') ?? []) into.add(w);
  }
}

function reachable(edges: readonly ComposedDependency[], from: string, to: string): boolean {
  const stack = [from];
  const visited = new Set<string>();
  while (stack.length > 0) {
    const n = stack.pop() as string;
    if (n === to) return true;
    if (visited.has(n)) continue;
    visited.add(n);
    for (const e of edges) if (e.name === n) stack.push(e.dependsOn);
  }
  return false;
}

interface PatchIO {
  readsXR: string[][];
  writesXR: string[][];
  readsEnv: string[][];
  writesEnv: string[][];
}

const PT_API_GROUP = 'pt.fn.crossplane.io/';

function collectPatchIO(steps: readonly PipelineStepInput[]): Map<string, PatchIO> {
  const out = new Map<string, PatchIO>();
  for (const step of steps) {
    const input = step.input;
    if (!isObject(input) || typeof input.apiVersion !== 'string' || !input.apiVersion.startsWith(PT_API_GROUP)) continue;
    const patchSets = new Map<string, unknown[]>();
    for (const ps of asArray(input.patchSets)) {
      if (isObject(ps) && typeof ps.name === 'string') patchSets.set(ps.name, asArray(ps.patches));
    }
    for (const r of asArray(input.resources)) {
      if (!isObject(r) || typeof r.name !== 'string') continue;
      let io = out.get(r.name);
      if (io === undefined) {
        io = { readsXR: [], writesXR: [], readsEnv: [], writesEnv: [] };
        out.set(r.name, io);
      }
      for (const p of expandPatchSets(asArray(r.patches), patchSets)) addPatch(io, p);
    }
  }
  return out;
}

function expandPatchSets(patches: unknown[], sets: Map<string, unknown[]>): unknown[] {
  const out: unknown[] = [];
  for (const p of patches) {
    if (isObject(p) && p.type === 'PatchSet' && typeof p.patchSetName === 'string') out.push(...(sets.get(p.patchSetName) ?? []));
    else out.push(p);
  }
  return out;
}

function addPatch(io: PatchIO, p: unknown): void {
  if (!isObject(p)) return;
  const type = typeof p.type === 'string' && p.type !== '' ? p.type : 'FromCompositeFieldPath';
  const from = typeof p.fromFieldPath === 'string' ? p.fromFieldPath : undefined;
  const to = typeof p.toFieldPath === 'string' ? p.toFieldPath : from;
  const vars = isObject(p.combine)
    ? asArray(p.combine.variables).flatMap((v) => (isObject(v) && typeof v.fromFieldPath === 'string' ? [v.fromFieldPath] : []))
    : [];
  switch (type) {
    case 'FromCompositeFieldPath':
      if (from !== undefined) io.readsXR.push(segments(from));
      break;
    case 'CombineFromComposite':
      for (const v of vars) io.readsXR.push(segments(v));
      break;
    case 'ToCompositeFieldPath':
    case 'CombineToComposite':
      if (to !== undefined) io.writesXR.push(segments(to));
      break;
    case 'FromEnvironmentFieldPath':
      if (from !== undefined) io.readsEnv.push(segments(from));
      break;
    case 'CombineFromEnvironment':
      for (const v of vars) io.readsEnv.push(segments(v));
      break;
    case 'ToEnvironmentFieldPath':
    case 'CombineToEnvironment':
      if (to !== undefined) io.writesEnv.push(segments(to));
      break;
    default:
  }
}

/** Segments splits a field path (`a.b[0]`, `a["b.c"]`) into its segments; wildcards become `*`. */
export function segments(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c === '.') {
      if (cur !== '') out.push(cur);
      cur = '';
    } else if (c === '[') {
      if (cur !== '') out.push(cur);
      cur = '';
      const end = path.indexOf(']', i);
      const inner = end < 0 ? path.slice(i + 1) : path.slice(i + 1, end);
      out.push(inner.replace(/^['"]|['"]$/g, ''));
      i = end < 0 ? path.length : end;
    } else {
      cur += c;
    }
  }
  if (cur !== '') out.push(cur);
  return out;
}

function overlaps(reads: string[][], writes: string[][]): boolean {
  return reads.some((r) => writes.some((w) => prefixOverlap(r, w)));
}

function prefixOverlap(a: string[], b: string[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i] && a[i] !== '*' && b[i] !== '*') return false;
  }
  return true;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
