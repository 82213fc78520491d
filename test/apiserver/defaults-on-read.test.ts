// Differential test: CRD `default`s are applied when objects are read from storage, not only when
// they are written. kube-apiserver's storage codec for custom resources runs the structural
// defaulter on every decode, so get, list, watch and the object a write returns all carry the
// defaults, including `status` defaults on an object whose status the create dropped (status
// subresource) and defaults a CRD gained after the object was stored. The same scripted requests
// run against the real kube-apiserver and the embedded server; every normalized response and
// watch event must be identical, and the real server's answers are pinned where they matter
// (what kube does is the specification).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServerTarget, apiServerTargets, uniqueName, waitFor } from '../harness/targets.ts';
import { createNamespace, deleteCrd, deleteNamespace, installCrd } from './helpers.ts';
import { RawClient, type RawResponse, sub } from './raw.ts';

type Obj = Record<string, unknown>;
type Step = { step: string; status: number; body: unknown } | { step: string; events: unknown[] };

interface Ctx {
  c: RawClient;
  ns: string;
  group: string;
  steps: Step[];
}

const rec = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** GadgetCrd: a status subresource, a spec default and a status default (as the engine's XR and claim CRDs have). */
function gadgetCrd(group: string, extraSpecDefault = false): Obj {
  const spec: Obj = {
    type: 'object',
    properties: {
      size: { type: 'integer' },
      color: { type: 'string', default: 'red' },
      ...(extraSpecDefault ? { shape: { type: 'string', default: 'round' } } : {}),
    },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `gadgets.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec,
                status: {
                  type: 'object',
                  default: { observedGeneration: 0 },
                  properties: { observedGeneration: { type: 'integer' }, phase: { type: 'string' } },
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** Normalize masks what each server chooses (names of the namespace and group, rvs, uids, times). */
function normalize(v: unknown, x: { ns: string; group: string }): unknown {
  const text = JSON.stringify(v ?? null)
    .replaceAll(x.ns, '<ns>')
    .replaceAll(x.group, '<group>')
    .replace(/"resourceVersion":"\d+"/g, '"resourceVersion":"<rv>"')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>');
  return JSON.parse(text) as unknown;
}

/** Project keeps what both servers must agree on: the body of objects and lists, the code of a Status. */
function project(o: unknown): unknown {
  const obj = rec(o);
  if (obj.kind === 'Status') return { kind: 'Status', status: obj.status, reason: obj.reason, message: obj.message, code: obj.code };
  if (Array.isArray(obj.items)) return { kind: obj.kind, items: (obj.items as unknown[]).map(project) };
  const m = rec(obj.metadata);
  const out: Obj = { kind: obj.kind, metadata: { name: m.name, generation: m.generation, labels: m.labels } };
  for (const k of ['spec', 'status']) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

async function req(x: Ctx, step: string, path: string, r: Parameters<RawClient['request']>[1] = {}): Promise<RawResponse> {
  const res = await x.c.request(path, r);
  x.steps.push({ step, status: res.status, body: normalize(project(res.json), x) });
  return res;
}

/** Watch records the events of `path` until `until(events)` holds, after running `act`. */
async function watch(x: Ctx, step: string, path: string, act: () => Promise<void>, until: (evs: Obj[]) => boolean): Promise<void> {
  const events: Obj[] = [];
  const w = await x.c.watch(path, (ev) => events.push(ev as unknown as Obj));
  try {
    await act();
    await waitFor(`${step} events`, () => until(events), { timeoutMs: 30_000, intervalMs: 20 });
  } finally {
    w.stop();
  }
  x.steps.push({
    step,
    events: events.filter((e) => e.type !== 'BOOKMARK').map((e) => normalize({ type: e.type, object: project(e.object) }, x)),
  });
}

const gPath = (x: Ctx, name = ''): string => `/apis/${x.group}/v1/namespaces/${x.ns}/gadgets${name === '' ? '' : `/${name}`}`;
const gadget = (x: Ctx, name: string, spec: Obj): Obj => ({ apiVersion: `${x.group}/v1`, kind: 'Gadget', metadata: { name }, spec });
const rvOf = (r: RawResponse): string => String(sub(r, 'metadata').resourceVersion);
const merge = 'application/merge-patch+json';

/** Scenario is run once per server, in a namespace and CRD group of its own. */
async function scenario(x: Ctx): Promise<void> {
  await watch(
    x,
    'watch from now: creates carry the defaults',
    `${gPath(x)}?watch=true&resourceVersion=${rvOf(await x.c.request(gPath(x)))}`,
    async () => {
      await req(x, 'create drops status; the response is defaulted', gPath(x), {
        method: 'POST',
        body: { ...gadget(x, 'a', { size: 1 }), status: { phase: 'Ignored' } },
      });
      await req(x, 'create b', gPath(x), { method: 'POST', body: gadget(x, 'b', { size: 2, color: 'blue' }) });
    },
    (evs) => evs.filter((e) => e.type === 'ADDED').length >= 2,
  );
  await req(x, 'get a', gPath(x, 'a'));
  await req(x, 'list', gPath(x));
  await req(x, 'list with a limit', `${gPath(x)}?limit=1`);
  await req(x, 'dry-run create', `${gPath(x)}?dryRun=All`, { method: 'POST', body: gadget(x, 'dry', { size: 3 }) });
  await req(x, 'json patch tests the defaulted status', gPath(x, 'b'), {
    method: 'PATCH',
    contentType: 'application/json-patch+json',
    body: [
      { op: 'test', path: '/status/observedGeneration', value: 0 },
      { op: 'add', path: '/metadata/labels', value: { tested: 'yes' } },
    ],
  });
  const a = await x.c.request(gPath(x, 'a'));
  await req(x, 'put of the main resource keeps the defaulted status', gPath(x, 'a'), {
    method: 'PUT',
    body: { ...gadget(x, 'a', { size: 4 }), metadata: { name: 'a', resourceVersion: rvOf(a) } },
  });
  await req(x, 'status patch', gPath(x, 'b/status'), { method: 'PATCH', contentType: merge, body: { status: { phase: 'Ready' } } });
  await req(x, 'status patch removing the status', gPath(x, 'b/status'), {
    method: 'PATCH',
    contentType: merge,
    body: { status: null },
  });
  await req(x, 'apply c', `${gPath(x, 'c')}?fieldManager=tester`, {
    method: 'PATCH',
    contentType: 'application/apply-patch+yaml',
    body: gadget(x, 'c', { size: 5 }),
  });
  await req(x, 'delete with a finalizer returns the object', gPath(x), {
    method: 'POST',
    body: { ...gadget(x, 'f', { size: 6 }), metadata: { name: 'f', finalizers: ['example.com/hold'] } },
  });
  await req(x, 'delete f', gPath(x, 'f'), { method: 'DELETE' });
  await req(x, 'release f', gPath(x, 'f'), { method: 'PATCH', contentType: merge, body: { metadata: { finalizers: null } } });
}

/** AfterCrdChange runs once the CRD has a new spec default: stored objects gain it on read. */
async function afterCrdChange(x: Ctx): Promise<void> {
  await req(x, 'get a after the CRD gained a default', gPath(x, 'a'));
  await req(x, 'list after the CRD gained a default', gPath(x));
  await watch(
    x,
    'initial events after the CRD gained a default',
    `${gPath(x)}?watch=true`,
    async () => {},
    (evs) => evs.filter((e) => e.type === 'ADDED').length >= 3,
  );
}

describe('differential: CRD defaults are applied on read (get, list, watch, write responses)', () => {
  const targets = apiServerTargets();
  const pick = (name: string): ApiServerTarget => targets.find((t) => t.name === name) as ApiServerTarget;
  const servers = [pick('real'), pick('embedded')];
  const ctxs = new Map<string, Ctx>();

  beforeAll(async () => {
    for (const t of servers) {
      const c = RawClient.fromKubeconfig(t.kubeconfigPath);
      const x: Ctx = { c, ns: uniqueName('defaults'), group: `${uniqueName(`def-${t.name}`)}.trellis.test`, steps: [] };
      ctxs.set(t.name, x);
      await installCrd(c, gadgetCrd(x.group), `/apis/${x.group}/v1/gadgets`);
      await createNamespace(c, x.ns);
    }
  });
  afterAll(async () => {
    for (const x of ctxs.values()) {
      await deleteNamespace(x.c, x.ns);
      await deleteCrd(x.c, `gadgets.${x.group}`);
      x.c.close();
    }
  });

  it('answers every read and write with the defaults, as kube-apiserver does', async () => {
    for (const t of servers) await scenario(ctxs.get(t.name) as Ctx);
    const real = (ctxs.get('real') as Ctx).steps;
    // What kube does, pinned: the create response and the watch event of a new object carry the
    // status default although the create dropped `status`.
    const created = real.find((s) => s.step.startsWith('create drops status')) as { body: Obj };
    expect(created.body).toMatchObject({ spec: { size: 1, color: 'red' }, status: { observedGeneration: 0 } });
    const watched = real.find((s) => s.step.startsWith('watch from now')) as { events: Obj[] };
    expect(watched.events[0]).toMatchObject({ type: 'ADDED', object: { status: { observedGeneration: 0 } } });
    expect((ctxs.get('embedded') as Ctx).steps).toEqual(real);
  });

  it('applies a default the CRD gained after the objects were stored', async () => {
    for (const t of servers) {
      const x = ctxs.get(t.name) as Ctx;
      x.steps = [];
      const crd = await x.c.request(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.${x.group}`);
      const next = gadgetCrd(x.group, true);
      (next.metadata as Obj).resourceVersion = rvOf(crd);
      const put = await x.c.request(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.${x.group}`, {
        method: 'PUT',
        body: next,
      });
      expect(put.status).toBe(200);
      // The server switches to the new schema asynchronously (kube: when its CRD informer sees it).
      await waitFor(
        `${t.name}: the new default to be served`,
        async () => rec(sub(await x.c.request(gPath(x, 'a')), 'spec')).shape === 'round',
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      await afterCrdChange(x);
    }
    const real = (ctxs.get('real') as Ctx).steps;
    const got = real.find((s) => s.step.startsWith('get a after')) as { body: Obj };
    expect(got.body).toMatchObject({ spec: { size: 4, color: 'red', shape: 'round' } });
    expect((ctxs.get('embedded') as Ctx).steps).toEqual(real);
  });
});
