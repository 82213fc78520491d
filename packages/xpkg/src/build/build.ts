import { createHash } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { TrellisError } from '@trellis/sdk';
import { formatFinding, hasErrors, lintPackage } from '../meta/lint.ts';
import { classifyObjects, parseDocuments } from '../meta/parse.ts';
import type { Finding, PackageMeta, SourcedObject } from '../meta/types.ts';
import { type Platform, XpkgAnnotation } from '../oci/media.ts';
import { YamlEmitter } from './emit.ts';
import { type Artifact, assembleImage, assembleIndex, canonicalJson, type Image, layerLabel, type ManifestFlavour } from './image.ts';
import { writeTar } from './tar.ts';

/** The files crank writes into the package layers. */
export const StreamFile = 'package.yaml';
export const ExamplesFile = '.up/examples.yaml';

/** BuildOptions say what to build. */
export interface BuildOptions {
  /** PackageRoot is the directory holding crossplane.yaml and the package's YAML. */
  packageRoot: string;
  /** ExamplesRoot defaults to `<packageRoot>/examples`; a missing directory means no examples layer. */
  examplesRoot?: string;
  /** Ignore lists globs (relative to the package root) of files to leave out. */
  ignore?: readonly string[];
  /** Platforms: more than one builds an image index, one image per platform. Default linux/amd64. */
  platforms?: readonly Platform[];
  /** Flavour of manifest media types: OCI (default) or Docker schema 2 (what crank pushes). */
  flavour?: ManifestFlavour;
  /** Annotations added to each manifest (and the index). */
  annotations?: Record<string, string>;
  /** CrossplaneVersion, when given, is checked against spec.crossplane.version. */
  crossplaneVersion?: string;
  /** MaxFileBytes bounds one input file (default 50 MiB). */
  maxFileBytes?: number;
}

/** A BuildResult is the linted meta, every finding, the package stream and the built artifact. */
export interface BuildResult {
  meta: PackageMeta;
  findings: Finding[];
  packageYaml: string;
  artifact: Artifact;
  /** Images: the single image, or each image of the index. */
  images: Image[];
}

/**
 * BuildPackage builds an xpkg from a directory the way `crossplane xpkg build` does: it takes
 * every non-empty `*.yaml`/`*.yml` file under the package root (sorted, so the order on disk does
 * not matter) except the examples directory and ignored files, parses and lints them (errors name
 * file, document and field), re-serialises them as one `package.yaml` stream with the meta object
 * first, and writes deterministic layers: same input, same digests.
 */
export async function buildPackage(opts: BuildOptions): Promise<BuildResult> {
  const root = resolve(opts.packageRoot);
  const examplesRoot = resolve(opts.examplesRoot ?? join(root, 'examples'));
  const maxFileBytes = opts.maxFileBytes ?? 50 * 1024 * 1024;
  const ignore = (opts.ignore ?? []).map(globToRegExp);
  const files = await yamlFiles(root, examplesRoot, ignore);
  const docs: SourcedObject[] = [];
  for (const f of files) docs.push(...parseDocuments(await readLimited(f, maxFileBytes), displayPath(f)));
  const pkg = classifyObjects(docs);
  const lintOpts = opts.crossplaneVersion === undefined ? {} : { crossplaneVersion: opts.crossplaneVersion };
  const lint = lintPackage(pkg, { mode: 'build', ...lintOpts });
  if (hasErrors(lint.findings) || lint.meta === undefined) {
    const errors = lint.findings.filter((f) => f.severity === 'error');
    throw new TrellisError(
      'XPKG_LINT_FAILED',
      `package in "${opts.packageRoot}" did not pass lint (${errors.length} error${errors.length === 1 ? '' : 's'}): ${errors.map(formatFinding).join('; ')}`,
      { details: { findings: lint.findings } },
    );
  }
  const meta = lint.meta;
  const packageYaml = encodeStream([lint.meta.object, ...pkg.objects.map((o) => o.object)]);
  const examples = await readExamples(examplesRoot, maxFileBytes);
  const layers = [gzipLayer(StreamFile, packageYaml)];
  if (examples !== undefined) layers.push(gzipLayer(ExamplesFile, examples));
  const labels: Record<string, string> = { [layerLabel(layers[0]?.digest ?? '')]: XpkgAnnotation.Base };
  if (layers[1] !== undefined) labels[layerLabel(layers[1].digest)] = XpkgAnnotation.Examples;
  const platforms = opts.platforms !== undefined && opts.platforms.length > 0 ? opts.platforms : [{ os: 'linux', architecture: 'amd64' }];
  const images = platforms.map((p) => {
    const cfg = configFile(
      p,
      labels,
      layers.map((l) => l.diffId),
    );
    const o: { flavour?: ManifestFlavour; platform: Platform; annotations?: Record<string, string> } = { platform: p };
    if (opts.flavour !== undefined) o.flavour = opts.flavour;
    if (opts.annotations !== undefined) o.annotations = opts.annotations;
    return assembleImage(cfg, layers, o);
  });
  const artifact: Artifact =
    images.length === 1 && opts.platforms === undefined ? (images[0] as Image) : assembleIndex(images, opts.annotations);
  return { meta, findings: lint.findings, packageYaml, artifact, images };
}

/** A built layer: gzip bytes, their digest, and the digest of the uncompressed tar. */
interface BuiltLayer {
  data: Buffer;
  digest: string;
  diffId: string;
}

function gzipLayer(name: string, content: string): BuiltLayer {
  const tar = writeTar([{ name, data: Buffer.from(content, 'utf8'), mode: 0o644 }]);
  const data = gzipSync(tar, { level: 6 });
  return { data, digest: digestOf(data), diffId: digestOf(tar) };
}

function digestOf(b: Buffer): string {
  return `sha256:${createHashHex(b)}`;
}

function createHashHex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function configFile(p: Platform, labels: Record<string, string>, diffIds: string[]): Buffer {
  const sorted = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
  return canonicalJson({
    architecture: p.architecture,
    os: p.os,
    ...(p.variant === undefined ? {} : { variant: p.variant }),
    config: { Labels: sorted },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map(() => ({ created_by: 'trellis xpkg build' })),
  });
}

/** EncodeStream writes objects as crank does: `---`, each object, `---`; keys sorted. */
export function encodeStream(objects: readonly unknown[]): string {
  const emitter = new YamlEmitter();
  let out = '---\n';
  for (const o of objects) out += `${emitter.emit(o)}---\n`;
  return out;
}

async function readLimited(file: string, max: number): Promise<string> {
  const st = await lstat(file);
  if (st.size > max) throw new TrellisError('XPKG_TOO_LARGE', `${file}: ${st.size} bytes is more than the limit of ${max}`);
  return readFile(file, 'utf8');
}

async function yamlFiles(root: string, examplesRoot: string, ignore: readonly RegExp[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new TrellisError('XPKG_BUILD', `cannot read package directory "${dir}"`, { cause: err });
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (p === examplesRoot || e.name === '.git') continue;
        await walk(p);
        continue;
      }
      if (!e.isFile() || !/\.ya?ml$/.test(e.name)) continue;
      const rel = relative(root, p).split(sep).join('/');
      if (ignore.some((g) => g.test(rel))) continue;
      const st = await lstat(p);
      if (st.size === 0) continue;
      out.push(p);
    }
  };
  await walk(root);
  return out;
}

async function readExamples(examplesRoot: string, max: number): Promise<string | undefined> {
  let st: Stats;
  try {
    st = await lstat(examplesRoot);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TrellisError('XPKG_BUILD', `cannot read examples directory "${examplesRoot}"`, { cause: err });
  }
  if (!st.isDirectory()) return undefined;
  const files = await yamlFiles(examplesRoot, '\0', []);
  let out = '';
  for (const f of files) {
    const text = await readLimited(f, max);
    parseDocuments(text, displayPath(f));
    out += `---\n${text.endsWith('\n') ? text : `${text}\n`}`;
  }
  return out;
}

/** GlobToRegExp turns a glob (`*`, `**`, `?`) relative to the package root into a RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^(?:\\./)?${re}$`);
}

function displayPath(f: string): string {
  const rel = relative(process.cwd(), f);
  return rel === '' || rel.startsWith('..') ? f : rel;
}
