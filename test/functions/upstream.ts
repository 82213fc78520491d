/**
 * Start an upstream function binary (built from the Go module proxy by
 * test/infra/crossplane/build.sh) with `--insecure --address=127.0.0.1:<free port>` and return a
 * RemoteFunction client for it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { RemoteFunction } from '@trellis/functions';
import { requireBinary } from './oracle.ts';

export interface UpstreamFunction {
  client: RemoteFunction;
  address: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

/** StartUpstream starts the named upstream function and waits (with a deadline) until it listens. */
export async function startUpstream(bin: string, deadlineMs = 30_000): Promise<UpstreamFunction> {
  const path = requireBinary(bin);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(path, ['--insecure', `--address=${address}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const until = Date.now() + deadlineMs;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`${bin} exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`${bin} did not listen on ${address} within ${deadlineMs} ms: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const client = new RemoteFunction({ target: address, name: bin, timeoutMs: 30_000 });
  return {
    client,
    address,
    stop: async () => {
      client.close();
      child.kill('SIGTERM');
      await exited;
    },
  };
}
