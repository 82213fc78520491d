import type { KubeObject } from '@trellis/sdk';
import { TrellisError } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { newCompositionRevision } from '../revision/revision.ts';
import {
  checkCompatible,
  chooseRevision,
  SelectErrorCode,
  selectComposition,
  selectionFieldsOf,
  selectRevisionSelector,
  setSelectionFields,
} from './select.ts';

const xr: KubeObject = { apiVersion: 'example.org/v1', kind: 'XApp', metadata: { name: 'a' }, spec: {} };
const comp = (name: string, labels: Record<string, string> = {}, kind = 'XApp'): KubeObject => ({
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'Composition',
  metadata: { name, uid: `${name}-uid`, labels },
  spec: {
    compositeTypeRef: { apiVersion: 'example.org/v1', kind },
    mode: 'Pipeline',
    pipeline: [{ step: 's', functionRef: { name: 'f' } }],
  },
});
const xrd = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'CompositeResourceDefinition',
  metadata: { name: 'x' },
  spec,
});

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof TrellisError ? err.code : 'not a TrellisError';
  }
  return 'no error';
}

describe('selectComposition', () => {
  const comps = [comp('gold', { tier: 'gold' }), comp('silver', { tier: 'silver' }), comp('other', {}, 'XOther')];
  const cases: Record<
    string,
    { reason: string; fields: Parameters<typeof selectComposition>[1]; xrd?: KubeObject; want: string; events: string[]; update: boolean }
  > = {
    Enforced: {
      reason: 'the enforced Composition overrides whatever the XR says, and is written at once',
      fields: { compositionRef: { name: 'silver' } },
      xrd: xrd({ enforcedCompositionRef: { name: 'gold' } }),
      want: 'gold',
      events: ['Enforced composition has been selected', 'Successfully selected composition: gold'],
      update: true,
    },
    Default: {
      reason: 'an XR with neither ref nor selector gets the default',
      fields: {},
      xrd: xrd({ defaultCompositionRef: { name: 'silver' } }),
      want: 'silver',
      events: ['Default composition has been selected', 'Successfully selected composition: silver'],
      update: false,
    },
    DefaultSkippedWithSelector: {
      reason: 'a selector wins over the default',
      fields: { compositionSelector: { matchLabels: { tier: 'gold' } } },
      xrd: xrd({ defaultCompositionRef: { name: 'silver' } }),
      want: 'gold',
      events: ['Successfully selected composition: gold'],
      update: true,
    },
    Kept: { reason: 'a ref, once set, is kept', fields: { compositionRef: { name: 'silver' } }, want: 'silver', events: [], update: false },
  };
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      const s = selectComposition(xr, tc.fields, tc.xrd, comps, () => 0);
      expect(s.fields.compositionRef?.name).toBe(tc.want);
      expect(s.events.map((e) => e.message)).toEqual(tc.events);
      expect(s.update).toBe(tc.update);
    });
  });

  it('picks at random among compatible Compositions when there is no selector, and fails when none fit', () => {
    expect(selectComposition(xr, {}, undefined, comps, () => 0.99).fields.compositionRef?.name).toBe('silver');
    expect(selectComposition(xr, {}, undefined, comps, () => 0).fields.compositionRef?.name).toBe('gold');
    expect(code(() => selectComposition(xr, { compositionSelector: { matchLabels: { tier: 'bronze' } } }, undefined, comps))).toBe(
      SelectErrorCode.NoComposition,
    );
  });
});

describe('revisions', () => {
  const c = comp('gold');
  const valid = (r: KubeObject, labels: Record<string, string> = {}): KubeObject => ({
    ...r,
    metadata: { ...r.metadata, labels: { ...r.metadata.labels, ...labels } },
    status: { conditions: [{ type: 'ValidPipeline', status: 'True', reason: 'ValidPipeline' }] },
  });
  const r1 = valid(newCompositionRevision(c, 1), { channel: 'stable' });
  const r2 = valid(newCompositionRevision({ ...c, metadata: { ...c.metadata, labels: { x: 'y' } } }, 2));

  it('follows the latest revision under Automatic and records the ref', () => {
    const ch = chooseRevision({ compositionRef: { name: 'gold' }, compositionUpdatePolicy: 'Automatic' }, c, [r1, r2]);
    expect(ch.revision.metadata.name).toBe(r2.metadata.name);
    expect(ch.fields.compositionRevisionRef?.name).toBe(r2.metadata.name);
    expect(ch.update).toBe(true);
  });

  it('honours the revision selector under Automatic only', () => {
    const sel = { compositionRef: { name: 'gold' }, compositionRevisionSelector: { matchLabels: { channel: 'stable' } } };
    expect(chooseRevision({ ...sel, compositionUpdatePolicy: 'Automatic' }, c, [r1, r2]).revision.metadata.name).toBe(r1.metadata.name);
    expect(chooseRevision({ ...sel, compositionUpdatePolicy: 'Manual' }, c, [r1, r2]).revision.metadata.name).toBe(r2.metadata.name);
  });

  it('keeps a pinned revision under Manual, even when newer ones exist', () => {
    const ch = chooseRevision(
      { compositionRef: { name: 'gold' }, compositionUpdatePolicy: 'Manual', compositionRevisionRef: { name: r1.metadata.name ?? '' } },
      c,
      [r1, r2],
    );
    expect(ch.revision.metadata.name).toBe(r1.metadata.name);
    expect(ch.update).toBe(false);
  });

  it('refuses a revision whose pipeline is not valid, with upstream message', () => {
    const invalid = {
      ...r2,
      status: {
        conditions: [{ type: 'ValidPipeline', status: 'False', reason: 'MissingCapabilities', message: 'function x lacks composition' }],
      },
    };
    expect(() => chooseRevision({ compositionRef: { name: 'gold' }, compositionUpdatePolicy: 'Automatic' }, c, [invalid])).toThrow(
      `selected CompositionRevision ${r2.metadata.name} does not have a valid function pipeline: function x lacks composition`,
    );
    const unknown = { ...r2, status: {} };
    expect(() => chooseRevision({ compositionRef: { name: 'gold' } }, c, [unknown])).toThrow('pipeline status unknown');
    expect(code(() => chooseRevision({ compositionRef: { name: 'gold' } }, c, []))).toBe(SelectErrorCode.NoRevision);
  });

  it('defaults the revision selector from the XRD', () => {
    const s = selectRevisionSelector({}, xrd({ defaultCompositionRevisionSelector: { matchLabels: { channel: 'stable' } } }));
    expect(s.fields.compositionRevisionSelector).toEqual({ matchLabels: { channel: 'stable' } });
    expect(s.events[0]?.message).toBe('Default revision selector has been selected');
  });

  it('checks the revision is for this XR type', () => {
    expect(code(() => checkCompatible({ ...xr, kind: 'XOther' }, r1))).toBe(SelectErrorCode.Incompatible);
  });
});

describe('selection fields', () => {
  it('reads and writes spec.crossplane for modern XRs and spec for legacy ones', () => {
    const fields = { compositionRef: { name: 'gold' }, compositionUpdatePolicy: 'Manual' as const };
    const modern = setSelectionFields(xr, 'Modern', fields);
    expect(modern.spec).toEqual({ crossplane: fields });
    expect(selectionFieldsOf(modern, 'Modern')).toEqual(fields);
    const legacy = setSelectionFields(xr, 'Legacy', fields);
    expect(legacy.spec).toEqual(fields);
    expect(selectionFieldsOf(legacy, 'Legacy')).toEqual(fields);
  });
});
