import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { newKubeClient } from '@trellis/kube';
import { TrellisError } from '@trellis/sdk';
import {
  assembleImage,
  assembleIndex,
  buildPackage,
  dockerConfigKeychain,
  extractPackageStream,
  FsContentCache,
  fetchPackage,
  formatFinding,
  type Image,
  type Platform,
  packageObjectName,
  pushArtifact,
  RegistryClient,
  readXpkgFile,
  toDnsLabel,
  writeXpkgFile,
} from '@trellis/xpkg';
import type { CAC } from 'cac';
import { stringify } from 'yaml';
import type { CommandContext } from '../context.ts';

/** XpkgOptions are the flags of every `trellis xpkg` action (cac has one flag set per command). */
export interface XpkgOptions {
  packageRoot?: string;
  examplesRoot?: string;
  packageFile?: string;
  packageFiles?: string;
  ignore?: string;
  platform?: string;
  flavour?: string;
  output?: string;
  fromXpkg?: boolean | string;
  kubeconfig?: string;
  wait?: boolean;
  timeout?: number | string;
  manualActivation?: boolean;
  revisionHistoryLimit?: number | string;
  packagePullSecrets?: string;
  type?: string;
  cacheDir?: string;
  json?: boolean;
}

/** DefaultCacheDir is `$TRELLIS_CACHE_DIR`, else `~/.cache/trellis/xpkg`. */
export function defaultCacheDir(): string {
  return process.env.TRELLIS_CACHE_DIR ?? join(homedir(), '.cache', 'trellis', 'xpkg');
}

/** RegistryClientFor builds the CLI's registry client: docker config credentials and the cache. */
export function registryClientFor(opts: { cacheDir?: string; offline?: boolean }): RegistryClient {
  return new RegistryClient({
    keychain: dockerConfigKeychain(),
    cache: new FsContentCache(opts.cacheDir ?? defaultCacheDir()),
    offline: opts.offline === true,
  });
}

function list(s: string | undefined): string[] {
  return (s ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function usage(msg: string): TrellisError {
  return new TrellisError('CLI_USAGE', msg);
}

function parsePlatforms(s: string | undefined): Platform[] | undefined {
  const l = list(s);
  if (l.length === 0) return undefined;
  return l.map((p) => {
    const [os, architecture, variant] = p.split('/');
    if (os === undefined || architecture === undefined || os === '' || architecture === '')
      throw usage(`--platform wants os/arch[,os/arch…], got "${p}"`);
    return variant === undefined ? { os, architecture } : { os, architecture, variant };
  });
}

/** RunXpkgBuild builds a package and writes `.xpkg` file(s); one per platform when several are asked for. */
export async function runXpkgBuild(ctx: CommandContext, opts: XpkgOptions): Promise<number> {
  const root = resolve(opts.packageRoot ?? '.');
  const platforms = parsePlatforms(opts.platform);
  const b: Parameters<typeof buildPackage>[0] = { packageRoot: root, ignore: list(opts.ignore) };
  if (opts.examplesRoot !== undefined) b.examplesRoot = resolve(opts.examplesRoot);
  if (platforms !== undefined) b.platforms = platforms;
  if (opts.flavour !== undefined) {
    if (opts.flavour !== 'oci' && opts.flavour !== 'docker') throw usage(`--flavour wants oci or docker, got "${opts.flavour}"`);
    b.flavour = opts.flavour;
  }
  const r = await buildPackage(b);
  for (const f of r.findings) ctx.log.info(formatFinding(f));
  const files: string[] = [];
  for (const img of r.images) {
    const suffix = r.images.length > 1 ? `-${img.platform?.architecture ?? 'unknown'}` : '';
    const file =
      opts.packageFile !== undefined && r.images.length === 1
        ? resolve(opts.packageFile)
        : opts.packageFile !== undefined
          ? resolve(opts.packageFile.replace(/\.xpkg$/, `${suffix}.xpkg`))
          : join(root, `${toDnsLabel(`${r.meta.name.slice(0, 50)}-${img.digest.slice(7, 19)}`)}${suffix}.xpkg`);
    await writeFile(file, writeXpkgFile(img));
    files.push(file);
  }
  if (opts.json === true) ctx.io.out(`${JSON.stringify({ name: r.meta.name, type: r.meta.type, digest: r.artifact.digest, files })}\n`);
  else ctx.io.out(`built ${r.meta.type} "${r.meta.name}" ${r.artifact.digest}\n${files.map((f) => `  ${f}`).join('\n')}\n`);
  return 0;
}

/** RunXpkgPush pushes `.xpkg` file(s) to a tag; several files become an index (one image per platform). */
export async function runXpkgPush(ctx: CommandContext, ref: string | undefined, opts: XpkgOptions): Promise<number> {
  if (ref === undefined) throw usage('xpkg push needs a reference: trellis xpkg push registry.example.com/org/pkg:v1.0.0');
  let files = list(opts.packageFiles ?? opts.packageFile);
  if (files.length === 0) {
    const found = (await readdir('.')).filter((f) => f.endsWith('.xpkg'));
    if (found.length !== 1) throw usage(`found ${found.length} .xpkg files in the current directory; name one with --package-files`);
    files = found;
  }
  const flavour = opts.flavour === 'docker' ? 'docker' : 'oci';
  const images: Image[] = [];
  for (const f of files) images.push(readXpkgFile(await readFile(f), basename(f), { flavour }));
  const client = registryClientFor(opts);
  const target = client.parse(ref);
  if (target.tag === undefined && target.digest === undefined) throw usage(`"${ref}" has no tag`);
  const artifact = images.length === 1 ? (images[0] as Image) : assembleIndex(images);
  const digest = await pushArtifact(client, target, artifact);
  ctx.io.out(opts.json === true ? `${JSON.stringify({ ref, digest })}\n` : `pushed ${ref} ${digest}\n`);
  return 0;
}

/** RunXpkgPull pulls a package and writes it as a `.xpkg` file (every blob verified). */
export async function runXpkgPull(ctx: CommandContext, ref: string | undefined, opts: XpkgOptions): Promise<number> {
  if (ref === undefined) throw usage('xpkg pull needs a reference');
  const client = registryClientFor(opts);
  const r = client.parse(ref);
  const digest = await client.resolveDigest(r);
  const pinned = { ...r, digest };
  const img = await client.pullImage(pinned);
  const config = await client.getBlob(pinned, img.manifest.config);
  const layers = [];
  for (const l of img.manifest.layers) layers.push({ data: await client.getBlob(pinned, l), mediaType: l.mediaType });
  const rebuilt = assembleImage(config, layers, { flavour: img.mediaType.includes('docker') ? 'docker' : 'oci' });
  const file = resolve(opts.output ?? `${packageObjectName(ref)}.xpkg`);
  await writeFile(file, writeXpkgFile(rebuilt));
  ctx.io.out(
    opts.json === true
      ? `${JSON.stringify({ ref, digest, manifestDigest: img.manifestDigest, file })}\n`
      : `pulled ${ref} ${digest}\n  ${file}\n`,
  );
  return 0;
}

/** RunXpkgExtract writes a package's `package.yaml`, gzipped, like `crossplane xpkg extract`. */
export async function runXpkgExtract(ctx: CommandContext, ref: string | undefined, opts: XpkgOptions): Promise<number> {
  let stream: string;
  if (opts.fromXpkg !== undefined && opts.fromXpkg !== false) {
    let file = typeof opts.fromXpkg === 'string' ? opts.fromXpkg : ref;
    if (file === undefined) {
      const found = (await readdir('.')).filter((f) => f.endsWith('.xpkg'));
      if (found.length !== 1) throw usage(`found ${found.length} .xpkg files in the current directory; name one`);
      file = found[0] as string;
    }
    const img = readXpkgFile(await readFile(file), basename(file));
    stream = await extractPackageStream(img.manifest, async (d) => img.layers.find((l) => l.digest === d.digest)?.data ?? Buffer.alloc(0));
  } else {
    if (ref === undefined) throw usage('xpkg extract needs a reference, or --from-xpkg [file]');
    stream = (await fetchPackage(registryClientFor(opts), ref)).packageYaml;
  }
  const out = resolve(opts.output ?? 'out.gz');
  if (out.endsWith('.gz')) await writeFile(out, gzipSync(stream));
  else await writeFile(out, stream);
  ctx.io.out(`${out}\n`);
  return 0;
}

const installKinds: Record<string, string> = { provider: 'Provider', configuration: 'Configuration', function: 'Function' };

/** RunXpkgInstall creates a Provider, Configuration or Function object, optionally waiting for Healthy. */
export async function runXpkgInstall(ctx: CommandContext, args: string[], opts: XpkgOptions): Promise<number> {
  const [kindArg, ref, nameArg] = args;
  const kind = installKinds[kindArg ?? ''];
  if (kind === undefined || ref === undefined) throw usage('usage: trellis xpkg install <provider|configuration|function> <ref> [name]');
  const r = new RegistryClient().parse(ref);
  if (r.tag === undefined && r.digest === undefined) throw usage(`"${ref}" needs a tag or digest`);
  const name = nameArg ?? packageObjectName(ref);
  const spec: Record<string, unknown> = { package: ref };
  if (opts.manualActivation === true) spec.revisionActivationPolicy = 'Manual';
  if (opts.revisionHistoryLimit !== undefined) spec.revisionHistoryLimit = Number(opts.revisionHistoryLimit);
  const secrets = list(opts.packagePullSecrets);
  if (secrets.length > 0) spec.packagePullSecrets = secrets.map((s) => ({ name: s }));
  const client = await newKubeClient(opts.kubeconfig === undefined ? { log: ctx.log } : { kubeconfigPath: opts.kubeconfig, log: ctx.log });
  try {
    await client.create({ apiVersion: 'pkg.crossplane.io/v1', kind, metadata: { name }, spec });
    ctx.io.out(`${kind.toLowerCase()}.pkg.crossplane.io/${name} created\n`);
    if (opts.wait !== true) return 0;
    const deadline = Date.now() + Number(opts.timeout ?? 300) * 1000;
    for (;;) {
      const o = await client.get<{
        apiVersion: string;
        kind: string;
        metadata: { name?: string };
        status?: { conditions?: { type: string; status: string; message?: string }[] };
      }>({
        apiVersion: 'pkg.crossplane.io/v1',
        kind,
        name,
      });
      const healthy = o.status?.conditions?.find((c) => c.type === 'Healthy');
      if (healthy?.status === 'True') {
        ctx.io.out(`${kind.toLowerCase()}.pkg.crossplane.io/${name} is healthy\n`);
        return 0;
      }
      if (Date.now() > deadline || ctx.signal.aborted) {
        throw new TrellisError(
          'CLI_TIMEOUT',
          `${kind} "${name}" did not become healthy: ${healthy?.message ?? 'no Healthy condition yet'}`,
        );
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
  } finally {
    (client as { close?: () => void }).close?.();
  }
}

/** RunXpkgInit writes a new package directory from a built-in template (no network). */
export async function runXpkgInit(ctx: CommandContext, args: string[], opts: XpkgOptions): Promise<number> {
  const [name, dirArg] = args;
  if (name === undefined || toDnsLabel(name) !== name)
    throw usage('usage: trellis xpkg init <name> [dir] [--type configuration|provider|function] (name: a DNS label)');
  const type = installKinds[opts.type ?? 'configuration'];
  if (type === undefined) throw usage(`--type wants configuration, provider or function, got "${opts.type}"`);
  const dir = resolve(dirArg ?? name);
  await mkdir(join(dir, 'examples'), { recursive: true });
  const meta = {
    apiVersion: 'meta.pkg.crossplane.io/v1',
    kind: type,
    metadata: { name, annotations: { 'meta.crossplane.io/description': `The ${name} package.` } },
    spec: { crossplane: { version: '>=v2.0.0-0' }, dependsOn: [] },
  };
  await writeFile(join(dir, 'crossplane.yaml'), stringify(meta), { flag: 'wx' }).catch((err: unknown) => {
    throw new TrellisError('CLI_USAGE', `${join(dir, 'crossplane.yaml')} already exists`, { cause: err });
  });
  if (type === 'Configuration') {
    await mkdir(join(dir, 'apis'), { recursive: true });
    const group = `${name}.example.org`;
    await writeFile(
      join(dir, 'apis', 'definition.yaml'),
      stringify({
        apiVersion: 'apiextensions.crossplane.io/v2',
        kind: 'CompositeResourceDefinition',
        metadata: { name: `xexamples.${group}` },
        spec: {
          group,
          names: { kind: 'XExample', plural: 'xexamples' },
          scope: 'Namespaced',
          versions: [
            {
              name: 'v1alpha1',
              served: true,
              referenceable: true,
              schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object' } } } },
            },
          ],
        },
      }),
    );
    await writeFile(
      join(dir, 'examples', 'example.yaml'),
      stringify({ apiVersion: `${group}/v1alpha1`, kind: 'XExample', metadata: { name: 'example', namespace: 'default' }, spec: {} }),
    );
  }
  ctx.io.out(`created ${type} package "${name}" in ${dir}\nnext: trellis xpkg build -f ${dir}\n`);
  return 0;
}

/** RegisterXpkg adds `trellis xpkg build|push|pull|install|init|extract`. */
export function registerXpkg(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command(
      'xpkg <action> [...args]',
      'Build, push, pull, extract, install and scaffold Crossplane packages (build|push|pull|extract|install|init)',
    )
    .option('-f, --package-root <dir>', 'build: the directory holding crossplane.yaml (default .)')
    .option('-e, --examples-root <dir>', 'build: examples directory (default <package-root>/examples)')
    .option('-o, --package-file <file>', 'build: the .xpkg file to write; push: the file to push')
    .option('--package-files <files>', 'push: comma-separated .xpkg files (several make a multi-platform index)')
    .option('--ignore <globs>', 'build: comma-separated globs, relative to the package root, to leave out')
    .option('--platform <list>', 'build: os/arch list, e.g. linux/amd64,linux/arm64 (default linux/amd64)')
    .option('--flavour <oci|docker>', 'build/push: manifest media types (default oci)')
    .option('--output <file>', 'pull: .xpkg file to write; extract: output (.gz is gzipped; default out.gz)')
    .option('--from-xpkg [file]', 'extract: read a local .xpkg file instead of a registry')
    .option('--kubeconfig <file>', 'install: kubeconfig (default rules otherwise)')
    .option('-w, --wait', 'install: wait until the package is Healthy')
    .option('--timeout <seconds>', 'install: how long --wait waits (default 300)')
    .option('-m, --manual-activation', 'install: revisionActivationPolicy Manual')
    .option('-r, --revision-history-limit <n>', 'install: inactive revisions to keep')
    .option('--package-pull-secrets <names>', 'install: comma-separated pull secret names')
    .option('--type <type>', 'init: configuration, provider or function (default configuration)')
    .option('--cache-dir <dir>', 'registry content cache (default ~/.cache/trellis/xpkg)')
    .option('--json', 'print JSON')
    .example('trellis xpkg build -f package/ -o my-config.xpkg')
    .example('trellis xpkg push registry.example.com/org/my-config:v0.1.0 -o my-config.xpkg')
    .example('trellis xpkg install configuration registry.example.com/org/my-config:v0.1.0 --wait')
    .action((action: string, args: string[], opts: XpkgOptions) =>
      run(async () => {
        switch (action) {
          case 'build':
            return runXpkgBuild(ctx, opts);
          case 'push':
            return runXpkgPush(ctx, args[0], opts);
          case 'pull':
            return runXpkgPull(ctx, args[0], opts);
          case 'extract':
            return runXpkgExtract(ctx, args[0], opts);
          case 'install':
            return runXpkgInstall(ctx, args, opts);
          case 'init':
            return runXpkgInit(ctx, args, opts);
          default:
            throw usage(`unknown xpkg action "${action}" (want build, push, pull, extract, install or init)`);
        }
      }),
    );
}
