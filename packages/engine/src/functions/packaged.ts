// Functions installed as pkg.crossplane.io Function packages, called over gRPC at the endpoint of
// their active FunctionRevision, as upstream's PackagedFunctionRunner does: the pure core decides
// which revision and endpoint a function name resolves to (and what is wrong when it cannot); the
// shell (PackagedFunctions) keeps Function and FunctionRevision informers and one gRPC client per
// function, replaced when the endpoint changes and closed when the function goes away.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CompositionFunction,
  RemoteFunction,
  type RemoteFunctionOptions,
  type RemoteTls,
  type RunFunctionRequest,
  type RunFunctionResponse,
  type RunOptions,
} from '@trellis/functions';
import type { EventHandler, Informer, InformerFactory } from '@trellis/kube';
import { formatError, type KubeObject, type Logger, nopLogger, TrellisError, wrap } from '@trellis/sdk';

export const FunctionType = { apiVersion: 'pkg.crossplane.io/v1', kind: 'Function' } as const;
export const FunctionRevisionType = { apiVersion: 'pkg.crossplane.io/v1', kind: 'FunctionRevision' } as const;

/** LabelParentPackage names the package (the Function) a FunctionRevision belongs to. */
export const LabelParentPackage = 'pkg.crossplane.io/package';

/**
 * AnnotationFunctionRuntime on a Function set to `Development` means "a local function a developer
 * runs": the engine calls its endpoint without TLS (as `crossplane render` does for the same
 * annotation). Every other Function is called with mutual TLS.
 */
export const AnnotationFunctionRuntime = 'render.crossplane.io/runtime';
export const RuntimeDevelopment = 'Development';

/** CapabilityComposition is what a function needs to run in a Composition pipeline. */
export const CapabilityComposition = 'composition';

export const FunctionErrorCode = {
  /** No FunctionRevision of the function has `spec.desiredState: Active`. */
  NoActiveRevision: 'ENGINE_FUNCTION_NO_ACTIVE_REVISION',
  /** The active FunctionRevision has no `status.endpoint`. */
  EmptyEndpoint: 'ENGINE_FUNCTION_EMPTY_ENDPOINT',
  /** The function must be called with mutual TLS and the engine has no client credentials. */
  NoClientTls: 'ENGINE_FUNCTION_NO_CLIENT_TLS',
  /** The client TLS directory cannot be read. */
  TlsInvalid: 'ENGINE_FUNCTION_TLS_INVALID',
} as const;

/**
 * LoadFunctionTls reads the engine's client credentials for mutual TLS to function endpoints from
 * a directory laid out as upstream's `TLS_CLIENT_CERTS_DIR`: `tls.crt`, `tls.key` and `ca.crt`
 * (the CA that signed the functions' server certificates).
 */
export async function loadFunctionTls(dir: string): Promise<RemoteTls> {
  const read = async (f: string): Promise<Uint8Array> => {
    try {
      return await readFile(join(dir, f));
    } catch (err) {
      throw wrap(err, `cannot read function client TLS file "${join(dir, f)}"`, FunctionErrorCode.TlsInvalid);
    }
  };
  const [cert, key, ca] = await Promise.all([read('tls.crt'), read('tls.key'), read('ca.crt')]);
  return { ca, cert, key };
}

/** A FunctionEndpoint is where and how to call an installed function. */
export interface FunctionEndpoint {
  /** Target is the active revision's `status.endpoint` (a gRPC target). */
  target: string;
  /** Revision is the active FunctionRevision's name. */
  revision: string;
  /** Insecure: the Function is annotated as a Development runtime (no TLS). */
  insecure: boolean;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** RevisionsOf returns the FunctionRevisions of the named function, ordered by name. */
export function revisionsOf(name: string, revisions: readonly KubeObject[]): KubeObject[] {
  return revisions
    .filter((r) => r.metadata.labels?.[LabelParentPackage] === name)
    .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
}

/** ActiveRevision returns the function's revision with `spec.desiredState: Active` (the first by name). */
export function activeRevision(name: string, revisions: readonly KubeObject[]): KubeObject | undefined {
  return revisionsOf(name, revisions).find((r) => rec(r.spec).desiredState === 'Active');
}

/** IsDevelopment reports whether a Function is annotated as a local Development runtime. */
export function isDevelopment(fn: KubeObject | undefined): boolean {
  return fn?.metadata.annotations?.[AnnotationFunctionRuntime] === RuntimeDevelopment;
}

function connError(code: string, name: string, message: string, details: Record<string, unknown> = {}): TrellisError {
  return new TrellisError(code, `cannot get gRPC client connection for Function "${name}": ${message}`, {
    details: { function: name, ...details },
  });
}

/**
 * EndpointOf resolves a function name to its active revision's endpoint with upstream's checks and
 * messages (`cannot get gRPC client connection for Function "x": cannot find an active
 * FunctionRevision ...` / `... has an empty status.endpoint`). It throws a TrellisError.
 */
export function endpointOf(name: string, fn: KubeObject | undefined, revisions: readonly KubeObject[]): FunctionEndpoint {
  const active = activeRevision(name, revisions);
  if (active === undefined) {
    throw connError(
      FunctionErrorCode.NoActiveRevision,
      name,
      'cannot find an active FunctionRevision (a FunctionRevision with spec.desiredState: Active)',
    );
  }
  const revision = active.metadata.name ?? '';
  const target = str(rec(active.status).endpoint);
  if (target === '') {
    throw connError(
      FunctionErrorCode.EmptyEndpoint,
      name,
      `cannot determine gRPC target: active FunctionRevision "${revision}" has an empty status.endpoint`,
      { revision },
    );
  }
  return { target, revision, insecure: isDevelopment(fn) };
}

/** CapabilitiesContain matches a capability the way upstream does: alphanumerics only, any case. */
export function capabilitiesContain(capabilities: readonly string[], key: string): boolean {
  const fuzz = (s: string): string => s.replace(/[^a-zA-Z0-9]+/g, '').toLowerCase();
  const k = fuzz(key);
  return capabilities.some((c) => fuzz(c) === k);
}

/**
 * MissingCapabilities returns upstream's message when the function's active revision lacks one of
 * `caps`, else undefined. A revision without `status.capabilities` counts as a composition
 * function: upstream's package manager writes `[composition]` for a package that declares none.
 */
export function missingCapabilities(name: string, revisions: readonly KubeObject[], caps: readonly string[]): string | undefined {
  const active = activeRevision(name, revisions);
  if (active === undefined) return undefined;
  const declared = rec(active.status).capabilities;
  const have =
    Array.isArray(declared) && declared.length > 0 ? declared.filter((c): c is string => typeof c === 'string') : [CapabilityComposition];
  const missing = caps.filter((c) => !capabilitiesContain(have, c));
  if (missing.length === 0) return undefined;
  return `function "${name}" (active revision "${active.metadata.name ?? ''}") is missing required capabilities: ${missing.join(', ')}`;
}

// ---------------------------------------------------------------------------------------------
// The shell

/** A Connection is a gRPC client for one function (RemoteFunction by default). */
export type Connection = CompositionFunction & { close(): void };

export interface PackagedFunctionsOptions {
  informers: InformerFactory;
  /**
   * Tls is the engine's client certificate, key and CA for functions called with mutual TLS
   * (upstream: the Crossplane client certificate from `TLS_CLIENT_CERTS_DIR`). Without it only
   * Functions annotated `render.crossplane.io/runtime: Development` can be called.
   */
  tls?: RemoteTls;
  /** TimeoutMs is the deadline of one call (default 60 s). */
  timeoutMs?: number;
  /**
   * Builtin returns the in-process function for a Function whose package is one Trellis has built
   * in (e.g. `xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.10.8`), so it
   * runs in-process unless annotated as a Development runtime. Default: none.
   */
  builtin?: (ref: { name: string; package: string }) => CompositionFunction | undefined;
  /** Connect makes a client for an endpoint (default: RemoteFunction). */
  connect?: (opts: RemoteFunctionOptions) => Connection;
  /** RetryMaxMs bounds the delay between attempts while the pkg.crossplane.io kinds are not served (default 30 s). */
  retryMaxMs?: number;
  log?: Logger;
}

/**
 * PackagedFunctions resolves pipeline steps to installed Functions: informer-backed (Function and
 * FunctionRevision, cluster-wide), with one cached gRPC client per function that follows its
 * active revision's endpoint. When the pkg.crossplane.io kinds are not served (a cluster without
 * the package manager's CRDs) it keeps trying in the background and resolves nothing meanwhile.
 */
export class PackagedFunctions {
  private readonly o: PackagedFunctionsOptions;
  private readonly log: Logger;
  private fns: Informer<KubeObject> | undefined;
  private revs: Informer<KubeObject> | undefined;
  private readonly offs: (() => void)[] = [];
  private readonly handles = new Map<string, CompositionFunction>();
  private readonly conns = new Map<string, { key: string; conn: Connection }>();
  private readonly listeners = new Set<(fn: string) => void>();
  private readonly stopper = new AbortController();

  constructor(opts: PackagedFunctionsOptions) {
    this.o = opts;
    this.log = opts.log ?? nopLogger;
  }

  /**
   * Start makes one attempt to start the informers and resolves after it: synced, or retrying in
   * the background (the kinds are not served yet). Functions resolve once the informers synced.
   */
  async start(): Promise<void> {
    if (await this.attempt()) return;
    void this.retry();
  }

  /** Stop stops retrying, detaches from the informers and closes every gRPC client. */
  stop(): void {
    this.stopper.abort();
    for (const off of this.offs.splice(0)) off();
    for (const { conn } of this.conns.values()) conn.close();
    this.conns.clear();
  }

  /** Synced reports whether the Function and FunctionRevision caches are ready. */
  synced(): boolean {
    return this.fns?.hasSynced() === true && this.revs?.hasSynced() === true;
  }

  /** OnChange registers a callback with the name of a function whose Function or revisions changed. */
  onChange(cb: (fn: string) => void): () => void {
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  }

  /** Has reports whether a Function of that name is installed (a Function object or any of its revisions). */
  has(name: string): boolean {
    if (!this.synced()) return false;
    return this.fns?.get(name) !== undefined || revisionsOf(name, this.revs?.list() ?? []).length > 0;
  }

  /** MissingCapabilities is upstream's capability check of the function's active revision. */
  missingCapabilities(name: string, caps: readonly string[] = [CapabilityComposition]): string | undefined {
    return this.synced() ? missingCapabilities(name, this.revs?.list() ?? [], caps) : undefined;
  }

  /**
   * Resolve returns the function for an installed Function: in-process when its package is built
   * in (and it is not a Development runtime), else a client that finds the active revision's
   * endpoint on every call and fails with upstream's messages when there is none.
   */
  resolve(name: string): CompositionFunction | undefined {
    if (!this.has(name)) return undefined;
    const fn = this.fns?.get(name);
    const pkg = str(rec(fn?.spec).package);
    if (pkg !== '' && !isDevelopment(fn)) {
      const builtin = this.o.builtin?.({ name, package: pkg });
      if (builtin !== undefined) return builtin;
    }
    let h = this.handles.get(name);
    if (h === undefined) {
      h = { run: (req, opts) => this.run(name, req, opts) };
      this.handles.set(name, h);
    }
    return h;
  }

  private async run(name: string, req: RunFunctionRequest, opts?: RunOptions): Promise<RunFunctionResponse> {
    const ep = endpointOf(name, this.fns?.get(name), this.revs?.list() ?? []);
    if (!ep.insecure && this.o.tls === undefined) {
      throw connError(
        FunctionErrorCode.NoClientTls,
        name,
        `active FunctionRevision "${ep.revision}" at "${ep.target}" needs mutual TLS and the engine has no client certificate (functionTls); annotate the Function with ${AnnotationFunctionRuntime}: ${RuntimeDevelopment} to call a local endpoint without TLS`,
        { revision: ep.revision },
      );
    }
    return await this.connection(name, ep).run(req, opts);
  }

  /** Connection returns the cached client for the endpoint, replacing one for a stale endpoint. */
  private connection(name: string, ep: FunctionEndpoint): Connection {
    const key = `${ep.insecure ? 'insecure' : 'mtls'} ${ep.target}`;
    const cached = this.conns.get(name);
    if (cached?.key === key) return cached.conn;
    if (cached !== undefined) {
      this.log.debug('Closing gRPC client connection with stale target', { function: name, old: cached.key, new: key });
      cached.conn.close();
    }
    const opts: RemoteFunctionOptions = { target: ep.target, name, timeoutMs: this.o.timeoutMs ?? 60_000, logger: this.log };
    if (!ep.insecure && this.o.tls !== undefined) opts.tls = this.o.tls;
    const conn = (this.o.connect ?? ((o) => new RemoteFunction(o)))(opts);
    this.conns.set(name, { key, conn });
    this.log.debug('Created new gRPC client connection', { function: name, target: ep.target, insecure: ep.insecure });
    return conn;
  }

  /** Attempt starts both informers once; false when a kind is not served yet (or another start error). */
  private async attempt(): Promise<boolean> {
    const fns = this.o.informers.informerFor<KubeObject>(FunctionType);
    const revs = this.o.informers.informerFor<KubeObject>(FunctionRevisionType);
    try {
      await Promise.all([fns.start(), revs.start()]);
    } catch (err) {
      this.log.debug('Cannot watch installed Functions yet', { error: formatError(err) });
      return false;
    }
    if (this.stopper.signal.aborted) return true;
    this.fns = fns;
    this.revs = revs;
    const changed = (name: string): void => {
      this.forget(name);
      for (const cb of this.listeners) cb(name);
    };
    const onFn: EventHandler<KubeObject> = {
      onAdd: (o) => changed(o.metadata.name ?? ''),
      onUpdate: (_o, n) => changed(n.metadata.name ?? ''),
      onDelete: (o) => changed(o.metadata.name ?? ''),
    };
    const parent = (o: KubeObject): string | undefined => o.metadata.labels?.[LabelParentPackage];
    const onRev: EventHandler<KubeObject> = {
      onAdd: (o) => {
        const p = parent(o);
        if (p !== undefined) changed(p);
      },
      onUpdate: (o, n) => {
        const p = parent(n);
        if (p !== undefined) changed(p);
        const before = parent(o);
        if (before !== undefined && before !== p) changed(before);
      },
      onDelete: (o) => {
        const p = parent(o);
        if (p !== undefined) changed(p);
      },
    };
    this.offs.push(fns.addHandler(onFn), revs.addHandler(onRev));
    this.log.info('Watching installed Functions');
    return true;
  }

  /** Forget closes the client of a function that is no longer installed. */
  private forget(name: string): void {
    if (this.has(name)) return;
    this.handles.delete(name);
    const c = this.conns.get(name);
    if (c === undefined) return;
    c.conn.close();
    this.conns.delete(name);
    this.log.debug('Closed gRPC client connection to Function that is no longer installed', { function: name });
  }

  private async retry(): Promise<void> {
    const signal = this.stopper.signal;
    for (let i = 0; !signal.aborted; i++) {
      const delay = Math.min(this.o.retryMaxMs ?? 30_000, 1000 * 2 ** Math.min(i, 10));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        t.unref();
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
      if (signal.aborted) return;
      if (await this.attempt()) return;
    }
  }
}
