import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import {
  applyXrdDefaults,
  type CompositeSchema,
  checkObservedResources,
  checkRenderInputs,
  compositeSchemaOf,
  marshalGoYaml,
  type ObservedComposed,
  parseGoYamlDocuments,
  parseGoYamlValue,
  pausedOutput,
  prepareComposite,
  type RenderOutputOptions,
  render,
  renderOutput,
} from '@trellis/engine';
import { type CompositionFunction, FunctionRegistry, type JsonObject, type ResourceSelector } from '@trellis/functions';
import { goDuration, type KubeObject, TrellisError, wrap } from '@trellis/sdk';
import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';
import { holdsSecrets } from '../ui/redact.ts';

/** Annotations `crossplane render` reads on Function objects. */
const AnnotationRuntime = 'render.crossplane.io/runtime';
const AnnotationDevelopmentTarget = 'render.crossplane.io/runtime-development-target';

interface RenderFlags {
  observedResources?: string;
  requiredResources?: string | string[];
  extraResources?: string | string[];
  contextValues?: string | string[];
  contextFiles?: string | string[];
  includeFullXr?: boolean;
  includeFunctionResults?: boolean;
  includeContext?: boolean;
  functionCredentials?: string;
  functionAnnotations?: string | string[];
  xrd?: string;
  timeout: string;
  remoteBuiltins?: boolean;
  upstreamBugs?: boolean;
}

/** RegisterRender adds `trellis render`. */
export function registerRender(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command('render <xr> <composition> [functions]', 'Render a composite resource offline, as `crossplane render` does')
    .option('-o, --observed-resources <path>', 'YAML file or directory of observed composed resources')
    .option('-e, --required-resources <path>', 'YAML file or directory of required resources (repeatable)')
    .option('--extra-resources <path>', 'Deprecated alias of --required-resources (repeatable)')
    .option('--context-values <key=json>', 'Context value for the pipeline, as YAML/JSON (repeatable)')
    .option('--context-files <key=file>', 'Context value read from a YAML/JSON file (repeatable)')
    .option('-x, --include-full-xr', 'Print the input XR merged with the rendered status')
    .option('-r, --include-function-results', 'Print function results and events as kind Result')
    .option('-c, --include-context', 'Print the final pipeline context as kind Context')
    .option('--function-credentials <path>', 'YAML file or directory of Secrets for pipeline step credentials')
    .option('-a, --function-annotations <key=value>', 'Override an annotation on every Function (repeatable)')
    .option('--xrd <path>', 'The XRD of the XR (chooses the legacy XR shape for LegacyCluster XRDs)')
    .option('--timeout <duration>', 'How long to run before timing out', { default: '1m' })
    .option('--remote-builtins', 'Call Development-runtime functions remotely even when Trellis has them built in')
    .option('--upstream-bugs', 'Reproduce the known upstream function bugs listed in docs/compatibility.md (byte-identical output)')
    .example('trellis render xr.yaml composition.yaml functions.yaml -r')
    .action((xr: string, composition: string, functions: string | undefined, flags: RenderFlags) =>
      run(async () => {
        const docs = await renderFiles({ xr, composition, functions, flags, signal: ctx.signal });
        for (const d of docs) ctx.io.out(`---\n${marshalGoYaml(d)}`);
        return 0;
      }),
    );
}

/** RenderFilesInput are the paths and flags of one `trellis render` run. */
export interface RenderFilesInput {
  xr: string;
  composition: string;
  functions?: string | undefined;
  flags: RenderFlags;
  signal?: AbortSignal;
  /** Registry to resolve functions with (tests inject one); a new one is closed after the run. */
  registry?: FunctionRegistry;
}

/**
 * RenderFiles runs `trellis render` on files and returns the documents to print: the XR, the
 * composed resources and (optionally) results and context, in `crossplane render`'s shape.
 */
export async function renderFiles(input: RenderFilesInput): Promise<JsonObject[]> {
  const { flags } = input;
  const xr = loadOne(input.xr, 'composite resource');
  const composition = loadOne(input.composition, 'Composition');
  if (composition.apiVersion !== 'apiextensions.crossplane.io/v1' || composition.kind !== 'Composition') {
    throw usage(
      `cannot load Composition from "${input.composition}": not a composition: ${composition.kind}/${composition.metadata?.name ?? ''}`,
    );
  }
  return renderObjects({
    xr,
    composition,
    ...(flags.xrd === undefined ? {} : { xrd: loadOne(flags.xrd, 'XRD') }),
    functions: input.functions === undefined ? [] : loadFunctions(input.functions, list(flags.functionAnnotations)),
    observed: flags.observedResources === undefined ? [] : loadStream(flags.observedResources, 'observed composed resources'),
    required: [
      ...list(flags.requiredResources).flatMap((p) => loadStream(p, 'required resources')),
      ...list(flags.extraResources).flatMap((p) => loadStream(p, 'extra resources')),
    ],
    secrets: flags.functionCredentials === undefined ? [] : loadStream(flags.functionCredentials, 'secrets', false),
    context: contextData(list(flags.contextFiles), list(flags.contextValues)),
    flags,
    ...(input.signal === undefined ? {} : { signal: input.signal }),
    ...(input.registry === undefined ? {} : { registry: input.registry }),
  });
}

/** RenderObjectsInput is one render with its inputs already loaded (`trellis test` builds them from test files). */
export interface RenderObjectsInput {
  xr: KubeObject;
  composition: KubeObject;
  xrd?: KubeObject;
  functions: KubeObject[];
  observed: KubeObject[];
  required: KubeObject[];
  secrets: KubeObject[];
  context: JsonObject;
  flags: Pick<RenderFlags, 'includeFullXr' | 'includeFunctionResults' | 'includeContext' | 'timeout' | 'remoteBuiltins' | 'upstreamBugs'>;
  signal?: AbortSignal;
  registry?: FunctionRegistry;
}

/** RenderObjects is `trellis render` on loaded objects: the same checks, functions and output. */
export async function renderObjects(input: RenderObjectsInput): Promise<JsonObject[]> {
  const { flags, xr, composition } = input;
  const timeoutMs = parseDuration(flags.timeout);
  const schema: CompositeSchema = input.xrd === undefined ? 'Modern' : compositeSchemaOf(input.xrd, xr);
  checkRenderInputs(xr, composition, schema);
  if (input.xrd !== undefined) applyXrdDefaults(xr, input.xrd);
  const fns = input.functions;
  const observed: ObservedComposed[] = input.observed.map((r) => ({ resource: r }));
  const required = input.required;
  const secrets = input.secrets;
  const context = input.context;
  const opts: RenderOutputOptions = {
    includeFullXr: flags.includeFullXr === true,
    includeResults: flags.includeFunctionResults === true,
    includeContext: flags.includeContext === true,
  };

  const prepared = prepareComposite(xr, composition, observed, schema);
  checkObservedResources(prepared.composite, observed);
  if (prepared.composite.metadata.annotations?.['crossplane.io/paused'] === 'true') return pausedOutput(xr, prepared, opts);

  const store = [prepared.composite, ...observed.map((o) => o.resource), ...required, ...secrets.map(asSecret)];
  for (const o of observed) o.connectionDetails = connectionDetailsOf(o.resource, store);
  const registry =
    input.registry ??
    // One render runs each step once: memoising in-process calls would only cost a hash per call.
    new FunctionRegistry({
      memoEntries: 0,
      ...(flags.upstreamBugs === true ? { patchAndTransform: { semantics: 'upstream' as const } } : {}),
    });
  const signal =
    input.signal === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([input.signal, AbortSignal.timeout(timeoutMs)]);
  try {
    const result = await render({
      composite: prepared.composite,
      composition,
      observed,
      compositeConnectionDetails: compositeConnectionDetails(prepared.composite, schema, store),
      functions: resolver(fns, registry, flags.remoteBuiltins === true, timeoutMs),
      requiredResources: (sel) => lookup(store, sel),
      credentials: (ref) => secretData(store, ref.namespace, ref.name),
      ...(Object.keys(context).length > 0 ? { context } : {}),
      signal,
      stepTimeoutMs: timeoutMs,
      schema,
    });
    return renderOutput(xr, prepared, result, opts);
  } catch (err) {
    throw wrap(err, 'cannot render composite resource');
  } finally {
    if (input.registry === undefined) registry.close();
  }
}

function usage(msg: string): TrellisError {
  return new TrellisError('CLI_USAGE', msg);
}

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** ParseDuration reads a Go duration (`90s`, `1m30s`, `500ms`, `2h`). */
export function parseDuration(s: string): number {
  const d = goDuration(s);
  if (!d.ok || d.seconds <= 0) throw usage(`invalid --timeout ${JSON.stringify(s)}: want a positive duration such as 90s or 1m30s`);
  return d.seconds * 1000;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw wrap(err, `cannot read ${what} from "${path}"`, 'CLI_USAGE');
  }
}

function parseYamlDocs(text: string, path: string, what: string, requireKind = true): KubeObject[] {
  let docs: unknown[];
  try {
    docs = parseGoYamlDocuments(text, `${what} in "${path}"`);
  } catch (err) {
    // The YAML parser's own error quotes the lines around the problem: for a file of Secrets
    // (or any file holding a Secret) that would print secret values, so only the first line
    // (problem and position) is kept.
    if (err instanceof TrellisError && err.code === 'ENGINE_YAML_INVALID' && (what === 'secrets' || holdsSecrets(text)))
      throw usage(`cannot load ${what} from "${path}": ${err.message} (the file's content is not shown: it holds secrets)`);
    throw wrap(err, `cannot load ${what} from "${path}"`, 'CLI_USAGE');
  }
  const out: KubeObject[] = [];
  for (const [i, v] of docs.entries()) {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw usage(`cannot parse ${what} in "${path}" (document ${i + 1}): not a YAML object`);
    const o = v as KubeObject;
    if (requireKind && (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string')) {
      throw usage(`cannot parse ${what} in "${path}" (document ${i + 1}): apiVersion and kind are required`);
    }
    if (o.metadata === undefined || o.metadata === null) o.metadata = {};
    out.push(o);
  }
  return out;
}

function loadOne(path: string, what: string): KubeObject {
  const docs = parseYamlDocs(readText(path, what), path, what);
  if (docs.length === 0) throw usage(`cannot load ${what} from "${path}": the file holds no object`);
  return docs[0] as KubeObject;
}

/** LoadStream reads every object from a YAML file, or from every .yaml/.yml file of a directory. */
function loadStream(path: string, what: string, requireKind = true): KubeObject[] {
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => ['.yaml', '.yml'].includes(extname(f)))
          .sort()
          .map((f) => join(path, f))
          .filter((f) => statSync(f).isFile())
      : [path];
  } catch (err) {
    throw wrap(err, `cannot load ${what} from "${path}"`, 'CLI_USAGE');
  }
  if (files.length === 0) throw usage(`cannot load ${what} from "${path}": no YAML files found (.yaml or .yml)`);
  return files.flatMap((f) => parseYamlDocs(readText(f, what), f, what, requireKind));
}

function loadFunctions(path: string, overrides: string[]): KubeObject[] {
  const fns = loadStream(path, 'functions');
  for (const f of fns) {
    if (f.apiVersion !== 'pkg.crossplane.io/v1' && f.apiVersion !== 'pkg.crossplane.io/v1beta1') {
      throw usage(`cannot load functions from "${path}": not a function: ${f.kind}/${f.metadata?.name ?? ''}`);
    }
    if (f.kind !== 'Function') throw usage(`cannot load functions from "${path}": not a function: ${f.kind}/${f.metadata?.name ?? ''}`);
    for (const a of overrides) {
      const i = a.indexOf('=');
      if (i <= 0) throw usage(`invalid function annotation format ${JSON.stringify(a)}, expected key=value`);
      f.metadata.annotations = { ...(f.metadata.annotations ?? {}), [a.slice(0, i)]: a.slice(i + 1) };
    }
  }
  return fns;
}

/**
 * Resolver maps a step's functionRef to a function: Trellis's built-in functions run in-process
 * (by name or by the Function's package); a Function annotated with the Development runtime is
 * called over gRPC at its target (default localhost:9443), insecure, as `crossplane render` does.
 */
function resolver(fns: KubeObject[], registry: FunctionRegistry, remoteBuiltins: boolean, timeoutMs: number) {
  const byName = new Map(fns.map((f) => [f.metadata.name ?? '', f]));
  const cache = new Map<string, CompositionFunction | undefined>();
  return (name: string): CompositionFunction | undefined => {
    if (cache.has(name)) return cache.get(name);
    const fn = byName.get(name);
    const runtime = fn?.metadata.annotations?.[AnnotationRuntime] ?? '';
    if (!['', 'Docker', 'Development', 'InProcess'].includes(runtime)) {
      throw usage(
        `cannot get runtime for Function "${name}": unsupported "${AnnotationRuntime}" annotation value "${runtime}" (unknown runtime)`,
      );
    }
    const pkg = (fn?.spec as JsonObject | undefined)?.package;
    const ref = { name, ...(typeof pkg === 'string' ? { package: pkg } : {}) };
    let out: CompositionFunction | undefined;
    if (runtime === 'Development' && (remoteBuiltins || !registry.isBuiltin(ref))) {
      const target = fn?.metadata.annotations?.[AnnotationDevelopmentTarget] || 'localhost:9443';
      out = registry.resolve({ ...ref, remote: { target, timeoutMs }, preferRemote: true });
    } else if (registry.isBuiltin(ref)) {
      out = registry.resolve(ref);
    } else if (fn !== undefined && runtime !== 'Development') {
      throw usage(
        `cannot run Function "${name}": it is not built into Trellis and the ${runtime === '' ? 'Docker' : runtime} runtime is not supported; start it yourself and annotate it with ${AnnotationRuntime}: Development`,
      );
    }
    cache.set(name, out);
    return out;
  };
}

function contextData(files: string[], values: string[]): JsonObject {
  const out: JsonObject = {};
  const parse = (key: string, text: string, from: string): unknown => {
    try {
      return parseGoYamlValue(text, `context value for key "${key}" (${from})`);
    } catch (err) {
      throw wrap(err, 'cannot build context data', 'CLI_USAGE');
    }
  };
  for (const kv of files) {
    const i = kv.indexOf('=');
    if (i <= 0) throw usage(`invalid --context-files ${JSON.stringify(kv)}: want key=file`);
    const key = kv.slice(0, i);
    out[key] = parse(key, readText(kv.slice(i + 1), `context value for key "${key}"`), kv.slice(i + 1));
  }
  for (const kv of values) {
    const i = kv.indexOf('=');
    if (i <= 0) throw usage(`invalid --context-values ${JSON.stringify(kv)}: want key=value`);
    const key = kv.slice(0, i);
    out[key] = parse(key, kv.slice(i + 1), '--context-values');
  }
  return out;
}

/** AsSecret makes a Secret from a credentials file findable by the lookup (kind defaults to Secret). */
function asSecret(s: KubeObject): KubeObject {
  return (s.kind ?? '') === '' ? { ...s, apiVersion: 'v1', kind: 'Secret' } : s;
}

function secretData(store: readonly KubeObject[], namespace: string, name: string): Record<string, Uint8Array> | undefined {
  const s = store.find(
    (o) => o.apiVersion === 'v1' && o.kind === 'Secret' && (o.metadata.namespace ?? '') === namespace && o.metadata.name === name,
  );
  if (s === undefined) return undefined;
  const out: Record<string, Uint8Array> = {};
  const data = (s.data ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(data)) if (typeof v === 'string') out[k] = new Uint8Array(Buffer.from(v, 'base64'));
  return out;
}

function connectionDetailsOf(o: KubeObject, store: readonly KubeObject[]): Record<string, Uint8Array> {
  const ref = (o.spec as JsonObject | undefined)?.writeConnectionSecretToRef as JsonObject | undefined;
  if (ref === undefined || typeof ref.name !== 'string') return {};
  const ns = o.metadata.namespace ?? (typeof ref.namespace === 'string' ? ref.namespace : '');
  return secretData(store, ns, ref.name) ?? {};
}

function compositeConnectionDetails(xr: KubeObject, schema: CompositeSchema, store: readonly KubeObject[]): Record<string, Uint8Array> {
  return schema === 'Legacy' ? connectionDetailsOf(xr, store) : {};
}

/**
 * Lookup answers a resource requirement from the objects given to render, as the in-memory
 * client of `crossplane render` does: by name an exact apiVersion, kind, namespace and name; by
 * labels (or by kind alone) group and kind, the version when both sides have one, the namespace
 * when the selector has one.
 */
function lookup(store: readonly KubeObject[], sel: ResourceSelector): JsonObject[] {
  const ns = sel.namespace ?? '';
  if (sel.matchName !== undefined) {
    const hit = store.find(
      (o) =>
        o.apiVersion === sel.apiVersion && o.kind === sel.kind && (o.metadata.namespace ?? '') === ns && o.metadata.name === sel.matchName,
    );
    return hit === undefined ? [] : [hit as JsonObject];
  }
  const [group, version] = splitApiVersion(sel.apiVersion);
  const labels = sel.matchLabels?.labels ?? {};
  return store.filter((o) => {
    const [g, v] = splitApiVersion(o.apiVersion);
    if (g !== group || o.kind !== sel.kind) return false;
    if (version !== '' && v !== '' && v !== version) return false;
    if (ns !== '' && (o.metadata.namespace ?? '') !== ns) return false;
    return Object.entries(labels).every(([k, v2]) => o.metadata.labels?.[k] === v2);
  }) as JsonObject[];
}

function splitApiVersion(av: string): [string, string] {
  const i = av.indexOf('/');
  return i < 0 ? ['', av] : [av.slice(0, i), av.slice(i + 1)];
}
