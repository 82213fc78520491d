// Configuration packages for the soak's package churn: each carries a v1 XRD with claims and a
// Pipeline Composition of one ConfigMap whose `data.version` says which package version composed
// it (v1, then v2 after an upgrade). Built with @trellis/xpkg and pushed to the run's registry.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@trellis/sdk';
import { buildPackage, pushArtifact, RegistryClient } from '@trellis/xpkg';
import { stringify } from 'yaml';
import { RunLabel } from './workload.ts';

export const ConfigurationType = { apiVersion: 'pkg.crossplane.io/v1', kind: 'Configuration' } as const;

/** A SoakPackage is one Configuration the soak installs, upgrades and removes in cycles. */
export interface SoakPackage {
  /** Name of the Configuration object. */
  name: string;
  group: string;
  claim: { apiVersion: string; kind: string };
  xrdName: string;
  /** Ref returns the package reference of a version (`v1`, `v2`). */
  ref(version: string): string;
}

export function soakPackage(run: string, index: number, registryHost: string): SoakPackage {
  const group = `p${index}.${run}.trellis.test`;
  return {
    name: `${run}-p${index}`,
    group,
    claim: { apiVersion: `${group}/v1`, kind: 'Widget' },
    xrdName: `xwidgets.${group}`,
    ref: (version) => `${registryHost}/soak/${run}-p${index}:${version}`,
  };
}

function objects(p: SoakPackage, run: string, version: string): KubeObject[] {
  return [
    {
      apiVersion: 'apiextensions.crossplane.io/v1',
      kind: 'CompositeResourceDefinition',
      metadata: { name: p.xrdName },
      spec: {
        group: p.group,
        names: { kind: 'XWidget', plural: 'xwidgets' },
        claimNames: { kind: 'Widget', plural: 'widgets' },
        defaultCompositeDeletePolicy: 'Background',
        versions: [
          {
            name: 'v1',
            served: true,
            referenceable: true,
            schema: {
              openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { note: { type: 'string' } } } } },
            },
          },
        ],
      },
    },
    {
      apiVersion: 'apiextensions.crossplane.io/v1',
      kind: 'Composition',
      metadata: { name: `xwidgets.${p.group}` },
      spec: {
        compositeTypeRef: { apiVersion: `${p.group}/v1`, kind: 'XWidget' },
        mode: 'Pipeline',
        pipeline: [
          {
            step: 'patch-and-transform',
            functionRef: { name: 'function-patch-and-transform' },
            input: {
              apiVersion: 'pt.fn.crossplane.io/v1beta1',
              kind: 'Resources',
              resources: [
                {
                  name: 'cm',
                  base: {
                    apiVersion: 'v1',
                    kind: 'ConfigMap',
                    metadata: { namespace: 'default', labels: { [RunLabel]: `${run}-pkg` } },
                    data: { version },
                  },
                  patches: [
                    { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.claimRef.namespace', toFieldPath: 'metadata.namespace' },
                    { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.note', toFieldPath: 'data.note' },
                  ],
                  readinessChecks: [{ type: 'None' }],
                },
              ],
            },
          },
        ],
      },
    },
  ] as KubeObject[];
}

/** PushSoakPackage builds version `version` of a package and pushes it to the registry. */
export async function pushSoakPackage(p: SoakPackage, run: string, version: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'trellis-rel-pkg-'));
  try {
    const meta = {
      apiVersion: 'meta.pkg.crossplane.io/v1',
      kind: 'Configuration',
      metadata: { name: p.name },
      spec: { crossplane: { version: '>=v1.14.0' } },
    };
    await writeFile(join(dir, 'crossplane.yaml'), stringify(meta));
    for (const [i, o] of objects(p, run, version).entries()) await writeFile(join(dir, `object-${i}.yaml`), stringify(o));
    const built = await buildPackage({ packageRoot: dir });
    const oci = new RegistryClient({});
    await pushArtifact(oci, oci.parse(p.ref(version)), built.artifact);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
