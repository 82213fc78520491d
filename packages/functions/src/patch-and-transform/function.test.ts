import { describe, expect, it } from 'vitest';
import type { RunFunctionRequest } from '../protocol/types.ts';
import { runPatchAndTransform } from './function.ts';

const xr = { apiVersion: 'example.org/v1', kind: 'XApp', metadata: { name: 'a' }, spec: { v: 'x', widgets: '10' } };
const input = (resources: unknown[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'pt.fn.crossplane.io/v1beta1',
  kind: 'Resources',
  resources,
  ...extra,
});

interface Case {
  reason: string;
  req: RunFunctionRequest;
  fatal?: string;
  warnings?: string[];
}

const cases: Record<string, Case> = {
  IllTypedInput: {
    reason: 'a field of the wrong JSON type is a decode error naming its path',
    req: { observed: { composite: { resource: xr } }, input: { resources: [{ name: 'a', patches: [{ fromFieldPath: 5 }] }] } },
    fatal: 'cannot get Function input: json: cannot unmarshal number into Go value of type string at resources[0].patches[0].fromFieldPath',
  },
  InvalidMath: {
    reason: 'validation names the field path',
    req: {
      observed: { composite: { resource: xr } },
      input: input([
        { name: 'a', base: {}, patches: [{ fromFieldPath: 'spec.v', transforms: [{ type: 'math', math: { multiply: 2 } }] }] },
      ]),
    },
    fatal: 'invalid Function input: resources[0].patches[0].transforms[0].math.type: Required value: math transform type is required',
  },
  NotAnArray: {
    reason: 'an ill-typed source is fatal and names resource, patch type, index and path',
    req: {
      observed: { composite: { resource: xr } },
      input: input([{ name: 'r', base: {}, patches: [{ fromFieldPath: 'spec.widgets[0]', toFieldPath: 'x' }] }]),
    },
    fatal: 'cannot render composed resource "r" "FromCompositeFieldPath" patch at index 0: spec.widgets: not an array',
  },
  RequiredNew: {
    reason: 'Required on a missing source skips a new resource with a warning',
    req: {
      observed: { composite: { resource: xr } },
      input: input([
        { name: 'r', base: {}, patches: [{ fromFieldPath: 'spec.nope', toFieldPath: 'x', policy: { fromFieldPath: 'Required' } }] },
      ]),
    },
    warnings: [
      `not adding new composed resource "r" to desired state because "FromCompositeFieldPath" patch at index 0 has 'policy.fromFieldPath: Required': spec.nope: no such field`,
    ],
  },
  NoInput: {
    reason: 'a missing input is an invalid input, not a crash',
    req: { observed: { composite: { resource: xr } } },
    fatal: 'invalid Function input: resources: Required value: resources or environment patches are required',
  },
  HostileEnvironment: {
    reason: 'a non-object environment in the context is fatal',
    req: {
      observed: { composite: { resource: xr } },
      input: input([{ name: 'r', base: {} }]),
      context: { 'apiextensions.crossplane.io/environment': 'nope' },
    },
    fatal:
      'cannot get Composition environment from *v1.RunFunctionRequest context key "apiextensions.crossplane.io/environment": context value is not an object',
  },
};

describe('patch-and-transform results', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const rsp = runPatchAndTransform(c.req);
      const fatal = (rsp.results ?? []).filter((r) => r.severity === 'SEVERITY_FATAL').map((r) => r.message);
      const warnings = (rsp.results ?? []).filter((r) => r.severity === 'SEVERITY_WARNING').map((r) => r.message);
      expect(fatal).toEqual(c.fatal === undefined ? [] : [c.fatal]);
      expect(warnings).toEqual(c.warnings ?? []);
    });
  }

  it('returns the request desired state unchanged on a fatal result', () => {
    const desired = { resources: { keep: { resource: { apiVersion: 'v1', kind: 'ConfigMap' } } } };
    const rsp = runPatchAndTransform({
      observed: { composite: { resource: xr } },
      desired,
      input: input([{ name: 'r', base: {}, patches: [{ fromFieldPath: 'spec.widgets[0]' }] }]),
    });
    expect(rsp.desired).toEqual(desired);
  });

  it('never throws, even for an object nested 200,000 levels deep', () => {
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) deep = { n: deep };
    const rsp = runPatchAndTransform({
      meta: { tag: 't' },
      observed: { composite: { resource: { ...xr, spec: { d: deep } } } },
      input: input([{ name: 'r', base: {}, patches: [{ fromFieldPath: 'spec.d', toFieldPath: 'x' }] }]),
    });
    const fatal = (rsp.results ?? []).filter((r) => r.severity === 'SEVERITY_FATAL');
    expect(fatal.length + Object.keys(rsp.desired?.resources ?? {}).length).toBeGreaterThan(0);
    expect(rsp.meta?.tag).toBe('t');
  });

  it('handles 1000 resources and a deep object', () => {
    let deep: Record<string, unknown> = { leaf: 'v' };
    for (let i = 0; i < 500; i++) deep = { n: deep };
    const path = `${'spec.d.'}${Array.from({ length: 500 }, () => 'n').join('.')}.leaf`;
    const resources = Array.from({ length: 1000 }, (_, i) => ({
      name: `r${i}`,
      base: { apiVersion: 'v1', kind: 'ConfigMap' },
      patches: [{ fromFieldPath: path, toFieldPath: 'data.v' }],
    }));
    const rsp = runPatchAndTransform({ observed: { composite: { resource: { ...xr, spec: { d: deep } } } }, input: input(resources) });
    expect(rsp.results ?? []).toEqual([]);
    expect(Object.keys(rsp.desired?.resources ?? {})).toHaveLength(1000);
    expect(rsp.desired?.resources?.r999?.resource).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', data: { v: 'v' } });
  });
});
