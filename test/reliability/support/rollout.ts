// Workload plumbing shared by the fault campaign and the soak: install the APIs of a run, and
// create, update and delete claims through the campaign's own client (retried across outages,
// idempotent), keeping the ledger of intent up to date.
import type { KubeClient } from '@trellis/kube';
import { isAlreadyExists, isNotFound } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { type ClaimIntent, Ledger } from './check.ts';
import { retrying } from './retry.ts';
import { appApi, appClaim, providerConfigs, type TypeRef, type Workload, zoneApi, zoneClaim } from './workload.ts';

/** Rng is a small seeded generator (mulberry32), so a failing campaign can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pool runs `fn` over `items` with at most `width` in flight. */
export async function pool<T>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(width, items.length)) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i] as T, i);
      }
    }),
  );
}

async function servedType(client: KubeClient, type: TypeRef, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      client.invalidateDiscovery();
      await client.list(type, { limit: 1 });
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(`${type.kind}.${type.apiVersion} is not served after ${timeoutMs / 1000}s`, { cause: err });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function createOrKeep(client: KubeClient, obj: KubeObject): Promise<void> {
  await retrying(
    `create ${obj.kind} ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`,
    async () => {
      try {
        await client.create(obj);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    },
    180_000,
    ['KUBE_NOT_FOUND', 'KUBE_NO_KIND_MATCH'],
  );
}

/** InstallApis creates the namespaces, XRDs, Compositions (and ProviderConfigs) of a run and waits until the claims are served. */
export async function installApis(
  client: KubeClient,
  w: Workload,
  provider?: { pdns: { url: string; apiKey: string }; am: { url: string } },
): Promise<void> {
  for (const ns of w.namespaces) await createOrKeep(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  for (const o of appApi(w)) await createOrKeep(client, o);
  if (provider !== undefined) {
    for (const o of providerConfigs(w, provider.pdns, provider.am)) await createOrKeep(client, o);
    for (const o of zoneApi(w)) await createOrKeep(client, o);
  }
  await servedType(client, w.app.claim);
  if (provider !== undefined) await servedType(client, w.zone.claim);
}

/** Writer makes the campaign's changes and records them in the ledger. */
export class Writer {
  readonly ledger = new Ledger();
  creates = 0;
  updates = 0;
  deletes = 0;
  private readonly client: KubeClient;
  private readonly w: Workload;
  constructor(client: KubeClient, w: Workload) {
    this.client = client;
    this.w = w;
  }

  async createApp(namespace: string, name: string): Promise<void> {
    const intent: ClaimIntent = { kind: 'app', namespace, name, gen: 1, deleted: false };
    this.ledger.add(intent);
    await createOrKeep(this.client, appClaim(this.w, namespace, name, 1));
    this.creates++;
  }

  async createZone(namespace: string, name: string): Promise<void> {
    this.ledger.add({ kind: 'zone', namespace, name, gen: 1, deleted: false });
    await createOrKeep(this.client, zoneClaim(this.w, namespace, name));
    this.creates++;
  }

  /** Bump sets a new `spec.gen` on an app claim (a merge patch of an absolute value: safe to repeat). */
  async bump(c: ClaimIntent): Promise<void> {
    c.gen++;
    const gen = c.gen;
    await retrying(
      `update claim ${c.namespace}/${c.name}`,
      () =>
        this.client.patch(
          { ...this.w.app.claim, namespace: c.namespace, name: c.name },
          { type: 'merge', patch: { spec: { gen: String(gen) } } },
        ),
      180_000,
      ['KUBE_NOT_FOUND', 'KUBE_NO_KIND_MATCH'],
    );
    this.updates++;
  }

  async remove(c: ClaimIntent): Promise<void> {
    c.deleted = true;
    await this.deleteClaim(c);
    this.deletes++;
  }

  /** DeleteClaim (re)issues the delete of a claim; NotFound is done. */
  async deleteClaim(c: ClaimIntent): Promise<void> {
    const type = c.kind === 'app' ? this.w.app.claim : this.w.zone.claim;
    await retrying(`delete claim ${c.namespace}/${c.name}`, async () => {
      try {
        await this.client.delete({ ...type, namespace: c.namespace, name: c.name });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    });
  }

  /**
   * Redelete re-issues deletes of claims the ledger says are deleted but that still exist without
   * a deletionTimestamp: a delete answered 404 by an API server that was not serving the CRD yet.
   */
  async redelete(claims: Map<string, KubeObject>): Promise<number> {
    let n = 0;
    for (const c of this.ledger.deleted()) {
      const o = claims.get(Ledger.key(c.kind, c.namespace, c.name));
      if (o !== undefined && o.metadata.deletionTimestamp === undefined) {
        await this.deleteClaim(c);
        n++;
      }
    }
    return n;
  }
}
