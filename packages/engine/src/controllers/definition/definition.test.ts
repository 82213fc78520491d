import { asControllerRef, hasCode, type KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { xcrdRenderer } from '../../xcrd/renderer.ts';
import { validate } from '../composition/reconciler.ts';
import { newFakeKube } from '../testing/fake-kube.ts';
import { withTrellisStatus } from './extensions.ts';
import { DefinitionReconciler } from './reconciler.ts';
import { claimType, compositeType, xrdScope } from './xrd.ts';

const xrd = (over: Record<string, unknown> = {}, apiVersion = 'apiextensions.crossplane.io/v1'): KubeObject => ({
  apiVersion,
  kind: 'CompositeResourceDefinition',
  metadata: { name: 'xdbs.example.org', uid: 'u' },
  spec: {
    group: 'example.org',
    names: { kind: 'XDb', plural: 'xdbs' },
    claimNames: { kind: 'Db', plural: 'dbs' },
    versions: [
      { name: 'v1alpha1', served: true, referenceable: false, schema: { openAPIV3Schema: { type: 'object' } } },
      {
        name: 'v1',
        served: true,
        referenceable: true,
        schema: {
          openAPIV3Schema: { type: 'object', properties: { status: { type: 'object', properties: { mine: { type: 'string' } } } } },
        },
      },
    ],
    ...over,
  },
});

describe('XRD accessors', () => {
  const cases = {
    V1Default: { reason: 'a v1 XRD without scope is LegacyCluster', xrd: xrd(), want: 'LegacyCluster' },
    V2Default: { reason: 'a v2 XRD without scope is Namespaced', xrd: xrd({}, 'apiextensions.crossplane.io/v2'), want: 'Namespaced' },
    Explicit: { reason: 'an explicit scope wins', xrd: xrd({ scope: 'Cluster' }), want: 'Cluster' },
  };
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => expect(xrdScope(tc.xrd)).toBe(tc.want));
  });

  it('uses the referenceable version for the XR and claim types', () => {
    expect(compositeType(xrd())).toEqual({ apiVersion: 'example.org/v1', kind: 'XDb', plural: 'xdbs' });
    expect(claimType(xrd())).toEqual({ apiVersion: 'example.org/v1', kind: 'Db', plural: 'dbs' });
  });
});

describe('withTrellisStatus', () => {
  it('adds observedGeneration (defaulted) and pipelineResults to every version, keeping user fields', () => {
    const crd = withTrellisStatus(xcrdRenderer).composite(xrd());
    for (const v of (crd.spec as { versions: { schema: { openAPIV3Schema: { properties: { status: Record<string, unknown> } } } }[] })
      .versions) {
      const status = v.schema.openAPIV3Schema.properties.status;
      expect(status.default).toEqual({});
      expect(status.properties).toMatchObject({ observedGeneration: { type: 'integer', default: 0 }, pipelineResults: { type: 'array' } });
    }
    const claim = withTrellisStatus(xcrdRenderer).claim(xrd());
    expect(claim?.metadata.name).toBe('dbs.example.org');
  });

  it('reports invalid XRDs with the field at fault', () => {
    let err: unknown;
    try {
      withTrellisStatus(xcrdRenderer).composite({ ...xrd(), metadata: { name: 'wrong' } });
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'ENGINE_XRD_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/^invalid CompositeResourceDefinition "wrong": metadata\.name: Invalid value: "wrong"/);
  });
});

describe('ValidPipeline', () => {
  const known = { has: (n: string) => n === 'function-patch-and-transform' };
  const rev = (spec: Record<string, unknown>): KubeObject => ({
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'CompositionRevision',
    metadata: { name: 'r' },
    spec,
  });
  const cases = {
    Valid: {
      reason: 'known functions are valid',
      spec: { pipeline: [{ step: 'a', functionRef: { name: 'function-patch-and-transform' } }] },
      want: { status: 'True' },
    },
    Missing: {
      reason: 'an unknown function names the step',
      spec: { pipeline: [{ step: 'a', functionRef: { name: 'function-kcl' } }] },
      want: {
        status: 'False',
        reason: 'MissingFunctions',
        message: 'pipeline step "a" uses function "function-kcl", which is neither built in nor installed',
      },
    },
    Empty: { reason: 'an empty pipeline is invalid', spec: { pipeline: [] }, want: { status: 'False', reason: 'InvalidPipeline' } },
    NoRef: {
      reason: 'a step without functionRef names the field',
      spec: { pipeline: [{ step: 'a' }] },
      want: { status: 'False', message: 'spec.pipeline[0].functionRef.name: Required value: pipeline step "a" names no function' },
    },
    Legacy: { reason: 'mode Resources runs the built-in P&T', spec: { mode: 'Resources', resources: [] }, want: { status: 'True' } },
  };
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => expect(validate(rev(tc.spec), known)).toMatchObject(tc.want));
  });
});

describe('DefinitionReconciler memory', () => {
  const xrdRef = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition', name: 'xdbs.example.org' };
  const crdRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'xdbs.example.org' };
  it.each([
    { reason: 'an XRD deleted (a package uninstalled) leaves nothing behind', cycles: 1 },
    { reason: 'nor do many', cycles: 5 },
  ])('$reason', async ({ cycles }) => {
    const kube = newFakeKube();
    const stopped: string[] = [];
    const rec = new DefinitionReconciler({
      client: kube,
      role: 'composite',
      xrd: (n) => kube.peek({ ...xrdRef, name: n }),
      crds: {
        composite: (x) => ({
          apiVersion: crdRef.apiVersion,
          kind: crdRef.kind,
          metadata: { name: crdRef.name, ownerReferences: [asControllerRef(x)] },
          spec: { group: 'example.org' },
        }),
        claim: () => undefined,
      },
      engine: {
        start: async () => {},
        stop: async (n) => {
          stopped.push(n);
        },
        instances: () => [],
      },
    });
    for (let c = 0; c < cycles; c++) {
      const { uid: _uid, ...meta } = xrd().metadata;
      kube.put({ ...xrd(), metadata: meta });
      await rec.reconcile(xrdRef.name);
      // The API server establishes the CRD.
      const crd = kube.peek(crdRef) as KubeObject;
      kube.put({ ...crd, status: { conditions: [{ type: 'Established', status: 'True' }] } });
      await rec.reconcile(xrdRef.name);
      expect(rec.tracked()).toEqual({ xrds: 1, crds: 1 });
      await kube.delete(xrdRef);
      for (let i = 0; i < 5 && kube.peek(xrdRef) !== undefined; i++) await rec.reconcile(xrdRef.name);
      await rec.reconcile(xrdRef.name);
      expect(kube.peek(xrdRef)).toBeUndefined();
      expect(kube.peek(crdRef)).toBeUndefined();
    }
    expect(rec.tracked()).toEqual({ xrds: 0, crds: 0 });
    expect(stopped.length).toBeGreaterThanOrEqual(cycles);
  });
});
