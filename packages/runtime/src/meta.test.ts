import type { KubeObject } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { Annotation, externalCreateIncomplete, parseDuration, parseTimestamp } from './meta.ts';
import { defaultPollOptions, nextPoll } from './poll.ts';

function withAnnotations(a: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'X', metadata: { name: 'x', annotations: a } };
}

describe('externalCreateIncomplete', () => {
  const cases = {
    NeverStarted: { reason: 'no pending annotation: not incomplete', a: {}, want: false },
    Pending: { reason: 'pending alone: incomplete', a: { [Annotation.ExternalCreatePending]: '2026-01-01T00:00:00Z' }, want: true },
    Succeeded: {
      reason: 'succeeded after pending: complete',
      a: { [Annotation.ExternalCreatePending]: '2026-01-01T00:00:00Z', [Annotation.ExternalCreateSucceeded]: '2026-01-01T00:00:01Z' },
      want: false,
    },
    FailedThenRetried: {
      reason: 'a retry after a failure in the same second is still incomplete (millisecond timestamps)',
      a: { [Annotation.ExternalCreateFailed]: '2026-01-01T00:00:00.100Z', [Annotation.ExternalCreatePending]: '2026-01-01T00:00:00.900Z' },
      want: true,
    },
    Garbage: { reason: 'a malformed pending timestamp is ignored', a: { [Annotation.ExternalCreatePending]: 'yesterday' }, want: false },
  } satisfies Record<string, { reason: string; a: Record<string, string>; want: boolean }>;
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => expect(externalCreateIncomplete(withAnnotations(tc.a))).toBe(tc.want));
  });
});

describe('parseDuration', () => {
  const cases = {
    Seconds: { reason: 'seconds', v: '30s', want: 30_000 },
    Mixed: { reason: 'hours, minutes and seconds', v: '1h2m3s', want: 3_723_000 },
    Millis: { reason: 'milliseconds', v: '250ms', want: 250 },
    Fraction: { reason: 'fractions', v: '1.5m', want: 90_000 },
    Bare: { reason: 'a bare number is not a duration', v: '30', want: undefined },
    Junk: { reason: 'junk is not a duration', v: '5 minutes', want: undefined },
    Huge: { reason: 'oversized input is rejected', v: '1s'.repeat(100), want: undefined },
  } satisfies Record<string, { reason: string; v: string; want: number | undefined }>;
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => expect(parseDuration(tc.v)).toBe(tc.want));
  });
});

describe('parseTimestamp', () => {
  it('reads RFC 3339 with and without fractions, rejects other formats', () => {
    expect(parseTimestamp('2026-01-01T00:00:00Z')?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseTimestamp('2026-01-01T00:00:00.123456789Z')?.toISOString()).toBe('2026-01-01T00:00:00.123Z');
    expect(parseTimestamp('2026-01-01T01:00:00+01:00')?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseTimestamp('Jan 1 2026')).toBeUndefined();
  });
});

describe('nextPoll', () => {
  const ready: KubeObject = {
    apiVersion: 'v1',
    kind: 'X',
    metadata: { name: 'x' },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'Available' }] },
  };
  it('spreads polls by the jitter fraction around the interval', () => {
    expect(nextPoll(ready, defaultPollOptions, () => 0)).toBe(54_000);
    expect(nextPoll(ready, defaultPollOptions, () => 1)).toBe(66_000);
  });
  it('polls faster while not Ready', () => {
    expect(nextPoll({ ...ready, status: {} }, defaultPollOptions, () => 0.5)).toBe(15_000);
  });
  it('clamps the per-resource override to the minimum', () => {
    const o = { ...ready, metadata: { name: 'x', annotations: { [Annotation.PollInterval]: '1ms' } } };
    expect(nextPoll(o, defaultPollOptions, () => 0.5)).toBe(1_000);
  });
});
