import type { KubeClient } from '@trellis/kube';
import { TrellisError } from '@trellis/sdk';

/**
 * Resolving what a user types (`postgresdatabase`, `postgresdatabases.db.example.org`,
 * `PostgresDatabase.v1alpha1.db.example.org`, `xrd`, `configuration.pkg`) to one served kind,
 * as kubectl does: by kind, plural, singular or short name, optionally qualified by
 * `.version.group` or `.group` (a group may be given by a prefix of its dotted name).
 */

export interface ServedKind {
  group: string;
  version: string;
  apiVersion: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  categories: string[];
}

interface ApiResourceList {
  groupVersion?: string;
  resources?: {
    name: string;
    singularName?: string;
    namespaced: boolean;
    kind: string;
    shortNames?: string[];
    categories?: string[];
  }[];
}

interface ApiGroupList {
  groups?: { name: string; preferredVersion?: { groupVersion: string }; versions?: { groupVersion: string }[] }[];
}

/** ServedKinds lists every kind the server serves at its preferred version (core first). */
export async function servedKinds(client: KubeClient, signal?: AbortSignal): Promise<ServedKind[]> {
  const call = signal === undefined ? {} : { signal };
  const out: ServedKind[] = [];
  const add = (gv: string, list: ApiResourceList): void => {
    const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
    for (const r of list.resources ?? []) {
      if (r.name.includes('/')) continue;
      out.push({
        group,
        version,
        apiVersion: gv,
        kind: r.kind,
        plural: r.name,
        singular: r.singularName !== undefined && r.singularName !== '' ? r.singularName : r.kind.toLowerCase(),
        shortNames: r.shortNames ?? [],
        namespaced: r.namespaced,
        categories: r.categories ?? [],
      });
    }
  };
  add('v1', (await client.raw('/api/v1', call)) as ApiResourceList);
  const groups = (await client.raw('/apis', call)) as ApiGroupList;
  const gvs = (groups.groups ?? [])
    .map((g) => g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion ?? '')
    .filter((gv) => gv !== '');
  const lists = await Promise.all(gvs.map(async (gv) => ({ gv, list: (await client.raw(`/apis/${gv}`, call)) as ApiResourceList })));
  for (const { gv, list } of lists) add(gv, list);
  return out;
}

/** ParseTarget splits `TYPE[.VERSION][.GROUP][/NAME]` and an optional separate name. */
export function parseTarget(resource: string, name: string | undefined): { type: string; name: string | undefined } {
  const slash = resource.indexOf('/');
  if (slash < 0) return { type: resource, name };
  if (name !== undefined)
    throw new TrellisError('CLI_USAGE', `give the name once: "${resource}" already names one, and "${name}" is another`);
  const n = resource.slice(slash + 1);
  if (n === '' || n.includes('/')) throw new TrellisError('CLI_USAGE', `invalid resource "${resource}": want TYPE/NAME`);
  return { type: resource.slice(0, slash), name: n };
}

/** FindKind picks the one served kind `type` names; ambiguity and unknown types are usage errors. */
export function findKind(kinds: readonly ServedKind[], type: string): ServedKind {
  const t = type.toLowerCase();
  const names = (k: ServedKind): string[] => [k.kind.toLowerCase(), k.plural, k.singular, ...k.shortNames.map((s) => s.toLowerCase())];
  const matches = kinds.filter((k) => {
    for (const n of names(k)) {
      if (t === n) return true;
      if (!t.startsWith(`${n}.`)) continue;
      const rest = t.slice(n.length + 1);
      if (rest === k.group || (k.group !== '' && k.group.startsWith(`${rest}.`))) return true;
      if (rest === `${k.version}.${k.group}` || (rest === k.version && k.group === '')) return true;
    }
    return false;
  });
  // A bare name that is also a core kind means the core kind, as kubectl does.
  const exact = matches.filter((k) => k.group === '');
  const pick = exact.length === 1 && !t.includes('.') ? exact : matches;
  if (pick.length === 1) return pick[0] as ServedKind;
  if (pick.length === 0) throw new TrellisError('CLI_USAGE', `the server has no resource type "${type}"`);
  const options = pick.map((k) => `${k.plural}.${k.group === '' ? k.version : k.group}`).sort();
  throw new TrellisError('CLI_USAGE', `resource type "${type}" is ambiguous: ${options.join(', ')}; qualify it with its group`);
}
