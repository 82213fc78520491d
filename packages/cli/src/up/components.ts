import { apiextensionsCrds, registryFunctions, startEngine } from '@trellis/engine';
import { FunctionRegistry } from '@trellis/functions';
import type { KubeClient } from '@trellis/kube';
import { newInformerFactory, newKubeClient } from '@trellis/kube';
import { startEmbeddedProviderHost } from '@trellis/runtime';
import { type KubeObject, type Logger, wrap } from '@trellis/sdk';

/**
 * The parts `trellis up` runs next to the embedded API server, each talking to it through the
 * kubeconfig as it would to a cluster: the composition engine (with the apiextensions CRDs it
 * serves and every built-in function in-process) and the provider host (each active
 * ProviderRevision as a child process). The package manager is `xpkg-up.ts`'s.
 * (Typed structurally, like the package manager's, so they do not depend on up.ts.)
 */
interface StartContext {
  kubeconfigPath: string;
  dataDir: string;
  log: Logger;
  signal: AbortSignal;
}

type Closable = KubeClient & { close?: () => void };

/** WaitEstablished polls until every CRD is Established (bounded; the API server does this quickly). */
export async function waitEstablished(
  client: KubeClient,
  names: readonly string[],
  signal: AbortSignal,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await client.getIfExists({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name }, { signal });
      const conds = (crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
      if (conds.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} was not established within ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  client.invalidateDiscovery();
}

/** InstallCrds applies CRDs with server-side apply and waits until they are served. */
export async function installCrds(client: KubeClient, crds: readonly KubeObject[], manager: string, signal: AbortSignal): Promise<void> {
  for (const c of crds) {
    try {
      await client.apply({ ...c, metadata: { name: c.metadata.name ?? '' } }, { fieldManager: manager, force: true, signal });
    } catch (err) {
      throw wrap(err, `cannot install CRD "${c.metadata.name ?? ''}"`);
    }
  }
  await waitEstablished(
    client,
    crds.map((c) => c.metadata.name ?? ''),
    signal,
  );
}

/** EngineComponent installs the apiextensions.crossplane.io CRDs and runs the composition engine. */
export const engineComponent = {
  name: 'engine',
  async start(ctx: StartContext): Promise<{ stop(): Promise<void> }> {
    const client: Closable = await newKubeClient({ kubeconfigPath: ctx.kubeconfigPath, log: ctx.log, userAgent: 'trellis-engine' });
    await installCrds(client, apiextensionsCrds(), 'trellis-up', ctx.signal);
    const informers = newInformerFactory(client, { log: ctx.log.with({ component: 'informers' }) });
    const registry = new FunctionRegistry();
    const engine = await startEngine({ client, informers, functions: registryFunctions(registry), log: ctx.log });
    return {
      stop: async () => {
        await engine.stop();
        informers.stopAll();
        registry.close();
        client.close?.();
      },
    };
  },
};

/** ProviderHostComponent runs the active provider revisions as child processes. */
export const providerHostComponent = {
  name: 'provider-host',
  async start(ctx: StartContext): Promise<{ stop(): Promise<void> }> {
    // The package manager installs the pkg.crossplane.io CRDs as it starts; the host watches ProviderRevisions.
    const client: Closable = await newKubeClient({ kubeconfigPath: ctx.kubeconfigPath, log: ctx.log, userAgent: 'trellis-up' });
    try {
      await waitEstablished(client, ['providerrevisions.pkg.crossplane.io'], ctx.signal);
    } finally {
      client.close?.();
    }
    const host = await startEmbeddedProviderHost({ kubeconfigPath: ctx.kubeconfigPath, log: ctx.log, signal: ctx.signal });
    return { stop: () => host.stop() };
  },
};
