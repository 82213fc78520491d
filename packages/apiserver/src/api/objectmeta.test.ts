import { describe, expect, it } from 'vitest';
import { nameIsDNSLabel, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';

const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe('validateObjectMeta', () => {
  const cases: Record<
    string,
    { reason: string; meta: Record<string, unknown>; namespaced?: boolean; want: Array<{ field: string; message: string }> }
  > = {
    Valid: { reason: 'a plain namespaced object', meta: { name: 'a.b-c', namespace: 'ns' }, want: [] },
    BadName: {
      reason: "kube's exact RegexError text",
      meta: { name: 'Foo_bar', namespace: 'ns' },
      want: [{ field: 'metadata.name', message: `Invalid value: "Foo_bar": ${subdomainMsg}` }],
    },
    NoName: {
      reason: 'neither name nor generateName',
      meta: { namespace: 'ns' },
      want: [{ field: 'metadata.name', message: 'Required value: name or generateName is required' }],
    },
    NoNamespace: {
      reason: 'namespaced kinds need one',
      meta: { name: 'a' },
      want: [{ field: 'metadata.namespace', message: 'Required value' }],
    },
    ClusterNamespace: {
      reason: 'cluster kinds may not have one',
      meta: { name: 'a', namespace: 'x' },
      namespaced: false,
      want: [{ field: 'metadata.namespace', message: 'Forbidden: not allowed on this type' }],
    },
    BadLabel: {
      reason: 'label values are checked',
      meta: { name: 'a', namespace: 'ns', labels: { ok: 'bad value' } },
      want: [
        {
          field: 'metadata.labels',
          message:
            "Invalid value: \"bad value\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        },
      ],
    },
    BothGcFinalizers: {
      reason: 'orphan and foregroundDeletion together',
      meta: { name: 'a', namespace: 'ns', finalizers: ['orphan', 'foregroundDeletion'] },
      want: [
        {
          field: 'metadata.finalizers',
          message: 'Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
        },
      ],
    },
    TwoControllers: {
      reason: 'only one controller reference',
      meta: {
        name: 'a',
        namespace: 'ns',
        ownerReferences: [
          { apiVersion: 'v1', kind: 'A', name: 'x', uid: '1', controller: true },
          { apiVersion: 'v1', kind: 'B', name: 'y', uid: '2', controller: true },
        ],
      },
      want: [
        {
          field: 'metadata.ownerReferences',
          message: expect.stringContaining(
            'Only one reference can have Controller set to true. Found "true" in references for A/x and B/y',
          ) as unknown as string,
        },
      ],
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      const got = validateObjectMeta(c.meta, { namespaced: c.namespaced ?? true, nameValidation: nameIsDNSSubdomain }).map((x) => ({
        field: x.field,
        message: x.message,
      }));
      expect(got).toEqual(c.want);
    });
  }
  it('masks a trailing dash of generateName', () => {
    expect(nameIsDNSSubdomain('abc-', true)).toEqual([]);
    expect(nameIsDNSLabel('a.b', false)).toEqual(['must not contain dots']);
  });
  it('forbids new finalizers on an object being deleted and changes to immutable fields', () => {
    const old = {
      name: 'a',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '3',
      deletionTimestamp: '2026-01-01T00:00:00Z',
      finalizers: ['x/y'],
    };
    const causes = validateObjectMetaUpdate({ ...old, uid: 'u2', finalizers: ['x/y', 'x/z'] }, old);
    expect(causes.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"x/z"}',
      'metadata.uid: Invalid value: "u2": field is immutable',
    ]);
  });
});
