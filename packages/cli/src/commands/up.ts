import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunningApiServer } from '@trellis/apiserver';
import { startApiServer } from '@trellis/apiserver';
import type { Logger } from '@trellis/sdk';
import { TrellisError } from '@trellis/sdk';
import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';
import { packageManagerComponent } from './xpkg-up.ts';

/** UpContext is what each component `trellis up` starts receives. */
export interface UpContext {
  /** Server is the running embedded API server. */
  server: RunningApiServer;
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

export const upComponents: UpComponent[] = [packageManagerComponent];

export interface UpOptions {
  dataDir?: string;
  port?: number | string;
  host?: string;
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

/** RunUp starts the API server and the components, prints one ready line, and runs until the signal aborts. */
export async function runUp(ctx: CommandContext, opts: UpOptions): Promise<number> {
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  const port = parsePort(opts.port);
  const server = await startApiServer({ dataDir, port, host: opts.host ?? '127.0.0.1', log: ctx.log.with({ component: 'apiserver' }) });
  const running: RunningComponent[] = [];
  try {
    for (const c of upComponents) {
      running.push(
        await c.start({
          server,
          kubeconfigPath: server.kubeconfigPath,
          dataDir,
          log: ctx.log.with({ component: c.name }),
          signal: ctx.signal,
        }),
      );
    }
    ctx.io.out(`trellis is up: KUBECONFIG=${server.kubeconfigPath} (${server.url})\n`);
    if (!ctx.signal.aborted) await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
    ctx.log.info('stopping');
  } finally {
    for (const c of running.reverse()) await c.stop().catch((err: unknown) => ctx.log.info('component failed to stop', { error: err }));
    await server.stop();
  }
  return 0;
}

/** RegisterUp adds `trellis up`. */
export function registerUp(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command('up', 'Start the embedded control plane (API server, and the engine, package manager and providers as they land)')
    .option('--data-dir <dir>', 'Where state, PKI, token and kubeconfig live (default: $TRELLIS_DATA_DIR or ~/.trellis/data)')
    .option('--port <port>', 'HTTPS port of the API server (0 picks a free one)', { default: 6443 })
    .option('--host <host>', 'Address to listen on', { default: '127.0.0.1' })
    .example('trellis up --data-dir ./state --port 0')
    .action((opts: { dataDir?: string; port?: number | string; host?: string }) => run(() => runUp(ctx, opts)));
}
