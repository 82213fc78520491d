import { type KubeObject, TrellisError, wrap } from '@trellis/sdk';
import {
  checkConstraint,
  compareVersions,
  fetchPackage,
  formatReference,
  isDigest,
  parsePackageStream,
  type Reference,
  type RegistryClient,
  tryParseConstraint,
  tryParseVersion,
} from '@trellis/xpkg';
import type { Progress } from '../ui/progress.ts';

/**
 * Packages given to `trellis validate` (Provider, Configuration and Function objects among the
 * extensions, and `--package` references) are pulled through the xpkg content cache, so a second
 * run works offline. A Configuration's `dependsOn` is followed: the highest tag satisfying each
 * constraint is pulled too. The CRDs and XRDs inside become schemas.
 */

export interface PackageSchemas {
  /** Objects are the CRDs and XRDs found, with the reference they came from. */
  objects: { object: KubeObject; ref: string }[];
  /** Pulled lists every package pulled, as `ref@digest`. */
  pulled: string[];
}

/** PackageRefsOf returns `spec.package` of pkg.crossplane.io install objects. */
export function packageRefsOf(objects: readonly KubeObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (!o.apiVersion.startsWith('pkg.crossplane.io/')) continue;
    if (!['Provider', 'Configuration', 'Function'].includes(o.kind)) continue;
    const pkg = (o.spec as Record<string, unknown> | undefined)?.package;
    if (typeof pkg === 'string' && pkg !== '') out.push(pkg);
  }
  return out;
}

/** MaxPackages bounds how many packages one run pulls (a dependency graph gone wild). */
const MaxPackages = 200;

/** PullPackageSchemas pulls each reference (and Configuration dependencies) and collects their CRDs and XRDs. */
export async function pullPackageSchemas(
  client: RegistryClient,
  refs: readonly string[],
  progress: Progress,
  metas: readonly KubeObject[] = [],
): Promise<PackageSchemas> {
  const out: PackageSchemas = { objects: [], pulled: [] };
  const queue = [...refs];
  for (const m of metas) queue.push(...(await dependencyRefs(client, m)));
  const seen = new Set<string>();
  while (queue.length > 0) {
    const ref = queue.shift() as string;
    if (seen.has(ref)) continue;
    seen.add(ref);
    if (seen.size > MaxPackages) throw new TrellisError('CLI_VALIDATE_PACKAGES', `more than ${MaxPackages} packages to pull; stopping`);
    const fetched = await progress.run(`pulling ${ref}`, async () => {
      try {
        return await fetchPackage(client, ref);
      } catch (err) {
        throw wrap(err, `cannot pull package "${ref}"`);
      }
    });
    out.pulled.push(`${formatReference(fetched.ref)}@${fetched.digest}`);
    let parsed: ReturnType<typeof parsePackageStream>;
    try {
      parsed = parsePackageStream(fetched.packageYaml, `${ref}/package.yaml`);
    } catch (err) {
      throw wrap(err, `cannot read package "${ref}"`);
    }
    for (const o of parsed.objects) {
      const obj = o.object as KubeObject;
      if (obj.kind === 'CustomResourceDefinition' || obj.kind === 'CompositeResourceDefinition') out.objects.push({ object: obj, ref });
    }
    for (const m of parsed.metas) queue.push(...(await dependencyRefs(client, m.object as KubeObject)));
  }
  return out;
}

/** IsPackageMeta reports whether an object is a crossplane.yaml meta object. */
export function isPackageMeta(o: KubeObject): boolean {
  return o.apiVersion.startsWith('meta.pkg.crossplane.io/');
}

/** DependencyRefs resolves a meta object's `dependsOn` to pullable references. */
async function dependencyRefs(client: RegistryClient, meta: KubeObject): Promise<string[]> {
  const deps = (meta.spec as Record<string, unknown> | undefined)?.dependsOn;
  if (!Array.isArray(deps)) return [];
  const out: string[] = [];
  for (const d of deps as Record<string, unknown>[]) {
    if (typeof d !== 'object' || d === null) continue;
    const repo = String(d.provider ?? d.configuration ?? d.function ?? d.package ?? '');
    if (repo === '') continue;
    out.push(await pickVersion(client, repo, typeof d.version === 'string' ? d.version : ''));
  }
  return out;
}

/** PickVersion turns a dependency (repository and constraint) into a pullable reference. */
async function pickVersion(client: RegistryClient, repo: string, constraint: string): Promise<string> {
  if (isDigest(constraint)) return `${repo}@${constraint}`;
  const parsed = constraint === '' ? undefined : tryParseConstraint(constraint);
  if (constraint !== '' && parsed === undefined) {
    throw new TrellisError('CLI_VALIDATE_PACKAGES', `dependency "${repo}" has an invalid version constraint "${constraint}"`);
  }
  let tags: string[];
  const ref: Reference = client.parse(repo);
  try {
    tags = await client.listTags(ref);
  } catch (err) {
    throw wrap(err, `cannot list versions of dependency "${repo}"`);
  }
  const versions = tags
    .map((t) => ({ tag: t, v: tryParseVersion(t) }))
    .filter((x): x is { tag: string; v: NonNullable<typeof x.v> } => x.v !== undefined)
    .filter((x) => parsed === undefined || checkConstraint(parsed, x.v))
    .sort((a, b) => compareVersions(b.v, a.v));
  const best = versions[0];
  if (best === undefined) {
    throw new TrellisError(
      'CLI_VALIDATE_PACKAGES',
      `no version of dependency "${repo}" satisfies "${constraint}" (tags: ${tags.slice(0, 10).join(', ')})`,
    );
  }
  return `${repo}:${best.tag}`;
}
