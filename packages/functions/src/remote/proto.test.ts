import { describe, expect, it } from 'vitest';
import type { RunFunctionRequest, RunFunctionResponse } from '../protocol/types.ts';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from './proto.ts';

describe('protobuf conversion', () => {
  it('round-trips a request with Structs, bytes, maps and enums', () => {
    const req: RunFunctionRequest = {
      meta: { tag: 't', capabilities: ['CAPABILITY_CONDITIONS', 'CAPABILITY_REQUIRED_RESOURCES'] },
      observed: {
        composite: { resource: { a: 1.5, b: [true, null, 'x'], c: { d: {} } }, connectionDetails: { k: new Uint8Array([0, 1, 255]) } },
        resources: { r: { resource: { kind: 'X' }, ready: 'READY_TRUE' } },
      },
      input: { x: -3 },
      context: { 'apiextensions.crossplane.io/environment': { k: 'v' } },
      requiredResources: { ec: { items: [{ resource: { kind: 'EnvironmentConfig' } }] } },
      credentials: { c: { credentialData: { data: { p: new Uint8Array([7]) } } } },
    };
    expect(decodeRequest(encodeRequest(req))).toEqual(req);
  });

  it('round-trips a response with a TTL, results, conditions and requirements', () => {
    const rsp: RunFunctionResponse = {
      meta: { tag: 't', ttlSeconds: 60.5 },
      desired: { composite: { resource: { status: { a: 'b' } }, ready: 'READY_FALSE' } },
      results: [{ severity: 'SEVERITY_WARNING', message: 'm', reason: 'R', target: 'TARGET_COMPOSITE_AND_CLAIM' }],
      conditions: [{ type: 'DB', status: 'STATUS_CONDITION_TRUE', reason: 'Ok' }],
      requirements: { resources: { a: { apiVersion: 'v1', kind: 'Secret', matchLabels: { labels: { x: 'y' } } } } },
      context: { k: 1 },
    };
    expect(decodeResponse(encodeResponse(rsp))).toEqual(rsp);
  });

  it('rejects garbage bytes with an error, not a crash', () => {
    expect(() => decodeResponse(new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x01]))).toThrow();
  });
});
