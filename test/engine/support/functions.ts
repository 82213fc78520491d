// Upstream function binaries (built from the Go module proxy by test/infra/crossplane/build.sh) as
// real function servers for the engine's end-to-end suites: insecure (a developer's local function)
// or with mutual TLS (server certificate and client CA from a directory, as a Function package's
// runtime gets them), and the matching client credentials for the engine, made with openssl.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RemoteTls } from '@trellis/functions';
import { afterAll, beforeAll } from 'vitest';
import { requireBinary } from '../../functions/oracle.ts';
import { freePort } from '../../functions/upstream.ts';

export interface FunctionServer {
  /** Address is the gRPC target, `127.0.0.1:<port>`. */
  address: string;
  stop(): Promise<void>;
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

/**
 * StartFunction starts an upstream function binary on a free loopback port, insecure or with the
 * server certificates in `tlsDir` (tls.crt, tls.key, and ca.crt to verify clients), and waits
 * (with a deadline) until it listens. A missing binary fails loudly.
 */
export async function startFunction(bin: string, opts: { tlsDir?: string } = {}): Promise<FunctionServer> {
  const path = requireBinary(bin);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = opts.tlsDir === undefined ? ['--insecure'] : [`--tls-certs-dir=${opts.tlsDir}`];
  const child: ChildProcess = spawn(path, [...args, `--address=${address}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const until = Date.now() + 30_000;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null) throw new Error(`${bin} exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`${bin} did not listen on ${address} within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    address,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** Pki is a throwaway CA with a server directory (for the function) and client credentials (for the engine). */
export interface Pki {
  serverDir: string;
  client: RemoteTls;
  remove(): void;
}

/** MakePki creates a CA, a server certificate for 127.0.0.1/localhost and a client certificate, with openssl. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'trellis-fn-pki-'));
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=trellis-test-ca',
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const who of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${who}.crt`,
      '-days',
      '1',
      '-extfile',
      'san.ext',
    );
  }
  const serverDir = join(dir, 'server');
  mkdirSync(serverDir);
  writeFileSync(join(serverDir, 'tls.crt'), readFileSync(join(dir, 'server.crt')));
  writeFileSync(join(serverDir, 'tls.key'), readFileSync(join(dir, 'server.key')));
  writeFileSync(join(serverDir, 'ca.crt'), readFileSync(join(dir, 'ca.crt')));
  return {
    serverDir,
    client: {
      ca: readFileSync(join(dir, 'ca.crt')),
      cert: readFileSync(join(dir, 'client.crt')),
      key: readFileSync(join(dir, 'client.key')),
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** FunctionServers are an insecure and a mutual-TLS instance of one upstream function, and the engine's client credentials. */
export interface FunctionServers {
  readonly insecure: FunctionServer;
  readonly mtls: FunctionServer;
  readonly clientTls: RemoteTls;
}

/**
 * UseFunctionServers registers hooks (describe level; before useEngine, so the engine can get the
 * client credentials) that start `bin` insecure and with mutual TLS, and stop them afterwards.
 */
export function useFunctionServers(bin: string, before: () => Promise<void> = async () => {}): FunctionServers {
  let pki: Pki | undefined;
  let insecure: FunctionServer | undefined;
  let mtls: FunctionServer | undefined;
  beforeAll(async () => {
    await before();
    pki = makePki();
    [insecure, mtls] = await Promise.all([startFunction(bin), startFunction(bin, { tlsDir: pki.serverDir })]);
  });
  afterAll(async () => {
    await insecure?.stop();
    await mtls?.stop();
    pki?.remove();
  });
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`useFunctionServers: ${what} exists only inside tests and later hooks`);
    return v;
  };
  return {
    get insecure() {
      return need(insecure, 'the insecure server');
    },
    get mtls() {
      return need(mtls, 'the mTLS server');
    },
    get clientTls() {
      return need(pki, 'the PKI').client;
    },
  };
}
