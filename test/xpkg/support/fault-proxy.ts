// A loopback reverse proxy in front of the real registry that injects faults: statuses (401, 403,
// 404, 429 with Retry-After, 5xx) and tampered bodies, for chosen requests. Everything else is
// passed through byte for byte (the Host header is kept, so the registry's Location headers point
// back at the proxy).
import { createServer, type IncomingMessage, request, type Server } from 'node:http';

export interface Fault {
  /** Match selects requests (method and path). */
  match: (method: string, path: string) => boolean;
  /** Times the fault fires before it is used up (default 1). */
  times?: number;
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Tamper flips bytes of the upstream response body. */
  tamper?: boolean;
}

export interface FaultProxy {
  host: string;
  faults: Fault[];
  /** Log lists `METHOD path status` of every request seen. */
  log: string[];
  stop(): Promise<void>;
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const state: FaultProxy = { host: '', faults: [], log: [], stop: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const i = state.faults.findIndex((f) => (f.times ?? 1) > 0 && f.match(method, path));
    const fault = i >= 0 ? state.faults[i] : undefined;
    if (fault !== undefined) fault.times = (fault.times ?? 1) - 1;
    if (fault?.status !== undefined) {
      state.log.push(`${method} ${path} ${fault.status} (injected)`);
      req.resume();
      res.writeHead(fault.status, { 'Content-Type': 'application/json', ...(fault.headers ?? {}) });
      res.end(fault.body ?? JSON.stringify({ errors: [{ code: 'INJECTED', message: `injected ${fault.status}` }] }));
      return;
    }
    const [h, p] = upstream.split(':');
    const up = request({ host: h, port: Number(p), method, path, headers: req.headers }, (ur) => {
      state.log.push(`${method} ${path} ${ur.statusCode}`);
      if (fault?.tamper === true) {
        const chunks: Buffer[] = [];
        ur.on('data', (c: Buffer) => chunks.push(c));
        ur.on('end', () => {
          const body = Buffer.concat(chunks);
          if (body.length > 0) body[body.length - 1] = (body[body.length - 1] ?? 0) ^ 0xff;
          res.writeHead(ur.statusCode ?? 500, ur.headers);
          res.end(body);
        });
        return;
      }
      res.writeHead(ur.statusCode ?? 500, ur.headers);
      ur.pipe(res);
    });
    up.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  state.host = `127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
  state.stop = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
