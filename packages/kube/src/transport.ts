import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { TrellisError } from '@trellis/sdk';
import { KubeErrorCode } from './errors.ts';

/**
 * The transport is the thin I/O shell of the client: it turns a kubeconfig into an HTTP(S) agent
 * and headers (through @kubernetes/client-node's KubeConfig, so every auth method client-node
 * supports works: tokens, client certificates, exec plugins), and performs requests with Node's
 * http module so that watches stream and aborts, resets and timeouts are observable.
 */

export interface TransportOptions {
  kubeconfigPath?: string;
  /** KubeConfig is a kubeconfig's text (YAML or JSON), or a loaded client-node KubeConfig. */
  kubeConfig?: string | KubeConfig;
  /** Context overrides the kubeconfig's current-context. */
  context?: string;
  userAgent?: string;
}

export interface HttpRequest {
  method: string;
  /** Path with query string, starting with `/`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal | undefined;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A Transport sends requests to one API server. */
export interface Transport {
  /** Server is the API server URL, for messages. */
  readonly server: string;
  /** Request sends a request and collects the whole response body (bounded by maxResponseBytes). */
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Stream sends a request and resolves to the response as soon as its headers arrive. */
  stream(req: HttpRequest): Promise<http.IncomingMessage>;
  /** Close releases idle keep-alive sockets. */
  close(): void;
}

/** LoadKubeConfig reads a kubeconfig into client-node's KubeConfig, translating failures. */
export function loadKubeConfig(opts: TransportOptions): KubeConfig {
  const kc = opts.kubeConfig instanceof KubeConfig ? opts.kubeConfig : new KubeConfig();
  const source = opts.kubeconfigPath ?? (typeof opts.kubeConfig === 'string' ? 'the given kubeconfig text' : 'the given KubeConfig');
  try {
    if (typeof opts.kubeConfig === 'string') kc.loadFromString(opts.kubeConfig);
    else if (opts.kubeconfigPath !== undefined) kc.loadFromFile(opts.kubeconfigPath);
    else if (!(opts.kubeConfig instanceof KubeConfig)) kc.loadFromDefault();
    if (opts.context !== undefined) kc.setCurrentContext(opts.context);
  } catch (err) {
    throw new TrellisError(KubeErrorCode.ConfigInvalid, `cannot load kubeconfig from ${source}: ${firstLine(err)}`, { cause: err });
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null) {
    throw new TrellisError(
      KubeErrorCode.ConfigInvalid,
      `cannot load kubeconfig from ${source}: no cluster for current-context "${kc.getCurrentContext()}"`,
    );
  }
  try {
    const u = new URL(cluster.server);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`unsupported scheme "${u.protocol}"`);
  } catch (err) {
    throw new TrellisError(
      KubeErrorCode.ConfigInvalid,
      `cannot load kubeconfig from ${source}: cluster "${cluster.name}" has an invalid server URL: ${firstLine(err)}`,
      { cause: err },
    );
  }
  return kc;
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (msg.split('\n')[0] ?? '').slice(0, 300);
}

/** NewTransport builds a keep-alive transport for the kubeconfig's current cluster and user. */
export async function newTransport(
  kc: KubeConfig,
  opts: { userAgent: string; maxResponseBytes: number; source: string },
): Promise<Transport> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new TrellisError(KubeErrorCode.ConfigInvalid, `cannot load kubeconfig from ${opts.source}: no cluster`);
  const base = new URL(cluster.server);
  const basePath = base.pathname.replace(/\/+$/, '');
  const isHttps = base.protocol === 'https:';
  if (!isHttps && !cluster.skipTLSVerify) {
    throw new TrellisError(
      KubeErrorCode.ConfigInvalid,
      `cannot load kubeconfig from ${opts.source}: cluster "${cluster.name}" uses http:// without insecure-skip-tls-verify`,
    );
  }

  // Let client-node resolve credentials (files, data, exec plugins) into request options once.
  const template: https.RequestOptions = {};
  try {
    await kc.applyToHTTPSOptions(template);
  } catch (err) {
    throw new TrellisError(KubeErrorCode.ConfigInvalid, `cannot load credentials from ${opts.source}: ${firstLine(err)}`, { cause: err });
  }
  const user = kc.getCurrentUser();
  // Exec plugins and auth providers hand out expiring tokens: re-resolve the header per request.
  const dynamicAuth = user !== null && (user.exec !== undefined || user.authProvider !== undefined);
  const staticHeaders = headerRecord(template.headers);
  const agentOptions: https.AgentOptions = { keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, maxFreeSockets: 32 };
  for (const k of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const) {
    if (template[k] !== undefined) (agentOptions as Record<string, unknown>)[k] = template[k];
  }
  if (isHttps && agentOptions.ca === undefined && cluster.caFile !== undefined) agentOptions.ca = readFileSync(cluster.caFile);
  const agent = isHttps ? new https.Agent(agentOptions) : new http.Agent({ keepAlive: true });
  const send = isHttps ? https.request : http.request;
  const auth = template.auth;

  const headersFor = async (req: HttpRequest): Promise<Record<string, string>> => {
    const h: Record<string, string> = { 'User-Agent': opts.userAgent, Accept: 'application/json', ...staticHeaders, ...req.headers };
    if (auth !== undefined && auth !== null) h.Authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    if (dynamicAuth) {
      const fresh: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(fresh);
      Object.assign(h, headerRecord(fresh.headers));
    }
    if (req.body !== undefined) h['Content-Length'] = String(Buffer.byteLength(req.body));
    return h;
  };

  const open = async (req: HttpRequest): Promise<http.IncomingMessage> => {
    const headers = await headersFor(req);
    req.signal?.throwIfAborted();
    return await new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = send(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          path: basePath + req.path,
          method: req.method,
          headers,
          agent,
          ...(req.signal === undefined ? {} : { signal: req.signal }),
        },
        resolve,
      );
      r.on('error', reject);
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
  };

  return {
    server: `${base.protocol}//${base.host}${basePath}`,
    stream: open,
    async request(req) {
      const res = await open(req);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > opts.maxResponseBytes) {
          res.destroy();
          throw new TrellisError(
            KubeErrorCode.Internal,
            `response to ${req.method} ${req.path.split('?')[0]} exceeds ${opts.maxResponseBytes} bytes`,
          );
        }
        chunks.push(chunk);
      }
      return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
    },
    close() {
      agent.destroy();
    },
  };
}

function headerRecord(h: http.OutgoingHttpHeaders | readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h === undefined || Array.isArray(h)) return out;
  for (const [k, v] of Object.entries(h as http.OutgoingHttpHeaders)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number') out[k] = String(v);
    else if (Array.isArray(v)) out[k] = v.join(', ');
  }
  return out;
}
