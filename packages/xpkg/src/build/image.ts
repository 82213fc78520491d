import { gunzipSync } from 'node:zlib';
import { TrellisError } from '@trellis/sdk';
import {
  type Descriptor,
  hexOf,
  type ImageConfigFile,
  type Index,
  type Manifest,
  MediaType,
  type Platform,
  sha256,
  XpkgAnnotation,
} from '../oci/media.ts';
import { readTar, writeTar } from './tar.ts';

/** A Blob is content with its descriptor fields. */
export interface Blob {
  digest: string;
  size: number;
  mediaType: string;
  data: Buffer;
  annotations?: Record<string, string>;
}

/** An Image is a single-platform image held in memory, with the exact manifest bytes to push. */
export interface Image {
  kind: 'image';
  manifest: Manifest;
  manifestBytes: Buffer;
  digest: string;
  mediaType: string;
  config: Blob;
  configFile: ImageConfigFile;
  layers: Blob[];
  platform?: Platform;
}

/** An ImageIndex is a multi-platform index with its images. */
export interface ImageIndex {
  kind: 'index';
  index: Index;
  indexBytes: Buffer;
  digest: string;
  mediaType: string;
  images: Image[];
}

/** An Artifact is what a build produces and a push sends. */
export type Artifact = Image | ImageIndex;

/** ManifestFlavour picks OCI or Docker schema 2 media types. */
export type ManifestFlavour = 'oci' | 'docker';

/** LayerLabel is the config label crank uses to carry a layer annotation through a `.xpkg` file. */
export function layerLabel(layerDigest: string): string {
  return `${XpkgAnnotation.Key}:${layerDigest}`;
}

/** CanonicalJson serialises with the key order of the object (callers build objects in a fixed order). */
export function canonicalJson(v: unknown): Buffer {
  return Buffer.from(JSON.stringify(v), 'utf8');
}

/**
 * AssembleImage builds the manifest for a config and compressed layers. Layer annotations come
 * from the `io.crossplane.xpkg:<digest>` config labels (what crank's `AnnotateLayers` does at
 * push), so an image read back from a `.xpkg` file gets the same manifest, byte for byte.
 */
export function assembleImage(
  configBytes: Buffer,
  layers: readonly { data: Buffer; mediaType?: string }[],
  opts: { flavour?: ManifestFlavour; platform?: Platform; annotations?: Record<string, string> } = {},
): Image {
  const flavour = opts.flavour ?? 'oci';
  const configFile = JSON.parse(configBytes.toString('utf8')) as ImageConfigFile;
  const labels = configFile.config?.Labels ?? {};
  const config: Blob = {
    digest: sha256(configBytes),
    size: configBytes.length,
    mediaType: flavour === 'oci' ? MediaType.OciConfig : MediaType.DockerConfig,
    data: configBytes,
  };
  const blobs: Blob[] = layers.map((l) => {
    const digest = sha256(l.data);
    const gz = isGzip(l.data);
    const mediaType =
      flavour === 'oci' ? (gz ? MediaType.OciLayerGzip : MediaType.OciLayer) : gz ? MediaType.DockerLayerGzip : MediaType.DockerLayer;
    const b: Blob = { digest, size: l.data.length, mediaType: l.mediaType ?? mediaType, data: l.data };
    const a = labels[layerLabel(digest)];
    if (a !== undefined) b.annotations = { [XpkgAnnotation.Key]: a };
    return b;
  });
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: flavour === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: blobs.map((b) => descriptorOf(b)),
  };
  if (opts.annotations !== undefined && Object.keys(opts.annotations).length > 0) manifest.annotations = sortRecord(opts.annotations);
  const manifestBytes = canonicalJson(manifest);
  const img: Image = {
    kind: 'image',
    manifest,
    manifestBytes,
    digest: sha256(manifestBytes),
    mediaType: manifest.mediaType ?? MediaType.OciManifest,
    config,
    configFile,
    layers: blobs,
  };
  const platform = opts.platform ?? platformOf(configFile);
  if (platform !== undefined) img.platform = platform;
  return img;
}

function descriptorOf(b: Blob): Descriptor {
  const d: Descriptor = { mediaType: b.mediaType, digest: b.digest, size: b.size };
  if (b.annotations !== undefined) d.annotations = b.annotations;
  return d;
}

function platformOf(cfg: ImageConfigFile): Platform | undefined {
  if (typeof cfg.architecture !== 'string' || typeof cfg.os !== 'string' || cfg.architecture === '' || cfg.os === '') return undefined;
  return { architecture: cfg.architecture, os: cfg.os };
}

/** AssembleIndex wraps images in an OCI index whose descriptors carry each image's platform. */
export function assembleIndex(images: readonly Image[], annotations?: Record<string, string>): ImageIndex {
  const index: Index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: images.map((img) => {
      const d: Descriptor = { mediaType: img.mediaType, digest: img.digest, size: img.manifestBytes.length };
      if (img.platform !== undefined) d.platform = img.platform;
      return d;
    }),
  };
  if (annotations !== undefined && Object.keys(annotations).length > 0) index.annotations = sortRecord(annotations);
  const indexBytes = canonicalJson(index);
  return { kind: 'index', index, indexBytes, digest: sha256(indexBytes), mediaType: MediaType.OciIndex, images: [...images] };
}

function sortRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** IsGzip reports whether bytes start with the gzip magic. */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * WriteXpkgFile writes an image as a `.xpkg` file: the `docker save`-style tarball upstream's
 * `crossplane xpkg build` writes (GGCR `tarball.Write`): the config as `sha256:<hex>`, each layer
 * as `<hex>.tar.gz`, and `manifest.json`.
 */
export function writeXpkgFile(img: Image, repoTags: string[] | null = null): Buffer {
  const layerFiles = img.layers.map((l) => `${hexOf(l.digest)}${isGzip(l.data) ? '.tar.gz' : '.tar'}`);
  const seen = new Set<string>();
  const entries = [{ name: img.config.digest, data: img.config.data }];
  for (const [i, l] of img.layers.entries()) {
    const name = layerFiles[i] ?? '';
    if (seen.has(name)) continue;
    seen.add(name);
    entries.push({ name, data: l.data });
  }
  const manifest = [{ Config: img.config.digest, RepoTags: repoTags, Layers: layerFiles }];
  entries.push({ name: 'manifest.json', data: canonicalJson(manifest) });
  return writeTar(entries);
}

/** XpkgFileLimits bound a `.xpkg` file read. */
export interface XpkgFileLimits {
  maxBytes?: number;
}

/** GunzipFile decompresses a gzipped .xpkg file; zlib errors become XPKG_TOO_LARGE or XPKG_INVALID_FILE. */
function gunzipFile(buf: Buffer, max: number, file: string): Buffer {
  try {
    return gunzipSync(buf, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new TrellisError('XPKG_TOO_LARGE', `${file}: decompresses to more than ${max} bytes`, { cause: err });
    }
    throw new TrellisError('XPKG_INVALID_FILE', `${file}: not a valid gzip stream`, { cause: err });
  }
}

/**
 * ReadXpkgFile reads a `.xpkg` file (ours or crank's) back into an image. Layer annotations are
 * restored from the config labels, as crank's push does. Errors are `XPKG_INVALID_FILE`.
 */
export function readXpkgFile(buf: Buffer, file = 'package.xpkg', opts: { flavour?: ManifestFlavour } & XpkgFileLimits = {}): Image {
  if (opts.maxBytes !== undefined && buf.length > opts.maxBytes) {
    throw new TrellisError('XPKG_TOO_LARGE', `${file}: larger than ${opts.maxBytes} bytes`);
  }
  // A corrupt or oversized gzip stream is a clean XPKG_BAD_TAR / XPKG_TOO_LARGE, not a zlib error.
  const entries = readTar(isGzip(buf) ? gunzipFile(buf, Math.max(buf.length * 20, 64 << 20), file) : buf, {
    strict: true,
    what: file,
  });
  const files = new Map(entries.filter((e) => e.type === 'file').map((e) => [e.name.replace(/^\.\//, ''), e.data ?? Buffer.alloc(0)]));
  const mj = files.get('manifest.json');
  if (mj === undefined) throw new TrellisError('XPKG_INVALID_FILE', `${file}: not a package file: no manifest.json`);
  let manifest: unknown;
  try {
    manifest = JSON.parse(mj.toString('utf8'));
  } catch (err) {
    throw new TrellisError('XPKG_INVALID_FILE', `${file}: manifest.json is not JSON`, { cause: err });
  }
  if (!Array.isArray(manifest) || manifest.length !== 1) {
    throw new TrellisError(
      'XPKG_INVALID_FILE',
      `${file}: manifest.json must list exactly one image, found ${Array.isArray(manifest) ? manifest.length : 'none'}`,
    );
  }
  const m = manifest[0] as { Config?: unknown; Layers?: unknown };
  if (typeof m.Config !== 'string' || !Array.isArray(m.Layers) || m.Layers.some((l) => typeof l !== 'string')) {
    throw new TrellisError('XPKG_INVALID_FILE', `${file}: manifest.json entry needs Config (string) and Layers (strings)`);
  }
  const configBytes = files.get(m.Config);
  if (configBytes === undefined)
    throw new TrellisError('XPKG_INVALID_FILE', `${file}: config "${m.Config}" named in manifest.json is missing`);
  if (m.Config.startsWith('sha256:') && sha256(configBytes) !== m.Config) {
    throw new TrellisError('XPKG_DIGEST_MISMATCH', `${file}: config digest is ${sha256(configBytes)}, manifest.json says ${m.Config}`);
  }
  const layers = (m.Layers as string[]).map((name) => {
    const data = files.get(name);
    if (data === undefined) throw new TrellisError('XPKG_INVALID_FILE', `${file}: layer "${name}" named in manifest.json is missing`);
    const hex = name.replace(/\.tar(\.gz|\.zst)?$/, '');
    if (/^[a-f0-9]{64}$/.test(hex) && hexOf(sha256(data)) !== hex) {
      throw new TrellisError('XPKG_DIGEST_MISMATCH', `${file}: layer "${name}" has digest ${sha256(data)}`);
    }
    return { data };
  });
  const flavour: { flavour?: ManifestFlavour } = opts.flavour === undefined ? {} : { flavour: opts.flavour };
  return assembleImage(configBytes, layers, flavour);
}
