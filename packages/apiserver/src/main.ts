import type { Logger } from '@trellis/sdk';
import { formatError, jsonLogger } from '@trellis/sdk';
import { type ApiServerOptions, startApiServer } from './server.ts';

/**
 * Main runs the embedded API server as a process (bin/trellis-apiserver.js): flags in, one JSON
 * ready line on stdout, logs as JSON lines on stderr, a clean stop on SIGTERM/SIGINT. `trellis up`
 * is the user-facing way to start it; this entry point is for tests, benchmarks and crash tests.
 */
export async function main(argv: string[]): Promise<number> {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) {
      process.stderr.write(`trellis-apiserver: unexpected argument "${a}"\n`);
      return 2;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags.set(a.slice(2), next);
      i++;
    } else flags.set(a.slice(2), true);
  }
  const str = (k: string): string | undefined => {
    const v = flags.get(k);
    return typeof v === 'string' ? v : undefined;
  };
  const num = (k: string): number | undefined => {
    const v = str(k);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${k} must be a number, got "${v}"`);
    return n;
  };
  const dataDir = str('data-dir');
  if (dataDir === undefined) {
    process.stderr.write('trellis-apiserver: --data-dir is required\n');
    return 2;
  }
  const log: Logger = jsonLogger((l) => process.stderr.write(`${l}\n`), { debug: flags.has('debug') });
  const opts: ApiServerOptions = { dataDir, log, tls: !flags.has('no-tls'), fsync: !flags.has('no-fsync') };
  const port = num('port');
  if (port !== undefined) opts.port = port;
  const host = str('host');
  if (host !== undefined) opts.host = host;
  const bookmark = num('bookmark-interval-ms');
  if (bookmark !== undefined) opts.bookmarkIntervalMs = bookmark;
  const history = num('history-size');
  if (history !== undefined) opts.historySize = history;
  const eventTtl = num('event-ttl-ms');
  if (eventTtl !== undefined) opts.eventTtlMs = eventTtl;
  const snapshot = num('snapshot-bytes');
  if (snapshot !== undefined) opts.snapshotBytes = snapshot;
  let server: Awaited<ReturnType<typeof startApiServer>>;
  try {
    server = await startApiServer(opts);
  } catch (err) {
    process.stderr.write(`trellis-apiserver: ${formatError(err)}\n`);
    return 1;
  }
  process.stdout.write(
    `${JSON.stringify({ ready: true, url: server.url, port: server.port, kubeconfigPath: server.kubeconfigPath, token: server.token, recovery: server.recovery, pid: process.pid })}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await server.stop();
  return 0;
}
