import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';
import type { PlanFlags } from '../plan/run.ts';

/** RegisterPlan adds `trellis plan`. */
export function registerPlan(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command(
      'plan [...manifests]',
      'Show what applying manifests would change on a live control plane (claims, XRs, composed resources), changing nothing',
    )
    .option('-o, --output <format>', 'text, json or yaml', { default: 'text' })
    .option('--server-side', 'Plan `kubectl apply --server-side` (default: plain `kubectl apply`, a three-way merge)')
    .option('--field-manager <name>', 'Field manager the manifests would be applied with', { default: 'kubectl' })
    .option('--show-unchanged', 'Also list objects that would not change')
    .option('--show-secrets', 'Print Secret values in diffs')
    .option('--exit-code', 'Exit 3 when the plan has changes (for CI gates)')
    .option('--kubeconfig <file>', 'Kubeconfig (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'Kubeconfig context')
    .example('trellis plan claim.yaml')
    .example('trellis plan examples/database/ --show-unchanged')
    .example('trellis plan composition.yaml        # every XR using it: what would change')
    .example('helm template charts/claims | trellis plan - -o json')
    .action((manifests: string[], flags: PlanFlags) =>
      run(async () => {
        const { runPlan } = await import('../plan/run.ts');
        return runPlan(ctx, manifests, flags);
      }),
    );
}
