import type { KubeClient } from '@trellis/kube';
import { isNotFound } from '@trellis/kube';
import { formatError, type KubeObject } from '@trellis/sdk';
import type { TraceNode } from './tree.ts';

/**
 * Package trees: a Configuration, Provider or Function → its revisions → the packages it depends
 * on (as the Lock records them) → their revisions and dependencies. `--show-package-revisions`
 * picks active (default), all or none; `--show-package-dependencies` picks unique (each
 * dependency once, default), all or none.
 */

export const PkgGroup = 'pkg.crossplane.io';
const PackageKinds: Record<string, string> = {
  Configuration: 'ConfigurationRevision',
  Provider: 'ProviderRevision',
  Function: 'FunctionRevision',
};
const PackageLabel = 'pkg.crossplane.io/package';

export type RevisionsMode = 'active' | 'all' | 'none';
export type DependenciesMode = 'unique' | 'all' | 'none';

export interface PackageTreeOptions {
  revisions: RevisionsMode;
  dependencies: DependenciesMode;
  signal?: AbortSignal;
}

/** IsPackage reports whether an object is a package install object (or revision). */
export function isPackage(o: KubeObject): boolean {
  return o.apiVersion.startsWith(`${PkgGroup}/`) && (o.kind in PackageKinds || Object.values(PackageKinds).includes(o.kind));
}

/** RepositoryOf strips the tag or digest from a package reference. */
export function repositoryOf(ref: string): string {
  const at = ref.indexOf('@');
  const noDigest = at < 0 ? ref : ref.slice(0, at);
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

interface LockPackage {
  name?: string;
  source?: string;
  kind?: string;
  dependencies?: { package?: string; kind?: string }[];
}

/** BuildPackageTree draws a package with its revisions and dependencies. */
export async function buildPackageTree(client: KubeClient, root: KubeObject, opts: PackageTreeOptions): Promise<TraceNode> {
  const call = opts.signal === undefined ? {} : { signal: opts.signal };
  let lock: LockPackage[] = [];
  try {
    const l = await client.get({ apiVersion: 'pkg.crossplane.io/v1beta1', kind: 'Lock', name: 'lock' }, call);
    const pkgs = (l as { packages?: unknown }).packages;
    lock = Array.isArray(pkgs) ? (pkgs as LockPackage[]) : [];
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const shown = new Set<string>();

  const revisionsOf = async (pkg: KubeObject): Promise<TraceNode[]> => {
    const kind = PackageKinds[pkg.kind];
    if (kind === undefined || opts.revisions === 'none') return [];
    const list = await client.list(
      { apiVersion: pkg.apiVersion, kind },
      { ...call, labelSelector: `${PackageLabel}=${pkg.metadata.name ?? ''}` },
    );
    const revs = list.items
      .filter((r) => opts.revisions === 'all' || (r.spec as { desiredState?: string } | undefined)?.desiredState === 'Active')
      .sort((a, b) => Number((b.spec as { revision?: number }).revision ?? 0) - Number((a.spec as { revision?: number }).revision ?? 0));
    return revs.map((r) => ({ object: r, children: [] }));
  };

  const installObjectFor = async (source: string, kind: string): Promise<KubeObject | undefined> => {
    const list = await client.list({ apiVersion: `${PkgGroup}/v1`, kind }, call);
    return list.items.find((p) => repositoryOf(String((p.spec as { package?: unknown } | undefined)?.package ?? '')) === source);
  };

  const expand = async (pkg: KubeObject, depth: number): Promise<TraceNode> => {
    const source = repositoryOf(String((pkg.spec as { package?: unknown } | undefined)?.package ?? ''));
    shown.add(source);
    const children: TraceNode[] = await revisionsOf(pkg);
    if (opts.dependencies === 'none' || depth > 32) return { object: pkg, children };
    const entry = lock.find((p) => p.source === source);
    for (const dep of entry?.dependencies ?? []) {
      const depSource = dep.package ?? '';
      if (depSource === '' || (opts.dependencies === 'unique' && shown.has(depSource))) continue;
      const kind = dep.kind ?? lock.find((p) => p.source === depSource)?.kind ?? 'Provider';
      try {
        const obj = await installObjectFor(depSource, kind);
        if (obj === undefined) {
          shown.add(depSource);
          children.push({
            object: { apiVersion: `${PkgGroup}/v1`, kind, metadata: { name: depSource } },
            error: 'not installed',
            children: [],
          });
        } else children.push(await expand(obj, depth + 1));
      } catch (err) {
        children.push({
          object: { apiVersion: `${PkgGroup}/v1`, kind, metadata: { name: depSource } },
          error: formatError(err),
          children: [],
        });
      }
    }
    return { object: pkg, children };
  };

  return expand(root, 0);
}
