// Differential test: the same scripted request sequences (raw HTTP) run against the real
// kube-apiserver and the embedded server; every response's status code, reason, message, details
// and causes, the interesting parts of every returned object, and every watch event sequence must
// be identical once server-chosen values (uids, resourceVersions, timestamps, random names) are
// normalized. Accepted differences are listed in docs/compatibility.md and applied below, each
// where it is needed and nowhere else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServerTarget, apiServerTargets, uniqueName, waitFor } from '../harness/targets.ts';
import { deleteCrd, installCrd, widgetCrd } from './helpers.ts';
import { RawClient, type RawResponse, sub } from './raw.ts';

type Obj = Record<string, unknown>;

/** A Step is one observed request or watch, normalized. */
type Step = { step: string; status: number; body: unknown } | { step: string; events: unknown[] };

interface Ctx {
  c: RawClient;
  ns: string;
  group: string;
  steps: Step[];
}

const rec = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** Normalize keeps what must agree and masks what each server chooses. */
function normalize(v: unknown, ctx: { ns: string; group: string }): unknown {
  const text = JSON.stringify(v ?? null)
    .replaceAll(ctx.ns, '<ns>')
    .replaceAll(ctx.group, '<group>')
    .replace(/"resourceVersion":"\d+"/g, '"resourceVersion":"<rv>"')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uid>')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '<time>');
  return JSON.parse(text) as unknown;
}

/** Project reduces an object to the fields both servers must agree on. */
function project(o: unknown): unknown {
  const obj = rec(o);
  if (obj.kind === 'Status') {
    const details = rec(obj.details);
    const causes = Array.isArray(details.causes)
      ? [...(details.causes as Obj[])].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
      : undefined;
    // kube-apiserver lists several schema causes in no fixed order (Go map iteration), and its
    // message follows that order: compare the causes sorted, and the message rebuilt from them.
    let message = obj.message;
    const m = typeof message === 'string' ? /^(.* is invalid: )\[/.exec(message) : null;
    if (m !== null && causes !== undefined && causes.length > 1) {
      message = `${m[1]}[${[...new Set(causes.map((c) => (c.field === '' || c.field === undefined ? String(c.message) : `${String(c.field)}: ${String(c.message)}`)))].sort().join(', ')}]`;
    }
    return {
      kind: 'Status',
      status: obj.status,
      reason: obj.reason,
      message,
      code: obj.code,
      details: obj.details === undefined ? undefined : { ...details, causes },
    };
  }
  const m = rec(obj.metadata);
  const out: Obj = {
    kind: obj.kind,
    apiVersion: obj.apiVersion,
    metadata: {
      name: m.name,
      namespace: m.namespace,
      generation: m.generation,
      labels: m.labels,
      annotations: m.annotations,
      finalizers: m.finalizers,
      deleting: m.deletionTimestamp !== undefined,
      owners: Array.isArray(m.ownerReferences) ? (m.ownerReferences as Obj[]).map((r) => r.name) : undefined,
    },
  };
  for (const k of ['spec', 'status', 'data', 'type']) if (obj[k] !== undefined) out[k] = obj[k];
  if (Array.isArray(obj.items)) out.items = (obj.items as unknown[]).map(project);
  const lm = rec(obj.metadata);
  if (lm.continue !== undefined) (out.metadata as Obj).continue = '<continue>';
  if (lm.remainingItemCount !== undefined) (out.metadata as Obj).remainingItemCount = lm.remainingItemCount;
  return out;
}

async function req(x: Ctx, step: string, path: string, r: Parameters<RawClient['request']>[1] = {}): Promise<RawResponse> {
  const res = await x.c.request(path, r);
  x.steps.push({ step, status: res.status, body: normalize(project(res.json), x) });
  return res;
}

/** Watch records events from `path` until `until(events)` holds, after running `act`. */
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

const cmPath = (x: Ctx, name = ''): string => `/api/v1/namespaces/${x.ns}/configmaps${name === '' ? '' : `/${name}`}`;
const wPath = (x: Ctx, name = ''): string => `/apis/${x.group}/v1/namespaces/${x.ns}/widgets${name === '' ? '' : `/${name}`}`;
const cm = (name: string, data: Record<string, string>, labels?: Record<string, string>): Obj => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: labels === undefined ? { name } : { name, labels },
  data,
});
const widget = (x: Ctx, name: string, spec: Obj, extra: Obj = {}): Obj => ({
  apiVersion: `${x.group}/v1`,
  kind: 'Widget',
  metadata: { name },
  spec,
  ...extra,
});
const rvOf = (r: RawResponse): string => String(sub(r, 'metadata').resourceVersion);

/** The scripted scenarios. Each is run once per target with its own namespace and CRD group. */
const scenarios: Record<string, (x: Ctx) => Promise<void>> = {
  'ConfigMap CRUD and errors': async (x) => {
    const a = await req(x, 'create', cmPath(x), { method: 'POST', body: cm('a', { k: 'v' }) });
    await req(x, 'get', cmPath(x, 'a'));
    await req(x, 'create again', cmPath(x), { method: 'POST', body: cm('a', { k: 'v' }) });
    await req(x, 'update', cmPath(x, 'a'), {
      method: 'PUT',
      body: { ...cm('a', { k: 'v2' }), metadata: { name: 'a', resourceVersion: rvOf(a) } },
    });
    await req(x, 'update stale', cmPath(x, 'a'), {
      method: 'PUT',
      body: { ...cm('a', { k: 'v3' }), metadata: { name: 'a', resourceVersion: rvOf(a) } },
    });
    await req(x, 'update unconditional', cmPath(x, 'a'), { method: 'PUT', body: cm('a', { k: 'v4' }) });
    await req(x, 'merge patch', cmPath(x, 'a'), {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { data: { extra: 'e' }, metadata: { labels: { l: '1' } } },
    });
    await req(x, 'json patch', cmPath(x, 'a'), {
      method: 'PATCH',
      contentType: 'application/json-patch+json',
      body: [{ op: 'remove', path: '/data/k' }],
    });
    await req(x, 'strategic patch', cmPath(x, 'a'), {
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      body: { data: { s: 'x' } },
    });
    await req(x, 'patch precondition', cmPath(x, 'a'), {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { metadata: { resourceVersion: '1' }, data: { z: 'z' } },
    });
    await req(x, 'get missing', cmPath(x, 'nope'));
    await req(x, 'patch missing', cmPath(x, 'nope'), { method: 'PATCH', contentType: 'application/merge-patch+json', body: { data: {} } });
    await req(x, 'delete', cmPath(x, 'a'), { method: 'DELETE' });
    await req(x, 'delete again', cmPath(x, 'a'), { method: 'DELETE' });
    await req(x, 'bad name', cmPath(x), { method: 'POST', body: cm('UPPER', {}) });
    await req(x, 'bad data key', cmPath(x), { method: 'POST', body: cm('badkey', { 'a b': 'x' }) });
  },

  'custom resource: status subresource, generation, validation': async (x) => {
    await req(x, 'create drops status', wPath(x), { method: 'POST', body: widget(x, 'w', { size: 2 }, { status: { phase: 'Ignored' } }) });
    const w = await req(x, 'get', wPath(x, 'w'));
    await req(x, 'put ignores status, bumps generation', wPath(x, 'w'), {
      method: 'PUT',
      body: { ...widget(x, 'w', { size: 3 }, { status: { phase: 'Ignored' } }), metadata: { name: 'w', resourceVersion: rvOf(w) } },
    });
    await req(x, 'status patch', wPath(x, 'w/status'), {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { status: { phase: 'Ready' }, spec: { size: 9 } },
    });
    await req(x, 'label patch keeps generation', wPath(x, 'w'), {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { metadata: { labels: { a: 'b' } } },
    });
    await req(x, 'invalid spec', wPath(x), { method: 'POST', body: widget(x, 'bad', { size: 11, color: 'pink' }) });
    await req(x, 'invalid on update', wPath(x, 'w'), {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { spec: { size: 0 } },
    });
    await req(x, 'wrong kind', wPath(x), { method: 'POST', body: { ...widget(x, 'wk', { size: 1 }), kind: 'Gizmo' } });
    await req(x, 'wrong version', wPath(x), { method: 'POST', body: { ...widget(x, 'wv', { size: 1 }), apiVersion: `${x.group}/v9` } });
    await req(x, 'generateName', wPath(x), { method: 'POST', body: { ...widget(x, '', { size: 1 }), metadata: { generateName: 'gen-' } } });
    await req(x, 'dry run create', `${wPath(x)}?dryRun=All`, { method: 'POST', body: widget(x, 'dry', { size: 1 }) });
    await req(x, 'dry run left nothing', wPath(x, 'dry'));
    await req(x, 'strategic merge on a CR', wPath(x, 'w'), {
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { size: 1 } },
    });
    await req(x, 'unknown subresource', wPath(x, 'w/scale'));
  },

  'finalizers and deletion': async (x) => {
    await req(x, 'create with finalizer', wPath(x), {
      method: 'POST',
      body: { ...widget(x, 'f', { size: 1 }), metadata: { name: 'f', finalizers: ['example.com/hold'] } },
    });
    await watch(
      x,
      'watch the deletion',
      `${wPath(x)}?watch=true&fieldSelector=metadata.name%3Df&resourceVersion=${rvOf(await x.c.request(wPath(x, 'f')))}`,
      async () => {
        await req(x, 'delete marks', wPath(x, 'f'), { method: 'DELETE' });
        await req(x, 'delete again keeps waiting', wPath(x, 'f'), { method: 'DELETE' });
        await req(x, 'no new finalizers while deleting', wPath(x, 'f'), {
          method: 'PATCH',
          contentType: 'application/merge-patch+json',
          body: { metadata: { finalizers: ['example.com/hold', 'example.com/more'] } },
        });
        await req(x, 'remove the finalizer', wPath(x, 'f'), {
          method: 'PATCH',
          contentType: 'application/json-patch+json',
          body: [{ op: 'remove', path: '/metadata/finalizers' }],
        });
      },
      (evs) => evs.some((e) => e.type === 'DELETED'),
    );
    await req(x, 'gone', wPath(x, 'f'));
    await req(x, 'delete with a uid precondition', cmPath(x), { method: 'POST', body: cm('pre', {}) });
    await req(x, 'stale uid precondition', cmPath(x, 'pre'), {
      method: 'DELETE',
      body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: '00000000-0000-0000-0000-000000000000' } },
    });
  },

  'watch: events, selector transitions, resume': async (x) => {
    const list = await x.c.request(`${cmPath(x)}?labelSelector=team%3Dblue`);
    const rv = rvOf(list);
    await watch(
      x,
      'label-selected watch',
      `${cmPath(x)}?watch=true&labelSelector=team%3Dblue&resourceVersion=${rv}`,
      async () => {
        await x.c.request(cmPath(x), { method: 'POST', body: cm('w1', { n: '1' }, { team: 'blue' }) });
        await x.c.request(cmPath(x), { method: 'POST', body: cm('w2', { n: '1' }, { team: 'red' }) });
        await x.c.request(cmPath(x, 'w1'), { method: 'PATCH', contentType: 'application/merge-patch+json', body: { data: { n: '2' } } });
        await x.c.request(cmPath(x, 'w1'), {
          method: 'PATCH',
          contentType: 'application/merge-patch+json',
          body: { metadata: { labels: { team: 'red' } } },
        });
        await x.c.request(cmPath(x, 'w2'), {
          method: 'PATCH',
          contentType: 'application/merge-patch+json',
          body: { metadata: { labels: { team: 'blue' } } },
        });
        await x.c.request(cmPath(x, 'w2'), { method: 'DELETE' });
      },
      (evs) => evs.filter((e) => e.type !== 'BOOKMARK').length >= 5,
    );
    // Resume from the list's resourceVersion: the same history is replayed.
    await watch(
      x,
      'resumed watch',
      `${cmPath(x)}?watch=true&resourceVersion=${rv}`,
      async () => {},
      (evs) => evs.filter((e) => e.type === 'DELETED').length >= 1,
    );
    // No resourceVersion: synthetic ADDED for what exists.
    await watch(
      x,
      'watch from now',
      `${cmPath(x)}?watch=true`,
      async () => {},
      (evs) => evs.length >= 1,
    );
  },

  'list: paging, selectors, deletecollection': async (x) => {
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5'])
      await x.c.request(cmPath(x), { method: 'POST', body: cm(n, { n }, { group: n < 'p4' ? 'low' : 'high' }) });
    const page1 = await req(x, 'page 1', `${cmPath(x)}?limit=2`);
    const page2 = await req(x, 'page 2', `${cmPath(x)}?limit=2&continue=${encodeURIComponent(String(sub(page1, 'metadata').continue))}`);
    await req(x, 'page 3', `${cmPath(x)}?limit=2&continue=${encodeURIComponent(String(sub(page2, 'metadata').continue))}`);
    await req(x, 'label selector', `${cmPath(x)}?labelSelector=group%20in%20(high)`);
    await req(x, 'field selector', `${cmPath(x)}?fieldSelector=metadata.name%21%3Dp1,metadata.name%21%3Dp2`);
    await req(x, 'bad continue', `${cmPath(x)}?limit=2&continue=notatoken`);
    await req(x, 'delete collection', `${cmPath(x)}?labelSelector=group%3Dlow`, { method: 'DELETE' });
    await req(x, 'what is left', cmPath(x));
  },

  'server-side apply basics': async (x) => {
    const apply = (name: string, spec: Obj, manager: string, force = false): Promise<RawResponse> =>
      req(
        x,
        `apply ${name} by ${manager}${force ? ' (force)' : ''}`,
        `${wPath(x, name)}?fieldManager=${manager}${force ? '&force=true' : ''}`,
        {
          method: 'PATCH',
          contentType: 'application/apply-patch+yaml',
          body: widget(x, name, spec),
        },
      );
    await apply('s', { size: 1, color: 'red' }, 'alice');
    await apply('s', { size: 1, color: 'red' }, 'alice');
    await req(x, 'apply with a wrong apiVersion', `${wPath(x, 's')}?fieldManager=alice`, {
      method: 'PATCH',
      contentType: 'application/apply-patch+yaml',
      body: { ...widget(x, 's', { size: 1 }), apiVersion: `${x.group}/v2` },
    });
    await req(x, 'apply with managedFields', `${wPath(x, 's')}?fieldManager=alice`, {
      method: 'PATCH',
      contentType: 'application/apply-patch+yaml',
      body: { ...widget(x, 's', { size: 1 }), metadata: { name: 's', managedFields: [{ manager: 'x' }] } },
    });
  },
};

describe('differential: the embedded server answers like kube-apiserver', () => {
  const targets = apiServerTargets();
  const real = targets.find((t) => t.name === 'real') as ApiServerTarget;
  const embedded = targets.find((t) => t.name === 'embedded') as ApiServerTarget;
  const clients = new Map<string, RawClient>();
  const groups = new Map<string, string>();
  beforeAll(async () => {
    for (const t of [real, embedded]) {
      const c = RawClient.fromKubeconfig(t.kubeconfigPath);
      clients.set(t.name, c);
      const group = `diff-${t.name}-${Math.random().toString(36).slice(2, 8)}.trellis.test`;
      groups.set(t.name, group);
      await installCrd(c, widgetCrd(group), `/apis/${group}/v1/widgets`);
    }
  });
  afterAll(async () => {
    for (const [name, c] of clients) {
      await deleteCrd(c, `widgets.${groups.get(name) as string}`);
      c.close();
    }
  });

  for (const [name, scenario] of Object.entries(scenarios)) {
    it(name, async () => {
      const runs: Record<string, Step[]> = {};
      for (const t of [real, embedded]) {
        const c = clients.get(t.name) as RawClient;
        const ns = uniqueName('diff');
        expect(
          (await c.request('/api/v1/namespaces', { method: 'POST', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } }))
            .status,
        ).toBe(201);
        const x: Ctx = { c, ns, group: groups.get(t.name) as string, steps: [] };
        try {
          await scenario(x);
        } finally {
          await c.request(`/api/v1/namespaces/${ns}`, { method: 'DELETE' });
        }
        runs[t.name] = acceptDifferences(x.steps);
      }
      expect(runs.embedded).toEqual(runs.real);
    });
  }
});

/**
 * AcceptDifferences masks the documented differences (docs/compatibility.md, "Embedded API
 * server"): generated name suffixes are random on both servers.
 */
function acceptDifferences(steps: Step[]): Step[] {
  return JSON.parse(JSON.stringify(steps).replace(/gen-[bcdfghjklmnpqrstvwxz2456789]{5}/g, 'gen-<random>')) as Step[];
}
