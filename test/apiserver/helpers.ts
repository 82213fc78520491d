// Shared helpers of the API-server suites (raw HTTP against `real` and `embedded`).
import { waitFor } from '../harness/targets.ts';
import type { RawClient } from './raw.ts';

/** WidgetCrd is the CRD the raw suites use: a status subresource, a schema with bounds and an enum. */
export function widgetCrd(group: string, opts: { preserve?: boolean } = {}): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wdg'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  'x-kubernetes-preserve-unknown-fields': opts.preserve === true ? true : undefined,
                  required: ['size'],
                  properties: {
                    size: { type: 'integer', minimum: 1, maximum: 10 },
                    color: { type: 'string', enum: ['red', 'green', 'blue'] },
                    name: { type: 'string', maxLength: 5, pattern: '^[a-z]+$' },
                    tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
                  },
                },
                status: { type: 'object', properties: { phase: { type: 'string' }, observedGeneration: { type: 'integer' } } },
              },
            },
          },
        },
      ],
    },
  };
}

/** InstallCrd creates a CRD and waits until its resource is served (list answers 200). */
export async function installCrd(c: RawClient, crd: Record<string, unknown>, listPath: string): Promise<void> {
  const r = await c.request('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
    method: 'POST',
    body: JSON.parse(JSON.stringify(crd)),
  });
  if (r.status !== 201) throw new Error(`cannot create CRD: ${r.status} ${r.text}`);
  await waitFor(
    `CRD ${String((crd.metadata as { name: string }).name)} to be served`,
    async () => (await c.request(listPath)).status === 200,
    { timeoutMs: 30_000, intervalMs: 50 },
  );
}

export async function deleteCrd(c: RawClient, name: string): Promise<void> {
  await c.request(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`, { method: 'DELETE' });
}

export async function createNamespace(c: RawClient, name: string): Promise<void> {
  const r = await c.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } });
  if (r.status !== 201) throw new Error(`cannot create namespace ${name}: ${r.status} ${r.text}`);
}

export async function deleteNamespace(c: RawClient, name: string): Promise<void> {
  await c.request(`/api/v1/namespaces/${name}`, { method: 'DELETE' });
}
