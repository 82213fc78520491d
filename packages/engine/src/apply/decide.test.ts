import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { AppliedHashAnnotation, type ApplyReason, appliedHash, decideApply } from './decide.ts';
import { composedFieldManager } from './managers.ts';

const FM = 'apiextensions.crossplane.io/composed/abc';

function cm(data: Record<string, string>, extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns', ...extra }, data };
}

/** Observed builds what the server returns after applying `desired` with our manager. */
function observedAfterApply(desired: KubeObject, fieldsV1: unknown, more: Record<string, unknown> = {}): KubeObject {
  const body = decideApply(desired, undefined, { fieldManager: FM, hashAnnotation: true }).body;
  return {
    ...body,
    ...more,
    metadata: {
      ...body.metadata,
      uid: 'u1',
      resourceVersion: '7',
      creationTimestamp: '2026-01-01T00:00:00Z',
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:finalizers': {} } },
        },
        { manager: FM, operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1 },
      ],
    },
  };
}

const cmFields = {
  'f:data': { 'f:a': {} },
  'f:metadata': { 'f:annotations': { 'f:trellis.dev/applied-hash': {} } },
};

interface Case {
  reason: string;
  desired: KubeObject;
  observed: KubeObject | undefined;
  want: { apply: boolean; reason: ApplyReason };
}

const base = cm({ a: '1' });

const cases: Record<string, Case> = {
  Create: {
    reason: 'an object that does not exist is applied',
    desired: base,
    observed: undefined,
    want: { apply: true, reason: 'Create' },
  },
  UpToDate: {
    reason: 'the same configuration over what the server returned is skipped',
    desired: base,
    observed: observedAfterApply(base, cmFields),
    want: { apply: false, reason: 'UpToDate' },
  },
  ServerAddsFields: {
    reason: 'fields other managers or defaults add do not cause a write',
    desired: base,
    observed: (() => {
      const o = observedAfterApply(base, cmFields);
      return { ...o, data: { a: '1', b: 'other' }, metadata: { ...o.metadata, labels: { foo: 'bar' } } };
    })(),
    want: { apply: false, reason: 'UpToDate' },
  },
  Changed: {
    reason: 'a changed desired value changes the hash',
    desired: cm({ a: '2' }),
    observed: observedAfterApply(base, cmFields),
    want: { apply: true, reason: 'Changed' },
  },
  Drift: {
    reason: 'someone else editing a field we own is detected by value',
    desired: base,
    observed: (() => {
      const o = observedAfterApply(base, cmFields);
      return { ...o, data: { a: 'edited' } };
    })(),
    want: { apply: true, reason: 'Drift' },
  },
  Unowned: {
    reason: 'an object without our apply entry is applied (adoption)',
    desired: base,
    observed: (() => {
      const o = observedAfterApply(base, cmFields);
      return { ...o, metadata: { ...o.metadata, managedFields: [] } };
    })(),
    want: { apply: true, reason: 'Unowned' },
  },
  NoHashAnnotation: {
    reason: 'an object applied by upstream Crossplane (no hash) is applied once',
    desired: base,
    observed: (() => {
      const o = observedAfterApply(base, cmFields);
      return { ...o, metadata: { ...o.metadata, annotations: {} } };
    })(),
    want: { apply: true, reason: 'Changed' },
  },
  NullsIgnored: {
    reason: 'null map entries are dropped (the server would drop them too)',
    desired: { ...base, data: { a: '1', gone: null } as unknown as Record<string, string> },
    observed: observedAfterApply(base, cmFields),
    want: { apply: false, reason: 'UpToDate' },
  },
};

describe('decideApply', () => {
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => {
      const got = decideApply(tc.desired, tc.observed, { fieldManager: FM, hashAnnotation: true });
      expect({ apply: got.apply, reason: got.reason }).toEqual(tc.want);
    });
  });

  it('stamps a hash that ignores the previous hash annotation', () => {
    const a = decideApply(base, undefined, { fieldManager: FM, hashAnnotation: true }).body;
    const b = decideApply(a, undefined, { fieldManager: FM, hashAnnotation: true }).body;
    expect(a.metadata.annotations?.[AppliedHashAnnotation]).toBe(b.metadata.annotations?.[AppliedHashAnnotation]);
    expect(a.metadata.annotations?.[AppliedHashAnnotation]).toMatch(/^[0-9a-f]{32}$/);
  });

  it('trusts a remembered apply when the server normalised a value', () => {
    const observed = { ...observedAfterApply(base, cmFields), data: { a: 'normalised' } };
    const first = decideApply(base, observed, { fieldManager: FM, hashAnnotation: true });
    expect(first.reason).toBe('Drift');
    const again = decideApply(base, observed, {
      fieldManager: FM,
      hashAnnotation: true,
      lastApplied: { hash: first.hash, resourceVersion: '7' },
    });
    expect(again).toMatchObject({ apply: false, reason: 'UpToDate' });
    const edited = { ...observed, metadata: { ...observed.metadata, resourceVersion: '8' } };
    expect(
      decideApply(base, edited, { fieldManager: FM, hashAnnotation: true, lastApplied: { hash: first.hash, resourceVersion: '7' } }).apply,
    ).toBe(true);
  });

  it('hashes independently of key order', () => {
    expect(appliedHash({ a: 1, b: { c: 2, d: 3 } })).toBe(appliedHash({ b: { d: 3, c: 2 }, a: 1 }));
  });

  describe('status subresource (no hash)', () => {
    const xr: KubeObject = {
      apiVersion: 'ex.org/v1',
      kind: 'XR',
      metadata: { name: 'x' },
      status: { a: 1, conditions: [{ type: 'Ready' }] },
    };
    const statusFields = { 'f:status': { 'f:a': {}, 'f:conditions': { 'k:{"type":"Ready"}': { '.': {} } } } };
    const observed = (status: unknown, fields: unknown = statusFields): KubeObject => ({
      ...xr,
      spec: { x: 1 },
      status,
      metadata: { name: 'x', managedFields: [{ manager: 'm', operation: 'Apply', subresource: 'status', fieldsV1: fields }] },
    });
    const statusCases: Record<string, Case> = {
      Same: {
        reason: 'the same status is skipped',
        desired: xr,
        observed: observed(xr.status),
        want: { apply: false, reason: 'UpToDate' },
      },
      Different: {
        reason: 'a different value is applied',
        desired: xr,
        observed: observed({ a: 2, conditions: [{ type: 'Ready' }] }),
        want: { apply: true, reason: 'Drift' },
      },
      Removal: {
        reason: 'a field we own but no longer set must be removed by an apply',
        desired: xr,
        observed: observed({ a: 1, b: 2, conditions: [{ type: 'Ready' }] }, { 'f:status': { 'f:a': {}, 'f:b': {}, 'f:conditions': {} } }),
        want: { apply: true, reason: 'Removal' },
      },
      OtherManagersMainResource: {
        reason: 'an apply entry on the main resource does not count for the status subresource',
        desired: xr,
        observed: {
          ...observed(xr.status),
          metadata: { name: 'x', managedFields: [{ manager: 'm', operation: 'Apply', fieldsV1: statusFields }] },
        },
        want: { apply: true, reason: 'Unowned' },
      },
    };
    describe.each(Object.entries(statusCases))('%s', (_name, tc) => {
      it(tc.reason, () => {
        const got = decideApply(tc.desired, tc.observed, { fieldManager: 'm', subresource: 'status' });
        expect({ apply: got.apply, reason: got.reason }).toEqual(tc.want);
      });
    });
  });
});

describe('decideApply: finalizers are a set', () => {
  const F = 'composite.apiextensions.crossplane.io';
  const desired: KubeObject = { apiVersion: 'ex.org/v1', kind: 'XR', metadata: { name: 'x', finalizers: [F] }, spec: { a: 1 } };
  const fields = { 'f:metadata': { 'f:finalizers': { [`v:"${F}"`]: {} } }, 'f:spec': { 'f:a': {} } };
  const observed = (finalizers: string[]): KubeObject => ({
    ...desired,
    metadata: { name: 'x', finalizers, managedFields: [{ manager: 'm', operation: 'Apply', fieldsV1: fields }] },
  });
  const cases: Record<string, Case> = {
    OthersFinalizers: {
      reason: 'finalizers other writers added beside ours do not cause a write',
      desired,
      observed: observed(['in-use.example.org', F, 'foregroundDeletion']),
      want: { apply: false, reason: 'UpToDate' },
    },
    OursRemoved: {
      reason: 'our finalizer removed by someone else is applied again',
      desired,
      observed: observed(['in-use.example.org']),
      want: { apply: true, reason: 'Drift' },
    },
  };
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => {
      const got = decideApply(tc.desired, tc.observed, { fieldManager: 'm' });
      expect({ apply: got.apply, reason: got.reason }).toEqual(tc.want);
    });
  });
});

describe('composedFieldManager', () => {
  it('hashes name and GroupKind like upstream', () => {
    // sha256("my-xr" + "XPostgreSQLInstance.example.org")
    const fm = composedFieldManager({ apiVersion: 'example.org/v1alpha1', kind: 'XPostgreSQLInstance', metadata: { name: 'my-xr' } });
    expect(fm).toMatch(/^apiextensions\.crossplane\.io\/composed\/[0-9a-f]{64}$/);
    expect(fm).toBe(composedFieldManager({ apiVersion: 'example.org/v2', kind: 'XPostgreSQLInstance', metadata: { name: 'my-xr' } }));
    expect(fm).not.toBe(
      composedFieldManager({ apiVersion: 'other.org/v1alpha1', kind: 'XPostgreSQLInstance', metadata: { name: 'my-xr' } }),
    );
  });
});
