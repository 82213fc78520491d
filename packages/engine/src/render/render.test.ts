import type { CompositionFunction, JsonObject, RunFunctionRequest, RunFunctionResponse } from '@trellis/functions';
import { hasCode, type KubeObject, TrellisError } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { childName } from '../names/names.ts';
import { RenderErrorCode } from './errors.ts';
import { compositeConditions, MaxRequirementsIterations, render, stableNAndSomeMore } from './render.ts';
import type { DesiredComposed, RenderInput, RenderResult } from './types.ts';

const UID = '11111111-2222-4333-8444-555555555555';

function xr(extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'example.org/v1',
    kind: 'XApp',
    metadata: { name: 'app', uid: UID, labels: { 'crossplane.io/composite': 'app' }, ...extra },
    spec: { size: 3 },
  };
}

function composition(
  steps: { step: string; fn?: string; input?: JsonObject; requirements?: JsonObject; credentials?: JsonObject[] }[],
): KubeObject {
  return {
    apiVersion: 'apiextensions.crossplane.io/v1',
    kind: 'Composition',
    metadata: { name: 'comp' },
    spec: {
      compositeTypeRef: { apiVersion: 'example.org/v1', kind: 'XApp' },
      mode: 'Pipeline',
      pipeline: steps.map((s) => ({ step: s.step, functionRef: { name: s.fn ?? 'fn' }, ...s })),
    },
  };
}

/** Fn makes an in-process function from a response builder; it records the requests it saw. */
function fn(respond: (req: RunFunctionRequest, call: number) => RunFunctionResponse | Promise<RunFunctionResponse>) {
  const calls: RunFunctionRequest[] = [];
  const f: CompositionFunction & { calls: RunFunctionRequest[] } = {
    calls,
    run: async (req) => {
      calls.push(structuredClone(req));
      return respond(req, calls.length);
    },
  };
  return f;
}

/** Passthrough returns the request's desired state plus `resources`. */
function addResources(resources: Record<string, JsonObject>, extra: Partial<RunFunctionResponse> = {}) {
  return fn((req) => ({
    meta: { tag: req.meta?.tag ?? '', ttlSeconds: 60 },
    desired: {
      ...(req.desired ?? {}),
      resources: {
        ...(req.desired?.resources ?? {}),
        ...Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, { resource: v }])),
      },
    },
    ...(req.context === undefined ? {} : { context: req.context }),
    ...extra,
  }));
}

const cm = (data: Record<string, string> = {}): JsonObject => ({ apiVersion: 'v1', kind: 'ConfigMap', data });

function input(over: Partial<RenderInput> & { fns?: Record<string, CompositionFunction> }): RenderInput {
  const fns = over.fns ?? {};
  return {
    composite: xr(),
    composition: composition([{ step: 's1' }]),
    functions: (n) => fns[n],
    ...over,
  };
}

async function renderErr(i: RenderInput): Promise<TrellisError> {
  try {
    await render(i);
  } catch (err) {
    if (err instanceof TrellisError) return err;
    throw err;
  }
  throw new Error('render succeeded');
}

describe('render: composed resource metadata', () => {
  it('gives a new resource upstream name, labels, annotation and controller reference', async () => {
    const r = await render(input({ fns: { fn: addResources({ cm: cm({ a: 'b' }) }) } }));
    const c = r.composed[0] as DesiredComposed;
    expect(c.resource.metadata).toEqual({
      generateName: 'app-',
      name: childName('app-', UID, 'cm'),
      annotations: { 'crossplane.io/composition-resource-name': 'cm' },
      labels: { 'crossplane.io/composite': 'app' },
      ownerReferences: [{ apiVersion: 'example.org/v1', kind: 'XApp', name: 'app', uid: UID, controller: true, blockOwnerDeletion: true }],
    });
    expect(c.observed).toBe(false);
    expect(r.resourceRefs).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', name: childName('app-', UID, 'cm') }]);
  });

  it('keeps the observed name and namespace, and copies claim labels only when both are present', async () => {
    const observed = {
      resource: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'existing', namespace: 'ns1', annotations: { 'crossplane.io/composition-resource-name': 'cm' } },
      },
    };
    const x = xr({
      labels: { 'crossplane.io/composite': 'root', 'crossplane.io/claim-name': 'c', 'crossplane.io/claim-namespace': 'cns' },
    });
    const r = await render(input({ composite: x, observed: [observed], fns: { fn: addResources({ cm: cm() }) } }));
    const c = r.composed[0] as DesiredComposed;
    expect(c.resource.metadata.name).toBe('existing');
    expect(c.resource.metadata.namespace).toBe('ns1');
    expect(c.resource.metadata.generateName).toBeUndefined();
    expect(c.resource.metadata.labels).toEqual({
      'crossplane.io/composite': 'root',
      'crossplane.io/claim-name': 'c',
      'crossplane.io/claim-namespace': 'cns',
    });
    expect(c.observed).toBe(true);
    expect(r.resourceRefs[0]?.namespace).toBe('ns1');
    const y = xr({ labels: { 'crossplane.io/composite': 'root', 'crossplane.io/claim-name': 'c' } });
    const r2 = await render(input({ composite: y, fns: { fn: addResources({ cm: cm() }) } }));
    expect(r2.composed[0]?.resource.metadata.labels).toEqual({ 'crossplane.io/composite': 'root' });
  });

  it('forces a namespaced XR namespace and records a NamespaceOverridden warning', async () => {
    const x = xr({ namespace: 'team' });
    const other = { ...cm(), metadata: { namespace: 'elsewhere' } };
    const r = await render(input({ composite: x, fns: { fn: addResources({ a: cm(), b: other }) } }));
    expect(r.composed.map((c) => c.resource.metadata.namespace)).toEqual(['team', 'team']);
    expect(r.events).toContainEqual({
      type: 'Warning',
      reason: 'NamespaceOverridden',
      message: 'cannot create composed resource "b" in namespace "elsewhere", using XR namespace "team" instead',
    });
    expect(r.resourceRefs.every((ref) => ref.namespace === undefined)).toBe(true);
  });

  it('refuses cluster scoped kinds under a namespaced XR when the caller knows the scope', async () => {
    const x = xr({ namespace: 'team' });
    const ns = { apiVersion: 'v1', kind: 'Namespace' };
    const err = await renderErr(input({ composite: x, isClusterScoped: (_v, k) => k === 'Namespace', fns: { fn: addResources({ ns }) } }));
    expect(err.code).toBe(RenderErrorCode.InvalidComposed);
    expect(err.message).toBe(
      'cannot apply cluster scoped composed resource "ns" (a Namespace named ) for a namespaced composite resource.',
    );
  });

  const bad: Record<string, { reason: string; composite?: KubeObject; resource: JsonObject; code: string; message: string }> = {
    NoCompositeLabel: {
      reason: 'an XR without the crossplane.io/composite label cannot name composed resources',
      composite: { ...xr(), metadata: { name: 'app', uid: UID } },
      resource: cm(),
      code: RenderErrorCode.InvalidComposed,
      message:
        'cannot render metadata for composed resource "r": cannot find top-level composite resource name label "crossplane.io/composite" in composite resource metadata',
    },
    InvalidName: {
      reason: 'a function-supplied name must be an RFC 1123 subdomain',
      resource: { ...cm(), metadata: { name: 'Bad_Name' } },
      code: RenderErrorCode.InvalidComposed,
      message: 'cannot apply composed resource "r" because it has an invalid name "Bad_Name". Must be a valid RFC 1123 subdomain name.',
    },
    OtherController: {
      reason: 'a resource already controlled by someone else cannot be composed',
      resource: {
        ...cm(),
        metadata: { name: 'x', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'other', controller: true }] },
      },
      code: RenderErrorCode.InvalidComposed,
      message:
        'cannot render metadata for composed resource "r": cannot set controller reference: x is already controlled by Pod p (UID other)',
    },
    NoKind: {
      reason: 'a desired resource without a kind is a malformed response',
      resource: { apiVersion: 'v1' },
      code: RenderErrorCode.MalformedResponse,
      message: 'cannot unmarshal desired composed resource "r" from RunFunctionResponse: kind: Required value',
    },
    BadLabels: {
      reason: 'labels must be strings',
      resource: { ...cm(), metadata: { labels: { a: 1 } } },
      code: RenderErrorCode.MalformedResponse,
      message: 'cannot unmarshal desired composed resource "r" from RunFunctionResponse: metadata.labels: must be a map of strings',
    },
  };
  describe.each(Object.entries(bad))('%s', (_n, tc) => {
    it(tc.reason, async () => {
      const err = await renderErr(
        input({ ...(tc.composite ? { composite: tc.composite } : {}), fns: { fn: addResources({ r: tc.resource }) } }),
      );
      expect(err.code).toBe(tc.code);
      expect(err.message).toBe(tc.message);
    });
  });

  it('lets RBAC kinds carry a colon in their name', async () => {
    const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:thing' } };
    const r = await render(input({ fns: { fn: addResources({ role }) } }));
    expect(r.composed[0]?.resource.metadata.name).toBe('system:thing');
  });
});

describe('render: pipeline', () => {
  it('passes desired state and context from step to step and observed state unchanged', async () => {
    const one = fn((req) => ({ desired: { resources: { a: { resource: cm() } } }, context: { ...(req.context ?? {}), one: 1 } }));
    const two = fn((req) => ({ desired: req.desired ?? {}, context: { ...(req.context ?? {}), two: 2 } }));
    const r = await render(
      input({
        composition: composition([
          { step: 'one', fn: 'one' },
          { step: 'two', fn: 'two' },
        ]),
        context: { seed: true },
        fns: { one, two },
      }),
    );
    expect(one.calls[0]?.context).toEqual({ seed: true });
    expect(two.calls[0]?.desired?.resources?.a).toEqual({ resource: cm() });
    expect(two.calls[0]?.context).toEqual({ seed: true, one: 1 });
    expect(two.calls[0]?.observed).toEqual(one.calls[0]?.observed);
    expect(r.context).toEqual({ seed: true, one: 1, two: 2 });
    expect(one.calls[0]?.meta?.capabilities).toHaveLength(5);
    expect(one.calls[0]?.meta?.tag).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives a pure function a request tag computed when read, equal to the eager one', async () => {
    const eager = addResources({});
    const lazy = fn((req) => {
      const d = Object.getOwnPropertyDescriptor(req.meta ?? {}, 'tag');
      return { meta: { ttlSeconds: 60 }, context: { lazy: d?.get !== undefined, tag: req.meta?.tag ?? '' } };
    });
    const pure: CompositionFunction = { pure: true, run: (req) => lazy.run(req) };
    await render(input({ fns: { fn: eager } }));
    const r = await render(input({ fns: { fn: pure } }));
    expect(r.context).toMatchObject({ lazy: true, tag: eager.calls[0]?.meta?.tag });
    expect(eager.calls[0]?.meta?.tag).toMatch(/^[0-9a-f]{64}$/);
  });

  it('takes the smallest non-zero TTL', async () => {
    const a = fn(() => ({ meta: { ttlSeconds: 0 } }));
    const b = fn(() => ({ meta: { ttlSeconds: 30 } }));
    const c = fn(() => ({ meta: { ttlSeconds: 60 } }));
    const r = await render(
      input({
        composition: composition([
          { step: 'a', fn: 'a' },
          { step: 'b', fn: 'b' },
          { step: 'c', fn: 'c' },
        ]),
        fns: { a, b, c },
      }),
    );
    expect(r.ttlSeconds).toBe(30);
  });

  it('turns results into upstream events and keeps every result with its step', async () => {
    const f = fn(() => ({
      results: [
        { severity: 'SEVERITY_NORMAL', message: 'fine' },
        { severity: 'SEVERITY_WARNING', message: 'careful', reason: 'Odd', target: 'TARGET_COMPOSITE_AND_CLAIM' },
        { severity: 'SEVERITY_UNSPECIFIED', message: 'what' },
      ],
    }));
    const r = await render(input({ fns: { fn: f } }));
    expect(r.events).toEqual([
      { type: 'Normal', reason: 'ComposeResources', message: 'Pipeline step "s1": fine', step: 's1' },
      { type: 'Warning', reason: 'Odd', message: 'Pipeline step "s1": careful', step: 's1', claimMessage: 'careful' },
      {
        type: 'Warning',
        reason: 'ComposeResources',
        message: 'Pipeline step "s1" returned a result of unknown severity (assuming warning): what',
        step: 's1',
      },
    ]);
    expect(r.results.map((x) => x.step)).toEqual(['s1', 's1', 's1']);
  });

  it('stops at a fatal result with the step, results and conditions so far', async () => {
    const a = fn(() => ({ conditions: [{ type: 'DatabaseReady', status: 'STATUS_CONDITION_FALSE', reason: 'Waiting' }] }));
    const b = fn(() => ({ results: [{ severity: 'SEVERITY_FATAL', message: 'boom' }] }));
    const c = fn(() => ({}));
    const err = await renderErr(
      input({
        composition: composition([
          { step: 'a', fn: 'a' },
          { step: 'b', fn: 'b' },
          { step: 'c', fn: 'c' },
        ]),
        fns: { a, b, c },
      }),
    );
    expect(err.code).toBe(RenderErrorCode.PipelineFatal);
    expect(err.message).toBe('pipeline step "b" returned a fatal result: boom');
    expect(err.details?.step).toBe('b');
    expect(err.details?.conditions).toHaveLength(1);
    expect(c.calls).toHaveLength(0);
  });

  it('collects function conditions but never system condition types', async () => {
    const f = fn(() => ({
      conditions: [
        { type: 'Ready', status: 'STATUS_CONDITION_TRUE', reason: 'Nope' },
        { type: 'Responsive', status: 'STATUS_CONDITION_TRUE', reason: 'Nope' },
        { type: 'DatabaseReady', status: 'STATUS_CONDITION_TRUE', reason: 'Up', message: 'ok', target: 'TARGET_COMPOSITE_AND_CLAIM' },
        { type: 'Other', status: 'STATUS_CONDITION_UNSPECIFIED', reason: 'Hm' },
      ],
    }));
    const r = await render(input({ fns: { fn: f } }));
    expect(r.conditions).toEqual([
      { type: 'DatabaseReady', status: 'True', reason: 'Up', message: 'ok', target: 'CompositeAndClaim', step: 's1' },
      { type: 'Other', status: 'Unknown', reason: 'Hm', target: 'Composite', step: 's1' },
    ]);
  });

  it('names a step whose function is unknown before calling anything', async () => {
    const a = fn(() => ({}));
    const err = await renderErr(
      input({
        composition: composition([
          { step: 'a', fn: 'a' },
          { step: 'b', fn: 'missing' },
        ]),
        fns: { a },
      }),
    );
    expect(err.code).toBe(RenderErrorCode.UnknownFunction);
    expect(err.message).toBe('cannot run Composition pipeline step "b": unknown function "missing"');
    expect(a.calls).toHaveLength(0);
  });

  it('wraps a function that throws, and one that hangs past its deadline', async () => {
    const thrower = fn(() => {
      throw new Error('connection refused');
    });
    const err = await renderErr(input({ fns: { fn: thrower } }));
    expect(err.code).toBe(RenderErrorCode.FunctionFailed);
    expect(err.message).toBe('cannot run Composition pipeline step "s1"');
    const hang: CompositionFunction = {
      run: (_req, opts) =>
        new Promise((_resolve, reject) => opts?.signal?.addEventListener('abort', () => reject(new Error('deadline exceeded')))),
    };
    const err2 = await renderErr(input({ stepTimeoutMs: 20, fns: { fn: hang } }));
    expect(err2.code).toBe(RenderErrorCode.FunctionFailed);
    expect(err2.message).toBe('cannot run Composition pipeline step "s1": timed out after 20ms');
  });

  const malformed: Record<string, { reason: string; rsp: unknown; message: string }> = {
    NotObject: {
      reason: 'a response must be an object',
      rsp: 'nope',
      message: 'malformed RunFunctionResponse: response must be an object, got string',
    },
    ResourceNotObject: {
      reason: 'desired resources must be objects',
      rsp: { desired: { resources: { a: { resource: [] } } } },
      message: 'malformed RunFunctionResponse: desired.resources["a"].resource: must be an object, got list',
    },
    BadReady: {
      reason: 'readiness must be a known value',
      rsp: { desired: { composite: { resource: {}, ready: 'MAYBE' } } },
      message: 'malformed RunFunctionResponse: desired.composite.ready: unknown readiness "MAYBE"',
    },
    BadSeverity: {
      reason: 'result severities must be known',
      rsp: { results: [{ severity: 'LOUD', message: 'x' }] },
      message: 'malformed RunFunctionResponse: results[0].severity: unknown severity "LOUD"',
    },
    BadConnection: {
      reason: 'connection details are bytes',
      rsp: { desired: { resources: { a: { resource: {}, connectionDetails: { k: 'v' } } } } },
      message: 'malformed RunFunctionResponse: desired.resources["a"].connectionDetails["k"]: must be bytes, got string',
    },
    BadTtl: {
      reason: 'a TTL is a non-negative number',
      rsp: { meta: { ttlSeconds: -1 } },
      message: 'malformed RunFunctionResponse: meta.ttlSeconds: must be a non-negative number, got -1',
    },
    BadRequirement: {
      reason: 'a requirement needs a kind',
      rsp: { requirements: { resources: { x: { apiVersion: 'v1' } } } },
      message: 'malformed RunFunctionResponse: requirements.resources["x"].kind: must be a non-empty string',
    },
  };
  describe.each(Object.entries(malformed))('%s', (_n, tc) => {
    it(tc.reason, async () => {
      const err = await renderErr(input({ fns: { fn: fn(() => tc.rsp as RunFunctionResponse) } }));
      expect(err.code).toBe(RenderErrorCode.MalformedResponse);
      expect(hasCode(err, RenderErrorCode.MalformedResponse)).toBe(true);
      expect(err.message).toBe('cannot run Composition pipeline step "s1"');
      expect((err.cause as Error).message).toBe(tc.message);
    });
  });

  it('handles a huge response (5,000 resources) without trouble', async () => {
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`r${i}`, cm({ v: 'x'.repeat(100) })]));
    const r = await render(input({ fns: { fn: addResources(many) } }));
    expect(r.composed).toHaveLength(5000);
    expect(r.resourceRefs).toHaveLength(5000);
  });
});

describe('render: requirements', () => {
  const store: JsonObject[] = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'y', labels: { app: 'x' } } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'z', labels: { app: 'x' } } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'y', labels: { app: 'x' } } },
  ];
  const lookup: RenderInput['requiredResources'] = (sel) =>
    sel.matchName !== undefined
      ? store.filter((o) => (o.metadata as { name: string }).name === sel.matchName)
      : store.filter((o) => (o.metadata as { labels: Record<string, string> }).labels.app === sel.matchLabels?.labels.app);

  it('keeps the first call tag for a pure function re-run with required resources, computed before the request changed', async () => {
    const respond = (req: RunFunctionRequest, call: number): RunFunctionResponse => ({
      requirements: { resources: { cms: { apiVersion: 'v1', kind: 'ConfigMap', matchLabels: { labels: { app: 'x' } } } } },
      context: { call, ...(call === 2 ? { tag: req.meta?.tag ?? '' } : {}) },
    });
    const eager = fn((req, call) => respond(req, call));
    await render(input({ requiredResources: lookup, fns: { fn: eager } }));
    let calls = 0;
    const pure: CompositionFunction = { pure: true, run: async (req) => respond(req, ++calls) };
    const r = await render(input({ requiredResources: lookup, fns: { fn: pure } }));
    expect(calls).toBe(2);
    expect(r.context).toMatchObject({ call: 2, tag: eager.calls[0]?.meta?.tag });
  });

  it('re-runs a step with the resources it asks for, sorted, until its requirements settle', async () => {
    const f = fn((req, call) => ({
      requirements: { resources: { cms: { apiVersion: 'v1', kind: 'ConfigMap', matchLabels: { labels: { app: 'x' } } } } },
      context: { call },
      ...(req.requiredResources?.cms === undefined
        ? {}
        : { desired: { resources: { n: { resource: cm({ n: String(req.requiredResources.cms.items.length) }) } } } }),
    }));
    const r = await render(input({ requiredResources: lookup, fns: { fn: f } }));
    expect(f.calls).toHaveLength(2);
    expect(f.calls[1]?.requiredResources?.cms?.items.map((i) => (i.resource.metadata as { name: string }).name)).toEqual(['b', 'c', 'a']);
    expect(f.calls[1]?.context).toEqual({ call: 1 });
    expect(f.calls[1]?.meta?.tag).toBe(f.calls[0]?.meta?.tag);
    expect(r.composed[0]?.resource.data).toEqual({ n: '3' });
    expect(r.requirements.s1?.cms?.kind).toBe('ConfigMap');
  });

  it('gives up when requirements never settle, with upstream message', async () => {
    const f = fn((_req, call) => ({
      requirements: { resources: { [`r${call}`]: { apiVersion: 'v1', kind: 'ConfigMap', matchName: 'a' } } },
    }));
    const err = await renderErr(input({ requiredResources: lookup, fns: { fn: f } }));
    expect(err.code).toBe(RenderErrorCode.RequirementsUnstable);
    expect(err.message).toBe(
      `cannot run Composition pipeline step "s1": requirements didn't stabilize after the maximum number of iterations (${MaxRequirementsIterations})`,
    );
    expect(f.calls).toHaveLength(MaxRequirementsIterations + 1);
  });

  it('fetches bootstrap requirements and credentials before the first call', async () => {
    const f = fn(() => ({}));
    const comp = composition([
      {
        step: 's1',
        requirements: { requiredResources: [{ requirementName: 'one', apiVersion: 'v1', kind: 'ConfigMap', name: 'a' }] },
        credentials: [{ name: 'creds', source: 'Secret', secretRef: { namespace: 'ns', name: 's' } }],
      },
    ]);
    await render(
      input({
        composition: comp,
        requiredResources: lookup,
        credentials: (ref) => (ref.name === 's' ? { token: new Uint8Array([1, 2]) } : undefined),
        fns: { fn: f },
      }),
    );
    expect(f.calls[0]?.requiredResources?.one?.items).toHaveLength(1);
    expect(f.calls[0]?.credentials?.creds?.credentialData?.data.token).toEqual(new Uint8Array([1, 2]));
  });

  it('fails with the step and credential when a credential Secret is missing', async () => {
    const comp = composition([
      { step: 's1', credentials: [{ name: 'creds', source: 'Secret', secretRef: { namespace: 'ns', name: 'gone' } }] },
    ]);
    const err = await renderErr(input({ composition: comp, credentials: () => undefined, fns: { fn: fn(() => ({})) } }));
    expect(err.code).toBe(RenderErrorCode.LookupFailed);
    expect(err.message).toBe('cannot get Composition pipeline step "s1" credential "creds" from Secret: Secret "gone" not found');
  });
});

describe('render: observed and removed resources', () => {
  it('ignores resources controlled by another owner, rejects anonymous ones, lists the ones no longer desired', async () => {
    const obs = (name: string, extra: JsonObject = {}) => ({
      resource: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, annotations: { 'crossplane.io/composition-resource-name': name }, ...extra },
      },
    });
    const r = await render(
      input({
        observed: [
          obs('keep'),
          obs('gone'),
          obs('foreign', { ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'other', controller: true }] }),
        ],
        fns: { fn: addResources({ keep: cm() }) },
      }),
    );
    expect(r.removed.map((o) => o.resource.metadata.name)).toEqual(['gone']);
    const anon = { resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'anon' } } };
    const err = await renderErr(input({ observed: [anon], fns: { fn: addResources({}) } }));
    expect(err.code).toBe(RenderErrorCode.InvalidInput);
    expect(err.message).toContain('encountered composed resource without required "crossplane.io/composition-resource-name" annotation');
  });
});

describe('render: dependencies', () => {
  it('reads declared dependencies and infers them from patch-and-transform patches, never closing a cycle', async () => {
    const ptInput = {
      apiVersion: 'pt.fn.crossplane.io/v1beta1',
      kind: 'Resources',
      patchSets: [
        { name: 'net', patches: [{ type: 'FromCompositeFieldPath', fromFieldPath: 'status.network.id', toFieldPath: 'spec.net' }] },
      ],
      resources: [
        {
          name: 'network',
          patches: [{ type: 'ToCompositeFieldPath', fromFieldPath: 'status.atProvider.id', toFieldPath: 'status.network.id' }],
        },
        { name: 'subnet', patches: [{ type: 'PatchSet', patchSetName: 'net' }] },
        {
          name: 'db',
          patches: [
            { type: 'CombineFromComposite', combine: { variables: [{ fromFieldPath: 'status.network' }] }, toFieldPath: 'spec.x' },
            { type: 'ToCompositeFieldPath', fromFieldPath: 'status.endpoint', toFieldPath: 'status.db' },
          ],
        },
        { name: 'app', patches: [{ fromFieldPath: 'status.db.host', toFieldPath: 'spec.host' }] },
        // network also reads what app writes: the inferred edge back would close a cycle and is dropped.
        { name: 'loop', patches: [{ type: 'ToCompositeFieldPath', fromFieldPath: 'a', toFieldPath: 'status.loop' }] },
      ],
    };
    const declared = { ...cm(), metadata: { annotations: { 'trellis.dev/depends-on': 'network, ghost' } } };
    const f = addResources({ network: cm(), subnet: cm(), db: cm(), app: declared, loop: cm() });
    const r = await render(input({ composition: composition([{ step: 's1', input: ptInput }]), fns: { fn: f } }));
    expect(r.dependencies).toEqual({ app: ['db', 'ghost', 'network'], db: ['network'], subnet: ['network'] });
    expect(r.dependencyEdges.filter((e) => e.source === 'declared')).toEqual([
      { name: 'app', dependsOn: 'network', source: 'declared' },
      { name: 'app', dependsOn: 'ghost', source: 'declared' },
    ]);
    expect(r.composed.find((c) => c.name === 'app')?.dependsOn).toEqual(['db', 'ghost', 'network']);
  });

  it('drops an inferred edge that would close a cycle', async () => {
    const ptInput = {
      apiVersion: 'pt.fn.crossplane.io/v1beta1',
      kind: 'Resources',
      resources: [
        {
          name: 'a',
          patches: [{ type: 'ToCompositeFieldPath', fromFieldPath: 'x', toFieldPath: 'status.a' }, { fromFieldPath: 'status.b' }],
        },
        {
          name: 'b',
          patches: [{ type: 'ToCompositeFieldPath', fromFieldPath: 'x', toFieldPath: 'status.b' }, { fromFieldPath: 'status.a' }],
        },
      ],
    };
    const r = await render(
      input({ composition: composition([{ step: 's1', input: ptInput }]), fns: { fn: addResources({ a: cm(), b: cm() }) } }),
    );
    expect(r.dependencyEdges).toEqual([{ name: 'a', dependsOn: 'b', source: 'inferred' }]);
  });
});

describe('render: XR conditions', () => {
  const dc = (name: string, ready: boolean): DesiredComposed =>
    ({
      name,
      ready,
      resource: { apiVersion: 'v1', kind: 'X', metadata: {} },
      connectionDetails: {},
      observed: false,
      dependsOn: [],
    }) as DesiredComposed;
  const cases: Record<string, { reason: string; composed: DesiredComposed[]; ready?: boolean; want: RenderResult['compositeConditions'] }> =
    {
      NoResources: {
        reason: 'an XR with nothing to compose is available',
        composed: [],
        want: [
          { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
          { type: 'Ready', status: 'True', reason: 'Available' },
        ],
      },
      Unready: {
        reason: 'unready resources are named, sorted, three at most',
        composed: [dc('e', false), dc('a', false), dc('d', false), dc('b', true), dc('c', false)],
        want: [
          { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
          { type: 'Ready', status: 'False', reason: 'Creating', message: 'Unready resources: a, c, d, and 1 more' },
        ],
      },
      ExplicitFalse: {
        reason: 'a function that says the XR is not ready wins, without a message',
        composed: [dc('a', true)],
        ready: false,
        want: [
          { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
          { type: 'Ready', status: 'False', reason: 'Creating' },
        ],
      },
      ExplicitTrue: {
        reason: 'a function that says the XR is ready wins over unready resources',
        composed: [dc('a', false)],
        ready: true,
        want: [
          { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' },
          { type: 'Ready', status: 'True', reason: 'Available' },
        ],
      },
    };
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      expect(compositeConditions(tc.composed, tc.ready)).toEqual(tc.want);
    });
  });

  it('lists names the way upstream StableNAndSomeMore does', () => {
    expect(stableNAndSomeMore(3, ['b', 'a'])).toBe('a, b');
    expect(stableNAndSomeMore(3, ['c', 'b', 'a'])).toBe('a, b, and c');
    expect(stableNAndSomeMore(3, ['e', 'd', 'c', 'b', 'a'])).toBe('a, b, c, and 2 more');
  });
});
