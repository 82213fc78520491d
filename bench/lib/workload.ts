// The workload both engines reconcile in the peer and side-by-side benchmarks: a v1 XRD with a
// claim, a Pipeline Composition whose one step (function-patch-and-transform) composes five
// ConfigMaps with readiness checks of type None (Ready needs no provider), and N claims.
import type { KubeObject } from '@trellis/sdk';

export const Group = 'bench.trellis.dev';
export const Version = 'v1alpha1';
export const ClaimKind = 'BenchApp';
export const XrKind = 'XBenchApp';
export const ComposedPerClaim = 5;

export interface WorkloadOptions {
  /** Namespace of the claims and of the composed ConfigMaps. */
  namespace: string;
  /** Group overrides the API group (two runs on one server use two groups). */
  group?: string;
  /** Labels go on the XRD and the Composition (e.g. an engine's selector). */
  labels?: Record<string, string>;
}

export function xrd(opts: WorkloadOptions): KubeObject {
  const group = opts.group ?? Group;
  return {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'CompositeResourceDefinition',
    metadata: { name: `xbenchapps.${group}`, ...(opts.labels === undefined ? {} : { labels: opts.labels }) },
    spec: {
      group,
      names: { kind: XrKind, plural: 'xbenchapps' },
      claimNames: { kind: ClaimKind, plural: 'benchapps' },
      versions: [
        {
          name: Version,
          served: true,
          referenceable: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', properties: { size: { type: 'string' }, owner: { type: 'string' } } } },
            },
          },
        },
      ],
    },
  } as KubeObject;
}

export function composition(opts: WorkloadOptions): KubeObject {
  const group = opts.group ?? Group;
  const resources = Array.from({ length: ComposedPerClaim }, (_, i) => ({
    name: `cm${i + 1}`,
    base: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: opts.namespace, labels: { 'bench.trellis.dev/part': `cm${i + 1}` } },
      data: { index: String(i + 1) },
    },
    patches: [
      { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.size', toFieldPath: 'data.size' },
      { type: 'FromCompositeFieldPath', fromFieldPath: 'spec.owner', toFieldPath: 'data.owner' },
    ],
    readinessChecks: [{ type: 'None' }],
  }));
  return {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'Composition',
    metadata: { name: `benchapp.${group}`, ...(opts.labels === undefined ? {} : { labels: opts.labels }) },
    spec: {
      compositeTypeRef: { apiVersion: `${group}/${Version}`, kind: XrKind },
      mode: 'Pipeline',
      pipeline: [
        {
          step: 'patch-and-transform',
          functionRef: { name: 'function-patch-and-transform' },
          input: { apiVersion: 'pt.fn.crossplane.io/v1beta1', kind: 'Resources', resources },
        },
      ],
    },
  } as KubeObject;
}

export function claim(opts: WorkloadOptions & { name: string }): KubeObject {
  const group = opts.group ?? Group;
  return {
    apiVersion: `${group}/${Version}`,
    kind: ClaimKind,
    metadata: { name: opts.name, namespace: opts.namespace },
    spec: { size: 'small', owner: 'bench' },
  } as KubeObject;
}

/** ClaimName is the i-th claim's name (zero-padded so lists sort). */
export const claimName = (i: number): string => `c-${String(i).padStart(5, '0')}`;

export function readyStatus(obj: KubeObject | undefined): string | undefined {
  const conds = (obj as { status?: { conditions?: { type?: string; status?: string }[] } } | undefined)?.status?.conditions;
  return conds?.find((c) => c.type === 'Ready')?.status;
}
