import { readFile } from 'node:fs/promises';
import type { KubeClient, ReconcileResult } from '@trellis/kube';
import type { KubeObject, ObjectRef } from '@trellis/sdk';
import {
  asControllerRef,
  controllerOf,
  describeRef,
  formatApiVersion,
  parseApiVersion,
  refOf,
  setConditions,
  type TrellisError,
  wrap,
} from '@trellis/sdk';
import { isKubeAlreadyExists, isKubeConflict, isKubeNotFound, permanentError, RuntimeCode } from './errors.ts';
import { canonicalJson, providerConfigRefOf, statusOf } from './fields.ts';
import { addFinalizer, removeFinalizer, wasDeleted } from './meta.ts';

/** Labels put on ProviderConfigUsages (upstream `xpv2.LabelKeyProviderName` / `LabelKeyProviderKind`). */
export const UsageLabel = {
  ProviderConfig: 'crossplane.io/provider-config',
  ProviderConfigKind: 'crossplane.io/provider-config-kind',
} as const;

/** The finalizer a ProviderConfig carries while it exists (upstream `in-use.crossplane.io`). */
export const providerConfigFinalizer = 'in-use.crossplane.io';

/** ProviderConfigKinds names a provider's ProviderConfig and ProviderConfigUsage kinds. */
export interface ProviderConfigKinds {
  /** Config is the ProviderConfig kind, e.g. `{ apiVersion: 'http.trellis.io/v1alpha1', kind: 'ProviderConfig' }`. */
  config: { apiVersion: string; kind: string };
  /** Usage is the ProviderConfigUsage kind (same group). */
  usage: { apiVersion: string; kind: string };
}

/** ProviderConfigKindsFor returns the conventional kinds of a provider group and version. */
export function providerConfigKindsFor(group: string, version = 'v1alpha1'): ProviderConfigKinds {
  const apiVersion = formatApiVersion(group, version);
  return { config: { apiVersion, kind: 'ProviderConfig' }, usage: { apiVersion, kind: 'ProviderConfigUsage' } };
}

/** DefaultProviderConfigName is used when a managed resource has no `spec.providerConfigRef`. */
export const defaultProviderConfigName = 'default';

/** ProviderConfigNameOf returns the ProviderConfig a managed resource uses. */
export function providerConfigNameOf(mr: KubeObject): string {
  return providerConfigRefOf(mr)?.name ?? defaultProviderConfigName;
}

/**
 * A UsageTracker records that a managed resource uses its ProviderConfig, before the resource
 * connects, so the ProviderConfig cannot be deleted from under it.
 */
export interface UsageTracker {
  track(mr: KubeObject, signal?: AbortSignal): Promise<void>;
}

/**
 * ApiUsageTracker upserts one ProviderConfigUsage per managed resource, named after its UID,
 * labelled with the config name and kind, controller-owned by the resource (so garbage collection
 * removes it), and recording `providerConfigRef` and `resourceRef`. It is only rewritten when the
 * resource points at a different config, and remembers what it wrote: a steady state costs no
 * requests.
 */
export function apiUsageTracker(client: KubeClient, kinds: ProviderConfigKinds): UsageTracker {
  const known = new Map<string, string>();
  return {
    async track(mr, signal) {
      const uid = mr.metadata.uid ?? '';
      const pc = providerConfigNameOf(mr);
      if (known.get(uid) === pc) return;
      const opts = signal === undefined ? {} : { signal };
      const ns = mr.metadata.namespace;
      const ref: ObjectRef = { ...kinds.usage, name: uid, ...(ns === undefined || ns === '' ? {} : { namespace: ns }) };
      const desired: KubeObject = {
        ...kinds.usage,
        metadata: {
          name: uid,
          ...(ref.namespace === undefined ? {} : { namespace: ref.namespace }),
          labels: { [UsageLabel.ProviderConfig]: pc, [UsageLabel.ProviderConfigKind]: kinds.config.kind },
          ownerReferences: [asControllerRef(mr, true)],
        },
        providerConfigRef: { name: pc, kind: kinds.config.kind },
        resourceRef: {
          apiVersion: mr.apiVersion,
          kind: mr.kind,
          name: mr.metadata.name ?? '',
          ...(ns === undefined || ns === '' ? {} : { namespace: ns }),
        },
      };
      try {
        // Create first: a new resource (the common case) costs one request.
        let created = true;
        try {
          await client.create(desired, opts);
        } catch (err) {
          if (!isKubeAlreadyExists(err)) throw err;
          created = false;
        }
        if (!created) {
          const existing = await client.getIfExists(ref, opts);
          if (existing === undefined) await client.create(desired, opts);
          else if ((existing.providerConfigRef as { name?: string } | undefined)?.name !== pc) {
            await client.update({ ...desired, metadata: { ...existing.metadata, ...desired.metadata } }, opts);
          }
        }
        known.set(uid, pc);
      } catch (err) {
        throw wrap(err, `cannot track usage of ${kinds.config.kind} "${pc}"`, RuntimeCode.ProviderConfig);
      }
    },
  };
}

/** NopUsageTracker tracks nothing. */
export const nopUsageTracker: UsageTracker = { track: async () => {} };

/** An ObjectReader reads one object (from a cache or the API server); undefined when it does not exist. */
export interface ObjectReader {
  get(ref: ObjectRef, signal?: AbortSignal): Promise<KubeObject | undefined>;
}

/** ClientReader reads objects straight from the API server. */
export function clientReader(client: KubeClient): ObjectReader {
  return { get: (ref, signal) => client.getIfExists(ref, signal === undefined ? {} : { signal }) };
}

/** GetProviderConfig reads the ProviderConfig a managed resource uses; a missing config is a permanent error. */
export async function getProviderConfig(
  reader: ObjectReader,
  kinds: ProviderConfigKinds,
  mr: KubeObject,
  signal?: AbortSignal,
): Promise<KubeObject> {
  const name = providerConfigNameOf(mr);
  const ref: ObjectRef = { ...kinds.config, name };
  let pc: KubeObject | undefined;
  try {
    pc = await reader.get(ref, signal);
  } catch (err) {
    throw wrap(err, `cannot get ${describeRef(ref)}`, RuntimeCode.ProviderConfig);
  }
  if (pc === undefined) throw permanentError(RuntimeCode.ProviderConfig, `${describeRef(ref)} does not exist`);
  return pc;
}

/** CredentialsSource is `spec.credentials.source` of a ProviderConfig (upstream's CommonCredentialExtractor). */
export const CredentialsSource = {
  None: 'None',
  Secret: 'Secret',
  Environment: 'Environment',
  Filesystem: 'Filesystem',
} as const;
export type CredentialsSource = (typeof CredentialsSource)[keyof typeof CredentialsSource];

/** CredentialsSelector is `spec.credentials` of a ProviderConfig. */
export interface CredentialsSelector {
  source?: string;
  secretRef?: { namespace?: string; name?: string; key?: string };
  env?: { name?: string };
  fs?: { path?: string };
}

/**
 * ExtractCredentials returns the credentials a ProviderConfig points at, following upstream's
 * `CommonCredentialExtractor`: a key of a Secret, an environment variable, a file, or nothing.
 * Every failure names the ProviderConfig and the field, and is permanent (retrying cannot help
 * until the config or Secret changes; the poll interval picks the change up).
 */
export async function extractCredentials(
  reader: ObjectReader,
  pc: KubeObject,
  signal?: AbortSignal,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Uint8Array | undefined> {
  const who = describeRef(refOf(pc));
  const creds = ((pc.spec as { credentials?: CredentialsSelector } | undefined)?.credentials ?? {}) as CredentialsSelector;
  const source = creds.source ?? CredentialsSource.None;
  const bad = (field: string, what: string): TrellisError =>
    permanentError(RuntimeCode.ProviderConfig, `${who}: spec.credentials.${field}: ${what}`, {
      details: { field: `spec.credentials.${field}` },
    });
  switch (source) {
    case CredentialsSource.None:
      return undefined;
    case CredentialsSource.Secret: {
      const s = creds.secretRef;
      if (
        s?.name === undefined ||
        s.name === '' ||
        s.namespace === undefined ||
        s.namespace === '' ||
        s.key === undefined ||
        s.key === ''
      ) {
        throw bad('secretRef', 'expected name, namespace and key');
      }
      const ref: ObjectRef = { apiVersion: 'v1', kind: 'Secret', name: s.name, namespace: s.namespace };
      let secret: KubeObject | undefined;
      try {
        secret = await reader.get(ref, signal);
      } catch (err) {
        throw wrap(err, `${who}: cannot get ${describeRef(ref)}`, RuntimeCode.ProviderConfig);
      }
      if (secret === undefined) throw permanentError(RuntimeCode.ProviderConfig, `${who}: ${describeRef(ref)} does not exist`);
      const v = (secret.data as Record<string, string> | undefined)?.[s.key];
      if (v === undefined) throw bad('secretRef.key', `${describeRef(ref)} has no key "${s.key}"`);
      return new Uint8Array(Buffer.from(v, 'base64'));
    }
    case CredentialsSource.Environment: {
      const name = creds.env?.name;
      if (name === undefined || name === '') throw bad('env.name', 'expected the name of an environment variable');
      const v = env[name];
      if (v === undefined) throw bad('env.name', `environment variable "${name}" is not set`);
      return new Uint8Array(Buffer.from(v));
    }
    case CredentialsSource.Filesystem: {
      const path = creds.fs?.path;
      if (path === undefined || path === '') throw bad('fs.path', 'expected a file path');
      try {
        return new Uint8Array(await readFile(path));
      } catch (err) {
        throw permanentError(RuntimeCode.ProviderConfig, `${who}: spec.credentials.fs.path: cannot read "${path}"`, { cause: err });
      }
    }
    default:
      throw bad('source', `"${source}" is not one of None, Secret, Environment, Filesystem`);
  }
}

/**
 * NewProviderConfigReconciler returns the reconcile function of upstream's ProviderConfig
 * controller: count the usages, delete usages that lost their controller, keep the
 * `in-use.crossplane.io` finalizer, and while usages exist block deletion with
 * `Terminating=True/InUse`. Writes happen only when something changes.
 */
export function newProviderConfigReconciler(
  client: KubeClient,
  kinds: ProviderConfigKinds,
): (name: string, signal?: AbortSignal) => Promise<ReconcileResult> {
  return async (name, signal) => {
    const opts = signal === undefined ? {} : { signal };
    const pc = await client.getIfExists({ ...kinds.config, name }, opts);
    if (pc === undefined) return {};
    const list = await client.listAll(kinds.usage, { ...opts, labelSelector: `${UsageLabel.ProviderConfig}=${name}` });
    let users = 0;
    for (const u of list.items) {
      const kindLabel = u.metadata.labels?.[UsageLabel.ProviderConfigKind];
      if (kindLabel !== undefined && kindLabel !== kinds.config.kind) continue;
      if (controllerOf(u) === undefined) {
        try {
          await client.delete(usageRefOf(u), opts);
        } catch (err) {
          // A usage that is already gone needs no deleting.
          if (!isKubeNotFound(err)) throw wrap(err, `cannot delete ${describeRef(usageRefOf(u))}`);
        }
        continue;
      }
      users++;
    }
    const before = canonicalJson(pc.status ?? {});
    if (wasDeleted(pc)) {
      if (users > 0) {
        const status = statusOf(pc);
        status.users = users;
        status.conditions = setConditions((status.conditions as never) ?? [], [
          { type: 'Terminating', status: 'True', reason: 'InUse', message: 'Blocking deletion while usages still exist' },
        ]);
        if (canonicalJson(pc.status) !== before) await writeStatus(client, pc, opts);
        return {};
      }
      if (removeFinalizer(pc, providerConfigFinalizer)) await writeOrRequeue(client, pc, opts);
      return {};
    }
    if (addFinalizer(pc, providerConfigFinalizer)) {
      const r = await writeOrRequeue(client, pc, opts);
      if (r.requeue === true) return r;
    }
    statusOf(pc).users = users;
    if (canonicalJson(pc.status) !== before) await writeStatus(client, pc, opts);
    return {};
  };
}

async function writeOrRequeue(client: KubeClient, obj: KubeObject, opts: { signal?: AbortSignal }): Promise<ReconcileResult> {
  try {
    const updated = await client.update(obj, opts);
    obj.metadata = updated.metadata;
    return {};
  } catch (err) {
    if (isKubeConflict(err)) return { requeue: true };
    throw wrap(err, `cannot update ${describeRef(refOf(obj))}`);
  }
}

async function writeStatus(client: KubeClient, obj: KubeObject, opts: { signal?: AbortSignal }): Promise<void> {
  try {
    await client.updateStatus(obj, opts);
  } catch (err) {
    if (isKubeConflict(err)) throw err;
    throw wrap(err, `cannot update status of ${describeRef(refOf(obj))}`);
  }
}

/** UsageRefOf is the ObjectRef of a usage object. */
export function usageRefOf(u: KubeObject): ObjectRef {
  const { group, version } = parseApiVersion(u.apiVersion);
  return {
    apiVersion: formatApiVersion(group, version),
    kind: u.kind,
    name: u.metadata.name ?? '',
    ...(u.metadata.namespace === undefined ? {} : { namespace: u.metadata.namespace }),
  };
}
