// Start Debian's docker-registry (distribution 2.8) in a temp dir, in one of three auth modes:
// anonymous, htpasswd (Basic) and token (Bearer, with a small token server of ours playing the
// auth service). The binary comes from test/infra/registry/prepare.sh; a missing binary fails
// under CI=true and otherwise says loudly what is missing.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export type AuthMode = 'anonymous' | 'htpasswd' | 'token';

const envVar = (name: string): string | undefined => process.env[name];
export const registryBinary = join(envVar('TRELLIS_CACHE') ?? join(homedir(), '.cache', 'trellis'), 'registry', 'bin', 'docker-registry');

/** RequireRegistry fails (CI) or explains (laptop) when the registry binary is missing. */
export function registryAvailable(): boolean {
  if (existsSync(registryBinary)) return true;
  const msg = `docker-registry is missing at ${registryBinary}: run "bash test/infra/registry/prepare.sh" (npm test does this)`;
  if (envVar('CI') === 'true') throw new Error(msg);
  console.warn(`\n*** SKIPPING registry suites: ${msg} ***\n`);
  return false;
}

// The test user and a bcrypt hash of its password (htpasswd -Bbn, cost 5). Test data, not a secret.
export const testUser = { username: 'trellis', password: 'trellis-test-password' };
const htpasswdLine = 'trellis:$2b$05$Q5oG4solizgsntDMuYbnKOBXo6zmf.CNkkH5K3XiAKAPFaD7KRD5C';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface Registry {
  mode: AuthMode;
  /** Host is 127.0.0.1:<port>. */
  host: string;
  dir: string;
  /** Grants lets a token-mode test restrict what the token server grants a user. */
  tokenServer?: TokenServer;
  stop(): Promise<void>;
}

export async function startRegistry(mode: AuthMode): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), `trellis-registry-${mode}-`));
  const port = await freePort();
  let auth = '';
  let tokenServer: TokenServer | undefined;
  if (mode === 'htpasswd') {
    await writeFile(join(dir, 'htpasswd'), `${await bcryptLine()}\n`);
    auth = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  if (mode === 'token') {
    tokenServer = await startTokenServer(dir);
    auth = `auth:\n  token:\n    realm: ${tokenServer.realm}\n    service: trellis-registry\n    issuer: trellis-test-issuer\n    rootcertbundle: ${tokenServer.certPath}\n`;
  }
  const config = `version: 0.1\nlog:\n  level: error\n  accesslog: {disabled: true}\nstorage:\n  filesystem: {rootdirectory: ${join(dir, 'data')}}\n  delete: {enabled: true}\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: trellis-test-http-secret\n${auth}`;
  await writeFile(join(dir, 'config.yml'), config);
  const proc = spawn(registryBinary, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const host = `127.0.0.1:${port}`;
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited with ${proc.exitCode}: ${stderr}`);
    try {
      const r = await fetch(`http://${host}/v2/`);
      await r.body?.cancel();
      return r.status === 200 || r.status === 401;
    } catch {
      return false;
    }
  }, 10_000);
  const reg: Registry = {
    mode,
    host,
    dir,
    stop: async () => {
      await stopProcess(proc);
      await tokenServer?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  if (tokenServer !== undefined) reg.tokenServer = tokenServer;
  return reg;
}

async function bcryptLine(): Promise<string> {
  return htpasswdLine;
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

export async function waitFor(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface TokenServer {
  realm: string;
  certPath: string;
  /** Requests counts token requests. */
  requests: number;
  /** MaxActions caps what any user gets (e.g. ['pull'] to test insufficient scope). */
  maxActions: string[] | undefined;
  stop(): Promise<void>;
}

/**
 * A token server for the registry's token auth: it checks Basic credentials of the test user
 * (anonymous callers get nothing), and signs RS256 JWTs carrying the granted access with the
 * certificate in the `x5c` header, which the registry verifies against its root bundle.
 */
async function startTokenServer(dir: string): Promise<TokenServer> {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=trellis-token-issuer',
    ],
    {
      stdio: 'ignore',
    },
  );
  const key = await readFile(keyPath, 'utf8');
  const certDer = execFileSync('openssl', ['x509', '-in', certPath, '-outform', 'DER']).toString('base64');
  const state: TokenServer = { realm: '', certPath, requests: 0, maxActions: undefined, stop: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    state.requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    const authz = req.headers.authorization ?? '';
    const basic = authz.startsWith('Basic ') ? Buffer.from(authz.slice(6), 'base64').toString() : '';
    const ok = basic === `${testUser.username}:${testUser.password}`;
    if (!ok) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((s) => {
      const [type, name, actions] = s.split(':');
      if (type !== 'repository' || name === undefined || actions === undefined) return [];
      const granted = actions.split(',').filter((a) => state.maxActions === undefined || state.maxActions.includes(a));
      return [{ type, name, actions: granted }];
    });
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const head = b64({ alg: 'RS256', typ: 'JWT', x5c: [certDer] });
    const body = b64({
      iss: 'trellis-test-issuer',
      sub: testUser.username,
      aud: url.searchParams.get('service') ?? '',
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    });
    const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key).toString('base64url');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: `${head}.${body}.${sig}`, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  const port = typeof a === 'object' && a !== null ? a.port : 0;
  state.realm = `http://127.0.0.1:${port}/token`;
  state.stop = () => new Promise<void>((r) => server.close(() => r()));
  return state;
}
