import { type ExtractLimits, extractPackageStream } from '../build/extract.ts';
import type { Artifact, Image } from '../build/image.ts';
import type { RegistryClient } from './client.ts';
import type { Platform } from './media.ts';
import { formatReference, type Reference } from './reference.ts';

/** PushOptions tune a push. */
export interface PushOptions {
  /** MountFrom names a repository on the same registry to mount existing blobs from. */
  mountFrom?: string;
  /** Chunked forces chunked blob uploads. */
  chunked?: boolean;
}

/**
 * PushArtifact pushes an image or index in the only safe order: blobs, then image manifests,
 * then the index (children by digest), and finally the tag. It returns the pushed digest, which
 * equals the artifact's digest (the registry's answer is checked).
 */
export async function pushArtifact(client: RegistryClient, ref: Reference, artifact: Artifact, opts: PushOptions = {}): Promise<string> {
  const tagOrDigest = ref.tag ?? ref.digest ?? artifact.digest;
  if (artifact.kind === 'image') {
    await pushImageBlobs(client, ref, artifact, opts);
    return client.putManifest(ref, tagOrDigest, artifact.manifestBytes, artifact.mediaType);
  }
  for (const img of artifact.images) {
    await pushImageBlobs(client, ref, img, opts);
    await client.putManifest(ref, img.digest, img.manifestBytes, img.mediaType);
  }
  return client.putManifest(ref, tagOrDigest, artifact.indexBytes, artifact.mediaType);
}

async function pushImageBlobs(client: RegistryClient, ref: Reference, img: Image, opts: PushOptions): Promise<void> {
  const o: { digest?: string; mountFrom?: string; chunked?: boolean } = {};
  if (opts.mountFrom !== undefined) o.mountFrom = opts.mountFrom;
  if (opts.chunked !== undefined) o.chunked = opts.chunked;
  for (const b of [img.config, ...img.layers]) await client.pushBlob(ref, b.data, { ...o, digest: b.digest });
}

/** A FetchedPackage is a package's stream as pulled, with the digests that identify it. */
export interface FetchedPackage {
  ref: Reference;
  /** Digest is what the reference resolved to (an index's digest for multi-platform packages). */
  digest: string;
  manifestDigest: string;
  packageYaml: string;
}

/**
 * FetchPackage pulls a package the way Crossplane's package manager does: resolve the tag to a
 * digest first, then fetch by digest (a tag moving mid-flight cannot swap content), pick the
 * platform's image, and extract `package.yaml` from the base layer, every blob verified.
 */
export async function fetchPackage(
  client: RegistryClient,
  refOrString: Reference | string,
  opts: { platform?: Platform; limits?: ExtractLimits } = {},
): Promise<FetchedPackage> {
  const ref = typeof refOrString === 'string' ? client.parse(refOrString) : refOrString;
  const digest = await client.resolveDigest(ref);
  const pinned: Reference = { ...ref, digest };
  const img = await client.pullImage(pinned, opts.platform);
  const packageYaml = await extractPackageStream(img.manifest, (d) => client.getBlob(pinned, d), opts.limits);
  return { ref, digest, manifestDigest: img.manifestDigest, packageYaml };
}

/** Describe prints a reference for messages. */
export function describe(ref: Reference): string {
  return formatReference(ref);
}
