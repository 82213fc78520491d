import { createHash } from 'node:crypto';

/** Media types a package manager meets (OCI and Docker schema 2). */
export const MediaType = {
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

/** The Accept header for manifests: every type the client can handle. */
export const ManifestAccept = [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest].join(
  ', ',
);

/** The annotation key and values Crossplane puts on xpkg layers. */
export const XpkgAnnotation = {
  Key: 'io.crossplane.xpkg',
  Base: 'base',
  Examples: 'upbound',
} as const;

/** A Descriptor points at content by digest (OCI image-spec). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

/** A Platform says which OS and CPU an image in an index is for. */
export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  variant?: string;
}

/** A Manifest is an image manifest (OCI or Docker schema 2; they share this shape). */
export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
  subject?: Descriptor;
  artifactType?: string;
}

/** An Index lists manifests, usually one per platform. */
export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** An ImageConfig is the part of the image config file a package uses. */
export interface ImageConfigFile {
  architecture?: string;
  os?: string;
  created?: string;
  config?: { Labels?: Record<string, string>; [k: string]: unknown };
  rootfs?: { type: string; diff_ids: string[] };
  history?: unknown[];
  [k: string]: unknown;
}

/** Sha256 returns the `sha256:<hex>` digest of bytes. */
export function sha256(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** HexOf returns the hex part of a digest. */
export function hexOf(digest: string): string {
  const i = digest.indexOf(':');
  return i < 0 ? digest : digest.slice(i + 1);
}

/** IsIndexType reports whether a media type is an index or manifest list. */
export function isIndexType(mediaType: string): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}

/** IsManifestType reports whether a media type is an image manifest. */
export function isManifestType(mediaType: string): boolean {
  return mediaType === MediaType.OciManifest || mediaType === MediaType.DockerManifest;
}

/** IsGzipLayer reports whether a layer media type is gzip-compressed. */
export function isGzipLayer(mediaType: string): boolean {
  return mediaType.endsWith('+gzip') || mediaType.endsWith('.tar.gzip');
}
