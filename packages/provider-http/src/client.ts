import type { ObjectReader } from '@trellis/runtime';
import {
  extractCredentials,
  getExternalName,
  getPath,
  getProviderConfig,
  markConditions,
  providerConfigKindsFor,
  setExternalName,
  setPath,
  statusOf,
} from '@trellis/runtime';
import type { CallOptions, ExternalClient, ExternalConnector, ExternalObservation, KubeObject } from '@trellis/sdk';
import { available, describeRef, refOf, TrellisError, unavailable, wrap } from '@trellis/sdk';
import { matches } from './compare.ts';
import { HttpCode } from './errors.ts';
import type { HttpRequest, HttpResponse, Transport } from './http.ts';
import { describeRequest, send, statusError } from './http.ts';
import { queryAll, queryOne } from './jsonpath.ts';
import type { HttpMapping, PathCondition, RequestMapping } from './mapping.ts';
import type { TemplateContext } from './template.ts';
import { renderString, renderUrl, renderValue } from './template.ts';

/** The group of provider-http's ProviderConfig and ProviderConfigUsage. */
export const httpProviderGroup = 'http.trellis.io';
export const httpConfigKinds = providerConfigKindsFor(httpProviderGroup);

/** An Endpoint is what a ProviderConfig resolves to: where to send requests, and with which headers. */
export interface Endpoint {
  baseUrl: string;
  headers: Record<string, string>;
}

/**
 * ResolveEndpoint reads a provider-http ProviderConfig: `spec.baseUrl`, and `spec.headers`, whose
 * values may use `{{ credentials }}` (the credentials the config points at, as text). Credentials
 * never appear in messages.
 */
export async function resolveEndpoint(reader: ObjectReader, mr: KubeObject, signal?: AbortSignal): Promise<Endpoint> {
  const pc = await getProviderConfig(reader, httpConfigKinds, mr, signal);
  const spec = (pc.spec ?? {}) as { baseUrl?: unknown; headers?: unknown };
  const who = describeRef(refOf(pc));
  if (typeof spec.baseUrl !== 'string' || !/^https?:\/\/[^\s]+$/.test(spec.baseUrl)) {
    throw new TrellisError(HttpCode.InvalidConfig, `${who}: spec.baseUrl must be an http(s) URL`, {
      details: { retry: 'never', field: 'spec.baseUrl' },
    });
  }
  const creds = await extractCredentials(reader, pc, signal);
  const ctx = { credentials: creds === undefined ? undefined : new TextDecoder().decode(creds).trim() };
  const headers: Record<string, string> = {};
  const raw = typeof spec.headers === 'object' && spec.headers !== null ? (spec.headers as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string')
      throw new TrellisError(HttpCode.InvalidConfig, `${who}: spec.headers.${k} must be a string`, { details: { retry: 'never' } });
    try {
      headers[k] = renderString(v, ctx);
    } catch (err) {
      throw wrap(err, `${who}: spec.headers.${k}`);
    }
  }
  return { baseUrl: spec.baseUrl.replace(/\/+$/, ''), headers };
}

/** HttpClientOptions configure the ExternalClient of one mapping. */
export interface HttpClientOptions {
  transport?: Transport;
  now?: () => Date;
}

function forProviderOf(mr: KubeObject): Record<string, unknown> {
  const fp = (mr.spec as { forProvider?: unknown } | undefined)?.forProvider;
  return typeof fp === 'object' && fp !== null ? (fp as Record<string, unknown>) : {};
}

function holds(cond: PathCondition | undefined, obj: unknown): boolean {
  if (cond === undefined) return false;
  const v = queryOne(cond.path, obj);
  return cond.in.some((x) => x === v);
}

/**
 * NewHttpClient returns the ExternalClient that interprets `mapping` against one endpoint.
 */
export function newHttpClient(mapping: HttpMapping, endpoint: Endpoint, opts: HttpClientOptions = {}): ExternalClient {
  const now = opts.now ?? (() => new Date());
  const who = (mr: KubeObject): string => describeRef(refOf(mr));

  const context = (mr: KubeObject, externalName: string | undefined): TemplateContext => ({
    spec: mr.spec,
    metadata: mr.metadata,
    externalName,
    now: now().toISOString(),
  });

  const render = (m: RequestMapping, ctx: TemplateContext): HttpRequest => {
    const query = Object.entries(m.query ?? {})
      .map(([k, v]) => `${encodeURIComponent(k)}=${renderUrl(v, ctx)}`)
      .join('&');
    const url = `${endpoint.baseUrl}${renderUrl(m.path, ctx)}${query === '' ? '' : `?${query}`}`;
    const headers = { ...endpoint.headers };
    for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = renderString(v, ctx);
    const body = m.body === undefined ? undefined : renderValue(m.body, ctx);
    return { method: m.method, url, headers, ...(body === undefined ? {} : { body }) };
  };

  const call = async (req: HttpRequest, o: CallOptions, mutating: boolean): Promise<HttpResponse> => {
    try {
      return await send(req, o.signal, opts.transport);
    } catch (err) {
      // A mutating request that timed out may have reached the server: its outcome is unknown.
      if (mutating && err instanceof TrellisError && err.code === HttpCode.Timeout) {
        throw new TrellisError(HttpCode.Timeout, err.message, { cause: err.cause, details: { retry: 'backoff', outcome: 'unknown' } });
      }
      throw err;
    }
  };

  const expectOk = (req: HttpRequest, res: HttpResponse, ok: readonly number[] = []): void => {
    if ((res.status >= 200 && res.status < 300) || ok.includes(res.status)) return;
    throw statusError(req, res);
  };

  /** NameOf returns the external name: the annotation, else (client kinds) the name the spec implies. */
  const nameOf = (mr: KubeObject): string | undefined => {
    const given = getExternalName(mr);
    if (given !== undefined || mapping.externalName !== 'client' || mapping.name === undefined) return given;
    return renderString(mapping.name, context(mr, undefined));
  };

  const lookup = async (mr: KubeObject, o: CallOptions): Promise<{ id: string; item: unknown } | undefined> => {
    const l = mapping.lookup;
    if (l === undefined) return undefined;
    const ctx = context(mr, undefined);
    const req = render(l.request, ctx);
    const res = await call(req, o, false);
    expectOk(req, res);
    const want = Object.entries(l.match).map(([path, tpl]) => [path, renderValue(tpl, ctx)] as const);
    const found = queryAll(l.items, res.body).filter(
      (item) => !holds(l.exclude, item) && want.every(([path, v]) => v !== undefined && queryOne(path, item) === v),
    );
    if (found.length === 0) return undefined;
    if (found.length > 1) {
      throw new TrellisError(
        HttpCode.ClientError,
        `${who(mr)}: lookup found ${found.length} ${mapping.kind} resources matching ${want.map(([p]) => p).join(', ')}; the identity must be unique`,
        { details: { retry: 'never' } },
      );
    }
    const id = queryOne(l.id, found[0]);
    if (typeof id !== 'string' && typeof id !== 'number') {
      throw new TrellisError(HttpCode.BadResponse, `${describeRequest(req)}: lookup match has no identifier at ${l.id}`);
    }
    return { id: String(id), item: found[0] };
  };

  /** Fetch returns the observed resource, or undefined when it does not exist. */
  const fetchResource = async (mr: KubeObject, name: string, o: CallOptions): Promise<unknown> => {
    const req = render(mapping.observe, context(mr, name));
    const res = await call(req, o, false);
    if ((mapping.observe.notFound ?? [404]).includes(res.status)) return undefined;
    expectOk(req, res);
    const obj = mapping.observe.select === undefined ? res.body : queryOne(mapping.observe.select, res.body);
    if (obj === undefined || obj === null) return undefined;
    if (holds(mapping.observe.gone, obj)) return undefined;
    return obj;
  };

  const compareFields = (mr: KubeObject, observed: unknown): { upToDate: boolean; lateInit: boolean; diff: string[] } => {
    const fp = forProviderOf(mr);
    const diff: string[] = [];
    let lateInit = false;
    for (const f of mapping.fields) {
      const desired = getPath(fp, f.field);
      const seen = f.many === true ? queryAll(f.observed, observed) : queryOne(f.observed, observed);
      if (desired === undefined) {
        if (f.lateInit === true && seen !== undefined) {
          const spec = (mr.spec ?? {}) as Record<string, unknown>;
          setPath(spec, `forProvider.${f.field}`, structuredClone(seen));
          mr.spec = spec;
          lateInit = true;
        }
        continue;
      }
      if (f.createOnly === true) continue;
      if (!matches(f.compare ?? 'subset', desired, seen))
        diff.push(`spec.forProvider.${f.field}: want ${JSON.stringify(desired)}, have ${JSON.stringify(seen)}`);
    }
    return { upToDate: diff.length === 0, lateInit, diff };
  };

  return {
    async observe(mr, o): Promise<ExternalObservation> {
      try {
        let name = nameOf(mr);
        let observed: unknown;
        if (name !== undefined) observed = await fetchResource(mr, name, o);
        if (observed === undefined && mapping.lookup !== undefined) {
          // Without an identifier, or when the identifier is gone (an update minted a new one): look it up.
          const found = await lookup(mr, o);
          if (found !== undefined) {
            name = found.id;
            observed = (await fetchResource(mr, name, o)) ?? found.item;
          }
        }
        if (observed === undefined || name === undefined) return { resourceExists: false, resourceUpToDate: false };
        if (getExternalName(mr) !== name) setExternalName(mr, name);
        const { upToDate, lateInit, diff } = compareFields(mr, observed);
        if (mapping.atProvider !== undefined) {
          const at: Record<string, unknown> = {};
          for (const [k, p] of Object.entries(mapping.atProvider)) {
            const v = queryOne(p, observed);
            if (v !== undefined) at[k] = v;
          }
          statusOf(mr).atProvider = at;
        }
        if (mapping.ready === undefined || holds(mapping.ready, observed)) markConditions(mr, available());
        else markConditions(mr, unavailable(mapping.ready.message));
        return { resourceExists: true, resourceUpToDate: upToDate, resourceLateInitialized: lateInit, diff: diff.join('; ') };
      } catch (err) {
        throw wrap(err, `cannot observe ${mapping.kind}`);
      }
    },

    async create(mr, o) {
      const name = nameOf(mr);
      const req = render(mapping.create, context(mr, name));
      const res = await call(req, o, true);
      expectOk(req, res);
      if (mapping.externalName === 'client') {
        if (name !== undefined && getExternalName(mr) === undefined) setExternalName(mr, name);
        return {};
      }
      const id = mapping.create.id === undefined ? undefined : queryOne(mapping.create.id, res.body);
      if (typeof id !== 'string' && typeof id !== 'number') {
        // The resource was created but we cannot tell its identifier: the outcome is unknown, not failed.
        throw new TrellisError(
          HttpCode.BadResponse,
          `${describeRequest(req)}: response has no identifier at ${mapping.create.id ?? '(no id path)'}`,
          {
            details: { outcome: 'unknown', retry: 'backoff' },
          },
        );
      }
      setExternalName(mr, String(id));
      return {};
    },

    async update(mr, o) {
      if (mapping.update === undefined) return {};
      const req = render(mapping.update, context(mr, nameOf(mr)));
      const res = await call(req, o, true);
      expectOk(req, res);
      const id = mapping.update.id === undefined ? undefined : queryOne(mapping.update.id, res.body);
      if ((typeof id === 'string' || typeof id === 'number') && String(id) !== getExternalName(mr)) setExternalName(mr, String(id));
      return {};
    },

    async delete(mr, o) {
      if (mapping.delete === undefined) return;
      const req = render(mapping.delete, context(mr, nameOf(mr)));
      const res = await call(req, o, true);
      expectOk(req, res, mapping.delete.notFound ?? [404]);
    },

    async disconnect() {},
  };
}

/**
 * NewHttpConnector returns the connector of one mapping: it resolves the ProviderConfig of each
 * managed resource into an endpoint and builds a client for it.
 */
export function newHttpConnector(mapping: HttpMapping, reader: ObjectReader, opts: HttpClientOptions = {}): ExternalConnector {
  return {
    async connect(mr, o) {
      const endpoint = await resolveEndpoint(reader, mr, o.signal);
      return newHttpClient(mapping, endpoint, opts);
    },
  };
}
