// Installs the apiextensions.crossplane.io CRDs the engine serves (XRD, Composition,
// CompositionRevision, EnvironmentConfig) on a test API server. It uses the project's own CRDs
// from crds/ when they exist (the render helper writes them); until then, minimal CRDs with open
// schemas and the same names, scopes, versions and status subresources.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { parseAllDocuments } from 'yaml';
import { waitFor } from '../../harness/targets.ts';

const CRDS_DIR = join(import.meta.dirname, '..', '..', '..', 'crds');

function open(): Record<string, unknown> {
  return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
}

/** Status keeps conditions as a list-map keyed by type, as every Crossplane status does. */
function status(): Record<string, unknown> {
  return {
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    properties: {
      conditions: {
        type: 'array',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
        items: {
          type: 'object',
          required: ['type'],
          properties: { type: { type: 'string' } },
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    },
  };
}

function crd(
  plural: string,
  kind: string,
  versions: string[],
  opts: { status?: boolean; shortNames?: string[]; categories?: string[] } = {},
): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.apiextensions.crossplane.io` },
    spec: {
      group: 'apiextensions.crossplane.io',
      scope: 'Cluster',
      names: {
        kind,
        plural,
        singular: kind.toLowerCase(),
        listKind: `${kind}List`,
        ...(opts.shortNames === undefined ? {} : { shortNames: opts.shortNames }),
        categories: opts.categories ?? ['crossplane'],
      },
      versions: versions.map((v, i) => ({
        name: v,
        served: true,
        storage: i === 0,
        ...(opts.status === false ? {} : { subresources: { status: {} } }),
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: open(), status: status() } } },
      })),
    },
  };
}

/** MinimalCrds stand in for crds/apiextensions.crossplane.io_*.yaml until those exist. */
export const minimalCrds: KubeObject[] = [
  crd('compositeresourcedefinitions', 'CompositeResourceDefinition', ['v1', 'v2'], { shortNames: ['xrd', 'xrds'] }),
  crd('compositions', 'Composition', ['v1'], { shortNames: ['comp'] }),
  crd('compositionrevisions', 'CompositionRevision', ['v1'], { shortNames: ['comprev'] }),
  crd('environmentconfigs', 'EnvironmentConfig', ['v1beta1'], { shortNames: ['envcfg'] }),
];

/** ProjectCrds reads the project's own apiextensions.crossplane.io CRDs, if any. */
export function projectCrds(): KubeObject[] {
  if (!existsSync(CRDS_DIR)) return [];
  const out: KubeObject[] = [];
  for (const f of readdirSync(CRDS_DIR).sort()) {
    if (!f.startsWith('apiextensions.crossplane.io_') || !f.endsWith('.yaml')) continue;
    for (const doc of parseAllDocuments(readFileSync(join(CRDS_DIR, f), 'utf8'))) {
      const v = doc.toJS() as KubeObject | null;
      if (v !== null && v.kind === 'CustomResourceDefinition') out.push(v);
    }
  }
  return out;
}

/** InstallCrossplaneCrds applies the CRDs (idempotent; shared by suites) and waits until served. */
export async function installCrossplaneCrds(client: KubeClient): Promise<{ source: 'project' | 'minimal' }> {
  const project = projectCrds();
  const crds = project.length >= 3 ? project : minimalCrds;
  for (const c of crds) {
    await client.apply({ ...c, metadata: { name: c.metadata.name ?? '' } }, { fieldManager: 'trellis-test-crds', force: true });
  }
  for (const c of crds) {
    await waitFor(`CRD ${c.metadata.name} to be established`, async () => {
      const got = await client.get({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: c.metadata.name ?? '',
      });
      const conds = (got.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      return conds.some((x) => x.type === 'Established' && x.status === 'True');
    });
  }
  client.invalidateDiscovery();
  await waitFor('Compositions to be served', async () => {
    await client.list({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition' }, { limit: 1 });
    await client.list({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition' }, { limit: 1 });
    await client.list({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositionRevision' }, { limit: 1 });
    return true;
  });
  return { source: crds === project ? 'project' : 'minimal' };
}

/**
 * InstallFunctionCrds applies the project's pkg.crossplane.io Function and FunctionRevision CRDs
 * (crds/, shared by suites; idempotent) and waits until both kinds are served.
 */
export async function installFunctionCrds(client: KubeClient): Promise<void> {
  const crds: KubeObject[] = [];
  for (const f of ['pkg.crossplane.io_functions.yaml', 'pkg.crossplane.io_functionrevisions.yaml']) {
    for (const doc of parseAllDocuments(readFileSync(join(CRDS_DIR, f), 'utf8'))) {
      const v = doc.toJS() as KubeObject | null;
      if (v !== null && v.kind === 'CustomResourceDefinition') crds.push(v);
    }
  }
  for (const c of crds) {
    await client.apply({ ...c, metadata: { name: c.metadata.name ?? '' } }, { fieldManager: 'trellis-test-crds', force: true });
  }
  client.invalidateDiscovery();
  await waitFor('Functions and FunctionRevisions to be served', async () => {
    await client.list({ apiVersion: 'pkg.crossplane.io/v1', kind: 'Function' }, { limit: 1 });
    await client.list({ apiVersion: 'pkg.crossplane.io/v1', kind: 'FunctionRevision' }, { limit: 1 });
    return true;
  });
}
