import { formatApiVersion, parseApiVersion } from '@trellis/sdk';
import { clientError, fromStatus, KubeErrorCode } from './errors.ts';
import type { ResourceInfo, TypeRef } from './types.ts';

/** A DiscoveryFetcher GETs a discovery document: `/api/v1` or `/apis/<group>/<version>`. */
export type DiscoveryFetcher = (path: string, signal?: AbortSignal) => Promise<{ status: number; body: unknown }>;

interface GroupVersionDoc {
  fetchedAt: number;
  byKind: Map<string, ResourceInfo>;
  /** NotServed is true when the server answered 404 for the whole group-version. */
  notServed: boolean;
}

interface ApiResource {
  name?: unknown;
  kind?: unknown;
  namespaced?: unknown;
  verbs?: unknown;
  group?: unknown;
  version?: unknown;
}

/**
 * Discovery maps kinds to resources from the legacy per-group-version discovery documents, one
 * document per group-version, cached. A kind missing from the cache (a CRD that was just
 * established) refreshes its group-version once before the lookup fails with KUBE_NO_KIND_MATCH;
 * `invalidate()` drops everything. Concurrent lookups of one group-version share one request.
 */
export class Discovery {
  private readonly fetch: DiscoveryFetcher;
  private readonly docs = new Map<string, GroupVersionDoc>();
  private readonly inflight = new Map<string, Promise<GroupVersionDoc>>();
  private readonly now: () => number;
  /** Generation counts invalidations, so a fetch that started before one does not repopulate. */
  private generation = 0;

  constructor(fetch: DiscoveryFetcher, opts: { now?: () => number } = {}) {
    this.fetch = fetch;
    this.now = opts.now ?? Date.now;
  }

  async resourceFor(type: TypeRef, signal?: AbortSignal): Promise<ResourceInfo> {
    if (typeof type.apiVersion !== 'string' || type.apiVersion === '' || typeof type.kind !== 'string' || type.kind === '') {
      throw clientError(
        KubeErrorCode.InvalidArgument,
        'map',
        { kind: String(type.kind || '<no kind>') },
        'apiVersion and kind are required',
      );
    }
    const { group, version } = parseApiVersion(type.apiVersion);
    const gv = formatApiVersion(group, version);
    let doc = this.docs.get(gv);
    let fresh = false;
    if (doc === undefined) {
      doc = await this.load(gv, signal);
      fresh = true;
    }
    let info = doc.byKind.get(type.kind);
    if (info === undefined && !fresh) {
      doc = await this.load(gv, signal);
      info = doc.byKind.get(type.kind);
    }
    if (info === undefined) {
      const detail = doc.notServed ? `the server does not serve ${gv}` : `the server does not serve kind "${type.kind}" in ${gv}`;
      throw clientError(KubeErrorCode.NoKindMatch, 'map', { kind: type.kind }, `no resource for ${type.kind}.${gv}: ${detail}`);
    }
    return info;
  }

  /** Invalidate drops every cached document; the next lookup of each group-version refetches. */
  invalidate(): void {
    this.generation++;
    this.docs.clear();
    this.inflight.clear();
  }

  private load(gv: string, signal?: AbortSignal): Promise<GroupVersionDoc> {
    const pending = this.inflight.get(gv);
    if (pending !== undefined) return pending;
    const gen = this.generation;
    const p = this.fetchDoc(gv, signal).then(
      (doc) => {
        if (this.generation === gen) {
          this.docs.set(gv, doc);
          this.inflight.delete(gv);
        }
        return doc;
      },
      (err: unknown) => {
        if (this.generation === gen) this.inflight.delete(gv);
        throw err;
      },
    );
    this.inflight.set(gv, p);
    return p;
  }

  private async fetchDoc(gv: string, signal?: AbortSignal): Promise<GroupVersionDoc> {
    const { group, version } = parseApiVersion(gv);
    const path = group === '' ? `/api/${encodeURIComponent(version)}` : `/apis/${encodeURIComponent(group)}/${encodeURIComponent(version)}`;
    const res = await this.fetch(path, signal);
    const byKind = new Map<string, ResourceInfo>();
    if (res.status === 404) return { fetchedAt: this.now(), byKind, notServed: true };
    if (res.status < 200 || res.status > 299) {
      throw fromStatus({ verb: 'discover', subject: { kind: `resources of ${gv}` }, httpStatus: res.status, body: res.body });
    }
    const raw = (res.body as { resources?: unknown } | null)?.resources;
    if (!Array.isArray(raw)) return { fetchedAt: this.now(), byKind, notServed: false };
    const resources = raw.filter((r): r is ApiResource => typeof r === 'object' && r !== null);
    const subresources = new Map<string, string[]>();
    for (const r of resources) {
      if (typeof r.name !== 'string') continue;
      const slash = r.name.indexOf('/');
      if (slash > 0) {
        const parent = r.name.slice(0, slash);
        subresources.set(parent, [...(subresources.get(parent) ?? []), r.name.slice(slash + 1)]);
      }
    }
    for (const r of resources) {
      if (typeof r.name !== 'string' || r.name.includes('/') || typeof r.kind !== 'string' || r.kind === '') continue;
      // The first resource of a kind wins (a few built-in kinds are served under two names).
      if (byKind.has(r.kind)) continue;
      byKind.set(r.kind, {
        group,
        version,
        kind: r.kind,
        resource: r.name,
        namespaced: r.namespaced === true,
        verbs: Array.isArray(r.verbs) ? r.verbs.filter((v): v is string => typeof v === 'string') : [],
        subresources: [...(subresources.get(r.name) ?? [])].sort(),
      });
    }
    return { fetchedAt: this.now(), byKind, notServed: false };
  }
}
