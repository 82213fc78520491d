import { join } from 'node:path';
import { newKubeClient } from '@trellis/kube';
import type { Logger } from '@trellis/sdk';
import { dockerConfigKeychain, startPackageManager } from '@trellis/xpkg';

/**
 * PackageManagerComponent runs the package manager inside `trellis up`: it installs the
 * pkg.crossplane.io CRDs, then reconciles Providers, Configurations and Functions against the
 * embedded API server, with the user's docker credentials and a content cache in the data dir.
 * (Typed structurally so it does not depend on up.ts: `upComponents` lists it.)
 */
export const packageManagerComponent = {
  name: 'package-manager',
  async start(ctx: { kubeconfigPath: string; dataDir: string; log: Logger }): Promise<{ stop(): Promise<void> }> {
    const client = await newKubeClient({ kubeconfigPath: ctx.kubeconfigPath, log: ctx.log, userAgent: 'trellis-package-manager' });
    const pm = await startPackageManager({
      client,
      log: ctx.log,
      cacheDir: join(ctx.dataDir, 'xpkg-cache'),
      keychain: dockerConfigKeychain(),
    });
    return {
      stop: async () => {
        await pm.stop();
        (client as { close?: () => void }).close?.();
      },
    };
  },
};
