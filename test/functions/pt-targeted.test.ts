/**
 * Function-level differential: targeted patch-and-transform cases sent to upstream
 * function-patch-and-transform (v0.10.7, over gRPC) and to our in-process function with
 * `semantics: 'upstream'`; the normalised responses must be equal.
 */
import { type RunFunctionRequest, runPatchAndTransform } from '@trellis/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalize } from './normalize.ts';
import { ptCases } from './pt-cases.ts';
import { startUpstream, type UpstreamFunction } from './upstream.ts';

let upstream: UpstreamFunction;
beforeAll(async () => {
  upstream = await startUpstream('function-patch-and-transform');
});
afterAll(async () => {
  await upstream?.stop();
});

describe('patch-and-transform against upstream', () => {
  it.each(ptCases.map((c) => [c.reason, c] as const))('%s', async (_reason, c) => {
    const req: RunFunctionRequest = { meta: { tag: 't' }, ...c.req };
    const theirs = await upstream.client.run(req);
    const ours = runPatchAndTransform(structuredClone(req), { semantics: 'upstream' });
    expect(normalize(ours)).toEqual(normalize(theirs));
  });
});
