import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrellisError } from '@trellis/sdk';
import { canonical as canonicalOf, Sources, type SourcesOptions } from './controllers/sources.ts';
import { formatFinding, hasErrors, readMeta } from './meta/lint.ts';
import { parseDocuments } from './meta/parse.ts';
import type { PackageMeta } from './meta/types.ts';
import { type Lockfile, parseLockfile, toLockfile } from './solver/lockfile.ts';
import { solve } from './solver/solve.ts';
import type { Requirement, SolveResult } from './solver/types.ts';

/** ResolveProjectOptions say where a project is and how to reach registries. */
export interface ResolveProjectOptions extends Omit<SourcesOptions, 'namespace'> {
  packageRoot: string;
  /** Lockfile text of a previous resolve: its versions are kept when they still fit (`resolve`), ignored by `update`. */
  lock?: string;
  mode?: 'resolve' | 'update';
  includePrerelease?: boolean;
}

/** A ProjectResolution is the solve result, and the lockfile when it succeeded. */
export interface ProjectResolution {
  meta: PackageMeta;
  requirements: Requirement[];
  result: SolveResult;
  lockfile?: Lockfile;
}

/**
 * ResolveProject solves a package's `dependsOn` against the registries (or the cache when
 * offline) and returns the plan and the `trellis.lock` content. With a previous lock in `resolve`
 * mode the locked versions are preferred, so resolving again changes nothing unless it must.
 */
export async function resolveProject(opts: ResolveProjectOptions): Promise<ProjectResolution> {
  const file = join(opts.packageRoot, 'crossplane.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new TrellisError('XPKG_NO_META', `cannot read ${file}`, { cause: err });
  }
  const doc = parseDocuments(text, file)[0];
  if (doc === undefined) throw new TrellisError('XPKG_NO_META', `${file} is empty`);
  const { meta, findings } = readMeta(doc);
  if (meta === undefined || hasErrors(findings)) {
    throw new TrellisError(
      'XPKG_INVALID_META',
      `${file} is invalid: ${findings
        .filter((f) => f.severity === 'error')
        .map(formatFinding)
        .join('; ')}`,
    );
  }
  const sources = new Sources({ ...opts, namespace: '' });
  const requirements: Requirement[] = meta.dependsOn.map((d) => ({
    package: canonicalOf(d.package, opts.defaultRegistry),
    type: d.type,
    constraint: d.version,
    from: `${meta.type} "${meta.name}"`,
  }));
  const catalog = await sources.loadCatalog(
    requirements.map((requirement) => ({ requirement })),
    [],
  );
  const prefer = new Map<string, string>();
  if (opts.lock !== undefined && opts.mode !== 'update') {
    for (const p of parseLockfile(opts.lock).packages) prefer.set(p.package, p.version);
  }
  const result = solve(catalog, requirements, { prefer, ...(opts.includePrerelease === true ? { includePrerelease: true } : {}) });
  const out: ProjectResolution = { meta, requirements, result };
  if (result.ok) out.lockfile = toLockfile(requirements, result.plan.packages);
  return out;
}
