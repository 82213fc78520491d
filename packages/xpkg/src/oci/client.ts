import { type Logger, nopLogger } from '@trellis/sdk';
import { anonymousKeychain, type Challenge, type Credential, type Keychain, parseChallenge } from './auth.ts';
import type { ContentCache } from './cache.ts';
import { codeForStatus, isRetryableStatus, OciCode, OciError } from './errors.ts';
import {
  type Descriptor,
  type Index,
  isIndexType,
  isManifestType,
  type Manifest,
  ManifestAccept,
  MediaType,
  type Platform,
  sha256,
} from './media.ts';
import { formatReference, parseReference, type Reference } from './reference.ts';

/** RetryOptions tune retries of 408/429/5xx and network errors. */
export interface RetryOptions {
  /** Attempts in total (default 5). */
  attempts?: number;
  /** BaseDelayMs doubles per attempt (default 250), capped by maxDelayMs (default 8000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** ClientOptions configure a RegistryClient. */
export interface ClientOptions {
  keychain?: Keychain;
  /** Insecure says which registries speak plain HTTP; default: localhost, 127.0.0.0/8 and [::1]. */
  insecure?: (registry: string) => boolean;
  retry?: RetryOptions;
  /** Sleep is how the client waits between retries (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
  log?: Logger;
  /** Cache stores manifests, blobs, tag lists and tag→digest for offline work. */
  cache?: ContentCache;
  /** Offline serves only from the cache (`OCI_OFFLINE` on a miss). */
  offline?: boolean;
  /** MaxManifestBytes (default 4 MiB) and MaxBlobBytes (default 1 GiB) bound what is downloaded. */
  maxManifestBytes?: number;
  maxBlobBytes?: number;
  /** ChunkSize above which pushes are chunked (default 32 MiB); 0 forces chunking. */
  chunkSize?: number;
  /** DefaultRegistry for references without a host. */
  defaultRegistry?: string;
  userAgent?: string;
  /** TimeoutMs per HTTP request (default 60 s). */
  timeoutMs?: number;
}

/** A FetchedManifest is a manifest or index with its exact bytes. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/** A PulledImage is an image manifest chosen for a platform, with the digest it was resolved from. */
export interface PulledImage {
  ref: Reference;
  /** Digest is the digest the reference resolved to (the index's, for a multi-platform image). */
  digest: string;
  /** ManifestDigest is the digest of the chosen image manifest. */
  manifestDigest: string;
  manifest: Manifest;
  manifestBytes: Buffer;
  mediaType: string;
}

interface RequestSpec {
  method: string;
  registry: string;
  url: string;
  scopes: string[];
  headers?: Record<string, string>;
  body?: Buffer;
  what: string;
  /** Expected statuses; anything else is an error. */
  ok: number[];
}

const defaultPlatform: Platform = { os: 'linux', architecture: 'amd64' };

/**
 * A RegistryClient speaks the OCI distribution API on Node's fetch: pull by tag or digest with
 * Accept negotiation and digest verification, index platform selection, pushes (monolithic,
 * chunked, cross-repository mount), tag listing with pagination, Basic and Bearer auth (docker
 * config, credential helpers), retries with backoff on 429/5xx, and an optional content cache.
 */
export class RegistryClient {
  private readonly keychain: Keychain;
  private readonly insecure: (registry: string) => boolean;
  private readonly retry: Required<RetryOptions>;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly log: Logger;
  private readonly cache: ContentCache | undefined;
  private readonly offline: boolean;
  private readonly maxManifestBytes: number;
  private readonly maxBlobBytes: number;
  private readonly chunkSize: number;
  private readonly defaultRegistry: string | undefined;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly challenges = new Map<string, Challenge>();
  private readonly creds = new Map<string, Promise<Credential | undefined>>();

  constructor(opts: ClientOptions = {}) {
    this.keychain = opts.keychain ?? anonymousKeychain;
    this.insecure = opts.insecure ?? ((r) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(r));
    this.retry = {
      attempts: opts.retry?.attempts ?? 5,
      baseDelayMs: opts.retry?.baseDelayMs ?? 250,
      maxDelayMs: opts.retry?.maxDelayMs ?? 8000,
    };
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.log = opts.log ?? nopLogger;
    this.cache = opts.cache;
    this.offline = opts.offline === true;
    this.maxManifestBytes = opts.maxManifestBytes ?? 4 * 1024 * 1024;
    this.maxBlobBytes = opts.maxBlobBytes ?? 1024 * 1024 * 1024;
    this.chunkSize = opts.chunkSize ?? 32 * 1024 * 1024;
    this.defaultRegistry = opts.defaultRegistry;
    this.userAgent = opts.userAgent ?? 'trellis-xpkg';
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** Parse parses a reference with this client's default registry. */
  parse(ref: string): Reference {
    return this.defaultRegistry === undefined ? parseReference(ref) : parseReference(ref, this.defaultRegistry);
  }

  private base(registry: string): string {
    return `${this.insecure(registry) ? 'http' : 'https'}://${registry}`;
  }

  // ---- pull ----

  /** ResolveDigest returns the digest a tag points at (HEAD, falling back to GET; crossplane#3222). */
  async resolveDigest(ref: Reference): Promise<string> {
    if (ref.digest !== undefined) return ref.digest;
    const tag = ref.tag ?? 'latest';
    if (this.offline) return this.cachedTag(ref, tag);
    const url = `${this.base(ref.registry)}/v2/${ref.repository}/manifests/${tag}`;
    const what = `manifest "${formatReference(ref)}"`;
    try {
      const res = await this.request({
        method: 'HEAD',
        registry: ref.registry,
        url,
        scopes: [pullScope(ref.repository)],
        headers: { Accept: ManifestAccept },
        what,
        ok: [200],
      });
      const d = res.headers.get('docker-content-digest');
      if (d !== null && /^sha256:[a-f0-9]{64}$/.test(d)) {
        await this.cache?.putTag(ref.registry, ref.repository, tag, d);
        return d;
      }
    } catch (err) {
      if (!(err instanceof OciError) || err.code === OciCode.Unauthorized || err.code === OciCode.Denied || err.code === OciCode.NotFound)
        throw err;
      this.log.debug('HEAD manifest failed, trying GET', { ref: formatReference(ref), error: err });
    }
    const m = await this.getManifest(ref);
    return m.digest;
  }

  private async cachedTag(ref: Reference, tag: string): Promise<string> {
    const d = await this.cache?.getTag(ref.registry, ref.repository, tag);
    if (d === undefined) throw new OciError(OciCode.Offline, `offline: tag "${formatReference({ ...ref, tag })}" is not in the cache`);
    return d;
  }

  /**
   * GetManifest fetches a manifest or index by tag or digest with a full Accept header and
   * verifies the digest of the exact bytes (against the reference's digest and the registry's
   * Docker-Content-Digest header).
   */
  async getManifest(ref: Reference): Promise<FetchedManifest> {
    const wanted = ref.digest;
    if (wanted !== undefined && this.cache !== undefined) {
      const hit = await this.cache.getBlob(wanted);
      if (hit !== undefined) return { bytes: hit, digest: wanted, mediaType: mediaTypeOf(hit) ?? MediaType.OciManifest };
    }
    if (this.offline) {
      const d = wanted ?? (await this.cachedTag(ref, ref.tag ?? 'latest'));
      const hit = await this.cache?.getBlob(d);
      if (hit === undefined) throw new OciError(OciCode.Offline, `offline: manifest "${formatReference(ref)}" (${d}) is not in the cache`);
      return { bytes: hit, digest: d, mediaType: mediaTypeOf(hit) ?? MediaType.OciManifest };
    }
    const id = wanted ?? ref.tag ?? 'latest';
    const url = `${this.base(ref.registry)}/v2/${ref.repository}/manifests/${id}`;
    const what = `manifest "${formatReference(ref)}"`;
    const res = await this.request({
      method: 'GET',
      registry: ref.registry,
      url,
      scopes: [pullScope(ref.repository)],
      headers: { Accept: ManifestAccept },
      what,
      ok: [200],
    });
    const bytes = await readBody(res, this.maxManifestBytes, what);
    const digest = sha256(bytes);
    if (wanted !== undefined && digest !== wanted) {
      throw new OciError(OciCode.DigestMismatch, `${what}: content has digest ${digest}, want ${wanted}`);
    }
    const header = res.headers.get('docker-content-digest');
    if (header?.startsWith('sha256:') && header !== digest) {
      throw new OciError(OciCode.DigestMismatch, `${what}: content has digest ${digest}, registry says ${header}`);
    }
    const ct = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    const bodyType = mediaTypeOf(bytes);
    if (bodyType !== undefined && ct !== '' && bodyType !== ct) {
      throw new OciError(OciCode.BadResponse, `${what}: Content-Type is ${ct} but the body says ${bodyType}`);
    }
    const mediaType = bodyType ?? ct;
    if (!isIndexType(mediaType) && !isManifestType(mediaType))
      throw new OciError(OciCode.BadResponse, `${what}: unsupported media type "${mediaType}"`);
    await this.cache?.putBlob(digest, bytes);
    if (wanted === undefined) await this.cache?.putTag(ref.registry, ref.repository, id, digest);
    return { bytes, digest, mediaType };
  }

  /**
   * PullImage resolves a reference to one image manifest: an index is narrowed to the first child
   * for the platform (default linux/amd64; a child without a platform counts as linux/amd64, as in
   * GGCR), fetched by digest.
   */
  async pullImage(refOrString: Reference | string, platform: Platform = defaultPlatform): Promise<PulledImage> {
    const ref = typeof refOrString === 'string' ? this.parse(refOrString) : refOrString;
    const top = await this.getManifest(ref);
    if (isManifestType(top.mediaType)) {
      return {
        ref,
        digest: top.digest,
        manifestDigest: top.digest,
        manifest: parseManifest(top.bytes, `manifest "${formatReference(ref)}"`),
        manifestBytes: top.bytes,
        mediaType: top.mediaType,
      };
    }
    const index = parseIndex(top.bytes, `index "${formatReference(ref)}"`);
    if (!Array.isArray(index.manifests) || index.manifests.length === 0)
      throw new OciError(OciCode.BadResponse, `index "${formatReference(ref)}" lists no manifests`);
    const child = index.manifests.find(
      (m) =>
        (m.platform === undefined || (m.platform.os === platform.os && m.platform.architecture === platform.architecture)) &&
        isManifestType(m.mediaType),
    );
    if (child === undefined) {
      const have = index.manifests
        .map((m) => (m.platform === undefined ? 'unknown' : `${m.platform.os}/${m.platform.architecture}`))
        .join(', ');
      throw new OciError(
        OciCode.NoPlatform,
        `index "${formatReference(ref)}" has no image for ${platform.os}/${platform.architecture} (it has ${have})`,
      );
    }
    const m = await this.getManifest({ ...ref, digest: child.digest });
    return {
      ref,
      digest: top.digest,
      manifestDigest: m.digest,
      manifest: parseManifest(m.bytes, `manifest ${m.digest}`),
      manifestBytes: m.bytes,
      mediaType: m.mediaType,
    };
  }

  /** GetBlob downloads a blob, following redirects (dropping credentials across origins), and verifies its digest and size. */
  async getBlob(repoRef: Reference, d: Pick<Descriptor, 'digest'> & { size?: number }): Promise<Buffer> {
    const cached = await this.cache?.getBlob(d.digest);
    if (cached !== undefined) return cached;
    if (this.offline)
      throw new OciError(OciCode.Offline, `offline: blob ${d.digest} of "${repoRef.registry}/${repoRef.repository}" is not in the cache`);
    const what = `blob ${d.digest} of "${repoRef.registry}/${repoRef.repository}"`;
    if (d.size !== undefined && d.size > this.maxBlobBytes)
      throw new OciError(OciCode.TooLarge, `${what}: ${d.size} bytes is more than the limit of ${this.maxBlobBytes}`);
    const url = `${this.base(repoRef.registry)}/v2/${repoRef.repository}/blobs/${d.digest}`;
    const res = await this.request({
      method: 'GET',
      registry: repoRef.registry,
      url,
      scopes: [pullScope(repoRef.repository)],
      what,
      ok: [200],
    });
    const bytes = await readBody(res, d.size !== undefined ? Math.min(d.size, this.maxBlobBytes) : this.maxBlobBytes, what);
    const got = sha256(bytes);
    if (got !== d.digest) throw new OciError(OciCode.DigestMismatch, `${what}: content has digest ${got}`);
    if (d.size !== undefined && bytes.length !== d.size)
      throw new OciError(OciCode.DigestMismatch, `${what}: ${bytes.length} bytes, descriptor says ${d.size}`);
    await this.cache?.putBlob(d.digest, bytes);
    return bytes;
  }

  /** ListTags lists every tag of a repository, following `Link: <…>; rel="next"` pages; sorted. */
  async listTags(repoRef: Reference | string): Promise<string[]> {
    const ref = typeof repoRef === 'string' ? this.parse(repoRef) : repoRef;
    if (this.offline) {
      const t = await this.cache?.getTags(ref.registry, ref.repository);
      if (t === undefined) throw new OciError(OciCode.Offline, `offline: tags of "${ref.registry}/${ref.repository}" are not in the cache`);
      return t;
    }
    const tags: string[] = [];
    let url: string | undefined = `${this.base(ref.registry)}/v2/${ref.repository}/tags/list?n=1000`;
    const what = `tags of "${ref.registry}/${ref.repository}"`;
    for (let page = 0; url !== undefined; page++) {
      if (page > 1000) throw new OciError(OciCode.BadResponse, `${what}: more than 1000 pages`);
      const res = await this.request({ method: 'GET', registry: ref.registry, url, scopes: [pullScope(ref.repository)], what, ok: [200] });
      const body = parseJson<{ tags?: unknown }>(await readBody(res, 16 * 1024 * 1024, what), what);
      if (body.tags !== null && body.tags !== undefined) {
        if (!Array.isArray(body.tags) || body.tags.some((t) => typeof t !== 'string'))
          throw new OciError(OciCode.BadResponse, `${what}: "tags" is not a list of strings`);
        tags.push(...(body.tags as string[]));
      }
      url = nextLink(res.headers.get('link'), url);
    }
    const sorted = [...new Set(tags)].sort();
    await this.cache?.putTags(ref.registry, ref.repository, sorted);
    return sorted;
  }

  // ---- push ----

  /** BlobExists reports whether the repository has a blob (HEAD). */
  async blobExists(repoRef: Reference, digest: string, scopes = [pushScope(repoRef.repository)]): Promise<boolean> {
    const url = `${this.base(repoRef.registry)}/v2/${repoRef.repository}/blobs/${digest}`;
    const res = await this.request({ method: 'HEAD', registry: repoRef.registry, url, scopes, what: `blob ${digest}`, ok: [200, 404] });
    return res.status === 200;
  }

  /**
   * PushBlob uploads a blob unless the repository has it: a cross-repository mount when
   * `mountFrom` is given (falling back to an upload when the registry opens a session instead),
   * then monolithic POST+PUT, or chunked PATCHes for blobs over the chunk size. A failed upload
   * session is cancelled.
   */
  async pushBlob(
    repoRef: Reference,
    data: Buffer,
    opts: { digest?: string; mountFrom?: string; chunked?: boolean } = {},
  ): Promise<'exists' | 'mounted' | 'uploaded'> {
    const digest = opts.digest ?? sha256(data);
    if (sha256(data) !== digest)
      throw new OciError(OciCode.DigestMismatch, `refusing to push blob: content has digest ${sha256(data)}, want ${digest}`);
    const scopes = [pushScope(repoRef.repository)];
    if (opts.mountFrom !== undefined) scopes.push(pullScope(opts.mountFrom));
    if (await this.blobExists(repoRef, digest, scopes)) return 'exists';
    const uploads = `${this.base(repoRef.registry)}/v2/${repoRef.repository}/blobs/uploads/`;
    const what = `blob ${digest} to "${repoRef.registry}/${repoRef.repository}"`;
    const startUrl =
      opts.mountFrom !== undefined ? `${uploads}?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(opts.mountFrom)}` : uploads;
    const start = await this.request({
      method: 'POST',
      registry: repoRef.registry,
      url: startUrl,
      scopes,
      what,
      ok: [201, 202],
      headers: { 'Content-Length': '0' },
    });
    if (start.status === 201) return 'mounted';
    let location = resolveLocation(start.headers.get('location'), startUrl, what);
    try {
      const chunked = opts.chunked ?? (this.chunkSize === 0 || data.length > this.chunkSize);
      if (chunked) {
        const size = Math.max(1, this.chunkSize === 0 ? Math.ceil(data.length / 2) : this.chunkSize);
        for (let off = 0; off < data.length; off += size) {
          const chunk = data.subarray(off, Math.min(off + size, data.length));
          const res = await this.request({
            method: 'PATCH',
            registry: repoRef.registry,
            url: location,
            scopes,
            what: `${what} (chunk at ${off})`,
            ok: [202],
            body: Buffer.from(chunk),
            headers: {
              'Content-Type': 'application/octet-stream',
              'Content-Range': `${off}-${off + chunk.length - 1}`,
              'Content-Length': String(chunk.length),
            },
          });
          location = resolveLocation(res.headers.get('location'), location, what);
        }
        await this.request({
          method: 'PUT',
          registry: repoRef.registry,
          url: withDigest(location, digest),
          scopes,
          what,
          ok: [201, 204],
          headers: { 'Content-Length': '0' },
        });
      } else {
        await this.request({
          method: 'PUT',
          registry: repoRef.registry,
          url: withDigest(location, digest),
          scopes,
          what,
          ok: [201, 204],
          body: data,
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) },
        });
      }
    } catch (err) {
      await this.cancelUpload(repoRef, location, scopes);
      throw err;
    }
    return 'uploaded';
  }

  private async cancelUpload(repoRef: Reference, location: string, scopes: string[]): Promise<void> {
    try {
      await this.request({
        method: 'DELETE',
        registry: repoRef.registry,
        url: location,
        scopes,
        what: 'upload session',
        ok: [204, 200, 202, 404],
      });
    } catch (err) {
      // Documented expected case: cancelling is best effort; the original error is what matters.
      this.log.debug('cannot cancel upload session', { error: err });
    }
  }

  /** PutManifest uploads a manifest or index under a tag or digest and checks the digest the registry reports. */
  async putManifest(repoRef: Reference, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const digest = sha256(bytes);
    const url = `${this.base(repoRef.registry)}/v2/${repoRef.repository}/manifests/${reference}`;
    const res = await this.request({
      method: 'PUT',
      registry: repoRef.registry,
      url,
      scopes: [pushScope(repoRef.repository)],
      what: `manifest "${repoRef.registry}/${repoRef.repository}:${reference}"`,
      ok: [201, 200, 204],
      body: bytes,
      headers: { 'Content-Type': mediaType, 'Content-Length': String(bytes.length) },
    });
    const got = res.headers.get('docker-content-digest');
    if (got?.startsWith('sha256:') && got !== digest) {
      throw new OciError(OciCode.DigestMismatch, `registry stored manifest "${repoRef.repository}:${reference}" as ${got}, want ${digest}`);
    }
    await this.cache?.putBlob(digest, bytes);
    if (!reference.startsWith('sha256:')) await this.cache?.putTag(repoRef.registry, repoRef.repository, reference, digest);
    return digest;
  }

  // ---- plumbing ----

  private async credential(registry: string): Promise<Credential | undefined> {
    let p = this.creds.get(registry);
    if (p === undefined) {
      p = this.keychain.resolve(registry);
      this.creds.set(registry, p);
    }
    return p;
  }

  private async authHeader(registry: string, scopes: string[]): Promise<string | undefined> {
    const ch = this.challenges.get(registry);
    if (ch === undefined) return undefined;
    if (ch.scheme === 'basic') {
      const c = await this.credential(registry);
      if (c === undefined || !('password' in c)) return undefined;
      return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
    }
    if (ch.scheme === 'bearer') {
      const c = await this.credential(registry);
      if (c !== undefined && 'registryToken' in c) return `Bearer ${c.registryToken}`;
      const key = `${registry}|${scopes.join(' ')}`;
      const t = this.tokens.get(key);
      if (t !== undefined && t.expiresAt > Date.now()) return `Bearer ${t.token}`;
      const token = await this.fetchToken(registry, ch, scopes, c);
      return `Bearer ${token}`;
    }
    return undefined;
  }

  private async fetchToken(registry: string, ch: Challenge, scopes: string[], cred: Credential | undefined): Promise<string> {
    const realm = ch.params.realm;
    if (realm === undefined || !/^https?:\/\//.test(realm))
      throw new OciError(OciCode.BadResponse, `registry "${registry}" sent a Bearer challenge without a valid realm`);
    const allScopes = [...new Set([...scopes, ...(ch.params.scope === undefined ? [] : ch.params.scope.split(' '))])].filter(
      (s) => s !== '',
    );
    const what = `token for "${registry}" from ${new URL(realm).origin}`;
    let res: Response;
    if (cred !== undefined && 'identityToken' in cred) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: cred.identityToken,
        service: ch.params.service ?? '',
        client_id: 'trellis',
      });
      if (allScopes.length > 0) form.set('scope', allScopes.join(' '));
      res = await this.raw({
        method: 'POST',
        url: realm,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: Buffer.from(form.toString()),
        what,
      });
    } else {
      const u = new URL(realm);
      if (ch.params.service !== undefined) u.searchParams.set('service', ch.params.service);
      for (const s of allScopes) u.searchParams.append('scope', s);
      const headers: Record<string, string> = {};
      if (cred !== undefined && 'password' in cred)
        headers.Authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
      res = await this.raw({ method: 'GET', url: u.toString(), headers, what });
    }
    if (res.status !== 200) {
      const body = await safeText(res);
      throw new OciError(codeForStatus(res.status), `cannot get ${what}: ${res.status} ${res.statusText}${registryError(body)}`, {
        status: res.status,
      });
    }
    const j = parseJson<{ token?: string; access_token?: string; expires_in?: number }>(await readBody(res, 1024 * 1024, what), what);
    const token = j.token ?? j.access_token;
    if (typeof token !== 'string' || token === '') throw new OciError(OciCode.BadResponse, `${what}: response has no token`);
    const ttl = typeof j.expires_in === 'number' && j.expires_in > 0 ? j.expires_in : 60;
    this.tokens.set(`${registry}|${scopes.join(' ')}`, { token, expiresAt: Date.now() + Math.max(1, ttl - 5) * 1000 });
    return token;
  }

  /** Request performs an authenticated registry request with one auth round trip and retries. */
  private async request(spec: RequestSpec): Promise<Response> {
    let authRetried = false;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...(spec.headers ?? {}) };
      const auth = await this.authHeader(spec.registry, spec.scopes);
      if (auth !== undefined) headers.Authorization = auth;
      let res: Response;
      try {
        res = await this.raw({ method: spec.method, url: spec.url, headers, body: spec.body, what: spec.what });
      } catch (err) {
        if (err instanceof OciError && err.code === OciCode.Network && attempt < this.retry.attempts) {
          await this.backoff(attempt, undefined, spec, 'network error');
          continue;
        }
        throw err;
      }
      if (res.status === 401 && !authRetried) {
        const ch = parseChallenge(res.headers.get('www-authenticate') ?? '');
        await res.body?.cancel();
        if (ch !== undefined && (ch.scheme === 'basic' || ch.scheme === 'bearer')) {
          const before = this.challenges.get(spec.registry);
          this.challenges.set(spec.registry, ch);
          if (ch.scheme === 'bearer') this.tokens.delete(`${spec.registry}|${spec.scopes.join(' ')}`);
          const cred = await this.credential(spec.registry);
          if (ch.scheme === 'bearer' || cred !== undefined || before === undefined) {
            authRetried = true;
            if (ch.scheme === 'basic' && cred === undefined) {
              throw new OciError(
                OciCode.Unauthorized,
                `cannot ${spec.method} ${spec.what}: registry "${spec.registry}" wants a username and password and none are configured`,
                {
                  status: 401,
                },
              );
            }
            continue;
          }
        }
      }
      if (spec.ok.includes(res.status)) return res;
      if (isRetryableStatus(res.status) && attempt < this.retry.attempts) {
        const ra = res.headers.get('retry-after');
        await res.body?.cancel();
        await this.backoff(attempt, ra, spec, `${res.status}`);
        continue;
      }
      const body = await safeText(res);
      const insufficient = res.status === 401 && /insufficient_scope/.test(res.headers.get('www-authenticate') ?? '');
      const code = insufficient ? OciCode.Denied : codeForStatus(res.status);
      const regCode = registryCode(body);
      throw new OciError(
        code,
        `cannot ${spec.method} ${spec.what}: ${res.status} ${res.statusText}${registryError(body)}${insufficient ? ' (insufficient scope)' : ''}`,
        {
          status: res.status,
          ...(regCode === undefined ? {} : { registryCode: regCode }),
        },
      );
    }
  }

  private async backoff(attempt: number, retryAfter: string | null | undefined, spec: RequestSpec, why: string): Promise<void> {
    let ms = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    if (retryAfter !== null && retryAfter !== undefined) {
      const secs = Number(retryAfter);
      const at = Number.isFinite(secs) ? secs * 1000 : Date.parse(retryAfter) - Date.now();
      if (Number.isFinite(at) && at >= 0) ms = Math.min(Math.max(ms, at), 60_000);
    }
    this.log.debug('retrying registry request', { method: spec.method, what: spec.what, attempt, delayMs: ms, reason: why });
    await this.sleep(ms);
  }

  /** Raw is one HTTP exchange with manual redirects (credentials are not sent to another origin). */
  private async raw(r: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    body?: Buffer | undefined;
    what: string;
  }): Promise<Response> {
    let url = r.url;
    let headers: Record<string, string> = { 'User-Agent': this.userAgent, ...(r.headers ?? {}) };
    for (let hop = 0; hop < 10; hop++) {
      let res: Response;
      try {
        const init: RequestInit = { method: r.method, headers, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) };
        if (r.body !== undefined) init.body = r.body;
        res = await fetch(url, init);
      } catch (err) {
        throw new OciError(
          OciCode.Network,
          `cannot ${r.method} ${r.what}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`,
          { cause: err },
        );
      }
      if ([301, 302, 303, 307, 308].includes(res.status) && r.method !== 'PUT' && r.method !== 'PATCH' && r.method !== 'POST') {
        const loc = res.headers.get('location');
        await res.body?.cancel();
        if (loc === null) throw new OciError(OciCode.BadResponse, `${r.what}: redirect without Location`);
        const next = new URL(loc, url);
        if (next.origin !== new URL(url).origin) {
          const { Authorization: _drop, ...rest } = headers;
          headers = rest;
        }
        url = next.toString();
        continue;
      }
      return res;
    }
    throw new OciError(OciCode.BadResponse, `${r.what}: too many redirects`);
  }
}

function pullScope(repo: string): string {
  return `repository:${repo}:pull`;
}

function pushScope(repo: string): string {
  return `repository:${repo}:pull,push`;
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u.toString();
}

function resolveLocation(loc: string | null, base: string, what: string): string {
  if (loc === null || loc === '') throw new OciError(OciCode.BadResponse, `${what}: upload response has no Location`);
  return new URL(loc, base).toString();
}

function nextLink(link: string | null, current: string): string | undefined {
  if (link === null) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m?.[1] === undefined ? undefined : new URL(m[1], current).toString();
}

async function readBody(res: Response, max: number, what: string): Promise<Buffer> {
  const len = Number(res.headers.get('content-length') ?? '-1');
  if (len > max) {
    await res.body?.cancel();
    throw new OciError(OciCode.TooLarge, `${what}: ${len} bytes is more than the limit of ${max}`);
  }
  if (res.body === null) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += chunk.length;
    if (n > max) {
      await res.body.cancel().catch(() => undefined);
      throw new OciError(OciCode.TooLarge, `${what}: more than the limit of ${max} bytes`);
    }
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}

async function safeText(res: Response): Promise<string> {
  try {
    return (await readBody(res, 64 * 1024, 'error body')).toString('utf8');
  } catch {
    // Documented expected case: an unreadable error body only loses detail, not the error.
    return '';
  }
}

function registryCode(body: string): string | undefined {
  try {
    const j = JSON.parse(body) as { errors?: { code?: string }[] };
    return j.errors?.[0]?.code;
  } catch {
    // Documented expected case: not every error body is JSON.
    return undefined;
  }
}

function registryError(body: string): string {
  try {
    const j = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    if (e === undefined) return '';
    return `: ${e.code ?? 'UNKNOWN'}: ${(e.message ?? '').slice(0, 200)}`;
  } catch {
    // Documented expected case: not every error body is JSON.
    return '';
  }
}

// What a registry sends is untrusted: manifests and indexes are checked field by field before use
// (a missing or malformed field is OCI_BAD_RESPONSE naming it, never a TypeError later on).
const DigestGrammar = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function badField(what: string, field: string, want: string): OciError {
  return new OciError(OciCode.BadResponse, `${what}: ${field}: want ${want}`);
}

function checkStrings(v: unknown, what: string, field: string): void {
  if (v === undefined) return;
  if (!isRecord(v) || Object.values(v).some((x) => typeof x !== 'string')) throw badField(what, field, 'an object of strings');
}

function checkDescriptor(d: unknown, what: string, field: string): Descriptor {
  if (!isRecord(d)) throw badField(what, field, 'a descriptor object');
  if (typeof d.mediaType !== 'string') throw badField(what, `${field}.mediaType`, 'a string');
  if (typeof d.digest !== 'string' || !DigestGrammar.test(d.digest)) throw badField(what, `${field}.digest`, 'a digest (algorithm:hex)');
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
    throw badField(what, `${field}.size`, 'a non-negative integer');
  checkStrings(d.annotations, what, `${field}.annotations`);
  if (d.platform !== undefined) {
    const p = d.platform;
    if (!isRecord(p) || typeof p.os !== 'string' || typeof p.architecture !== 'string')
      throw badField(what, `${field}.platform`, 'an object with os and architecture');
  }
  return d as unknown as Descriptor;
}

/** ParseManifest reads an image manifest and checks the fields the client uses. */
function parseManifest(bytes: Buffer, what: string): Manifest {
  const m = parseJson<unknown>(bytes, what);
  if (!isRecord(m)) throw badField(what, 'manifest', 'a JSON object');
  checkDescriptor(m.config, what, 'config');
  if (!Array.isArray(m.layers)) throw badField(what, 'layers', 'a list of descriptors');
  for (const [i, l] of m.layers.entries()) checkDescriptor(l, what, `layers[${i}]`);
  checkStrings(m.annotations, what, 'annotations');
  return m as unknown as Manifest;
}

/** ParseIndex reads an image index and checks the fields the client uses. */
function parseIndex(bytes: Buffer, what: string): Index {
  const x = parseJson<unknown>(bytes, what);
  if (!isRecord(x)) throw badField(what, 'index', 'a JSON object');
  if (!Array.isArray(x.manifests)) throw badField(what, 'manifests', 'a list of descriptors');
  for (const [i, d] of x.manifests.entries()) checkDescriptor(d, what, `manifests[${i}]`);
  checkStrings(x.annotations, what, 'annotations');
  return x as unknown as Index;
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (err) {
    throw new OciError(OciCode.BadResponse, `${what}: not valid JSON`, { cause: err });
  }
}

function mediaTypeOf(bytes: Buffer): string | undefined {
  try {
    const j = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown; config?: unknown };
    if (typeof j.mediaType === 'string') return j.mediaType;
    if (Array.isArray(j.manifests)) return MediaType.OciIndex;
    if (j.config !== undefined) return MediaType.OciManifest;
    return undefined;
  } catch {
    // Documented expected case: the caller reports the bytes as not JSON.
    return undefined;
  }
}
