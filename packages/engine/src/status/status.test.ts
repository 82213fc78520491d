import { describe, expect, it } from 'vitest';
import { stableNAndSomeMore } from './conditions.ts';
import { fieldPathFromMessage, MaxPipelineResults, resourceFromMessage, toPipelineResults } from './results.ts';

describe('stableNAndSomeMore', () => {
  const cases = {
    None: { reason: 'no names is empty', names: [], want: '' },
    Two: { reason: 'two names are joined, sorted', names: ['b', 'a'], want: 'a, b' },
    Three: { reason: 'exactly three uses a final "and"', names: ['c', 'a', 'b'], want: 'a, b, and c' },
    Many: { reason: 'more than three are summarised', names: ['e', 'd', 'c', 'b', 'a'], want: 'a, b, c, and 2 more' },
  };
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => expect(stableNAndSomeMore(tc.names)).toBe(tc.want));
  });
});

describe('pipeline results', () => {
  const cases = {
    PatchFailure: {
      reason: 'a P&T patch failure names its resource and field path',
      message: 'cannot render composed resource "bucket" "FromCompositeFieldPath" patch at index 1: spec.widgets[0]: not an array',
      want: { resource: 'bucket', fieldPath: 'spec.widgets[0]' },
    },
    Required: {
      reason: 'a Required patch warning names the missing path',
      message:
        'not adding new composed resource "db" to desired state because "FromCompositeFieldPath" patch at index 0 has \'policy.fromFieldPath: Required\': spec.parameters.size: no such field',
      want: { resource: 'db', fieldPath: 'spec.parameters.size' },
    },
    ParsePath: {
      reason: 'a path that does not parse is named',
      message:
        'cannot check readiness of composed resource "x": cannot run readiness check at index 0: cannot parse path "metadata..uid": unexpected',
      want: { resource: 'x', fieldPath: 'metadata..uid' },
    },
    Plain: { reason: 'a message without a resource or path has neither', message: 'something else happened', want: {} },
  };
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => {
      const got: Record<string, string> = {};
      const r = resourceFromMessage(tc.message);
      const f = fieldPathFromMessage(tc.message);
      if (r !== undefined) got.resource = r;
      if (f !== undefined) got.fieldPath = f;
      expect(got).toEqual(tc.want);
    });
  });

  it('normalises severities and targets and prefers structured fields', () => {
    expect(
      toPipelineResults([
        {
          step: 'p',
          severity: 'SEVERITY_FATAL',
          message: 'cannot render composed resource "a": x: no such field',
          target: 'TARGET_COMPOSITE_AND_CLAIM',
        },
        { step: 'q', severity: 'SEVERITY_UNSPECIFIED', message: 'hm\nmultiline', reason: 'R', resource: 'given', fieldPath: 'spec.x' },
      ]),
    ).toEqual([
      {
        step: 'p',
        severity: 'Fatal',
        message: 'cannot render composed resource "a": x: no such field',
        resource: 'a',
        fieldPath: 'x',
        target: 'CompositeAndClaim',
      },
      { step: 'q', severity: 'Warning', message: 'hm multiline', reason: 'R', resource: 'given', fieldPath: 'spec.x' },
    ]);
  });

  it('bounds messages and the number of results', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ step: `s${i}`, severity: 'SEVERITY_NORMAL', message: 'x'.repeat(5000) }));
    const got = toPipelineResults(many);
    expect(got).toHaveLength(MaxPipelineResults);
    expect(got[0]?.message.length).toBe(1024);
    expect(got.at(-1)?.message).toBe('69 more results were not kept');
  });
});
