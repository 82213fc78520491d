import type { PackageType } from '../meta/types.ts';

/**
 * A CatalogDependency is one dependency of one package version: the package it needs (its
 * canonical repository, `registry/org/name`) and the constraint as written.
 */
export interface CatalogDependency {
  package: string;
  type: PackageType;
  constraint: string;
}

/** A CatalogVersion is one published version of a package: its tag (or digest) and metadata. */
export interface CatalogVersion {
  /** Version is the tag (`v1.2.3`), or the digest for content known only by digest. */
  version: string;
  digest: string;
  type: PackageType;
  dependencies: CatalogDependency[];
}

/**
 * A Catalog answers what versions of a package exist. It is the solver's only view of the world;
 * the solver itself does no I/O (offline from the cache, or from a fixture). `versions` returns
 * every known version, in any order; an unknown package returns an empty list.
 */
export interface Catalog {
  versions(pkg: string): readonly CatalogVersion[];
}

/** A Requirement is a root constraint: what the user asked for. */
export interface Requirement {
  package: string;
  type: PackageType;
  constraint: string;
  /** From names who asks, in explanations (`configuration "platform-ref-aws"`, `trellis.lock`). */
  from: string;
}

/** SolveOptions tune a solve. */
export interface SolveOptions {
  /** IncludePrerelease lets prereleases satisfy constraints that do not mention one. */
  includePrerelease?: boolean;
  /** Prefer maps a package to the version to keep when it still fits (a lockfile, what is installed). */
  prefer?: ReadonlyMap<string, string>;
  /** MaxSteps bounds the search (decisions + conflicts); exceeding it fails with `XPKG_SOLVE_LIMIT`. */
  maxSteps?: number;
  /** TrySuggestions re-solves with relaxed root constraints to suggest a fix (default true). */
  trySuggestions?: boolean;
}

/** A PlannedPackage is one package of a solution. */
export interface PlannedPackage {
  package: string;
  type: PackageType;
  version: string;
  digest: string;
  /** PinnedByDigest is true when some constraint on this package was a digest. */
  pinnedByDigest: boolean;
  dependencies: CatalogDependency[];
  /** RequiredBy lists who asked for this package and with which constraint. */
  requiredBy: { from: string; constraint: string }[];
}

/** A Plan is a solution: packages with dependencies before dependents. */
export interface Plan {
  packages: PlannedPackage[];
}

/** A SolveResult is a plan, or a failure explained in sentences. */
export type SolveResult =
  | { ok: true; plan: Plan; steps: number }
  | { ok: false; kind: 'conflict' | 'cycle'; explanation: string[]; suggestions: string[]; steps: number; cycle?: string[] };
