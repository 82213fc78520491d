import { TrellisError, wrap } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import {
  codeForStatus,
  fromNetworkError,
  fromStatus,
  isAlreadyExists,
  isConflict,
  isGone,
  isInvalid,
  isNotFound,
  KubeApiError,
  KubeErrorCode,
} from './errors.ts';

const subject = { kind: 'Widget', namespace: 'ns', name: 'w1' };

interface Case {
  reason: string;
  httpStatus: number;
  body: unknown;
  want: { code: string; reason: string; message: string; causes?: unknown[]; retryAfterSeconds?: number };
}

const cases: Record<string, Case> = {
  NotFound: {
    reason: 'a 404 Status becomes KUBE_NOT_FOUND naming the object',
    httpStatus: 404,
    body: { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'widgets.example.com "w1" not found' },
    want: { code: 'KUBE_NOT_FOUND', reason: 'NotFound', message: 'cannot get Widget "ns/w1": widgets.example.com "w1" not found' },
  },
  AlreadyExists: {
    reason: 'a 409 with reason AlreadyExists is not a conflict',
    httpStatus: 409,
    body: { kind: 'Status', reason: 'AlreadyExists', code: 409, message: 'widgets.example.com "w1" already exists' },
    want: {
      code: 'KUBE_ALREADY_EXISTS',
      reason: 'AlreadyExists',
      message: 'cannot get Widget "ns/w1": widgets.example.com "w1" already exists',
    },
  },
  Conflict: {
    reason: 'a 409 with reason Conflict is a conflict',
    httpStatus: 409,
    body: { kind: 'Status', reason: 'Conflict', code: 409, message: 'Operation cannot be fulfilled' },
    want: { code: 'KUBE_CONFLICT', reason: 'Conflict', message: 'cannot get Widget "ns/w1": Operation cannot be fulfilled' },
  },
  Invalid: {
    reason: 'a 422 keeps its field causes',
    httpStatus: 422,
    body: {
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
      message: 'Widget.example.com "w1" is invalid: spec.size: Invalid value: 0',
      details: { causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0', field: 'spec.size' }] },
    },
    want: {
      code: 'KUBE_INVALID',
      reason: 'Invalid',
      message: 'cannot get Widget "ns/w1": Widget.example.com "w1" is invalid: spec.size: Invalid value: 0',
      causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0', field: 'spec.size' }],
    },
  },
  Expired: {
    reason: 'a 410 Expired is KUBE_GONE',
    httpStatus: 410,
    body: { kind: 'Status', reason: 'Expired', code: 410, message: 'too old resource version: 1 (5)' },
    want: { code: 'KUBE_GONE', reason: 'Expired', message: 'cannot get Widget "ns/w1": too old resource version: 1 (5)' },
  },
  GoneNoReason: {
    reason: 'a bare 410 without a Status is KUBE_GONE with reason Gone',
    httpStatus: 410,
    body: undefined,
    want: { code: 'KUBE_GONE', reason: 'Gone', message: 'cannot get Widget "ns/w1": HTTP 410 Gone' },
  },
  TooMany: {
    reason: 'a 429 keeps the retry hint',
    httpStatus: 429,
    body: { kind: 'Status', reason: 'TooManyRequests', code: 429, message: 'slow down', details: { retryAfterSeconds: 3 } },
    want: {
      code: 'KUBE_TOO_MANY_REQUESTS',
      reason: 'TooManyRequests',
      message: 'cannot get Widget "ns/w1": slow down',
      retryAfterSeconds: 3,
    },
  },
  InternalNoReason: {
    reason: 'a 500 without a reason (the resourceVersion-on-create case) is KUBE_INTERNAL',
    httpStatus: 500,
    body: { kind: 'Status', status: 'Failure', code: 500, message: 'resourceVersion should not be set on objects to be created' },
    want: {
      code: 'KUBE_INTERNAL',
      reason: 'InternalError',
      message: 'cannot get Widget "ns/w1": resourceVersion should not be set on objects to be created',
    },
  },
  HtmlFromProxy: {
    reason: 'a non-JSON body from a proxy is summarised on one line',
    httpStatus: 502,
    body: '<html>\n<body>Bad Gateway</body>\n</html>',
    want: { code: 'KUBE_UNAVAILABLE', reason: '', message: 'cannot get Widget "ns/w1": HTTP 502: <html> <body>Bad Gateway</body> </html>' },
  },
  UnsupportedMedia: {
    reason: 'a 415 is a bad request',
    httpStatus: 415,
    body: { kind: 'Status', reason: 'UnsupportedMediaType', code: 415, message: 'the body of the request was in an unknown format' },
    want: {
      code: 'KUBE_BAD_REQUEST',
      reason: 'UnsupportedMediaType',
      message: 'cannot get Widget "ns/w1": the body of the request was in an unknown format',
    },
  },
  Forbidden: {
    reason: 'a 403 is KUBE_FORBIDDEN',
    httpStatus: 403,
    body: { kind: 'Status', reason: 'Forbidden', code: 403, message: 'widgets "w1" is forbidden' },
    want: { code: 'KUBE_FORBIDDEN', reason: 'Forbidden', message: 'cannot get Widget "ns/w1": widgets "w1" is forbidden' },
  },
  Unauthorized: {
    reason: 'a 401 is KUBE_UNAUTHORIZED',
    httpStatus: 401,
    body: { kind: 'Status', reason: 'Unauthorized', code: 401, message: 'Unauthorized' },
    want: { code: 'KUBE_UNAUTHORIZED', reason: 'Unauthorized', message: 'cannot get Widget "ns/w1": Unauthorized' },
  },
  TimeoutTooLargeRv: {
    reason: 'a 504 "too large resource version" is KUBE_TIMEOUT',
    httpStatus: 504,
    body: { kind: 'Status', reason: 'Timeout', code: 504, message: 'Timeout: Too large resource version: 9, current: 5' },
    want: {
      code: 'KUBE_TIMEOUT',
      reason: 'Timeout',
      message: 'cannot get Widget "ns/w1": Timeout: Too large resource version: 9, current: 5',
    },
  },
};

describe('fromStatus', () => {
  describe.each(Object.entries(cases))('%s', (_name, tc) => {
    it(tc.reason, () => {
      const err = fromStatus({ verb: 'get', subject, httpStatus: tc.httpStatus, body: tc.body });
      expect(err).toBeInstanceOf(KubeApiError);
      expect(err).toBeInstanceOf(TrellisError);
      expect(err.code).toBe(tc.want.code);
      expect(err.reason).toBe(tc.want.reason);
      expect(err.message).toBe(tc.want.message);
      expect(err.status).toBe(tc.httpStatus);
      expect(err.causes).toEqual(tc.want.causes ?? []);
      expect(err.retryAfterSeconds).toBe(tc.want.retryAfterSeconds);
      expect(err.subject).toEqual(subject);
    });
  });

  it('bounds hostile server messages and causes', () => {
    const huge = 'x'.repeat(100_000);
    const err = fromStatus({
      verb: 'get',
      subject,
      httpStatus: 422,
      body: {
        kind: 'Status',
        reason: 'Invalid',
        message: `${huge}\n${huge}`,
        details: { causes: Array.from({ length: 1000 }, () => ({ field: huge, message: huge, reason: huge, extra: huge })) },
      },
    });
    expect(err.message.length).toBeLessThan(2200);
    expect(err.message).not.toMatch(/\n/);
    expect(err.causes).toHaveLength(100);
    expect(err.causes[0]?.field?.length).toBeLessThan(600);
    expect(Object.keys(err.causes[0] ?? {}).sort()).toEqual(['field', 'message', 'reason']);
  });

  it.each([
    ['an array', [1, 2]],
    ['a number', 42],
    ['null', null],
    ['a Status with non-string fields', { kind: 'Status', reason: 7, message: { a: 1 }, details: { causes: 'nope' } }],
  ])('survives a malformed body: %s', (_what, body) => {
    const err = fromStatus({ verb: 'list', subject: { kind: 'Widget' }, httpStatus: 400, body });
    expect(err.code).toBe(KubeErrorCode.BadRequest);
    expect(err.message).toBe('cannot list Widget objects: HTTP 400 BadRequest');
  });

  it('names a kind in a namespace when there is no object name', () => {
    const err = fromStatus({ verb: 'list', subject: { kind: 'Widget', namespace: 'ns' }, httpStatus: 403, body: undefined });
    expect(err.message).toBe('cannot list Widget objects in namespace "ns": HTTP 403 Forbidden');
  });
});

describe('codeForStatus', () => {
  it.each([
    [400, '', 'KUBE_BAD_REQUEST'],
    [404, '', 'KUBE_NOT_FOUND'],
    [405, 'MethodNotAllowed', 'KUBE_BAD_REQUEST'],
    [408, '', 'KUBE_TIMEOUT'],
    [409, '', 'KUBE_CONFLICT'],
    [413, 'RequestEntityTooLarge', 'KUBE_BAD_REQUEST'],
    [418, '', 'KUBE_BAD_REQUEST'],
    [500, 'InternalError', 'KUBE_INTERNAL'],
    [503, '', 'KUBE_UNAVAILABLE'],
    [504, 'Timeout', 'KUBE_TIMEOUT'],
    [500, 'ServerTimeout', 'KUBE_TIMEOUT'],
    [200, 'Expired', 'KUBE_GONE'],
  ])('maps %i %s to %s', (status, reason, code) => {
    expect(codeForStatus(status, reason)).toBe(code);
  });
});

describe('fromNetworkError', () => {
  it('names the errno and the server, with status 0', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = fromNetworkError({ verb: 'get', subject, cause, server: 'https://127.0.0.1:1' });
    expect(err.code).toBe(KubeErrorCode.Unavailable);
    expect(err.status).toBe(0);
    expect(err.message).toBe('cannot get Widget "ns/w1": cannot reach API server https://127.0.0.1:1: ECONNREFUSED');
    expect(err.cause).toBe(cause);
  });
});

describe('predicates', () => {
  const mk = (status: number, reason: string) => fromStatus({ verb: 'get', subject, httpStatus: status, body: { kind: 'Status', reason } });
  it('see through wraps that keep the code', () => {
    expect(isNotFound(wrap(mk(404, 'NotFound'), 'cannot observe'))).toBe(true);
    expect(isConflict(wrap(mk(409, 'Conflict'), 'cannot apply'))).toBe(true);
    expect(isAlreadyExists(mk(409, 'AlreadyExists'))).toBe(true);
    expect(isConflict(mk(409, 'AlreadyExists'))).toBe(false);
    expect(isGone(mk(410, 'Expired'))).toBe(true);
    expect(isInvalid(mk(422, 'Invalid'))).toBe(true);
  });
  it('follow the outermost code when a wrap overrides it', () => {
    expect(isNotFound(wrap(mk(404, 'NotFound'), 'engine failed', 'ENGINE_FAILED'))).toBe(false);
  });
  it('are false for foreign errors and non-errors', () => {
    expect(isNotFound(new Error('not found'))).toBe(false);
    expect(isNotFound(undefined)).toBe(false);
    expect(isNotFound('KUBE_NOT_FOUND')).toBe(false);
  });
});
