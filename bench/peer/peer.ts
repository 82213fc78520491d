// Upstream Crossplane core v2.3.4 as a live peer: core runs out of cluster against any API server
// (a kubeconfig), with function-patch-and-transform as a local gRPC function over mTLS. Every step
// and why it is needed is in docs/dev/crossplane-peer.md; processes are started and stopped by
// test/infra/crossplane-peer/{pki,start,stop}.sh.
//
//   const peer = await startCrossplanePeer({ kubeconfigPath });
//   ... create XRDs, Compositions (functionRef: function-patch-and-transform) and claims ...
//   await peer.stop();
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isAlreadyExists, type KubeClient, newKubeClient } from '@trellis/kube';
import { type KubeObject, refOf } from '@trellis/sdk';
import { friendlyId, readXpkgFile } from '@trellis/xpkg';
import { envVar } from '../lib/env.ts';

export const CrossplaneVersion = 'v2.3.4';
/** PatVersion is the function-patch-and-transform version test/infra/crossplane/build.sh builds. */
export const PatVersion = 'v0.10.7';
export const FunctionName = 'function-patch-and-transform';
/** FunctionSource is the package source the Function object names (resolved offline, by digest). */
export const FunctionSource = 'xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform';
export const Namespace = 'crossplane-system';

const scripts = resolve(import.meta.dirname, '../../test/infra/crossplane-peer');
const cacheRoot = envVar('TRELLIS_CACHE') ?? join(homedir(), '.cache', 'trellis');

/** XpBinDir is where test/infra/crossplane/build.sh puts the upstream binaries. */
export function xpBinDir(): string {
  return envVar('XP_BIN') ?? join(cacheRoot, `crossplane-${CrossplaneVersion}`, 'bin');
}

/** MissingPeerParts lists what the peer needs and is not there (binaries, CRDs, the P&T module). */
export function missingPeerParts(): string[] {
  const bin = xpBinDir();
  const missing = ['crossplane', 'crossplane-core', FunctionName].map((b) => join(bin, b)).filter((p) => !existsSync(p));
  if (!existsSync(join(bin, '..', 'crds'))) missing.push(join(bin, '..', 'crds'));
  if (!existsSync(patModuleDir())) missing.push(patModuleDir());
  return missing;
}

/** PatModuleDir is the function's module in the Go module cache build.sh filled (its package/ dir is the xpkg source). */
function patModuleDir(): string {
  return join(envVar('GOMODCACHE') ?? join(cacheRoot, 'gomod'), 'github.com', 'crossplane-contrib', `${FunctionName}@${PatVersion}`);
}

export interface CrossplanePeerOptions {
  kubeconfigPath: string;
  /** Dir holds certificates, the package cache, logs and PID files (default: a new temp dir). */
  dir?: string;
  /** CoreArgs are extra `core start` flags (e.g. `--max-concurrent-reconciles=50`). */
  coreArgs?: string[];
  /** Progress receives one line per step (default: nothing). */
  progress?: (line: string) => void;
  /** TimeoutMs bounds each wait (default 120 s). */
  timeoutMs?: number;
}

/** A CrossplanePeer is a running Crossplane core with its function; `stop()` it when done. */
export interface CrossplanePeer {
  dir: string;
  /** Pids are core's and the function's process IDs (for CPU and memory figures). */
  pids(): number[];
  corePid(): number;
  functionPid(): number;
  /** FunctionEndpoint is the function's gRPC address (127.0.0.1:port). */
  functionEndpoint: string;
  /** MetricsUrl is core's Prometheus endpoint. */
  metricsUrl: string;
  /** Timings are seconds per start step. */
  timings: Record<string, number>;
  /** Logs returns the tail of core's or the function's log, for failure messages. */
  logs(component: 'core' | 'function', lines?: number): string;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((done, fail) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) {
        fail(new Error(`${cmd} ${args.join(' ')} failed: ${err.message.split('\n')[0]}\n${stdout}${stderr}`.trim()));
        return;
      }
      done(stdout);
    });
  });
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return await new Promise((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => done(typeof addr === 'object' && addr !== null ? addr.port : 0));
    });
  });
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  context: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `; last error: ${last.message}` : '';
      throw new Error(`crossplane peer: timed out after ${timeoutMs} ms waiting for ${what}${why}\n${context()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function upsert(client: KubeClient, obj: KubeObject): Promise<void> {
  try {
    await client.create(obj);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const cur = await client.get(refOf(obj));
    await client.update({
      ...obj,
      metadata: {
        ...obj.metadata,
        ...(cur.metadata.resourceVersion === undefined ? {} : { resourceVersion: cur.metadata.resourceVersion }),
      },
    });
  }
}

const b64 = (file: string): string => readFileSync(file).toString('base64');

function condition(obj: KubeObject | undefined, type: string): { status?: string; message?: string } | undefined {
  const conds = (obj as { status?: { conditions?: { type?: string; status?: string; message?: string }[] } } | undefined)?.status
    ?.conditions;
  return conds?.find((c) => c.type === type);
}

/**
 * StartCrossplanePeer prepares the API server for Crossplane core (namespace, our own root CA,
 * `core init`: CRDs and TLS secrets), builds the function's package and seeds core's package cache
 * with it, starts the function (mTLS) and core, installs the Function by digest and points its
 * active revision at the local function. Resolves once the FunctionRevision is healthy.
 */
export async function startCrossplanePeer(opts: CrossplanePeerOptions): Promise<CrossplanePeer> {
  const missing = missingPeerParts();
  if (missing.length > 0) {
    throw new Error(`crossplane peer: missing ${missing.join(', ')}; build them with: bash test/infra/crossplane/build.sh`);
  }
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'trellis-xp-peer-'));
  const bin = xpBinDir();
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const say = opts.progress ?? (() => {});
  const timings: Record<string, number> = {};
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    timings[name] = Number(((performance.now() - t0) / 1000).toFixed(2));
    say(`peer: ${name} (${timings[name]} s)`);
    return out;
  };
  const env = { KUBECONFIG: opts.kubeconfigPath, XP_BIN: bin, OWNER_PID: String(process.pid) };
  const client = await newKubeClient({ kubeconfigPath: opts.kubeconfigPath, userAgent: 'trellis-bench/peer-setup' });
  const logs = (component: 'core' | 'function', lines = 40): string => {
    const f = join(dir, 'logs', `${component}.log`);
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n') : '';
  };
  const stop = async (): Promise<void> => {
    await run('bash', [join(scripts, 'stop.sh'), dir]);
  };
  try {
    await step('certificates', () => run('bash', [join(scripts, 'pki.sh'), dir]));
    await step('core init', async () => {
      await upsert(client, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: Namespace } });
      // Our own CA, so we can sign the function's server certificate (init keeps a complete one).
      await upsert(client, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'crossplane-root-ca', namespace: Namespace },
        type: 'Opaque',
        data: { 'tls.crt': b64(join(dir, 'pki', 'ca.crt')), 'tls.key': b64(join(dir, 'pki', 'ca.key')) },
      } as KubeObject);
      mkdirSync(join(dir, 'webhookconfigurations'), { recursive: true });
      // Init applies the CRDs and then, at once, the Lock object; on a fresh server the Lock's kind
      // may not be served yet ("no matches for kind"). Init is idempotent: run it again.
      const init = (): Promise<string> =>
        run(
          join(bin, 'crossplane-core'),
          [
            'core',
            'init',
            `--namespace=${Namespace}`,
            `--cr-ds-path=${join(bin, '..', 'crds')}`,
            `--webhook-configurations-path=${join(dir, 'webhookconfigurations')}`,
            '--enable-webhooks=false',
          ],
          {
            ...env,
            TLS_CA_SECRET_NAME: 'crossplane-root-ca',
            TLS_SERVER_SECRET_NAME: 'crossplane-tls-server',
            TLS_CLIENT_SECRET_NAME: 'crossplane-tls-client',
          },
        );
      for (let attempt = 1; ; attempt++) {
        try {
          await init();
          break;
        } catch (err) {
          if (attempt >= 5 || !(err instanceof Error) || !/no matches for kind/.test(err.message)) throw err;
          say(`peer: core init: a kind is not served yet, running init again (${attempt})`);
          await new Promise((r) => setTimeout(r, 500 * attempt));
        }
      }
      // Core refuses to start without its client certificate on disk (it always calls functions
      // over mTLS); init wrote it to a secret.
      const sec = await client.get<KubeObject & { data?: Record<string, string> }>({
        apiVersion: 'v1',
        kind: 'Secret',
        namespace: Namespace,
        name: 'crossplane-tls-client',
      });
      mkdirSync(join(dir, 'tls', 'client'), { recursive: true });
      for (const key of ['ca.crt', 'tls.crt', 'tls.key']) {
        const v = sec.data?.[key];
        if (v === undefined || v === '')
          throw new Error(`crossplane peer: secret ${Namespace}/crossplane-tls-client has no ${key} after core init`);
        writeFileSync(join(dir, 'tls', 'client', key), Buffer.from(v, 'base64'), { mode: 0o600 });
      }
    });
    const digest = await step('function package', () => seedPackageCache(dir, bin));
    const port = await freePort();
    await step('function start', () => run('bash', [join(scripts, 'start.sh'), dir, 'function', String(port)], env));
    await step('core start', () =>
      run('bash', [join(scripts, 'start.sh'), dir, 'core'], { ...env, CORE_ARGS: (opts.coreArgs ?? []).join(' ') }),
    );
    const endpoint = `127.0.0.1:${port}`;
    await step('function install', () => installFunction(client, dir, digest, endpoint, timeoutMs, () => logs('core')));
    const coreEnv = readFileSync(join(dir, 'core.env'), 'utf8');
    const metricsPort = /METRICS_PORT=(\d+)/.exec(coreEnv)?.[1] ?? '0';
    const pidOf = (c: string): number => Number(readFileSync(join(dir, `${c}.pid`), 'utf8').trim());
    const corePid = pidOf('core');
    const functionPid = pidOf('function');
    return {
      dir,
      pids: () => [corePid, functionPid],
      corePid: () => corePid,
      functionPid: () => functionPid,
      functionEndpoint: endpoint,
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      timings,
      logs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.close();
  }
}

/**
 * SeedPackageCache builds the function's package with `crossplane xpkg build` (meta only: no
 * runtime image, no Docker), computes its digest, and writes it to core's cache under the file
 * name core looks for: FriendlyID(source, digest).gz, in `crossplane xpkg extract` format.
 */
async function seedPackageCache(dir: string, bin: string): Promise<string> {
  const src = join(dir, 'function-package');
  if (!existsSync(src)) cpSync(join(patModuleDir(), 'package'), src, { recursive: true });
  const xpkg = join(dir, `${FunctionName}.xpkg`);
  await run(join(bin, 'crossplane'), ['xpkg', 'build', `--package-root=${src}`, `--examples-root=${join(dir, 'no-examples')}`, '-o', xpkg]);
  const digest = readXpkgFile(readFileSync(xpkg), xpkg).digest;
  mkdirSync(join(dir, 'cache', 'xpkg'), { recursive: true });
  const cached = join(dir, 'cache', 'xpkg', `${friendlyId(FunctionSource, digest)}.gz`);
  await run(join(bin, 'crossplane'), ['xpkg', 'extract', '--from-xpkg', xpkg, '-o', cached]);
  return digest;
}

/**
 * InstallFunction creates the Function (by digest: no registry call) and, since the External
 * runtime sets nothing, writes what the Deployment runtime would have written to its active
 * revision's status: the TLS server secret (the establisher waits for it) and the endpoint (the
 * only thing core's function runner reads).
 */
async function installFunction(
  client: KubeClient,
  dir: string,
  digest: string,
  endpoint: string,
  timeoutMs: number,
  coreLogs: () => string,
): Promise<void> {
  const tls = join(dir, 'tls', 'function');
  const secretName = `${FunctionName}-tls-server`;
  await upsert(client, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: secretName, namespace: Namespace },
    type: 'Opaque',
    data: { 'tls.crt': b64(join(tls, 'tls.crt')), 'tls.key': b64(join(tls, 'tls.key')), 'ca.crt': b64(join(tls, 'ca.crt')) },
  } as KubeObject);
  await upsert(client, {
    apiVersion: 'pkg.crossplane.io/v1',
    kind: 'Function',
    metadata: { name: FunctionName },
    spec: { package: `${FunctionSource}@${digest}`, packagePullPolicy: 'Never' },
  } as KubeObject);
  const revType = { apiVersion: 'pkg.crossplane.io/v1', kind: 'FunctionRevision' };
  const found = await waitFor(
    'the active FunctionRevision',
    timeoutMs,
    async () => {
      const list = await client.list(revType, { labelSelector: `pkg.crossplane.io/package=${FunctionName}` });
      return list.items.find((r) => (r as { spec?: { desiredState?: string } }).spec?.desiredState === 'Active');
    },
    coreLogs,
  );
  // List items carry no apiVersion/kind: name the object explicitly.
  const rev = { ...revType, name: found.metadata.name ?? '' };
  await client.patch(rev, { type: 'merge', patch: { status: { endpoint, tlsServerSecretName: secretName } } }, { subresource: 'status' });
  await waitFor(
    `FunctionRevision ${rev.name} to be healthy`,
    timeoutMs,
    async () => {
      const cur = await client.get(rev);
      const st = (cur as { status?: { endpoint?: string } }).status;
      return condition(cur, 'RevisionHealthy')?.status === 'True' && st?.endpoint === endpoint ? cur : undefined;
    },
    coreLogs,
  );
}
