import type { KubeClient } from '@trellis/kube';
import { newKubeClient } from '@trellis/kube';
import { wrap } from '@trellis/sdk';
import type { CommandContext } from '../context.ts';

/** ConnectionFlags are the flags every command that talks to a control plane takes. */
export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
}

/**
 * ClientFor connects to the control plane the flags name (`--kubeconfig`, `--context`), else the
 * kubeconfig's default rules (`$KUBECONFIG`, `~/.kube/config`). After `trellis up`, point
 * KUBECONFIG at the kubeconfig it prints.
 */
export async function clientFor(ctx: CommandContext, flags: ConnectionFlags, userAgent: string): Promise<KubeClient & { close(): void }> {
  try {
    return await newKubeClient({
      ...(flags.kubeconfig === undefined ? {} : { kubeconfigPath: flags.kubeconfig }),
      ...(flags.context === undefined ? {} : { context: flags.context }),
      log: ctx.log,
      userAgent,
    });
  } catch (err) {
    throw wrap(err, `cannot load kubeconfig${flags.kubeconfig === undefined ? '' : ` "${flags.kubeconfig}"`}`, 'CLI_USAGE');
  }
}
