import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { TrellisError } from '@trellis/sdk';
import { KubeErrorCode } from './errors.ts';
import { firstLine, kubeconfigSource, readStatic, type StaticTarget } from './kubeconfig.ts';

/**
 * The transport is the thin I/O shell of the client: it turns a kubeconfig into an HTTP(S) agent
 * and headers (static credentials read natively, anything else through @kubernetes/client-node's
 * KubeConfig, loaded on demand, so every auth method client-node supports works: tokens, client
 * certificates, exec plugins), and performs requests with Node's
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

/** A LoadedKubeconfig is a kubeconfig's current cluster and user, read natively or by client-node. */
export type LoadedKubeconfig =
  | { kind: 'static'; target: StaticTarget; source: string }
  | { kind: 'client-node'; kc: KubeConfig; source: string };

/**
 * LoadKubeConfig reads a kubeconfig, translating failures into KUBE_CONFIG_INVALID. Static
 * credentials are read natively; client-node is loaded only for what needs it (kubeconfig.ts).
 */
export async function loadKubeConfig(opts: TransportOptions): Promise<LoadedKubeconfig> {
  const text = kubeconfigSource(opts);
  if (text !== undefined) {
    const target = readStatic(text, opts.context);
    if (target !== undefined) return { kind: 'static', target, source: text.source };
  }
  const { KubeConfig } = await import('@kubernetes/client-node');
  const given = typeof opts.kubeConfig === 'object' ? opts.kubeConfig : undefined;
  const kc = given ?? new KubeConfig();
  const source = text?.source ?? opts.kubeconfigPath ?? (given !== undefined ? 'the given KubeConfig' : 'the default kubeconfig');
  try {
    // A file goes through loadFromFile, which resolves the file's relative paths from its directory.
    if (text?.dir !== undefined) kc.loadFromFile(text.source);
    else if (text !== undefined) kc.loadFromString(text.text);
    else if (given === undefined) kc.loadFromDefault();
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
  return { kind: 'client-node', kc, source };
}

/** Credentials are what a transport needs: where, which TLS material, which headers. */
interface Credentials {
  server: string;
  clusterName: string;
  skipTLSVerify: boolean;
  tls: https.AgentOptions;
  headers: Record<string, string>;
  /** BasicAuth is `user:password`. */
  basicAuth?: string;
  /** Dynamic re-resolves headers per request (exec plugins and auth providers hand out expiring tokens). */
  dynamic?: () => Promise<Record<string, string>>;
}

function staticCredentials(t: StaticTarget): Credentials {
  const tls: https.AgentOptions = {};
  if (t.ca !== undefined) tls.ca = t.ca;
  if (t.cert !== undefined) tls.cert = t.cert;
  if (t.key !== undefined) tls.key = t.key;
  if (t.skipTLSVerify) tls.rejectUnauthorized = false;
  if (t.tlsServerName !== undefined) tls.servername = t.tlsServerName;
  return {
    server: t.server,
    clusterName: t.clusterName,
    skipTLSVerify: t.skipTLSVerify,
    tls,
    headers: t.token === undefined ? {} : { Authorization: `Bearer ${t.token}` },
    ...(t.basicAuth === undefined ? {} : { basicAuth: t.basicAuth }),
  };
}

/** ClientNodeCredentials lets client-node resolve credentials (files, data, exec plugins) into request options. */
async function clientNodeCredentials(kc: KubeConfig, source: string): Promise<Credentials> {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new TrellisError(KubeErrorCode.ConfigInvalid, `cannot load kubeconfig from ${source}: no cluster`);
  const template: https.RequestOptions = {};
  try {
    await kc.applyToHTTPSOptions(template);
  } catch (err) {
    throw new TrellisError(KubeErrorCode.ConfigInvalid, `cannot load credentials from ${source}: ${firstLine(err)}`, { cause: err });
  }
  const user = kc.getCurrentUser();
  const tls: https.AgentOptions = {};
  for (const k of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const) {
    if (template[k] !== undefined) (tls as Record<string, unknown>)[k] = template[k];
  }
  if (tls.ca === undefined && cluster.caFile !== undefined && cluster.server.startsWith('https:')) tls.ca = readFileSync(cluster.caFile);
  const auth = template.auth;
  const c: Credentials = {
    server: cluster.server,
    clusterName: cluster.name,
    skipTLSVerify: cluster.skipTLSVerify,
    tls,
    headers: headerRecord(template.headers),
    ...(auth === undefined || auth === null ? {} : { basicAuth: auth }),
  };
  if (user !== null && (user.exec !== undefined || user.authProvider !== undefined)) {
    c.dynamic = async () => {
      const fresh: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(fresh);
      return headerRecord(fresh.headers);
    };
  }
  return c;
}

/** NewTransport builds a keep-alive transport for the kubeconfig's current cluster and user. */
export async function newTransport(
  loaded: LoadedKubeconfig,
  opts: { userAgent: string; maxResponseBytes: number; source: string },
): Promise<Transport> {
  const creds = loaded.kind === 'static' ? staticCredentials(loaded.target) : await clientNodeCredentials(loaded.kc, opts.source);
  const base = new URL(creds.server);
  const basePath = base.pathname.replace(/\/+$/, '');
  const isHttps = base.protocol === 'https:';
  if (!isHttps && !creds.skipTLSVerify) {
    throw new TrellisError(
      KubeErrorCode.ConfigInvalid,
      `cannot load kubeconfig from ${opts.source}: cluster "${creds.clusterName}" uses http:// without insecure-skip-tls-verify`,
    );
  }
  const agentOptions: https.AgentOptions = { keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, maxFreeSockets: 32, ...creds.tls };
  const staticHeaders = creds.headers;
  const auth = creds.basicAuth;
  const dynamic = creds.dynamic;
  const agent = isHttps ? new https.Agent(agentOptions) : new http.Agent({ keepAlive: true });
  const send = isHttps ? https.request : http.request;

  const headersFor = async (req: HttpRequest): Promise<Record<string, string>> => {
    const h: Record<string, string> = { 'User-Agent': opts.userAgent, Accept: 'application/json', ...staticHeaders, ...req.headers };
    if (auth !== undefined) h.Authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
    if (dynamic !== undefined) Object.assign(h, await dynamic());
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
