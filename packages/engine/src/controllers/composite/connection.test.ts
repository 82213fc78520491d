import { asControllerRef, hasCode, type KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { newFakeKube } from '../testing/fake-kube.ts';
import { ConnectionSecretType, publishConnection } from './connection.ts';

const xr: KubeObject = { apiVersion: 'example.org/v1', kind: 'XDb', metadata: { name: 'db', uid: 'xr-uid' } };
const to = { name: 'db-conn', namespace: 'crossplane-system' };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('publishConnection', () => {
  it('writes a Secret controlled by the XR, filtered by connectionSecretKeys, once', async () => {
    const kube = newFakeKube();
    const memo = new Map<string, string>();
    const opts = { keys: ['user', 'password'], fieldManager: 'm', memo };
    const first = await publishConnection(kube, xr, to, { user: bytes('u'), password: bytes('p'), extra: bytes('x') }, opts);
    expect(first.published).toBe(true);
    const s = kube.peek({ apiVersion: 'v1', kind: 'Secret', ...to });
    expect(s?.type).toBe(ConnectionSecretType);
    expect(s?.data).toEqual({ password: 'cA==', user: 'dQ==' });
    expect(s?.metadata.ownerReferences).toEqual([asControllerRef(xr)]);
    kube.resetCalls();
    const again = await publishConnection(kube, xr, to, { user: bytes('u'), password: bytes('p') }, opts);
    expect(again.published).toBe(false);
    expect(kube.calls.size).toBe(0);
    const fresh = await publishConnection(kube, xr, to, { user: bytes('u'), password: bytes('p') }, { ...opts, memo: new Map() });
    expect(fresh.published).toBe(false);
    expect(kube.writes()).toBe(0);
  });

  it('refuses to take over a Secret another object controls', async () => {
    const kube = newFakeKube();
    kube.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...to, ownerReferences: [{ apiVersion: 'v1', kind: 'Other', name: 'o', uid: 'other', controller: true }] },
    });
    let err: unknown;
    try {
      await publishConnection(kube, xr, to, { a: bytes('b') }, { keys: [], fieldManager: 'm' });
    } catch (e) {
      err = e;
    }
    expect(hasCode(err, 'ENGINE_SECRET_NOT_CONTROLLABLE')).toBe(true);
    expect((err as Error).message).toBe('cannot establish control of existing connection secret "crossplane-system/db-conn"');
  });
});
