import { TrellisError } from '@trellis/sdk';
import { parse, stringify } from 'yaml';
import { flowDepthExceeds } from '../meta/depth.ts';
import { MaxFlowDepth } from '../meta/parse.ts';
import { type PackageType, PackageType as PackageTypes } from '../meta/types.ts';
import { isDigest } from '../semver/constraint.ts';
import type { PlannedPackage, Requirement } from './types.ts';

/** The apiVersion and kind of `trellis.lock`. */
export const LockfileApiVersion = 'xpkg.trellis.dev/v1alpha1';
export const LockfileKind = 'Lockfile';

/** A LockedPackage is one resolved package with its digest. */
export interface LockedPackage {
  package: string;
  type: PackageType;
  version: string;
  digest: string;
  dependencies: { package: string; constraint: string }[];
}

/** A Lockfile is what `trellis dependency resolve` writes: the requirements and the exact result. */
export interface Lockfile {
  apiVersion: typeof LockfileApiVersion;
  kind: typeof LockfileKind;
  requirements: { package: string; type: PackageType; constraint: string }[];
  packages: LockedPackage[];
}

/** ToLockfile builds a lockfile from a plan; packages are sorted so the file diffs well. */
export function toLockfile(requirements: readonly Requirement[], plan: readonly PlannedPackage[]): Lockfile {
  const byName = <T extends { package: string }>(a: T, b: T): number => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0);
  return {
    apiVersion: LockfileApiVersion,
    kind: LockfileKind,
    requirements: requirements.map((r) => ({ package: r.package, type: r.type, constraint: r.constraint })).sort(byName),
    packages: plan
      .map((p) => ({
        package: p.package,
        type: p.type,
        version: p.version,
        digest: p.digest,
        dependencies: p.dependencies.map((d) => ({ package: d.package, constraint: d.constraint })).sort(byName),
      }))
      .sort(byName),
  };
}

/** FormatLockfile serialises a lockfile as YAML with a header comment. */
export function formatLockfile(l: Lockfile): string {
  return `# trellis.lock: written by "trellis dependency resolve"; do not edit by hand.\n${stringify(l, { lineWidth: 0 })}`;
}

/** ParseLockfile reads a lockfile, checking every field (`XPKG_INVALID_LOCKFILE` names the field). */
export function parseLockfile(text: string, file = 'trellis.lock'): Lockfile {
  let raw: unknown;
  if (flowDepthExceeds(text, MaxFlowDepth))
    throw new TrellisError('XPKG_INVALID_LOCKFILE', `${file}: invalid YAML: flow collections nested more than ${MaxFlowDepth} levels deep`);
  try {
    raw = parse(text, { prettyErrors: false });
  } catch (err) {
    throw new TrellisError('XPKG_INVALID_LOCKFILE', `${file}: invalid YAML`, { cause: err });
  }
  const bad = (field: string, want: string): TrellisError => new TrellisError('XPKG_INVALID_LOCKFILE', `${file}: ${field}: want ${want}`);
  if (typeof raw !== 'object' || raw === null) throw bad('(document)', 'a mapping');
  const o = raw as Record<string, unknown>;
  if (o.apiVersion !== LockfileApiVersion) throw bad('apiVersion', LockfileApiVersion);
  if (o.kind !== LockfileKind) throw bad('kind', LockfileKind);
  const types = Object.values(PackageTypes) as string[];
  const reqs = Array.isArray(o.requirements) ? o.requirements : undefined;
  if (reqs === undefined) throw bad('requirements', 'a list');
  const pkgs = Array.isArray(o.packages) ? o.packages : undefined;
  if (pkgs === undefined) throw bad('packages', 'a list');
  const requirements = reqs.map((r: unknown, i) => {
    const x = r as Record<string, unknown>;
    if (typeof x?.package !== 'string') throw bad(`requirements[${i}].package`, 'a string');
    if (typeof x.constraint !== 'string') throw bad(`requirements[${i}].constraint`, 'a string');
    if (typeof x.type !== 'string' || !types.includes(x.type)) throw bad(`requirements[${i}].type`, types.join(', '));
    return { package: x.package, type: x.type as PackageType, constraint: x.constraint };
  });
  const packages = pkgs.map((p: unknown, i) => {
    const x = p as Record<string, unknown>;
    for (const f of ['package', 'version', 'digest'] as const) if (typeof x?.[f] !== 'string') throw bad(`packages[${i}].${f}`, 'a string');
    if (!isDigest(x.digest as string)) throw bad(`packages[${i}].digest`, 'a sha256 digest');
    if (typeof x.type !== 'string' || !types.includes(x.type)) throw bad(`packages[${i}].type`, types.join(', '));
    const deps = x.dependencies === undefined ? [] : x.dependencies;
    if (!Array.isArray(deps)) throw bad(`packages[${i}].dependencies`, 'a list');
    return {
      package: x.package as string,
      type: x.type as PackageType,
      version: x.version as string,
      digest: x.digest as string,
      dependencies: deps.map((d: unknown, j) => {
        const y = d as Record<string, unknown>;
        if (typeof y?.package !== 'string' || typeof y.constraint !== 'string')
          throw bad(`packages[${i}].dependencies[${j}]`, 'package and constraint strings');
        return { package: y.package, constraint: y.constraint };
      }),
    };
  });
  return { apiVersion: LockfileApiVersion, kind: LockfileKind, requirements, packages };
}
