import type { CompositionFunction, RunFunctionRequest, RunFunctionResponse } from '@trellis/functions';
import { asControllerRef, formatError, type KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { newFakeKube } from '../testing/fake-kube.ts';
import { CompositeReconciler } from './reconciler.ts';
import { renderComposer } from './render-composer.ts';

const XR = { apiVersion: 'example.org/v1', kind: 'XThing' } as const;

const xr: KubeObject = {
  ...XR,
  metadata: { name: 'x', namespace: 'ns', uid: 'uid-1', labels: { 'crossplane.io/composite': 'x' } },
  spec: {},
};
const revision: KubeObject = {
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'CompositionRevision',
  metadata: { name: 'c-1111111', labels: { 'crossplane.io/composition-name': 'c' } },
  spec: { compositeTypeRef: XR, revision: 1, mode: 'Pipeline', pipeline: [{ step: 'one', functionRef: { name: 'fn' } }] },
  status: { conditions: [{ type: 'ValidPipeline', status: 'True', reason: 'ValidPipeline' }] },
};

/** Fn wraps a response builder as a CompositionFunction. */
function fn(run: (req: RunFunctionRequest) => unknown): CompositionFunction {
  return { run: async (req) => run(req) as RunFunctionResponse };
}

const cm = (name: string, size = 10): Record<string, unknown> => ({
  resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `x-${name}` }, data: { v: 'x'.repeat(size) } },
});

interface Case {
  reason: string;
  fn: CompositionFunction | undefined;
  want: { fatal?: RegExp; resources?: number; results?: { severity: string; step: string }[] };
}

const cases: Record<string, Case> = {
  Ok: {
    reason: 'a good response gives desired resources',
    fn: fn((req) => ({ desired: { ...req.desired, resources: { a: cm('a') } } })),
    want: { resources: 1 },
  },
  Missing: {
    reason: 'a function the resolver does not know is a fatal error naming step and function',
    fn: undefined,
    want: { fatal: /pipeline step "one".*"fn"/ },
  },
  Throws: {
    reason: 'a function that cannot be called is a fatal error naming the step',
    fn: {
      run: async () => {
        throw new Error('connection refused');
      },
    },
    want: { fatal: /cannot run Composition pipeline step "one".*connection refused/ },
  },
  Malformed: {
    reason: 'a malformed response is a fatal error naming the field',
    fn: fn(() => ({ results: [{ severity: 'LOUD', message: 'x' }] })),
    want: { fatal: /malformed RunFunctionResponse: results\[0\]\.severity: unknown severity/ },
  },
  NotAnObject: {
    reason: 'a response that is not an object is malformed',
    fn: fn(() => 'surprise'),
    want: { fatal: /malformed RunFunctionResponse: response must be an object/ },
  },
  FatalResult: {
    reason: 'a fatal result stops with the step, and the result is kept',
    fn: fn(() => ({ results: [{ severity: 'SEVERITY_FATAL', message: 'spec.x: no such field' }] })),
    want: {
      fatal: /pipeline step "one" returned a fatal result: spec\.x: no such field/,
      results: [{ severity: 'SEVERITY_FATAL', step: 'one' }],
    },
  },
  Huge: {
    reason: 'a huge response (200 resources, 8 MiB) is accepted: no message-size cap in-process',
    fn: fn((req) => ({
      desired: { ...req.desired, resources: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`r${i}`, cm(`r${i}`, 40_000)])) },
    })),
    want: { resources: 200 },
  },
};

describe('renderComposer', () => {
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, async () => {
      const composer = renderComposer({ client: newFakeKube(), functions: (n) => (n === 'fn' ? tc.fn : undefined), schema: 'Modern' });
      const out = await composer.compose({ xr, revision, observed: new Map() });
      if (tc.want.fatal !== undefined) {
        expect(out.fatal).toBeDefined();
        expect(formatError(out.fatal)).toMatch(tc.want.fatal);
        expect(out.resources).toEqual([]);
      } else {
        expect(out.fatal).toBeUndefined();
        expect(out.resources).toHaveLength(tc.want.resources ?? 0);
      }
      if (tc.want.results !== undefined) expect(out.results).toEqual(tc.want.results.map((r) => expect.objectContaining(r)));
    });
  });
});

describe('XR reconciler with a misbehaving function', () => {
  it('ends in Synced=False with the step, applies nothing, and writes nothing more on retry', async () => {
    const kube = newFakeKube();
    const comp = kube.put({
      apiVersion: 'apiextensions.crossplane.io/v1',
      kind: 'Composition',
      metadata: { name: 'c' },
      spec: { compositeTypeRef: XR },
    });
    kube.put({ ...revision, metadata: { ...revision.metadata, ownerReferences: [asControllerRef(comp)] } });
    kube.put({ ...xr, metadata: { name: 'x', namespace: 'ns' } });
    const rec = new CompositeReconciler({
      client: kube,
      xrType: XR,
      schema: 'Modern',
      definition: () => ({}),
      cache: {
        xr: () => kube.peek({ ...XR, namespace: 'ns', name: 'x' }),
        compositions: () => kube.objects({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition' }),
        revisions: () => kube.objects({ apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositionRevision' }),
      },
      composed: { ensure: async () => {}, get: () => undefined },
      composer: renderComposer({ client: kube, functions: () => fn(() => ({ desired: 42 })), schema: 'Modern' }),
    });
    await expect(rec.reconcile('ns/x')).rejects.toThrow(/cannot compose resources/);
    const got = kube.peek({ ...XR, namespace: 'ns', name: 'x' });
    const status = got?.status as { conditions?: { type: string; message: string }[]; pipelineResults?: unknown[] } | undefined;
    const synced = status?.conditions?.find((c) => c.type === 'Synced');
    expect(synced?.message).toMatch(
      /^cannot compose resources: cannot run Composition pipeline step "one": malformed RunFunctionResponse: desired: /,
    );
    expect(status?.pipelineResults).toEqual([expect.objectContaining({ step: 'one', severity: 'Fatal' })]);
    expect(kube.objects({ apiVersion: 'v1', kind: 'ConfigMap' })).toEqual([]);
    kube.resetCalls();
    await expect(rec.reconcile('ns/x')).rejects.toThrow(/cannot compose resources/);
    expect(kube.writes()).toBe(0);
  });
});
