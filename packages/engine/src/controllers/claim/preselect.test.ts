import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { newCompositionRevision } from '../../revision/revision.ts';
import { type BindingSelection, preselectComposition, type SelectionSources } from './preselect.ts';

const XR = { apiVersion: 'example.org/v1', kind: 'XApp' } as const;

const comp = (name: string, labels: Record<string, string> = {}, kind = 'XApp'): KubeObject => ({
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'Composition',
  metadata: { name, uid: `${name}-uid`, labels },
  spec: { compositeTypeRef: { apiVersion: XR.apiVersion, kind }, mode: 'Pipeline', pipeline: [{ step: 's', functionRef: { name: 'f' } }] },
});
const withPipeline = (rev: KubeObject, status: 'True' | 'False', labels: Record<string, string> = {}): KubeObject => ({
  ...rev,
  metadata: { ...rev.metadata, labels: { ...rev.metadata.labels, ...labels } },
  status: { conditions: [{ type: 'ValidPipeline', status, reason: status === 'True' ? 'ValidPipeline' : 'MissingCapabilities' }] },
});
const xrd = (spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'CompositeResourceDefinition',
  metadata: { name: 'xapps.example.org' },
  spec,
});
const claim = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'example.org/v1',
  kind: 'App',
  metadata: { name: 'a', namespace: 'ns' },
  spec,
});

const gold = comp('gold', { tier: 'gold' });
const silver = comp('silver', { tier: 'silver' });
const other = comp('other', {}, 'XOther');
// Gold has two valid revisions (the second is the latest); silver one, labelled for a channel.
const gold1 = withPipeline(newCompositionRevision(gold, 1), 'True', { channel: 'stable' });
const gold2 = withPipeline(newCompositionRevision({ ...gold, metadata: { ...gold.metadata, annotations: { v: '2' } } }, 2), 'True');
const silver1 = withPipeline(newCompositionRevision(silver, 1), 'True');
const ref = (r: KubeObject) => ({ name: r.metadata.name ?? '' });

describe('preselectComposition', () => {
  const sources = (over: Partial<SelectionSources> = {}): SelectionSources => ({
    xrd: xrd(),
    compositions: [gold, silver, other],
    revisions: [gold1, gold2, silver1],
    ...over,
  });
  const cases: Record<
    string,
    { reason: string; spec: Record<string, unknown>; sources: SelectionSources; want: BindingSelection | undefined }
  > = {
    Selector: {
      reason: 'the label selector picks the matching Composition, and the latest revision under the default Automatic policy',
      spec: { compositionSelector: { matchLabels: { tier: 'gold' } } },
      sources: sources(),
      want: { compositionRef: { name: 'gold' }, compositionRevisionRef: ref(gold2) },
    },
    Named: {
      reason: 'a claim that names its Composition keeps it; only the revision is added',
      spec: { compositionRef: { name: 'silver' } },
      sources: sources(),
      want: { compositionRevisionRef: ref(silver1) },
    },
    Default: {
      reason: "the XRD's default Composition, as the XR would select it",
      spec: {},
      sources: sources({ xrd: xrd({ defaultCompositionRef: { name: 'silver' } }) }),
      want: { compositionRef: { name: 'silver' }, compositionRevisionRef: ref(silver1) },
    },
    Enforced: {
      reason: "the XRD's enforced Composition replaces the claim's, as the claim copies it back from the XR",
      spec: { compositionRef: { name: 'silver' } },
      sources: sources({ xrd: xrd({ enforcedCompositionRef: { name: 'gold' } }) }),
      want: { compositionRef: { name: 'gold' }, compositionRevisionRef: ref(gold2) },
    },
    ManualClaim: {
      reason: 'under the Manual policy the claim does not copy the revision back, so it is not preselected',
      spec: { compositionRef: { name: 'gold' }, compositionUpdatePolicy: 'Manual' },
      sources: sources(),
      want: {},
    },
    ManualDefault: {
      reason: "the XRD's default policy is what the XR CRD defaults the new XR to",
      spec: { compositionRef: { name: 'gold' } },
      sources: sources({ xrd: xrd({ defaultCompositionUpdatePolicy: 'Manual' }) }),
      want: {},
    },
    StaleRevisionRef: {
      reason: 'a revision ref on the claim does not reach a new XR (Automatic), so the latest revision is chosen',
      spec: { compositionRef: { name: 'gold' }, compositionRevisionRef: ref(gold1) },
      sources: sources(),
      want: { compositionRevisionRef: ref(gold2) },
    },
    DefaultRevisionSelector: {
      reason: "the XRD's default revision selector is added and narrows the revisions",
      spec: { compositionRef: { name: 'gold' } },
      sources: sources({ xrd: xrd({ defaultCompositionRevisionSelector: { matchLabels: { channel: 'stable' } } }) }),
      want: { compositionRevisionSelector: { matchLabels: { channel: 'stable' } }, compositionRevisionRef: ref(gold1) },
    },
    NothingCompatible: {
      reason: 'no Composition for the XR type: the XR selects and reports the error',
      spec: {},
      sources: sources({ compositions: [other] }),
      want: undefined,
    },
    UnknownComposition: {
      reason: 'the claim names a Composition not seen yet: the XR selects and reports it',
      spec: { compositionRef: { name: 'missing' } },
      sources: sources(),
      want: undefined,
    },
    NoRevisionYet: {
      reason: 'a new Composition without a revision yet: the XR waits for it',
      spec: { compositionRef: { name: 'silver' } },
      sources: sources({ revisions: [gold1, gold2] }),
      want: undefined,
    },
    InvalidPipeline: {
      reason: 'the latest revision has no valid pipeline: the XR reports it',
      spec: { compositionRef: { name: 'silver' } },
      sources: sources({ revisions: [withPipeline(newCompositionRevision(silver, 1), 'False')] }),
      want: undefined,
    },
    Incompatible: {
      reason: 'a claim naming a Composition of another XR type: the XR reports it',
      spec: { compositionRef: { name: 'other' } },
      sources: sources({ revisions: [withPipeline(newCompositionRevision(other, 1), 'True')] }),
      want: undefined,
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(`${name}: ${tc.reason}`, () => {
      expect(preselectComposition(claim(tc.spec), XR, tc.sources, () => 0)).toEqual(tc.want);
    });
  }
});
