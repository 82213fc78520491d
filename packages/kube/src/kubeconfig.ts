import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TrellisError } from '@trellis/sdk';
import { parse as parseYaml } from 'yaml';
import { KubeErrorCode } from './errors.ts';

/**
 * Kubeconfigs that name a server, a CA and static credentials (a bearer token or token file, a
 * client certificate, a user name and password) are read here, without @kubernetes/client-node:
 * loading client-node costs ~65 MiB of memory and ~1 s of start-up, which every Trellis process
 * (engine, package manager, CLI) would otherwise pay for what is a few fields of YAML. Anything
 * else (exec plugins, auth providers, impersonation, proxies, merged KUBECONFIG lists, in-cluster
 * configuration) is left to client-node, loaded on demand (ADR 0014).
 */

/** A StaticTarget is one cluster and user with credentials that do not change. */
export interface StaticTarget {
  clusterName: string;
  server: string;
  ca?: Buffer;
  skipTLSVerify: boolean;
  tlsServerName?: string;
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  /** BasicAuth is `user:password`. */
  basicAuth?: string;
}

/** ReadStatic is the kubeconfig text and where relative file names resolve from. */
export interface KubeconfigText {
  text: string;
  /** Dir is the kubeconfig file's directory (relative certificate and token paths resolve from it, as in client-go). */
  dir: string | undefined;
  source: string;
}

const CLUSTER_KEYS = new Set([
  'server',
  'certificate-authority',
  'certificate-authority-data',
  'insecure-skip-tls-verify',
  'tls-server-name',
]);
const USER_KEYS = new Set([
  'token',
  'tokenFile',
  'client-certificate',
  'client-certificate-data',
  'client-key',
  'client-key-data',
  'username',
  'password',
]);

/**
 * KubeconfigSource returns the kubeconfig text to read natively, or undefined when only
 * client-node can load it (no path and no KUBECONFIG file: in-cluster configuration; a
 * KUBECONFIG list of several files to merge).
 */
export function kubeconfigSource(opts: { kubeconfigPath?: string; kubeConfig?: unknown }): KubeconfigText | undefined {
  if (typeof opts.kubeConfig === 'string') return { text: opts.kubeConfig, dir: undefined, source: 'the given kubeconfig text' };
  if (opts.kubeConfig !== undefined) return undefined;
  let path = opts.kubeconfigPath;
  if (path === undefined) {
    const env = process.env.KUBECONFIG;
    if (env !== undefined && env !== '') {
      if (env.includes(':')) return undefined;
      path = env;
    } else {
      const home = join(homedir(), '.kube', 'config');
      if (!existsSync(home)) return undefined;
      path = home;
    }
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TrellisError(KubeErrorCode.ConfigInvalid, `cannot load kubeconfig from ${path}: ${firstLine(err)}`, { cause: err });
  }
  return { text, dir: dirname(resolve(path)), source: path };
}

/**
 * ReadStatic reads the current (or the given) context of a kubeconfig. It returns undefined when
 * the cluster or user uses anything beyond static credentials, and throws KUBE_CONFIG_INVALID,
 * naming the source and what is wrong, for a kubeconfig no client could use.
 */
export function readStatic(k: KubeconfigText, context?: string): StaticTarget | undefined {
  const invalid = (what: string, cause?: unknown): TrellisError =>
    new TrellisError(KubeErrorCode.ConfigInvalid, `cannot load kubeconfig from ${k.source}: ${what}`, cause === undefined ? {} : { cause });
  let doc: unknown;
  try {
    doc = parseYaml(k.text, { maxAliasCount: 100 });
  } catch (err) {
    throw invalid(firstLine(err), err);
  }
  if (!isRecord(doc)) throw invalid('expected a kubeconfig object (apiVersion: v1, kind: Config)');
  const ctxName = context ?? (typeof doc['current-context'] === 'string' ? doc['current-context'] : '');
  if (ctxName === '') throw invalid('no current-context');
  const ctx = named(doc.contexts, ctxName, 'context');
  if (ctx === undefined) throw invalid(`no context named "${ctxName}"`);
  const clusterName = typeof ctx.cluster === 'string' ? ctx.cluster : '';
  const userName = typeof ctx.user === 'string' ? ctx.user : '';
  const cluster = named(doc.clusters, clusterName, 'cluster');
  if (cluster === undefined) throw invalid(`no cluster for current-context "${ctxName}"`);
  const user = userName === '' ? {} : (named(doc.users, userName, 'user') ?? {});
  if (!Object.keys(cluster).every((key) => CLUSTER_KEYS.has(key)) || !Object.keys(user).every((key) => USER_KEYS.has(key)))
    return undefined;

  const server = str(cluster.server);
  try {
    const u = new URL(server);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`unsupported scheme "${u.protocol}"`);
  } catch (err) {
    throw invalid(`cluster "${clusterName}" has an invalid server URL: ${firstLine(err)}`, err);
  }
  const file = (field: string, value: unknown): Buffer => {
    const p = str(value);
    const full = isAbsolute(p) || k.dir === undefined ? p : join(k.dir, p);
    try {
      return readFileSync(full);
    } catch (err) {
      throw invalid(`cannot read ${field} ${full}: ${firstLine(err)}`, err);
    }
  };
  const data = (field: string, value: unknown): Buffer => {
    const s = str(value).replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw invalid(`${field} is not base64`);
    return Buffer.from(s, 'base64');
  };
  const pick = (dataKey: string, fileKey: string, from: Record<string, unknown>): Buffer | undefined =>
    from[dataKey] !== undefined && from[dataKey] !== ''
      ? data(dataKey, from[dataKey])
      : from[fileKey] !== undefined && from[fileKey] !== ''
        ? file(fileKey, from[fileKey])
        : undefined;

  const t: StaticTarget = { clusterName, server, skipTLSVerify: cluster['insecure-skip-tls-verify'] === true };
  const ca = pick('certificate-authority-data', 'certificate-authority', cluster);
  if (ca !== undefined) t.ca = ca;
  if (typeof cluster['tls-server-name'] === 'string' && cluster['tls-server-name'] !== '') t.tlsServerName = cluster['tls-server-name'];
  if (typeof user.token === 'string' && user.token !== '') t.token = user.token;
  else if (typeof user.tokenFile === 'string' && user.tokenFile !== '') t.token = file('tokenFile', user.tokenFile).toString('utf8').trim();
  const cert = pick('client-certificate-data', 'client-certificate', user);
  const key = pick('client-key-data', 'client-key', user);
  if ((cert === undefined) !== (key === undefined))
    throw invalid(`user "${userName}" has a client certificate without its key, or a key without its certificate`);
  if (cert !== undefined && key !== undefined) {
    t.cert = cert;
    t.key = key;
  }
  if (typeof user.username === 'string' && user.username !== '') t.basicAuth = `${user.username}:${str(user.password)}`;
  return t;
}

function named(list: unknown, name: string, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const entry of list) {
    if (isRecord(entry) && entry.name === name) {
      const v = entry[field];
      return isRecord(v) ? v : {};
    }
  }
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (msg.split('\n')[0] ?? '').slice(0, 300);
}
