import { createHash } from 'node:crypto';
import type { KubeClient } from '@trellis/kube';
import { newKubeClient } from '@trellis/kube';
import type { Logger } from '@trellis/sdk';
import { nopLogger, TrellisError } from '@trellis/sdk';
import { RuntimeCode } from './errors.ts';

/**
 * A TargetClients cache holds one KubeClient per kubeconfig, for providers that manage objects in
 * other clusters (provider-kubernetes). Providers may not import @trellis/kube: this is their way
 * in. A changed kubeconfig (rotated token) gets a new client; unused clients are closed.
 */
export interface TargetClients {
  /** ForKubeconfig returns a client for a kubeconfig's text; a malformed kubeconfig is a permanent error. */
  forKubeconfig(kubeconfig: string, userAgent?: string): Promise<KubeClient>;
  close(): void;
}

export function newTargetClients(opts: { log?: Logger; max?: number } = {}): TargetClients {
  const max = opts.max ?? 64;
  const clients = new Map<string, Promise<KubeClient & { close(): void }>>();
  return {
    async forKubeconfig(kubeconfig, userAgent = 'trellis-provider') {
      const key = createHash('sha256').update(kubeconfig).digest('hex');
      let c = clients.get(key);
      if (c === undefined) {
        c = newKubeClient({ kubeConfig: kubeconfig, userAgent, log: opts.log ?? nopLogger }).catch((err: unknown) => {
          clients.delete(key);
          throw new TrellisError(RuntimeCode.ProviderConfig, 'cannot load the kubeconfig of the target cluster', {
            cause: err,
            details: { retry: 'never' },
          });
        });
        clients.set(key, c);
        if (clients.size > max) {
          const oldest = clients.keys().next().value;
          if (oldest !== undefined && oldest !== key) {
            const old = clients.get(oldest);
            clients.delete(oldest);
            // Closing an evicted client only releases its sockets; a failed one has nothing to release.
            old?.then((x) => x.close()).catch(() => undefined);
          }
        }
      }
      return c;
    },
    close() {
      // A client that failed to load has nothing to close.
      for (const c of clients.values()) c.then((x) => x.close()).catch(() => undefined);
      clients.clear();
    },
  };
}
