import type { KubeClient } from '@trellis/kube';
import { isNotFound } from '@trellis/kube';
import { type KubeObject, type Logger, TrellisError, wrap } from '@trellis/sdk';
import { type LintResult, lintPackage } from '../meta/lint.ts';
import { parsePackageStream } from '../meta/parse.ts';
import type { PackageMeta, PackageType } from '../meta/types.ts';
import { type DockerConfig, dockerConfigKeychain, type Keychain, multiKeychain } from '../oci/auth.ts';
import type { ContentCache } from '../oci/cache.ts';
import { RegistryClient, type RetryOptions } from '../oci/client.ts';
import { formatReference, parseReference, type Reference, repositoryOf } from '../oci/reference.ts';
import { fetchPackage } from '../oci/transfer.ts';
import { checkConstraint, isDigest, parseConstraint } from '../semver/constraint.ts';
import { tryParseVersion } from '../semver/version.ts';
import { MemoryCatalog } from '../solver/catalog.ts';
import type { Requirement } from '../solver/types.ts';
import type { ImageConfigObject } from './api.ts';

/** A ResolvedSource is a package reference after ImageConfig rewriting, with its pull secrets. */
export interface ResolvedSource {
  /** Original is the reference as written (identity, Lock `source`). */
  original: Reference;
  /** Resolved is what is fetched (after rewrite). */
  resolved: Reference;
  pullSecrets: string[];
  applied: { name: string; reason: 'RewriteImage' | 'SetImagePullSecret' }[];
}

/**
 * ApplyImageConfigs rewrites a reference and adds pull secrets from the ImageConfigs whose
 * `matchImages` prefix matches (the longest prefix wins, as upstream).
 */
export function applyImageConfigs(ref: string, configs: readonly ImageConfigObject[], defaultRegistry?: string): ResolvedSource {
  const original = defaultRegistry === undefined ? parseReference(ref) : parseReference(ref, defaultRegistry);
  const full = formatReference(original);
  const best = (pick: (c: ImageConfigObject) => boolean): { cfg: ImageConfigObject; prefix: string } | undefined => {
    let found: { cfg: ImageConfigObject; prefix: string } | undefined;
    for (const c of configs) {
      if (!pick(c)) continue;
      for (const m of c.spec?.matchImages ?? []) {
        if (full.startsWith(m.prefix) && (found === undefined || m.prefix.length > found.prefix.length))
          found = { cfg: c, prefix: m.prefix };
      }
    }
    return found;
  };
  const applied: ResolvedSource['applied'] = [];
  let resolvedString = full;
  const rw = best((c) => c.spec?.rewriteImage !== undefined);
  if (rw !== undefined) {
    resolvedString = `${rw.cfg.spec.rewriteImage?.prefix ?? ''}${full.slice(rw.prefix.length)}`;
    applied.push({ name: rw.cfg.metadata.name ?? '', reason: 'RewriteImage' });
  }
  const pullSecrets: string[] = [];
  const ps = best((c) => c.spec?.registry?.authentication?.pullSecretRef?.name !== undefined);
  if (ps !== undefined) {
    pullSecrets.push(ps.cfg.spec.registry?.authentication?.pullSecretRef.name ?? '');
    applied.push({ name: ps.cfg.metadata.name ?? '', reason: 'SetImagePullSecret' });
  }
  const resolved = defaultRegistry === undefined ? parseReference(resolvedString) : parseReference(resolvedString, defaultRegistry);
  return { original, resolved, pullSecrets, applied };
}

/** A FetchedInfo is a package's parsed, linted content and where it came from. */
export interface FetchedInfo {
  source: ResolvedSource;
  digest: string;
  meta: PackageMeta;
  objects: KubeObject[];
  lint: LintResult;
}

/** SourcesOptions configure how the package manager reaches registries. */
export interface SourcesOptions {
  /** Client reads pull secrets; without one, pull secrets cannot be used (the CLI). */
  client?: KubeClient;
  /** Namespace holding pull secrets (Crossplane's namespace). */
  namespace: string;
  cache?: ContentCache;
  keychain?: Keychain;
  retry?: RetryOptions;
  log: Logger;
  insecure?: (registry: string) => boolean;
  defaultRegistry?: string;
  /** Offline serves everything from the cache. */
  offline?: boolean;
}

/**
 * Sources fetches packages and builds solver catalogs from registries, with pull secrets read
 * from the cluster, one RegistryClient per set of secrets, and a shared content cache.
 */
export class Sources {
  private readonly opts: SourcesOptions;
  private readonly clients = new Map<string, RegistryClient>();

  constructor(opts: SourcesOptions) {
    this.opts = opts;
  }

  /** ClientFor returns a registry client that uses the given pull secrets (and the default keychain). */
  async clientFor(pullSecrets: readonly string[], offlineOnly = false): Promise<RegistryClient> {
    const offline = offlineOnly || this.opts.offline === true;
    const key = `${[...pullSecrets].sort().join(',')}|${offline}`;
    const have = this.clients.get(key);
    if (have !== undefined) return have;
    const chains: Keychain[] = [];
    for (const name of pullSecrets) chains.push(await this.secretKeychain(name));
    if (this.opts.keychain !== undefined) chains.push(this.opts.keychain);
    const o: ConstructorParameters<typeof RegistryClient>[0] = { keychain: multiKeychain(...chains), log: this.opts.log, offline };
    if (this.opts.cache !== undefined) o.cache = this.opts.cache;
    if (this.opts.retry !== undefined) o.retry = this.opts.retry;
    if (this.opts.insecure !== undefined) o.insecure = this.opts.insecure;
    if (this.opts.defaultRegistry !== undefined) o.defaultRegistry = this.opts.defaultRegistry;
    const c = new RegistryClient(o);
    this.clients.set(key, c);
    return c;
  }

  private async secretKeychain(name: string): Promise<Keychain> {
    let secret: KubeObject | undefined;
    if (this.opts.client === undefined) throw new TrellisError('XPKG_PULL_SECRET', `cannot read pull secret "${name}" without a cluster`);
    try {
      secret = await this.opts.client.get({ apiVersion: 'v1', kind: 'Secret', name, namespace: this.opts.namespace });
    } catch (err) {
      if (isNotFound(err))
        throw new TrellisError('XPKG_PULL_SECRET', `pull secret "${this.opts.namespace}/${name}" does not exist`, { cause: err });
      throw wrap(err, `cannot get pull secret "${this.opts.namespace}/${name}"`);
    }
    const data = (secret.data ?? {}) as Record<string, string>;
    const raw = data['.dockerconfigjson'] ?? data['.dockercfg'];
    if (raw === undefined)
      throw new TrellisError('XPKG_PULL_SECRET', `pull secret "${this.opts.namespace}/${name}" has no .dockerconfigjson`);
    let cfg: DockerConfig;
    try {
      const parsed = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as DockerConfig & Record<string, unknown>;
      cfg = parsed.auths !== undefined ? parsed : { auths: parsed as NonNullable<DockerConfig['auths']> };
    } catch (err) {
      throw new TrellisError('XPKG_PULL_SECRET', `pull secret "${this.opts.namespace}/${name}" is not valid docker config JSON`, {
        cause: err,
      });
    }
    return dockerConfigKeychain({ config: cfg });
  }

  /**
   * Fetch pulls and lints one package. The pull policy decides whether the tag is resolved again
   * (`Always`), taken from the cache when known (`IfNotPresent`) or only from the cache (`Never`).
   */
  async fetch(
    src: ResolvedSource,
    opts: { pullPolicy?: string; extraSecrets?: readonly string[]; crossplaneVersion?: string; type?: PackageType } = {},
  ): Promise<FetchedInfo> {
    const secrets = [...src.pullSecrets, ...(opts.extraSecrets ?? [])];
    const policy = opts.pullPolicy ?? 'IfNotPresent';
    let ref = src.resolved;
    if (ref.digest === undefined && policy !== 'Always' && this.opts.cache !== undefined) {
      const d = await this.opts.cache.getTag(ref.registry, ref.repository, ref.tag ?? 'latest');
      if (d !== undefined) ref = { ...ref, digest: d };
    }
    const client = await this.clientFor(secrets, policy === 'Never');
    const f = await fetchPackage(client, ref);
    const parsed = parsePackageStream(f.packageYaml, `${formatReference(src.original)} package.yaml`);
    const lintOpts = opts.crossplaneVersion === undefined ? {} : { crossplaneVersion: opts.crossplaneVersion };
    const lint = lintPackage(parsed, { mode: 'install', ...lintOpts });
    const errors = lint.findings.filter((x) => x.severity === 'error');
    if (lint.meta === undefined || errors.length > 0) {
      throw new TrellisError(
        'XPKG_INVALID_PACKAGE',
        `package "${formatReference(src.original)}" is invalid: ${errors.map((e) => `${e.field === '' ? '' : `${e.field}: `}${e.message}`).join('; ')}`,
        {
          details: { findings: lint.findings },
        },
      );
    }
    if (opts.type !== undefined && lint.meta.type !== opts.type) {
      throw new TrellisError(
        'XPKG_INVALID_PACKAGE',
        `package "${formatReference(src.original)}" is a ${lint.meta.type}, not a ${opts.type}`,
      );
    }
    return { source: src, digest: f.digest, meta: lint.meta, objects: parsed.objects.map((o) => o.object), lint };
  }

  /**
   * LoadCatalog builds the solver's catalog for the requirements: it lists each reachable
   * package's tags and reads the metadata of every version that satisfies a constraint seen for
   * it (a fixpoint, so transitive constraints are included), plus digest-pinned content.
   */
  async loadCatalog(
    roots: readonly { requirement: Requirement; info?: FetchedInfo; version?: string }[],
    imageConfigs: readonly ImageConfigObject[],
    opts: { maxVersionsPerPackage?: number } = {},
  ): Promise<MemoryCatalog> {
    const catalog = new MemoryCatalog();
    const constraints = new Map<string, Set<string>>();
    const queue: string[] = [];
    const addConstraint = (pkg: string, c: string): void => {
      const s = constraints.get(pkg) ?? new Set<string>();
      if (!s.has(c)) {
        s.add(c);
        constraints.set(pkg, s);
        queue.push(pkg);
      }
    };
    const addVersion = (pkg: string, version: string, info: FetchedInfo): void => {
      catalog.add(pkg, {
        version,
        digest: info.digest,
        type: info.meta.type,
        dependencies: info.meta.dependsOn.map((d) => ({
          package: canonical(d.package, this.opts.defaultRegistry),
          type: d.type,
          constraint: d.version,
        })),
      });
      for (const d of info.meta.dependsOn) addConstraint(canonical(d.package, this.opts.defaultRegistry), d.version);
    };
    for (const r of roots) {
      if (r.info !== undefined) addVersion(r.requirement.package, r.version ?? r.info.digest, r.info);
      else addConstraint(r.requirement.package, r.requirement.constraint);
    }
    const fetchedVersions = new Set<string>();
    const tagsOf = new Map<string, string[]>();
    const max = opts.maxVersionsPerPackage ?? 100;
    while (queue.length > 0) {
      const pkg = queue.shift() as string;
      const src = applyImageConfigs(pkg, imageConfigs, this.opts.defaultRegistry);
      const client = await this.clientFor(src.pullSecrets);
      const cs = [...(constraints.get(pkg) ?? [])].map((c) => parseConstraint(c === '' ? '*' : c));
      for (const c of cs) {
        if (c.kind !== 'digest' || fetchedVersions.has(`${pkg}@${c.digest}`)) continue;
        fetchedVersions.add(`${pkg}@${c.digest}`);
        const info = await this.fetch({ ...src, resolved: { ...src.resolved, digest: c.digest } });
        const tags = await this.cachedTags(client, src.resolved, tagsOf);
        const tag = await this.tagFor(client, src.resolved, tags, c.digest);
        addVersion(pkg, tag ?? c.digest, info);
      }
      if (cs.every((c) => c.kind === 'digest')) continue;
      const tags = await this.cachedTags(client, src.resolved, tagsOf);
      const candidates = tags
        .map((t) => ({ t, v: tryParseVersion(t) }))
        .filter((x) => x.v?.complete === true && cs.some((c) => c.kind === 'semver' && x.v !== undefined && checkConstraint(c, x.v)))
        .slice(-max);
      for (const { t } of candidates) {
        if (fetchedVersions.has(`${pkg}:${t}`)) continue;
        fetchedVersions.add(`${pkg}:${t}`);
        const info = await this.fetch({ ...src, resolved: { ...src.resolved, tag: t } });
        addVersion(pkg, t, info);
      }
    }
    return catalog;
  }

  private async cachedTags(client: RegistryClient, ref: Reference, memo: Map<string, string[]>): Promise<string[]> {
    const key = repositoryOf(ref);
    const have = memo.get(key);
    if (have !== undefined) return have;
    let tags: string[];
    try {
      tags = await client.listTags(ref);
    } catch (err) {
      if ((err as { code?: string }).code === 'OCI_NOT_FOUND') tags = [];
      else throw wrap(err, `cannot list versions of "${key}"`);
    }
    memo.set(key, tags);
    return tags;
  }

  private async tagFor(client: RegistryClient, ref: Reference, tags: readonly string[], digest: string): Promise<string | undefined> {
    const semverTags = tags.filter((t) => tryParseVersion(t)?.complete === true);
    for (const t of semverTags) {
      const d = await client.resolveDigest({ ...ref, tag: t });
      if (d === digest) return t;
    }
    return undefined;
  }
}

/** Canonical returns `registry/repository` for a package reference (the package identity). */
export function canonical(ref: string, defaultRegistry?: string): string {
  const r = defaultRegistry === undefined ? parseReference(ref) : parseReference(ref, defaultRegistry);
  return repositoryOf(r);
}

/** VersionOf returns the tag of a reference, else its digest. */
export function versionOf(ref: Reference): string {
  return ref.tag ?? ref.digest ?? 'latest';
}

export { isDigest };
