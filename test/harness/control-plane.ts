// A real Kubernetes control plane (etcd + kube-apiserver + kube-controller-manager with only the
// garbage-collector and namespace controllers) for integration tests, started with the project's
// own scripts in test/infra/kubernetes/. Binaries come from ~/.cache/trellis/<version>/bin, built
// from the Go module proxy by test/infra/kubernetes/build.sh (npm test runs it when missing).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Test-harness knobs read from the environment; they do not affect any turbo task.
const envVar = (name: string): string | undefined => process.env[name];

export const K8S_VERSION = envVar('K8S_VERSION') ?? 'v1.36.3';
const scripts = resolve(import.meta.dirname, '../infra/kubernetes');

/** K8sBinDir is where build.sh puts the binaries for K8S_VERSION. */
export function k8sBinDir(): string {
  return envVar('K8S_BIN') ?? join(envVar('TRELLIS_CACHE') ?? join(homedir(), '.cache', 'trellis'), K8S_VERSION, 'bin');
}

/** MissingRealBinaries lists the binaries a real control plane needs that are not built yet. */
export function missingRealBinaries(): string[] {
  const dir = k8sBinDir();
  return ['etcd', 'kube-apiserver', 'kube-controller-manager'].filter((b) => !existsSync(join(dir, b))).map((b) => join(dir, b));
}

export interface ControlPlaneOptions {
  /** ExtraApiServerArgs are added to kube-apiserver's flags (and kept across restarts). */
  extraApiServerArgs?: string[];
  /** WithControllerManager starts kube-controller-manager (GC + namespace controllers); default true. */
  withControllerManager?: boolean;
  /** Dir is where state, logs and the kubeconfig go; default a new temp dir. */
  dir?: string;
}

/** The env file start.sh writes: ports, URLs and the admin token. */
export interface ControlPlaneEnv {
  KUBECONFIG: string;
  API_URL: string;
  API_PORT: string;
  TOKEN: string;
  ETCD_URL: string;
  [key: string]: string;
}

/** A RealControlPlane is a running control plane the caller owns; `stop()` it when done. */
export interface RealControlPlane {
  kubeconfigPath: string;
  dir: string;
  env: ControlPlaneEnv;
  /** Timings are start.sh's seconds-to-ready per component ("total" for the whole start). */
  timings: Record<string, number>;
  /** Stop stops every process by PID and removes the directory (kept when TRELLIS_KEEP_KCP=1). */
  stop(): Promise<void>;
  /** KillApiServer kills kube-apiserver with SIGKILL: open connections are reset. */
  killApiServer(): Promise<void>;
  /** StopApiServer stops kube-apiserver gracefully (SIGTERM). */
  stopApiServer(): Promise<void>;
  /** StartApiServer starts kube-apiserver again with the same port, token and flags. */
  startApiServer(): Promise<void>;
  /** RestartApiServer is stopApiServer then startApiServer. */
  restartApiServer(): Promise<void>;
  /**
   * BumpEtcdRevision writes a key outside the API server's prefix straight to etcd, so the
   * revision advances without any API object changing (e.g. while the API server is down).
   */
  bumpEtcdRevision(): Promise<number>;
  /** EtcdRevision returns etcd's current revision (what the API server calls resourceVersion). */
  etcdRevision(): Promise<number>;
  /**
   * CompactEtcd compacts etcd's history up to `revision` (default: the current revision), so a
   * watch or list from an older resourceVersion that misses the API server's watch cache gets 410.
   */
  compactEtcd(revision?: number): Promise<number>;
  /** Logs returns the tail of a component's log, for failure messages. */
  logs(component: 'etcd' | 'kube-apiserver' | 'kube-controller-manager', lines?: number): string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile('bash', args, { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) {
        reject(new Error(`bash ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
        return;
      }
      resolvePromise(stdout);
    });
  });
}

function readEnv(dir: string): ControlPlaneEnv {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(dir, 'env'), 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined) env[m[1]] = (m[2] ?? '').replace(/^"(.*)"$/, '$1');
  }
  return env as ControlPlaneEnv;
}

function readTimings(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(join(dir, 'timings'), 'utf8').split('\n')) {
    const [name, secs] = line.trim().split(/\s+/);
    if (name !== undefined && name !== '' && secs !== undefined) out[name] = Number(secs);
  }
  return out;
}

async function etcdPost(env: ControlPlaneEnv, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${env.ETCD_URL}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`etcd ${path}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * StartRealControlPlane starts a private control plane (about 5 s warm). Use it for tests that
 * break the API server on purpose; everything else shares the one global setup starts.
 */
export async function startRealControlPlane(opts: ControlPlaneOptions = {}): Promise<RealControlPlane> {
  const missing = missingRealBinaries();
  if (missing.length > 0) {
    throw new Error(
      `cannot start a real control plane: missing ${missing.join(', ')}; build them with: bash test/infra/kubernetes/build.sh`,
    );
  }
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'trellis-kcp-'));
  await run([join(scripts, 'start.sh'), dir, 'all'], {
    K8S_BIN: k8sBinDir(),
    OWNER_PID: String(process.pid),
    EXTRA_APISERVER_ARGS: (opts.extraApiServerArgs ?? []).join(' '),
    WITH_KCM: opts.withControllerManager === false ? '0' : '1',
  });
  const env = readEnv(dir);
  const stopScript = join(scripts, 'stop.sh');
  const startScript = join(scripts, 'start.sh');
  const cp: RealControlPlane = {
    kubeconfigPath: env.KUBECONFIG,
    dir,
    env,
    timings: readTimings(dir),
    async stop() {
      await run([stopScript, dir, ...(envVar('TRELLIS_KEEP_KCP') === '1' ? [] : ['--rm'])]);
    },
    async killApiServer() {
      await run([stopScript, dir, 'kube-apiserver', '--kill']);
    },
    async stopApiServer() {
      await run([stopScript, dir, 'kube-apiserver']);
    },
    async startApiServer() {
      await run([startScript, dir, 'kube-apiserver'], { K8S_BIN: k8sBinDir() });
    },
    async restartApiServer() {
      await cp.stopApiServer();
      await cp.startApiServer();
    },
    async bumpEtcdRevision() {
      const key = Buffer.from('/trellis-test/bump').toString('base64');
      const out = await etcdPost(env, '/v3/kv/put', { key, value: Buffer.from(String(Date.now())).toString('base64') });
      return Number((out.header as { revision?: string } | undefined)?.revision ?? 0);
    },
    async etcdRevision() {
      const st = await etcdPost(env, '/v3/maintenance/status', {});
      return Number((st.header as { revision?: string } | undefined)?.revision ?? 0);
    },
    async compactEtcd(revision) {
      const rev = revision ?? (await cp.etcdRevision());
      await etcdPost(env, '/v3/kv/compaction', { revision: String(rev), physical: true });
      return rev;
    },
    logs(component, lines = 40) {
      const file = join(dir, 'logs', `${component}.log`);
      if (!existsSync(file)) return '';
      return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
    },
  };
  return cp;
}
