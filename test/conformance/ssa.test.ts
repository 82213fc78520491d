// Conformance: server-side apply — ownership, conflicts between managers, force, managedFields.
import { KubeErrorCode } from '@trellis/kube';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiServerTargets, installTestCrd, uniqueGroup, useKube } from '../harness/targets.ts';
import { obj, rejection, shape } from './helpers.ts';

interface ManagedField {
  manager: string;
  operation: string;
  apiVersion: string;
  fieldsType: string;
  fieldsV1: unknown;
  subresource?: string;
  time?: string;
}

describe.each(apiServerTargets())('server-side apply on $name', (target) => {
  const kube = useKube(target, 'conf-ssa');
  let apiVersion = '';
  let group = '';
  beforeAll(async () => {
    group = uniqueGroup('ssa');
    apiVersion = (await installTestCrd(kube.client, { group, kind: 'Knob' })).apiVersion;
  });
  const ref = (name: string) => ({ apiVersion, kind: 'Knob', name, namespace: kube.namespace });
  const knob = (name: string, spec: Record<string, unknown>) => obj(apiVersion, 'Knob', kube.namespace, name, { spec });
  const managers = async (name: string) =>
    // The order of managedFields entries is not part of the contract: sort by manager.
    ((await kube.client.get(ref(name))).metadata.managedFields as ManagedField[])
      .map(({ time: _t, ...m }) => m)
      .sort((a, b) => a.manager.localeCompare(b.manager));

  it('creates on first apply and records the manager with operation Apply and FieldsV1', async () => {
    const created = await kube.client.apply(knob('k1', { a: 1, b: 2 }), { fieldManager: 'alice' });
    expect(created.spec).toEqual({ a: 1, b: 2 });
    expect(created.metadata.generation).toBe(1);
    const mf = created.metadata.managedFields as ManagedField[];
    expect(mf).toHaveLength(1);
    expect(mf[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await managers('k1')).toEqual([
      { manager: 'alice', operation: 'Apply', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:a': {}, 'f:b': {} } } },
    ]);
  });

  it('re-applying the same configuration is a no-op (same resourceVersion)', async () => {
    const before = await kube.client.get(ref('k1'));
    const again = await kube.client.apply(knob('k1', { a: 1, b: 2 }), { fieldManager: 'alice' });
    expect(again.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('a second manager changing an owned field gets a 409 Conflict naming the field and the owner', async () => {
    const err = await rejection(kube.client.apply(knob('k1', { a: 9 }), { fieldManager: 'bob' }));
    expect(shape(err)).toEqual({
      code: KubeErrorCode.Conflict,
      status: 409,
      reason: 'Conflict',
      message: `Apply failed with 1 conflict: conflict with "alice": .spec.a`,
    });
    expect(err.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.a' }]);
    expect((await kube.client.get(ref('k1'))).spec).toEqual({ a: 1, b: 2 });
  });

  it('a second manager applying the same value shares ownership without conflict', async () => {
    await kube.client.apply(knob('k1', { b: 2 }), { fieldManager: 'carol' });
    expect(await managers('k1')).toEqual([
      { manager: 'alice', operation: 'Apply', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:a': {}, 'f:b': {} } } },
      { manager: 'carol', operation: 'Apply', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:b': {} } } },
    ]);
  });

  it('force takes ownership of conflicting fields away from the previous owner', async () => {
    const forced = await kube.client.apply(knob('k1', { a: 9 }), { fieldManager: 'bob', force: true });
    expect(forced.spec).toEqual({ a: 9, b: 2 });
    expect(forced.metadata.generation).toBe(2);
    expect(await managers('k1')).toEqual([
      { manager: 'alice', operation: 'Apply', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:b': {} } } },
      { manager: 'bob', operation: 'Apply', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:a': {} } } },
      { manager: 'carol', operation: 'Apply', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:b': {} } } },
    ]);
  });

  it('a field its only owner stops applying is removed; a shared one stays', async () => {
    const removed = await kube.client.apply(knob('k1', {}), { fieldManager: 'bob' });
    expect(removed.spec).toEqual({ b: 2 });
    const kept = await kube.client.apply(knob('k1', {}), { fieldManager: 'alice' });
    expect(kept.spec).toEqual({ b: 2 });
    // Applying an empty spec still owns the spec map itself.
    expect(await managers('k1')).toEqual([
      { manager: 'alice', operation: 'Apply', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } },
      { manager: 'bob', operation: 'Apply', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } },
      { manager: 'carol', operation: 'Apply', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:b': {} } } },
    ]);
  });

  it('an update (PUT) records its manager with operation Update and conflicts with appliers only on apply', async () => {
    const k = await kube.client.get(ref('k1'));
    await kube.client.update({ ...k, spec: { b: 3 } }, { fieldManager: 'editor' });
    // carol's applied value was overwritten by an Update: no conflict for Updates, but carol loses the field.
    expect(await managers('k1')).toEqual([
      { manager: 'alice', operation: 'Apply', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } },
      { manager: 'bob', operation: 'Apply', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } },
      { manager: 'editor', operation: 'Update', apiVersion, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:b': {} } } },
    ]);
    const err = await rejection(kube.client.apply(knob('k1', { b: 4 }), { fieldManager: 'carol' }));
    expect(err.causes).toEqual([
      { reason: 'FieldManagerConflict', message: `conflict with "editor" using ${apiVersion}`, field: '.spec.b' },
    ]);
    expect(err.serverMessage).toBe(`Apply failed with 1 conflict: conflict with "editor" using ${apiVersion}: .spec.b`);
  });

  it('applying status through the status subresource records the subresource', async () => {
    await kube.client.apply(obj(apiVersion, 'Knob', kube.namespace, 'k1', { status: { ready: true } }), {
      fieldManager: 'statuser',
      subresource: 'status',
    });
    const mf = (await managers('k1')).find((m) => m.manager === 'statuser');
    expect(mf).toEqual({
      manager: 'statuser',
      operation: 'Apply',
      apiVersion,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:status': { 'f:ready': {} } },
      subresource: 'status',
    });
  });

  it('refuses an apply without a field manager (client side) and a non-apply patch with force (server side)', async () => {
    await expect(kube.client.apply(knob('k2', { a: 1 }), { fieldManager: '' })).rejects.toMatchObject({
      code: KubeErrorCode.InvalidArgument,
    });
    const err = await rejection(
      kube.client.raw(`/apis/${group}/v1/namespaces/${kube.namespace}/knobs/k1?force=true`, {
        method: 'PATCH',
        body: { spec: { a: 1 } },
        contentType: 'application/merge-patch+json',
      }),
    );
    expect(err.code).toBe(KubeErrorCode.Invalid);
    expect(err.causes).toEqual([
      { field: 'force', reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch' },
    ]);
  });
});
