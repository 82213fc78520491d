import { hasCode } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import type { PackageType } from '../meta/types.ts';
import { MemoryCatalog } from './catalog.ts';
import { solve, solveOrThrow } from './solve.ts';
import type { Requirement, SolveResult } from './types.ts';

type Spec = Record<string, Record<string, { deps?: Record<string, string>; digest?: string; type?: PackageType }>>;

function catalog(spec: Spec): MemoryCatalog {
  const c = new MemoryCatalog();
  for (const [pkg, versions] of Object.entries(spec)) {
    for (const [version, v] of Object.entries(versions)) {
      c.add(pkg, {
        version,
        digest: v.digest ?? `sha256:${Buffer.from(`${pkg}@${version}`).toString('hex').padEnd(64, '0').slice(0, 64)}`,
        type: v.type ?? (pkg.includes('provider') ? 'Provider' : pkg.includes('function') ? 'Function' : 'Configuration'),
        dependencies: Object.entries(v.deps ?? {}).map(([p, constraint]) => ({
          package: p,
          constraint,
          type: p.includes('provider') ? 'Provider' : p.includes('function') ? 'Function' : 'Configuration',
        })),
      });
    }
  }
  return c;
}

const req = (pkg: string, constraint: string, from = `configuration "${pkg.split('/').at(-1)}"`): Requirement => ({
  package: pkg,
  constraint,
  from,
  type: 'Configuration',
});

function versions(r: SolveResult): Record<string, string> {
  if (!r.ok) throw new Error(`unexpected failure:\n${r.explanation.join('\n')}\n${r.suggestions.join('\n')}`);
  return Object.fromEntries(r.plan.packages.map((p) => [p.package.split('/').at(-1) ?? '', p.version]));
}

const nop = 'xpkg.crossplane.io/crossplane-contrib/provider-nop';
const dnop = 'xpkg.crossplane.io/crossplane/e2e-depends-on-provider-nop';
const nested = 'xpkg.crossplane.io/crossplane/e2e-nested-configuration';

describe("upstream's dependency scenarios (crossplane test/e2e/manifests/pkg/dependency-upgrade), with Trellis's outcome", () => {
  it('transitive diamond: config1 → dep1 → transitive and config2 → dep2 → transitive resolve to one transitive version, dependencies first', () => {
    const spec: Spec = { 'r.io/e2e-config1': {}, 'r.io/e2e-config2': {}, 'r.io/e2e-dep1': {}, 'r.io/e2e-dep2': {} };
    const put = (pkg: string, v: string, dep: string): void => {
      const versions = spec[pkg] ?? {};
      versions[v] = { deps: { [dep]: v } };
      spec[pkg] = versions;
    };
    for (const v of ['v0.0.1', 'v0.0.2', 'v0.0.3']) {
      put('r.io/e2e-config1', v, 'r.io/e2e-dep1');
      put('r.io/e2e-config2', v, 'r.io/e2e-dep2');
      put('r.io/e2e-dep1', v, 'r.io/e2e-transitive');
      put('r.io/e2e-dep2', v, 'r.io/e2e-transitive');
    }
    // v0.0.2 and v0.0.3 of transitive are the same content (same digest).
    spec['r.io/e2e-transitive'] = {
      'v0.0.1': { digest: `sha256:${'1'.repeat(64)}` },
      'v0.0.2': { digest: `sha256:${'2'.repeat(64)}` },
      'v0.0.3': { digest: `sha256:${'2'.repeat(64)}` },
    };
    const c = catalog(spec);
    const r = solve(c, [req('r.io/e2e-config1', 'v0.0.2'), req('r.io/e2e-config2', 'v0.0.2')]);
    expect(versions(r)).toEqual({
      'e2e-transitive': 'v0.0.2',
      'e2e-dep1': 'v0.0.2',
      'e2e-dep2': 'v0.0.2',
      'e2e-config1': 'v0.0.2',
      'e2e-config2': 'v0.0.2',
    });
    if (r.ok) expect(r.plan.packages[0]?.package).toBe('r.io/e2e-transitive');
    // Upgrading only config1 to v0.0.3 makes dep1 want transitive v0.0.3 while dep2 wants v0.0.2: upstream
    // leaves a revision unhealthy; Trellis reports the conflict up front and names both sides.
    const bad = solve(c, [req('r.io/e2e-config1', 'v0.0.3'), req('r.io/e2e-config2', 'v0.0.2')]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      const text = bad.explanation.join('\n');
      expect(text).toContain('r.io/e2e-dep1 v0.0.3 asks for v0.0.3');
      expect(text).toContain('r.io/e2e-dep2 v0.0.2 asks for v0.0.2');
      expect(bad.suggestions.join('\n')).toMatch(/Changing the constraint configuration "e2e-config[12]" puts on r.io\/e2e-config[12]/);
    }
    // Upgrading both together works (upstream needs the alpha upgrade flag and several passes).
    expect(versions(solve(c, [req('r.io/e2e-config1', 'v0.0.3'), req('r.io/e2e-config2', 'v0.0.3')]))['e2e-transitive']).toBe('v0.0.3');
  });

  it('digest pins: a digest constraint selects the version with that digest, and two different digests conflict', () => {
    const d1 = `sha256:${'a'.repeat(64)}`;
    const d2 = `sha256:${'b'.repeat(64)}`;
    const c = catalog({ [nop]: { 'v0.2.0': { digest: d1 }, 'v0.3.0': { digest: d2 }, 'v0.4.0': {} } });
    const r = solve(c, [req(nop, d1)]);
    expect(versions(r)['provider-nop']).toBe('v0.2.0');
    if (r.ok) expect(r.plan.packages[0]?.pinnedByDigest).toBe(true);
    const upgraded = solve(c, [req(nop, d2)]);
    expect(versions(upgraded)['provider-nop']).toBe('v0.3.0');
    const both = solve(c, [req(nop, d1, 'a'), req(nop, d2, 'b')]);
    expect(both.ok).toBe(false);
  });

  it('version upgrade: a new configuration version that needs a newer provider upgrades it (highest satisfying, not minimal)', () => {
    const c = catalog({
      [nested]: { 'v0.1.0': { deps: { [nop]: '>=v0.1.0, <v0.3.0' } }, 'v0.2.0': { deps: { [nop]: '>=v0.3.0' } } },
      [nop]: { 'v0.1.0': {}, 'v0.2.0': {}, 'v0.3.0': {}, 'v0.4.0': {} },
    });
    expect(versions(solve(c, [req(nested, 'v0.1.0')]))['provider-nop']).toBe('v0.2.0');
    expect(versions(solve(c, [req(nested, 'v0.2.0')]))['provider-nop']).toBe('v0.4.0');
    // Keeping what is installed when it still fits (a lockfile or the cluster's state).
    expect(versions(solve(c, [req(nested, 'v0.2.0')], { prefer: new Map([[nop, 'v0.3.0']]) }))['provider-nop']).toBe('v0.3.0');
  });

  it('downgrade: a configuration that needs <=v0.4.0 while v0.5.0 is installed gets the highest version below (the controller then checks the schema)', () => {
    const c = catalog({
      [nested]: { 'v0.2.0-d': { deps: { [nop]: '<=v0.4.0', [dnop]: 'v0.3.1' } } },
      [dnop]: { 'v0.3.1': { deps: { [nop]: '>=v0.2.0' } } },
      [nop]: { 'v0.2.0': {}, 'v0.3.0': {}, 'v0.4.0': {}, 'v0.5.0': {} },
    });
    expect(versions(solve(c, [req(nested, 'v0.2.0-d')], { prefer: new Map([[nop, 'v0.5.0']]) }))['provider-nop']).toBe('v0.4.0');
  });

  it('no valid version: v0.2.0 exactly and a dependency that needs >=v0.3.0 fail with both constraints named', () => {
    const c = catalog({
      [nested]: { 'v0.1.0-nv': { deps: { [nop]: 'v0.2.0', [dnop]: 'v0.2.1' } } },
      [dnop]: { 'v0.2.1': { deps: { [nop]: '>=v0.3.0' } } },
      [nop]: { 'v0.2.0': {}, 'v0.3.0': {} },
    });
    const r = solve(c, [req(nested, 'v0.1.0-nv')]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.explanation.join('\n');
    expect(text).toContain(`${nested} v0.1.0-nv asks for v0.2.0`);
    expect(text).toContain(`${dnop} v0.2.1 asks for >=v0.3.0`);
    expect(text).toContain('(published: v0.2.0, v0.3.0)');
    expect(text).toMatch(/no set of versions satisfies every requirement/);
    expect(() => solveOrThrow(c, [req(nested, 'v0.1.0-nv')])).toThrow(/v0.2.0/);
    let err: unknown;
    try {
      solveOrThrow(c, [req(nested, 'v0.1.0-nv')]);
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'XPKG_UNRESOLVABLE')).toBe(true);
  });

  it('already exists: a dependency installed by hand (under any name) is kept when it fits, identified by its package, not its object name', () => {
    const c = catalog({
      [nested]: { 'v0.3.0': { deps: { [nop]: '>=v0.1.0', [dnop]: 'v0.2.0-gt' } } },
      [dnop]: { 'v0.2.0-gt': { deps: { [nop]: '>=v0.1.0' } } },
      [nop]: { 'v0.1.0': {}, 'v0.2.0': {}, 'v0.3.0': {} },
    });
    const r = solve(c, [req(nested, 'v0.3.0')], { prefer: new Map([[nop, 'v0.2.0']]) });
    expect(versions(r)).toEqual({
      'provider-nop': 'v0.2.0',
      'e2e-depends-on-provider-nop': 'v0.2.0-gt',
      'e2e-nested-configuration': 'v0.3.0',
    });
  });
});

describe('solve', () => {
  it('backtracks: the highest version of a dependency that conflicts is dropped for a lower one', () => {
    const c = catalog({
      'r.io/app': { 'v1.0.0': { deps: { 'r.io/lib': '>=v1.0.0', 'r.io/provider-x': 'v1' } } },
      'r.io/lib': { 'v1.0.0': { deps: { 'r.io/provider-x': '<v1.5.0' } }, 'v2.0.0': { deps: { 'r.io/provider-x': '>=v2.0.0' } } },
      'r.io/provider-x': { 'v1.2.0': {}, 'v1.6.0': {}, 'v2.0.0': {} },
    });
    expect(versions(solve(c, [req('r.io/app', '>=v0.0.0')]))).toEqual({ 'provider-x': 'v1.2.0', lib: 'v1.0.0', app: 'v1.0.0' });
  });

  it('uses prereleases only when a constraint asks for them (or includePrerelease)', () => {
    const c = catalog({ 'r.io/provider-x': { 'v1.0.0': {}, 'v1.1.0-rc.1': {} } });
    expect(versions(solve(c, [req('r.io/provider-x', '>=v1.0.0')]))['provider-x']).toBe('v1.0.0');
    expect(versions(solve(c, [req('r.io/provider-x', '>=v1.0.0-0')]))['provider-x']).toBe('v1.1.0-rc.1');
    expect(versions(solve(c, [req('r.io/provider-x', '>=v1.0.0')], { includePrerelease: true }))['provider-x']).toBe('v1.1.0-rc.1');
  });

  it('ignores incomplete tags like v1 (crossplane#6772) and tags that are not versions', () => {
    const c = catalog({ 'r.io/provider-x': { v1: {}, latest: {}, 'v1.0.1': {} } });
    expect(versions(solve(c, [req('r.io/provider-x', 'v1.0.0 || v1.0.1')]))['provider-x']).toBe('v1.0.1');
  });

  it('reports a cycle among chosen versions', () => {
    const c = catalog({
      'r.io/a': { 'v1.0.0': { deps: { 'r.io/b': 'v1' } } },
      'r.io/b': { 'v1.0.0': { deps: { 'r.io/c': 'v1' } } },
      'r.io/c': { 'v1.0.0': { deps: { 'r.io/a': 'v1' } } },
    });
    const r = solve(c, [req('r.io/a', 'v1')]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe('cycle');
    expect(r.explanation[0]).toContain('r.io/a@v1.0.0 → r.io/b@v1.0.0 → r.io/c@v1.0.0 → r.io/a@v1.0.0');
    expect(() => solveOrThrow(c, [req('r.io/a', 'v1')])).toThrow(/cycle/);
  });

  it('explains an unknown package', () => {
    const r = solve(catalog({}), [req('r.io/missing', '>=v1.0.0', 'configuration "demo"')]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.explanation.join('\n')).toContain(
      'Configuration "demo" requires r.io/missing >=v1.0.0, but no version of r.io/missing matches >=v1.0.0 (no versions are known)',
    );
  });

  it('explains a conflict between two roots and suggests the change that fixes it', () => {
    const c = catalog({
      'r.io/config-a': { 'v1.0.0': { deps: { 'r.io/provider-x': '>=v1.2.0, <v2.0.0' } } },
      'r.io/config-b': { 'v1.0.0': { deps: { 'r.io/function-y': 'v0.4.0' } } },
      'r.io/function-y': { 'v0.4.0': { deps: { 'r.io/provider-x': '<v1.0.0' } } },
      'r.io/provider-x': { 'v0.9.0': {}, 'v1.1.0': {}, 'v1.3.0': {} },
    });
    const r = solve(c, [req('r.io/config-a', 'v1.0.0', 'a'), req('r.io/config-b', 'v1.0.0', 'b')]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.explanation.join('\n');
    expect(text).toContain('r.io/config-a v1.0.0 asks for >=v1.2.0, <v2.0.0');
    expect(text).toContain('r.io/function-y v0.4.0 asks for <v1.0.0');
    expect(r.suggestions.join('\n')).toContain('Use another version of r.io/config-a than v1.0.0');
  });

  it('rejects a malformed root constraint with a typed error', () => {
    let err: unknown;
    try {
      solve(catalog({}), [req('r.io/a', '>= banana')]);
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'XPKG_INVALID_CONSTRAINT')).toBe(true);
  });
});
