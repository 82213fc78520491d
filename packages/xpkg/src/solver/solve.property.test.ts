import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { satisfies } from '../semver/constraint.ts';
import { MemoryCatalog } from './catalog.ts';
import { solve } from './solve.ts';
import type { CatalogVersion, Requirement } from './types.ts';

// Small random graphs, checked against brute force: when the solver finds a plan, every constraint
// holds; when it reports a conflict, no assignment of versions to the reachable packages exists.
interface Universe {
  pkgs: string[];
  vers: string[];
  constraints: string[];
  maxDeps: number;
}

const small: Universe = {
  pkgs: ['a', 'b', 'c', 'd'],
  vers: ['1.0.0', '1.1.0', '2.0.0'],
  constraints: ['>=1.0.0', '<2.0.0', '>=1.1.0', '2.0.0', '1.0.0', '!=1.1.0', '<1.1.0', '>=2.0.0'],
  maxDeps: 2,
};

// Five packages of four versions with windows: deeper searches, learned incompatibilities over
// several packages and backjumps across more than one level.
const wider: Universe = {
  pkgs: ['a', 'b', 'c', 'd', 'e'],
  vers: ['1.0.0', '1.1.0', '1.2.0', '2.0.0'],
  constraints: ['>=1.0.0', '<2.0.0', '>=1.1.0, <2.0.0', '2.0.0', '1.0.0', '!=1.1.0', '<1.2.0', '>=1.2.0', '1.1.0 || 2.0.0'],
  maxDeps: 3,
};

function graph(u: Universe) {
  const dep = fc.tuple(fc.nat(u.pkgs.length - 1), fc.nat(u.constraints.length - 1));
  return fc.record({
    deps: fc.array(fc.array(fc.array(dep, { maxLength: u.maxDeps }), { minLength: u.vers.length, maxLength: u.vers.length }), {
      minLength: u.pkgs.length,
      maxLength: u.pkgs.length,
    }),
    roots: fc.array(dep, { minLength: 1, maxLength: 2 }),
  });
}

describe('solve (property)', () => {
  it.each([
    { reason: 'four packages of three versions', u: small, numRuns: 400 },
    { reason: 'five packages of four versions, up to three dependencies each', u: wider, numRuns: 150 },
  ])('agrees with brute force: $reason', ({ u, numRuns }) => {
    const { pkgs, vers, constraints } = u;
    fc.assert(
      fc.property(graph(u), ({ deps, roots }) => {
        const c = new MemoryCatalog();
        const table = new Map<string, CatalogVersion[]>();
        for (const [pi, p] of pkgs.entries()) {
          for (const [vi, v] of vers.entries()) {
            const ds = (deps[pi]?.[vi] ?? [])
              .filter(([t]) => t !== pi)
              .map(([t, ci]) => ({ package: pkgs[t] ?? 'a', constraint: constraints[ci] ?? '*', type: 'Configuration' as const }));
            const entry: CatalogVersion = { version: v, digest: `sha256:${p}${v}`, type: 'Configuration', dependencies: ds };
            c.add(p, entry);
            table.set(p, [...(table.get(p) ?? []), entry]);
          }
        }
        const reqs: Requirement[] = roots.map(([t, ci]) => ({
          package: pkgs[t] ?? 'a',
          constraint: constraints[ci] ?? '*',
          from: 'root',
          type: 'Configuration',
        }));
        const r = solve(c, reqs, { trySuggestions: false });
        const valid = (sel: Map<string, string>): boolean => {
          for (const q of reqs) {
            const v = sel.get(q.package);
            if (v === undefined || !satisfies(v, q.constraint)) return false;
          }
          for (const [p, v] of sel) {
            for (const d of table.get(p)?.find((x) => x.version === v)?.dependencies ?? []) {
              const dv = sel.get(d.package);
              if (dv === undefined || !satisfies(dv, d.constraint)) return false;
            }
          }
          return true;
        };
        if (r.ok) {
          expect(valid(new Map(r.plan.packages.map((p) => [p.package, p.version])))).toBe(true);
          return;
        }
        if (r.kind === 'cycle') return;
        // brute force: each package absent or one of its versions
        const options = [undefined, ...vers];
        let found = false;
        const rec = (i: number, sel: Map<string, string>): void => {
          if (found) return;
          if (i === pkgs.length) {
            if (valid(sel)) found = true;
            return;
          }
          for (const o of options) {
            const next = new Map(sel);
            if (o !== undefined) next.set(pkgs[i] ?? 'a', o);
            rec(i + 1, next);
          }
        };
        rec(0, new Map());
        expect(found).toBe(false);
      }),
      { numRuns, seed: 5 },
    );
  });
});
