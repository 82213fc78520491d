import type { Registry } from '../registry/registry.ts';
import { storageVersionHash } from '../registry/registry.ts';
import type { ResourceType } from '../registry/types.ts';

/**
 * Discovery documents: legacy (`APIVersions`, `APIGroupList`, `APIGroup`, `APIResourceList`) and
 * aggregated (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`), built from the registry.
 */

function gv(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

const SUB_VERBS = ['get', 'patch', 'update'];
const RESOURCE_VERBS_ORDER = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

function subresourceKind(rt: ResourceType, sub: string): { group: string; version: string; kind: string } {
  if (sub === 'scale') return { group: 'autoscaling', version: 'v1', kind: 'Scale' };
  return { group: rt.group, version: rt.version, kind: rt.kind };
}

function subresourceVerbs(sub: string): string[] {
  return sub === 'finalize' ? ['update'] : SUB_VERBS;
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupEntry(name: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: gv(name, v), version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(reg: Registry): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: reg
      .groups()
      .filter((g) => g.name !== '')
      .map((g) => groupEntry(g.name, g.versions)),
  };
}

export function apiGroup(reg: Registry, group: string): Record<string, unknown> | undefined {
  const g = reg.groups().find((x) => x.name === group && x.name !== '');
  if (g === undefined) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g.name, g.versions) };
}

export function apiResourceList(reg: Registry, group: string, version: string): Record<string, unknown> | undefined {
  const rts = reg.resources(group, version);
  if (rts.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const rt of rts) {
    const r: Record<string, unknown> = {
      name: rt.resource,
      singularName: rt.singular,
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: RESOURCE_VERBS_ORDER.filter((v) => rt.verbs.includes(v)),
    };
    if (rt.shortNames.length > 0) r.shortNames = rt.shortNames;
    if (rt.categories.length > 0) r.categories = rt.categories;
    r.storageVersionHash = storageVersionHash(rt.group, rt.storageVersion, rt.kind);
    resources.push(r);
    for (const sub of rt.subresources) {
      const k = subresourceKind(rt, sub);
      const e: Record<string, unknown> = { name: `${rt.resource}/${sub}`, singularName: '', namespaced: rt.namespaced };
      if (sub === 'scale') {
        e.group = k.group;
        e.version = k.version;
      }
      e.kind = k.kind;
      e.verbs = subresourceVerbs(sub);
      resources.push(e);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv(group, version), resources };
}

/** AggregatedDiscovery builds the APIGroupDiscoveryList for `/api` (core) or `/apis` (the rest). */
export function aggregatedDiscovery(reg: Registry, legacy: boolean, apiVersion: 'v2' | 'v2beta1'): Record<string, unknown> {
  const items = reg
    .groups()
    .filter((g) => (legacy ? g.name === '' : g.name !== ''))
    .map((g) => {
      const metadata: Record<string, unknown> = legacy ? { creationTimestamp: null } : { name: g.name, creationTimestamp: null };
      return {
        metadata,
        versions: g.versions.map((v) => ({
          version: v,
          resources: reg.resources(g.name, v).map((rt) => {
            const r: Record<string, unknown> = {
              resource: rt.resource,
              responseKind: { group: rt.group, version: rt.version, kind: rt.kind },
              scope: rt.namespaced ? 'Namespaced' : 'Cluster',
              singularResource: rt.singular,
              verbs: [...rt.verbs].sort(),
            };
            if (rt.shortNames.length > 0) r.shortNames = rt.shortNames;
            if (rt.categories.length > 0) r.categories = rt.categories;
            if (rt.subresources.length > 0) {
              r.subresources = rt.subresources.map((sub) => ({
                subresource: sub,
                responseKind: subresourceKind(rt, sub),
                verbs: subresourceVerbs(sub),
              }));
            }
            return r;
          }),
          freshness: 'Current',
        })),
      };
    });
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${apiVersion}`, metadata: {}, items };
}

/** WantsAggregated returns the aggregated discovery version an Accept header asks for, if any. */
export function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (accept === undefined) return undefined;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((x) => x.trim());
    if (type !== 'application/json') continue;
    const p: Record<string, string> = {};
    for (const kv of params) {
      const i = kv.indexOf('=');
      if (i > 0) p[kv.slice(0, i)] = kv.slice(i + 1);
    }
    if (p.g === 'apidiscovery.k8s.io' && p.as === 'APIGroupDiscoveryList' && (p.v === 'v2' || p.v === 'v2beta1')) return p.v;
    if (p.as === undefined) return undefined;
  }
  return undefined;
}
