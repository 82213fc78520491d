import { gunzipSync } from 'node:zlib';
import { TrellisError } from '@trellis/sdk';
import { type Descriptor, type Manifest, XpkgAnnotation } from '../oci/media.ts';
import { isGzip } from './image.ts';
import { type ReadEntry, readTar } from './tar.ts';

/** ExtractLimits bound what extraction accepts from an untrusted image. */
export interface ExtractLimits {
  /** MaxUncompressedBytes of one layer after gunzip (gzip bombs stop here). Default 200 MiB. */
  maxUncompressedBytes?: number;
  /** MaxStreamBytes of package.yaml. Default 200 MiB, Crossplane's limit. */
  maxStreamBytes?: number;
}

/** A BlobReader returns the verified bytes of a layer. */
export type BlobReader = (d: Descriptor) => Promise<Buffer>;

const defaultMax = 200 * 1024 * 1024;

/**
 * ExtractPackageStream finds `package.yaml` in an xpkg: in the one layer annotated
 * `io.crossplane.xpkg: base` (strictly: that layer may hold only safe regular files and
 * directories), or, when no layer is annotated, in the flattened layers (later layers win, the
 * found entry must be a regular file). Errors: `XPKG_INVALID_PACKAGE`, `XPKG_UNSAFE_TAR`,
 * `XPKG_TOO_LARGE`, `XPKG_BAD_TAR`.
 */
export async function extractPackageStream(manifest: Manifest, read: BlobReader, limits: ExtractLimits = {}): Promise<string> {
  const base = manifest.layers.filter((l) => l.annotations?.[XpkgAnnotation.Key] === XpkgAnnotation.Base);
  if (base.length > 1) {
    throw new TrellisError(
      'XPKG_INVALID_PACKAGE',
      `package is invalid: ${base.length} layers are annotated ${XpkgAnnotation.Key}: base (want at most one)`,
    );
  }
  const maxStream = limits.maxStreamBytes ?? defaultMax;
  if (base[0] !== undefined) {
    const entries = await layerEntries(base[0], read, limits, true);
    const e = entries.find((x) => x.type === 'file' && basename(x.name) === 'package.yaml');
    if (e?.data === undefined)
      throw new TrellisError('XPKG_INVALID_PACKAGE', `package is invalid: base layer ${base[0].digest} has no package.yaml`);
    return streamText(e.data, maxStream);
  }
  let found: ReadEntry | undefined;
  for (const l of manifest.layers) {
    for (const e of await layerEntries(l, read, limits, false)) {
      const b = basename(e.name);
      if (b === '.wh.package.yaml') found = undefined;
      if (b !== 'package.yaml') continue;
      if (e.type !== 'file') {
        throw new TrellisError(
          'XPKG_UNSAFE_TAR',
          `layer ${l.digest}: refusing entry "${e.name}": package.yaml is a ${e.type}, not a regular file`,
        );
      }
      found = e;
    }
  }
  if (found?.data === undefined) throw new TrellisError('XPKG_INVALID_PACKAGE', 'package is invalid: no layer holds package.yaml');
  return streamText(found.data, maxStream);
}

function streamText(data: Buffer, max: number): string {
  if (data.length > max) throw new TrellisError('XPKG_TOO_LARGE', `package.yaml is ${data.length} bytes, more than the limit of ${max}`);
  return data.toString('utf8');
}

function basename(p: string): string {
  const parts = p.split('/').filter((x) => x !== '' && x !== '.');
  return parts.at(-1) ?? '';
}

async function layerEntries(l: Descriptor, read: BlobReader, limits: ExtractLimits, strict: boolean): Promise<ReadEntry[]> {
  const data = await read(l);
  const max = limits.maxUncompressedBytes ?? defaultMax;
  const tar = isGzip(data) ? gunzipLimited(data, max, l.digest) : data;
  if (tar.length > max) throw new TrellisError('XPKG_TOO_LARGE', `layer ${l.digest}: ${tar.length} bytes, more than the limit of ${max}`);
  return readTar(tar, { strict, what: `layer ${l.digest}` });
}

/** GunzipLimited decompresses at most `max` bytes; more is a gzip bomb (`XPKG_TOO_LARGE`). */
export function gunzipLimited(data: Buffer, max: number, what: string): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new TrellisError('XPKG_TOO_LARGE', `${what}: decompresses to more than ${max} bytes (refusing a possible gzip bomb)`, {
        cause: err,
      });
    }
    throw new TrellisError('XPKG_BAD_TAR', `${what}: not valid gzip`, { cause: err });
  }
}
