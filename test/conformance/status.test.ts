// Conformance: the status subresource and metadata.generation, and optimistic concurrency.

import { KubeErrorCode } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiServerTargets, installTestCrd, uniqueGroup, useKube } from '../harness/targets.ts';
import { obj, rejection, shape } from './helpers.ts';

describe.each(apiServerTargets())('status subresource and generation on $name', (target) => {
  const kube = useKube(target, 'conf-status');
  let withStatus = '';
  let withoutStatus = '';
  let group = '';

  beforeAll(async () => {
    group = uniqueGroup('status');
    withStatus = (await installTestCrd(kube.client, { group, kind: 'Engine' })).apiVersion;
    withoutStatus = (await installTestCrd(kube.client, { group, kind: 'Plain', statusSubresource: false })).apiVersion;
  });
  const engine = (name: string) => ({ apiVersion: withStatus, kind: 'Engine', name, namespace: kube.namespace });

  it('drops status on create', async () => {
    const created = await kube.client.create(
      obj(withStatus, 'Engine', kube.namespace, 'e1', { spec: { v: 1 }, status: { phase: 'Fake' } }),
    );
    expect(created.status).toBeUndefined();
    expect(created.metadata.generation).toBe(1);
  });

  it('ignores status on main-resource writes, which do not bump generation', async () => {
    const e = await kube.client.get(engine('e1'));
    const updated = await kube.client.update({ ...e, status: { phase: 'Fake' } });
    expect(updated.status).toBeUndefined();
    expect(updated.metadata.generation).toBe(1);
    const patched = await kube.client.patch(engine('e1'), { type: 'merge', patch: { status: { phase: 'Fake' } } });
    expect(patched.status).toBeUndefined();
    expect(patched.metadata.generation).toBe(1);
  });

  it('ignores spec and metadata on status writes, which do not bump generation', async () => {
    const e = await kube.client.get(engine('e1'));
    const st = await kube.client.updateStatus({
      ...e,
      metadata: { ...e.metadata, labels: { ignored: 'yes' } },
      spec: { v: 99 },
      status: { phase: 'Running' },
    });
    expect(st.status).toEqual({ phase: 'Running' });
    expect(st.spec).toEqual({ v: 1 });
    expect(st.metadata.labels).toBeUndefined();
    expect(st.metadata.generation).toBe(1);
    const patched = await kube.client.patch(
      engine('e1'),
      { type: 'merge', patch: { spec: { v: 98 }, status: { phase: 'Patched' } } },
      { subresource: 'status' },
    );
    expect(patched.status).toEqual({ phase: 'Patched' });
    expect(patched.spec).toEqual({ v: 1 });
  });

  it('bumps generation on spec changes only, never on metadata-only changes', async () => {
    const labelled = await kube.client.patch(engine('e1'), {
      type: 'merge',
      patch: { metadata: { labels: { a: 'b' }, annotations: { c: 'd' } } },
    });
    expect(labelled.metadata.generation).toBe(1);
    const noop = await kube.client.patch(engine('e1'), { type: 'merge', patch: { spec: { v: 1 } } });
    expect(noop.metadata.generation).toBe(1);
    expect(noop.metadata.resourceVersion).toBe(labelled.metadata.resourceVersion);
    const changed = await kube.client.patch(engine('e1'), { type: 'merge', patch: { spec: { v: 2 } } });
    expect(changed.metadata.generation).toBe(2);
    const again = await kube.client.update({ ...changed, spec: { v: 3 } });
    expect(again.metadata.generation).toBe(3);
    // Status changes keep the generation.
    expect((await kube.client.updateStatus({ ...again, status: { observedGeneration: 3 } })).metadata.generation).toBe(3);
  });

  it('without a status subresource, status is written through the main resource and bumps generation', async () => {
    const created = await kube.client.create(
      obj(withoutStatus, 'Plain', kube.namespace, 'p1', { spec: { v: 1 }, status: { phase: 'Kept' } }),
    );
    expect(created.status).toEqual({ phase: 'Kept' });
    const updated = await kube.client.update({ ...created, status: { phase: 'Changed' } });
    expect(updated.status).toEqual({ phase: 'Changed' });
    expect(updated.metadata.generation).toBe(2);
    const err = await rejection(kube.client.updateStatus(updated));
    expect(err.code).toBe(KubeErrorCode.NotFound);
  });

  it('serves GET on /status as the whole object', async () => {
    const whole = (await kube.client.raw(`/apis/${group}/v1/namespaces/${kube.namespace}/engines/e1/status`)) as KubeObject;
    expect(whole.spec).toEqual({ v: 3 });
    expect(whole.metadata.name).toBe('e1');
  });
});

describe.each(apiServerTargets())('optimistic concurrency on $name', (target) => {
  const kube = useKube(target, 'conf-occ');
  let apiVersion = '';
  let group = '';
  beforeAll(async () => {
    group = uniqueGroup('occ');
    apiVersion = (await installTestCrd(kube.client, { group, kind: 'Lock' })).apiVersion;
  });
  const ref = (name: string) => ({ apiVersion, kind: 'Lock', name, namespace: kube.namespace });
  const conflictMessage = (name: string) =>
    `Operation cannot be fulfilled on locks.${group} "${name}": the object has been modified; please apply your changes to the latest version and try again`;

  it('rejects an update with a stale resourceVersion with 409 Conflict', async () => {
    const first = await kube.client.create(obj(apiVersion, 'Lock', kube.namespace, 'l1', { spec: { v: 1 } }));
    await kube.client.update({ ...first, spec: { v: 2 } });
    const err = await rejection(kube.client.update({ ...first, spec: { v: 3 } }));
    expect(shape(err)).toEqual({ code: KubeErrorCode.Conflict, status: 409, reason: 'Conflict', message: conflictMessage('l1') });
    expect(err.statusDetails).toEqual({ name: 'l1', group, kind: 'locks' });
    expect((await kube.client.get(ref('l1'))).spec).toEqual({ v: 2 });
  });

  it('rejects a status update with a stale resourceVersion', async () => {
    const l = await kube.client.get(ref('l1'));
    await kube.client.updateStatus({ ...l, status: { n: 1 } });
    const err = await rejection(kube.client.updateStatus({ ...l, status: { n: 2 } }));
    expect(shape(err)).toEqual({ code: KubeErrorCode.Conflict, status: 409, reason: 'Conflict', message: conflictMessage('l1') });
  });

  it('treats metadata.resourceVersion in a merge patch as a precondition', async () => {
    const l = await kube.client.get(ref('l1'));
    const ok = await kube.client.patch(ref('l1'), {
      type: 'merge',
      patch: { metadata: { resourceVersion: l.metadata.resourceVersion }, spec: { v: 5 } },
    });
    expect(ok.spec).toEqual({ v: 5 });
    const err = await rejection(
      kube.client.patch(ref('l1'), { type: 'merge', patch: { metadata: { resourceVersion: l.metadata.resourceVersion }, spec: { v: 6 } } }),
    );
    expect(shape(err)).toEqual({ code: KubeErrorCode.Conflict, status: 409, reason: 'Conflict', message: conflictMessage('l1') });
  });

  it('checks delete preconditions on uid and resourceVersion', async () => {
    const l = await kube.client.get(ref('l1'));
    const wrongUid = await rejection(kube.client.delete(ref('l1'), { preconditions: { uid: '11111111-1111-1111-1111-111111111111' } }));
    expect(shape(wrongUid)).toEqual({
      code: KubeErrorCode.Conflict,
      status: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on Lock.${group} "l1": the UID in the precondition (11111111-1111-1111-1111-111111111111) does not match the UID in record (${l.metadata.uid}). The object might have been deleted and then recreated`,
    });
    const wrongRv = await rejection(kube.client.delete(ref('l1'), { preconditions: { resourceVersion: '1' } }));
    expect(shape(wrongRv)).toEqual({
      code: KubeErrorCode.Conflict,
      status: 409,
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on Lock.${group} "l1": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record (${l.metadata.resourceVersion}). The object might have been modified`,
    });
    await kube.client.delete(ref('l1'), {
      preconditions: { uid: l.metadata.uid ?? '', resourceVersion: l.metadata.resourceVersion ?? '' },
    });
    expect(await kube.client.getIfExists(ref('l1'))).toBeUndefined();
  });
});
