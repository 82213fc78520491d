import { describe, expect, it } from 'vitest';
import { requestUrl } from './handler.ts';

describe('request targets', () => {
  // Each target is parsed by the fast path or by URL; either way the result must equal URL's.
  const targets = [
    '/',
    '/api/v1/namespaces/default/configmaps',
    '/api/v1/namespaces/default/configmaps/',
    '/apis/example.org/v1/widgets?watch=true&resourceVersion=10&fieldSelector=metadata.name%3Dx',
    '/api/v1/namespaces/a/configmaps?labelSelector=app+in+(a,b)&dryRun=All&dryRun=All',
    "/api/v1/namespaces/a/configmaps/c-1.x~y_z!$&'()*+,;=:@?q=%zz&r=%",
    '/api/v1/namespaces/a/configmaps/Ãé?x=Ã',
    '/api/../apis',
    '/api/./v1',
    '/api//v1',
    '/.well-known/openid-configuration',
    '/api/v1/namespaces/a%2Fb/configmaps',
    '/api/v1/na mespaces?x=a b',
    '/openapi/v3/apis/g/v1?hash=abc#frag',
    '/api/v1\\namespaces',
    '/api/v1/"quoted"/<x>?q="v"',
  ];
  for (const t of targets) {
    it(`parses ${JSON.stringify(t)} as URL does`, () => {
      const want = new URL(t, 'https://localhost');
      const got = requestUrl(t);
      expect(got.pathname).toBe(want.pathname);
      expect([...got.searchParams]).toEqual([...want.searchParams]);
    });
  }
});
