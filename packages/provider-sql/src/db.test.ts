import { retryHintOf } from '@trellis/runtime';
import { codeOf } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { classifyPgError, quoteIdent, quoteLiteral } from './db.ts';
import { SqlCode } from './errors.ts';

describe('classifyPgError', () => {
  const cases = {
    Refused: {
      reason: 'a refused connection backs off',
      err: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      want: SqlCode.Unreachable,
      permanent: false,
    },
    Auth: {
      reason: 'failed authentication is permanent',
      err: Object.assign(new Error('password authentication failed'), { code: '28P01' }),
      want: SqlCode.AuthFailed,
      permanent: true,
    },
    Privilege: {
      reason: 'a missing privilege is permanent',
      err: Object.assign(new Error('permission denied'), { code: '42501' }),
      want: SqlCode.Forbidden,
      permanent: true,
    },
    Invalid: {
      reason: 'an invalid statement is permanent',
      err: Object.assign(new Error('role "x" does not exist'), { code: '42704' }),
      want: SqlCode.Invalid,
      permanent: true,
    },
    Other: {
      reason: 'anything else backs off',
      err: Object.assign(new Error('deadlock detected'), { code: '40P01' }),
      want: SqlCode.Server,
      permanent: false,
    },
  } satisfies Record<string, { reason: string; err: Error; want: string; permanent: boolean }>;
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      const e = classifyPgError(tc.err, 'postgres 127.0.0.1:5432');
      expect(codeOf(e)).toBe(tc.want);
      expect(retryHintOf(e).permanent).toBe(tc.permanent);
      expect(e.message.startsWith('postgres 127.0.0.1:5432: ')).toBe(true);
    });
  });
});

describe('quoting', () => {
  it('quotes hostile identifiers and literals so they stay one token', () => {
    expect(quoteIdent('x"; DROP ROLE postgres; --')).toBe('"x""; DROP ROLE postgres; --"');
    expect(quoteLiteral("it's; DROP")).toBe("'it''s; DROP'");
  });
});
