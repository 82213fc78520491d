// Conformance: CRD creation and establishment, and custom-resource CRUD.

import { KubeErrorCode } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { apiServerTargets, installTestCrd, uniqueGroup, useKube, waitFor } from '../harness/targets.ts';
import { obj, rejection, shape } from './helpers.ts';

const crdType = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition' };

describe.each(apiServerTargets())('CRDs and custom resources on $name', (target) => {
  const kube = useKube(target, 'conf-crd');

  it('establishes a CRD with NamesAccepted and Established conditions, accepted names and stored versions', async () => {
    const group = uniqueGroup('crd');
    const crd = await installTestCrd(kube.client, { group, kind: 'Sprocket', versions: ['v1', 'v2'] });
    const got = await kube.client.get({ ...crdType, name: crd.name });
    const status = got.status as {
      conditions: { type: string; status: string; reason: string; message: string }[];
      acceptedNames: Record<string, unknown>;
      storedVersions: string[];
    };
    const byType = Object.fromEntries(status.conditions.map((c) => [c.type, { status: c.status, reason: c.reason, message: c.message }]));
    expect(byType.NamesAccepted).toEqual({ status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
    expect(byType.Established).toEqual({ status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' });
    expect(status.acceptedNames).toEqual({ kind: 'Sprocket', listKind: 'SprocketList', plural: 'sprockets', singular: 'sprocket' });
    expect(status.storedVersions).toEqual(['v1']);
    // Both versions are served and discoverable.
    for (const v of ['v1', 'v2']) {
      const info = await kube.client.resourceFor({ apiVersion: `${group}/${v}`, kind: 'Sprocket' });
      expect(info).toMatchObject({ group, version: v, resource: 'sprockets', namespaced: true, subresources: ['status'] });
    }
    await crd.delete();
  });

  it('rejects a CRD whose schema is not structural with 422 Invalid and field causes', async () => {
    const group = uniqueGroup('bad');
    const err = await rejection(
      kube.client.create({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `things.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { kind: 'Thing', plural: 'things' },
          versions: [
            { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: {} } } } },
          ],
        },
      }),
    );
    expect(err.code).toBe(KubeErrorCode.Invalid);
    expect(err.status).toBe(422);
    expect(err.statusDetails).toEqual({ name: `things.${group}`, group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' });
    expect(err.causes).toContainEqual({
      field: 'spec.validation.openAPIV3Schema.properties[spec].type',
      reason: 'FieldValueRequired',
      message: 'Required value: must not be empty for specified object fields',
    });
  });

  it('rejects a CRD whose name does not match <plural>.<group>', async () => {
    const group = uniqueGroup('name');
    const err = await rejection(
      kube.client.create({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `wrong.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { kind: 'Thing', plural: 'things' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
        },
      }),
    );
    expect(err.code).toBe(KubeErrorCode.Invalid);
    expect(err.causes).toContainEqual(expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' }));
  });

  describe('custom-resource CRUD', () => {
    let apiVersion = '';
    let group = '';
    const kind = 'Widget';
    const ref = (name: string) => ({ apiVersion, kind, name, namespace: kube.namespace });

    it('installs the Widget CRD', async () => {
      group = uniqueGroup('crud');
      const crd = await installTestCrd(kube.client, {
        group,
        kind,
        schema: {
          type: 'object',
          properties: {
            spec: {
              type: 'object',
              properties: { size: { type: 'integer', minimum: 1 }, color: { type: 'string', default: 'red' } },
            },
            status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      });
      apiVersion = crd.apiVersion;
    });

    it('creates with server-owned metadata and defaults, and reads it back', async () => {
      const created = await kube.client.create(obj(apiVersion, kind, kube.namespace, 'w1', { spec: { size: 3 } }));
      expect(created).toMatchObject({
        apiVersion,
        kind,
        metadata: { name: 'w1', namespace: kube.namespace, generation: 1 },
        spec: { size: 3, color: 'red' },
      });
      expect(created.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(created.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const got = await kube.client.get(ref('w1'));
      expect(got).toEqual(created);
    });

    it('generates a name from generateName', async () => {
      const created = await kube.client.create<KubeObject>({
        apiVersion,
        kind,
        metadata: { generateName: 'gen-', namespace: kube.namespace },
        spec: { size: 1 },
      });
      expect(created.metadata.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      await kube.client.delete(ref(created.metadata.name ?? ''));
    });

    it('answers NotFound with the resource, group and name', async () => {
      const err = await rejection(kube.client.get(ref('nosuch')));
      expect(shape(err)).toEqual({
        code: KubeErrorCode.NotFound,
        status: 404,
        reason: 'NotFound',
        message: `widgets.${group} "nosuch" not found`,
      });
      expect(err.statusDetails).toEqual({ name: 'nosuch', group, kind: 'widgets' });
    });

    it('answers AlreadyExists on a second create', async () => {
      const err = await rejection(kube.client.create(obj(apiVersion, kind, kube.namespace, 'w1', { spec: { size: 3 } })));
      expect(shape(err)).toEqual({
        code: KubeErrorCode.AlreadyExists,
        status: 409,
        reason: 'AlreadyExists',
        message: `widgets.${group} "w1" already exists`,
      });
      expect(err.statusDetails).toEqual({ name: 'w1', group, kind: 'widgets' });
    });

    it('answers Invalid with a field cause on a schema violation', async () => {
      const err = await rejection(kube.client.create(obj(apiVersion, kind, kube.namespace, 'w0', { spec: { size: 0 } })));
      expect(shape(err)).toEqual({
        code: KubeErrorCode.Invalid,
        status: 422,
        reason: 'Invalid',
        message: `${kind}.${group} "w0" is invalid: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1`,
      });
      expect(err.statusDetails).toEqual({ name: 'w0', group, kind });
      expect(err.causes).toEqual([
        {
          field: 'spec.size',
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0: spec.size in body should be greater than or equal to 1',
        },
      ]);
    });

    it('answers Invalid for a name that is not a DNS subdomain', async () => {
      const err = await rejection(kube.client.create(obj(apiVersion, kind, kube.namespace, 'Bad_Name', { spec: { size: 1 } })));
      expect(err.code).toBe(KubeErrorCode.Invalid);
      expect(err.causes).toEqual([expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' })]);
    });

    it('prunes unknown fields (and rejects them under fieldValidation=Strict)', async () => {
      const created = await kube.client.create(obj(apiVersion, kind, kube.namespace, 'pruned', { spec: { size: 1, bogus: true } }));
      expect(created.spec).toEqual({ size: 1, color: 'red' });
      const err = await rejection(
        kube.client.create(obj(apiVersion, kind, kube.namespace, 'strict', { spec: { size: 1, bogus: true } }), {
          fieldValidation: 'Strict',
        }),
      );
      expect(err.code).toBe(KubeErrorCode.BadRequest);
      expect(err.status).toBe(400);
      expect(err.serverMessage).toBe(
        `${kind} in version "v1" cannot be handled as a ${kind}: strict decoding error: unknown field "spec.bogus"`,
      );
    });

    it('updates with PUT: requires the resourceVersion, bumps it, keeps uid and creationTimestamp', async () => {
      const before = await kube.client.get(ref('w1'));
      const { resourceVersion: _rv, ...metaNoRv } = before.metadata;
      const noRv = await rejection(kube.client.update({ ...before, metadata: metaNoRv, spec: { size: 4 } }));
      expect(noRv.code).toBe(KubeErrorCode.Invalid);
      expect(noRv.causes).toEqual([
        { field: 'metadata.resourceVersion', reason: 'FieldValueInvalid', message: 'Invalid value: 0: must be specified for an update' },
      ]);
      const after = await kube.client.update({ ...before, spec: { size: 4 } });
      expect(after.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
      expect(after.metadata.uid).toBe(before.metadata.uid);
      expect(after.metadata.creationTimestamp).toBe(before.metadata.creationTimestamp);
      expect(after.spec).toEqual({ size: 4, color: 'red' });
    });

    it('answers NotFound for an update of a missing object (no create on update)', async () => {
      const w = await kube.client.get(ref('w1'));
      const { uid: _uid, ...meta } = w.metadata;
      const err = await rejection(kube.client.update({ ...w, metadata: { ...meta, name: 'ghost' } }));
      expect(err.code).toBe(KubeErrorCode.NotFound);
    });

    it('patches with merge and JSON patch; a failing JSON-patch test is Invalid', async () => {
      const merged = await kube.client.patch(ref('w1'), { type: 'merge', patch: { spec: { color: 'blue' } } });
      expect(merged.spec).toEqual({ size: 4, color: 'blue' });
      const patched = await kube.client.patch(ref('w1'), { type: 'json', ops: [{ op: 'replace', path: '/spec/size', value: 5 }] });
      expect(patched.spec).toEqual({ size: 5, color: 'blue' });
      const err = await rejection(kube.client.patch(ref('w1'), { type: 'json', ops: [{ op: 'test', path: '/spec/size', value: 99 }] }));
      expect(shape(err)).toEqual({
        code: KubeErrorCode.Invalid,
        status: 422,
        reason: 'Invalid',
        message: 'the server rejected our request due to an error in our request',
      });
    });

    it('refuses a strategic-merge patch on a custom resource with 415', async () => {
      const err = await rejection(kube.client.patch(ref('w1'), { type: 'strategic', patch: { spec: { size: 2 } } }));
      expect(err.status).toBe(415);
      expect(err.reason).toBe('UnsupportedMediaType');
      expect(err.code).toBe(KubeErrorCode.BadRequest);
    });

    it('deletes: the object is gone and a second delete is NotFound', async () => {
      expect(await kube.client.delete(ref('w1'))).toBeUndefined();
      expect(await kube.client.getIfExists(ref('w1'))).toBeUndefined();
      expect((await rejection(kube.client.delete(ref('w1')))).code).toBe(KubeErrorCode.NotFound);
    });

    it('deleting the CRD deletes its custom resources', async () => {
      await kube.client.create(obj(apiVersion, kind, kube.namespace, 'doomed', { spec: { size: 1 } }));
      await kube.client.delete({ ...crdType, name: `widgets.${group}` });
      await waitFor(
        'the CRD to disappear',
        async () => (await kube.client.getIfExists({ ...crdType, name: `widgets.${group}` })) === undefined,
      );
      kube.client.invalidateDiscovery();
      await expect(kube.client.get(ref('doomed'))).rejects.toMatchObject({ code: KubeErrorCode.NoKindMatch });
    });
  });
});
