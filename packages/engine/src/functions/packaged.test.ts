import type { CompositionFunction, RemoteFunctionOptions, RunFunctionResponse } from '@trellis/functions';
import type { EventHandler, Informer, InformerFactory, TypeRef } from '@trellis/kube';
import { hasCode, type KubeObject, TrellisError } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { validate } from '../controllers/composition/reconciler.ts';
import {
  AnnotationFunctionRuntime,
  type Connection,
  capabilitiesContain,
  endpointOf,
  FunctionErrorCode,
  LabelParentPackage,
  missingCapabilities,
  PackagedFunctions,
} from './packaged.ts';

const fn = (name: string, opts: { package?: string; development?: boolean } = {}): KubeObject => ({
  apiVersion: 'pkg.crossplane.io/v1',
  kind: 'Function',
  metadata: {
    name,
    ...(opts.development === true ? { annotations: { [AnnotationFunctionRuntime]: 'Development' } } : {}),
  },
  spec: { package: opts.package ?? `example.org/acme/${name}:v1.0.0` },
});

const rev = (name: string, parent: string, opts: { state?: string; endpoint?: string; capabilities?: string[] } = {}): KubeObject => ({
  apiVersion: 'pkg.crossplane.io/v1',
  kind: 'FunctionRevision',
  metadata: { name, labels: { [LabelParentPackage]: parent } },
  spec: { desiredState: opts.state ?? 'Active', image: 'x', revision: 1 },
  status: {
    ...(opts.endpoint === undefined ? {} : { endpoint: opts.endpoint }),
    ...(opts.capabilities === undefined ? {} : { capabilities: opts.capabilities }),
  },
});

describe('endpointOf', () => {
  const cases: { reason: string; fn?: KubeObject; revs: KubeObject[]; want?: unknown; code?: string; message?: string }[] = [
    {
      reason: 'the active revision endpoint, with mutual TLS',
      fn: fn('acme'),
      revs: [rev('acme-old', 'acme', { state: 'Inactive', endpoint: 'old:9443' }), rev('acme-new', 'acme', { endpoint: 'new:9443' })],
      want: { target: 'new:9443', revision: 'acme-new', insecure: false },
    },
    {
      reason: 'a Function annotated as a Development runtime is called without TLS',
      fn: fn('acme', { development: true }),
      revs: [rev('acme-1', 'acme', { endpoint: '127.0.0.1:9443' })],
      want: { target: '127.0.0.1:9443', revision: 'acme-1', insecure: true },
    },
    {
      reason: 'no active revision is upstream error',
      fn: fn('acme'),
      revs: [rev('acme-1', 'acme', { state: 'Inactive', endpoint: 'x:1' }), rev('other-1', 'other', { endpoint: 'y:1' })],
      code: FunctionErrorCode.NoActiveRevision,
      message:
        'cannot get gRPC client connection for Function "acme": cannot find an active FunctionRevision (a FunctionRevision with spec.desiredState: Active)',
    },
    {
      reason: 'an active revision without an endpoint is upstream error',
      fn: fn('acme'),
      revs: [rev('acme-1', 'acme')],
      code: FunctionErrorCode.EmptyEndpoint,
      message:
        'cannot get gRPC client connection for Function "acme": cannot determine gRPC target: active FunctionRevision "acme-1" has an empty status.endpoint',
    },
  ];
  it.each(cases)('$reason', (c) => {
    if (c.code === undefined) {
      expect(endpointOf('acme', c.fn, c.revs)).toEqual(c.want);
      return;
    }
    let err: unknown;
    try {
      endpointOf('acme', c.fn, c.revs);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrellisError);
    expect(hasCode(err, c.code)).toBe(true);
    expect((err as Error).message).toBe(c.message);
  });
});

describe('capabilities', () => {
  const cases: { reason: string; revs: KubeObject[]; want: string | undefined }[] = [
    { reason: 'declared composition', revs: [rev('a-1', 'a', { capabilities: ['composition'] })], want: undefined },
    { reason: 'fuzzy: case and punctuation do not matter', revs: [rev('a-1', 'a', { capabilities: ['Compo-Sition'] })], want: undefined },
    { reason: 'no capabilities recorded counts as a composition function', revs: [rev('a-1', 'a')], want: undefined },
    {
      reason: 'an operation-only function is missing composition',
      revs: [rev('a-1', 'a', { capabilities: ['operation'] })],
      want: 'function "a" (active revision "a-1") is missing required capabilities: composition',
    },
    {
      reason: 'only the active revision counts',
      revs: [rev('a-1', 'a', { capabilities: ['operation'], state: 'Inactive' }), rev('a-2', 'a', { capabilities: ['composition'] })],
      want: undefined,
    },
    { reason: 'no active revision: nothing to check (running it fails instead)', revs: [], want: undefined },
  ];
  it.each(cases)('$reason', (c) => {
    expect(missingCapabilities('a', c.revs, ['composition'])).toBe(c.want);
  });
  it('matches alphanumerics only, in any case', () => {
    expect(capabilitiesContain(['required_resources'], 'RequiredResources')).toBe(true);
    expect(capabilitiesContain(['composition'], 'operation')).toBe(false);
  });
});

describe('validate (ValidPipeline) with installed functions', () => {
  const revision = (fns: string[]): KubeObject => ({
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'CompositionRevision',
    metadata: { name: 'r' },
    spec: { mode: 'Pipeline', pipeline: fns.map((f, i) => ({ step: `s${i}`, functionRef: { name: f } })) },
  });
  const catalog = {
    has: (n: string) => n !== 'missing',
    missingCapabilities: (n: string) =>
      n === 'ops' ? `function "ops" (active revision "ops-1") is missing required capabilities: composition` : undefined,
  };
  const cases: { reason: string; fns: string[]; want: { status: string; reason: string; message?: string } }[] = [
    { reason: 'every function installed and capable', fns: ['a', 'b'], want: { status: 'True', reason: 'ValidPipeline' } },
    {
      reason: 'a function without the composition capability',
      fns: ['a', 'ops'],
      want: {
        status: 'False',
        reason: 'MissingCapabilities',
        message: 'function "ops" (active revision "ops-1") is missing required capabilities: composition',
      },
    },
    {
      reason: 'a missing function wins over a missing capability',
      fns: ['ops', 'missing'],
      want: {
        status: 'False',
        reason: 'MissingFunctions',
        message: 'pipeline step "s1" uses function "missing", which is neither built in nor installed',
      },
    },
  ];
  it.each(cases)('$reason', (c) => {
    expect(validate(revision(c.fns), catalog)).toMatchObject(c.want);
  });
});

/** FakeInformers serves fixed Function and FunctionRevision caches; `notServed` fails their start. */
function fakeInformers(state: { fns: KubeObject[]; revs: KubeObject[]; notServed: boolean }) {
  const handlers = new Map<string, EventHandler[]>();
  const informer = (kind: string, items: () => KubeObject[]): Informer => {
    let synced = false;
    return {
      addHandler: (h) => {
        handlers.set(kind, [...(handlers.get(kind) ?? []), h]);
        return () =>
          handlers.set(
            kind,
            (handlers.get(kind) ?? []).filter((x) => x !== h),
          );
      },
      start: async () => {
        if (state.notServed) throw new TrellisError('KUBE_NO_KIND_MATCH', `no resource for ${kind}`);
        synced = true;
      },
      stop: () => {},
      hasSynced: () => synced,
      get: (k) => items().find((o) => o.metadata.name === k),
      list: () => items(),
      lastSyncResourceVersion: () => '1',
    };
  };
  const factory: InformerFactory = {
    informerFor: (t: TypeRef) =>
      (t.kind === 'Function' ? informer('Function', () => state.fns) : informer('FunctionRevision', () => state.revs)) as never,
    stopAll: () => {},
  };
  return {
    factory,
    update(kind: string, obj: KubeObject) {
      for (const h of handlers.get(kind) ?? []) h.onUpdate?.(obj, obj);
    },
  };
}

/** Connections records every client made and what it was asked. */
function connections() {
  const made: { opts: RemoteFunctionOptions; closed: boolean }[] = [];
  const connect = (opts: RemoteFunctionOptions): Connection => {
    const entry = { opts, closed: false };
    made.push(entry);
    return {
      run: async (): Promise<RunFunctionResponse> => ({ meta: { tag: opts.target } }),
      close: () => {
        entry.closed = true;
      },
    };
  };
  return { made, connect };
}

describe('PackagedFunctions', () => {
  const tls = { ca: Buffer.from('ca'), cert: Buffer.from('cert'), key: Buffer.from('key') };

  it('calls the active revision endpoint, and a new client when the endpoint changes', async () => {
    const state = { fns: [fn('acme')], revs: [rev('acme-1', 'acme', { endpoint: 'a:9443' })], notServed: false };
    const inf = fakeInformers(state);
    const conns = connections();
    const p = new PackagedFunctions({ informers: inf.factory, tls, connect: conns.connect });
    await p.start();
    const f = p.resolve('acme') as CompositionFunction;
    expect(await f.run({})).toEqual({ meta: { tag: 'a:9443' } });
    expect(await f.run({})).toEqual({ meta: { tag: 'a:9443' } });
    expect(conns.made.map((m) => [m.opts.target, m.opts.tls !== undefined])).toEqual([['a:9443', true]]);
    state.revs = [rev('acme-1', 'acme', { state: 'Inactive', endpoint: 'a:9443' }), rev('acme-2', 'acme', { endpoint: 'b:9443' })];
    expect(await f.run({})).toEqual({ meta: { tag: 'b:9443' } });
    expect(conns.made.map((m) => [m.opts.target, m.closed])).toEqual([
      ['a:9443', true],
      ['b:9443', false],
    ]);
    p.stop();
    expect(conns.made.every((m) => m.closed)).toBe(true);
  });

  it('calls a Development Function without TLS, and refuses mutual TLS without client credentials', async () => {
    const state = {
      fns: [fn('dev', { development: true }), fn('prod')],
      revs: [rev('dev-1', 'dev', { endpoint: '127.0.0.1:1' }), rev('prod-1', 'prod', { endpoint: 'prod:9443' })],
      notServed: false,
    };
    const conns = connections();
    const p = new PackagedFunctions({ informers: fakeInformers(state).factory, connect: conns.connect });
    await p.start();
    await (p.resolve('dev') as CompositionFunction).run({});
    expect(conns.made[0]?.opts.tls).toBeUndefined();
    const err = await (p.resolve('prod') as CompositionFunction).run({}).catch((e: unknown) => e);
    expect(hasCode(err, FunctionErrorCode.NoClientTls)).toBe(true);
    expect((err as Error).message).toContain('annotate the Function with render.crossplane.io/runtime: Development');
    expect(conns.made).toHaveLength(1);
    p.stop();
  });

  it('runs a Function whose package is built in in-process, unless it is a Development runtime', async () => {
    const builtin: CompositionFunction = { run: async () => ({ meta: { tag: 'in-process' } }) };
    const pt = 'xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.10.8';
    const state = {
      fns: [fn('my-pt', { package: pt }), fn('dev-pt', { package: pt, development: true })],
      revs: [rev('dev-pt-1', 'dev-pt', { endpoint: '127.0.0.1:2' })],
      notServed: false,
    };
    const p = new PackagedFunctions({
      informers: fakeInformers(state).factory,
      builtin: (ref) => (ref.package.includes('function-patch-and-transform') ? builtin : undefined),
      connect: connections().connect,
    });
    await p.start();
    expect(p.resolve('my-pt')).toBe(builtin);
    expect(p.resolve('dev-pt')).not.toBe(builtin);
    expect(p.resolve('not-installed')).toBeUndefined();
    p.stop();
  });

  it('resolves nothing while the kinds are not served, then keeps trying until they are', async () => {
    const state = { fns: [fn('acme')], revs: [rev('acme-1', 'acme', { endpoint: 'a:1' })], notServed: true };
    const inf = fakeInformers(state);
    const p = new PackagedFunctions({ informers: inf.factory, connect: connections().connect, retryMaxMs: 5 });
    const changed: string[] = [];
    p.onChange((n) => changed.push(n));
    await p.start();
    expect(p.has('acme')).toBe(false);
    state.notServed = false;
    const deadline = Date.now() + 5_000;
    while (!p.synced() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(p.has('acme')).toBe(true);
    inf.update('FunctionRevision', rev('acme-1', 'acme', { endpoint: 'a:2' }));
    expect(changed).toEqual(['acme']);
    p.stop();
  });
});
