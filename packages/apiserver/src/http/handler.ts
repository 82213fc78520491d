import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject, Logger } from '@trellis/sdk';
import { stringify as toYaml } from 'yaml';
import {
  ApiError,
  badRequest,
  internalError,
  methodNotSupported,
  notFound,
  notFoundPath,
  serviceUnavailable,
  unauthorized,
} from '../api/errors.ts';
import { deleteOptions, listOptions } from '../api/options.ts';
import type { Rest, RestResult } from '../api/rest.ts';
import { listItemJson, servedJson, servedObject } from '../api/serve.ts';
import { type IncludeObject, partialObjectMetadata, tableRow } from '../api/table.ts';
import { serveWatch } from '../api/watch.ts';
import type { Registry } from '../registry/registry.ts';
import type { ResourceType } from '../registry/types.ts';
import type { StoredObject } from '../store/objects.ts';
import type { Store } from '../store/store.ts';
import { aggregatedDiscovery, apiGroup, apiGroupList, apiResourceList, apiVersions, wantsAggregated } from './discovery.ts';
import type { Metrics, RequestLabels } from './metrics.ts';
import { contentType, negotiateOutput, type Output, readBody } from './negotiate.ts';
import { OpenApiCache } from './openapi.ts';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  goVersion: string;
  compiler: string;
  platform: string;
}

export interface HandlerOptions {
  rest: Rest;
  registry: Registry;
  store: Store;
  metrics: Metrics;
  /** Token is the bearer token every request (but health and version) must carry. */
  token: string;
  log: Logger;
  /** ServerAddress is host:port, for `/api`'s serverAddressByClientCIDRs. */
  serverAddress: () => string;
  version: VersionInfo;
  bookmarkIntervalMs: number;
  /** Ready reports readiness for /readyz. */
  ready: () => boolean;
}

/** RequestInfo is what a resource URL names (k8s.io/apiserver's RequestInfo). */
export interface RequestInfo {
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  /** Watch is set by the legacy `/watch/` path prefix. */
  watchPath: boolean;
}

/** ParseResourcePath parses `/api/v1/...` and `/apis/g/v/...` resource paths. */
export function parseResourcePath(segments: string[]): RequestInfo | undefined {
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1] as string;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1] as string;
    version = segments[2] as string;
    rest = segments.slice(3);
  } else return undefined;
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length >= 2) {
    if (rest.length === 2 || (rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
      return { group, version, namespace: '', resource: 'namespaces', name: rest[1] as string, subresource: rest[2] ?? '', watchPath };
    }
    namespace = rest[1] as string;
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  return { group, version, namespace, resource: rest[0] as string, name: rest[1] ?? '', subresource: rest[2] ?? '', watchPath };
}

const PUBLIC_PATHS = /^\/(healthz|livez|readyz|version)(\/.*)?$/;

/** A RequestUrl is the part of a parsed request target the handler reads. */
export interface RequestUrl {
  pathname: string;
  searchParams: URLSearchParams;
}

/** PlainPath is a path WHATWG URL parsing leaves as it is: no dot segments, empty segments, escapes or fragment. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_~!$&'()*+,;=:@-][A-Za-z0-9._~!$&'()*+,;=:@-]*)*\/?$/;

/**
 * RequestUrl parses a request target. Resource paths are plain, and for those the pathname is the
 * path as sent and the query parses as URL's would: that skips a full URL parse per request. Anything
 * else goes through URL.
 */
export function requestUrl(target: string): RequestUrl {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (!target.includes('#') && PLAIN_PATH.test(path)) {
    return { pathname: path, searchParams: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)) };
  }
  return new URL(target, 'https://localhost');
}

/** CreateHandler returns the HTTP request handler of the embedded API server. */
export function createHandler(o: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const openapi = new OpenApiCache(o.registry);
  const tokenBuf = Buffer.from(o.token);
  const authenticated = (req: IncomingMessage): 'ok' | 'none' | 'bad' => {
    const h = req.headers.authorization;
    if (h === undefined || h === '') return 'none';
    const m = /^Bearer\s+(.+)$/i.exec(h);
    if (m === null) return 'bad';
    const given = Buffer.from((m[1] as string).trim());
    return given.length === tokenBuf.length && timingSafeEqual(given, tokenBuf) ? 'ok' : 'bad';
  };

  return (req, res) => {
    const t0 = performance.now();
    const labels: RequestLabels = {
      verb: (req.method ?? 'GET').toUpperCase(),
      dry_run: '',
      group: '',
      version: '',
      resource: '',
      subresource: '',
      scope: '',
    };
    let longRunning = false;
    res.on('finish', () => {
      if (!longRunning) o.metrics.observe(labels, res.statusCode, (performance.now() - t0) / 1000);
    });
    const url = requestUrl(req.url ?? '/');
    const auth = authenticated(req);
    if (auth === 'bad' || (auth === 'none' && !PUBLIC_PATHS.test(url.pathname))) {
      req.resume();
      writeError(res, unauthorized());
      return;
    }
    route(req, res, url, labels, () => {
      longRunning = true;
    }).catch((err: unknown) => {
      if (!(err instanceof ApiError)) o.log.info('request failed', { method: req.method, path: url.pathname, error: err });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      writeError(res, err instanceof ApiError ? err : internalError(err));
    });
  };

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    url: RequestUrl,
    labels: RequestLabels,
    markLongRunning: () => void,
  ): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const segments = path.split('/').filter((s) => s !== '');
    const method = (req.method ?? 'GET').toUpperCase();
    // Non-resource endpoints.
    if (/^\/(healthz|livez|readyz)(\/.*)?$/.test(path)) {
      const ok = path.startsWith('/readyz') ? o.ready() && o.store.failed === undefined : o.store.failed === undefined;
      res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(ok ? 'ok' : 'storage failed');
      return;
    }
    if (path === '/version') {
      writeJson(res, 200, o.version);
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(o.metrics.render());
      return;
    }
    if (path === '/openapi/v2') throw notFoundPath();
    if (path === '/openapi/v3') {
      writeJson(res, 200, openapi.index());
      return;
    }
    if (segments[0] === 'openapi' && segments[1] === 'v3') {
      const docPath = segments.slice(2).join('/');
      const doc = openapi.doc(docPath);
      if (doc === undefined) throw notFoundPath();
      const hash = url.searchParams.get('hash');
      if (hash !== null && hash !== doc.hash) {
        res.writeHead(301, { Location: `/openapi/v3/${docPath}?hash=${doc.hash}`, 'Content-Type': 'text/plain' });
        res.end();
        return;
      }
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        ETag: `"${doc.hash}"`,
        'Content-Length': String(Buffer.byteLength(doc.json)),
      };
      if (hash !== null) {
        headers['Cache-Control'] = 'public, immutable';
        headers.Expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
      } else headers['Cache-Control'] = 'no-cache, private';
      res.writeHead(200, headers);
      res.end(doc.json);
      return;
    }
    if (path === '/api' || path === '/apis') {
      const agg = wantsAggregated(req.headers.accept);
      if (agg !== undefined) {
        const body = JSON.stringify(aggregatedDiscovery(o.registry, path === '/api', agg));
        res.writeHead(200, {
          'Content-Type': `application/json;g=apidiscovery.k8s.io;v=${agg};as=APIGroupDiscoveryList`,
          Vary: 'Accept',
          'Content-Length': String(Buffer.byteLength(body)),
        });
        res.end(body);
        return;
      }
      writeJson(res, 200, path === '/api' ? apiVersions(o.serverAddress()) : apiGroupList(o.registry));
      return;
    }
    if (segments[0] === 'apis' && segments.length === 2) {
      const g = apiGroup(o.registry, segments[1] as string);
      if (g === undefined) throw notFoundPath();
      writeJson(res, 200, g);
      return;
    }
    if ((segments[0] === 'api' && segments.length === 2) || (segments[0] === 'apis' && segments.length === 3)) {
      const [group, version] = segments[0] === 'api' ? ['', segments[1] as string] : [segments[1] as string, segments[2] as string];
      const list = apiResourceList(o.registry, group, version);
      if (list === undefined) throw notFoundPath();
      writeJson(res, 200, list);
      return;
    }
    const info = parseResourcePath(segments);
    if (info === undefined) throw notFoundPath();
    const rt = o.registry.lookup(info.group, info.version, info.resource);
    if (rt === undefined) throw notFoundPath();
    if (info.namespace !== '' && !rt.namespaced) throw notFoundPath();
    if (info.subresource !== '' && !rt.subresources.includes(info.subresource)) {
      // kube-apiserver's custom resource handler reports an unknown subresource as the object not being found.
      if (rt.crd !== undefined) throw notFound({ group: rt.group, resource: rt.resource }, info.name);
      throw notFoundPath();
    }
    labels.group = info.group;
    labels.version = info.version;
    labels.resource = info.resource;
    labels.subresource = info.subresource;
    labels.scope = info.name !== '' ? 'resource' : info.namespace !== '' ? 'namespace' : 'cluster';
    if (url.searchParams.getAll('dryRun').length > 0) labels.dry_run = 'All';
    if (rt.crd?.deprecationWarning !== undefined) res.setHeader('Warning', warningValue(rt.crd.deprecationWarning));
    const q = url.searchParams;
    const ua = req.headers['user-agent'] ?? '';
    const ct = contentType(req);
    const rest = o.rest;

    if (method === 'GET' && (info.name === '' || info.watchPath || q.get('watch') === 'true' || q.get('watch') === '1')) {
      if (info.subresource !== '') throw notFoundPath();
      if (info.name !== '') {
        // A single-object watch: kube turns the name into a field selector.
        const fs = q.get('fieldSelector');
        q.set('fieldSelector', fs === null || fs === '' ? `metadata.name=${info.name}` : `${fs},metadata.name=${info.name}`);
      }
      if (info.namespace === '' && rt.namespaced) labels.scope = 'cluster';
      const opts = listOptions(q, info.watchPath);
      const output = negotiateOutput(req.headers.accept, { list: !opts.watch, allowTransforms: true });
      const include = includeObjectOf(q);
      if (opts.watch) {
        labels.verb = 'WATCH';
        markLongRunning();
        o.metrics.longRunningDelta(labels, 1);
        const started = performance.now();
        serveWatch(res, rest, {
          rt,
          namespace: info.namespace,
          opts,
          output: output.kind === 'partial' ? output : output.kind === 'table' ? output : { kind: 'json' },
          include,
          bookmarkIntervalMs: o.bookmarkIntervalMs,
          onEnd: () => {
            o.metrics.longRunningDelta(labels, -1);
            o.metrics.observe(labels, 200, (performance.now() - started) / 1000);
          },
        });
        return;
      }
      labels.verb = 'LIST';
      const r = rest.list(rt, info.namespace, opts);
      await o.store.durable(r.rv);
      writeList(res, rt, r, output, include);
      return;
    }
    switch (method) {
      case 'GET': {
        const output = negotiateOutput(req.headers.accept, { list: false, allowTransforms: info.subresource !== 'scale' });
        const r = rest.get(rt, info.namespace, info.name, info.subresource, q);
        await o.store.durable(r.rv);
        writeObject(res, r, rt, output, includeObjectOf(q));
        return;
      }
      case 'POST': {
        if (info.name !== '') throw methodNotSupported({ group: rt.group, resource: rt.resource }, 'create');
        if (rt.namespaced && info.namespace === '') throw notFoundPath();
        const output = negotiateOutput(req.headers.accept, { list: false, allowTransforms: true });
        const body = await readBody(req);
        const r = served(rt, rest.createFromRequest(rt, info.namespace, body, ct, q, ua));
        await o.store.durable(r.rv);
        writeObject(res, r, rt, output, includeObjectOf(q));
        return;
      }
      case 'PUT': {
        if (info.name === '') throw methodNotSupported({ group: rt.group, resource: rt.resource }, 'update');
        const output = negotiateOutput(req.headers.accept, { list: false, allowTransforms: info.subresource !== 'scale' });
        const body = await readBody(req);
        const r = served(rt, rest.updateFromRequest(rt, info.namespace, info.name, info.subresource, body, ct, q, ua));
        await o.store.durable(r.rv);
        writeObject(res, r, rt, output, includeObjectOf(q));
        return;
      }
      case 'PATCH': {
        if (info.name === '' || info.subresource === 'finalize')
          throw methodNotSupported({ group: rt.group, resource: rt.resource }, 'patch');
        if (ct === 'application/apply-patch+yaml') labels.verb = 'APPLY';
        const output = negotiateOutput(req.headers.accept, { list: false, allowTransforms: info.subresource !== 'scale' });
        const body = await readBody(req);
        const r = served(rt, rest.patchFromRequest(rt, info.namespace, info.name, info.subresource, body, ct, q, ua));
        await o.store.durable(r.rv);
        writeObject(res, r, rt, output, includeObjectOf(q));
        return;
      }
      case 'DELETE': {
        const body = await readBody(req);
        if (info.subresource !== '') throw methodNotSupported({ group: rt.group, resource: rt.resource }, 'delete');
        if (info.name === '') {
          labels.verb = 'DELETECOLLECTION';
          let b: Record<string, unknown> | undefined;
          if (body.length > 0) {
            try {
              b = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
            } catch (err) {
              throw badRequest(`couldn't get version/kind; json parse error: ${err instanceof Error ? err.message : String(err)}`);
            }
          }
          const r = served(rt, rest.deleteCollection(rt, info.namespace, listOptions(q, false), deleteOptions(b, q)));
          await o.store.durable(r.rv);
          writeJson(res, 200, r.body, r.warnings);
          return;
        }
        const r = served(rt, rest.deleteFromRequest(rt, info.namespace, info.name, body, ct, q));
        await o.store.durable(r.rv);
        writeJson(res, r.code, r.body, r.warnings);
        return;
      }
      default:
        throw methodNotSupported({ group: rt.group, resource: rt.resource }, method.toLowerCase());
    }
  }

  function writeObject(res: ServerResponse, r: RestResult, rt: ResourceType, output: Output, include: IncludeObject): void {
    const obj = r.body as KubeObject;
    if (output.kind === 'table' && obj?.kind === rt.kind) {
      writeJson(
        res,
        r.code,
        {
          kind: 'Table',
          apiVersion: `meta.k8s.io/${output.version}`,
          metadata: { resourceVersion: obj.metadata.resourceVersion ?? '' },
          columnDefinitions: rt.table.columns,
          rows: [tableRow(rt.table, obj, include, output.version, Date.now())],
        },
        r.warnings,
      );
      return;
    }
    if (output.kind === 'partial' && obj?.metadata !== undefined) {
      writeJson(res, r.code, partialObjectMetadata(obj, output.version), r.warnings);
      return;
    }
    if (output.kind === 'yaml') {
      writeYaml(res, r.code, r.body, r.warnings);
      return;
    }
    // The stored version's JSON is what the body serializes to: send it rather than stringify again.
    writeJson(res, r.code, r.stored !== undefined ? servedJson(rt, r.stored) : r.body, r.warnings);
    return;
  }

  function writeList(
    res: ServerResponse,
    rt: ResourceType,
    r: { items: StoredObject[]; rv: number; continue?: string; remaining?: number },
    output: Output,
    include: IncludeObject,
  ): void {
    const meta: Record<string, unknown> = { resourceVersion: String(r.rv) };
    if (r.continue !== undefined) meta.continue = r.continue;
    if (r.remaining !== undefined) meta.remainingItemCount = r.remaining;
    const apiVersion = rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
    if (output.kind === 'table') {
      const now = Date.now();
      writeJson(res, 200, {
        kind: 'Table',
        apiVersion: `meta.k8s.io/${output.version}`,
        metadata: meta,
        columnDefinitions: rt.table.columns,
        rows: r.items.map((s) => tableRow(rt.table, rt.fromStorage(s.object()), include, output.version, now)),
      });
      return;
    }
    if (output.kind === 'partial') {
      writeJson(res, 200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: `meta.k8s.io/${output.version}`,
        metadata: meta,
        items: r.items.map((s) => partialObjectMetadata(rt.fromStorage(s.object()), output.version)),
      });
      return;
    }
    if (output.kind === 'yaml') {
      writeYaml(res, 200, { kind: rt.listKind, apiVersion, metadata: meta, items: r.items.map((s) => rt.fromStorage(s.object())) }, []);
      return;
    }
    const items = r.items.map((s) => listItemJson(rt, s));
    const text = `{"kind":${JSON.stringify(rt.listKind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(meta)},"items":[${items.join(',')}]}`;
    writeJson(res, 200, text);
    return;
  }
}

function includeObjectOf(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  if (v === null || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'Object' || v === 'None') return v;
  throw badRequest(`unrecognized includeObject value: ${JSON.stringify(v)}`);
}

function warningHeaders(res: ServerResponse, warnings: string[]): void {
  if (warnings.length === 0) return;
  const existing = res.getHeader('Warning');
  const prior = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('Warning', [...prior, ...warnings.map(warningValue)]);
}

/**
 * WarningValue is a `299 - "text"` header value. The text is sent as UTF-8 bytes as kube-apiserver
 * sends it (Node takes header strings as latin1, and refuses characters above U+00FF: an unknown
 * field named with a non-latin1 character was a 500 before).
 */
function warningValue(text: string): string {
  return Buffer.from(`299 - ${JSON.stringify(text)}`, 'utf8').toString('latin1');
}

/** WriteJson writes a JSON response (body may already be serialized). */
export function writeJson(res: ServerResponse, code: number, body: unknown, warnings: string[] = []): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  warningHeaders(res, warnings);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

function writeYaml(res: ServerResponse, code: number, body: unknown, warnings: string[]): void {
  const text = toYaml(body);
  warningHeaders(res, warnings);
  res.writeHead(code, { 'Content-Type': 'application/yaml', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

export function writeError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeJson(res, err.httpCode, err.status);
  return;
}

export { serviceUnavailable };

/** Served gives a write's result the body a read from storage would give (CRD defaults applied). */
function served(rt: ResourceType, r: RestResult): RestResult {
  return { ...r, body: servedObject(rt, r.body) };
}
