// Conformance: finalizers and deletionTimestamp, ownerReference garbage collection (background,
// foreground with blockOwnerDeletion, orphan), and namespace deletion.

import { KubeErrorCode } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiServerTargets, createTestNamespace, installTestCrd, uniqueGroup, useKube, waitFor } from '../harness/targets.ts';
import { obj, record, rejection, shape, summary } from './helpers.ts';

const gcTimeout = { timeoutMs: 60_000 };

describe.each(apiServerTargets())('finalizers and garbage collection on $name', (target) => {
  const kube = useKube(target, 'conf-life');
  let apiVersion = '';
  let group = '';
  beforeAll(async () => {
    group = uniqueGroup('life');
    apiVersion = (await installTestCrd(kube.client, { group, kind: 'Box' })).apiVersion;
  });
  const type = () => ({ apiVersion, kind: 'Box' });
  const ref = (name: string) => ({ apiVersion, kind: 'Box', name, namespace: kube.namespace });
  const box = (name: string, meta: Partial<KubeObject['metadata']> = {}) =>
    obj(apiVersion, 'Box', kube.namespace, name, { metadata: meta, spec: { name } });
  const ownedBy = (owner: KubeObject, blockOwnerDeletion?: boolean) => ({
    ownerReferences: [
      {
        apiVersion,
        kind: 'Box',
        name: owner.metadata.name ?? '',
        uid: owner.metadata.uid ?? '',
        ...(blockOwnerDeletion === undefined ? {} : { blockOwnerDeletion }),
      },
    ],
  });
  const gone = (name: string) => async () => (await kube.client.getIfExists(ref(name))) === undefined;

  it('a delete of an object with finalizers sets deletionTimestamp, bumps generation and keeps it until the finalizers are gone', async () => {
    const created = await kube.client.create(box('fin', { finalizers: ['trellis.test/hold'] }));
    const start = created.metadata.resourceVersion ?? '';
    const rec = record(kube.client, type(), { namespace: kube.namespace, resourceVersion: start, fieldSelector: 'metadata.name=fin' });

    const deleting = await kube.client.delete(ref('fin'));
    expect(deleting?.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(deleting?.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(deleting?.metadata.finalizers).toEqual(['trellis.test/hold']);
    expect(deleting?.metadata.generation).toBe(2);

    // A second delete returns the object unchanged.
    const again = await kube.client.delete(ref('fin'));
    expect(again?.metadata.resourceVersion).toBe(deleting?.metadata.resourceVersion);

    // New finalizers may not be added while deleting.
    const err = await rejection(
      kube.client.patch(ref('fin'), { type: 'merge', patch: { metadata: { finalizers: ['trellis.test/hold', 'trellis.test/more'] } } }),
    );
    expect(err.code).toBe(KubeErrorCode.Invalid);
    // kube-apiserver 1.36 reports this cause twice (validation runs for both ObjectMeta checks);
    // the contract is: at least one cause, all of them this one.
    expect(err.causes.length).toBeGreaterThanOrEqual(1);
    for (const c of err.causes) {
      expect(c).toEqual({
        field: 'metadata.finalizers',
        reason: 'FieldValueForbidden',
        message:
          'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"trellis.test/more"}',
      });
    }

    // Spec changes are still allowed while deleting.
    await kube.client.patch(ref('fin'), { type: 'merge', patch: { spec: { still: 'writable' } } });

    // Removing the last finalizer deletes the object.
    await kube.client.patch(ref('fin'), { type: 'json', ops: [{ op: 'remove', path: '/metadata/finalizers' }] });
    expect(await kube.client.getIfExists(ref('fin'))).toBeUndefined();
    await rec.waitFor('the DELETED event', (evs) => evs.some((e) => e.type === 'DELETED'));
    await rec.stop();
    expect(rec.events.map(summary)).toEqual(['MODIFIED fin', 'MODIFIED fin', 'DELETED fin']);
    expect(rec.events[0]?.object.metadata.deletionTimestamp).toBe(deleting?.metadata.deletionTimestamp);
  });

  it('background deletion removes the owner at once and the garbage collector deletes dependents', async () => {
    const owner = await kube.client.create(box('bg-owner'));
    await kube.client.create(box('bg-child', ownedBy(owner)));
    expect(await kube.client.delete(ref('bg-owner'), { propagationPolicy: 'Background' })).toBeUndefined();
    expect(await kube.client.getIfExists(ref('bg-owner'))).toBeUndefined();
    await waitFor('the GC to delete bg-child', gone('bg-child'), gcTimeout);
  });

  it('a dependent whose owner uid does not exist is collected', async () => {
    const owner = await kube.client.create(box('ghost-owner'));
    await kube.client.delete(ref('ghost-owner'));
    await kube.client.create(box('orphan-of-ghost', ownedBy(owner)));
    await waitFor('the GC to delete orphan-of-ghost', gone('orphan-of-ghost'), gcTimeout);
  });

  it('foreground deletion keeps the owner with the foregroundDeletion finalizer until blocking dependents are gone', async () => {
    const owner = await kube.client.create(box('fg-owner'));
    // The dependent holds a finalizer so the moment in between is observable.
    await kube.client.create(box('fg-child', { ...ownedBy(owner, true), finalizers: ['trellis.test/hold'] }));
    const deleting = await kube.client.delete(ref('fg-owner'), { propagationPolicy: 'Foreground' });
    expect(deleting?.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(deleting?.metadata.deletionTimestamp).toEqual(expect.any(String));

    const child = await waitFor(
      'the GC to start deleting fg-child',
      async () => {
        const c = await kube.client.get(ref('fg-child'));
        return c.metadata.deletionTimestamp !== undefined ? c : undefined;
      },
      gcTimeout,
    );
    expect(child.metadata.finalizers).toEqual(['trellis.test/hold']);
    expect((await kube.client.get(ref('fg-owner'))).metadata.finalizers).toEqual(['foregroundDeletion']);

    await kube.client.patch(ref('fg-child'), { type: 'merge', patch: { metadata: { finalizers: null } } });
    await waitFor('fg-child to go', gone('fg-child'), gcTimeout);
    await waitFor('the GC to finish deleting fg-owner', gone('fg-owner'), gcTimeout);
  });

  it('orphan deletion removes the owner and strips the ownerReference from dependents, which stay', async () => {
    const owner = await kube.client.create(box('or-owner'));
    await kube.client.create(box('or-child', ownedBy(owner, true)));
    const deleting = await kube.client.delete(ref('or-owner'), { propagationPolicy: 'Orphan' });
    expect(deleting?.metadata.finalizers).toEqual(['orphan']);
    await waitFor('the GC to finish orphaning', gone('or-owner'), gcTimeout);
    const child = await kube.client.get(ref('or-child'));
    expect(child.metadata.ownerReferences).toBeUndefined();
    expect(child.metadata.deletionTimestamp).toBeUndefined();
  });
});

describe.each(apiServerTargets())('namespace deletion on $name', (target) => {
  const kube = useKube(target, 'conf-ns');
  let apiVersion = '';
  beforeAll(async () => {
    apiVersion = (await installTestCrd(kube.client, { group: uniqueGroup('ns'), kind: 'Crate' })).apiVersion;
  });

  it('marks the namespace Terminating, refuses new content, deletes its content, then the namespace', async () => {
    const ns = await createTestNamespace(kube.client, 'conf-doomed');
    await kube.client.create(obj('v1', 'ConfigMap', ns.name, 'cm', { data: { a: '1' } }));
    await kube.client.create(obj(apiVersion, 'Crate', ns.name, 'crate', { spec: {} }));

    const deleting = await kube.client.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.name });
    expect(deleting?.status).toEqual({ phase: 'Terminating' });
    expect(deleting?.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(deleting?.metadata.deletionTimestamp).toEqual(expect.any(String));

    const err = await rejection(kube.client.create(obj('v1', 'ConfigMap', ns.name, 'late')));
    expect(shape(err)).toEqual({
      code: KubeErrorCode.Forbidden,
      status: 403,
      reason: 'Forbidden',
      message: `configmaps "late" is forbidden: unable to create new content in namespace ${ns.name} because it is being terminated`,
    });
    expect(err.causes).toEqual([
      { reason: 'NamespaceTerminating', message: `namespace ${ns.name} is being terminated`, field: 'metadata.namespace' },
    ]);

    await waitFor(
      `namespace ${ns.name} to disappear`,
      async () => (await kube.client.getIfExists({ apiVersion: 'v1', kind: 'Namespace', name: ns.name })) === undefined,
      gcTimeout,
    );
    expect((await kube.client.list({ apiVersion: 'v1', kind: 'ConfigMap' }, { namespace: ns.name })).items).toEqual([]);
    expect((await kube.client.list({ apiVersion, kind: 'Crate' }, { namespace: ns.name })).items).toEqual([]);
  });

  it('refuses to create objects in a namespace that does not exist with 404 NotFound', async () => {
    const err = await rejection(kube.client.create(obj('v1', 'ConfigMap', 'no-such-namespace-xyz', 'cm')));
    expect(shape(err)).toEqual({
      code: KubeErrorCode.NotFound,
      status: 404,
      reason: 'NotFound',
      message: 'namespaces "no-such-namespace-xyz" not found',
    });
  });
});
