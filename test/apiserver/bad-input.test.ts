// Bad input, against the real kube-apiserver and the embedded server alike: each case asserts the
// status code, reason and causes kube-apiserver answers with, so both targets must agree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiServerTargets, uniqueGroup, uniqueName } from '../harness/targets.ts';
import { createNamespace, deleteCrd, deleteNamespace, installCrd, widgetCrd } from './helpers.ts';
import { RawClient, type RawResponse, statusOf } from './raw.ts';

/** Sub returns a top-level object field of a response body (empty when absent). */
function sub(r: RawResponse, key: string): Record<string, unknown> {
  const v = r.json?.[key];
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

function causesOf(r: RawResponse): Array<{ field: string; reason: string; message: string }> {
  const c = sub(r, 'details').causes;
  return Array.isArray(c) ? (c as Array<{ field: string; reason: string; message: string }>) : [];
}

describe.each(apiServerTargets())('bad input on $name', (target) => {
  let c: RawClient;
  const ns = uniqueName('bad');
  const group = uniqueGroup('bad');
  const widgets = `/apis/${group}/v1/namespaces/${ns}/widgets`;
  const cms = `/api/v1/namespaces/${ns}/configmaps`;
  const widget = (name: string, spec: Record<string, unknown>): Record<string, unknown> => ({
    apiVersion: `${group}/v1`,
    kind: 'Widget',
    metadata: { name },
    spec,
  });

  beforeAll(async () => {
    c = RawClient.fromKubeconfig(target.kubeconfigPath, 128);
    await createNamespace(c, ns);
    await installCrd(c, widgetCrd(group), widgets);
  });
  afterAll(async () => {
    await deleteCrd(c, `widgets.${group}`);
    await deleteNamespace(c, ns);
    c.close();
  });

  it('malformed JSON is 400 BadRequest', async () => {
    const r = await c.request(cms, {
      method: 'POST',
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":',
      contentType: 'application/json',
    });
    expect(statusOf(r)).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(r.headers['content-type']).toMatch(/^application\/json/);
  });

  it('malformed YAML is 400 BadRequest', async () => {
    const r = await c.request(cms, {
      method: 'POST',
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n',
      contentType: 'application/yaml',
    });
    expect(statusOf(r)).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('a JSON array instead of an object is 400 BadRequest', async () => {
    const r = await c.request(widgets, { method: 'POST', body: '[1,2]' });
    expect(statusOf(r)).toMatchObject({ code: 400, reason: 'BadRequest' });
  });

  it('schema violations are 422 Invalid with one cause per field', async () => {
    const r = await c.request(widgets, { method: 'POST', body: widget('w-bad', { size: 0, color: 'pink', name: 'ABCDEFG' }) });
    expect(r.status).toBe(422);
    expect(r.json?.reason).toBe('Invalid');
    expect(r.json?.details).toMatchObject({ name: 'w-bad', group, kind: 'Widget' });
    // kube-apiserver reports the causes in no fixed order (Go map iteration); compare them as a set.
    const causes = causesOf(r);
    expect([...causes].sort((x, y) => (x.field + x.reason < y.field + y.reason ? -1 : 1))).toEqual([
      {
        reason: 'FieldValueNotSupported',
        message: 'Unsupported value: "pink": supported values: "red", "green", "blue"',
        field: 'spec.color',
      },
      { reason: 'FieldValueTooLong', message: 'Too long: may not be more than 5 bytes', field: 'spec.name' },
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 0: spec.size in body should be greater than or equal to 1',
        field: 'spec.size',
      },
    ]);
    expect(String(r.json?.message)).toMatch(new RegExp(`^Widget\\.${group.replace(/\./g, '\\.')} "w-bad" is invalid: \\[`));
  });

  it('a missing required field and a wrong type are 422 with Required and TypeInvalid causes', async () => {
    const r = await c.request(widgets, { method: 'POST', body: widget('w-req', { color: 'red', tags: 'not-a-list' }) });
    expect(r.status).toBe(422);
    const causes = causesOf(r).map((x) => `${x.reason} ${x.field}`);
    expect(causes).toEqual(expect.arrayContaining(['FieldValueRequired spec.size', 'FieldValueTypeInvalid spec.tags']));
  });

  it('an invalid name is 422 with a metadata.name cause', async () => {
    const r = await c.request(cms, { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } } });
    expect(statusOf(r)).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(causesOf(r).map((x) => x.field)).toEqual(['metadata.name']);
  });

  it('a body over 3 MiB is 413 RequestEntityTooLarge', async () => {
    const big = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } };
    const r = await c.request(cms, { method: 'POST', body: big });
    expect(statusOf(r)).toMatchObject({ code: 413, reason: 'RequestEntityTooLarge' });
    expect(r.json?.message).toBe('Request entity too large: limit is 3145728');
  });

  it('a chunked body over 3 MiB (no Content-Length) is 413 too, and the connection keeps serving', async () => {
    const big = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big-chunked' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 10) } };
    const r = await c.request(cms, { method: 'POST', body: big, chunked: true });
    expect(statusOf(r)).toMatchObject({ code: 413, reason: 'RequestEntityTooLarge' });
    const after = await c.request(`${cms}/big-chunked`);
    expect(after.status).toBe(404);
  });

  it('unknown fields under fieldValidation=Strict are 400 naming each field; Warn warns; Ignore drops them', async () => {
    const strict = await c.request(`${widgets}?fieldValidation=Strict`, {
      method: 'POST',
      body: { ...widget('w-strict', { size: 1, bogus: true }), extra: 1 },
    });
    expect(statusOf(strict)).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(strict.json?.message).toBe(
      `Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "extra", unknown field "spec.bogus"`,
    );
    const cmStrict = await c.request(`${cms}?fieldValidation=Strict`, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-strict' }, bogus: 1 },
    });
    expect(statusOf(cmStrict)).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(cmStrict.json?.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"',
    );
    const warn = await c.request(widgets, { method: 'POST', body: widget('w-warn', { size: 1, bogus: true }) });
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toBe('299 - "unknown field \\"spec.bogus\\""');
    expect(sub(warn, 'spec').bogus).toBeUndefined();
    const ignore = await c.request(`${widgets}?fieldValidation=Ignore`, {
      method: 'POST',
      body: widget('w-ignore', { size: 1, bogus: true }),
    });
    expect(ignore.status).toBe(201);
    expect(ignore.headers.warning).toBeUndefined();
  });

  it('a duplicate field under Strict is 400', async () => {
    const r = await c.request(`${cms}?fieldValidation=Strict`, {
      method: 'POST',
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1","a":"2"}}',
    });
    expect(statusOf(r)).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(String(r.json?.message)).toContain('duplicate field "data.a"');
  });

  it('1,000 concurrent updates from one resourceVersion: exactly one wins, the rest get 409 Conflict', async () => {
    const created = await c.request(cms, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'race' }, data: { n: 'start' } },
    });
    expect(created.status).toBe(201);
    const rv = sub(created, 'metadata').resourceVersion;
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        c.request(`${cms}/race`, {
          method: 'PUT',
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'race', resourceVersion: rv }, data: { n: String(i) } },
        }),
      ),
    );
    const codes = new Map<number, number>();
    for (const r of results) codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(codes)).toEqual({ 200: 1, 409: 999 });
    const loser = results.find((r) => r.status === 409);
    expect(loser?.json).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "race": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'race', kind: 'configmaps' },
    });
    const winner = results.find((r) => r.status === 200);
    const final = await c.request(`${cms}/race`);
    expect(sub(final, 'data').n).toBe(winner === undefined ? 'no winner' : sub(winner, 'data').n);
  });

  it('a stale resourceVersion on update is 409; a custom resource update without one is 422', async () => {
    const w = await c.request(widgets, { method: 'POST', body: widget('w-rv', { size: 2 }) });
    expect(w.status).toBe(201);
    const rv = sub(w, 'metadata').resourceVersion;
    const ok = await c.request(`${widgets}/w-rv`, {
      method: 'PUT',
      body: { ...widget('w-rv', { size: 3 }), metadata: { name: 'w-rv', resourceVersion: rv } },
    });
    expect(ok.status).toBe(200);
    const stale = await c.request(`${widgets}/w-rv`, {
      method: 'PUT',
      body: { ...widget('w-rv', { size: 4 }), metadata: { name: 'w-rv', resourceVersion: rv } },
    });
    expect(statusOf(stale)).toMatchObject({ code: 409, reason: 'Conflict' });
    const none = await c.request(`${widgets}/w-rv`, { method: 'PUT', body: widget('w-rv', { size: 4 }) });
    expect(statusOf(none)).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(none.json?.message).toBe(
      `widgets.${group} "w-rv" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update`,
    );
  });

  it('patch errors: a failing JSON-patch test is 422, bad merge JSON is 400, strategic merge on a CR is 415', async () => {
    await c.request(widgets, { method: 'POST', body: widget('w-patch', { size: 2 }) });
    const test = await c.request(`${widgets}/w-patch`, {
      method: 'PATCH',
      contentType: 'application/json-patch+json',
      body: [{ op: 'test', path: '/spec/size', value: 9 }],
    });
    expect(statusOf(test)).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(test.json?.message).toBe('the server rejected our request due to an error in our request');
    const merge = await c.request(`${widgets}/w-patch`, { method: 'PATCH', contentType: 'application/merge-patch+json', body: '{"spec":' });
    expect(statusOf(merge)).toMatchObject({ code: 400, reason: 'BadRequest' });
    const smp = await c.request(`${widgets}/w-patch`, {
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      body: { spec: { size: 3 } },
    });
    expect(statusOf(smp)).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    const force = await c.request(`${widgets}/w-patch?force=true`, {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { spec: { size: 3 } },
    });
    expect(statusOf(force)).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(force.json?.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const noManager = await c.request(`${widgets}/w-patch`, {
      method: 'PATCH',
      contentType: 'application/apply-patch+yaml',
      body: widget('w-patch', { size: 3 }),
    });
    expect(noManager.json?.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  });

  it('a namespace in the body that differs from the URL is 400; a name that differs on update is 400', async () => {
    const r = await c.request(cms, {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'other' } },
    });
    expect(statusOf(r)).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(r.json?.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
    await c.request(cms, { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'named' } } });
    const u = await c.request(`${cms}/named`, {
      method: 'PUT',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' } },
    });
    expect(statusOf(u)).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(u.json?.message).toBe('the name of the object (other) does not match the name on the URL (named)');
  });

  it('bad list parameters are 422 ListOptions or 400', async () => {
    const m = await c.request(`${cms}?resourceVersionMatch=Exact`);
    expect(statusOf(m)).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(m.json?.message).toBe(
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided',
    );
    const sel = await c.request(`${cms}?fieldSelector=spec.nope%3Dx`);
    expect(statusOf(sel)).toMatchObject({ code: 400, reason: 'BadRequest' });
    expect(sel.json?.message).toBe('"spec.nope" is not a known field selector: only "metadata.name", "metadata.namespace"');
    const crSel = await c.request(`${widgets}?fieldSelector=spec.size%3D1`);
    expect(crSel.json?.message).toBe('field label not supported: spec.size');
  });

  it('a wrong token is 401 Unauthorized', async () => {
    const r = await c.request(cms, { token: 'not-the-token' });
    expect(statusOf(r)).toMatchObject({ code: 401, reason: 'Unauthorized' });
    expect(r.json?.message).toBe('Unauthorized');
  });

  it('a missing token is refused (401 on the embedded server; 403 for system:anonymous on kube-apiserver)', async () => {
    const r = await c.request(cms, { token: '' });
    if (target.name === 'real') expect(statusOf(r)).toMatchObject({ code: 403, reason: 'Forbidden' });
    else expect(statusOf(r)).toMatchObject({ code: 401, reason: 'Unauthorized' });
  });
});
