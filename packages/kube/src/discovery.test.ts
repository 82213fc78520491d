import { describe, expect, it } from 'vitest';
import { Discovery } from './discovery.ts';
import { KubeErrorCode } from './errors.ts';

const widgetsDoc = {
  kind: 'APIResourceList',
  groupVersion: 'example.com/v1',
  resources: [
    { name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', verbs: ['get', 'list', 'watch'] },
    { name: 'widgets/status', singularName: '', namespaced: true, kind: 'Widget', verbs: ['get', 'patch', 'update'] },
    { name: 'widgets/scale', singularName: '', namespaced: true, kind: 'Scale', verbs: ['get'] },
    { name: 'gizmos', namespaced: false, kind: 'Gizmo', verbs: ['get'] },
  ],
};

/** FakeServer serves discovery documents from a mutable map and counts requests. */
function fakeServer(docs: Record<string, unknown>) {
  const calls: string[] = [];
  const fetch = async (path: string) => {
    calls.push(path);
    const body = docs[path];
    return body === undefined ? { status: 404, body: { kind: 'Status', reason: 'NotFound' } } : { status: 200, body };
  };
  return { calls, fetch, docs };
}

describe('Discovery', () => {
  it('maps a kind to its resource, scope, verbs and subresources, and caches the document', async () => {
    const s = fakeServer({ '/apis/example.com/v1': widgetsDoc });
    const d = new Discovery(s.fetch);
    expect(await d.resourceFor({ apiVersion: 'example.com/v1', kind: 'Widget' })).toEqual({
      group: 'example.com',
      version: 'v1',
      kind: 'Widget',
      resource: 'widgets',
      namespaced: true,
      verbs: ['get', 'list', 'watch'],
      subresources: ['scale', 'status'],
    });
    expect(await d.resourceFor({ apiVersion: 'example.com/v1', kind: 'Gizmo' })).toMatchObject({ resource: 'gizmos', namespaced: false });
    expect(s.calls).toEqual(['/apis/example.com/v1']);
  });

  it('uses /api/v1 for the core group', async () => {
    const s = fakeServer({ '/api/v1': { resources: [{ name: 'configmaps', namespaced: true, kind: 'ConfigMap', verbs: [] }] } });
    expect(await new Discovery(s.fetch).resourceFor({ apiVersion: 'v1', kind: 'ConfigMap' })).toMatchObject({
      group: '',
      resource: 'configmaps',
    });
  });

  it('refreshes a cached group-version once when a kind is missing (a CRD just established)', async () => {
    const s = fakeServer({ '/apis/example.com/v1': { resources: [] } });
    const d = new Discovery(s.fetch);
    await expect(d.resourceFor({ apiVersion: 'example.com/v1', kind: 'Widget' })).rejects.toMatchObject({
      code: KubeErrorCode.NoKindMatch,
    });
    s.docs['/apis/example.com/v1'] = widgetsDoc;
    expect(await d.resourceFor({ apiVersion: 'example.com/v1', kind: 'Widget' })).toMatchObject({ resource: 'widgets' });
    expect(s.calls).toEqual(['/apis/example.com/v1', '/apis/example.com/v1']);
  });

  it('reports a group-version the server does not serve', async () => {
    const d = new Discovery(fakeServer({}).fetch);
    await expect(d.resourceFor({ apiVersion: 'nope.io/v9', kind: 'X' })).rejects.toMatchObject({
      code: KubeErrorCode.NoKindMatch,
      message: 'cannot map X objects: no resource for X.nope.io/v9: the server does not serve nope.io/v9',
    });
  });

  it('shares one request between concurrent lookups and refetches after invalidate()', async () => {
    const s = fakeServer({ '/apis/example.com/v1': widgetsDoc });
    const d = new Discovery(s.fetch);
    await Promise.all([1, 2, 3].map(() => d.resourceFor({ apiVersion: 'example.com/v1', kind: 'Widget' })));
    expect(s.calls).toHaveLength(1);
    d.invalidate();
    await d.resourceFor({ apiVersion: 'example.com/v1', kind: 'Widget' });
    expect(s.calls).toHaveLength(2);
  });

  it.each([
    ['no apiVersion', { apiVersion: '', kind: 'X' }],
    ['no kind', { apiVersion: 'v1', kind: '' }],
  ])('rejects a type with %s', async (_what, type) => {
    await expect(new Discovery(fakeServer({}).fetch).resourceFor(type)).rejects.toMatchObject({ code: KubeErrorCode.InvalidArgument });
  });

  it('ignores malformed entries of a hostile document', async () => {
    const s = fakeServer({
      '/apis/example.com/v1': { resources: [null, 7, { name: 5 }, { name: 'x' }, { name: 'widgets', kind: 'Widget', verbs: [1, 'get'] }] },
    });
    expect(await new Discovery(s.fetch).resourceFor({ apiVersion: 'example.com/v1', kind: 'Widget' })).toMatchObject({ verbs: ['get'] });
  });

  it('propagates server errors other than 404 as translated errors', async () => {
    const d = new Discovery(async () => ({ status: 503, body: { kind: 'Status', reason: 'ServiceUnavailable', message: 'down' } }));
    await expect(d.resourceFor({ apiVersion: 'example.com/v1', kind: 'Widget' })).rejects.toMatchObject({
      code: KubeErrorCode.Unavailable,
    });
  });
});
