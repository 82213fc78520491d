/**
 * The function registry: resolves a pipeline step's `functionRef.name` to a CompositionFunction.
 * Built-in functions answer to the names real Compositions use (`function-patch-and-transform`,
 * `crossplane-contrib-function-patch-and-transform`, `upbound-function-...`) and to Function
 * objects whose package is one of theirs; everything else is a remote function at an endpoint the
 * caller supplies. In-process calls are memoised by a hash of the request in a bounded LRU.
 */
import { createHash } from 'node:crypto';
import { definedKeysInOrder, TrellisError } from '@trellis/sdk';
import { AutoReady } from './auto-ready/function.ts';
import { deepClone } from './clone.ts';
import { EnvironmentConfigs } from './environment-configs/function.ts';
import { FnErrorCode } from './errors.ts';
import { GoTemplating } from './go-templating/function.ts';
import { PatchAndTransform, type PatchAndTransformOptions } from './patch-and-transform/function.ts';
import {
  type CompositionFunction,
  copyTag,
  type RequestMeta,
  type ResponseMeta,
  type RunFunctionRequest,
  type RunFunctionResponse,
  type RunOptions,
} from './protocol/types.ts';
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

/**
 * RequestHash is a stable sha256 of a request without its tag: equal requests (whatever their key
 * order) hash equally, different ones differently. It runs on every in-process function call over
 * the whole request (observed and desired objects), so it writes a compact binary encoding into
 * one reused buffer (each value typed, strings and lists length-prefixed, map keys sorted by code
 * unit) instead of building a canonical JSON string; the hash is an in-memory memo key, never
 * stored, so its encoding may change between versions.
 */
export function requestHash(req: RunFunctionRequest): string {
  const { meta, ...rest } = req;
  const w = hashWriter.busy ? new HashWriter() : hashWriter;
  w.busy = true;
  w.pos = 0;
  try {
    w.value(meta?.capabilities ?? []);
    w.value(rest);
    return createHash('sha256').update(w.buf.subarray(0, w.pos)).digest('hex');
  } finally {
    w.busy = false;
    if (w.buf.length > 4 << 20) w.buf = Buffer.allocUnsafe(64 << 10);
  }
}

/** HashWriter writes the encoding {@link requestHash} hashes. */
class HashWriter {
  buf = Buffer.allocUnsafe(64 << 10);
  pos = 0;
  busy = false;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private tag(c: number, n = 0): void {
    this.ensure(5);
    this.buf[this.pos] = c;
    this.buf.writeUInt32LE(n, this.pos + 1);
    this.pos += 5;
  }

  private string(c: number, s: string): void {
    this.ensure(5 + 3 * s.length);
    const n = this.buf.write(s, this.pos + 5, 'utf8');
    this.buf[this.pos] = c;
    this.buf.writeUInt32LE(n, this.pos + 1);
    this.pos += 5 + n;
  }

  value(v: unknown): void {
    if (v === undefined || v === null)
      this.tag(0x6e); // n
    else if (typeof v === 'string')
      this.string(0x73, v); // s
    else if (typeof v === 'boolean')
      this.tag(v ? 0x74 : 0x66); // t, f
    else if (typeof v === 'number') {
      this.ensure(9);
      this.buf[this.pos] = 0x64; // d
      this.buf.writeDoubleLE(v, this.pos + 1);
      this.pos += 9;
    } else if (typeof v === 'bigint')
      this.string(0x69, v.toString()); // i
    else if (v instanceof Uint8Array) {
      this.tag(0x62, v.length); // b
      this.ensure(v.length);
      this.buf.set(v, this.pos);
      this.pos += v.length;
    } else if (Array.isArray(v)) {
      this.tag(0x5b, v.length); // [
      for (let i = 0; i < v.length; i++) this.value(v[i]);
    } else if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const keys = definedKeysInOrder(o);
      this.tag(0x7b, keys.length); // {
      for (const k of keys) {
        this.string(0x6b, k); // k
        this.value(o[k]);
      }
    } else this.tag(0x75); // u: a function or symbol (not JSON)
  }
}

const hashWriter = new HashWriter();

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

  /** Pure is the wrapped function's: the memo itself never changes a request. */
  get pure(): boolean {
    return this.inner.pure === true;
  }

  async run(req: RunFunctionRequest, opts?: RunOptions): Promise<RunFunctionResponse> {
    const key = requestHash(req);
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.hits++;
      this.cache.delete(key);
      this.cache.set(key, hit);
      return withTagOf(deepClone(hit), req.meta);
    }
    this.misses++;
    const rsp = await this.inner.run(req, opts);
    this.cache.set(key, withoutTag(rsp));
    if (this.cache.size > this.max) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return rsp;
  }
}

/** WithoutTag copies a response for the memo, without its tag (each hit gets its request's; a lazy one stays uncomputed). */
function withoutTag(rsp: RunFunctionResponse): RunFunctionResponse {
  const { meta, ...rest } = rsp;
  const out = deepClone(rest) as RunFunctionResponse;
  if (meta !== undefined) out.meta = meta.ttlSeconds === undefined ? {} : { ttlSeconds: meta.ttlSeconds };
  return out;
}

/** WithTagOf gives a memoised response the tag of the request it answers (when it has one). */
function withTagOf(rsp: RunFunctionResponse, reqMeta: RequestMeta | undefined): RunFunctionResponse {
  const meta: ResponseMeta = {};
  copyTag(reqMeta, meta);
  if (!Object.hasOwn(meta, 'tag')) return rsp;
  if (rsp.meta?.ttlSeconds !== undefined) meta.ttlSeconds = rsp.meta.ttlSeconds;
  rsp.meta = meta;
  return rsp;
}
