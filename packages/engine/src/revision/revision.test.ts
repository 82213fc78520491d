import type { KubeObject } from '@trellis/sdk';
import { TrellisError } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { compositionHash, latestRevision, newCompositionRevision, planRevisions, RevisionErrorCode, revisionNumber } from './revision.ts';

const comp = (spec: Record<string, unknown> = {}, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'Composition',
  metadata: { name: 'app', uid: 'comp-uid', ...(labels === undefined ? {} : { labels }) },
  spec: {
    compositeTypeRef: { apiVersion: 'example.org/v1', kind: 'XApp' },
    mode: 'Pipeline',
    pipeline: [{ step: 's', functionRef: { name: 'f' } }],
    ...spec,
  },
});

describe('newCompositionRevision', () => {
  it('names, labels, owns and numbers a revision as upstream does', () => {
    const plain = comp({}, { team: 'a', 'crossplane.io/composition-name': 'overridden' });
    const c = { ...plain, metadata: { ...plain.metadata, annotations: { a: 'b' } } };
    const h = compositionHash(c);
    expect(h).not.toBe(compositionHash(plain));
    const r = newCompositionRevision(c, 3);
    expect(r.metadata.name).toBe(`app-${h.slice(0, 7)}`);
    expect(r.metadata.labels).toEqual({
      'crossplane.io/composition-name': 'overridden',
      'crossplane.io/composition-hash': h.slice(0, 63),
      team: 'a',
    });
    expect(r.metadata.annotations).toEqual({ a: 'b' });
    expect(r.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apiextensions.crossplane.io/v1',
        kind: 'Composition',
        name: 'app',
        uid: 'comp-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(r.spec).toEqual({ ...c.spec, revision: 3 });
  });

  it('ignores fields the API type does not have when hashing, but keeps legacy templates', () => {
    expect(compositionHash(comp({ unknownField: [{ name: 'x' }] }))).toBe(compositionHash(comp()));
    const legacy = (n: string) =>
      comp({ mode: 'Resources', pipeline: undefined, resources: [{ name: n, base: { apiVersion: 'v1', kind: 'ConfigMap' } }] });
    expect(compositionHash(legacy('a'))).not.toBe(compositionHash(legacy('b')));
    expect((newCompositionRevision(legacy('a'), 1).spec as { resources: unknown[] }).resources).toHaveLength(1);
    expect(compositionHash(comp({ mode: 'Pipeline' }))).not.toBe(compositionHash(comp({ mode: undefined })));
  });
});

describe('planRevisions', () => {
  const c1 = comp();
  const c2 = comp({ pipeline: [{ step: 's', functionRef: { name: 'g' } }] });
  const r1 = newCompositionRevision(c1, 1);
  const r2 = newCompositionRevision(c2, 2);

  const cases: Record<string, { reason: string; comp: KubeObject; revs: KubeObject[]; create?: number; updates: [string, number][] }> = {
    First: { reason: 'a new Composition gets revision 1', comp: c1, revs: [], create: 1, updates: [] },
    Unchanged: { reason: 'an unchanged Composition creates nothing', comp: c2, revs: [r1, r2], updates: [] },
    Changed: {
      reason: 'a changed Composition gets latest+1',
      comp: comp({ mode: 'Pipeline', pipeline: [] }),
      revs: [r1, r2],
      create: 3,
      updates: [],
    },
    Reverted: {
      reason: 'reverting to an old spec re-promotes its revision to latest+1',
      comp: c1,
      revs: [r1, r2],
      updates: [[r1.metadata.name ?? '', 3]],
    },
    Orphaned: {
      reason: 'a revision that lost its controller reference is re-adopted',
      comp: c2,
      revs: [r1, { ...r2, metadata: { ...r2.metadata, ownerReferences: [] } }],
      updates: [[r2.metadata.name ?? '', 2]],
    },
  };
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      const plan = planRevisions(tc.comp, tc.revs);
      expect(plan.create === undefined ? undefined : revisionNumber(plan.create)).toBe(tc.create);
      expect(plan.update.map((u) => [u.metadata.name, revisionNumber(u)])).toEqual(tc.updates);
      for (const u of plan.update) expect(u.metadata.ownerReferences?.some((o) => o.uid === 'comp-uid' && o.controller)).toBe(true);
    });
  });

  it('refuses a revision controlled by something else', () => {
    const foreign = {
      ...r1,
      metadata: { ...r1.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u', controller: true }] },
    };
    expect(() => planRevisions(c1, [foreign])).toThrow(TrellisError);
    try {
      planRevisions(c1, [foreign]);
    } catch (err) {
      expect((err as TrellisError).code).toBe(RevisionErrorCode.ForeignRevision);
    }
  });

  it('picks the highest revision the Composition controls', () => {
    const foreign = { ...newCompositionRevision(c2, 9), metadata: { ...r2.metadata, name: 'other', ownerReferences: [] } };
    expect(latestRevision(c1, [r1, r2, foreign])?.metadata.name).toBe(r2.metadata.name);
    expect(latestRevision(c1, [])).toBeUndefined();
  });
});
