import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TrellisError } from '@trellis/sdk';
import type { Registry } from './registry.ts';

/** The Prometheus text exposition content type. */
export const MetricsContentType = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * MetricsHandler returns a Node HTTP handler that serves `registry` on GET/HEAD and answers 405
 * otherwise. The CLI mounts it on its own server, or uses {@link serveMetrics}.
 */
export function metricsHandler(registry: Registry): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const body = registry.expose();
    res.writeHead(200, { 'content-type': MetricsContentType, 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

export interface ServeMetricsOptions {
  registry: Registry;
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Host to bind; default 127.0.0.1. */
  host?: string;
  /** Path to serve; default `/metrics` (anything else is 404). */
  path?: string;
}

/** A MetricsServer serves metrics until closed. */
export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** ServeMetrics starts an HTTP server exposing `registry` at `http://host:port/metrics`. */
export async function serveMetrics(opts: ServeMetricsOptions): Promise<MetricsServer> {
  const path = opts.path ?? '/metrics';
  const handle = metricsHandler(opts.registry);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    handle(req, res);
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(new TrellisError('ENGINE_METRICS_LISTEN', `cannot serve metrics on ${host}:${opts.port ?? 0}`, { cause: err })),
    );
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}${path}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
