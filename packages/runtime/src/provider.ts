import type { KubeClient } from '@trellis/kube';
import type { EventRecorder, KubeObject, Logger } from '@trellis/sdk';
import { nopLogger, wrap } from '@trellis/sdk';
import type { ControllerMachinery } from './controller.ts';
import { cachedReader, startManagedController, startProviderConfigController } from './controller.ts';
import type { ObjectReader, ProviderConfigKinds } from './providerconfig.ts';
import type { ManagedKind, ManagedReconcilerOptions } from './reconciler.ts';
import type { TargetClients } from './target.ts';
import { newTargetClients } from './target.ts';

/** A ProviderContext is what a provider's kinds are built with. */
export interface ProviderContext {
  /** Client talks to the control plane the provider serves. */
  client: KubeClient;
  /** Reader reads ProviderConfigs and Secrets from caches. */
  reader: ObjectReader;
  /** Targets makes clients for other clusters (provider-kubernetes). */
  targets: TargetClients;
  log: Logger;
}

/**
 * A ProviderDefinition is a provider as the runtime runs it: its CRDs, its ProviderConfig kinds
 * and its managed kinds. Each provider package exports one (`definition`).
 */
export interface ProviderDefinition {
  /** Name is the provider's name, e.g. `provider-http`. */
  name: string;
  crds(): KubeObject[];
  providerConfig: ProviderConfigKinds;
  kinds(ctx: ProviderContext): ManagedKind[];
  /** Close releases what the kinds hold (connection pools). */
  close?(): Promise<void>;
}

/** RunProviderOptions configure one provider instance. */
export interface RunProviderOptions {
  client: KubeClient;
  machinery: ControllerMachinery;
  log?: Logger;
  events?: EventRecorder;
  /** Workers per managed kind (default 16). */
  workers?: number;
  reconciler?: Partial<ManagedReconcilerOptions>;
  /** InstallCrds applies the provider's CRDs first (a standalone run; the package manager does this otherwise). */
  installCrds?: boolean;
  signal: AbortSignal;
}

/** InstallCrds applies CRDs with server-side apply and waits until each is Established. */
export async function installCrds(client: KubeClient, crds: readonly KubeObject[], signal?: AbortSignal): Promise<void> {
  for (const crd of crds) {
    try {
      await client.apply(crd, { fieldManager: 'trellis-provider', force: true, ...(signal === undefined ? {} : { signal }) });
    } catch (err) {
      throw wrap(err, `cannot install CustomResourceDefinition "${crd.metadata.name ?? ''}"`);
    }
  }
  const deadline = Date.now() + 60_000;
  for (const crd of crds) {
    for (;;) {
      const cur = await client.get(
        { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd.metadata.name ?? '' },
        signal === undefined ? {} : { signal },
      );
      const conds = ((cur.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []) as {
        type: string;
        status: string;
      }[];
      if (conds.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline)
        throw wrap(new Error('not Established after 60 s'), `cannot install CustomResourceDefinition "${crd.metadata.name ?? ''}"`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.invalidateDiscovery();
}

/**
 * RunProvider starts a provider: the ProviderConfig controller and one managed controller per
 * kind, sharing informers (ProviderConfigs and Secrets are read from caches). It resolves once
 * every informer has synced; `done` settles when `signal` aborts and the workers have stopped.
 */
export async function runProvider(def: ProviderDefinition, o: RunProviderOptions): Promise<{ done: Promise<void> }> {
  const log = (o.log ?? nopLogger).with({ provider: def.name });
  if (o.installCrds === true) await installCrds(o.client, def.crds(), o.signal);
  const configs = o.machinery.informers.informerFor(def.providerConfig.config);
  const secrets = o.machinery.informers.informerFor({ apiVersion: 'v1', kind: 'Secret' }, { dropManagedFields: true });
  await Promise.all([configs.start(), secrets.start()]);
  const reader = cachedReader(o.client, {
    [`${def.providerConfig.config.apiVersion}/${def.providerConfig.config.kind}`]: configs,
    'v1/Secret': secrets,
  });
  const targets = newTargetClients({ log });
  const kinds = def.kinds({ client: o.client, reader, targets, log });
  const started = await Promise.all([
    startProviderConfigController({ client: o.client, machinery: o.machinery, kinds: def.providerConfig, log, signal: o.signal }),
    ...kinds.map((kind) =>
      startManagedController({
        client: o.client,
        machinery: o.machinery,
        kind,
        providerConfig: def.providerConfig,
        log,
        signal: o.signal,
        ...(o.workers === undefined ? {} : { workers: o.workers }),
        ...(o.events === undefined ? {} : { events: o.events }),
        ...(o.reconciler === undefined ? {} : { reconciler: o.reconciler }),
      }),
    ),
  ]);
  const done = Promise.all(started.map((s) => s.done)).then(async () => {
    targets.close();
    await def.close?.();
  });
  return { done };
}
