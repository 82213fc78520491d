import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TrellisError } from '@trellis/sdk';
import { hexOf, sha256 } from './media.ts';

/**
 * A ContentCache stores registry content for offline work: blobs and manifests by digest
 * (verified on every read: a corrupt file is a miss and is removed), tag→digest, and tag lists.
 */
export interface ContentCache {
  getBlob(digest: string): Promise<Buffer | undefined>;
  putBlob(digest: string, data: Buffer): Promise<void>;
  getTag(registry: string, repository: string, tag: string): Promise<string | undefined>;
  putTag(registry: string, repository: string, tag: string, digest: string): Promise<void>;
  getTags(registry: string, repository: string): Promise<string[] | undefined>;
  putTags(registry: string, repository: string, tags: string[]): Promise<void>;
}

const digestRe = /^sha256:[a-f0-9]{64}$/;

/** FsContentCache is a ContentCache in a directory (`~/.cache/trellis/xpkg` by default in the CLI). */
export class FsContentCache implements ContentCache {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  private blobPath(digest: string): string {
    if (!digestRe.test(digest)) throw new TrellisError('XPKG_INVALID_DIGEST', `invalid digest "${digest}"`);
    return join(this.dir, 'blobs', 'sha256', hexOf(digest));
  }

  private repoDir(registry: string, repository: string): string {
    const safe = (s: string): string => s.replace(/[^A-Za-z0-9._/-]/g, '_').replace(/\.\.+/g, '_');
    return join(this.dir, 'repos', safe(registry), safe(repository));
  }

  async getBlob(digest: string): Promise<Buffer | undefined> {
    const p = this.blobPath(digest);
    const data = await readIfExists(p);
    if (data === undefined) return undefined;
    if (sha256(data) !== digest) {
      await rm(p, { force: true });
      return undefined;
    }
    return data;
  }

  async putBlob(digest: string, data: Buffer): Promise<void> {
    if (sha256(data) !== digest)
      throw new TrellisError('XPKG_DIGEST_MISMATCH', `refusing to cache content under ${digest}: it hashes to ${sha256(data)}`);
    await atomicWrite(this.blobPath(digest), data);
  }

  async getTag(registry: string, repository: string, tag: string): Promise<string | undefined> {
    const data = await readIfExists(join(this.repoDir(registry, repository), 'tags', encodeURIComponent(tag)));
    const d = data?.toString('utf8').trim();
    return d !== undefined && digestRe.test(d) ? d : undefined;
  }

  async putTag(registry: string, repository: string, tag: string, digest: string): Promise<void> {
    await atomicWrite(join(this.repoDir(registry, repository), 'tags', encodeURIComponent(tag)), Buffer.from(digest));
  }

  async getTags(registry: string, repository: string): Promise<string[] | undefined> {
    const data = await readIfExists(join(this.repoDir(registry, repository), 'tags.json'));
    if (data === undefined) return undefined;
    try {
      const j = JSON.parse(data.toString('utf8')) as unknown;
      return Array.isArray(j) && j.every((t) => typeof t === 'string') ? (j as string[]) : undefined;
    } catch {
      // Documented expected case: a damaged cache entry is a miss.
      return undefined;
    }
  }

  async putTags(registry: string, repository: string, tags: string[]): Promise<void> {
    await atomicWrite(join(this.repoDir(registry, repository), 'tags.json'), Buffer.from(JSON.stringify(tags)));
  }
}

async function readIfExists(p: string): Promise<Buffer | undefined> {
  try {
    return await readFile(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TrellisError('XPKG_CACHE', `cannot read cache file "${p}"`, { cause: err });
  }
}

let seq = 0;
async function atomicWrite(p: string, data: Buffer): Promise<void> {
  await mkdir(dirname(p), { recursive: true });
  const tmp = `${p}.${process.pid}.${seq++}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, p);
}

/** MemoryContentCache is a ContentCache in memory (tests, one-shot CLI runs). */
export class MemoryContentCache implements ContentCache {
  private readonly blobs = new Map<string, Buffer>();
  private readonly tags = new Map<string, string>();
  private readonly lists = new Map<string, string[]>();
  async getBlob(digest: string): Promise<Buffer | undefined> {
    return this.blobs.get(digest);
  }
  async putBlob(digest: string, data: Buffer): Promise<void> {
    if (sha256(data) !== digest) throw new TrellisError('XPKG_DIGEST_MISMATCH', `refusing to cache content under ${digest}`);
    this.blobs.set(digest, data);
  }
  async getTag(registry: string, repository: string, tag: string): Promise<string | undefined> {
    return this.tags.get(`${registry}/${repository}:${tag}`);
  }
  async putTag(registry: string, repository: string, tag: string, digest: string): Promise<void> {
    this.tags.set(`${registry}/${repository}:${tag}`, digest);
  }
  async getTags(registry: string, repository: string): Promise<string[] | undefined> {
    return this.lists.get(`${registry}/${repository}`);
  }
  async putTags(registry: string, repository: string, tags: string[]): Promise<void> {
    this.lists.set(`${registry}/${repository}`, tags);
  }
}
