import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { FieldsInterner } from './intern.ts';

/** ConfigMap is a composed ConfigMap as the API server returns it: the same field set but for its owner's uid. */
function configMap(uid: string): KubeObject {
  return JSON.parse(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `cm-${uid}`,
        managedFields: [
          {
            manager: 'apiextensions.crossplane.io/composed/abc',
            operation: 'Apply',
            apiVersion: 'v1',
            time: '2026-11-21T13:04:18Z',
            fieldsType: 'FieldsV1',
            fieldsV1: {
              'f:data': { 'f:index': {}, 'f:owner': {} },
              'f:metadata': {
                'f:labels': { 'f:crossplane.io/composite': {} },
                'f:ownerReferences': { [`k:{"uid":"${uid}"}`]: {} },
              },
            },
          },
        ],
      },
      data: { index: '1' },
    }),
  ) as KubeObject;
}

const fieldsOf = (o: KubeObject): Record<string, Record<string, unknown>> =>
  (o.metadata.managedFields as { fieldsV1: Record<string, Record<string, unknown>> }[])[0]?.fieldsV1 ?? {};

describe('FieldsInterner', () => {
  it('shares equal subtrees between objects and keeps every value', () => {
    const interner = new FieldsInterner();
    const a = configMap('u1');
    const b = configMap('u2');
    const wantA = JSON.parse(JSON.stringify(a));
    const wantB = JSON.parse(JSON.stringify(b));
    interner.internManagedFields(a);
    interner.internManagedFields(b);
    expect(a).toEqual(wantA);
    expect(b).toEqual(wantB);
    expect(fieldsOf(a)['f:data']).toBe(fieldsOf(b)['f:data']);
    expect(fieldsOf(a)['f:metadata']).not.toBe(fieldsOf(b)['f:metadata']);
    expect((fieldsOf(a)['f:metadata'] as Record<string, unknown>)['f:labels']).toBe(
      (fieldsOf(b)['f:metadata'] as Record<string, unknown>)['f:labels'],
    );
  });

  it('freezes shared nodes, so a writer cannot change other objects through them', () => {
    const interner = new FieldsInterner();
    const a = configMap('u1');
    interner.internManagedFields(a);
    expect(() => {
      (fieldsOf(a)['f:data'] as Record<string, unknown>)['f:x'] = {};
    }).toThrow(TypeError);
    expect(Object.isFrozen(fieldsOf(a))).toBe(true);
  });

  const untouched: { reason: string; managedFields: unknown }[] = [
    { reason: 'no managedFields', managedFields: undefined },
    { reason: 'managedFields not a list', managedFields: { a: 1 } },
    { reason: 'an entry that is not a map', managedFields: ['x', null] },
    { reason: 'fieldsV1 with a scalar inside (not a field set)', managedFields: [{ fieldsV1: { 'f:a': 1, 'f:b': {} } }] },
    { reason: 'fieldsV1 with a list inside', managedFields: [{ fieldsV1: { 'f:a': [] } }] },
  ];
  it.each(untouched)('leaves malformed input as it is: $reason', ({ managedFields }) => {
    const interner = new FieldsInterner();
    const o = { apiVersion: 'v1', kind: 'X', metadata: { name: 'x', managedFields } } as unknown as KubeObject;
    const want = JSON.parse(JSON.stringify(o));
    interner.internManagedFields(o);
    expect(o).toEqual(want);
  });

  it('interns an object prepared twice without writing to its frozen nodes', () => {
    const interner = new FieldsInterner();
    const a = configMap('u1');
    interner.internManagedFields(a);
    expect(() => interner.internManagedFields(a)).not.toThrow();
  });

  it('is bounded: a full table starts over and objects stay correct', () => {
    const interner = new FieldsInterner(10);
    const objs = Array.from({ length: 50 }, (_, i) => configMap(`u${i}`));
    const want = JSON.parse(JSON.stringify(objs));
    for (const o of objs) interner.internManagedFields(o);
    expect(interner.size()).toBeLessThanOrEqual(10);
    expect(objs).toEqual(want);
  });
});
