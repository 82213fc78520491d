// The OCI client against a real registry (Debian's docker-registry) in anonymous, htpasswd and
// token modes: build, push, pull, and the digests are equal; chunked push, cross-repository
// mount, indexes, tag listing, the content cache and offline work; and, through a fault-injecting
// proxy, 401/403/404/429/5xx and wrong digests each give a clear typed error.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasCode } from '@trellis/sdk';
import {
  buildPackage,
  type Credential,
  dockerConfigKeychain,
  FsContentCache,
  fetchPackage,
  type Image,
  OciCode,
  pushArtifact,
  RegistryClient,
  readXpkgFile,
  staticKeychain,
  writeXpkgFile,
} from '@trellis/xpkg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from './support/fault-proxy.ts';
import { type AuthMode, type Registry, registryAvailable, startRegistry, testUser } from './support/registry.ts';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'xpkg', 'configuration-simple');
const have = registryAvailable();
const modes: AuthMode[] = ['anonymous', 'htpasswd', 'token'];
const fast = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

describe.runIf(have).each(modes)('registry in %s mode', (mode) => {
  let reg: Registry;
  let client: RegistryClient;
  beforeAll(async () => {
    reg = await startRegistry(mode);
    const creds: Record<string, Credential> = mode === 'anonymous' ? {} : { [reg.host]: { ...testUser } };
    client = new RegistryClient({ keychain: staticKeychain(creds), retry: fast });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('builds, pushes and pulls a package; every digest is equal', async () => {
    const built = await buildPackage({ packageRoot: fixture });
    const ref = client.parse(`${reg.host}/trellis/configuration-simple:v0.1.0`);
    const pushed = await pushArtifact(client, ref, built.artifact);
    expect(pushed).toBe(built.artifact.digest);
    expect(await client.resolveDigest(ref)).toBe(built.artifact.digest);
    const fetched = await fetchPackage(client, ref);
    expect(fetched.digest).toBe(built.artifact.digest);
    expect(fetched.packageYaml).toBe(built.packageYaml);
    // The .xpkg file of the same build pushes to the same digest.
    const img = readXpkgFile(writeXpkgFile(built.artifact as Image));
    expect(await pushArtifact(client, client.parse(`${reg.host}/trellis/from-file:v0.1.0`), img)).toBe(built.artifact.digest);
  });

  it('pushes chunked and mounts across repositories', async () => {
    const built = await buildPackage({ packageRoot: fixture, annotations: { 'org.opencontainers.image.title': 'chunked' } });
    const img = built.artifact as Image;
    const chunky = new RegistryClient({
      keychain: staticKeychain(mode === 'anonymous' ? {} : { [reg.host]: { ...testUser } }),
      retry: fast,
      chunkSize: 0,
    });
    const a = chunky.parse(`${reg.host}/trellis/chunked:v1.0.0`);
    expect(await pushArtifact(chunky, a, img, { chunked: true })).toBe(img.digest);
    const b = client.parse(`${reg.host}/trellis/mounted:v1.0.0`);
    const r = await client.pushBlob(b, img.layers[0]?.data ?? Buffer.alloc(0), { mountFrom: 'trellis/chunked' });
    expect(r).toBe('mounted');
    expect(await pushArtifact(client, b, img, { mountFrom: 'trellis/chunked' })).toBe(img.digest);
    expect((await fetchPackage(client, b)).packageYaml).toBe(built.packageYaml);
  });

  it('pushes a multi-platform index and pulls the right platform', async () => {
    const built = await buildPackage({
      packageRoot: fixture,
      platforms: [
        { os: 'linux', architecture: 'arm64' },
        { os: 'linux', architecture: 'amd64' },
      ],
    });
    const ref = client.parse(`${reg.host}/trellis/multi:v1.0.0`);
    expect(await pushArtifact(client, ref, built.artifact)).toBe(built.artifact.digest);
    const amd = await client.pullImage(ref);
    expect(amd.manifestDigest).toBe(built.images[1]?.digest);
    const arm = await client.pullImage(ref, { os: 'linux', architecture: 'arm64' });
    expect(arm.manifestDigest).toBe(built.images[0]?.digest);
    const err = await client.pullImage(ref, { os: 'linux', architecture: 's390x' }).catch((e: unknown) => e);
    expect(hasCode(err, OciCode.NoPlatform)).toBe(true);
  });

  it('lists tags (unsorted by the registry, sorted by us)', async () => {
    const built = await buildPackage({ packageRoot: fixture });
    for (const t of ['v0.10.0', 'v0.2.0', 'v0.9.1'])
      await pushArtifact(client, client.parse(`${reg.host}/trellis/tagged:${t}`), built.artifact);
    expect(await client.listTags(`${reg.host}/trellis/tagged`)).toEqual(['v0.10.0', 'v0.2.0', 'v0.9.1']);
    const err = await client.listTags(`${reg.host}/trellis/nope`).catch((e: unknown) => e);
    expect(hasCode(err, OciCode.NotFound)).toBe(true);
  });

  it('works offline from the content cache after one pull', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trellis-oci-cache-'));
    try {
      const built = await buildPackage({ packageRoot: fixture });
      const ref = `${reg.host}/trellis/offline:v1.2.3`;
      await pushArtifact(client, client.parse(ref), built.artifact);
      const creds = mode === 'anonymous' ? {} : { [reg.host]: { ...testUser } };
      const online = new RegistryClient({ keychain: staticKeychain(creds), cache: new FsContentCache(dir), retry: fast });
      await fetchPackage(online, ref);
      await online.listTags(`${reg.host}/trellis/offline`);
      const offline = new RegistryClient({ cache: new FsContentCache(dir), offline: true });
      expect((await fetchPackage(offline, ref)).packageYaml).toBe(built.packageYaml);
      expect(await offline.listTags(`${reg.host}/trellis/offline`)).toEqual(['v1.2.3']);
      const miss = await fetchPackage(offline, `${reg.host}/trellis/offline:v9.9.9`).catch((e: unknown) => e);
      expect(hasCode(miss, OciCode.Offline)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  if (mode !== 'anonymous')
    it('refuses wrong and missing credentials with OCI_UNAUTHORIZED', async () => {
      const wrong = new RegistryClient({
        keychain: staticKeychain({ [reg.host]: { username: 'trellis', password: 'wrong' } }),
        retry: fast,
      });
      const e1 = await wrong.listTags(`${reg.host}/trellis/tagged`).catch((e: unknown) => e);
      expect(hasCode(e1, OciCode.Unauthorized), String(e1)).toBe(true);
      const none = new RegistryClient({ retry: fast });
      const e2 = await none.listTags(`${reg.host}/trellis/tagged`).catch((e: unknown) => e);
      expect(hasCode(e2, OciCode.Unauthorized), String(e2)).toBe(true);
      expect(String(e2)).not.toContain(testUser.password);
    });

  if (mode === 'htpasswd')
    it('reads credentials from a docker config.json', async () => {
      const auth = Buffer.from(`${testUser.username}:${testUser.password}`).toString('base64');
      const c = new RegistryClient({ keychain: dockerConfigKeychain({ config: { auths: { [reg.host]: { auth } } } }), retry: fast });
      expect((await c.listTags(`${reg.host}/trellis/tagged`)).length).toBe(3);
      const helper = new RegistryClient({
        keychain: dockerConfigKeychain({
          config: { credHelpers: { [reg.host]: 'fake' } },
          runHelper: async () => ({ Username: testUser.username, Secret: testUser.password }),
        }),
        retry: fast,
      });
      expect((await helper.listTags(`${reg.host}/trellis/tagged`)).length).toBe(3);
    });

  if (mode === 'token')
    it('asks the token server for scoped tokens and reports insufficient scope as OCI_DENIED', async () => {
      const ts = reg.tokenServer;
      if (ts === undefined) throw new Error('no token server');
      const before = ts.requests;
      await client.listTags(`${reg.host}/trellis/tagged`);
      await client.listTags(`${reg.host}/trellis/tagged`);
      expect(ts.requests - before).toBeLessThanOrEqual(1);
      ts.maxActions = ['pull'];
      try {
        const pullOnly = new RegistryClient({ keychain: staticKeychain({ [reg.host]: { ...testUser } }), retry: fast });
        const built = await buildPackage({ packageRoot: fixture, annotations: { x: 'pull-only' } });
        const err = await pushArtifact(pullOnly, pullOnly.parse(`${reg.host}/trellis/denied:v1`), built.artifact).catch((e: unknown) => e);
        expect(hasCode(err, OciCode.Denied) || hasCode(err, OciCode.Unauthorized), String(err)).toBe(true);
      } finally {
        ts.maxActions = undefined;
      }
    });
});

describe.runIf(have)('registry faults through a proxy', () => {
  let reg: Registry;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  let pkgRef: string;
  let built: Awaited<ReturnType<typeof buildPackage>>;
  const sleeps: number[] = [];
  const client = (): RegistryClient =>
    new RegistryClient({ retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 }, sleep: async (ms) => void sleeps.push(ms) });
  beforeAll(async () => {
    reg = await startRegistry('anonymous');
    proxy = await startFaultProxy(reg.host);
    built = await buildPackage({ packageRoot: fixture });
    pkgRef = `${proxy.host}/trellis/faulty:v1.0.0`;
    await pushArtifact(client(), client().parse(pkgRef), built.artifact);
  });
  afterAll(async () => {
    await proxy?.stop();
    await reg?.stop();
  });

  it('retries 429 honouring Retry-After, then succeeds', async () => {
    sleeps.length = 0;
    proxy.faults.push({
      match: (m, p) => m === 'GET' && p.includes('/manifests/'),
      status: 429,
      headers: { 'Retry-After': '2' },
      times: 1,
    });
    const f = await fetchPackage(client(), pkgRef);
    expect(f.digest).toBe(built.artifact.digest);
    expect(sleeps).toContain(2000);
  });

  it('retries 503 and 502 with backoff, then succeeds', async () => {
    sleeps.length = 0;
    proxy.faults.push(
      { match: (_m, p) => p.includes('/blobs/'), status: 503, times: 1 },
      { match: (_m, p) => p.includes('/blobs/'), status: 502, times: 1 },
    );
    expect((await fetchPackage(client(), pkgRef)).packageYaml).toBe(built.packageYaml);
    expect(sleeps.length).toBe(2);
  });

  const errors: { reason: string; status: number; code: string; times?: number }[] = [
    { reason: 'a persistent 500 after the retries', status: 500, code: OciCode.ServerError, times: 10 },
    { reason: '401 without a challenge', status: 401, code: OciCode.Unauthorized },
    { reason: '403', status: 403, code: OciCode.Denied },
    { reason: '404', status: 404, code: OciCode.NotFound },
    { reason: 'a persistent 429', status: 429, code: OciCode.TooManyRequests, times: 10 },
  ];
  it.each(errors)('fails with a typed error on $reason', async ({ status, code, times }) => {
    proxy.faults.length = 0;
    proxy.faults.push({ match: (m, p) => (m === 'GET' || m === 'HEAD') && p.includes('/manifests/'), status, times: times ?? 2 });
    const err = await fetchPackage(client(), pkgRef).catch((e: unknown) => e);
    proxy.faults.length = 0;
    expect(hasCode(err, code), String(err)).toBe(true);
    expect(String(err)).toContain(`${status}`);
    expect(String(err)).toContain('trellis/faulty');
  });

  it('refuses a blob whose bytes do not match the digest', async () => {
    proxy.faults.push({ match: (m, p) => m === 'GET' && p.includes('/blobs/'), tamper: true, times: 1 });
    const err = await fetchPackage(client(), pkgRef).catch((e: unknown) => e);
    proxy.faults.length = 0;
    expect(hasCode(err, OciCode.DigestMismatch), String(err)).toBe(true);
  });

  it('refuses a manifest whose bytes do not match the digest', async () => {
    proxy.faults.push({ match: (m, p) => m === 'GET' && p.includes('/manifests/sha256:'), tamper: true, times: 1 });
    const err = await fetchPackage(client(), pkgRef).catch((e: unknown) => e);
    proxy.faults.length = 0;
    expect(hasCode(err, OciCode.DigestMismatch) || hasCode(err, OciCode.BadResponse), String(err)).toBe(true);
  });

  it('refuses an oversized blob before downloading it', async () => {
    const small = new RegistryClient({ maxBlobBytes: 10 });
    const img = built.artifact as Image;
    const err = await small
      .getBlob(small.parse(pkgRef), { digest: img.layers[0]?.digest ?? '', size: img.layers[0]?.size ?? 0 })
      .catch((e: unknown) => e);
    expect(hasCode(err, OciCode.TooLarge)).toBe(true);
  });
});
