import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { codeOf } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpCode } from './errors.ts';
import { maxResponseBytes, send } from './http.ts';
import { queryAll } from './jsonpath.ts';

// A loopback server playing a broken or hostile API.
let url = '';
const server = createServer((req, res) => {
  if (req.url === '/huge') {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    const more = (): void => {
      while (sent <= maxResponseBytes) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', more);
          return;
        }
      }
      res.end();
    };
    more();
    return;
  }
  if (req.url === '/declared-huge') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(maxResponseBytes + 1) });
    res.end();
    return;
  }
  if (req.url === '/bad-json') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id": ');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('plain text');
});
beforeAll(async () => {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

async function codeOfSend(path: string): Promise<string> {
  try {
    await send({ method: 'GET', url: `${url}${path}`, headers: {} }, AbortSignal.timeout(10_000));
  } catch (err) {
    return codeOf(err);
  }
  return 'ok';
}

describe('send against a hostile server', () => {
  it('refuses a response larger than the limit while reading it', async () => expect(await codeOfSend('/huge')).toBe(HttpCode.BadResponse));
  it('refuses a response whose declared length is over the limit', async () =>
    expect(await codeOfSend('/declared-huge')).toBe(HttpCode.BadResponse));
  it('refuses malformed JSON declared as JSON', async () => expect(await codeOfSend('/bad-json')).toBe(HttpCode.BadResponse));
  it('keeps a text body as text', async () => {
    const r = await send({ method: 'GET', url: `${url}/text`, headers: {} }, AbortSignal.timeout(10_000));
    expect(r.body).toBe('plain text');
  });
});

describe('queryAll', () => {
  it('rejects a malformed JSONPath with a mapping error', () => {
    let err: unknown;
    try {
      queryAll('$[?(@.a ==', { a: 1 });
    } catch (e) {
      err = e;
    }
    expect(codeOf(err)).toBe(HttpCode.InvalidMapping);
  });
  it('finds nothing in scalars', () => expect(queryAll('$.a', 'x')).toEqual([]));
});
