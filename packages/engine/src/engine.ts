import {
  type CompositionFunction,
  convertResourcesComposition,
  type FunctionRef,
  FunctionRegistry,
  type RemoteTls,
} from '@trellis/functions';
import { type Informer, type InformerFactory, type KubeClient, newWorkQueue, QueuePriority, type TypeRef } from '@trellis/kube';
import { type EventRecorder, type KubeObject, type Logger, nopLogger, objectKey, TrellisError, wrap } from '@trellis/sdk';
import { ClaimReconciler } from './controllers/claim/reconciler.ts';
import type { Composer } from './controllers/composite/composer.ts';
import { CompositeReconciler } from './controllers/composite/reconciler.ts';
import { renderComposer } from './controllers/composite/render-composer.ts';
import { claimRefOf, compositionRef, XrLabel } from './controllers/composite/xr.ts';
import {
  CompositionReconciler,
  CompositionType,
  type FunctionCatalog,
  functionNames,
  RevisionType,
  RevisionValidator,
} from './controllers/composition/reconciler.ts';
import { withTrellisStatus } from './controllers/definition/extensions.ts';
import { type ControllerEngine, type CrdRenderer, DefinitionReconciler, type DefinitionRole } from './controllers/definition/reconciler.ts';
import {
  claimType,
  compositeType,
  connectionSecretKeys,
  enforcedCompositionRef,
  schemaOf,
  XrdType,
  xrdScope,
} from './controllers/definition/xrd.ts';
import { newCircuitBreaker } from './controllers/runtime/circuit.ts';
import { ComposedWatches } from './controllers/runtime/composed-watches.ts';
import { newEchoes } from './controllers/runtime/echoes.ts';
import { ControllerManager, type QueueFactory } from './controllers/runtime/manager.ts';
import { prioritised } from './controllers/runtime/priority.ts';
import { PackagedFunctions } from './functions/packaged.ts';
import { type EngineMetrics, instrumentFunction, instrumentKubeClient, newEngineMetrics } from './metrics/engine-metrics.ts';
import type { LegacyConverter } from './render/pipeline.ts';
import type { FunctionResolver } from './render/types.ts';
import { newKubeEventRecorder } from './status/events.ts';
import { xcrdRenderer } from './xcrd/renderer.ts';

/**
 * RegistryFunctions adapts a @trellis/functions FunctionRegistry: built-in functions by the
 * names real Compositions use; `remote` maps any other name to a remote endpoint (e.g. from a
 * Function object), or undefined when the function is not installed.
 */
export function registryFunctions(
  registry: FunctionRegistry = new FunctionRegistry(),
  remote: (name: string) => FunctionRef['remote'] = () => undefined,
): EngineFunctions {
  const resolve: FunctionResolver = (name) => {
    if (registry.isBuiltin({ name })) return registry.resolve({ name });
    const target = remote(name);
    return target === undefined ? undefined : registry.resolve({ name, remote: target });
  };
  return {
    resolve,
    has: (name) => registry.isBuiltin({ name }) || remote(name) !== undefined,
    builtinPackage: (ref) => (registry.isBuiltin(ref) ? registry.resolve(ref) : undefined),
  };
}

/**
 * ConvertLegacyRevision converts a legacy `mode: Resources` Composition or CompositionRevision
 * into a Pipeline running the built-in patch-and-transform (the converter accepts Compositions;
 * a revision has the same spec).
 */
export const convertLegacyRevision: LegacyConverter = (c) => {
  const { composition } = convertResourcesComposition({ ...c, kind: 'Composition' });
  return { ...(composition as KubeObject), kind: c.kind };
};

/** Functions the engine can call: a resolver for render, and a catalog for ValidPipeline. */
export interface EngineFunctions {
  resolve: FunctionResolver;
  /** Has reports whether a name resolves (defaults to `resolve(name) !== undefined`). */
  has?: (name: string) => boolean;
  /**
   * BuiltinPackage returns the in-process function for an installed Function whose package is
   * built in (e.g. a Function "my-pt" of package `.../function-patch-and-transform:v0.10.8`).
   */
  builtinPackage?: (ref: { name: string; package: string }) => CompositionFunction | undefined;
}

/** InstalledFunctionsOptions configures calls to installed (pkg.crossplane.io) Functions. */
export interface InstalledFunctionsOptions {
  /**
   * Tls is the client certificate, key and CA for mutual TLS to function endpoints (upstream:
   * Crossplane's client certificate); `loadFunctionTls(dir)` reads `tls.crt`, `tls.key` and
   * `ca.crt`. Without it only Functions annotated `render.crossplane.io/runtime: Development`
   * (called without TLS) can run.
   */
  tls?: RemoteTls;
  /** TimeoutMs is the deadline of one call (default 60 s). */
  timeoutMs?: number;
}

export interface EngineOptions {
  /** Client talks to the API server; the engine wraps it to count requests in its metrics. */
  client: KubeClient;
  informers: InformerFactory;
  /**
   * NewQueue makes one work queue per controller. Default: @trellis/kube's `newWorkQueue` with a
   * per-key backoff from 250 ms to 30 s.
   */
  newQueue?: QueueFactory;
  functions: EngineFunctions;
  log?: Logger;
  metrics?: EngineMetrics;
  /** Events records Kubernetes Events (default: core/v1 Events through `client`). */
  events?: EventRecorder;
  /** Crds turns XRDs into CRDs (default: `xcrdRenderer`, upstream's generator; Trellis' status fields are added). */
  crds?: CrdRenderer;
  /**
   * ConvertLegacy converts `mode: Resources` Compositions and revisions to a pipeline (default:
   * @trellis/functions' `convertResourcesComposition`, the built-in patch-and-transform).
   */
  convertLegacy?: LegacyConverter;
  /**
   * InstalledFunctions: a pipeline step naming a function that is not built in runs the installed
   * pkg.crossplane.io Function of that name, over gRPC at its active FunctionRevision's
   * `status.endpoint` (informer-backed). Default: on, without client TLS; `false` turns it off.
   */
  installedFunctions?: false | InstalledFunctionsOptions;
  /** Composer overrides render() (tests). */
  composer?: (schema: 'Legacy' | 'Modern') => Composer;
  /** PollIntervalMs requeues XRs whose pipeline gave no TTL (default 60 s). */
  pollIntervalMs?: number;
  /** Workers per XR and claim controller (default 4). */
  workers?: number;
  /**
   * Selector limits the engine to XRDs and Compositions (and so CompositionRevisions, which carry
   * their Composition's labels) matching a label selector, e.g. to run two engines side by side
   * on one API server. Default: everything.
   */
  selector?: string;
}

/** An Engine is the running composition engine. */
export interface Engine {
  metrics: EngineMetrics;
  /** Controllers lists the running controllers (e.g. `composite/xbuckets.example.org`). */
  controllers(): string[];
  /** Stop stops every controller and informer the engine started. */
  stop(): Promise<void>;
}

/**
 * StartEngine starts the composition engine against one API server: the XRD controllers
 * (`definition` for XRs, `offered` for claims), which start and stop an XR and a claim
 * controller per XRD at runtime; the Composition controller (revisions); and the revision
 * validator (ValidPipeline). It resolves once the engine's own informers have synced.
 */
export async function startEngine(opts: EngineOptions): Promise<Engine> {
  const metrics = opts.metrics ?? newEngineMetrics();
  const log = opts.log ?? nopLogger;
  const client = instrumentKubeClient(opts.client, metrics);
  const events = opts.events ?? newKubeEventRecorder(client, { log: log.with({ component: 'events' }) });
  const newQueue = opts.newQueue ?? (() => newWorkQueue({ baseDelayMs: 250, maxDelayMs: 30_000, qps: 50, burst: 500 }));
  const manager = new ControllerManager({ newQueue, log, metrics });
  const composed = new ComposedWatches(opts.informers, log);
  const crds = withTrellisStatus(opts.crds ?? xcrdRenderer);
  const installed = installedFunctions(opts, log);
  const configured = opts.functions.has ?? ((n: string) => opts.functions.resolve(n) !== undefined);
  const has = (n: string): boolean => configured(n) || installed?.has(n) === true;
  // Every function call is timed in trellis_function_run_duration_seconds{function,result}.
  const instrumented = new WeakMap<CompositionFunction, CompositionFunction>();
  const resolveFunction: FunctionResolver = (name) => {
    const fn = opts.functions.resolve(name) ?? installed?.resolve(name);
    if (fn === undefined) return undefined;
    let wrapped = instrumented.get(fn);
    if (wrapped === undefined) {
      wrapped = instrumentFunction(fn, name, metrics);
      instrumented.set(fn, wrapped);
    }
    return wrapped;
  };
  const catalog: FunctionCatalog = {
    has,
    missingCapabilities: (n) => (configured(n) ? undefined : installed?.missingCapabilities(n)),
  };

  const selected = opts.selector === undefined ? {} : { labelSelector: opts.selector };
  const xrds = opts.informers.informerFor<KubeObject>(XrdType, selected);
  const compositions = opts.informers.informerFor<KubeObject>(CompositionType, selected);
  const revs = opts.informers.informerFor<KubeObject>(RevisionType, selected);
  const unsubscribe: (() => void)[] = [];
  const stopHooks = new Map<string, () => void>();
  const dynamicInformers = newInformerUsers(opts.informers);

  const dynamic: ControllerEngine = {
    async start(name, spec) {
      const running = specs.get(name);
      if (running === spec.specKey && manager.get(name) !== undefined) return;
      if (manager.get(name) !== undefined) await dynamic.stop(name);
      if (spec.role === 'composite') await startComposite(name, spec.xrd);
      else await startClaim(name, spec.xrd);
      specs.set(name, spec.specKey);
    },
    async stop(name) {
      specs.delete(name);
      stopHooks.get(name)?.();
      stopHooks.delete(name);
      instanceLists.delete(name);
      await manager.stop(name);
    },
    instances(name) {
      return instanceLists.get(name)?.();
    },
  };
  const specs = new Map<string, string>();
  const instanceLists = new Map<string, () => KubeObject[]>();

  const xrdOf = (name: string): KubeObject => {
    const x = xrds.get(name);
    if (x === undefined) throw new TrellisError('ENGINE_XRD_NOT_FOUND', `CompositeResourceDefinition "${name}" not found`);
    return x;
  };

  async function informerStarted(inf: Informer<KubeObject>, what: string): Promise<void> {
    try {
      await inf.start();
    } catch (err) {
      throw wrap(err, `cannot start informer for ${what}`);
    }
  }

  /**
   * Served waits for discovery to know a kind before an informer is made for it: an informer whose
   * first list fails because the kind is unknown stops (the factory replaces it on the next
   * request), so asking discovery first saves a failed list and a dead informer per attempt.
   */
  async function served(type: TypeRef): Promise<void> {
    try {
      await client.resourceFor(type);
    } catch (err) {
      client.invalidateDiscovery();
      throw wrap(err, `${type.kind}.${type.apiVersion} is not served yet`);
    }
  }

  /** StartedOrCleanedUp stops a half-started controller when its informers cannot start. */
  async function startedOrCleanedUp(name: string, start: () => Promise<unknown>): Promise<void> {
    try {
      await start();
    } catch (err) {
      stopHooks.get(name)?.();
      stopHooks.delete(name);
      instanceLists.delete(name);
      await manager.stop(name);
      throw err;
    }
  }

  async function startComposite(name: string, xrdName: string): Promise<void> {
    const xrd = xrdOf(xrdName);
    const type = compositeType(xrd);
    if (type === undefined)
      throw new TrellisError('ENGINE_XRD_INVALID', `CompositeResourceDefinition "${xrdName}" has no referenceable version`);
    const xrType: TypeRef = { apiVersion: type.apiVersion, kind: type.kind };
    const scope = xrdScope(xrd);
    const schema = schemaOf(scope);
    await served(xrType);
    const xrs = dynamicInformers.acquire(xrType);
    const circuit = newCircuitBreaker();
    const composer =
      opts.composer?.(schema) ??
      renderComposer({
        client,
        functions: resolveFunction,
        schema,
        convertLegacy: opts.convertLegacy ?? convertLegacyRevision,
      });
    const reconciler = new CompositeReconciler({
      client,
      xrType,
      schema,
      definition: () => {
        const x = xrds.get(xrdName) ?? xrd;
        return { xrd: x, connectionSecretKeys: connectionSecretKeys(x) };
      },
      cache: { xr: (key) => xrs.get(key), compositions: () => compositions.list(), revisions: () => revs.list() },
      composed,
      composer,
      events,
      log: log.with({ controller: name }),
      metrics,
      circuit,
      claimOf: (xr) => {
        const ref = claimRefOf(xr);
        if (ref === undefined) return undefined;
        return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace } };
      },
      ...(opts.pollIntervalMs === undefined ? {} : { pollIntervalMs: opts.pollIntervalMs }),
    });
    const controller = manager.start({
      name,
      kind: 'composite',
      workers: opts.workers ?? 4,
      reconcile: (k, s) => reconciler.reconcile(k, s),
    });
    // Not the echoes of its own writes: an XR's status is an input of its pipeline (a patch from
    // the XR's status), so a status write is followed by a reconcile, as upstream.
    const offXr = xrs.addHandler(prioritised(xrs, (o, p) => controller.enqueue(objectKey(o), p)));
    const offRev = revs.addHandler({
      onAdd: (r) => requeueUsers(r),
      onUpdate: (_o, r) => requeueUsers(r),
    });
    function requeueUsers(rev: KubeObject): void {
      const comp = rev.metadata.labels?.[XrLabel.CompositionName];
      if (comp === undefined) return;
      // A bulk requeue (every XR of a Composition): behind the XRs in flight.
      for (const xr of xrs.list()) if (compositionRef(xr, schema)?.name === comp) controller.enqueue(objectKey(xr), QueuePriority.Low);
    }
    // A composed resource changed (created, became ready...): its XR is in flight and goes first,
    // so readiness reaches the XR without waiting behind the first pass over every other XR.
    const offRoute = composed.route(xrType, {
      namespaced: scope === 'Namespaced',
      enqueue: (key, source) => {
        if (circuit.allow(key, source)) controller.enqueue(key, QueuePriority.High);
      },
    });
    stopHooks.set(name, () => {
      offXr();
      offRev();
      offRoute();
      dynamicInformers.release(xrType, xrs);
    });
    instanceLists.set(name, () => xrs.list());
    await startedOrCleanedUp(name, () => informerStarted(xrs, `${type.kind}.${type.apiVersion}`));
    for (const xr of xrs.list()) controller.enqueue(objectKey(xr), QueuePriority.Low);
  }

  async function startClaim(name: string, xrdName: string): Promise<void> {
    const xrd = xrdOf(xrdName);
    const ct = claimType(xrd);
    const xt = compositeType(xrd);
    if (ct === undefined || xt === undefined)
      throw new TrellisError('ENGINE_XRD_INVALID', `CompositeResourceDefinition "${xrdName}" offers no claims`);
    const claimT: TypeRef = { apiVersion: ct.apiVersion, kind: ct.kind };
    const xrT: TypeRef = { apiVersion: xt.apiVersion, kind: xt.kind };
    await served(claimT);
    await served(xrT);
    const claims = dynamicInformers.acquire(claimT);
    const xrs = dynamicInformers.acquire(xrT);
    // The claim controller's own writes (claims, and XRs it applies): their events start no reconcile.
    const claimEchoes = newEchoes();
    const xrEchoes = newEchoes();
    const reconciler = new ClaimReconciler({
      client,
      claimType: claimT,
      xrType: xrT,
      cache: { claim: (key) => claims.get(key), xr: (n) => xrs.get(n) },
      hasEnforcedComposition: () => enforcedCompositionRef(xrds.get(xrdName) ?? xrd) !== undefined,
      selection: () => ({ xrd: xrds.get(xrdName) ?? xrd, compositions: compositions.list(), revisions: revs.list() }),
      ownWrites: { claims: claimEchoes, xrs: xrEchoes },
      events,
      log: log.with({ controller: name }),
      metrics,
    });
    const controller = manager.start({ name, kind: 'claim', workers: opts.workers ?? 4, reconcile: (k, s) => reconciler.reconcile(k, s) });
    const offClaim = claims.addHandler(prioritised(claims, (o, p) => controller.enqueue(objectKey(o), p), claimEchoes));
    // The bound XR changed (its Composition, status, readiness): the claim is in flight and goes
    // first, so the XR's status reaches the claim at once. Initial lists and resyncs stay Low.
    const fromXr = (xr: KubeObject, priority: number): void => {
      const ref = claimRefOf(xr);
      if (ref !== undefined && ref.kind === ct.kind) controller.enqueue(`${ref.namespace}/${ref.name}`, priority);
      else {
        const n = xr.metadata.labels?.[XrLabel.ClaimName];
        const ns = xr.metadata.labels?.[XrLabel.ClaimNamespace];
        if (n !== undefined && ns !== undefined) controller.enqueue(`${ns}/${n}`, priority);
      }
    };
    const offXr = xrs.addHandler(prioritised(xrs, (o, p) => fromXr(o, p === QueuePriority.Normal ? QueuePriority.High : p), xrEchoes));
    stopHooks.set(name, () => {
      offClaim();
      offXr();
      dynamicInformers.release(claimT, claims);
      dynamicInformers.release(xrT, xrs);
    });
    instanceLists.set(name, () => claims.list());
    await startedOrCleanedUp(name, () =>
      Promise.all([informerStarted(claims, `${ct.kind}.${ct.apiVersion}`), informerStarted(xrs, `${xt.kind}.${xt.apiVersion}`)]),
    );
    for (const c of claims.list()) controller.enqueue(objectKey(c), QueuePriority.Low);
  }

  // Static controllers: XRDs (two roles), Compositions, CompositionRevisions.
  const startDefinition = (role: DefinitionRole, name: string): void => {
    const rec = new DefinitionReconciler({
      client,
      role,
      xrd: (n) => xrds.get(n),
      crds,
      engine: dynamic,
      events,
      log: log.with({ controller: name }),
      metrics,
    });
    const c = manager.start({ name, kind: 'definition', reconcile: (k, s) => rec.reconcile(k, s) });
    const enqueue = (o: KubeObject): void => c.enqueue(o.metadata.name ?? '');
    unsubscribe.push(xrds.addHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue }));
  };
  startDefinition('composite', 'definition');
  startDefinition('claim', 'offered');

  const compRec = new CompositionReconciler({
    client,
    composition: (n) => compositions.get(n),
    revisions: (comp) => revs.list().filter((r) => r.metadata.labels?.[XrLabel.CompositionName] === comp),
    events,
    log: log.with({ controller: 'composition' }),
  });
  const compCtl = manager.start({ name: 'composition', kind: 'composition', reconcile: (k, s) => compRec.reconcile(k, s) });
  unsubscribe.push(
    compositions.addHandler({
      onAdd: (o) => compCtl.enqueue(o.metadata.name ?? ''),
      onUpdate: (_o, n) => compCtl.enqueue(n.metadata.name ?? ''),
    }),
  );
  const byComposition = (r: KubeObject): void => {
    const comp = r.metadata.labels?.[XrLabel.CompositionName];
    if (comp !== undefined) compCtl.enqueue(comp);
  };
  unsubscribe.push(revs.addHandler({ onAdd: byComposition, onDelete: byComposition }));

  const validator = new RevisionValidator({
    client,
    revision: (n) => revs.get(n),
    functions: catalog,
    log: log.with({ controller: 'revision' }),
  });
  const revCtl = manager.start({ name: 'revision', kind: 'revision', reconcile: (k, s) => validator.reconcile(k, s) });
  unsubscribe.push(
    revs.addHandler({ onAdd: (o) => revCtl.enqueue(o.metadata.name ?? ''), onUpdate: (_o, n) => revCtl.enqueue(n.metadata.name ?? '') }),
  );
  // A Function installed, upgraded or removed changes the ValidPipeline of the revisions naming it.
  if (installed !== undefined) {
    unsubscribe.push(
      installed.onChange((fn) => {
        for (const r of revs.list()) if (functionNames(r).includes(fn)) revCtl.enqueue(r.metadata.name ?? '');
      }),
    );
  }

  await Promise.all([
    informerStarted(xrds, 'CompositeResourceDefinitions'),
    informerStarted(compositions, 'Compositions'),
    informerStarted(revs, 'CompositionRevisions'),
    installed?.start(),
  ]);
  log.info('Composition engine started', { controllers: manager.names() });

  return {
    metrics,
    controllers: () => manager.names(),
    async stop() {
      for (const off of unsubscribe) off();
      for (const hook of stopHooks.values()) hook();
      await manager.stopAll();
      installed?.stop();
      log.info('Composition engine stopped');
    },
  };
}

/**
 * InformerUsers counts the XR and claim controllers using the informer of each XR and claim kind,
 * and stops an informer when its last user stops. Those controllers stop when their XRD goes away,
 * and the CRD of the kind with it: an informer left running would retry its failing watch for as
 * long as the process lives, holding its cache and handlers, and when the XRD came back (a package
 * reinstalled) its new controllers would get that informer in a backoff of up to 30 s instead of
 * one that lists at once. Each user releases the informer it acquired, so a stopped informer the
 * factory has since replaced is never counted for its successor.
 */
export function newInformerUsers(factory: InformerFactory): {
  acquire(type: TypeRef): Informer<KubeObject>;
  release(type: TypeRef, informer: Informer<KubeObject>): void;
  /** Users reports how many users the kind's informer has (tests). */
  users(type: TypeRef): number;
} {
  const byKind = new Map<string, { informer: Informer<KubeObject>; users: number }>();
  const keyOf = (t: TypeRef): string => `${t.apiVersion}|${t.kind}`;
  return {
    acquire(type) {
      const informer = factory.informerFor<KubeObject>(type);
      const e = byKind.get(keyOf(type));
      if (e?.informer === informer) e.users++;
      else byKind.set(keyOf(type), { informer, users: 1 });
      return informer;
    },
    release(type, informer) {
      const e = byKind.get(keyOf(type));
      if (e === undefined || e.informer !== informer) return;
      e.users--;
      if (e.users > 0) return;
      byKind.delete(keyOf(type));
      informer.stop();
    },
    users: (type) => byKind.get(keyOf(type))?.users ?? 0,
  };
}

/** InstalledFunctions makes the resolver of installed Functions, unless turned off. */
function installedFunctions(opts: EngineOptions, log: Logger): PackagedFunctions | undefined {
  if (opts.installedFunctions === false) return undefined;
  const o = opts.installedFunctions ?? {};
  const builtin = opts.functions.builtinPackage;
  return new PackagedFunctions({
    informers: opts.informers,
    log: log.with({ component: 'functions' }),
    ...(o.tls === undefined ? {} : { tls: o.tls }),
    ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
    ...(builtin === undefined ? {} : { builtin }),
  });
}
