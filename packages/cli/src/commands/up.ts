import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunningApiServer } from '@trellis/apiserver';
import { startApiServer } from '@trellis/apiserver';
import type { Logger } from '@trellis/sdk';
import { TrellisError } from '@trellis/sdk';
import type { CAC } from 'cac';
import { type CommandContext, ExitCode } from '../context.ts';
import { progressFor } from '../ui/progress.ts';
import { engineComponent, providerHostComponent } from '../up/components.ts';
import { runElected } from './up-leader.ts';
import { trellisVersion } from './version.ts';
import { packageManagerComponent } from './xpkg-up.ts';

/** UpContext is what each component `trellis up` starts receives. */
export interface UpContext {
  /** Server is the running embedded API server; undefined with `--kubeconfig` (an existing API server). */
  server?: RunningApiServer;
  /** KubeconfigPath points at the server (an admin bearer token over HTTPS). */
  kubeconfigPath: string;
  dataDir: string;
  log: Logger;
  /** Signal aborts when `trellis up` is asked to stop. */
  signal: AbortSignal;
}

/** A RunningComponent is stopped, in reverse start order, when `trellis up` stops. */
export interface RunningComponent {
  stop(): Promise<void>;
}

/**
 * An UpComponent is one part `trellis up` runs next to the embedded API server: the composition
 * engine, the package manager, the provider hosts. THE HOOK: add yours to `upComponents` below
 * (one line, in start order); it talks to the API server through `ctx.kubeconfigPath`, like it
 * would in a cluster.
 */
export interface UpComponent {
  name: string;
  start(ctx: UpContext): Promise<RunningComponent>;
}

export const upComponents: UpComponent[] = [engineComponent, packageManagerComponent, providerHostComponent];

/** What the progress display says while a component starts. */
const componentLabels: Record<string, string> = {
  engine: 'the composition engine',
  'package-manager': 'the package manager',
  'provider-host': 'the provider host',
};

export interface UpOptions {
  dataDir?: string;
  port?: number | string;
  host?: string;
  /** WithExamples installs the demo platform (providers, example XRDs and Compositions). */
  withExamples?: boolean;
  /**
   * Kubeconfig runs the controllers (engine, package manager, provider host) against an existing
   * API server instead of starting the embedded one: "in a cluster" mode, and how the reliability
   * campaign runs them as a process of their own.
   */
  kubeconfig?: string;
  /**
   * LeaderElection (with `kubeconfig`) runs the controllers only while this process holds the
   * Lease kube-system/trellis-controllers, so several processes can run against one API server:
   * one leads, the others stand by and take over when it dies. Off by default, as upstream's
   * `--leader-election`.
   */
  leaderElection?: boolean;
}

/** DefaultDataDir is `$TRELLIS_DATA_DIR`, else `~/.trellis/data`. */
export function defaultDataDir(): string {
  return process.env.TRELLIS_DATA_DIR ?? join(homedir(), '.trellis', 'data');
}

function parsePort(p: number | string | undefined): number {
  if (p === undefined) return 6443;
  const n = typeof p === 'number' ? p : Number(p);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new TrellisError('CLI_USAGE', `--port must be an integer between 0 and 65535, got ${JSON.stringify(String(p))}`);
  return n;
}

/**
 * RunUp starts the API server and the components (a spinner per step on a terminal, plain lines
 * otherwise), optionally installs the demo platform, prints one ready line on stdout, and runs
 * until the signal aborts (Ctrl-C, SIGTERM); then it stops everything in reverse order and exits 0.
 * Interrupted while starting, it stops what started and exits 130.
 */
export async function runUp(ctx: CommandContext, opts: UpOptions): Promise<number> {
  if (opts.leaderElection === true && opts.kubeconfig === undefined)
    throw new TrellisError('CLI_USAGE', '--leader-election needs --kubeconfig (the embedded API server runs in one process)');
  const startedAt = new Date();
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  const port = parsePort(opts.port);
  const progress = progressFor(ctx.io);
  const onAbort = (): void => progress.stop();
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  const server =
    opts.kubeconfig === undefined
      ? await progress.run('starting the API server', () =>
          startApiServer({ dataDir, port, host: opts.host ?? '127.0.0.1', log: ctx.log.with({ component: 'apiserver' }) }),
        )
      : undefined;
  const target =
    server === undefined
      ? { kubeconfigPath: resolve(opts.kubeconfig ?? ''), url: 'an existing API server' }
      : { kubeconfigPath: server.kubeconfigPath, url: server.url };
  const running: RunningComponent[] = [];
  let ready = false;
  /** StartComponents starts every component in order, pushing each to `into` as it starts. */
  const startComponents = async (signal: AbortSignal, into: RunningComponent[]): Promise<void> => {
    for (const c of upComponents) {
      if (signal.aborted) break;
      into.push(
        await progress.run(`starting ${componentLabels[c.name] ?? c.name}`, () =>
          c.start({
            ...(server === undefined ? {} : { server }),
            kubeconfigPath: target.kubeconfigPath,
            dataDir,
            log: ctx.log.with({ component: c.name }),
            signal,
          }),
        ),
      );
    }
  };
  if (opts.kubeconfig !== undefined && opts.leaderElection === true) {
    ctx.io.out(`trellis is up: KUBECONFIG=${target.kubeconfigPath} (${target.url}, leader election)\n`);
    await runElected({
      kubeconfigPath: target.kubeconfigPath,
      log: ctx.log.with({ component: 'leader-election' }),
      signal: ctx.signal,
      say: (line) => ctx.io.err(`${line}\n`),
      lead: startComponents,
    });
    ctx.signal.removeEventListener('abort', onAbort);
    return 0;
  }
  try {
    await startComponents(ctx.signal, running);
    if (opts.withExamples === true && !ctx.signal.aborted) {
      const { installExamples } = await import('../up/examples.ts');
      const { newKubeClient } = await import('@trellis/kube');
      const client = await newKubeClient({ kubeconfigPath: target.kubeconfigPath, log: ctx.log, userAgent: 'trellis-up' });
      try {
        // Only the embedded API server surely shares our clock (see ExamplesOptions.startedAt).
        await installExamples({
          client,
          dataDir,
          version: trellisVersion(),
          progress,
          signal: ctx.signal,
          ...(server === undefined ? {} : { startedAt }),
        });
      } finally {
        client.close();
      }
    }
    if (!ctx.signal.aborted) {
      ready = true;
      ctx.io.out(`trellis is up: KUBECONFIG=${target.kubeconfigPath} (${target.url})\n`);
      ctx.io.err(nextSteps(target.kubeconfigPath, opts.withExamples === true));
      await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
    }
    ctx.log.info('stopping');
  } catch (err) {
    // A step cut short by Ctrl-C fails with whatever it was doing; that is an interruption.
    if (!ctx.signal.aborted) throw err;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    const stopping = progressFor(ctx.io);
    await stopping.run('stopping', async () => {
      for (const c of running.reverse()) await c.stop().catch((err: unknown) => ctx.log.info('component failed to stop', { error: err }));
      await server?.stop();
    });
  }
  return ready ? 0 : ExitCode.Interrupted;
}

function nextSteps(kubeconfig: string, examples: boolean): string {
  const lines = ['', 'Next:', `  export KUBECONFIG=${kubeconfig}`];
  if (examples) {
    lines.push('  kubectl apply -f examples/multi-cluster-app/claim.yaml', '  trellis trace app/hello');
  } else lines.push('  kubectl get crds', '  (restart with --with-examples to install the demo platform)');
  lines.push('Press Ctrl-C to stop.', '');
  return `${lines.join('\n')}\n`;
}

/** RegisterUp adds `trellis up`. */
export function registerUp(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command('up', 'Start the embedded control plane: API server, composition engine, package manager and provider host')
    .option('--data-dir <dir>', 'Where state, PKI, token and kubeconfig live (default: $TRELLIS_DATA_DIR or ~/.trellis/data)')
    .option('--port <port>', 'HTTPS port of the API server (0 picks a free one)', { default: 6443 })
    .option('--host <host>', 'Address to listen on', { default: '127.0.0.1' })
    .option('--with-examples', 'Install the demo platform: providers, the example APIs and demo ProviderConfigs')
    .option('--kubeconfig <path>', 'Run only the controllers (engine, package manager, provider host) against an existing API server')
    .option('--leader-election', 'With --kubeconfig: run the controllers only while holding the Lease kube-system/trellis-controllers')
    .example('trellis up --with-examples')
    .example('trellis up --data-dir ./state --port 0')
    .example('trellis up --kubeconfig ~/.kube/config')
    .example('trellis up --kubeconfig ~/.kube/config --leader-election')
    .action((opts: UpOptions) => run(() => runUp(ctx, opts)));
}
