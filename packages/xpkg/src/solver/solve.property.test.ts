import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { satisfies } from '../semver/constraint.ts';
import { MemoryCatalog } from './catalog.ts';
import { solve } from './solve.ts';
import type { CatalogVersion, Requirement } from './types.ts';

// Small random graphs, checked against brute force: when the solver finds a plan, every constraint
// holds; when it reports a conflict, no assignment of versions to the reachable packages exists.
const pkgs = ['a', 'b', 'c', 'd'];
const vers = ['1.0.0', '1.1.0', '2.0.0'];
const constraints = ['>=1.0.0', '<2.0.0', '>=1.1.0', '2.0.0', '1.0.0', '!=1.1.0', '<1.1.0', '>=2.0.0'];

const graph = fc.record({
  deps: fc.array(
    fc.array(fc.array(fc.tuple(fc.nat(3), fc.nat(constraints.length - 1)), { maxLength: 2 }), { minLength: 3, maxLength: 3 }),
    {
      minLength: 4,
      maxLength: 4,
    },
  ),
  roots: fc.array(fc.tuple(fc.nat(3), fc.nat(constraints.length - 1)), { minLength: 1, maxLength: 2 }),
});

describe('solve (property)', () => {
  it('agrees with brute force on small graphs', () => {
    fc.assert(
      fc.property(graph, ({ deps, roots }) => {
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
      { numRuns: 400, seed: 5 },
    );
  });
});
