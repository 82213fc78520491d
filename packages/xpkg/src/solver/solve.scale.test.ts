import { describe, expect, it } from 'vitest';
import { satisfies } from '../semver/constraint.ts';
import { MemoryCatalog } from './catalog.ts';
import { solve } from './solve.ts';
import type { Requirement, SolveResult } from './types.ts';

/** Mulberry32: a small deterministic PRNG, so every run builds the same graph. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Shape {
  packages: number;
  versions: number;
  layers: number;
  seed: number;
}

/**
 * Layered builds the shape of bench/xpkg's graph at a smaller size: packages in layers, each
 * depending on 2–3 packages of the next layer with 3-version windows that move with the version
 * (newer asks for newer), a hidden solution whose newest one to three releases are sometimes
 * incompatible, and one release in ten asking for a random window. The root requires layer 0.
 */
function layered({ packages: P, versions: V, layers, seed }: Shape): { catalog: MemoryCatalog; roots: Requirement[] } {
  const r = rng(seed);
  const width = Math.ceil(P / layers);
  const name = (i: number): string => `r.io/org/pkg-${i}`;
  const ver = (k: number): string => `v1.${k}.0`;
  const t = Array.from({ length: P }, () => V - 1 - Math.floor(r() * r() * 4));
  const edges: Set<number>[] = Array.from({ length: P }, () => new Set<number>());
  for (let i = 0; i < P; i++) {
    const layer = Math.floor(i / width);
    if (layer + 1 >= layers) continue;
    const count = 2 + Math.floor(r() * 2);
    for (let e = 0; e < count; e++) edges[i]?.add(Math.min(P - 1, (layer + 1) * width + Math.floor(r() * width)));
  }
  for (let j = width; j < P; j++) edges[(Math.floor(j / width) - 1) * width + Math.floor(r() * width)]?.add(j);
  const catalog = new MemoryCatalog();
  for (let i = 0; i < P; i++) {
    for (let k = 0; k < V; k++) {
      const dependencies = [...(edges[i] ?? [])].map((j) => {
        const shifted = Math.min(V - 1, Math.max(0, (t[j] ?? 0) + (k - (t[i] ?? 0))));
        const centre = k === t[i] ? (t[j] ?? 0) : r() < 0.1 ? Math.floor(r() * V) : shifted;
        const lo = Math.max(0, centre - 1);
        return { package: name(j), type: 'Configuration' as const, constraint: `>=${ver(lo)}, <${ver(lo + 3)}` };
      });
      catalog.add(name(i), {
        version: ver(k),
        digest: `sha256:${(i * 100 + k).toString(16).padStart(64, '0')}`,
        type: 'Configuration',
        dependencies,
      });
    }
  }
  const roots: Requirement[] = [];
  for (let i = 0; i < width; i++) roots.push({ package: name(i), type: 'Configuration', constraint: '>=v1.0.0', from: 'root' });
  return { catalog, roots };
}

/** Violations lists every requirement and dependency constraint a plan breaks (empty when valid). */
function violations(catalog: MemoryCatalog, roots: readonly Requirement[], r: SolveResult): string[] {
  if (!r.ok) return [`no plan: ${r.explanation.slice(0, 3).join(' ')}`];
  const chosen = new Map(r.plan.packages.map((p) => [p.package, p.version]));
  const out: string[] = [];
  const check = (who: string, pkg: string, constraint: string): void => {
    const v = chosen.get(pkg);
    if (v === undefined || !satisfies(v, constraint)) out.push(`${who} needs ${pkg} ${constraint}, plan has ${v ?? 'nothing'}`);
  };
  for (const q of roots) check('root', q.package, q.constraint);
  for (const [pkg, v] of chosen) {
    for (const d of catalog.versions(pkg).find((x) => x.version === v)?.dependencies ?? []) check(`${pkg}@${v}`, d.package, d.constraint);
  }
  return out;
}

// Deciding the package with the fewest versions first walked these graphs depth-first and took
// 4,193, 10,075 and 521 steps; breadth-first (discovery order, singletons first) takes 2,374, 5,016 and 377.
describe('solve (layered graphs with bad releases)', () => {
  it.each([
    {
      reason: 'a deep graph: conflicts between distant layers',
      shape: { packages: 400, versions: 12, layers: 8, seed: 7 },
      maxSteps: 3_000,
    },
    {
      reason: 'a wide graph: many packages share dependencies',
      shape: { packages: 600, versions: 10, layers: 3, seed: 11 },
      maxSteps: 7_000,
    },
    { reason: 'the benchmark shape at a tenth of its size', shape: { packages: 200, versions: 20, layers: 10, seed: 42 }, maxSteps: 450 },
  ])('$reason', ({ shape, maxSteps }) => {
    const { catalog, roots } = layered(shape);
    const r = solve(catalog, roots, { trySuggestions: false });
    expect(violations(catalog, roots, r)).toEqual([]);
    // Steps (decisions + conflict resolutions) are deterministic: a bound guards the search's efficiency.
    expect(r.steps).toBeLessThanOrEqual(maxSteps);
  });
});
