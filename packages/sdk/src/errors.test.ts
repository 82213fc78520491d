import { describe, expect, it } from 'vitest';
import { codeOf, findCause, formatError, hasCode, INTERNAL, TrellisError, wrap } from './index.ts';

class CustomError extends Error {}

describe('TrellisError', () => {
  const cases = {
    OneLine: {
      reason: 'messages are always one line',
      err: new TrellisError('X', 'cannot do\n  the thing\r\nnow'),
      want: { message: 'cannot do the thing now', code: 'X' },
    },
    WrapInherits: {
      reason: 'wrap keeps the code of the first TrellisError in the chain',
      err: wrap(new TrellisError('KUBE_NOT_FOUND', 'not found'), 'cannot get XR "a"'),
      want: { message: 'cannot get XR "a"', code: 'KUBE_NOT_FOUND', formatted: 'cannot get XR "a": not found' },
    },
    WrapForeign: {
      reason: 'wrapping a foreign error without a code yields INTERNAL',
      err: wrap(new Error('boom'), 'cannot render'),
      want: { message: 'cannot render', code: INTERNAL, formatted: 'cannot render: boom' },
    },
    WrapOverride: {
      reason: 'an explicit code wins over the cause',
      err: wrap(new TrellisError('A', 'inner'), 'outer', 'B'),
      want: { message: 'outer', code: 'B', formatted: 'outer: inner' },
    },
  } satisfies Record<string, { reason: string; err: TrellisError; want: { message: string; code: string; formatted?: string } }>;

  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      expect(tc.err.message).toBe(tc.want.message);
      expect(codeOf(tc.err)).toBe(tc.want.code);
      if ('formatted' in tc.want) expect(formatError(tc.err)).toBe(tc.want.formatted);
    });
  });

  it('finds causes by class and code through several levels', () => {
    const root = new CustomError('root');
    const err = wrap(wrap(new TrellisError('DEEP', 'deep', { cause: root }), 'middle'), 'top', 'TOP');
    expect(findCause(err, CustomError)).toBe(root);
    expect(hasCode(err, 'DEEP')).toBe(true);
    expect(hasCode(err, 'NOPE')).toBe(false);
    expect(formatError(err)).toBe('top: middle: deep: root');
  });

  it('survives a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(formatError(b)).toBe('b: a');
  });
});
