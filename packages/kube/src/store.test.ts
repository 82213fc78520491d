import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import type { Transition } from './store.ts';
import { Store } from './store.ts';

const o = (name: string, rv: string, uid = `uid-${name}`, namespace = 'ns'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, uid, resourceVersion: rv },
});
const show = (ts: Transition[]) =>
  ts.map((t) =>
    t.type === 'update'
      ? `update ${t.obj.metadata.name} ${t.oldObj.metadata.resourceVersion}->${t.obj.metadata.resourceVersion}`
      : `${t.type} ${t.obj.metadata.name}@${t.obj.metadata.resourceVersion}`,
  );

describe('Store.apply', () => {
  const cases: Record<
    string,
    { reason: string; start: KubeObject[]; event: ['ADDED' | 'MODIFIED' | 'DELETED', KubeObject]; want: string[] }
  > = {
    Add: { reason: 'a new object is an add', start: [], event: ['ADDED', o('a', '1')], want: ['add a@1'] },
    Update: {
      reason: 'a new resourceVersion is an update',
      start: [o('a', '1')],
      event: ['MODIFIED', o('a', '2')],
      want: ['update a 1->2'],
    },
    DuplicateAdd: { reason: 'a replayed state is dropped', start: [o('a', '1')], event: ['ADDED', o('a', '1')], want: [] },
    DuplicateModify: { reason: 'a replayed update is dropped', start: [o('a', '2')], event: ['MODIFIED', o('a', '2')], want: [] },
    ModifiedUnknown: {
      reason: 'a MODIFIED for an unknown object is an add',
      start: [],
      event: ['MODIFIED', o('a', '3')],
      want: ['add a@3'],
    },
    Delete: { reason: 'a delete carries the final state', start: [o('a', '1')], event: ['DELETED', o('a', '5')], want: ['delete a@5'] },
    DeleteUnknown: { reason: 'a delete of an unknown object is dropped', start: [], event: ['DELETED', o('a', '5')], want: [] },
    Recreated: {
      reason: 'the same name with a new uid is a delete then an add',
      start: [o('a', '1', 'old')],
      event: ['MODIFIED', o('a', '7', 'new')],
      want: ['delete a@1', 'add a@7'],
    },
    DeleteOldIncarnation: {
      reason: 'a delete with another uid removes what the cache holds',
      start: [o('a', '1', 'mine')],
      event: ['DELETED', o('a', '4', 'theirs')],
      want: ['delete a@1'],
    },
  };
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      const s = new Store();
      s.replace(tc.start);
      expect(show(s.apply(...tc.event))).toEqual(tc.want);
    });
  });
});

describe('Store.replace', () => {
  it('emits exactly the difference between the cache and a fresh list, in key order', () => {
    const s = new Store();
    s.replace([o('a', '1'), o('b', '1'), o('c', '1'), o('d', '1', 'd-old')]);
    const ts = s.replace([o('a', '1'), o('b', '2'), o('d', '3', 'd-new'), o('e', '1')]);
    expect(show(ts)).toEqual(['update b 1->2', 'delete c@1', 'delete d@1', 'add d@3', 'add e@1']);
    expect(s.keys().sort()).toEqual(['ns/a', 'ns/b', 'ns/d', 'ns/e']);
    expect(s.replace([o('a', '1'), o('b', '2'), o('d', '3', 'd-new'), o('e', '1')])).toEqual([]);
  });

  it('lists by namespace and gets by key', () => {
    const s = new Store();
    s.replace([
      o('a', '1', 'u1', 'x'),
      o('b', '1', 'u2', 'y'),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', uid: 'n', resourceVersion: '1' } },
    ]);
    expect(s.list('x').map((i) => i.metadata.name)).toEqual(['a']);
    expect(s.get('y/b')?.metadata.uid).toBe('u2');
    expect(s.get('x')?.kind).toBe('Namespace');
    expect(s.size).toBe(3);
  });
});
