/**
 * The function registry: resolves a pipeline step's `functionRef.name` to a CompositionFunction.
 * Built-in functions answer to the names real Compositions use (`function-patch-and-transform`,
 * `crossplane-contrib-function-patch-and-transform`, `upbound-function-...`) and to Function
 * objects whose package is one of theirs; everything else is a remote function at an endpoint the
 * caller supplies. In-process calls are memoised by a hash of the request in a bounded LRU.
 */
import { createHash } from 'node:crypto';
import { TrellisError } from '@trellis/sdk';
import { AutoReady } from './auto-ready/function.ts';
import { deepClone } from './clone.ts';
import { EnvironmentConfigs } from './environment-configs/function.ts';
import { FnErrorCode } from './errors.ts';
import { GoTemplating } from './go-templating/function.ts';
import { PatchAndTransform, type PatchAndTransformOptions } from './patch-and-transform/function.ts';
import type { CompositionFunction, RunFunctionRequest, RunFunctionResponse, RunOptions } from './protocol/types.ts';
import { RemoteFunction, type RemoteFunctionOptions } from './remote/client.ts';
import { Sequencer } from './sequencer/function.ts';

export const BuiltinKinds = ['patch-and-transform', 'auto-ready', 'go-templating', 'environment-configs', 'sequencer'] as const;
export type BuiltinKind = (typeof BuiltinKinds)[number];

/** BuiltinKindOf maps a function name or package reference to a built-in, if it names one. */
export function builtinKindOf(nameOrPackage: string): BuiltinKind | undefined {
  // A package reference: registry/org/function-x:tag or @sha256:...
  let s = nameOrPackage.trim().toLowerCase();
  s = s.replace(/@sha256:[0-9a-f]+$/, '').replace(/:[^/:]+$/, '');
  const last = s.slice(s.lastIndexOf('/') + 1);
  for (const k of BuiltinKinds) {
    if (last === `function-${k}` || last.endsWith(`-function-${k}`)) return k;
  }
  return undefined;
}

export interface FunctionRef {
  /** functionRef.name of the step (the Function object's name). */
  name: string;
  /** The Function's spec.package, when known. */
  package?: string;
  /** Where the function runs when it is remote (FunctionRevision status.endpoint, a render annotation). */
  remote?: RemoteFunctionOptions;
  /** Force a remote call even for a function Trellis has built in. */
  preferRemote?: boolean;
}

export interface RegistryOptions {
  /** Options for the built-in patch-and-transform. */
  patchAndTransform?: PatchAndTransformOptions;
  /** Maximum memoised in-process responses (default 1024; 0 disables memoisation). */
  memoEntries?: number;
  /** Extra in-process functions by name (tests, embedders). */
  extra?: Record<string, CompositionFunction>;
}

/** FunctionRegistry resolves function references; it caches remote clients per target. */
export class FunctionRegistry {
  private readonly builtins: Record<BuiltinKind, CompositionFunction>;
  private readonly extra: Record<string, CompositionFunction>;
  private readonly remotes = new Map<string, RemoteFunction>();
  private readonly memoEntries: number;

  constructor(opts: RegistryOptions = {}) {
    this.memoEntries = opts.memoEntries ?? 1024;
    const memo = (f: CompositionFunction): CompositionFunction => (this.memoEntries > 0 ? new Memoized(f, this.memoEntries) : f);
    this.builtins = {
      'patch-and-transform': memo(new PatchAndTransform(opts.patchAndTransform)),
      'auto-ready': memo(new AutoReady()),
      'go-templating': new GoTemplating(),
      'environment-configs': memo(new EnvironmentConfigs()),
      sequencer: memo(new Sequencer()),
    };
    this.extra = { ...(opts.extra ?? {}) };
  }

  /** IsBuiltin reports whether a reference resolves to an in-process function. */
  isBuiltin(ref: FunctionRef): boolean {
    if (ref.preferRemote === true && ref.remote !== undefined) return false;
    return this.extra[ref.name] !== undefined || this.kindOf(ref) !== undefined;
  }

  private kindOf(ref: FunctionRef): BuiltinKind | undefined {
    return (ref.package === undefined ? undefined : builtinKindOf(ref.package)) ?? builtinKindOf(ref.name);
  }

  /** Resolve returns the function for a reference, or throws FUNCTIONS_UNKNOWN_FUNCTION. */
  resolve(ref: FunctionRef): CompositionFunction {
    if (!(ref.preferRemote === true && ref.remote !== undefined)) {
      const extra = this.extra[ref.name];
      if (extra !== undefined) return extra;
      const kind = this.kindOf(ref);
      if (kind !== undefined) return this.builtins[kind];
    }
    if (ref.remote !== undefined) {
      const key = JSON.stringify({ t: ref.remote.target, tls: ref.remote.tls !== undefined, n: ref.name });
      let c = this.remotes.get(key);
      if (c === undefined) {
        c = new RemoteFunction({ name: ref.name, ...ref.remote });
        this.remotes.set(key, c);
      }
      return c;
    }
    throw new TrellisError(
      FnErrorCode.UnknownFunction,
      `function "${ref.name}" is not built in and has no endpoint (install a Function with that name or annotate it with a runtime target)`,
      { details: { function: ref.name } },
    );
  }

  /** Close closes cached remote connections. */
  close(): void {
    for (const c of this.remotes.values()) c.close();
    this.remotes.clear();
  }
}

/** RequestHash is a stable sha256 of a request without its tag (bytes as base64, keys sorted). */
export function requestHash(req: RunFunctionRequest): string {
  const { meta, ...rest } = req;
  const h = createHash('sha256');
  h.update(stableJson({ caps: meta?.capabilities ?? [], rest }));
  return h.digest('hex');
}

/**
 * StableJson serialises a request with map keys sorted (code unit order). It runs on every
 * in-process function call, over the whole request (observed and desired objects): it appends to
 * one string instead of building an array per object, and sorts only keys not already in order.
 */
function stableJson(v: unknown): string {
  if (v === undefined) return 'null';
  if (v instanceof Uint8Array) return JSON.stringify(`b64:${Buffer.from(v).toString('base64')}`);
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) s += ',';
      // A hole of a sparse array stays empty, as Array.prototype.join wrote it.
      if (i in v) s += stableJson(v[i]);
    }
    return `${s}]`;
  }
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const keys = definedKeysInOrder(o);
    let s = '{';
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      if (i > 0) s += ',';
      s += `${JSON.stringify(k)}:${stableJson(o[k])}`;
    }
    return `${s}}`;
  }
  return JSON.stringify(v);
}

/** DefinedKeysInOrder returns the keys of `o` whose values are not undefined, sorted by code unit. */
function definedKeysInOrder(o: Record<string, unknown>): string[] {
  let keys = Object.keys(o);
  let sorted = true;
  let defined = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (o[k] === undefined) defined = false;
    if (i > 0 && (keys[i - 1] as string) > k) sorted = false;
  }
  if (!defined) keys = keys.filter((k) => o[k] !== undefined);
  return sorted ? keys : keys.sort();
}

/** Memoized wraps a pure in-process function with a bounded LRU keyed by the request hash. */
export class Memoized implements CompositionFunction {
  private readonly inner: CompositionFunction;
  private readonly max: number;
  private readonly cache = new Map<string, RunFunctionResponse>();
  hits = 0;
  misses = 0;

  constructor(inner: CompositionFunction, max: number) {
    this.inner = inner;
    this.max = max;
  }

  async run(req: RunFunctionRequest, opts?: RunOptions): Promise<RunFunctionResponse> {
    const key = requestHash(req);
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.hits++;
      this.cache.delete(key);
      this.cache.set(key, hit);
      return withTag(deepClone(hit), req.meta?.tag);
    }
    this.misses++;
    const rsp = await this.inner.run(req, opts);
    this.cache.set(key, deepClone(rsp));
    if (this.cache.size > this.max) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return rsp;
  }
}

function withTag(rsp: RunFunctionResponse, tag: string | undefined): RunFunctionResponse {
  if (tag === undefined) {
    if (rsp.meta !== undefined) delete rsp.meta.tag;
    return rsp;
  }
  rsp.meta = { ...(rsp.meta ?? {}), tag };
  return rsp;
}
