import { retryHintOf } from '@trellis/runtime';
import { codeOf } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { contains, matches } from './compare.ts';
import { HttpCode } from './errors.ts';
import { parseRetryAfter, serverMessage, statusError } from './http.ts';

const req = { method: 'POST', url: 'http://127.0.0.1:1/api/zones?secret=1' };

describe('statusError', () => {
  const cases = {
    Unauthorized: {
      reason: '401 is permanent and says to check credentials',
      status: 401,
      body: 'Unauthorized',
      want: { code: HttpCode.Unauthorized, permanent: true },
    },
    Forbidden: { reason: '403 is permanent', status: 403, body: '', want: { code: HttpCode.Forbidden, permanent: true } },
    Unprocessable: {
      reason: '422 is permanent and carries the server message',
      status: 422,
      body: { error: 'Name is not canonical' },
      want: { code: HttpCode.ClientError, permanent: true, message: 'POST http://127.0.0.1:1/api/zones: 422: Name is not canonical' },
    },
    Conflict: { reason: '409 backs off', status: 409, body: 'Conflict', want: { code: HttpCode.Conflict, permanent: false } },
    RequestTimeout: { reason: '408 backs off', status: 408, body: '', want: { code: HttpCode.Timeout, permanent: false } },
    TooMany: {
      reason: '429 waits for Retry-After',
      status: 429,
      body: '',
      headers: { 'retry-after': '7' },
      want: { code: HttpCode.TooManyRequests, after: 7000 },
    },
    TooManyNoHeader: {
      reason: '429 without Retry-After backs off',
      status: 429,
      body: '',
      want: { code: HttpCode.TooManyRequests, permanent: false },
    },
    Server: { reason: '500 backs off', status: 500, body: 'boom', want: { code: HttpCode.ServerError, permanent: false } },
    Unavailable: {
      reason: '503 with Retry-After waits',
      status: 503,
      body: '',
      headers: { 'retry-after': '2' },
      want: { code: HttpCode.ServerError, after: 2000 },
    },
  } satisfies Record<
    string,
    {
      reason: string;
      status: number;
      body: unknown;
      headers?: Record<string, string>;
      want: { code: string; permanent?: boolean; after?: number; message?: string };
    }
  >;
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => {
      const err = statusError(req, { status: tc.status, headers: new Headers('headers' in tc ? tc.headers : {}), body: tc.body });
      expect(codeOf(err)).toBe(tc.want.code);
      const hint = retryHintOf(err);
      if ('permanent' in tc.want) expect(hint.permanent).toBe(tc.want.permanent);
      if ('after' in tc.want) expect(hint.retryAfterMs).toBe(tc.want.after);
      if ('message' in tc.want) expect(err.message).toBe(tc.want.message);
      expect(err.message).not.toContain('secret');
    });
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-11-21T00:00:00Z');
  it('reads seconds, HTTP dates, and caps at ten minutes', () => {
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('999999', now)).toBe(600_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('serverMessage', () => {
  it('keeps one short line', () => {
    expect(serverMessage({ message: 'a\nb' })).toBe('a b');
    expect(serverMessage('x'.repeat(1000))).toHaveLength(300);
  });
});

describe('compare', () => {
  const cases = {
    ServerFieldsIgnored: {
      reason: 'fields the spec does not set are not drift',
      mode: 'subset',
      d: { a: 1 },
      o: { a: 1, serial: 9 },
      want: true,
    },
    NestedDiff: { reason: 'a nested difference is drift', mode: 'subset', d: { a: { b: 1 } }, o: { a: { b: 2 } }, want: false },
    SetOrder: {
      reason: 'set mode ignores order',
      mode: 'set',
      d: [{ c: 'x' }, { c: 'y' }],
      o: [
        { c: 'y', d: false },
        { c: 'x', d: false },
      ],
      want: true,
    },
    SetLength: { reason: 'set mode counts elements', mode: 'set', d: [{ c: 'x' }], o: [{ c: 'x' }, { c: 'y' }], want: false },
    ListOrder: { reason: 'subset mode keeps order', mode: 'subset', d: [1, 2], o: [2, 1], want: false },
    Time: { reason: 'time mode compares instants', mode: 'time', d: '2026-01-01T00:00:00Z', o: '2026-01-01T00:00:00.000Z', want: true },
    Fqdn: { reason: 'fqdn mode ignores case and the trailing dot', mode: 'fqdn', d: 'Example.Test', o: 'example.test.', want: true },
  } satisfies Record<string, { reason: string; mode: 'subset' | 'set' | 'time' | 'fqdn'; d: unknown; o: unknown; want: boolean }>;
  describe.each(Object.entries(cases))('%s', (_n, tc) => {
    it(tc.reason, () => expect(matches(tc.mode, tc.d, tc.o)).toBe(tc.want));
  });
  it('contains treats a number and its string form as equal', () => expect(contains(300, '300')).toBe(true));
});
