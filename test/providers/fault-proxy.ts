// A fault-injecting HTTP proxy in front of a real API (PowerDNS): it plays the network and the
// misbehaving server, not the API. Modes: pass (forward), status (answer with a status code and
// optional Retry-After), hang (never answer). Every request is recorded with its time.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FaultMode = { kind: 'pass' } | { kind: 'status'; status: number; retryAfter?: string; body?: string } | { kind: 'hang' };

export interface FaultProxy {
  url: string;
  mode: FaultMode;
  requests: { at: number; method: string; path: string }[];
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const hanging = new Set<import('node:http').ServerResponse>();
  const proxy: FaultProxy = { url: '', mode: { kind: 'pass' }, requests: [], close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      proxy.requests.push({ at: Date.now(), method: req.method ?? '', path: req.url ?? '' });
      const m = proxy.mode;
      if (m.kind === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (m.kind === 'status') {
        res.writeHead(m.status, {
          'content-type': 'application/json',
          ...(m.retryAfter === undefined ? {} : { 'retry-after': m.retryAfter }),
        });
        res.end(m.body ?? JSON.stringify({ error: `injected ${m.status}` }));
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && k !== 'host' && k !== 'content-length'),
      ) as Record<string, string>;
      fetch(`${upstream}${req.url ?? ''}`, {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      })
        .then(async (r) => {
          const body = Buffer.from(await r.arrayBuffer());
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'text/plain' });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(502);
          res.end(String(err));
        });
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((ok) => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      server.close(() => ok());
    });
  return proxy;
}
