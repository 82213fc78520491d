import type { Catalog, CatalogVersion } from './types.ts';

/** A MemoryCatalog is a Catalog over a fixed list of package versions (tests, benchmarks, lockfile replays). */
export class MemoryCatalog implements Catalog {
  private readonly byPkg = new Map<string, Map<string, CatalogVersion>>();
  private readonly lists = new Map<string, CatalogVersion[]>();

  constructor(entries: Iterable<{ package: string } & CatalogVersion> = []) {
    for (const e of entries) this.add(e.package, e);
  }

  /** Add records one version of a package (replacing an entry with the same version). */
  add(pkg: string, v: CatalogVersion): this {
    let m = this.byPkg.get(pkg);
    if (m === undefined) {
      m = new Map();
      this.byPkg.set(pkg, m);
    }
    m.set(v.version, { version: v.version, digest: v.digest, type: v.type, dependencies: v.dependencies });
    this.lists.delete(pkg);
    return this;
  }

  versions(pkg: string): readonly CatalogVersion[] {
    let l = this.lists.get(pkg);
    if (l === undefined) {
      l = [...(this.byPkg.get(pkg)?.values() ?? [])];
      this.lists.set(pkg, l);
    }
    return l;
  }

  /** Packages lists every package with at least one version. */
  packages(): string[] {
    return [...this.byPkg.keys()];
  }
}
