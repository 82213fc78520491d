import type { Catalog, CatalogVersion } from './types.ts';

/** A MemoryCatalog is a Catalog over a fixed list of package versions (tests, benchmarks, lockfile replays). */
export class MemoryCatalog implements Catalog {
  private readonly byPkg = new Map<string, CatalogVersion[]>();

  constructor(entries: Iterable<{ package: string } & CatalogVersion> = []) {
    for (const e of entries) this.add(e.package, e);
  }

  /** Add records one version of a package (replacing an entry with the same version). */
  add(pkg: string, v: CatalogVersion): this {
    const l = (this.byPkg.get(pkg) ?? []).filter((x) => x.version !== v.version);
    l.push({ version: v.version, digest: v.digest, type: v.type, dependencies: v.dependencies });
    this.byPkg.set(pkg, l);
    return this;
  }

  versions(pkg: string): readonly CatalogVersion[] {
    return this.byPkg.get(pkg) ?? [];
  }

  /** Packages lists every package with at least one version. */
  packages(): string[] {
    return [...this.byPkg.keys()];
  }
}
