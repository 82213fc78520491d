// Build small packages of our own in temp dirs and push them to a test registry.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '@trellis/kube';
import { isAlreadyExists } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { buildPackage, pushArtifact, type RegistryClient } from '@trellis/xpkg';
import { parse, stringify } from 'yaml';

export interface PackageSpec {
  kind: 'Configuration' | 'Provider' | 'Function';
  name: string;
  dependsOn?: { kind: 'provider' | 'configuration' | 'function'; package: string; version: string }[];
  crossplaneVersion?: string;
  objects?: KubeObject[];
}

/** BuildAndPush builds a package from a spec and pushes it as repo:tag; returns the digest. */
export async function buildAndPush(client: RegistryClient, ref: string, spec: PackageSpec): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trellis-pkg-'));
  try {
    const meta: Record<string, unknown> = {
      apiVersion: 'meta.pkg.crossplane.io/v1',
      kind: spec.kind,
      metadata: { name: spec.name },
      spec: {
        ...(spec.crossplaneVersion === undefined ? {} : { crossplane: { version: spec.crossplaneVersion } }),
        ...(spec.dependsOn === undefined ? {} : { dependsOn: spec.dependsOn.map((d) => ({ [d.kind]: d.package, version: d.version })) }),
      },
    };
    await writeFile(join(dir, 'crossplane.yaml'), stringify(meta));
    for (const [i, o] of (spec.objects ?? []).entries()) await writeFile(join(dir, `object-${i}.yaml`), stringify(o));
    const built = await buildPackage({ packageRoot: dir });
    return await pushArtifact(client, client.parse(ref), built.artifact);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Crd returns a small CRD in `group` with the given served versions. */
export function crd(group: string, kind: string, versions: { name: string; fields: string[] }[]): KubeObject {
  const plural = `${kind.toLowerCase()}s`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, plural, listKind: `${kind}List`, singular: kind.toLowerCase() },
      scope: 'Cluster',
      versions: versions.map((v, i) => ({
        name: v.name,
        served: true,
        storage: i === 0,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: { spec: { type: 'object', properties: Object.fromEntries(v.fields.map((f) => [f, { type: 'string' }])) } },
          },
        },
      })),
    },
  };
}

/** Xrd returns a v2 XRD in `group`. */
export function xrd(group: string, kind: string): KubeObject {
  const plural = `${kind.toLowerCase()}s`;
  return {
    apiVersion: 'apiextensions.crossplane.io/v2',
    kind: 'CompositeResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, plural },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          referenceable: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object' } } } },
        },
      ],
    },
  };
}

const envVar = (name: string): string | undefined => process.env[name];

/**
 * EnsureCrossplaneCrds makes the XRD and Composition kinds exist so Configurations can install:
 * from the repository's crds/ when the engine has written them, else upstream's from the Go
 * module cache (read, never committed).
 */
export async function ensureCrossplaneCrds(client: KubeClient): Promise<void> {
  const root = join(import.meta.dirname, '..', '..', '..');
  const cache = envVar('TRELLIS_CACHE') ?? join(homedir(), '.cache', 'trellis');
  const files = ['apiextensions.crossplane.io_compositeresourcedefinitions.yaml', 'apiextensions.crossplane.io_compositions.yaml'];
  const dirs = [join(root, 'crds'), join(cache, 'gomod', 'github.com', 'crossplane', 'crossplane', 'v2@v2.3.4', 'cluster', 'crds')];
  for (const f of files) {
    const dir = dirs.find((d) => existsSync(join(d, f)));
    if (dir === undefined) throw new Error(`cannot find ${f} in ${dirs.join(' or ')} (run bash test/infra/crossplane/build.sh)`);
    const obj = parse(readFileSync(join(dir, f), 'utf8')) as KubeObject;
    try {
      await client.create(obj);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}
