import { createHash } from 'node:crypto';
import { hasCode } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { AutoReady } from './auto-ready/function.ts';
import { PatchAndTransform } from './patch-and-transform/function.ts';
import type { CompositionFunction, JsonObject, RunFunctionRequest } from './protocol/types.ts';
import { builtinKindOf, FunctionRegistry, Memoized, requestHash } from './registry.ts';
import { RemoteFunction } from './remote/client.ts';

describe('builtinKindOf', () => {
  const cases: Record<string, { reason: string; in: string; want: string | undefined }> = {
    Plain: { reason: 'the plain function name', in: 'function-patch-and-transform', want: 'patch-and-transform' },
    Derived: {
      reason: 'a name derived from the package path',
      in: 'crossplane-contrib-function-patch-and-transform',
      want: 'patch-and-transform',
    },
    Upbound: { reason: 'an upbound-prefixed name', in: 'upbound-function-auto-ready', want: 'auto-ready' },
    Package: {
      reason: 'a package reference with a tag',
      in: 'xpkg.crossplane.io/crossplane-contrib/function-go-templating:v0.12.2',
      want: 'go-templating',
    },
    Digest: {
      reason: 'a package reference with a digest',
      in: 'xpkg.upbound.io/crossplane-contrib/function-environment-configs@sha256:abc123',
      want: 'environment-configs',
    },
    Sequencer: { reason: 'sequencer', in: 'function-sequencer', want: 'sequencer' },
    Kcl: { reason: 'KCL is not built in', in: 'function-kcl', want: undefined },
    Suffix: {
      reason: 'a different function that merely contains the name is not built in',
      in: 'function-patch-and-transform-extra',
      want: undefined,
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => expect(builtinKindOf(c.in)).toBe(c.want));
  }
});

describe('FunctionRegistry', () => {
  it('resolves built-ins by name or by package, and remote functions by endpoint', () => {
    const r = new FunctionRegistry({ memoEntries: 0 });
    expect(r.resolve({ name: 'function-patch-and-transform' })).toBeInstanceOf(PatchAndTransform);
    expect(r.resolve({ name: 'my-ready', package: 'xpkg.crossplane.io/crossplane-contrib/function-auto-ready:v0.6.7' })).toBeInstanceOf(
      AutoReady,
    );
    expect(r.resolve({ name: 'function-kcl', remote: { target: '127.0.0.1:1' } })).toBeInstanceOf(RemoteFunction);
    expect(r.resolve({ name: 'function-patch-and-transform', remote: { target: '127.0.0.1:1' }, preferRemote: true })).toBeInstanceOf(
      RemoteFunction,
    );
    r.close();
  });

  it('refuses an unknown function without an endpoint with a clear error', () => {
    const r = new FunctionRegistry();
    let err: unknown;
    try {
      r.resolve({ name: 'function-kcl' });
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'FUNCTIONS_UNKNOWN_FUNCTION')).toBe(true);
    expect((err as Error).message).toContain('"function-kcl"');
  });
});

describe('Memoized', () => {
  it('answers a repeated request from the cache with the new tag, bounded', async () => {
    let calls = 0;
    const inner: CompositionFunction = {
      run: async (req) => {
        calls++;
        return { meta: { tag: req.meta?.tag ?? '' }, desired: { resources: { a: { resource: { n: calls } } } } };
      },
    };
    const m = new Memoized(inner, 2);
    const req = (v: number, tag: string): RunFunctionRequest => ({ meta: { tag }, input: { v } });
    const a = await m.run(req(1, 't1'));
    const b = await m.run(req(1, 't2'));
    expect(calls).toBe(1);
    expect(b.meta?.tag).toBe('t2');
    expect(b.desired).toEqual(a.desired);
    await m.run(req(2, 'x'));
    await m.run(req(3, 'x'));
    await m.run(req(1, 'x'));
    expect(calls).toBe(4);
  });

  it('hashes requests independently of key order and tag', () => {
    expect(requestHash({ meta: { tag: 'a' }, input: { x: 1, y: [1, 2] } })).toBe(
      requestHash({ input: { y: [1, 2], x: 1 }, meta: { tag: 'b' } }),
    );
    expect(requestHash({ input: { x: 1 } })).not.toBe(requestHash({ input: { x: 2 } }));
  });
});

/** ModelRequestHash is the first implementation (arrays of parts, sort of every key list): the model the faster one must equal. */
function modelRequestHash(req: RunFunctionRequest): string {
  const stable = (v: unknown): string => {
    if (v === undefined) return 'null';
    if (v instanceof Uint8Array) return JSON.stringify(`b64:${Buffer.from(v).toString('base64')}`);
    if (typeof v === 'bigint') return v.toString();
    if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
    if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
        .join(',')}}`;
    }
    return JSON.stringify(v);
  };
  const { meta, ...rest } = req;
  return createHash('sha256')
    .update(stable({ caps: meta?.capabilities ?? [], rest }))
    .digest('hex');
}

describe('requestHash against the first implementation', () => {
  const cases: { reason: string; req: RunFunctionRequest }[] = [
    {
      reason: 'observed resources with connection details as bytes',
      req: {
        meta: { tag: 't', capabilities: ['CAPABILITY_CONDITIONS'] },
        observed: {
          composite: {
            resource: { metadata: { name: 'x', labels: { b: '1', a: '2' } }, spec: { n: 1 } },
            connectionDetails: { pw: new Uint8Array([1, 2, 255]) },
          },
          resources: { z: { resource: { kind: 'ConfigMap', data: { k: 'v' } } }, a: { resource: { kind: 'Secret' } } },
        },
      },
    },
    { reason: 'undefined fields are left out, undefined list items are null', req: { input: { a: undefined, l: [undefined, 1, null] } } },
    { reason: 'a hole of a sparse list stays empty', req: { input: { l: new Array<unknown>(2).concat(['x']) } } },
    { reason: 'keys already in order', req: { input: { a: 1, b: { c: [true, false], d: 'é' } } } },
    { reason: 'unicode and uppercase keys', req: { input: { ü: 1, Z: 2, a: 3, '10': 4, '9': 5 } } },
    { reason: 'a bigint is written as digits', req: { input: { n: 12345678901234567890n } as unknown as JsonObject } },
  ];
  it.each(cases)('$reason', ({ req }) => {
    expect(requestHash(req)).toBe(modelRequestHash(req));
  });
});
