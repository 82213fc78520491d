import { hasCode } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { AutoReady } from './auto-ready/function.ts';
import { PatchAndTransform } from './patch-and-transform/function.ts';
import { type CompositionFunction, type JsonObject, lazyTagMeta, type RunFunctionRequest } from './protocol/types.ts';
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

  it('computes no lazy tag itself: neither a miss nor a hit reads it, and each response reads its own request', async () => {
    const m = new Memoized(new PatchAndTransform(), 4);
    expect(m.pure).toBe(true);
    const computed: string[] = [];
    const req = (tag: string): RunFunctionRequest => ({
      meta: lazyTagMeta(() => {
        computed.push(tag);
        return tag;
      }, []),
      observed: { composite: { resource: { apiVersion: 'example.org/v1', kind: 'XR', metadata: { name: 'x' } } } },
      input: { apiVersion: 'pt.fn.crossplane.io/v1beta1', kind: 'Resources', resources: [] },
    });
    const miss = await m.run(req('t1'));
    const hit = await m.run(req('t2'));
    expect(computed).toEqual([]);
    expect(hit.meta?.ttlSeconds).toBe(60);
    expect(hit.meta?.tag).toBe('t2');
    expect(miss.meta?.tag).toBe('t1');
    expect(computed).toEqual(['t2', 't1']);
    expect(miss.meta?.tag).toBe('t1');
    expect(computed).toHaveLength(2); // computed once, then kept
  });

  it('hashes requests independently of key order and tag', () => {
    expect(requestHash({ meta: { tag: 'a' }, input: { x: 1, y: [1, 2] } })).toBe(
      requestHash({ input: { y: [1, 2], x: 1 }, meta: { tag: 'b' } }),
    );
    expect(requestHash({ input: { x: 1 } })).not.toBe(requestHash({ input: { x: 2 } }));
  });
});

describe('requestHash', () => {
  const big = (last: string): RunFunctionRequest => ({
    input: { items: Array.from({ length: 5000 }, (_, i) => ({ name: `item-${i}`, value: i === 4999 ? last : 'x'.repeat(20) })) },
  });
  const cases: { reason: string; a: RunFunctionRequest; b: RunFunctionRequest; equal: boolean }[] = [
    {
      reason: 'map key order does not matter',
      a: { input: { a: 1, b: { c: 2, d: 3 } } },
      b: { input: { b: { d: 3, c: 2 }, a: 1 } },
      equal: true,
    },
    {
      reason: 'the tag does not matter',
      a: { meta: { tag: 'x' }, input: { a: 1 } },
      b: { meta: { tag: 'y' }, input: { a: 1 } },
      equal: true,
    },
    { reason: 'an undefined field equals an absent one', a: { input: { a: 1, b: undefined } }, b: { input: { a: 1 } }, equal: true },
    {
      reason: 'capabilities matter',
      a: { meta: { capabilities: ['CAPABILITY_CONDITIONS'] } },
      b: { meta: { capabilities: [] } },
      equal: false,
    },
    { reason: 'a number differs from its string', a: { input: { a: 1 } }, b: { input: { a: '1' } }, equal: false },
    { reason: 'an empty list differs from an empty map', a: { input: { a: [] } }, b: { input: { a: {} } }, equal: false },
    { reason: 'null differs from false', a: { input: { a: null } }, b: { input: { a: false } }, equal: false },
    { reason: 'strings are length-prefixed', a: { input: { l: ['ab', 'c'] } }, b: { input: { l: ['a', 'bc'] } }, equal: false },
    { reason: 'keys are length-prefixed', a: { input: { ab: 'c' } }, b: { input: { a: 'bc' } }, equal: false },
    { reason: 'list order matters', a: { input: { l: [1, 2] } }, b: { input: { l: [2, 1] } }, equal: false },
    {
      reason: 'bytes differ from their base64 text',
      a: { observed: { composite: { resource: {}, connectionDetails: { k: new Uint8Array([1, 2]) } } } },
      b: { observed: { composite: { resource: {}, connectionDetails: { k: 'AQI=' as unknown as Uint8Array } } } },
      equal: false,
    },
    {
      reason: 'non-ASCII strings are hashed by content',
      a: { input: { a: 'é\u{1F600}' } },
      b: { input: { a: 'e\u{1F600}' } },
      equal: false,
    },
    { reason: 'a request larger than the reused buffer hashes equally', a: big('same'), b: big('same'), equal: true },
    { reason: 'a request larger than the reused buffer hashes its end', a: big('a'), b: big('b'), equal: false },
    {
      reason: 'a bigint is hashed by value',
      a: { input: { n: 1n } as unknown as JsonObject },
      b: { input: { n: 2n } as unknown as JsonObject },
      equal: false,
    },
  ];
  it.each(cases)('$reason', ({ a, b, equal }) => {
    expect(requestHash(a) === requestHash(b)).toBe(equal);
    expect(requestHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
