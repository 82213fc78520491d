// The synthetic dependency graph of the solver benchmark (bench/xpkg/run.ts, bench/xpkg/solver.ts).
import { type CatalogVersion, MemoryCatalog, type Requirement } from '@trellis/xpkg';

/** A small deterministic PRNG (mulberry32) so every run solves the same graph. */
export function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * SyntheticGraph: 2,000 packages × 20 versions in 10 layers of 200 (a dependency graph as deep as
 * real platform configurations get). Every package of layer L+1 is needed by at least one
 * package of layer L, and each package depends on 2–3 packages of the next layer; the root
 * requires every package of layer 0. A hidden assignment t[] (mostly the newest versions, but for
 * some packages one to three releases back) is a solution: version t[i] of
 * package i asks for a 3-version window around t[j] of each dependency j; any other version k
 * asks for that window shifted by k - t[i] (newer asks for newer), except one version in ten that
 * asks for a random window (a bad release). The highest versions therefore conflict often, and
 * the solver must backtrack.
 */
export function syntheticGraph(P: number, V: number, seed: number, badReleases: boolean): { catalog: MemoryCatalog; roots: Requirement[] } {
  const r = rng(seed);
  const layers = 10;
  const width = Math.ceil(P / layers);
  const name = (i: number): string => `bench.example/org/pkg-${i}`;
  const ver = (k: number): string => `v1.${k}.0`;
  // The newest versions mostly work together; some packages' newest one to three releases do not.
  const t = Array.from({ length: P }, () => (badReleases ? V - 1 - Math.floor(r() * r() * 4) : V - 1));
  const edges: Set<number>[] = Array.from({ length: P }, () => new Set<number>());
  for (let i = 0; i < P; i++) {
    const layer = Math.floor(i / width);
    if (layer + 1 >= layers) continue;
    const next = (layer + 1) * width;
    const count = 2 + Math.floor(r() * 2);
    for (let e = 0; e < count; e++) edges[i]?.add(Math.min(P - 1, next + Math.floor(r() * width)));
  }
  for (let j = width; j < P; j++) {
    const layer = Math.floor(j / width);
    const from = (layer - 1) * width + Math.floor(r() * width);
    edges[from]?.add(j);
  }
  const catalog = new MemoryCatalog();
  for (let i = 0; i < P; i++) {
    for (let k = 0; k < V; k++) {
      const dependencies = [...(edges[i] ?? [])].map((j) => {
        // Newer versions ask for newer dependencies (a realistic, monotone shape); one version in
        // ten asks for a random window (a bad release the solver must route around).
        const shifted = Math.min(V - 1, Math.max(0, (t[j] ?? 0) + (k - (t[i] ?? 0))));
        const centre = k === t[i] ? (t[j] ?? 0) : badReleases && r() < 0.1 ? Math.floor(r() * V) : shifted;
        const lo = Math.max(0, centre - 1);
        return { package: name(j), type: 'Configuration' as const, constraint: `>=${ver(lo)}, <${ver(lo + 3)}` };
      });
      const v: CatalogVersion = {
        version: ver(k),
        digest: `sha256:${(i * 100 + k).toString(16).padStart(64, '0')}`,
        type: 'Configuration',
        dependencies,
      };
      catalog.add(name(i), v);
    }
  }
  const roots: Requirement[] = [];
  for (let i = 0; i < width; i++)
    roots.push({ package: name(i), type: 'Configuration', constraint: '>=v1.0.0', from: 'Configuration "bench"' });
  return { catalog, roots };
}
