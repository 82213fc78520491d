import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { apiextensionsCrds } from '@trellis/engine';
import { FunctionRegistry } from '@trellis/functions';
import { type KubeObject, TrellisError } from '@trellis/sdk';
import { dockerConfigKeychain, FsContentCache, packageCrds, RegistryClient } from '@trellis/xpkg';
import { defaultCacheDir } from '../commands/xpkg.ts';
import type { CommandContext } from '../context.ts';
import { type LoadedObject, loadObjects } from '../input/load.ts';
import { isStdinArg } from '../input/stdin.ts';
import { parseOutputFormat, toJson, toYaml } from '../ui/output.ts';
import { progressFor } from '../ui/progress.ts';
import { isPackageMeta, packageRefsOf, pullPackageSchemas } from './packages.ts';
import { isCrd, isXrd, SchemaSet } from './schemas.ts';
import { textReport, type ValidateReport, validateResources } from './validate.ts';

/** ValidateFlags are the flags of `trellis validate` (upstream's names where upstream has them). */
export interface ValidateFlags {
  output?: string;
  cacheDir?: string;
  cleanCache?: boolean;
  offline?: boolean;
  package?: string | string[];
  oldResources?: string;
  skipSuccessResults?: boolean;
  errorOnMissingSchemas?: boolean;
}

const Formats = ['text', 'json', 'yaml'] as const;

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v])
    .flatMap((s) => String(s).split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** BuildSchemas turns extensions (and pulled packages) into a schema set, built-ins last. */
export async function buildSchemas(
  ctx: CommandContext,
  extensions: LoadedObject[],
  flags: ValidateFlags,
  quiet: boolean,
): Promise<{ schemas: SchemaSet; pulled: string[] }> {
  const schemas = new SchemaSet();
  for (const e of extensions) {
    if (isCrd(e.object)) schemas.addCrd(e.object, { kind: 'file', source: e.source });
    else if (isXrd(e.object)) schemas.addXrd(e.object, { kind: 'file', source: e.source });
  }
  const registry = new FunctionRegistry();
  const builtin = (o: KubeObject): boolean =>
    o.kind === 'Function' &&
    registry.isBuiltin({ name: o.metadata.name ?? '', package: String((o.spec as { package?: unknown } | undefined)?.package ?? '') });
  const refs = [...packageRefsOf(extensions.map((e) => e.object).filter((o) => !builtin(o))), ...list(flags.package)];
  registry.close();
  const metas = extensions.map((e) => e.object).filter(isPackageMeta);
  let pulled: string[] = [];
  if (refs.length > 0 || metas.some((m) => Array.isArray((m.spec as Record<string, unknown> | undefined)?.dependsOn))) {
    const cacheDir = flags.cacheDir ?? defaultCacheDir();
    if (flags.cleanCache === true) {
      for (const sub of ['blobs', 'repos']) await rm(join(cacheDir, sub), { recursive: true, force: true });
    }
    const client = new RegistryClient({
      keychain: dockerConfigKeychain(),
      cache: new FsContentCache(cacheDir),
      offline: flags.offline === true,
      log: ctx.log,
    });
    const progress = progressFor(ctx.io, { quiet });
    const onAbort = (): void => progress.stop();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const got = await pullPackageSchemas(client, refs, progress, metas);
      for (const o of got.objects) {
        if (isCrd(o.object)) schemas.addCrd(o.object, { kind: 'package', ref: o.ref }, false);
        else if (isXrd(o.object)) schemas.addXrd(o.object, { kind: 'package', ref: o.ref }, false);
      }
      pulled = got.pulled;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }
  for (const crd of [...apiextensionsCrds(), ...packageCrds()]) schemas.addCrd(crd, { kind: 'builtin' }, false);
  return { schemas, pulled };
}

/**
 * RunValidate validates resources offline against the schemas of the extensions and prints the
 * report. Failures (and, with --error-on-missing-schemas, missing schemas) are findings: the
 * report is printed, then the command exits 3.
 */
export async function runValidate(
  ctx: CommandContext,
  extensionsPath: string,
  resourcesPath: string,
  flags: ValidateFlags,
): Promise<number> {
  const format = parseOutputFormat(flags.output, Formats, 'text');
  if (isStdinArg(extensionsPath) && isStdinArg(resourcesPath))
    throw new TrellisError('CLI_USAGE', 'cannot use standard input for both extensions and resources');
  const readStdin = ctx.io.readStdin;
  const load = (path: string, what: string) => loadObjects(path, { what, ...(readStdin === undefined ? {} : { readStdin }) });
  const extensions = await load(extensionsPath, 'extensions');
  const resources = await load(resourcesPath, 'resources');
  const old = flags.oldResources === undefined ? [] : await load(flags.oldResources, 'old resources');
  const { schemas, pulled } = await buildSchemas(ctx, extensions, flags, format !== 'text');
  const report = validateResources(resources, schemas, old);
  ctx.io.out(render(report, format, flags, pulled));
  return verdict(report, flags);
}

function render(report: ValidateReport, format: (typeof Formats)[number], flags: ValidateFlags, pulled: string[]): string {
  if (format === 'text') return textReport(report, { skipSuccess: flags.skipSuccessResults === true });
  const resources = flags.skipSuccessResults === true ? report.resources.filter((r) => r.status !== 'success') : report.resources;
  const doc = { summary: report.summary, resources, extensions: report.extensions, packages: pulled };
  return format === 'json' ? toJson(doc) : toYaml(doc);
}

function verdict(report: ValidateReport, flags: ValidateFlags): number {
  const s = report.summary;
  if (s.failure > 0 || s.extensionProblems > 0) {
    const parts = [
      ...(s.failure > 0 ? [`${s.failure} of ${s.total} resources failed`] : []),
      ...(s.extensionProblems > 0 ? [`${s.extensionProblems} problems with extensions`] : []),
    ];
    throw new TrellisError('CLI_VALIDATE_FINDINGS', `could not validate all resources: ${parts.join(', ')}`);
  }
  if (flags.errorOnMissingSchemas === true && s.missingSchemas > 0) {
    throw new TrellisError('CLI_VALIDATE_FINDINGS', `could not validate all resources: ${s.missingSchemas} schemas missing`);
  }
  return 0;
}
