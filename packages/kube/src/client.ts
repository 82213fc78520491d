import type { IncomingMessage } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, Logger, ObjectRef } from '@trellis/sdk';
import { nopLogger, TrellisError } from '@trellis/sdk';
import { Discovery } from './discovery.ts';
import type { ErrorSubject } from './errors.ts';
import { asStatus, clientError, describeSubject, fromNetworkError, fromStatus, isGone, KubeApiError, KubeErrorCode } from './errors.ts';
import { TokenBucket } from './ratelimit.ts';
import { linkSignal } from './signals.ts';
import type { HttpRequest, Transport } from './transport.ts';
import { loadKubeConfig, newTransport } from './transport.ts';
import type {
  ApplyOptions,
  CallOptions,
  DeleteOptions,
  KubeClient,
  ListOptions,
  ObjectList,
  Patch,
  PatchOptions,
  ResourceInfo,
  TypeRef,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './types.ts';

export interface KubeClientOptions {
  /** KubeconfigPath is a kubeconfig file; without it and without kubeConfig, the default rules apply. */
  kubeconfigPath?: string;
  /** KubeConfig is a kubeconfig's text or a loaded client-node KubeConfig. */
  kubeConfig?: string | KubeConfig;
  /** Context overrides the kubeconfig's current-context. */
  context?: string;
  log?: Logger;
  /** UserAgent is sent with every request (default `trellis`). */
  userAgent?: string;
  /** Qps limits requests per second on average (watches excluded); undefined: no limit. */
  qps?: number;
  /** Burst is the token-bucket size for qps (default max(1, 2 * qps)). */
  burst?: number;
  /** MaxResponseBytes bounds one response body (default 512 MiB). */
  maxResponseBytes?: number;
  /**
   * RequestTimeoutMs bounds every request (default 60 s); for a watch it bounds the wait for the
   * response headers only. A timeout is KUBE_TIMEOUT.
   */
  requestTimeoutMs?: number;
}

/** Content types of the patch kinds (the no-enum idiom). */
export const PatchContentType = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

const metadataListAccept = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const metadataAccept = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/**
 * NewKubeClient connects to the API server of a kubeconfig. It resolves credentials once
 * (rejecting a malformed kubeconfig with KUBE_CONFIG_INVALID) but does not contact the server
 * until the first call.
 */
export async function newKubeClient(opts: KubeClientOptions = {}): Promise<KubeClient & { close(): void }> {
  const loaded = await loadKubeConfig(opts);
  const source = loaded.source;
  const transport = await newTransport(loaded, {
    userAgent: opts.userAgent ?? 'trellis',
    maxResponseBytes: opts.maxResponseBytes ?? 512 * 1024 * 1024,
    source,
  });
  return new Client(transport, {
    log: opts.log ?? nopLogger,
    requestTimeoutMs: opts.requestTimeoutMs ?? 60_000,
    ...(opts.qps === undefined ? {} : { limiter: new TokenBucket({ qps: opts.qps, burst: opts.burst ?? Math.max(1, 2 * opts.qps) }) }),
  });
}

type Query = Record<string, string | number | boolean | undefined>;

interface Call {
  verb: string;
  subject: ErrorSubject;
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal | undefined;
}

/** Client implements KubeClient over a Transport. */
class Client implements KubeClient {
  private readonly transport: Transport;
  private readonly discovery: Discovery;
  private readonly log: Logger;
  private readonly limiter: TokenBucket | undefined;
  private readonly requestTimeoutMs: number;

  constructor(transport: Transport, opts: { log: Logger; requestTimeoutMs: number; limiter?: TokenBucket }) {
    this.transport = transport;
    this.log = opts.log;
    this.limiter = opts.limiter;
    this.requestTimeoutMs = opts.requestTimeoutMs;
    this.discovery = new Discovery(async (path, signal) => {
      const res = await this.send({ verb: 'discover', subject: { kind: path }, method: 'GET', path, signal }, { raw: true });
      return { status: res.status, body: res.body };
    });
  }

  close(): void {
    this.transport.close();
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef, opts: CallOptions = {}): Promise<T> {
    const { info, subject } = await this.target('get', ref, opts.signal);
    const path = objectPath(info, ref.namespace, ref.name, undefined, 'get', subject);
    const obj = await this.json<T>({ verb: 'get', subject, method: 'GET', path, signal: opts.signal });
    return withTypeMeta(obj, ref);
  }

  async getIfExists<T extends KubeObject = KubeObject>(ref: ObjectRef, opts: CallOptions = {}): Promise<T | undefined> {
    try {
      return await this.get<T>(ref, opts);
    } catch (err) {
      if (err instanceof TrellisError && err.code === KubeErrorCode.NotFound) return undefined;
      throw err;
    }
  }

  async list<T extends KubeObject = KubeObject>(type: TypeRef, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const subject: ErrorSubject = { kind: type.kind, namespace: opts.namespace };
    const info = await this.resource('list', type, subject, opts.signal);
    const path = collectionPath(info, opts.namespace, 'list', subject);
    const body = await this.json<{
      items?: unknown;
      metadata?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
    }>({
      verb: 'list',
      subject,
      method: 'GET',
      path,
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      ...(opts.metadataOnly === true ? { accept: metadataListAccept } : {}),
      signal: opts.signal,
    });
    if (!Array.isArray(body.items) && body.items !== null && body.items !== undefined) {
      throw clientError(KubeErrorCode.Internal, 'list', subject, 'the server returned a list without an items array');
    }
    const items = ((body.items as T[] | null | undefined) ?? []).map((o) => withTypeMeta(o, type));
    const out: ObjectList<T> = { items, resourceVersion: body.metadata?.resourceVersion ?? '' };
    if (typeof body.metadata?.continue === 'string' && body.metadata.continue !== '') out.continue = body.metadata.continue;
    if (typeof body.metadata?.remainingItemCount === 'number') out.remainingItemCount = body.metadata.remainingItemCount;
    return out;
  }

  async listAll<T extends KubeObject = KubeObject>(type: TypeRef, opts: Omit<ListOptions, 'continue'> = {}): Promise<ObjectList<T>> {
    // An expired continue token (410) restarts the whole list, as client-go's pager does.
    for (let attempt = 0; ; attempt++) {
      try {
        const first = await this.list<T>(type, opts);
        const items = [...first.items];
        let next = first.continue;
        while (next !== undefined) {
          const { resourceVersion: _rv, resourceVersionMatch: _m, ...rest } = opts;
          const page = await this.list<T>(type, { ...rest, continue: next });
          items.push(...page.items);
          next = page.continue;
        }
        return { items, resourceVersion: first.resourceVersion };
      } catch (err) {
        if (!isGone(err) || attempt >= 2) throw err;
        this.log.debug('list continuation expired; listing again', { kind: type.kind, attempt });
      }
    }
  }

  async create<T extends KubeObject = KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    const { info, subject } = await this.target('create', objRef(obj, true), opts.signal);
    const path = collectionPath(info, obj.metadata?.namespace, 'create', subject);
    const created = await this.json<T>({
      verb: 'create',
      subject,
      method: 'POST',
      path,
      query: writeQuery(opts),
      body: obj,
      signal: opts.signal,
    });
    return withTypeMeta(created, obj);
  }

  async update<T extends KubeObject = KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    return await this.put(obj, undefined, 'update', opts);
  }

  async updateStatus<T extends KubeObject = KubeObject>(obj: T, opts: WriteOptions = {}): Promise<T> {
    return await this.put(obj, 'status', 'update status of', opts);
  }

  async patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Patch, opts: PatchOptions = {}): Promise<T> {
    const verb = opts.subresource === undefined ? 'patch' : `patch ${opts.subresource} of`;
    const { info, subject } = await this.target(verb, ref, opts.signal);
    const path = objectPath(info, ref.namespace, ref.name, opts.subresource, verb, subject);
    const body = patch.type === 'json' ? patch.ops : patch.patch;
    const out = await this.json<T>({
      verb,
      subject,
      method: 'PATCH',
      path,
      query: writeQuery(opts),
      body,
      contentType: PatchContentType[patch.type],
      signal: opts.signal,
    });
    return withTypeMeta(out, ref);
  }

  async apply<T extends KubeObject = KubeObject>(obj: KubeObject, opts: ApplyOptions): Promise<T> {
    const verb = opts.subresource === undefined ? 'apply' : `apply ${opts.subresource} of`;
    const ref = objRef(obj, false);
    const { info, subject } = await this.target(verb, ref, opts.signal);
    if (typeof opts.fieldManager !== 'string' || opts.fieldManager === '') {
      throw clientError(KubeErrorCode.InvalidArgument, verb, subject, 'server-side apply needs a field manager');
    }
    const path = objectPath(info, ref.namespace, ref.name, opts.subresource, verb, subject);
    // The server refuses an apply body that carries managedFields; a caller applying an object it
    // just read should not have to strip them.
    const { managedFields: _mf, ...metadata } = obj.metadata;
    const out = await this.json<T>({
      verb,
      subject,
      method: 'PATCH',
      path,
      query: {
        fieldManager: opts.fieldManager,
        force: opts.force === true ? true : undefined,
        dryRun: opts.dryRun === true ? 'All' : undefined,
      },
      body: { ...obj, metadata },
      contentType: PatchContentType.apply,
      signal: opts.signal,
    });
    return withTypeMeta(out, obj);
  }

  async delete<T extends KubeObject = KubeObject>(ref: ObjectRef, opts: DeleteOptions = {}): Promise<T | undefined> {
    const { info, subject } = await this.target('delete', ref, opts.signal);
    const path = objectPath(info, ref.namespace, ref.name, undefined, 'delete', subject);
    const out = await this.json<KubeObject | Record<string, unknown>>({
      verb: 'delete',
      subject,
      method: 'DELETE',
      path,
      body: deleteBody(opts),
      signal: opts.signal,
    });
    // A Status means the object is gone; an object is returned while it still exists (finalizers,
    // foreground deletion); some built-ins return the deleted object, which has no deletionTimestamp.
    if (asStatus(out) !== undefined) return undefined;
    const obj = out as T;
    return obj.metadata?.deletionTimestamp !== undefined ? withTypeMeta(obj, ref) : undefined;
  }

  async deleteCollection(type: TypeRef, opts: ListOptions & DeleteOptions = {}): Promise<void> {
    const subject: ErrorSubject = { kind: type.kind, namespace: opts.namespace };
    const info = await this.resource('delete', type, subject, opts.signal);
    const path = collectionPath(info, opts.namespace, 'delete', subject);
    await this.json<unknown>({
      verb: 'delete',
      subject,
      method: 'DELETE',
      path,
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
      body: deleteBody(opts),
      signal: opts.signal,
    });
  }

  watch<T extends KubeObject = KubeObject>(type: TypeRef, opts: WatchOptions = {}): AsyncIterable<WatchEvent<T>> {
    return { [Symbol.asyncIterator]: () => this.watchEvents<T>(type, opts)[Symbol.asyncIterator]() };
  }

  private async *watchEvents<T extends KubeObject>(type: TypeRef, opts: WatchOptions): AsyncGenerator<WatchEvent<T>> {
    const subject: ErrorSubject = { kind: type.kind, namespace: opts.namespace };
    const info = await this.resource('watch', type, subject, opts.signal);
    const path =
      collectionPath(info, opts.namespace, 'watch', subject) +
      queryString({
        watch: true,
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks === true ? true : undefined,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        timeoutSeconds: opts.timeoutSeconds,
      });
    // The request timeout covers the wait for the response headers, not the stream. (A linked
    // signal, not AbortSignal.any(): the caller's signal often lives as long as an informer.)
    const link = linkSignal(opts.signal, this.requestTimeoutMs);
    const req: HttpRequest = {
      method: 'GET',
      path,
      signal: link.signal,
      headers: { Accept: opts.metadataOnly === true ? metadataAccept : 'application/json' },
    };
    let res: IncomingMessage;
    try {
      res = await this.transport.stream(req);
    } catch (err) {
      link.dispose();
      if (opts.signal?.aborted === true) return;
      if (link.timedOut()) throw this.timeoutError('watch', subject, err);
      throw this.transportError('watch', subject, err, opts.signal);
    }
    link.cancelDeadline();
    try {
      if (res.statusCode !== 200) {
        const text = await readAll(res, 1024 * 1024);
        throw fromStatus({ verb: 'watch', subject, httpStatus: res.statusCode ?? 0, body: parseJson(text) ?? text });
      }
      let buf = '';
      const decode = (line: string): WatchEvent<T> | undefined => {
        if (line.trim() === '') return undefined;
        const ev = parseJson(line) as { type?: unknown; object?: unknown } | undefined;
        if (ev === undefined || typeof ev.type !== 'string' || typeof ev.object !== 'object' || ev.object === null) {
          throw clientError(KubeErrorCode.Internal, 'watch', subject, `cannot decode watch event: ${JSON.stringify(line.slice(0, 200))}`);
        }
        if (ev.type === 'ERROR') {
          const st = asStatus(ev.object);
          throw fromStatus({ verb: 'watch', subject, httpStatus: st?.code ?? 500, body: ev.object });
        }
        if (!['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK'].includes(ev.type)) {
          throw clientError(KubeErrorCode.Internal, 'watch', subject, `unknown watch event type ${JSON.stringify(ev.type.slice(0, 50))}`);
        }
        return { type: ev.type as WatchEvent['type'], object: withTypeMeta(ev.object as T, type) };
      };
      res.setEncoding('utf8');
      try {
        for await (const chunk of res as AsyncIterable<string>) {
          buf += chunk;
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            const ev = decode(buf.slice(0, nl));
            buf = buf.slice(nl + 1);
            if (ev !== undefined) yield ev;
            nl = buf.indexOf('\n');
          }
          if (buf.length > 64 * 1024 * 1024) {
            throw clientError(KubeErrorCode.Internal, 'watch', subject, 'a watch event exceeds 64 MiB');
          }
        }
        // IncomingMessage ends without error when the server closed the connection cleanly, and
        // also when the socket was torn down mid-response: tell them apart.
        if (!res.complete) throw Object.assign(new Error('connection closed before the watch stream ended'), { code: 'ECONNRESET' });
      } catch (err) {
        if (opts.signal?.aborted === true) return;
        if (err instanceof TrellisError) throw err;
        throw this.transportError('watch', subject, err, opts.signal);
      }
      const last = decode(buf);
      if (last !== undefined) yield last;
    } finally {
      res.destroy();
      link.dispose();
    }
  }

  async resourceFor(type: TypeRef, opts: CallOptions = {}): Promise<ResourceInfo> {
    return await this.discovery.resourceFor(type, opts.signal);
  }

  invalidateDiscovery(): void {
    this.discovery.invalidate();
  }

  async raw(path: string, opts: CallOptions & { method?: string; body?: unknown; contentType?: string } = {}): Promise<unknown> {
    if (!path.startsWith('/'))
      throw clientError(KubeErrorCode.InvalidArgument, 'request', { kind: 'path', name: path }, 'path must start with "/"');
    const method = opts.method ?? 'GET';
    const res = await this.send(
      {
        verb: `${method} ${path.split('?')[0] ?? ''}`,
        subject: { kind: 'path', name: path.split('?')[0] },
        method,
        path,
        body: opts.body,
        ...(opts.contentType === undefined ? {} : { contentType: opts.contentType }),
        signal: opts.signal,
      },
      { raw: false },
    );
    return res.body;
  }

  // --- plumbing -----------------------------------------------------------------------------

  private async put<T extends KubeObject>(obj: T, sub: string | undefined, verb: string, opts: WriteOptions): Promise<T> {
    const ref = objRef(obj, false);
    const { info, subject } = await this.target(verb, ref, opts.signal);
    const path = objectPath(info, ref.namespace, ref.name, sub, verb, subject);
    const out = await this.json<T>({ verb, subject, method: 'PUT', path, query: writeQuery(opts), body: obj, signal: opts.signal });
    return withTypeMeta(out, obj);
  }

  private async target(verb: string, ref: ObjectRef, signal?: AbortSignal): Promise<{ info: ResourceInfo; subject: ErrorSubject }> {
    const subject: ErrorSubject = { kind: ref.kind || '<no kind>', namespace: ref.namespace, name: ref.name };
    return { info: await this.resource(verb, ref, subject, signal), subject };
  }

  private async resource(verb: string, type: TypeRef, subject: ErrorSubject, signal?: AbortSignal): Promise<ResourceInfo> {
    try {
      return await this.discovery.resourceFor(type, signal);
    } catch (err) {
      if (err instanceof TrellisError && (err.code === KubeErrorCode.NoKindMatch || err.code === KubeErrorCode.InvalidArgument)) {
        throw new TrellisError(err.code, `cannot ${verb} ${describeSubject(subject)}: ${err.message.replace(/^cannot map [^:]*: /, '')}`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  private async json<T>(call: Call): Promise<T> {
    const res = await this.send(call, { raw: false });
    return res.body as T;
  }

  /**
   * Send performs one call: rate limit, request, decode, translate. With `raw`, non-2xx answers
   * are returned instead of thrown (discovery needs the 404).
   */
  private async send(call: Call, mode: { raw: boolean }): Promise<{ status: number; body: unknown }> {
    if (this.limiter !== undefined) {
      try {
        await this.limiter.wait(call.signal);
      } catch (err) {
        throw this.transportError(call.verb, call.subject, err, call.signal);
      }
    }
    const headers: Record<string, string> = {};
    if (call.accept !== undefined) headers.Accept = call.accept;
    let body: string | undefined;
    if (call.body !== undefined) {
      body = typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
      headers['Content-Type'] = call.contentType ?? 'application/json';
    }
    // A linked signal, not AbortSignal.any([call.signal, AbortSignal.timeout()]): on Node 20 that
    // leaves an entry on the caller's signal per request (informers pass one that lives as long as
    // they do), and the timeout's signal can be collected before it fires.
    const link = linkSignal(call.signal, this.requestTimeoutMs);
    const req: HttpRequest = { method: call.method, path: call.path + queryString(call.query ?? {}), headers, signal: link.signal };
    if (body !== undefined) req.body = body;
    let res: Awaited<ReturnType<Transport['request']>>;
    try {
      res = await this.transport.request(req);
    } catch (err) {
      if (link.timedOut() && call.signal?.aborted !== true) throw this.timeoutError(call.verb, call.subject, err);
      throw this.transportError(call.verb, call.subject, err, call.signal);
    } finally {
      link.dispose();
    }
    this.logWarnings(call, res.headers.warning);
    const decoded = res.body === '' ? undefined : (parseJson(res.body) ?? res.body);
    if (res.status >= 200 && res.status <= 299) {
      if (typeof decoded === 'string') {
        const ct = String(res.headers['content-type'] ?? '');
        if (ct.includes('json')) throw clientError(KubeErrorCode.Internal, call.verb, call.subject, 'cannot decode the JSON response');
      }
      return { status: res.status, body: decoded };
    }
    if (mode.raw) return { status: res.status, body: decoded };
    throw fromStatus({ verb: call.verb, subject: call.subject, httpStatus: res.status, body: decoded });
  }

  private timeoutError(verb: string, subject: ErrorSubject, cause: unknown): TrellisError {
    return new KubeApiError({
      code: KubeErrorCode.Timeout,
      message: `cannot ${verb} ${describeSubject(subject)}: no response from API server ${this.transport.server} within ${this.requestTimeoutMs}ms`,
      status: 0,
      reason: 'Timeout',
      subject,
      cause,
    });
  }

  private transportError(verb: string, subject: ErrorSubject, err: unknown, signal?: AbortSignal): TrellisError {
    if (err instanceof TrellisError) return err;
    if (signal?.aborted === true) {
      return new TrellisError(KubeErrorCode.Aborted, `cannot ${verb} ${describeSubject(subject)}: aborted`, { cause: err });
    }
    return fromNetworkError({ verb, subject, cause: err, server: this.transport.server });
  }

  private logWarnings(call: Call, warning: string | string[] | undefined): void {
    if (warning === undefined) return;
    for (const w of Array.isArray(warning) ? warning : [warning]) {
      this.log.debug('API server warning', { verb: call.verb, kind: call.subject.kind, name: call.subject.name, warning: w.slice(0, 500) });
    }
  }
}

function objRef(obj: KubeObject, allowGenerateName: boolean): ObjectRef {
  const meta = (obj?.metadata ?? {}) as KubeObject['metadata'];
  const ref: ObjectRef = { apiVersion: obj?.apiVersion, kind: obj?.kind, name: meta.name ?? '' };
  if (meta.namespace !== undefined && meta.namespace !== '') ref.namespace = meta.namespace;
  // For messages only: a create with generateName has no name yet.
  if (ref.name === '' && allowGenerateName && typeof meta.generateName === 'string' && meta.generateName !== '') {
    return { ...ref, name: `${meta.generateName}<generated>` };
  }
  return ref;
}

/**
 * CheckSegment rejects names that cannot be sent as one URL path segment, with the API server's
 * own rules (ValidatePathSegmentName): not empty, not "." or "..", no "/" or "%".
 */
function checkSegment(value: string | undefined, what: string, verb: string, subject: ErrorSubject): string {
  if (typeof value !== 'string' || value === '') throw clientError(KubeErrorCode.InvalidArgument, verb, subject, `${what} is required`);
  if (value === '.' || value === '..') {
    throw clientError(KubeErrorCode.InvalidArgument, verb, subject, `${what} may not be "${value}"`);
  }
  if (/[/%]/.test(value)) throw clientError(KubeErrorCode.InvalidArgument, verb, subject, `${what} may not contain "/" or "%"`);
  if (value.length > 253 * 4)
    throw clientError(KubeErrorCode.InvalidArgument, verb, subject, `${what} is longer than ${253 * 4} characters`);
  return encodeURIComponent(value);
}

function groupVersionPath(info: ResourceInfo): string {
  return info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
}

function collectionPath(info: ResourceInfo, namespace: string | undefined, verb: string, subject: ErrorSubject): string {
  const ns =
    info.namespaced && namespace !== undefined && namespace !== ''
      ? `/namespaces/${checkSegment(namespace, 'namespace', verb, subject)}`
      : '';
  return `${groupVersionPath(info)}${ns}/${info.resource}`;
}

function objectPath(
  info: ResourceInfo,
  namespace: string | undefined,
  name: string,
  subresource: string | undefined,
  verb: string,
  subject: ErrorSubject,
): string {
  if (info.namespaced && (namespace === undefined || namespace === '')) {
    throw clientError(KubeErrorCode.InvalidArgument, verb, subject, `namespace is required for namespaced kind ${info.kind}`);
  }
  const sub = subresource === undefined ? '' : `/${checkSegment(subresource, 'subresource', verb, subject)}`;
  return `${collectionPath(info, namespace, verb, subject)}/${checkSegment(name, 'name', verb, subject)}${sub}`;
}

function queryString(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

function writeQuery(opts: WriteOptions): Query {
  return { dryRun: opts.dryRun === true ? 'All' : undefined, fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation };
}

function deleteBody(opts: DeleteOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
  if (opts.propagationPolicy !== undefined) body.propagationPolicy = opts.propagationPolicy;
  if (opts.preconditions !== undefined) body.preconditions = opts.preconditions;
  if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.dryRun === true) body.dryRun = ['All'];
  return body;
}

/**
 * WithTypeMeta makes sure an object read from the server carries apiVersion and kind: the real
 * server omits them on list items of built-in kinds, and metadata-only reads return
 * `meta.k8s.io/v1 PartialObjectMetadata`, which we relabel with the kind that was asked for.
 */
function withTypeMeta<T extends KubeObject>(obj: T, type: TypeRef): T {
  if (typeof obj !== 'object' || obj === null) return obj;
  if (obj.kind === undefined || obj.apiVersion === undefined || obj.kind === 'PartialObjectMetadata') {
    obj.apiVersion = type.apiVersion;
    obj.kind = type.kind;
  }
  if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
  return obj;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Not JSON: callers fall back to the raw text (a proxy's HTML error page, say).
    return undefined;
  }
}

async function readAll(res: IncomingMessage, max: number): Promise<string> {
  let out = '';
  res.setEncoding('utf8');
  for await (const chunk of res as AsyncIterable<string>) {
    out += chunk;
    if (out.length > max) break;
  }
  return out.slice(0, max);
}
