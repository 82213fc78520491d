// Helpers for integration suites that talk to an API server:
//
//   describe.each(apiServerTargets())('widgets on $name', (target) => {
//     const kube = useKube(target);                 // client + a fresh namespace per file
//     it('creates', async () => { await kube.client.create({ ..., metadata: { name: 'a', namespace: kube.namespace } }); });
//   });
//
// Every file works in its own namespace and gives its CRDs a unique group (`uniqueGroup()`), so
// files run in parallel against the one shared API server.

import type { KubeClient } from '@trellis/kube';
import { isNotFound, newKubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { afterAll, beforeAll, inject } from 'vitest';
import type { ApiServerTarget } from './starters.ts';

export type { ApiServerTarget } from './starters.ts';

/**
 * ApiServerTargets returns the running API servers to run a suite against (`real`, and
 * `embedded` once it exists). When a target could not start because a real part is missing, it
 * throws with the reason, so the suite fails loudly instead of passing with no tests.
 */
export function apiServerTargets(): ApiServerTarget[] {
  const missing = inject('apiServersMissing') ?? [];
  if (missing.length > 0) {
    throw new Error(`API server targets missing: ${missing.map((m) => `"${m.name}": ${m.reason}`).join('; ')}`);
  }
  const targets = inject('apiServers') ?? [];
  if (targets.length === 0) throw new Error('no API server target was provided (is test/harness/global-setup.ts configured?)');
  return targets;
}

/** RealTarget returns the shared real kube-apiserver target (fails loudly when it is missing). */
export function realTarget(): ApiServerTarget {
  const t = apiServerTargets().find((x) => x.name === 'real');
  if (t === undefined) throw new Error('the "real" API server target is not available');
  return t;
}

export type TestClient = KubeClient & { close(): void };

/** ClientFor makes a KubeClient for a target. Close it when done (useKube does). */
export async function clientFor(target: ApiServerTarget, opts: { userAgent?: string } = {}): Promise<TestClient> {
  return await newKubeClient({ kubeconfigPath: target.kubeconfigPath, userAgent: opts.userAgent ?? `trellis-test/${target.name}` });
}

/** UniqueName returns `<prefix>-<random>`, a valid DNS label (lowercase, at most 63 characters). */
export function uniqueName(prefix = 't'): string {
  const p = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 50);
  return `${p}-${Math.random().toString(36).slice(2, 10).padEnd(8, '0')}`;
}

/** UniqueGroup returns an API group no other test file uses, e.g. `conf-ab12cd34.trellis.test`. */
export function uniqueGroup(prefix = 'g'): string {
  return `${uniqueName(prefix)}.trellis.test`;
}

/** WaitFor polls `check` until it returns a value other than undefined/false, or fails at the deadline. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      lastErr = undefined;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const why = lastErr instanceof Error ? `: last error: ${lastErr.message}` : '';
      throw new Error(`timed out after ${opts.timeoutMs ?? 30_000}ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** A TestNamespace is a namespace created for a test; `delete()` starts its deletion. */
export interface TestNamespace {
  name: string;
  delete(): Promise<void>;
}

/** CreateTestNamespace creates a uniquely named namespace (inside a test or hook). */
export async function createTestNamespace(client: KubeClient, prefix = 'test'): Promise<TestNamespace> {
  const name = uniqueName(prefix);
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'trellis.test/owner': 'harness' } } });
  return {
    name,
    async delete() {
      try {
        await client.delete({ apiVersion: 'v1', kind: 'Namespace', name }, { propagationPolicy: 'Background' });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}

/**
 * UseTestNamespace registers hooks (call it at describe level) that create a unique namespace
 * before the suite and delete it afterwards; read `.name` inside tests. `client` may be a getter
 * for a client made in an earlier beforeAll.
 */
export function useTestNamespace(client: KubeClient | (() => KubeClient), prefix = 'test'): { readonly name: string } {
  let ns: TestNamespace | undefined;
  const get = typeof client === 'function' ? client : () => client;
  beforeAll(async () => {
    ns = await createTestNamespace(get(), prefix);
  });
  afterAll(async () => {
    await ns?.delete();
  });
  return {
    get name(): string {
      if (ns === undefined) throw new Error('useTestNamespace: the namespace exists only inside tests and later hooks');
      return ns.name;
    },
  };
}

/** A KubeFixture is a client for one target and a namespace of the suite's own. */
export interface KubeFixture {
  readonly target: ApiServerTarget;
  readonly client: TestClient;
  readonly namespace: string;
}

/** UseKube registers hooks (describe level) that make a client and a test namespace for `target`. */
export function useKube(target: ApiServerTarget, prefix = 'test'): KubeFixture {
  let client: TestClient | undefined;
  beforeAll(async () => {
    client = await clientFor(target);
  });
  const ns = useTestNamespace(() => {
    if (client === undefined) throw new Error('useKube: client not ready');
    return client;
  }, prefix);
  afterAll(() => client?.close());
  return {
    target,
    get client(): TestClient {
      if (client === undefined) throw new Error('useKube: the client exists only inside tests and later hooks');
      return client;
    },
    get namespace(): string {
      return ns.name;
    },
  };
}

export interface TestCrdSpec {
  group: string;
  kind: string;
  /** Plural defaults to lowercase kind + "s". */
  plural?: string;
  scope?: 'Namespaced' | 'Cluster';
  /** Versions default to one served, stored `v1`. */
  versions?: string[];
  /** Schema is the openAPIV3Schema of every version; default: spec and status preserve unknown fields. */
  schema?: Record<string, unknown>;
  /** StatusSubresource enables /status (default true). */
  statusSubresource?: boolean;
}

export interface TestCrd {
  name: string;
  group: string;
  kind: string;
  plural: string;
  apiVersion: string;
  crd: KubeObject;
  delete(): Promise<void>;
}

/** DefaultTestSchema keeps spec and status open, as most tests want. */
export const defaultTestSchema: Record<string, unknown> = {
  type: 'object',
  properties: {
    spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

/**
 * InstallTestCrd creates a CRD, waits until it is Established and its resource is served and
 * discoverable, and returns how to address it. Use a unique group per test file.
 */
export async function installTestCrd(client: KubeClient, spec: TestCrdSpec): Promise<TestCrd> {
  const plural = spec.plural ?? `${spec.kind.toLowerCase()}s`;
  const versions = spec.versions ?? ['v1'];
  const name = `${plural}.${spec.group}`;
  const crd: KubeObject = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name },
    spec: {
      group: spec.group,
      scope: spec.scope ?? 'Namespaced',
      names: { kind: spec.kind, plural, singular: spec.kind.toLowerCase(), listKind: `${spec.kind}List` },
      versions: versions.map((v, i) => ({
        name: v,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: spec.schema ?? defaultTestSchema },
        ...(spec.statusSubresource === false ? {} : { subresources: { status: {} } }),
      })),
    },
  };
  const created = await client.create(crd);
  const ref = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name };
  await waitFor(`CRD ${name} to be Established`, async () => {
    const c = await client.get(ref);
    const conds = ((c.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).filter(
      (x) => x.type === 'Established' && x.status === 'True',
    );
    return conds.length > 0;
  });
  const apiVersion = `${spec.group}/${versions[0]}`;
  client.invalidateDiscovery();
  await waitFor(`${spec.kind}.${apiVersion} to be served`, async () => {
    await client.list({ apiVersion, kind: spec.kind }, { limit: 1 });
    return true;
  });
  return {
    name,
    group: spec.group,
    kind: spec.kind,
    plural,
    apiVersion,
    crd: created,
    async delete() {
      try {
        await client.delete(ref);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}
