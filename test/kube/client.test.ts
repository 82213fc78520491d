// KubeClient against the real API server: every verb, error translation, and bad input
// (malformed kubeconfig, unreachable server, wrong token, hostile names).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConflict, isInvalid, isNotFound, KubeApiError, KubeErrorCode, newKubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { codeOf, formatError } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { installTestCrd, realTarget, uniqueGroup, useKube } from '../harness/targets.ts';

const target = realTarget();
const cmRef = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace });
const cm = (namespace: string, name: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
  data,
});

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('KubeClient verbs', () => {
  const kube = useKube(target, 'client');

  it('creates, gets, updates, patches and deletes a ConfigMap', async () => {
    const c = kube.client;
    const ns = kube.namespace;
    const created = await c.create(cm(ns, 'verbs', { a: '1' }));
    expect(created.apiVersion).toBe('v1');
    expect(created.kind).toBe('ConfigMap');
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);

    const got = await c.get(cmRef(ns, 'verbs'));
    expect(got.data).toEqual({ a: '1' });

    const updated = await c.update({ ...got, data: { a: '2' } });
    expect(updated.data).toEqual({ a: '2' });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(got.metadata.resourceVersion));

    const merged = await c.patch(cmRef(ns, 'verbs'), { type: 'merge', patch: { data: { b: '3' } } });
    expect(merged.data).toEqual({ a: '2', b: '3' });
    const jsonPatched = await c.patch(cmRef(ns, 'verbs'), { type: 'json', ops: [{ op: 'remove', path: '/data/a' }] });
    expect(jsonPatched.data).toEqual({ b: '3' });
    const strategic = await c.patch(cmRef(ns, 'verbs'), { type: 'strategic', patch: { metadata: { labels: { x: 'y' } } } });
    expect(strategic.metadata.labels).toEqual({ x: 'y' });

    expect(await c.delete(cmRef(ns, 'verbs'))).toBeUndefined();
    expect(await c.getIfExists(cmRef(ns, 'verbs'))).toBeUndefined();
  });

  it('applies server-side with a field manager, and managedFields read back are accepted again', async () => {
    const c = kube.client;
    const ns = kube.namespace;
    const applied = await c.apply(cm(ns, 'ssa', { k: 'v' }), { fieldManager: 'trellis-test' });
    expect(applied.data).toEqual({ k: 'v' });
    const managers = (applied.metadata.managedFields as { manager: string; operation: string }[]).map((m) => [m.manager, m.operation]);
    expect(managers).toEqual([['trellis-test', 'Apply']]);
    // Applying the object as read (with managedFields) works: the client strips them.
    const again = await c.apply(applied, { fieldManager: 'trellis-test' });
    expect(again.metadata.resourceVersion).toBe(applied.metadata.resourceVersion);
  });

  it('honours dryRun on create, apply, patch and delete', async () => {
    const c = kube.client;
    const ns = kube.namespace;
    const dry = await c.create(cm(ns, 'dry'), { dryRun: true });
    expect(dry.metadata.name).toBe('dry');
    expect(await c.getIfExists(cmRef(ns, 'dry'))).toBeUndefined();
    await c.apply(cm(ns, 'dry'), { fieldManager: 'm', dryRun: true });
    expect(await c.getIfExists(cmRef(ns, 'dry'))).toBeUndefined();
    await c.create(cm(ns, 'dry', { a: '1' }));
    await c.patch(cmRef(ns, 'dry'), { type: 'merge', patch: { data: { a: '2' } } }, { dryRun: true });
    await c.delete(cmRef(ns, 'dry'), { dryRun: true });
    expect((await c.get(cmRef(ns, 'dry'))).data).toEqual({ a: '1' });
  });

  it('lists with limit/continue, and listAll follows continue tokens', async () => {
    const c = kube.client;
    const ns = kube.namespace;
    for (let i = 0; i < 7; i++)
      await c.create({ ...cm(ns, `page-${i}`), metadata: { name: `page-${i}`, namespace: ns, labels: { page: 'yes' } } });
    const first = await c.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns, labelSelector: 'page=yes', limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.continue).toBeTruthy();
    expect(first.items.every((i) => i.kind === 'ConfigMap' && i.apiVersion === 'v1')).toBe(true);
    const all = await c.listAll({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns, labelSelector: 'page=yes', limit: 2 });
    expect(all.items.map((i) => i.metadata.name)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
    expect(all.resourceVersion).toMatch(/^\d+$/);
  });

  it('lists and watches metadata only', async () => {
    const c = kube.client;
    const ns = kube.namespace;
    await c.create(cm(ns, 'meta', { big: 'x'.repeat(1000) }));
    const list = await c.list(
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { namespace: ns, metadataOnly: true, fieldSelector: 'metadata.name=meta' },
    );
    expect(list.items).toHaveLength(1);
    const item = list.items[0] as KubeObject;
    expect(item.kind).toBe('ConfigMap');
    expect(item.metadata.name).toBe('meta');
    expect(item.data).toBeUndefined();

    const ac = new AbortController();
    const events: KubeObject[] = [];
    const watching = (async () => {
      for await (const ev of c.watch(
        { apiVersion: 'v1', kind: 'ConfigMap' },
        {
          namespace: ns,
          metadataOnly: true,
          resourceVersion: list.resourceVersion,
          signal: ac.signal,
        },
      )) {
        events.push(ev.object);
        ac.abort();
      }
    })();
    await c.patch(cmRef(ns, 'meta'), { type: 'merge', patch: { metadata: { labels: { seen: 'yes' } } } });
    await watching;
    expect(events[0]?.metadata.labels).toEqual({ seen: 'yes' });
    expect(events[0]?.data).toBeUndefined();
    expect(events[0]?.kind).toBe('ConfigMap');
  });

  it('discovers a CRD after it is established and serves its status subresource', async () => {
    const c = kube.client;
    const crd = await installTestCrd(c, { group: uniqueGroup('client'), kind: 'Gadget' });
    const info = await c.resourceFor({ apiVersion: crd.apiVersion, kind: 'Gadget' });
    expect(info).toEqual({
      group: crd.group,
      version: 'v1',
      kind: 'Gadget',
      resource: 'gadgets',
      namespaced: true,
      verbs: expect.arrayContaining(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']),
      subresources: ['status'],
    });
    const g = await c.create({
      apiVersion: crd.apiVersion,
      kind: 'Gadget',
      metadata: { name: 'g', namespace: kube.namespace },
      spec: { a: 1 },
    });
    const st = await c.updateStatus({ ...g, status: { phase: 'Ready' } });
    expect(st.status).toEqual({ phase: 'Ready' });
    const applied = await c.apply(
      { apiVersion: crd.apiVersion, kind: 'Gadget', metadata: { name: 'g', namespace: kube.namespace }, status: { phase: 'Applied' } },
      { fieldManager: 'status-mgr', subresource: 'status', force: true },
    );
    expect(applied.status).toEqual({ phase: 'Applied' });
    await c.deleteCollection({ apiVersion: crd.apiVersion, kind: 'Gadget' }, { namespace: kube.namespace });
    expect((await c.list({ apiVersion: crd.apiVersion, kind: 'Gadget' }, { namespace: kube.namespace })).items).toEqual([]);
    await crd.delete();
  });

  it('reads /version through raw()', async () => {
    const v = (await kube.client.raw('/version')) as { gitVersion?: string };
    expect(v.gitVersion).toMatch(/^v1\.\d+\.\d+/);
  });
});

describe('KubeClient errors', () => {
  const kube = useKube(target, 'errors');

  it('translates NotFound with a one-line message naming the object', async () => {
    const err = await rejection(kube.client.get(cmRef(kube.namespace, 'missing')));
    expect(err.code).toBe(KubeErrorCode.NotFound);
    expect(err.status).toBe(404);
    expect(err.reason).toBe('NotFound');
    expect(isNotFound(err)).toBe(true);
    expect(err.message).toBe(`cannot get ConfigMap "${kube.namespace}/missing": configmaps "missing" not found`);
    expect(err.subject).toEqual({ kind: 'ConfigMap', namespace: kube.namespace, name: 'missing' });
  });

  it('translates AlreadyExists and Conflict (stale resourceVersion, failed precondition)', async () => {
    const c = kube.client;
    const ns = kube.namespace;
    const first = await c.create(cm(ns, 'occ'));
    expect((await rejection(c.create(cm(ns, 'occ')))).code).toBe(KubeErrorCode.AlreadyExists);
    await c.update({ ...first, data: { a: '1' } });
    const stale = await rejection(c.update({ ...first, data: { a: '2' } }));
    expect(stale.code).toBe(KubeErrorCode.Conflict);
    expect(isConflict(stale)).toBe(true);
    expect(stale.status).toBe(409);
    const pre = await rejection(c.delete(cmRef(ns, 'occ'), { preconditions: { uid: '00000000-0000-0000-0000-000000000000' } }));
    expect(pre.code).toBe(KubeErrorCode.Conflict);
    await c.delete(cmRef(ns, 'occ'), { preconditions: { uid: first.metadata.uid ?? '' } });
  });

  it('translates Invalid with field causes', async () => {
    const err = await rejection(kube.client.create(cm(kube.namespace, 'Bad_Name')));
    expect(err.code).toBe(KubeErrorCode.Invalid);
    expect(isInvalid(err)).toBe(true);
    expect(err.status).toBe(422);
    expect(err.causes).toEqual([expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' })]);
    expect(err.message).not.toMatch(/\n/);
  });

  it('translates a strict field-validation failure to BadRequest', async () => {
    const err = await rejection(
      kube.client.create({ ...cm(kube.namespace, 'strict'), bogus: true } as KubeObject, { fieldValidation: 'Strict' }),
    );
    expect(err.code).toBe(KubeErrorCode.BadRequest);
    expect(err.message).toMatch(/unknown field "bogus"/);
  });

  it('rejects unknown kinds with KUBE_NO_KIND_MATCH', async () => {
    const err = kube.client.get({ apiVersion: 'nope.trellis.test/v1', kind: 'Ghost', name: 'x' });
    await expect(err).rejects.toMatchObject({ code: KubeErrorCode.NoKindMatch });
    await expect(kube.client.get({ apiVersion: 'v1', kind: 'Ghost', name: 'x', namespace: 'y' })).rejects.toMatchObject({
      code: KubeErrorCode.NoKindMatch,
      message: 'cannot get Ghost "y/x": no resource for Ghost.v1: the server does not serve kind "Ghost" in v1',
    });
  });

  it.each([
    ['empty name', ''],
    ['a slash', 'a/b'],
    ['dot-dot', '..'],
    ['a percent sign', 'a%2Fb'],
  ])('refuses a name with %s before sending anything', async (_what, name) => {
    await expect(kube.client.get(cmRef(kube.namespace, name))).rejects.toMatchObject({ code: KubeErrorCode.InvalidArgument });
  });

  it.each([
    ['a query string', 'a?watch=true'],
    ['a fragment', 'a#b'],
    ['unicode', 'ünïcødé'],
    ['spaces', 'a b'],
    ['a very long name', 'a'.repeat(300)],
  ])('sends a hostile name with %s safely encoded (the server answers NotFound or Invalid)', async (_what, name) => {
    const err = await rejection(kube.client.get(cmRef(kube.namespace, name)));
    expect([KubeErrorCode.NotFound, KubeErrorCode.Invalid, KubeErrorCode.BadRequest]).toContain(err.code);
    expect(err.message).not.toMatch(/\n/);
  });

  it('requires a namespace for namespaced kinds', async () => {
    await expect(kube.client.get({ apiVersion: 'v1', kind: 'ConfigMap', name: 'x' })).rejects.toMatchObject({
      code: KubeErrorCode.InvalidArgument,
      message: 'cannot get ConfigMap "x": namespace is required for namespaced kind ConfigMap',
    });
  });

  it('turns a caller abort into KUBE_ABORTED', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(kube.client.get(cmRef(kube.namespace, 'x'), { signal: ac.signal })).rejects.toMatchObject({ code: KubeErrorCode.Aborted });
  });
});

describe('KubeClient connection problems', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-kubeconfig-'));
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it.each([
    ['not YAML at all', '{{{{'],
    ['no clusters', 'apiVersion: v1\nkind: Config\ncurrent-context: x\n'],
    [
      'a server URL that is not a URL',
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "::nope"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    ],
  ])('rejects a malformed kubeconfig (%s) with KUBE_CONFIG_INVALID', async (_what, text) => {
    const path = write(`bad-${Math.random()}.yaml`, text);
    await expect(newKubeClient({ kubeconfigPath: path })).rejects.toMatchObject({ code: KubeErrorCode.ConfigInvalid });
  });

  it('rejects a missing kubeconfig file with KUBE_CONFIG_INVALID naming the file', async () => {
    const err = newKubeClient({ kubeconfigPath: join(dir, 'does-not-exist') });
    await expect(err).rejects.toMatchObject({ code: KubeErrorCode.ConfigInvalid });
    await expect(err).rejects.toThrow(/does-not-exist/);
  });

  it('reports an unreachable server as KUBE_UNAVAILABLE', async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const text = readFileSync(target.kubeconfigPath, 'utf8').replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      `server: https://127.0.0.1:${port}`,
    );
    const c = await newKubeClient({ kubeconfigPath: write('unreachable.yaml', text) });
    const err = await rejection(c.list({ apiVersion: 'v1', kind: 'Namespace' }));
    expect(err.code).toBe(KubeErrorCode.Unavailable);
    expect(err.status).toBe(0);
    expect(formatError(err)).toMatch(/ECONNREFUSED/);
    c.close();
  });

  it('reports a wrong token as KUBE_UNAUTHORIZED without leaking the token', async () => {
    const text = readFileSync(target.kubeconfigPath, 'utf8').replace(/token: \S+/, 'token: wrong-secret-token');
    const c = await newKubeClient({ kubeconfigPath: write('wrong-token.yaml', text) });
    const err = await rejection(c.list({ apiVersion: 'v1', kind: 'Namespace' }));
    expect(codeOf(err)).toBe(KubeErrorCode.Unauthorized);
    expect(err.status).toBe(401);
    expect(formatError(err)).not.toMatch(/wrong-secret-token/);
    c.close();
  });

  it('reports an untrusted server certificate as KUBE_UNAVAILABLE', async () => {
    const text = readFileSync(target.kubeconfigPath, 'utf8').replace(
      /certificate-authority: .*/,
      `certificate-authority: ${write('other-ca.crt', '')}`,
    );
    const c = await newKubeClient({ kubeconfigPath: write('untrusted.yaml', text) });
    const err = await rejection(c.list({ apiVersion: 'v1', kind: 'Namespace' }));
    expect(err.code).toBe(KubeErrorCode.Unavailable);
    c.close();
  });
});
