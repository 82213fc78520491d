/**
 * Differential test: the request tag Trellis puts in meta.tag against upstream's composite.Tag()
 * (sha256 of the deterministic protobuf encoding, via the render oracle's use of the real Go
 * protobuf types), over hand-written and generated requests.
 */
import { requestTag } from '@trellis/engine';
import type { RunFunctionRequest } from '@trellis/functions';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { askOracle } from './oracle.ts';

/** ToProtoJson writes a request as protojson (bytes base64, enums by name, maps as objects). */
function toProtoJson(req: RunFunctionRequest): unknown {
  const b64 = (m: Record<string, Uint8Array> | undefined) =>
    m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  const res = (r: { resource: unknown; connectionDetails?: Record<string, Uint8Array>; ready?: string }) => ({
    resource: r.resource,
    ...(r.connectionDetails === undefined ? {} : { connectionDetails: b64(r.connectionDetails) }),
    ...(r.ready === undefined ? {} : { ready: r.ready }),
  });
  const state = (s: RunFunctionRequest['observed']) =>
    s === undefined
      ? undefined
      : {
          ...(s.composite === undefined ? {} : { composite: res(s.composite) }),
          ...(s.resources === undefined ? {} : { resources: Object.fromEntries(Object.entries(s.resources).map(([k, v]) => [k, res(v)])) }),
        };
  const resources = (m: RunFunctionRequest['requiredResources']) =>
    m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([k, v]) => [k, { items: v.items.map(res) }]));
  return {
    ...(req.observed === undefined ? {} : { observed: state(req.observed) }),
    ...(req.desired === undefined ? {} : { desired: state(req.desired) }),
    ...(req.input === undefined ? {} : { input: req.input }),
    ...(req.context === undefined ? {} : { context: req.context }),
    ...(req.credentials === undefined
      ? {}
      : {
          credentials: Object.fromEntries(
            Object.entries(req.credentials).map(([k, v]) => [k, { credentialData: { data: b64(v.credentialData?.data) } }]),
          ),
        }),
    ...(req.requiredResources === undefined ? {} : { requiredResources: resources(req.requiredResources) }),
    ...(req.extraResources === undefined ? {} : { extraResources: resources(req.extraResources) }),
  };
}

const handWritten: RunFunctionRequest[] = [
  {},
  { observed: { composite: { resource: {} } }, desired: {} },
  {
    observed: {
      composite: {
        resource: {
          apiVersion: 'example.org/v1',
          kind: 'XApp',
          metadata: { name: 'a', labels: { b: '1', a: '2' } },
          spec: { n: 1.5, i: 3, z: 0, big: 1e300, tiny: 5e-324, t: true, nil: null, l: [1, 'x', [], {}] },
        },
        connectionDetails: { pw: new Uint8Array([0, 1, 255]) },
      },
      resources: { zeta: { resource: { k: 'v' } }, alpha: { resource: { k: '日本', e: '😀' }, connectionDetails: {} } },
    },
    desired: { composite: { resource: { status: {} }, ready: 'READY_TRUE' }, resources: { x: { resource: {}, ready: 'READY_FALSE' } } },
    input: { apiVersion: 'pt.fn.crossplane.io/v1beta1', kind: 'Resources', resources: [{ name: 'a' }] },
    context: { 'apiextensions.crossplane.io/environment': { apiVersion: 'internal.crossplane.io/v1alpha1', kind: 'Environment' } },
    credentials: { creds: { credentialData: { data: { token: new Uint8Array([116, 111, 107]) } } } },
    requiredResources: { one: { items: [] }, many: { items: [{ resource: { a: 1 } }, { resource: { b: 2 } }] } },
  },
];

describe('request tag matches upstream', () => {
  it('for hand-written requests', async () => {
    const answers = await askOracle(handWritten.map((r) => ({ op: 'tag', json: toProtoJson(r) })));
    expect(answers.map((a) => a.err)).toEqual(handWritten.map(() => undefined));
    expect(handWritten.map(requestTag)).toEqual(answers.map((a) => a.out));
  });

  it('for generated observed and desired states', async () => {
    const json = fc.letrec((tie) => ({
      // JSON cannot carry -0, so the oracle would see 0: generate no negative zeros.
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'grapheme', maxLength: 12 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)),
        fc.boolean(),
        fc.constant(null),
        tie('list'),
        tie('map'),
      ),
      list: fc.array(tie('value'), { maxLength: 4 }),
      map: fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 5 }),
    }));
    const obj = fc.dictionary(fc.string({ maxLength: 8 }), json.value, { maxKeys: 6 });
    const reqs = fc
      .sample(
        fc.record({ xr: obj, names: fc.array(fc.string({ maxLength: 6 }), { maxLength: 4 }), ctx: fc.option(obj, { nil: undefined }) }),
        { numRuns: 200, seed: 7 },
      )
      .map(({ xr, names, ctx }): RunFunctionRequest => {
        const req: RunFunctionRequest = {
          observed: { composite: { resource: xr as Record<string, unknown> } },
          desired: { resources: Object.fromEntries(names.map((n) => [n, { resource: xr as Record<string, unknown> }])) },
        };
        if (ctx !== undefined) req.context = ctx as Record<string, unknown>;
        return req;
      });
    const answers = await askOracle(reqs.map((r) => ({ op: 'tag', json: toProtoJson(r) })));
    const problems = reqs.flatMap((r, i) =>
      answers[i]?.err !== undefined || answers[i]?.out !== requestTag(r) ? [`${i}: ${answers[i]?.err ?? 'tag differs'}`] : [],
    );
    expect(problems.slice(0, 5)).toEqual([]);
  });
});
