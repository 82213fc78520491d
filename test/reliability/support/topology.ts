// The system under test, all real parts on this machine: a private API server (a real
// kube-apiserver + etcd + kube-controller-manager, or Trellis' embedded API server as its own
// process), a TCP proxy in front of it through which every Trellis controller talks (so watch
// connections can be cut), the Trellis controllers as their own process (`trellis up
// --kubeconfig`), PowerDNS and Alertmanager as the external APIs, and a local OCI registry from
// which the package manager installs provider-http (whose process the provider host runs).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClient } from '@trellis/kube';
import { isAlreadyExists, isNotFound, newKubeClient } from '@trellis/kube';
import type { KubeObject } from '@trellis/sdk';
import { buildPackage, pushArtifact, RegistryClient } from '@trellis/xpkg';
import { startRealControlPlane } from '../../harness/control-plane.ts';
import { startTcpProxy, type TcpProxy } from '../../harness/tcp-proxy.ts';
import { type Alertmanager, type PowerDns, startAlertmanager, startPowerDns } from '../../infra/services/services.ts';
import { type Registry, registryAvailable, startRegistry } from '../../xpkg/support/registry.ts';
import {
  type ControllersProcess,
  controllersProcess,
  type EmbeddedProcess,
  killPids,
  processesWithEnv,
  repoRoot,
  startEmbeddedProcess,
} from './processes.ts';
import { retrying } from './retry.ts';

// Test knob read from the environment (keep the run's directory for post-mortems); no turbo task reads it.
const envVar = (name: string): string | undefined => process.env[name];

export type ServerKind = 'real' | 'embedded';

/** A Server is the private API server of one campaign. */
export interface Server {
  kind: ServerKind;
  /** KubeconfigPath reaches the server directly (the campaign's own client uses it). */
  kubeconfigPath: string;
  port: number;
  /** Pid of the API server process (kube-apiserver or the embedded server), when running. */
  pid(): number | undefined;
  /** Kill crashes the API server with SIGKILL. */
  kill(): Promise<void>;
  /** Start brings it back on the same port with the same state. */
  start(): Promise<void>;
  /** Restart stops it gracefully (SIGTERM) and starts it again. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  logs(): string;
}

async function realServer(): Promise<Server> {
  const cp = await startRealControlPlane();
  const pidOf = (): number | undefined => {
    try {
      const pid = Number(readFileSync(join(cp.dir, 'kube-apiserver.pid'), 'utf8').trim());
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  };
  return {
    kind: 'real',
    kubeconfigPath: cp.kubeconfigPath,
    port: Number(cp.env.API_PORT),
    pid: pidOf,
    kill: () => cp.killApiServer(),
    start: () => cp.startApiServer(),
    restart: () => cp.restartApiServer(),
    stop: () => cp.stop(),
    logs: () => cp.logs('kube-apiserver'),
  };
}

async function embeddedServer(dir: string, o: TopologyOptions): Promise<Server> {
  const dataDir = join(dir, 'embedded-data');
  const logPath = join(dir, 'apiserver.log');
  const opts = {
    dataDir,
    logPath,
    ...(o.reportDir === undefined ? {} : { reportDir: o.reportDir }),
    ...(o.historySize === undefined ? {} : { historySize: o.historySize }),
    ...(o.eventTtlMs === undefined ? {} : { eventTtlMs: o.eventTtlMs }),
  };
  let s: EmbeddedProcess = await startEmbeddedProcess(opts);
  const port = s.port;
  let up = true;
  void s.gone.then(() => {
    up = false;
  });
  const start = async (): Promise<void> => {
    s = await startEmbeddedProcess({ ...opts, port });
    up = true;
    const mine = s;
    void mine.gone.then(() => {
      if (s === mine) up = false;
    });
  };
  const halt = async (sig: NodeJS.Signals): Promise<void> => {
    s.signal(sig);
    await s.gone;
  };
  return {
    kind: 'embedded',
    kubeconfigPath: s.kubeconfigPath,
    port,
    pid: () => (up ? s.pid : undefined),
    kill: () => halt('SIGKILL'),
    start,
    async restart() {
      await halt('SIGTERM');
      await start();
    },
    stop: () => halt('SIGTERM'),
    logs: () => readTail(logPath),
  };
}

function readTail(path: string, lines = 40): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface TopologyOptions {
  server: ServerKind;
  /** WithProvider starts PowerDNS, Alertmanager and a registry, and installs provider-http. */
  withProvider: boolean;
  /** ReportDir enables heap readings of the controllers and the embedded API server. */
  reportDir?: string;
  /** HistorySize sets the embedded API server's watch history per resource (default: the server's). */
  historySize?: number;
  /** EventTtlMs sets how long the embedded API server keeps Events (default: the server's, 1 h). */
  eventTtlMs?: number;
  log?: (line: string) => void;
}

/** A Topology is every running part of one campaign. */
export interface Topology {
  dir: string;
  server: Server;
  proxy: TcpProxy;
  /** ProxiedKubeconfig is what the controllers and providers use. */
  proxiedKubeconfig: string;
  client: KubeClient & { close(): void };
  controllers: ControllersProcess;
  pdns?: PowerDns;
  am?: Alertmanager;
  registry?: Registry;
  /** ProviderPids returns every provider process of this topology, orphans included. */
  providerPids(): number[];
  stop(): Promise<void>;
}

export const ProviderName = 'provider-http';
const ProviderType = { apiVersion: 'pkg.crossplane.io/v1', kind: 'Provider' } as const;

export async function startTopology(o: TopologyOptions): Promise<Topology> {
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'trellis-rel-'));
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
  };
  try {
    const server = o.server === 'real' ? await realServer() : await embeddedServer(dir, o);
    cleanups.push(() => server.stop());
    log(`${o.server} API server on port ${server.port}`);
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: server.port });
    cleanups.push(() => proxy.close());
    const proxiedKubeconfig = proxy.kubeconfig(server.kubeconfigPath, join(dir, 'kubeconfig-proxied'));
    const client = await newKubeClient({ kubeconfigPath: server.kubeconfigPath, userAgent: 'trellis-reliability' });
    cleanups.push(async () => client.close());

    let pdns: PowerDns | undefined;
    let am: Alertmanager | undefined;
    let registry: Registry | undefined;
    let providerPackage: string | undefined;
    if (o.withProvider) {
      if (!registryAvailable()) throw new Error('docker-registry is missing: run bash test/infra/registry/prepare.sh');
      [pdns, am, registry] = await Promise.all([startPowerDns(), startAlertmanager(), startRegistry('anonymous')]);
      const [p, a, r] = [pdns, am, registry];
      cleanups.push(
        () => p.stop(),
        () => a.stop(),
        () => r.stop(),
      );
      providerPackage = `${registry.host}/trellis/provider-http:v0.1.0`;
      const built = await buildPackage({ packageRoot: join(repoRoot, 'xpkg', 'provider-http') });
      const oci = new RegistryClient({});
      await pushArtifact(oci, oci.parse(providerPackage), built.artifact);
      log(`pushed ${providerPackage}`);
    }

    const controllers = controllersProcess({
      kubeconfigPath: proxiedKubeconfig,
      dataDir: join(dir, 'data'),
      logPath: join(dir, 'controllers.log'),
      ...(o.reportDir === undefined ? {} : { reportDir: o.reportDir }),
      env: {
        // Provider processes inherit these: short polls so recovery is measured, not waited out.
        TRELLIS_NOT_READY_POLL_INTERVAL: '2s',
        TRELLIS_CALL_TIMEOUT: '5s',
      },
    });
    // Provider processes are Node processes (the host spawns them with its own Node binary); their
    // helpers (esbuild) share the environment but are not counted, only cleaned up.
    const providerPids = (): number[] => processesWithEnv('TRELLIS_KUBECONFIG', proxiedKubeconfig, process.execPath);
    cleanups.push(async () => {
      await controllers.stop();
      killPids(processesWithEnv('TRELLIS_KUBECONFIG', proxiedKubeconfig));
    });
    await controllers.start();
    log(`controllers up (pid ${controllers.pid()})`);

    if (providerPackage !== undefined) await installProvider(client, providerPackage);
    return {
      dir,
      server,
      proxy,
      proxiedKubeconfig,
      client,
      controllers,
      ...(pdns === undefined ? {} : { pdns }),
      ...(am === undefined ? {} : { am }),
      ...(registry === undefined ? {} : { registry }),
      providerPids,
      async stop() {
        await cleanup();
        if (envVar('TRELLIS_KEEP_RELIABILITY') !== '1') rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** InstallProvider creates the Provider and waits until the package manager reports it Installed and Healthy. */
async function installProvider(client: KubeClient, pkg: string): Promise<void> {
  // The controllers' ready line does not wait for the API server to serve the Crossplane CRDs
  // they install (a real kube-apiserver serves a new CRD a moment after it is Established), so
  // the kind may be unknown at first: rediscover and retry until it is served.
  await retrying(
    'create the Provider',
    async () => {
      client.invalidateDiscovery();
      try {
        await client.create({ ...ProviderType, metadata: { name: ProviderName }, spec: { package: pkg } });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    },
    180_000,
    ['KUBE_NO_KIND_MATCH', 'KUBE_NOT_FOUND'],
  );
  const deadline = Date.now() + 180_000;
  let last: KubeObject | undefined;
  for (;;) {
    try {
      last = await client.get({ ...ProviderType, name: ProviderName });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const conds = (last?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
    const ok = (t: string): boolean => conds.some((c) => c.type === t && c.status === 'True');
    if (ok('Installed') && ok('Healthy')) return;
    if (Date.now() > deadline) throw new Error(`Provider ${ProviderName} not Installed and Healthy after 180s: ${JSON.stringify(conds)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** WriteJson writes a report file (pretty, for people and diffs). */
export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}
