import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TrellisError } from '@trellis/sdk';
import { dockerConfigKeychain, FsContentCache, formatLockfile, resolveProject } from '@trellis/xpkg';
import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';
import { defaultCacheDir } from './xpkg.ts';

/** DependencyOptions are the flags of `trellis dependency resolve|update`. */
export interface DependencyOptions {
  packageRoot?: string;
  lockfile?: string;
  offline?: boolean;
  cacheDir?: string;
  includePrerelease?: boolean;
  json?: boolean;
}

/**
 * RunDependency solves the package's `dependsOn` (every constraint at once), prints the plan, and
 * writes `trellis.lock` with digests. `resolve` keeps locked versions that still fit; `update`
 * picks the highest versions again. `--offline` reads only the local cache. An unsolvable graph
 * prints the explanation and exits with the findings code (3).
 */
export async function runDependency(ctx: CommandContext, action: string, opts: DependencyOptions): Promise<number> {
  if (action !== 'resolve' && action !== 'update')
    throw new TrellisError('CLI_USAGE', `unknown dependency action "${action}" (want resolve or update)`);
  const root = resolve(opts.packageRoot ?? '.');
  const lockPath = resolve(opts.lockfile ?? join(root, 'trellis.lock'));
  let lock: string | undefined;
  try {
    lock = await readFile(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new TrellisError('CLI_USAGE', `cannot read ${lockPath}`, { cause: err });
  }
  const r = await resolveProject({
    packageRoot: root,
    mode: action,
    cache: new FsContentCache(opts.cacheDir ?? defaultCacheDir()),
    keychain: dockerConfigKeychain(),
    log: ctx.log,
    ...(lock === undefined ? {} : { lock }),
    ...(opts.includePrerelease === true ? { includePrerelease: true } : {}),
    ...(opts.offline === true ? { offline: true } : {}),
  });
  if (!r.result.ok) {
    if (opts.json === true)
      ctx.io.out(
        `${JSON.stringify({ ok: false, kind: r.result.kind, explanation: r.result.explanation, suggestions: r.result.suggestions })}\n`,
      );
    else {
      ctx.io.out(`cannot resolve the dependencies of ${r.meta.type} "${r.meta.name}":\n`);
      for (const l of r.result.explanation) ctx.io.out(`  ${l}\n`);
      if (r.result.suggestions.length > 0) ctx.io.out('what would fix it:\n');
      for (const s of r.result.suggestions) ctx.io.out(`  - ${s}\n`);
    }
    return 3;
  }
  const text = formatLockfile(r.lockfile ?? { apiVersion: 'xpkg.trellis.dev/v1alpha1', kind: 'Lockfile', requirements: [], packages: [] });
  await writeFile(lockPath, text);
  if (opts.json === true) {
    ctx.io.out(
      `${JSON.stringify({ ok: true, lockfile: lockPath, packages: r.result.plan.packages.map((p) => ({ package: p.package, version: p.version, digest: p.digest })) })}\n`,
    );
  } else {
    ctx.io.out(`plan for ${r.meta.type} "${r.meta.name}" (dependencies first):\n`);
    for (const p of r.result.plan.packages) {
      ctx.io.out(
        `  ${p.type.padEnd(13)} ${p.package}@${p.version}  ${p.digest.slice(0, 19)}  (${p.requiredBy.map((x) => `${x.from}: ${x.constraint}`).join('; ')})\n`,
      );
    }
    ctx.io.out(`wrote ${lockPath}\n`);
  }
  return 0;
}

/** RegisterDependency adds `trellis dependency resolve|update`. */
export function registerDependency(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command(
      'dependency <action>',
      "Solve a package's dependencies and write trellis.lock (resolve keeps locked versions, update takes the highest)",
    )
    .option('-f, --package-root <dir>', 'the directory holding crossplane.yaml (default .)')
    .option('--lockfile <file>', 'lockfile path (default <package-root>/trellis.lock)')
    .option('--offline', 'use only the local cache (no registry requests)')
    .option('--cache-dir <dir>', 'registry content cache (default ~/.cache/trellis/xpkg)')
    .option('--include-prerelease', 'let prereleases satisfy constraints that do not mention one')
    .option('--json', 'print JSON')
    .example('trellis dependency resolve -f package/')
    .example('trellis dependency update --offline')
    .action((action: string, opts: DependencyOptions) => run(() => runDependency(ctx, action, opts)));
}
