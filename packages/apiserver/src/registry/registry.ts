import { createHash } from 'node:crypto';
import { builtinTypes } from './builtins.ts';
import type { ResourceType } from './types.ts';

/** Built-in group priorities (kube-aggregator's), highest first; CRD groups come after, by name. */
const GROUP_PRIORITY: Record<string, number> = {
  '': 18000,
  'events.k8s.io': 17750,
  'apiextensions.k8s.io': 16700,
  'coordination.k8s.io': 16500,
};

/** CompareKubeVersions orders versions by kube's preference (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > other). */
export function compareKubeVersions(a: string, b: string): number {
  const pa = parseKubeVersion(a);
  const pb = parseKubeVersion(b);
  if (pa === undefined && pb === undefined) return a < b ? -1 : a > b ? 1 : 0;
  if (pa === undefined) return 1;
  if (pb === undefined) return -1;
  const rank = (p: { stage: number }) => p.stage;
  if (rank(pa) !== rank(pb)) return rank(pb) - rank(pa);
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}

function parseKubeVersion(v: string): { major: number; stage: number; minor: number } | undefined {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (m === null) return undefined;
  const stage = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
  return { major: Number(m[1]), stage, minor: m[3] === undefined ? 0 : Number(m[3]) };
}

/** StorageVersionHash is the discovery hash of a storage GVK (base64 of 8 bytes of sha256). */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

export interface GroupInfo {
  name: string;
  /** Versions in preference order (the first is preferred). */
  versions: string[];
}

/**
 * The Registry knows every served resource: the built-ins and, for each Established CRD, its
 * served versions. `generation` increases on every change so discovery and OpenAPI documents can
 * be cached until the next one.
 */
export class Registry {
  private readonly builtins: ResourceType[] = builtinTypes();
  private readonly crds = new Map<string, ResourceType[]>();
  private index = new Map<string, ResourceType>();
  private bucketIndex = new Map<string, ResourceType>();
  generation = 0;

  constructor() {
    this.reindex();
  }

  /** SetCrd replaces the types a CRD serves (undefined or [] removes them). */
  setCrd(name: string, types: ResourceType[] | undefined): void {
    // The same compiled types again (a status-only change of the CRD): nothing to re-index, and
    // discovery and OpenAPI documents stay cached.
    if (types !== undefined && types.length > 0 && this.crds.get(name) === types) return;
    if ((types === undefined || types.length === 0) && !this.crds.has(name)) return;
    if (types === undefined || types.length === 0) this.crds.delete(name);
    else this.crds.set(name, types);
    this.reindex();
  }

  crdTypes(name: string): ResourceType[] {
    return this.crds.get(name) ?? [];
  }

  all(): ResourceType[] {
    return [...this.builtins, ...[...this.crds.values()].flat()];
  }

  lookup(group: string, version: string, resource: string): ResourceType | undefined {
    return this.index.get(`${group}/${version}/${resource}`);
  }

  lookupKind(apiVersion: string, kind: string): ResourceType | undefined {
    for (const rt of this.all())
      if (rt.kind === kind && (rt.group === '' ? rt.version : `${rt.group}/${rt.version}`) === apiVersion) return rt;
    return undefined;
  }

  /** LookupGroupKind returns a served type of a group and kind, at any version (the storage one when served). */
  lookupGroupKind(group: string, kind: string): ResourceType | undefined {
    let found: ResourceType | undefined;
    for (const rt of this.all()) {
      if (rt.group !== group || rt.kind !== kind) continue;
      if (rt.version === rt.storageVersion) return rt;
      found ??= rt;
    }
    return found;
  }

  /** StorageType returns the type at the storage version of a bucket (to read stored objects). */
  storageType(bucket: string): ResourceType | undefined {
    return this.bucketIndex.get(bucket);
  }

  /** Groups lists the served groups (core first) with their versions in preference order. */
  groups(): GroupInfo[] {
    const byGroup = new Map<string, Set<string>>();
    for (const rt of this.all()) {
      let set = byGroup.get(rt.group);
      if (set === undefined) {
        set = new Set();
        byGroup.set(rt.group, set);
      }
      set.add(rt.version);
    }
    const groups = [...byGroup.entries()].map(([name, vs]) => ({ name, versions: [...vs].sort(compareKubeVersions) }));
    return groups.sort((a, b) => {
      const pa = GROUP_PRIORITY[a.name] ?? 1000;
      const pb = GROUP_PRIORITY[b.name] ?? 1000;
      if (pa !== pb) return pb - pa;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
  }

  /** Resources returns the types served at group/version, sorted by resource name. */
  resources(group: string, version: string): ResourceType[] {
    return this.all()
      .filter((rt) => rt.group === group && rt.version === version)
      .sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  }

  private reindex(): void {
    const idx = new Map<string, ResourceType>();
    const buckets = new Map<string, ResourceType>();
    for (const rt of this.all()) {
      idx.set(`${rt.group}/${rt.version}/${rt.resource}`, rt);
      if (rt.version === rt.storageVersion && !(rt.group === 'events.k8s.io')) buckets.set(rt.bucket, rt);
      else if (!buckets.has(rt.bucket)) buckets.set(rt.bucket, rt);
    }
    // Core events are the storage form of events.k8s.io events.
    const coreEvents = idx.get('/v1/events');
    if (coreEvents !== undefined) buckets.set('/events', coreEvents);
    this.index = idx;
    this.bucketIndex = buckets;
    this.generation++;
  }
}
