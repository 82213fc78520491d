import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OciCode, OciError } from './errors.ts';

/** A Credential authenticates to a registry. */
export type Credential = { username: string; password: string } | { identityToken: string; username?: string } | { registryToken: string };

/** A Keychain finds the credential for a registry host (`host[:port]`); undefined means anonymous. */
export interface Keychain {
  resolve(registry: string): Promise<Credential | undefined>;
}

/** AnonymousKeychain never has credentials. */
export const anonymousKeychain: Keychain = { resolve: async () => undefined };

/** StaticKeychain serves credentials from a map (pull secrets, tests). */
export function staticKeychain(creds: Record<string, Credential>): Keychain {
  return { resolve: async (registry) => creds[registry] ?? creds[dockerHubAlias(registry)] };
}

/** MultiKeychain asks each keychain in turn and returns the first credential found. */
export function multiKeychain(...chains: Keychain[]): Keychain {
  return {
    resolve: async (registry) => {
      for (const k of chains) {
        const c = await k.resolve(registry);
        if (c !== undefined) return c;
      }
      return undefined;
    },
  };
}

const dockerHubKey = 'https://index.docker.io/v1/';

function dockerHubAlias(registry: string): string {
  return ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(registry) ? dockerHubKey : registry;
}

/** A DockerConfig is the part of `~/.docker/config.json` (or a dockerconfigjson secret) we read. */
export interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** DockerConfigOptions locate the config and run helpers. */
export interface DockerConfigOptions {
  /** Env defaults to process.env (DOCKER_CONFIG, HOME, REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR). */
  env?: Record<string, string | undefined>;
  /** Config, when given, is used instead of reading files (a pull secret's dockerconfigjson). */
  config?: DockerConfig;
  /** RunHelper runs `docker-credential-<name> get`; injectable for tests. */
  runHelper?: (helper: string, serverUrl: string) => Promise<{ Username: string; Secret: string } | undefined>;
}

/**
 * DockerConfigKeychain reads credentials the way GGCR's `authn.DefaultKeychain` does:
 * `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, else `$REGISTRY_AUTH_FILE` or
 * `$XDG_RUNTIME_DIR/containers/auth.json` (podman). In a config, `credHelpers[host]` wins, then
 * `credsStore`, then `auths[host]`.
 */
export function dockerConfigKeychain(opts: DockerConfigOptions = {}): Keychain {
  const env = opts.env ?? process.env;
  const runHelper = opts.runHelper ?? runCredentialHelper;
  let loaded: Promise<DockerConfig | undefined> | undefined;
  const load = (): Promise<DockerConfig | undefined> => {
    loaded ??= opts.config !== undefined ? Promise.resolve(opts.config) : readDockerConfig(env);
    return loaded;
  };
  return {
    resolve: async (registry) => {
      const cfg = await load();
      if (cfg === undefined) return undefined;
      const key = dockerHubAlias(registry);
      const helper = cfg.credHelpers?.[registry] ?? cfg.credHelpers?.[key] ?? cfg.credsStore;
      if (helper !== undefined && helper !== '') {
        const got = await runHelper(helper, key);
        if (got !== undefined) {
          return got.Username === '<token>' ? { identityToken: got.Secret } : { username: got.Username, password: got.Secret };
        }
      }
      const a = cfg.auths?.[registry] ?? cfg.auths?.[key] ?? cfg.auths?.[`https://${registry}`] ?? cfg.auths?.[`http://${registry}`];
      if (a === undefined) return undefined;
      if (a.identitytoken !== undefined && a.identitytoken !== '')
        return { identityToken: a.identitytoken, ...(a.username === undefined ? {} : { username: a.username }) };
      if (a.registrytoken !== undefined && a.registrytoken !== '') return { registryToken: a.registrytoken };
      if (a.auth !== undefined && a.auth !== '') {
        const decoded = Buffer.from(a.auth, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i < 0) throw new OciError(OciCode.Credentials, `docker config: auths["${registry}"].auth is not base64 of user:password`);
        return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
      }
      if (a.username !== undefined && a.password !== undefined) return { username: a.username, password: a.password };
      return undefined;
    },
  };
}

async function readDockerConfig(env: Record<string, string | undefined>): Promise<DockerConfig | undefined> {
  const candidates = [
    env.DOCKER_CONFIG !== undefined ? join(env.DOCKER_CONFIG, 'config.json') : join(env.HOME ?? homedir(), '.docker', 'config.json'),
    env.REGISTRY_AUTH_FILE,
    env.XDG_RUNTIME_DIR !== undefined ? join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json') : undefined,
  ];
  for (const p of candidates) {
    if (p === undefined) continue;
    let text: string;
    try {
      text = await readFile(p, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new OciError(OciCode.Credentials, `cannot read docker config "${p}"`, { cause: err });
    }
    try {
      return JSON.parse(text) as DockerConfig;
    } catch (err) {
      throw new OciError(OciCode.Credentials, `docker config "${p}" is not valid JSON`, { cause: err });
    }
  }
  return undefined;
}

/** RunCredentialHelper runs `docker-credential-<helper> get` with the server URL on stdin. */
export function runCredentialHelper(helper: string, serverUrl: string): Promise<{ Username: string; Secret: string } | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(helper))
    return Promise.reject(new OciError(OciCode.Credentials, `invalid credential helper name "${helper}"`));
  return new Promise((resolve, reject) => {
    const p = spawn(`docker-credential-${helper}`, ['get'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    p.on('error', (e) =>
      reject(new OciError(OciCode.Credentials, `cannot run credential helper docker-credential-${helper}`, { cause: e })),
    );
    p.on('close', (code) => {
      if (code !== 0) {
        // The helper protocol reports a missing entry as an error whose text says so.
        if (/credentials not found/i.test(out + err)) return resolve(undefined);
        return reject(new OciError(OciCode.Credentials, `credential helper docker-credential-${helper} failed with exit code ${code}`));
      }
      try {
        const j = JSON.parse(out) as { Username?: string; Secret?: string };
        if (typeof j.Username !== 'string' || typeof j.Secret !== 'string') throw new Error('missing Username or Secret');
        resolve({ Username: j.Username, Secret: j.Secret });
      } catch (e) {
        reject(new OciError(OciCode.Credentials, `credential helper docker-credential-${helper} printed invalid JSON`, { cause: e }));
      }
    });
    p.stdin.end(serverUrl);
  });
}

/** A Challenge is one parsed WWW-Authenticate challenge. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** ParseChallenge parses `Bearer realm="…",service="…",scope="a,b"` (quoted commas kept). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (m === null) return undefined;
  const scheme = (m[1] ?? '').toLowerCase();
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?\s*/g;
  for (const p of (m[2] ?? '').matchAll(re)) {
    params[(p[1] ?? '').toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme, params };
}
