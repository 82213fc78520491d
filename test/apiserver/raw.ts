// A raw HTTP client for API-server tests: exact status codes, headers and bodies, with no client
// library in between. It reads a kubeconfig (server, bearer token, CA) like kubectl does.
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { parse as parseYaml } from 'yaml';

export interface RawTarget {
  server: string;
  token: string;
  ca: string | undefined;
}

/** LoadKubeconfig reads the current context's server, token and CA from a kubeconfig file. */
export function loadKubeconfig(path: string): RawTarget {
  const kc = parseYaml(readFileSync(path, 'utf8')) as {
    'current-context': string;
    contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
    clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }>;
    users: Array<{ name: string; user: { token?: string } }>;
  };
  const ctx = kc.contexts.find((c) => c.name === kc['current-context'])?.context;
  const cluster = kc.clusters.find((c) => c.name === ctx?.cluster)?.cluster;
  const user = kc.users.find((u) => u.name === ctx?.user)?.user;
  if (cluster === undefined || user?.token === undefined) throw new Error(`kubeconfig ${path} has no usable current context`);
  const ca =
    cluster['certificate-authority-data'] !== undefined
      ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8')
      : cluster['certificate-authority'] !== undefined
        ? readFileSync(cluster['certificate-authority'], 'utf8')
        : undefined;
  return { server: cluster.server, token: user.token, ca };
}

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  /** Json is the parsed body (undefined when it is not JSON). */
  json: Record<string, unknown> | undefined;
}

export interface RawRequest {
  method?: string;
  body?: string | Buffer | unknown;
  contentType?: string;
  accept?: string;
  /** Token overrides the kubeconfig's (use '' for none). */
  token?: string;
  headers?: Record<string, string>;
  /** Chunked sends the body with Transfer-Encoding: chunked (no Content-Length). */
  chunked?: boolean;
}

/** A RawClient sends requests to one server with keep-alive connections. */
export class RawClient {
  readonly target: RawTarget;
  private readonly agent: Agent | HttpAgent;

  constructor(target: RawTarget, maxSockets = 64) {
    this.target = target;
    this.agent = target.server.startsWith('https:')
      ? new Agent({ keepAlive: true, maxSockets, ...(target.ca === undefined ? { rejectUnauthorized: false } : { ca: target.ca }) })
      : new HttpAgent({ keepAlive: true, maxSockets });
  }

  static fromKubeconfig(path: string, maxSockets?: number): RawClient {
    return new RawClient(loadKubeconfig(path), maxSockets);
  }

  close(): void {
    this.agent.destroy();
  }

  private open(path: string, r: RawRequest, body?: Buffer): ReturnType<typeof httpsRequest> {
    const url = new URL(path, this.target.server);
    const headers: Record<string, string> = { Accept: r.accept ?? 'application/json', ...(r.headers ?? {}) };
    const token = r.token ?? this.target.token;
    if (token !== '') headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      headers['Content-Type'] = r.contentType ?? 'application/json';
      // Explicit: Node sends DELETE bodies neither chunked nor with a length by default.
      if (r.chunked === true) headers['Transfer-Encoding'] = 'chunked';
      else headers['Content-Length'] = String(body.length);
    }
    const fn = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return fn(url, { method: r.method ?? 'GET', headers, agent: this.agent });
  }

  /** Request sends one request and reads the whole response. */
  request(path: string, r: RawRequest = {}): Promise<RawResponse> {
    const body =
      r.body === undefined
        ? undefined
        : Buffer.isBuffer(r.body)
          ? r.body
          : Buffer.from(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
    return new Promise((resolve, reject) => {
      const req = this.open(path, r, body);
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      if (r.chunked === true && body !== undefined) {
        req.write(body);
        req.end();
      } else req.end(body);
    });
  }

  /**
   * Watch opens a watch stream; events arrive through `onEvent`. `stop()` closes it; `done` resolves
   * when the stream ends (server close or stop).
   */
  watch(
    path: string,
    onEvent: (ev: { type: string; object: Record<string, unknown> }) => void,
    r: RawRequest = {},
  ): Promise<{ status: number; stop: () => void; done: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const req = this.open(path, r);
      req.on('error', reject);
      req.on('response', (res) => {
        let buf = '';
        let endDone: () => void = () => {};
        const done = new Promise<void>((d) => {
          endDone = d;
        });
        res.on('data', (c: Buffer) => {
          buf += c.toString('utf8');
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim() !== '') onEvent(JSON.parse(line) as { type: string; object: Record<string, unknown> });
            nl = buf.indexOf('\n');
          }
        });
        res.on('end', () => endDone());
        res.on('close', () => endDone());
        res.on('error', () => endDone());
        resolve({ status: res.statusCode ?? 0, stop: () => req.destroy(), done });
      });
      req.end();
    });
  }
}

/** Sub returns a top-level object field of a response body (empty when absent). */
export function sub(r: RawResponse, key: string): Record<string, unknown> {
  const v = r.json?.[key];
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

/** Items returns a list response's items. */
export function items(r: RawResponse): Array<Record<string, unknown> & { metadata: Record<string, unknown> }> {
  const v = r.json?.items;
  return Array.isArray(v) ? (v as Array<Record<string, unknown> & { metadata: Record<string, unknown> }>) : [];
}

/** StatusOf reduces a Status body to what the suites compare. */
export function statusOf(r: RawResponse): { code: number; reason: string | undefined; causes: unknown } {
  const details = r.json?.details as { causes?: unknown } | undefined;
  return { code: r.status, reason: r.json?.reason as string | undefined, causes: details?.causes };
}
