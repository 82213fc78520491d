import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { KubeObject, Logger } from '@trellis/sdk';
import { nopLogger, TrellisError } from '@trellis/sdk';
import { ApiError } from './api/errors.ts';
import { Rest } from './api/rest.ts';
import { CrdController } from './controllers/crd.ts';
import { EventTtl } from './controllers/eventttl.ts';
import { GarbageCollector } from './controllers/gc.ts';
import { NamespaceController } from './controllers/namespace.ts';
import { createHandler, type VersionInfo } from './http/handler.ts';
import { Metrics } from './http/metrics.ts';
import { Registry } from './registry/registry.ts';
import type { ResourceType } from './registry/types.ts';
import { Store } from './store/store.ts';
import { ensurePki } from './tls.ts';

export interface ApiServerOptions {
  /** DataDir holds the store, the PKI, the token and the kubeconfig (created if missing). */
  dataDir: string;
  /** Port to listen on; 0 picks a free one (default 6443). */
  port?: number;
  /** Host to listen on (default 127.0.0.1). */
  host?: string;
  /** Tls serves HTTPS with a self-signed CA from dataDir/pki (default true). Plain HTTP is for tests and benchmarks only: kubectl never sends a token over it. */
  tls?: boolean;
  log?: Logger;
  /** Fsync (default true): every acknowledged write is on disk. Turn off only for throwaway servers. */
  fsync?: boolean;
  /** HistorySize is how many events per resource a watch can resume from (default 20,000). */
  historySize?: number;
  /** SnapshotBytes is the WAL size that triggers a snapshot and compaction (default 64 MiB). */
  snapshotBytes?: number;
  /** BookmarkIntervalMs is how often watches with allowWatchBookmarks get a bookmark (default 60 s). */
  bookmarkIntervalMs?: number;
  /** EventTtlMs is how long an Event lives after its last write (default 1 h, as kube-apiserver's --event-ttl). */
  eventTtlMs?: number;
}

/** A RunningApiServer is a started embedded API server. */
export interface RunningApiServer {
  /** Url is the base URL clients use (`https://127.0.0.1:6443`). */
  url: string;
  port: number;
  kubeconfigPath: string;
  token: string;
  /** CaCert is the PEM CA certificate clients trust (undefined without TLS). */
  caCert: string | undefined;
  /** Recovery says what the store found on disk at start (objects, WAL frames replayed, ms). */
  recovery: Store['recovery'];
  /** ObjectCount is the number of stored objects now. */
  objectCount(): number;
  /** Idle resolves once the built-in controllers (CRD, GC, namespace) have no queued work. */
  idle(): Promise<void>;
  /** Stop closes every connection (watches included), stops the controllers and closes the store. */
  stop(): Promise<void>;
}

export const SERVER_VERSION: VersionInfo = {
  major: '1',
  minor: '34',
  gitVersion: 'v1.34.0+trellis',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'trellis',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/**
 * StartApiServer starts the embedded Kubernetes-compatible API server: it recovers the store from
 * `dataDir`, creates the bearer token and PKI on first start, writes `dataDir/kubeconfig`, starts the
 * CRD, garbage-collector and namespace controllers, and listens. It resolves once the server is
 * ready to serve.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const log = opts.log ?? nopLogger;
  const dataDir = resolve(opts.dataDir);
  const host = opts.host ?? '127.0.0.1';
  const tls = opts.tls ?? true;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const t0 = performance.now();
  const phase = (name: string): void => log.debug('start-up phase done', { phase: name, ms: Math.round(performance.now() - t0) });
  const releaseLock = acquireLock(dataDir);
  let store: Store | undefined;
  try {
    const token = ensureToken(dataDir);
    store = await Store.open({
      dir: join(dataDir, 'store'),
      log,
      ...(opts.fsync === undefined ? {} : { fsync: opts.fsync }),
      ...(opts.historySize === undefined ? {} : { historySize: opts.historySize }),
      ...(opts.snapshotBytes === undefined ? {} : { snapshotBytes: opts.snapshotBytes }),
    });
    phase('store recovered');
    const registry = new Registry();
    const rest = new Rest({ store, registry, log });
    await ensureDefaultNamespaces(rest);
    const crds = new CrdController(rest, log);
    const gc = new GarbageCollector(rest, log);
    const namespaces = new NamespaceController(rest, log);
    const eventTtl = new EventTtl(rest, log, opts.eventTtlMs === undefined ? {} : { ttlMs: opts.eventTtlMs });
    crds.start();
    gc.start();
    namespaces.start();
    eventTtl.start();
    phase('controllers started');
    const metrics = new Metrics();
    const s = store;
    metrics.addGauges(() => [
      {
        name: 'apiserver_storage_objects',
        help: '[STABLE] Number of stored objects at the time of last check split by kind.',
        type: 'gauge',
        samples: s.bucketNames().map((b) => ({ labels: { resource: resourceLabel(b) }, value: s.count(b) })),
      },
      {
        name: 'trellis_storage_resource_version',
        help: 'Newest resourceVersion assigned by the store.',
        type: 'gauge',
        samples: [{ labels: {}, value: s.rv }],
      },
      {
        name: 'trellis_storage_durable_resource_version',
        help: 'Newest resourceVersion on disk.',
        type: 'gauge',
        samples: [{ labels: {}, value: s.durableRv }],
      },
      {
        name: 'trellis_storage_wal_syncs_total',
        help: 'Batches written to the write-ahead log, each made durable with one fdatasync unless fsync is off (group commit).',
        type: 'counter',
        samples: [{ labels: {}, value: s.walStats.syncs }],
      },
      {
        name: 'trellis_storage_wal_frames_total',
        help: 'Records written to the write-ahead log; divided by trellis_storage_wal_syncs_total, the writes per fdatasync.',
        type: 'counter',
        samples: [{ labels: {}, value: s.walStats.frames }],
      },
    ]);
    let port = opts.port ?? 6443;
    let ready = false;
    const handler = createHandler({
      rest,
      registry,
      store,
      metrics,
      token,
      log,
      serverAddress: () => `${host}:${port}`,
      version: SERVER_VERSION,
      bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
      ready: () => ready,
    });
    const pkiHosts = ['127.0.0.1', '::1', 'localhost', ...(host === '0.0.0.0' || host === '::' ? [] : [host])];
    const pki = tls ? ensurePki(ensureDir(join(dataDir, 'pki')), pkiHosts) : undefined;
    const serverOpts = { requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 120_000, noDelay: true };
    const server: HttpServer =
      pki === undefined
        ? createHttpServer(serverOpts, handler as (req: IncomingMessage, res: ServerResponse) => void)
        : (createHttpsServer({ ...serverOpts, key: pki.key, cert: pki.cert }, handler) as unknown as HttpServer);
    const sockets = new Set<Socket>();
    server.on('connection', (sock: Socket) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    server.on('secureConnection', (sock: Socket) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', (err) =>
        reject(new TrellisError('APISERVER_LISTEN_FAILED', `cannot listen on ${host}:${port}`, { cause: err })),
      );
      server.listen(port, host, () => resolvePromise());
    });
    phase('listening');
    const addr = server.address();
    if (addr !== null && typeof addr === 'object') port = addr.port;
    const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    const url = `${tls ? 'https' : 'http'}://${urlHost}:${port}`;
    const kubeconfigPath = join(dataDir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfig(url, token, pki?.caCert), { mode: 0o600 });
    ready = true;
    log.info('embedded API server ready', { url, kubeconfig: kubeconfigPath, objects: store.size, recoveryMs: store.recovery.ms });
    let stopped = false;
    const running: RunningApiServer = {
      url,
      port,
      kubeconfigPath,
      token,
      caCert: pki?.caCert,
      recovery: store.recovery,
      objectCount: () => s.size,
      idle: async () => {
        for (let i = 0; i < 10; i++) {
          await Promise.all([crds.idle(), gc.idle(), namespaces.idle()]);
          await new Promise((r) => setImmediate(r));
        }
      },
      stop: async () => {
        if (stopped) return;
        stopped = true;
        ready = false;
        const closed = new Promise<void>((r) => server.close(() => r()));
        for (const sock of sockets) sock.destroy();
        await closed;
        crds.stop();
        gc.stop();
        namespaces.stop();
        eventTtl.stop();
        await s.close();
        releaseLock();
      },
    };
    return running;
  } catch (err) {
    if (store !== undefined) await store.close().catch(() => {});
    releaseLock();
    throw err;
  }
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function ensureToken(dataDir: string): string {
  const path = join(dataDir, 'token');
  if (existsSync(path)) {
    const t = readFileSync(path, 'utf8').trim();
    if (/^[A-Za-z0-9]{32,}$/.test(t)) return t;
    throw new TrellisError('APISERVER_BAD_TOKEN_FILE', `token file "${path}" is malformed; delete it to create a new token`);
  }
  const t = randomBytes(32).toString('hex');
  writeFileSync(path, `${t}\n`, { mode: 0o600 });
  return t;
}

/** AcquireLock makes sure one server uses a data directory at a time (a pid file; stale ones are taken over). */
function acquireLock(dataDir: string): () => void {
  const path = join(dataDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new TrellisError('APISERVER_DATA_DIR_IN_USE', `data directory "${dataDir}" is in use by process ${pid}`);
      }
      if (pid === process.pid)
        throw new TrellisError('APISERVER_DATA_DIR_IN_USE', `data directory "${dataDir}" is already used by this process`);
      rmSync(path, { force: true });
    }
  }
  throw new TrellisError('APISERVER_DATA_DIR_IN_USE', `cannot lock data directory "${dataDir}"`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function kubeconfig(url: string, token: string, caCert: string | undefined): string {
  const cluster =
    caCert === undefined
      ? `    server: ${url}\n    insecure-skip-tls-verify: true\n`
      : `    server: ${url}\n    certificate-authority-data: ${Buffer.from(caCert).toString('base64')}\n`;
  return `apiVersion: v1
kind: Config
clusters:
- name: trellis
  cluster:
${cluster}users:
- name: trellis-admin
  user:
    token: ${token}
contexts:
- name: trellis
  context:
    cluster: trellis
    user: trellis-admin
    namespace: default
current-context: trellis
preferences: {}
`;
}

async function ensureDefaultNamespaces(rest: Rest): Promise<void> {
  const rt = rest.registry.lookup('', 'v1', 'namespaces') as ResourceType;
  let rv = 0;
  for (const name of DEFAULT_NAMESPACES) {
    if (rest.store.get('/namespaces', '', name) !== undefined) continue;
    try {
      const r = rest.create(rt, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } as KubeObject, {
        manager: 'kube-apiserver',
        opts: { dryRun: false, fieldManager: 'kube-apiserver', fieldValidation: 'Ignore' },
        warnings: [],
      });
      rv = r.rv;
    } catch (err) {
      if (!(err instanceof ApiError && err.status.reason === 'AlreadyExists')) throw err;
    }
  }
  await rest.store.durable(rv);
}

function resourceLabel(bucket: string): string {
  const [group, resource] = bucket.split('/') as [string, string];
  return group === '' ? resource : `${resource}.${group}`;
}
