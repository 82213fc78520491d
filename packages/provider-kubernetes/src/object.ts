import type { KubeClient, ObjectReader, TargetClients } from '@trellis/runtime';
import {
  extractCredentials,
  getExternalName,
  getProviderConfig,
  isKubeNotFound,
  markConditions,
  permanentError,
  providerConfigKindsFor,
  setExternalName,
  statusOf,
} from '@trellis/runtime';
import type { Condition, ExternalClient, ExternalConnector, ExternalObservation, KubeObject, ObjectRef } from '@trellis/sdk';
import { available, describeRef, refOf, unavailable, wrap } from '@trellis/sdk';

/** The API group of provider-kubernetes's Object and ProviderConfig. */
export const kubernetesGroup = 'kubernetes.trellis.io';
export const objectApiVersion = `${kubernetesGroup}/v1alpha1`;
export const kubernetesConfigKinds = providerConfigKindsFor(kubernetesGroup);

/** The codes of @trellis/provider-kubernetes. */
export const KubernetesCode = {
  InvalidManifest: 'KUBERNETES_INVALID_MANIFEST',
  InvalidConfig: 'KUBERNETES_INVALID_CONFIG',
} as const;

/** ReadinessPolicy of an Object (upstream provider-kubernetes' `spec.readiness.policy`). */
export const ReadinessPolicy = {
  /** SuccessfulCreate: Ready as soon as the object exists. */
  SuccessfulCreate: 'SuccessfulCreate',
  /** DeriveFromObject: Ready when the object's own `Ready` condition is True. */
  DeriveFromObject: 'DeriveFromObject',
  /** AllTrue: Ready when the object has conditions and all of them are True. */
  AllTrue: 'AllTrue',
} as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Contains reports whether `live` contains every field `desired` sets (recursively; arrays
 * element-wise). Fields the API server defaults or other managers add are not drift.
 */
export function containsManifest(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(live) && live.length === desired.length && desired.every((d, i) => containsManifest(d, live[i]));
  }
  if (isObject(desired)) {
    return isObject(live) && Object.entries(desired).every(([k, v]) => v === null || containsManifest(v, live[k]));
  }
  return desired === live;
}

/** ManifestOf validates `spec.forProvider.manifest`: apiVersion, kind and metadata.name are required. */
export function manifestOf(mr: KubeObject): KubeObject & { metadata: { name: string } } {
  const m = (mr.spec as { forProvider?: { manifest?: unknown } } | undefined)?.forProvider?.manifest;
  const who = describeRef(refOf(mr));
  if (
    !isObject(m) ||
    typeof m.apiVersion !== 'string' ||
    typeof m.kind !== 'string' ||
    !isObject(m.metadata) ||
    typeof m.metadata.name !== 'string' ||
    m.metadata.name === ''
  ) {
    throw permanentError(KubernetesCode.InvalidManifest, `${who}: spec.forProvider.manifest needs apiVersion, kind and metadata.name`, {
      details: { field: 'spec.forProvider.manifest' },
    });
  }
  return m as KubeObject & { metadata: { name: string } };
}

function targetRef(m: KubeObject): ObjectRef {
  return {
    apiVersion: m.apiVersion,
    kind: m.kind,
    name: m.metadata.name ?? '',
    ...(typeof m.metadata.namespace === 'string' && m.metadata.namespace !== '' ? { namespace: m.metadata.namespace } : {}),
  };
}

/** ExternalNameOf is how an Object names its target: `namespace/name` or `name`. */
export function externalNameOf(m: KubeObject): string {
  const ns = m.metadata.namespace;
  return typeof ns === 'string' && ns !== '' ? `${ns}/${m.metadata.name ?? ''}` : (m.metadata.name ?? '');
}

function readiness(mr: KubeObject, live: KubeObject): Condition {
  const policy = (mr.spec as { readiness?: { policy?: string } } | undefined)?.readiness?.policy ?? ReadinessPolicy.SuccessfulCreate;
  const conds = ((live.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
  if (policy === ReadinessPolicy.DeriveFromObject) {
    const ready = conds.find((c) => c.type === 'Ready');
    return ready?.status === 'True' ? available() : unavailable(`${live.kind} "${live.metadata.name ?? ''}" is not Ready`);
  }
  if (policy === ReadinessPolicy.AllTrue) {
    const notTrue = conds.filter((c) => c.status !== 'True').map((c) => c.type);
    if (conds.length > 0 && notTrue.length === 0) return available();
    return unavailable(
      conds.length === 0
        ? `${live.kind} "${live.metadata.name ?? ''}" has no conditions yet`
        : `conditions not True: ${notTrue.sort().join(', ')}`,
    );
  }
  return available();
}

function stripForStatus(live: KubeObject): KubeObject {
  const { managedFields: _mf, ...metadata } = live.metadata;
  return { ...live, metadata };
}

/**
 * ObjectClient manages one manifest in a target cluster with server-side apply (field manager
 * `trellis-provider-kubernetes/<Object name>`, forced): observe GETs it, drift is any field the
 * manifest sets that differs in the live object, create and update apply it, delete deletes it
 * with the requested propagation policy. The live object lands in `status.atProvider.manifest`.
 */
export function objectClient(target: KubeClient): ExternalClient {
  const fieldManager = (mr: KubeObject): string => `trellis-provider-kubernetes/${mr.metadata.name ?? ''}`;
  return {
    async observe(mr, o): Promise<ExternalObservation> {
      const m = manifestOf(mr);
      let live: KubeObject | undefined;
      try {
        live = await target.getIfExists(targetRef(m), { signal: o.signal });
      } catch (err) {
        throw wrap(err, `cannot get ${describeRef(targetRef(m))} from the target cluster`);
      }
      if (live === undefined) return { resourceExists: false, resourceUpToDate: false };
      if (getExternalName(mr) === undefined) setExternalName(mr, externalNameOf(m));
      statusOf(mr).atProvider = { manifest: stripForStatus(live) };
      markConditions(mr, readiness(mr, live));
      const { metadata: dm, ...desiredRest } = m;
      const desired = { ...desiredRest, metadata: { labels: dm.labels, annotations: dm.annotations } };
      const upToDate = containsManifest(JSON.parse(JSON.stringify(desired)), live);
      return {
        resourceExists: true,
        resourceUpToDate: upToDate,
        ...(upToDate ? {} : { diff: 'the live object differs from the manifest' }),
      };
    },
    async create(mr, o) {
      const m = manifestOf(mr);
      await target.apply(m, { fieldManager: fieldManager(mr), force: true, signal: o.signal });
      setExternalName(mr, externalNameOf(m));
      return {};
    },
    async update(mr, o) {
      await target.apply(manifestOf(mr), { fieldManager: fieldManager(mr), force: true, signal: o.signal });
      return {};
    },
    async delete(mr, o) {
      const m = manifestOf(mr);
      const policy = (mr.spec as { forProvider?: { deletionPropagationPolicy?: string } } | undefined)?.forProvider
        ?.deletionPropagationPolicy;
      try {
        await target.delete(targetRef(m), {
          signal: o.signal,
          ...(policy === 'Orphan' || policy === 'Background' || policy === 'Foreground' ? { propagationPolicy: policy } : {}),
        });
      } catch (err) {
        // Already gone is what we wanted.
        if (!isKubeNotFound(err)) throw err;
      }
    },
    async disconnect() {},
  };
}

/** ObjectConnectorOptions wire the connector to the provider's own cluster and its clients. */
export interface ObjectConnectorOptions {
  reader: ObjectReader;
  /** Local is the control plane's own client, used for `credentials.source: InjectedIdentity`. */
  local: KubeClient;
  targets: TargetClients;
}

/**
 * NewObjectConnector resolves an Object's ProviderConfig into a client of the target cluster:
 * `credentials.source: Secret` names a Secret key holding a kubeconfig (one control plane, many
 * clusters); `InjectedIdentity` uses the control plane itself.
 */
export function newObjectConnector(o: ObjectConnectorOptions): ExternalConnector {
  return {
    async connect(mr, opts) {
      const pc = await getProviderConfig(o.reader, kubernetesConfigKinds, mr, opts.signal);
      const source = (pc.spec as { credentials?: { source?: string } } | undefined)?.credentials?.source;
      if (source === 'InjectedIdentity') return objectClient(o.local);
      const creds = await extractCredentials(o.reader, pc, opts.signal);
      if (creds === undefined) {
        throw permanentError(
          KubernetesCode.InvalidConfig,
          `${describeRef(refOf(pc))}: spec.credentials must name a kubeconfig (source Secret, Filesystem or Environment) or be InjectedIdentity`,
          {
            details: { field: 'spec.credentials' },
          },
        );
      }
      return objectClient(await o.targets.forKubeconfig(new TextDecoder().decode(creds)));
    },
  };
}
