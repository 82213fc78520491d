import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.ts';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, builtinStrategyFor, PatchApplyError, parseJsonPatch } from './patch.ts';

describe('JSON patch (RFC 6902)', () => {
  const doc = { metadata: { resourceVersion: '5', labels: { a: '1' } }, spec: { list: [1, 2, 3] } };
  const cases: Record<string, { reason: string; ops: unknown[]; want: unknown }> = {
    Add: {
      reason: 'adds a map key and inserts into a list',
      ops: [
        { op: 'add', path: '/metadata/labels/b', value: '2' },
        { op: 'add', path: '/spec/list/1', value: 9 },
      ],
      want: { metadata: { resourceVersion: '5', labels: { a: '1', b: '2' } }, spec: { list: [1, 9, 2, 3] } },
    },
    AppendDash: {
      reason: '- appends',
      ops: [{ op: 'add', path: '/spec/list/-', value: 4 }],
      want: { ...doc, spec: { list: [1, 2, 3, 4] } },
    },
    Remove: {
      reason: 'removes',
      ops: [{ op: 'remove', path: '/metadata/labels' }],
      want: { metadata: { resourceVersion: '5' }, spec: doc.spec },
    },
    TestThenReplace: {
      reason: "kubectl's CSA→SSA migration: test the resourceVersion then replace",
      ops: [
        { op: 'test', path: '/metadata/resourceVersion', value: '5' },
        { op: 'replace', path: '/spec/list', value: [] },
      ],
      want: { ...doc, spec: { list: [] } },
    },
    MoveCopy: {
      reason: 'move and copy',
      ops: [
        { op: 'copy', from: '/spec/list/0', path: '/spec/first' },
        { op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/z' },
      ],
      want: { metadata: { resourceVersion: '5', labels: { z: '1' } }, spec: { list: [1, 2, 3], first: 1 } },
    },
    Escapes: {
      reason: '~1 and ~0 escape / and ~',
      ops: [{ op: 'add', path: '/metadata/labels/x~1y~0z', value: 'v' }],
      want: { ...doc, metadata: { resourceVersion: '5', labels: { a: '1', 'x/y~z': 'v' } } },
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: ${c.reason}`, () => {
      expect(applyJsonPatch(doc, parseJsonPatch(JSON.stringify(c.ops)))).toEqual(c.want);
      expect(doc.spec.list).toEqual([1, 2, 3]);
    });
  }
  const failing: Record<string, unknown[]> = {
    TestFails: [{ op: 'test', path: '/metadata/resourceVersion', value: '4' }],
    MissingPath: [{ op: 'replace', path: '/nope', value: 1 }],
    BadIndex: [{ op: 'add', path: '/spec/list/9', value: 1 }],
    RemoveMissing: [{ op: 'remove', path: '/metadata/name' }],
    UnknownOp: [{ op: 'frobnicate', path: '/x' }],
  };
  for (const [name, ops] of Object.entries(failing)) {
    it(`${name} fails to apply (the server answers 422)`, () =>
      expect(() => applyJsonPatch(doc, parseJsonPatch(JSON.stringify(ops)))).toThrow(PatchApplyError));
  }
  it('rejects an undecodable patch with 400 and more than 10,000 operations with 413', () => {
    expect(() => parseJsonPatch('{')).toThrow(ApiError);
    expect(() => parseJsonPatch('{"op":"add"}')).toThrow(/cannot unmarshal object/);
    try {
      parseJsonPatch(JSON.stringify(Array.from({ length: 10_001 }, () => ({ op: 'test', path: '' }))));
      expect.unreachable();
    } catch (err) {
      expect((err as ApiError).status).toMatchObject({
        code: 413,
        message: 'The allowed maximum operations in a JSON patch is 10000, got 10001',
      });
    }
  });
});

describe('merge patch (RFC 7386)', () => {
  it('merges maps, deletes with null, replaces lists', () => {
    expect(applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [9] })).toEqual({ a: { c: 2, d: 3 }, l: [9] });
  });
});

describe('strategic merge patch', () => {
  const sf = builtinStrategyFor('ServiceAccount');
  it('merges ownerReferences by uid and finalizers as a set', () => {
    const orig = { metadata: { finalizers: ['a'], ownerReferences: [{ uid: '1', name: 'x' }] } };
    const out = applyStrategicMergePatch(
      orig,
      {
        metadata: {
          finalizers: ['b'],
          ownerReferences: [
            { uid: '1', name: 'y' },
            { uid: '2', name: 'z' },
          ],
        },
      },
      sf,
    );
    expect(out).toEqual({
      metadata: {
        finalizers: ['a', 'b'],
        ownerReferences: [
          { uid: '1', name: 'y' },
          { uid: '2', name: 'z' },
        ],
      },
    });
  });
  it('honours $patch: delete, $deleteFromPrimitiveList and $setElementOrder', () => {
    const orig = { metadata: { finalizers: ['a', 'b'] }, secrets: [{ name: 's1' }, { name: 's2' }] };
    const patch = {
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
      '$setElementOrder/secrets': [{ name: 's2' }, { name: 's3' }],
      secrets: [{ name: 's1', $patch: 'delete' }, { name: 's3' }],
    };
    expect(applyStrategicMergePatch(orig, patch, sf)).toEqual({
      metadata: { finalizers: ['b'] },
      secrets: [{ name: 's2' }, { name: 's3' }],
    });
  });
  it('replaces lists without a strategy and data maps key by key', () => {
    expect(
      applyStrategicMergePatch(
        { data: { a: '1', b: '2' }, imagePullSecrets: [{ name: 'x' }] },
        { data: { b: null, c: '3' }, imagePullSecrets: [{ name: 'y' }] },
        sf,
      ),
    ).toEqual({
      data: { a: '1', c: '3' },
      imagePullSecrets: [{ name: 'y' }],
    });
  });
});
