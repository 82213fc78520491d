// Start the external APIs the provider suites run against, each in its own temp directory on free
// ports of 127.0.0.1, through the scripts next to this file (installed by prepare.sh):
//
//   const pdns = await startPowerDns();            // { url, apiKey, stop() }
//   const am = await startAlertmanager();          // { url, stop() }
//   const pg = await startPostgres();              // { host, port, user, stop() }
//
// A missing Debian package is a loud failure that says how to install it; nothing is skipped.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = import.meta.dirname;

/** FreePort asks the kernel for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function script(name: string, args: string[]): Promise<void> {
  try {
    await run('bash', [join(here, name), ...args], { timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; code?: number };
    throw new Error(`${name} ${args[0]} failed (exit ${e.code ?? '?'}): ${(e.stderr ?? String(err)).trim()}`);
  }
}

export interface Service {
  dir: string;
  stop(): Promise<void>;
}

export interface PowerDns extends Service {
  /** Url is the API base, e.g. `http://127.0.0.1:18081`. */
  url: string;
  apiKey: string;
}

/** StartPowerDns starts a fresh PowerDNS Authoritative with an empty sqlite backend. */
export async function startPowerDns(opts: { apiKey?: string } = {}): Promise<PowerDns> {
  const dir = await mkdtemp(join(tmpdir(), 'trellis-pdns-'));
  const [dns, api] = [await freePort(), await freePort()];
  const apiKey = opts.apiKey ?? 'test-api-key';
  await script('pdns.sh', ['start', dir, String(dns), String(api), apiKey]);
  return {
    dir,
    url: `http://127.0.0.1:${api}`,
    apiKey,
    stop: async () => {
      await script('pdns.sh', ['stop', dir]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Alertmanager extends Service {
  url: string;
}

/** StartAlertmanager starts a fresh Alertmanager with no silences. */
export async function startAlertmanager(): Promise<Alertmanager> {
  const dir = await mkdtemp(join(tmpdir(), 'trellis-am-'));
  const port = await freePort();
  await script('alertmanager.sh', ['start', dir, String(port)]);
  return {
    dir,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await script('alertmanager.sh', ['stop', dir]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Postgres extends Service {
  host: string;
  port: number;
  /** User is the trust-authenticated superuser, `postgres`. */
  user: string;
}

/** StartPostgres initialises and starts a fresh PostgreSQL 15 cluster. */
export async function startPostgres(): Promise<Postgres> {
  // Directly under the temp dir: the server runs as "postgres" and must be able to reach it.
  const dir = await mkdtemp(join(tmpdir(), 'trellis-pg-'));
  const port = await freePort();
  await script('pg.sh', ['start', dir, String(port)]);
  return {
    dir,
    host: '127.0.0.1',
    port,
    user: 'postgres',
    stop: async () => {
      await script('pg.sh', ['stop', dir]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
