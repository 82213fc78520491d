// The import rules of the design brief, enforced: nothing imports `cli`; `engine` and `xpkg` never
// import each other; providers import only `sdk` and `runtime`; siblings only by package name.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');
const packages = readdirSync(packagesDir).filter((d) => statSync(join(packagesDir, d)).isDirectory());

/** Allowed maps each package to the internal packages it may import. */
const allowed: Record<string, string[]> = {
  sdk: [],
  dag: [],
  kube: ['sdk'],
  apiserver: ['sdk'],
  functions: ['sdk'],
  engine: ['sdk', 'dag', 'kube', 'functions'],
  xpkg: ['sdk', 'dag', 'kube'],
  runtime: ['sdk', 'kube'],
  cli: packages,
};
const allowedFor = (pkg: string): string[] => allowed[pkg] ?? (pkg.startsWith('provider-') ? ['sdk', 'runtime'] : []);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) out.push(p);
  }
  return out;
}

const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(importRe)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out.filter((s) => s !== '');
}

describe('import rules', () => {
  it('knows every package', () => {
    for (const p of packages) {
      expect(p in allowed || p.startsWith('provider-'), `packages/${p} has no import rule in test/architecture.test.ts`).toBe(true);
    }
  });

  describe.each(packages)('packages/%s', (pkg) => {
    const dir = join(packagesDir, pkg, 'src');
    const files = (() => {
      try {
        return sourceFiles(dir);
      } catch {
        return [];
      }
    })();

    it('imports internal packages only as the brief allows, and only by name', () => {
      const problems: string[] = [];
      const pkgJson = JSON.parse(readFileSync(join(packagesDir, pkg, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      for (const file of files) {
        for (const spec of importsOf(file)) {
          const rel = relative(root, file);
          if (spec.startsWith('.')) {
            const target = resolve(join(file, '..'), spec);
            if (!target.startsWith(join(packagesDir, pkg) + '/')) problems.push(`${rel}: relative import "${spec}" leaves the package`);
            continue;
          }
          const m = /^@trellis\/([^/]+)/.exec(spec);
          if (m === null) continue;
          const dep = m[1] ?? '';
          if (dep === pkg) problems.push(`${rel}: imports its own package by name`);
          else if (!allowedFor(pkg).includes(dep)) problems.push(`${rel}: may not import @trellis/${dep}`);
          else if (pkgJson.dependencies?.[`@trellis/${dep}`] === undefined)
            problems.push(`${rel}: imports @trellis/${dep} without declaring it`);
        }
      }
      expect(problems).toEqual([]);
    });
  });

  it('nothing imports the cli', () => {
    const offenders = packages
      .filter((p) => p !== 'cli')
      .flatMap((p) => {
        const dir = join(packagesDir, p, 'src');
        try {
          return sourceFiles(dir).filter((f) => importsOf(f).some((s) => s.startsWith('@trellis/cli')));
        } catch {
          return [];
        }
      });
    expect(offenders).toEqual([]);
  });
});
