// What "nothing lost, nothing duplicated" means, checked against the API server and the external
// APIs after every round: the ledger holds what the campaign asked for (each claim, its latest
// `gen`, whether it was deleted), and `inspect` compares it with a fresh read of everything.
import type { KubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import type { Alertmanager, PowerDns } from '../../infra/services/services.ts';
import { ComposedPerApp, RunLabel, silenceMrType, type Workload, zoneMrType, zoneOf } from './workload.ts';

export type ClaimKind = 'app' | 'zone';

/** A ClaimIntent is what the campaign asked for one claim. */
export interface ClaimIntent {
  kind: ClaimKind;
  namespace: string;
  name: string;
  /** Gen is the latest `spec.gen` written (app claims). */
  gen: number;
  deleted: boolean;
}

/** A Ledger is every claim the campaign created, by `kind/namespace/name`. */
export class Ledger {
  readonly claims = new Map<string, ClaimIntent>();
  static key(kind: ClaimKind, namespace: string, name: string): string {
    return `${kind}/${namespace}/${name}`;
  }
  add(c: ClaimIntent): void {
    this.claims.set(Ledger.key(c.kind, c.namespace, c.name), c);
  }
  live(kind?: ClaimKind): ClaimIntent[] {
    return [...this.claims.values()].filter((c) => !c.deleted && (kind === undefined || c.kind === kind));
  }
  deleted(kind?: ClaimKind): ClaimIntent[] {
    return [...this.claims.values()].filter((c) => c.deleted && (kind === undefined || c.kind === kind));
  }
}

/**
 * Problems found by one inspection. `violations` break the guarantees whenever they are seen
 * (a duplicate never becomes right by waiting); `pending` is work not finished yet, a failure only
 * when it outlives the convergence deadline.
 */
export interface Inspection {
  violations: string[];
  pending: string[];
  counts: {
    liveClaims: number;
    readyClaims: number;
    xrs: number;
    composed: number;
    externalZones: number;
    activeSilences: number;
  };
}

const cond = (o: KubeObject | undefined, type: string): { status?: string; reason?: string; message?: string } | undefined =>
  ((o?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === type);
export const isReady = (o: KubeObject | undefined): boolean => cond(o, 'Ready')?.status === 'True';

const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

async function pdnsZones(pdns: PowerDns, suffix: string): Promise<string[]> {
  const r = await fetch(`${pdns.url}/api/v1/servers/localhost/zones`, { headers: { 'X-API-Key': pdns.apiKey } });
  if (!r.ok) throw new Error(`PowerDNS zones: HTTP ${r.status}`);
  return ((await r.json()) as { name: string }[]).map((z) => z.name).filter((n) => n.endsWith(suffix));
}

async function activeSilences(am: Alertmanager, createdBy: string): Promise<{ id: string; comment: string }[]> {
  const r = await fetch(`${am.url}/api/v2/silences`);
  if (!r.ok) throw new Error(`Alertmanager silences: HTTP ${r.status}`);
  return ((await r.json()) as { id: string; comment: string; createdBy: string; status: { state: string } }[])
    .filter((s) => s.createdBy === createdBy && s.status.state !== 'expired')
    .map((s) => ({ id: s.id, comment: s.comment }));
}

/** ClaimsSnapshot lists the claims of both kinds (cheap: for polling until everything is Ready). */
export async function listClaims(client: KubeClient, w: Workload): Promise<Map<string, KubeObject>> {
  const out = new Map<string, KubeObject>();
  const sel = { labelSelector: `${RunLabel}=${w.run}` };
  for (const [kind, type] of [
    ['app', w.app.claim],
    ['zone', w.zone.claim],
  ] as const) {
    for (const c of (await client.listAll(type, sel)).items)
      out.set(Ledger.key(kind, c.metadata.namespace ?? '', c.metadata.name ?? ''), c);
  }
  return out;
}

/** NotReady counts live claims that are missing or not Ready, from a claims snapshot. */
export function notReady(ledger: Ledger, claims: Map<string, KubeObject>): number {
  let n = 0;
  for (const c of ledger.live()) if (!isReady(claims.get(Ledger.key(c.kind, c.namespace, c.name)))) n++;
  return n;
}

export interface InspectTarget {
  client: KubeClient;
  workload: Workload;
  ledger: Ledger;
  pdns?: PowerDns;
  am?: Alertmanager;
}

/** Inspect reads everything and compares it with the ledger. */
export async function inspect(t: InspectTarget): Promise<Inspection> {
  const { client, workload: w, ledger } = t;
  const violations: string[] = [];
  const pending: string[] = [];
  const sel = { labelSelector: `${RunLabel}=${w.run}` };
  const claims = await listClaims(client, w);
  const xrs = [...(await client.listAll(w.app.xr)).items, ...(await client.listAll(w.zone.xr)).items];
  const configMaps = (await client.listAll({ apiVersion: 'v1', kind: 'ConfigMap' }, sel)).items;
  const withProvider = t.pdns !== undefined && t.am !== undefined;
  const zoneMrs = withProvider ? (await client.listAll(zoneMrType, sel)).items : [];
  const silenceMrs = withProvider ? (await client.listAll(silenceMrType, sel)).items : [];
  const extZones = t.pdns === undefined ? [] : await pdnsZones(t.pdns, w.zoneSuffix);
  const silences = t.am === undefined ? [] : await activeSilences(t.am, w.silenceCreator);

  // Claims: every live one exists and is Ready; every deleted one is gone; nothing unknown.
  let ready = 0;
  for (const c of ledger.live()) {
    const o = claims.get(Ledger.key(c.kind, c.namespace, c.name));
    if (o === undefined) violations.push(`lost: ${c.kind} claim ${c.namespace}/${c.name} does not exist`);
    else if (o.metadata.deletionTimestamp !== undefined) violations.push(`${c.kind} claim ${c.namespace}/${c.name} is being deleted`);
    else if (!isReady(o)) pending.push(`${c.kind} claim ${c.namespace}/${c.name} not Ready: ${JSON.stringify(cond(o, 'Ready') ?? null)}`);
    else ready++;
  }
  for (const c of ledger.deleted()) {
    if (claims.has(Ledger.key(c.kind, c.namespace, c.name))) pending.push(`deleted ${c.kind} claim ${c.namespace}/${c.name} still exists`);
  }
  for (const k of claims.keys()) if (!ledger.claims.has(k)) violations.push(`unknown claim ${k}`);

  // XRs: exactly one per live claim, the one the claim references; none left for deleted claims.
  const xrByName = new Map(xrs.map((x) => [x.metadata.name ?? '', x]));
  const xrsOfClaim = new Map<string, KubeObject[]>();
  for (const x of xrs) {
    const ref = (x.spec as { claimRef?: { namespace?: string; name?: string; kind?: string } } | undefined)?.claimRef;
    const kind = x.kind === w.zone.xr.kind ? 'zone' : 'app';
    const k = ref === undefined ? `unclaimed/${x.metadata.name}` : Ledger.key(kind, ref.namespace ?? '', ref.name ?? '');
    xrsOfClaim.set(k, [...(xrsOfClaim.get(k) ?? []), x]);
  }
  for (const [k, list] of xrsOfClaim) {
    const intent = ledger.claims.get(k);
    if (intent === undefined) violations.push(`XR ${list.map((x) => x.metadata.name).join(', ')} belongs to no claim of this run (${k})`);
    else if (intent.deleted) pending.push(`XR ${list.map((x) => x.metadata.name).join(', ')} of deleted claim ${k} still exists`);
    else if (list.length > 1) violations.push(`duplicate XRs for claim ${k}: ${list.map((x) => x.metadata.name).join(', ')}`);
  }
  for (const c of ledger.live()) {
    const k = Ledger.key(c.kind, c.namespace, c.name);
    const o = claims.get(k);
    const refName = (o?.spec as { resourceRef?: { name?: string } } | undefined)?.resourceRef?.name;
    if (o === undefined) continue;
    if (refName === undefined || !xrByName.has(refName)) pending.push(`claim ${k} has no XR yet (resourceRef ${refName ?? 'unset'})`);
  }

  // Composed resources: one per (XR, composition resource name), of a live claim's XR.
  const composed = [...configMaps, ...zoneMrs, ...silenceMrs];
  const byXr = new Map<string, Map<string, KubeObject[]>>();
  for (const o of composed) {
    const xr = o.metadata.labels?.['crossplane.io/composite'] ?? '';
    const rn = o.metadata.annotations?.['crossplane.io/composition-resource-name'] ?? '';
    let m = byXr.get(xr);
    if (m === undefined) {
      m = new Map();
      byXr.set(xr, m);
    }
    m.set(rn, [...(m.get(rn) ?? []), o]);
  }
  const liveXrs = new Map<string, ClaimIntent>();
  for (const c of ledger.live()) {
    const ref = (claims.get(Ledger.key(c.kind, c.namespace, c.name))?.spec as { resourceRef?: { name?: string } } | undefined)?.resourceRef
      ?.name;
    if (ref !== undefined) liveXrs.set(ref, c);
  }
  for (const [xr, m] of byXr) {
    const owner = liveXrs.get(xr);
    for (const [rn, list] of m) {
      if (list.length > 1) violations.push(`duplicate composed resource "${rn}" of XR ${xr}: ${list.map(keyOf).join(', ')}`);
    }
    if (owner === undefined) {
      const names = [...m.values()].flat().map((o) => `${o.kind} ${keyOf(o)}`);
      if (xrByName.has(xr)) pending.push(`composed resources of XR ${xr} (deleted claim) still exist: ${names.join(', ')}`);
      else pending.push(`composed resources of missing XR "${xr}" (not yet collected): ${names.join(', ')}`);
    }
  }
  for (const [xr, c] of liveXrs) {
    const m = byXr.get(xr) ?? new Map<string, KubeObject[]>();
    const want = c.kind === 'app' ? Array.from({ length: ComposedPerApp }, (_, i) => `cm${i + 1}`) : ['zone', 'silence'];
    for (const rn of want) {
      const o = m.get(rn)?.[0];
      if (o === undefined) {
        // A Ready claim whose composed resource is missing lost it; otherwise it is still coming.
        const claim = claims.get(Ledger.key(c.kind, c.namespace, c.name));
        (isReady(claim) ? violations : pending).push(`missing composed resource "${rn}" of XR ${xr} (claim ${c.namespace}/${c.name})`);
        continue;
      }
      if (c.kind === 'app') {
        if (o.metadata.namespace !== c.namespace)
          violations.push(`ConfigMap ${keyOf(o)} of claim ${c.namespace}/${c.name} is in the wrong namespace`);
        const gen = (o as { data?: Record<string, string> }).data?.gen;
        if (gen !== String(c.gen)) pending.push(`ConfigMap ${keyOf(o)} shows gen ${gen}, claim ${c.namespace}/${c.name} has ${c.gen}`);
      }
    }
  }

  // External resources: one zone and one active silence per live provider claim, nothing else.
  if (withProvider) {
    const liveZones = new Set(ledger.live('zone').map((c) => zoneOf(w, c.name)));
    const seen = new Map<string, number>();
    for (const z of extZones) seen.set(z, (seen.get(z) ?? 0) + 1);
    for (const [z, n] of seen) if (n > 1) violations.push(`duplicate PowerDNS zone ${z} (${n})`);
    for (const z of liveZones) if (!seen.has(z)) pending.push(`PowerDNS zone ${z} does not exist yet`);
    for (const z of seen.keys()) if (!liveZones.has(z)) pending.push(`PowerDNS zone ${z} of a deleted claim still exists`);
    const byComment = new Map<string, string[]>();
    for (const s of silences) byComment.set(s.comment, [...(byComment.get(s.comment) ?? []), s.id]);
    const boundIds = new Set(silenceMrs.map((s) => s.metadata.annotations?.['crossplane.io/external-name'] ?? ''));
    for (const [comment, ids] of byComment) {
      if (ids.length > 1) violations.push(`duplicate Alertmanager silences for ${comment}: ${ids.join(', ')}`);
      if (!liveZones.has(comment)) pending.push(`silence ${ids.join(', ')} of a deleted claim (${comment}) is still active`);
    }
    for (const z of liveZones) if (!byComment.has(z)) pending.push(`no active silence for ${z} yet`);
    for (const s of silences) {
      if (liveZones.has(s.comment) && !boundIds.has(s.id)) pending.push(`active silence ${s.id} (${s.comment}) is bound to no Silence`);
    }
  }

  return {
    violations,
    pending,
    counts: {
      liveClaims: ledger.live().length,
      readyClaims: ready,
      xrs: xrs.length,
      composed: composed.length,
      externalZones: extZones.length,
      activeSilences: silences.length,
    },
  };
}
