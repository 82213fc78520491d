/**
 * Function-level differential over the fixture corpus: every pipeline step whose upstream
 * function is available here (function-patch-and-transform v0.10.7, function-auto-ready v0.6.7)
 * gets the same RunFunctionRequest over gRPC and in-process (P&T with `semantics: 'upstream'`),
 * and the normalised responses must match. Steps of the other built-ins run in-process only and
 * must not fail unexpectedly. Each step's input state comes from our previous step's output.
 */

import { join } from 'node:path';
import { FunctionRegistry, type RunFunctionRequest, type RunFunctionResponse } from '@trellis/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseRequest, functionPackage, listFixtures, loadFixture, pipeline, requiredFor } from './fixtures.ts';
import { normalize } from './normalize.ts';
import { startUpstream, type UpstreamFunction } from './upstream.ts';

const registry = new FunctionRegistry({ patchAndTransform: { semantics: 'upstream' }, memoEntries: 0 });
const upstreams: Partial<Record<string, UpstreamFunction>> = {};

beforeAll(async () => {
  const [pt, ar] = await Promise.all([startUpstream('function-patch-and-transform'), startUpstream('function-auto-ready')]);
  upstreams['patch-and-transform'] = pt;
  upstreams['auto-ready'] = ar;
});
afterAll(async () => {
  await Promise.all(Object.values(upstreams).map((u) => u?.stop()));
  registry.close();
});

const fixtures = listFixtures();

describe('fixture corpus', () => {
  it('has at least 80 fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(80);
  });

  it.each(fixtures)('%s', async (name) => {
    const f = loadFixture(name);
    let desired: RunFunctionRequest['desired'];
    let context: RunFunctionRequest['context'] = f.context;
    for (const s of pipeline(f)) {
      const req: RunFunctionRequest = baseRequest(f, s);
      if (desired !== undefined) req.desired = desired;
      if (context !== undefined) req.context = context;
      const pkg = functionPackage(f, s.functionName);
      const ref = pkg === undefined ? { name: s.functionName } : { name: s.functionName, package: pkg };
      const kind = ['patch-and-transform', 'auto-ready', 'go-templating', 'environment-configs', 'sequencer'].find((k) =>
        (pkg ?? s.functionName).includes(`function-${k}`),
      );
      const fn = registry.resolve(ref);
      let ours: RunFunctionResponse = await fn.run(structuredClone(req));
      // the requirements loop, as the engine runs it (environment-configs asks for EnvironmentConfigs)
      for (let i = 0; i < 5 && ours.requirements?.resources !== undefined && Object.keys(ours.requirements.resources).length > 0; i++) {
        const required = requiredFor(f, ours.requirements.resources as never);
        if (JSON.stringify(required) === JSON.stringify(req.requiredResources)) break;
        req.requiredResources = required;
        ours = await fn.run(structuredClone(req));
      }
      const upstream = kind === undefined ? undefined : upstreams[kind];
      if (upstream !== undefined) {
        const theirs = await upstream.client.run(structuredClone(req));
        expect(normalize(ours), `step ${s.step}`).toEqual(normalize(theirs));
      } else {
        // No upstream binary for this function here: compare with the reviewed golden response.
        await expect(`${JSON.stringify(normalize(ours), null, 2)}\n`).toMatchFileSnapshot(join(f.dir, 'expected', `${s.step}.json`));
      }
      if ((ours.results ?? []).some((r) => r.severity === 'SEVERITY_FATAL')) break;
      desired = ours.desired;
      context = ours.context;
    }
  });
});
