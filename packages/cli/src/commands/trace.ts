import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';
import type { TraceFlags } from '../trace/run.ts';

/** RegisterTrace adds `trellis trace` (upstream: `crossplane beta trace`). */
export function registerTrace(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command(
      'trace <resource> [name]',
      'Show a claim or XR with its composed resources and Secrets, or a package with its revisions and dependencies',
    )
    .option('-n, --namespace <ns>', 'Namespace of a namespaced resource', { default: 'default' })
    .option('-o, --output <format>', 'text, wide, json, yaml or dot (Graphviz)', { default: 'text' })
    .option('-w, --watch', 'Redraw the tree whenever it changes, until interrupted')
    .option('--interval <seconds>', 'How often --watch looks (default 1)')
    .option('-s, --show-connection-secrets', 'Add connection Secrets to the tree (names only)')
    .option('--show-package-dependencies <mode>', 'unique, all or none (default unique)')
    .option('--show-package-revisions <mode>', 'active, all or none (default active)')
    .option('--concurrency <n>', 'Parallel requests while following references (default 8)')
    .option('--kubeconfig <file>', 'Kubeconfig (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'Kubeconfig context')
    .example('trellis trace postgresdatabase/orders -n default')
    .example('trellis trace xpostgresdatabases.db.example.org orders-x7k2p -o wide')
    .example('trellis trace configuration/platform --show-package-revisions all')
    .example('trellis trace app/hello -o dot | dot -Tsvg > hello.svg')
    .action((resource: string, name: string | undefined, flags: TraceFlags) =>
      run(async () => {
        const { runTrace } = await import('../trace/run.ts');
        return runTrace(ctx, resource, name, flags);
      }),
    );
}
