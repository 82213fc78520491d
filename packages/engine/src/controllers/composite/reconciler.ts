import { type KubeClient, QueuePriority, type ReconcileResult, type TypeRef } from '@trellis/kube';
import {
  codeOf,
  type EventRecorder,
  formatError,
  goDuration,
  hasCode,
  type KubeObject,
  type Logger,
  nopLogger,
  nopRecorder,
  refOf,
  TrellisError,
  wrap,
} from '@trellis/sdk';
import { applyComposed, deleteComposed } from '../../apply/applier.ts';
import { decideApply, type LastApplied } from '../../apply/decide.ts';
import { appliedEntry, isPlainObject } from '../../apply/fields.ts';
import { DependenciesAnnotation, decodeDependencies, encodeDependencies, planGarbage } from '../../apply/inventory.ts';
import { composedFieldManager, FieldOwner } from '../../apply/managers.ts';
import { type Dependencies, planApply, planDeletion } from '../../apply/order.ts';
import type { EngineMetrics } from '../../metrics/engine-metrics.ts';
import {
  checkCompatible,
  chooseRevision,
  SelectErrorCode,
  type SelectionFields,
  selectComposition,
  selectionFieldsOf,
  selectRevisionSelector,
} from '../../select/select.ts';
import { PausedMessage, stableNAndSomeMore } from '../../status/conditions.ts';
import { toPipelineResults } from '../../status/results.ts';
import type { CircuitBreaker } from '../runtime/circuit.ts';
import { newWriteMemory, type WriteMemory } from '../runtime/fresh.ts';
import type { ComposeOutput, Composer, DesiredComposed } from './composer.ts';
import { publishConnection } from './connection.ts';
import { type ComposedReader, type Observation, observeComposed, refKey } from './observe.ts';
import { buildXrStatus, type XrStatusInput } from './status.ts';
import {
  CompositeFinalizer,
  hasFinalizer,
  isDeleting,
  isPaused,
  type LabelSelector,
  machinery,
  machineryPath,
  nest,
  PollIntervalAnnotation,
  type ResourceRef,
  writeConnectionSecretToRef,
  XrLabel,
  type XrSchema,
} from './xr.ts';

/** The XRD settings an XR controller reads on every reconcile (they may change at runtime). */
export interface CompositeDefinition {
  /** Xrd is the XRD (enforced and default Composition, default revision selector). */
  xrd?: KubeObject | undefined;
  /** ConnectionSecretKeys filters published connection details (legacy XRs; empty: all). */
  connectionSecretKeys?: readonly string[] | undefined;
}

/** A CompositeCache reads the objects an XR controller needs from informers. */
export interface CompositeCache {
  xr(key: string): KubeObject | undefined;
  compositions(): KubeObject[];
  revisions(): KubeObject[];
}

/** A ClaimEvents records events on the claim an XR is bound to (results targeting the claim). */
export type ClaimLookup = (xr: KubeObject) => KubeObject | undefined;

export interface CompositeReconcilerOptions {
  client: KubeClient;
  /** XrType is the XR's referenceable apiVersion and kind. */
  xrType: TypeRef;
  schema: XrSchema;
  definition: () => CompositeDefinition;
  cache: CompositeCache;
  composed: ComposedReader;
  composer: Composer;
  events?: EventRecorder;
  log?: Logger;
  metrics?: EngineMetrics;
  circuit?: CircuitBreaker;
  claimOf?: ClaimLookup;
  /** PollIntervalMs requeues XRs whose pipeline returned no TTL (default 60 s; 0 disables). */
  pollIntervalMs?: number;
  /** ApplyConcurrency bounds parallel applies within a wave (default 8). */
  applyConcurrency?: number;
  random?: () => number;
  now?: () => Date;
}

/** Reasons of the events the XR controller records (upstream's). */
/** InventoryApplied is the key of the XR's own inventory apply in its map of applied writes (composed resources use ref keys, never empty). */
const InventoryApplied = '';

const Reason = {
  Compose: 'ComposeResources',
  Select: 'SelectComposition',
  Delete: 'DeleteCompositeResource',
  Init: 'InitializeCompositeResource',
  Publish: 'PublishConnectionSecret',
  Paused: 'ReconciliationPaused',
} as const;

/** A StepError is a failure of one reconcile step that is reported in the XR's Synced condition. */
class StepError extends TrellisError {
  override name = 'StepError';
}

/**
 * A ReportedError is a failure whose status and event were already written; it only carries the
 * failure to the controller runner (backoff, metrics). Its message is complete (no cause chain).
 */
class ReportedError extends TrellisError {
  override name = 'ReportedError';
}

/**
 * A CompositeReconciler reconciles the XRs of one XRD: select a Composition and revision, observe
 * the composed resources from the cache, run the pipeline, garbage-collect what is no longer
 * desired, persist the inventory, apply the rest in dependency order gated on readiness, publish
 * connection details and write status. Every write is skipped when it would change nothing.
 */
export class CompositeReconciler {
  private readonly o: Required<Omit<CompositeReconcilerOptions, 'metrics' | 'circuit' | 'claimOf'>> &
    Pick<CompositeReconcilerOptions, 'metrics' | 'circuit' | 'claimOf'>;
  private readonly memory: WriteMemory = newWriteMemory();
  /**
   * Per-XR memory of the last writes, by XR key, dropped with the XR (forget): what was applied
   * (the inventory under InventoryApplied, each composed resource under its ref key), the status
   * written, and the connection details published.
   */
  private readonly applied = new Map<string, Map<string, LastApplied>>();
  private readonly statusApplied = new Map<string, LastApplied>();
  private readonly published = new Map<string, Map<string, string>>();

  constructor(opts: CompositeReconcilerOptions) {
    this.o = {
      events: nopRecorder,
      log: nopLogger,
      pollIntervalMs: 60_000,
      applyConcurrency: 8,
      random: Math.random,
      now: () => new Date(),
      ...opts,
    };
  }

  /**
   * Tracked reports how much this reconciler remembers (tests and debugging): the XRs it holds
   * state for, the composed resources whose last apply it remembers, and the objects it wrote and
   * keeps until the informer cache catches up. None may outgrow the XRs that exist.
   */
  tracked(): { xrs: number; composed: number; writes: number } {
    const xrs = new Set([...this.applied.keys(), ...this.statusApplied.keys(), ...this.published.keys()]);
    let composed = 0;
    for (const m of this.applied.values()) composed += m.size - (m.has(InventoryApplied) ? 1 : 0);
    return { xrs: xrs.size, composed, writes: this.memory.size() };
  }

  /** Reconcile brings one XR (by `namespace/name` key) to its desired state. */
  async reconcile(key: string, signal?: AbortSignal): Promise<ReconcileResult> {
    const xr = this.memory.fresher(`xr|${key}`, this.o.cache.xr(key));
    if (xr === undefined) return this.forget(key);
    const log = this.o.log.with({ request: key, uid: xr.metadata.uid, version: xr.metadata.resourceVersion });
    if (isPaused(xr)) return this.paused(xr);
    if (isDeleting(xr)) return await this.delete(xr, log, signal);
    return await this.compose(xr, log, signal);
  }

  // ----- steps -----------------------------------------------------------------------------------

  /** Forget drops everything remembered about the XR `key`: it is gone, or no longer ours. */
  private forget(key: string): ReconcileResult {
    this.memory.forget(`xr|${key}`);
    this.memory.forgetPrefix(`xr|${key}|`);
    this.applied.delete(key);
    this.statusApplied.delete(key);
    this.published.delete(key);
    this.o.circuit?.forget(key);
    return {};
  }

  /** Of returns the per-XR map of `maps` for `key`, made on first use. */
  private static of<V>(maps: Map<string, Map<string, V>>, key: string): Map<string, V> {
    let m = maps.get(key);
    if (m === undefined) {
      m = new Map();
      maps.set(key, m);
    }
    return m;
  }

  private async paused(xr: KubeObject): Promise<ReconcileResult> {
    this.record(xr, 'Normal', Reason.Paused, 'Reconciliation is paused via the pause annotation');
    await this.writeStatus(
      xr,
      {
        xr,
        extra: [{ type: 'Synced', status: 'False', reason: 'ReconcilePaused', message: PausedMessage }],
      },
      true,
    );
    return {};
  }

  /** Compose runs the main path; each failure ends in Synced=False with the step's message. */
  private async compose(xr: KubeObject, log: Logger, signal?: AbortSignal): Promise<ReconcileResult> {
    const key = keyOf(xr);
    const circuit = this.o.circuit?.state(key) ?? { open: false };
    let current = xr;
    // Pending is the configuration prepare chose but did not write yet: it rides on the inventory
    // apply, or is patched on its own when the reconcile fails before that.
    let pending: PendingConfiguration | undefined;
    try {
      const prepared = await this.prepare(current, signal);
      current = prepared.xr;
      pending = prepared.pending;
      const revision = prepared.revision;
      const observation = await this.observe(current, signal);
      const out = await this.o.composer.compose({
        xr: current,
        revision,
        observed: observation.observed,
        ...(signal === undefined ? {} : { signal }),
      });
      this.recordResults(current, out);
      if (out.fatal !== undefined) {
        current = await this.flushPending(xr, pending, log, signal);
        pending = undefined;
        return await this.composeFailed(current, out, circuit, log);
      }
      const desired = await this.validateDesired(current, out.resources, signal);
      const plan = this.plan(desired, observation, out.dependencies);
      await this.collectGarbage(current, observation, plan.desiredNames, out.dependencies, signal);
      current = await this.persistInventory(current, desired, observation, plan.desiredNames, out.dependencies, pending, signal);
      pending = undefined;
      const applied = await this.applyWaves(current, desired, observation, plan, signal);
      const published = await this.publish(current, out, signal);
      const statusInput: XrStatusInput = {
        xr: current,
        unsynced: applied.unsynced,
        ready: { explicit: out.compositeReady, unready: applied.unready },
        compositeStatus: out.compositeStatus,
        conditions: out.conditions,
        results: toPipelineResults(out.results),
        circuit,
        ...(published === undefined ? {} : { lastPublishedTime: published }),
      };
      await this.writeStatus(current, statusInput);
      for (const n of applied.unready) log.debug('Composed resource is not yet ready', { resource: n });
      return this.requeue(current, out);
    } catch (err) {
      if (err instanceof ReportedError || hasCode(err, 'KUBE_CONFLICT')) throw err;
      if (pending !== undefined) current = await this.flushPending(xr, pending, log, signal);
      const message = formatError(err);
      log.debug('Cannot reconcile composite resource', { error: err });
      const reason = err instanceof StepError && typeof err.details?.reason === 'string' ? err.details.reason : Reason.Compose;
      this.record(current, 'Warning', reason, message);
      try {
        await this.writeStatus(current, { xr: current, error: message, circuit });
      } catch (statusErr) {
        log.debug('Cannot update composite resource status', { error: statusErr });
      }
      throw err;
    }
  }

  private async composeFailed(
    xr: KubeObject,
    out: ComposeOutput,
    circuit: { open: boolean; triggeredBy?: string },
    log: Logger,
  ): Promise<ReconcileResult> {
    const fatal = out.fatal ?? new Error('unknown error');
    const message = `cannot compose resources: ${formatError(fatal)}`;
    log.debug('Cannot compose resources', { error: fatal });
    this.record(xr, 'Warning', Reason.Compose, message);
    await this.writeStatus(xr, {
      xr,
      error: message,
      conditions: out.conditions,
      fatal: true,
      results: toPipelineResults(out.results),
      circuit,
    });
    const code = codeOf(fatal);
    throw new ReportedError(code === 'INTERNAL' ? 'ENGINE_COMPOSE_FAILED' : code, message);
  }

  /**
   * Prepare readies the XR for composing (upstream makes one update per step): the finalizer, the
   * selected Composition (enforced, default or by label; never re-selected once set), the default
   * revision selector, the revision the update policy selects, the `crossplane.io/composite` label
   * and, for legacy XRs, the connection secret location. When the reconcile goes on to compose,
   * what changed is returned as `pending` (with the XR as it will be) and written with the
   * inventory, before any composed resource is created; when it stops here, it is patched now, so
   * a label selection is never redone. Selection itself is the pure chain in `select/`.
   */
  private async prepare(
    xr: KubeObject,
    signal?: AbortSignal,
  ): Promise<{ xr: KubeObject; revision: KubeObject; pending: PendingConfiguration | undefined }> {
    const patch: Record<string, unknown> = {};
    const events: { reason: string; message: string }[] = [];
    if (!hasFinalizer(xr, CompositeFinalizer)) patch.metadata = { finalizers: [...(xr.metadata.finalizers ?? []), CompositeFinalizer] };
    const xrd = this.o.definition().xrd;
    const compositions = this.o.cache.compositions();
    const before = selectionFieldsOf(xr, this.o.schema);
    let fields = before;
    let revision: KubeObject | undefined;
    let failure: unknown;
    try {
      const sel = selectComposition(xr, fields, xrd, compositions, this.o.random);
      const rsel = selectRevisionSelector(sel.fields, xrd);
      events.push(...sel.events, ...rsel.events);
      fields = rsel.fields;
      const comp = compositions.find((c) => c.metadata.name === fields.compositionRef?.name);
      try {
        const choice = chooseRevision(fields, comp, this.o.cache.revisions());
        events.push(...choice.events);
        fields = choice.fields;
        revision = choice.revision;
        checkCompatible(xr, revision);
      } catch (err) {
        // chooseRevision may fail after the revision ref changed (an invalid pipeline): keep it.
        failure = err;
      }
    } catch (err) {
      throw selectionError(err);
    }
    const changed = changedSelection(before, fields);
    if (Object.keys(changed).length > 0) mergeInto(patch, nest(this.o.schema, changed));
    if (revision !== undefined) mergeInto(patch, this.configuration(xr, revision));
    const proceed = failure === undefined && revision !== undefined;
    const changes = Object.keys(patch).length > 0;
    const pending = proceed && changes ? { patch, observed: xr } : undefined;
    let current = xr;
    if (pending !== undefined) current = withPatch(xr, patch);
    else if (changes) current = await this.patchXr(xr, patch, signal, 'cannot configure composite resource');
    for (const e of events) this.record(xr, 'Normal', e.reason, e.message);
    if (failure !== undefined || revision === undefined)
      throw selectionError(failure ?? new TrellisError('ENGINE_SELECT_NO_REVISION', 'no revision'));
    return { xr: current, revision, pending };
  }

  /**
   * FlushPending patches the configuration prepare chose when the reconcile fails before the
   * inventory write that would have carried it (a selection is never redone). A failure to patch
   * is logged: the reconcile's own error is the one reported.
   */
  private async flushPending(
    xr: KubeObject,
    pending: PendingConfiguration | undefined,
    log: Logger,
    signal?: AbortSignal,
  ): Promise<KubeObject> {
    if (pending === undefined) return xr;
    try {
      return await this.patchXr(pending.observed, pending.patch, signal, 'cannot configure composite resource');
    } catch (err) {
      log.debug('Cannot configure composite resource', { error: err });
      return xr;
    }
  }

  /**
   * Configuration returns the naming and API configurators' fields: the `crossplane.io/composite`
   * label and, for legacy XRs, the connection secret location from the revision.
   */
  private configuration(xr: KubeObject, rev: KubeObject): Record<string, unknown> {
    const patch: Record<string, unknown> = {};
    if (xr.metadata.labels?.[XrLabel.Composite] === undefined) patch.metadata = { labels: { [XrLabel.Composite]: xr.metadata.name ?? '' } };
    if (this.o.schema === 'Legacy' && writeConnectionSecretToRef(xr) === undefined) {
      const ns = (rev.spec as { writeConnectionSecretsToNamespace?: unknown } | undefined)?.writeConnectionSecretsToNamespace;
      if (typeof ns === 'string' && ns !== '') patch.spec = { writeConnectionSecretToRef: { name: xr.metadata.uid ?? '', namespace: ns } };
    }
    return patch;
  }

  private async observe(xr: KubeObject, signal?: AbortSignal): Promise<Observation> {
    try {
      return await observeComposed(xr, this.o.schema, {
        reader: this.o.composed,
        fresh: (k, cached) => this.memory.fresher(`xr|${keyOf(xr)}|${k}`, cached),
        client: this.o.client,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (err) {
      throw wrap(err, 'cannot compose resources: cannot observe composed resources');
    }
  }

  /**
   * ValidateDesired applies the checks upstream makes after the pipeline: composed resources of a
   * namespaced XR live in its namespace, and names are valid. Nothing is applied when one fails.
   */
  private async validateDesired(xr: KubeObject, resources: readonly DesiredComposed[], signal?: AbortSignal): Promise<DesiredComposed[]> {
    const ns = xr.metadata.namespace;
    const out: DesiredComposed[] = [];
    for (const d of resources) {
      const r = d.resource;
      if (ns !== undefined && r.metadata.namespace !== undefined && r.metadata.namespace !== ns) {
        this.record(
          xr,
          'Warning',
          'NamespaceOverridden',
          `cannot create composed resource "${d.name}" in namespace "${r.metadata.namespace}", using XR namespace "${ns}" instead`,
        );
      }
      const resource: KubeObject = ns === undefined ? r : { ...r, metadata: { ...r.metadata, namespace: ns } };
      const name = resource.metadata.name ?? '';
      if (!validName(name, resource)) {
        throw stepError(
          `cannot compose resources: cannot apply composed resource "${d.name}" because it has an invalid name "${name}". Must be a valid RFC 1123 subdomain name.`,
          Reason.Compose,
        );
      }
      if (ns !== undefined && !(await this.namespaced(resource, signal))) {
        throw stepError(
          `cannot compose resources: cannot apply cluster scoped composed resource "${d.name}" (a ${resource.kind} named ${name}) for a namespaced composite resource.`,
          Reason.Compose,
        );
      }
      out.push({ ...d, resource });
    }
    return out;
  }

  /** Namespaced asks discovery (cached by the client) whether a kind is namespaced. */
  private async namespaced(obj: KubeObject, signal?: AbortSignal): Promise<boolean> {
    try {
      const info = await this.o.client.resourceFor({ apiVersion: obj.apiVersion, kind: obj.kind }, signal === undefined ? {} : { signal });
      return info.namespaced;
    } catch (err) {
      throw wrap(
        err,
        `cannot compose resources: cannot check if composed resource "${obj.metadata.name ?? ''}" is namespaced (a ${obj.kind})`,
      );
    }
  }

  private plan(desired: readonly DesiredComposed[], observation: Observation, deps: Dependencies) {
    const exists = new Set(observation.observed.keys());
    const nodes = desired.map((d) => ({ name: d.name, exists: exists.has(d.name), ready: d.ready }));
    try {
      const plan = planApply(nodes, deps);
      return { ...plan, desiredNames: new Set(desired.map((d) => d.name)) };
    } catch (err) {
      throw wrap(err, 'cannot compose resources');
    }
  }

  /**
   * CollectGarbage deletes composed resources that are no longer desired, in reverse dependency
   * waves of the stored inventory. Resources this XR does not control are never deleted.
   */
  private async collectGarbage(
    xr: KubeObject,
    observation: Observation,
    desired: ReadonlySet<string>,
    newDeps: Dependencies,
    signal?: AbortSignal,
  ): Promise<void> {
    const plan = planGarbage(new Map([...observation.observed].map(([n, o]) => [n, o.resource])), desired, xr.metadata.uid ?? '');
    const foreign = plan.foreign[0];
    if (foreign !== undefined) {
      throw stepError(
        `cannot compose resources: cannot garbage collect composed resources: refusing to delete composed resource "${foreign.name}" that is controlled by ${foreign.controller.kind} "${foreign.controller.name}"`,
        Reason.Compose,
      );
    }
    if (plan.delete.length === 0) return;
    const stored = decodeDependencies(xr.metadata.annotations?.[DependenciesAnnotation]).deps;
    const merged: Record<string, readonly string[]> = { ...stored };
    for (const [k, v] of Object.entries(newDeps)) merged[k] = v;
    const wave = new Set(
      planDeletion(
        plan.delete.map((d) => d.name),
        merged,
      ),
    );
    for (const d of plan.delete) {
      if (!wave.has(d.name)) continue;
      try {
        await deleteComposed(this.o.client, d.name, d.object, signal);
      } catch (err) {
        throw wrap(err, 'cannot compose resources: cannot garbage collect composed resources');
      }
      const memKey = refKey(refFor(d.object, false));
      this.applied.get(keyOf(xr))?.delete(memKey);
      this.memory.forget(`xr|${keyOf(xr)}|${memKey}`);
    }
  }

  /**
   * PersistInventory records every desired composed resource (and any garbage still being deleted)
   * in `resourceRefs`, with the dependency graph, before anything is created, so that nothing can
   * leak if the controller stops half-way.
   */
  private async persistInventory(
    xr: KubeObject,
    desired: readonly DesiredComposed[],
    observation: Observation,
    desiredNames: ReadonlySet<string>,
    deps: Dependencies,
    pending: PendingConfiguration | undefined,
    signal?: AbortSignal,
  ): Promise<KubeObject> {
    const namespaced = xr.metadata.namespace !== undefined;
    const refs: ResourceRef[] = desired.map((d) => refFor(d.resource, namespaced));
    for (const [name, o] of observation.observed) {
      if (!desiredNames.has(name)) refs.push(refFor(o.resource, namespaced));
    }
    const unique = new Map(refs.map((r) => [refKey(r), r]));
    const sorted = [...unique.values()].sort((a, b) => {
      const ka = `${a.apiVersion}${a.kind}${a.name ?? ''}${a.namespace ?? ''}`;
      const kb = `${b.apiVersion}${b.kind}${b.name ?? ''}${b.namespace ?? ''}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    const edges: Record<string, readonly string[]> = {};
    for (const [k, v] of Object.entries(deps)) if (desiredNames.has(k)) edges[k] = v;
    const encoded = encodeDependencies(edges);
    const metadata: KubeObject['metadata'] = { name: xr.metadata.name ?? '' };
    if (xr.metadata.namespace !== undefined) metadata.namespace = xr.metadata.namespace;
    if (encoded !== undefined) metadata.annotations = { [DependenciesAnnotation]: encoded };
    const body: KubeObject = { apiVersion: xr.apiVersion, kind: xr.kind, metadata, ...nest(this.o.schema, { resourceRefs: sorted }) };
    const configuration = configurationToApply(xr, pending?.patch, this.o.schema);
    if (configuration.finalizers !== undefined) metadata.finalizers = configuration.finalizers;
    if (configuration.labels !== undefined) metadata.labels = configuration.labels;
    mergeInto(body, nest(this.o.schema, configuration.fields));
    const observed = pending?.observed ?? xr;
    const d = decideApply(body, observed, {
      fieldManager: FieldOwner.Composite,
      lastApplied: this.applied.get(keyOf(xr))?.get(InventoryApplied),
    });
    if (!d.apply && pending === undefined) {
      this.skipped(xr.kind, 'inventory');
      return xr;
    }
    // A configuration change is applied only over the XR it was chosen from (force would
    // otherwise overwrite a selection someone made in between).
    const rv = observed.metadata.resourceVersion;
    const send = pending === undefined || rv === undefined ? d.body : { ...d.body, metadata: { ...d.body.metadata, resourceVersion: rv } };
    try {
      const updated = await this.o.client.apply<KubeObject>(send, {
        fieldManager: FieldOwner.Composite,
        force: true,
        ...(signal === undefined ? {} : { signal }),
      });
      this.remember(xr, updated);
      CompositeReconciler.of(this.applied, keyOf(xr)).set(InventoryApplied, {
        hash: d.hash,
        resourceVersion: updated.metadata.resourceVersion ?? '',
      });
      return updated;
    } catch (err) {
      throw wrap(err, 'cannot compose resources: cannot apply composite resource references');
    }
  }

  /**
   * ApplyWaves applies the allowed resources wave by wave (bounded concurrency inside a wave) and
   * reports which are unready (including those waiting for dependencies) and which the API server
   * rejected as invalid.
   */
  private async applyWaves(
    xr: KubeObject,
    desired: readonly DesiredComposed[],
    observation: Observation,
    plan: { waves: string[][]; blocked: { name: string; waitingOn: string[] }[] },
    signal?: AbortSignal,
  ): Promise<{ unready: string[]; unsynced: string[] }> {
    const byName = new Map(desired.map((d) => [d.name, d]));
    const fieldManager = composedFieldManager(xr);
    const unsynced: string[] = [];
    for (const wave of plan.waves) {
      await runBounded(wave, this.o.applyConcurrency, async (name) => {
        const d = byName.get(name);
        if (d === undefined) return;
        const observed = observation.observed.get(name)?.resource;
        const memKey = refKey(refFor(d.resource, false));
        const outcome = await applyComposed(this.o.client, {
          name,
          desired: d.resource,
          observed,
          fieldManager,
          lastApplied: this.applied.get(keyOf(xr))?.get(memKey),
          ...(signal === undefined ? {} : { signal }),
        });
        if (outcome.invalid !== undefined) {
          unsynced.push(name);
          this.record(xr, 'Warning', Reason.Compose, formatError(outcome.invalid));
          return;
        }
        if (!outcome.applied) {
          this.skipped(d.resource.kind, 'apply');
          return;
        }
        if (outcome.object !== undefined) {
          this.memory.remember(`xr|${keyOf(xr)}|${memKey}`, outcome.object);
          CompositeReconciler.of(this.applied, keyOf(xr)).set(memKey, {
            hash: outcome.hash,
            resourceVersion: outcome.object.metadata.resourceVersion ?? '',
          });
        }
      });
    }
    const unready = desired.filter((d) => !d.ready).map((d) => d.name);
    for (const b of plan.blocked) {
      this.record(
        xr,
        'Normal',
        Reason.Compose,
        `Composed resource "${b.name}" is waiting for ${stableNAndSomeMore(b.waitingOn)} to become ready`,
      );
    }
    return { unready, unsynced };
  }

  private async publish(xr: KubeObject, out: ComposeOutput, signal?: AbortSignal): Promise<string | undefined> {
    if (this.o.schema !== 'Legacy') return undefined;
    const to = writeConnectionSecretToRef(xr);
    if (to === undefined) return undefined;
    try {
      const r = await publishConnection(this.o.client, xr, to, out.connectionDetails, {
        keys: this.o.definition().connectionSecretKeys ?? [],
        fieldManager: FieldOwner.Composite,
        memo: CompositeReconciler.of(this.published, keyOf(xr)),
        ...(signal === undefined ? {} : { signal }),
      });
      if (!r.published) return undefined;
      this.record(xr, 'Normal', Reason.Publish, 'Successfully published connection details');
      return this.o
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z');
    } catch (err) {
      throw wrap(err, 'cannot publish connection details');
    }
  }

  /**
   * Delete removes the composed resources of a deleted XR in reverse dependency waves, read from
   * its inventory (resourceRefs and the dependency annotation) without running the pipeline, and
   * releases the finalizer once they are all gone.
   */
  private async delete(xr: KubeObject, log: Logger, signal?: AbortSignal): Promise<ReconcileResult> {
    if (!hasFinalizer(xr, CompositeFinalizer)) return this.forget(keyOf(xr));
    const observation = await this.observe(xr, signal);
    const mine = observation.present.filter((p) => {
      const c = (p.object.metadata.ownerReferences ?? []).find((o) => o.controller === true);
      return c?.uid === xr.metadata.uid;
    });
    if (mine.length > 0) {
      const deps = decodeDependencies(xr.metadata.annotations?.[DependenciesAnnotation]);
      if (deps.error !== undefined) log.debug('Ignoring malformed dependency annotation', { error: deps.error });
      const wave = new Set(
        planDeletion(
          mine.map((m) => m.name),
          deps.deps,
        ),
      );
      for (const m of mine) if (wave.has(m.name)) await deleteComposed(this.o.client, m.name, m.object, signal);
      const names = mine.map((m) => m.name);
      await this.writeStatus(xr, {
        xr,
        extra: [
          { type: 'Ready', status: 'False', reason: 'Deleting', message: `Deleting composed resources: ${stableNAndSomeMore(names)}` },
        ],
      });
      // Deletions are watched; the requeue only guards against a missed event.
      return { requeueAfterMs: 30_000 };
    }
    try {
      await this.o.client.patch(
        refOf(xr),
        {
          type: 'merge',
          patch: {
            metadata: {
              resourceVersion: xr.metadata.resourceVersion,
              finalizers: (xr.metadata.finalizers ?? []).filter((f) => f !== CompositeFinalizer),
            },
          },
        },
        { fieldManager: FieldOwner.Composite, ...(signal === undefined ? {} : { signal }) },
      );
    } catch (err) {
      if (hasCode(err, 'KUBE_NOT_FOUND')) return this.forget(keyOf(xr));
      throw wrap(err, 'cannot remove composite resource finalizer');
    }
    this.record(xr, 'Normal', Reason.Delete, 'Successfully deleted composite resource');
    log.debug('Successfully deleted composite resource');
    return this.forget(keyOf(xr));
  }

  // ----- helpers ---------------------------------------------------------------------------------

  private async writeStatus(xr: KubeObject, input: XrStatusInput, paused = false): Promise<void> {
    const status = buildXrStatus({ ...input, xr, now: this.o.now() });
    if (paused) delete status.pipelineResults;
    const key = keyOf(xr);
    const body: KubeObject = { apiVersion: xr.apiVersion, kind: xr.kind, metadata: metaOf(xr), status };
    const d = decideApply(body, xr, {
      fieldManager: FieldOwner.Composite,
      subresource: 'status',
      lastApplied: this.statusApplied.get(key),
    });
    if (!d.apply) {
      this.skipped(xr.kind, 'status');
      return;
    }
    try {
      const updated = await this.o.client.apply<KubeObject>(d.body, {
        fieldManager: FieldOwner.Composite,
        force: true,
        subresource: 'status',
      });
      this.remember(xr, updated);
      this.statusApplied.set(key, { hash: d.hash, resourceVersion: updated.metadata.resourceVersion ?? '' });
    } catch (err) {
      throw wrap(err, 'cannot update composite resource status');
    }
  }

  private async patchXr(
    xr: KubeObject,
    patch: Record<string, unknown>,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<KubeObject> {
    const meta = (patch.metadata ?? {}) as Record<string, unknown>;
    const body = { ...patch, metadata: { ...meta, resourceVersion: xr.metadata.resourceVersion } };
    try {
      const updated = await this.o.client.patch<KubeObject>(
        refOf(xr),
        { type: 'merge', patch: body },
        {
          fieldManager: FieldOwner.Composite,
          ...(signal === undefined ? {} : { signal }),
        },
      );
      this.remember(xr, updated);
      return updated;
    } catch (err) {
      throw wrap(err, what);
    }
  }

  private remember(xr: KubeObject, updated: KubeObject): void {
    this.memory.remember(`xr|${keyOf(xr)}`, updated);
  }

  private recordResults(xr: KubeObject, out: ComposeOutput): void {
    const claim = this.o.claimOf?.(xr);
    for (const r of out.results) {
      const sev = r.severity.replace(/^SEVERITY_/, '');
      if (sev === 'FATAL' || sev === 'Fatal') continue;
      const type = sev === 'NORMAL' || sev === 'Normal' ? 'Normal' : 'Warning';
      const reason = r.reason !== undefined && r.reason !== '' ? r.reason : Reason.Compose;
      const message =
        sev === 'UNSPECIFIED'
          ? `Pipeline step "${r.step}" returned a result of unknown severity (assuming warning): ${r.message}`
          : `Pipeline step "${r.step}": ${r.message}`;
      this.record(xr, type, reason, message);
      if (claim !== undefined && (r.target ?? '').includes('AND_CLAIM')) this.record(claim, type, reason, r.message);
    }
  }

  private record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const ref = refOf(obj);
    this.o.events.record(obj.metadata.uid === undefined ? ref : { ...ref, uid: obj.metadata.uid }, { type, reason, message });
  }

  private skipped(kind: string, what: string): void {
    this.o.metrics?.skippedWrites.inc({ kind, what });
  }

  private requeue(xr: KubeObject, out: ComposeOutput): ReconcileResult {
    const ttl = out.ttlMs ?? 0;
    const annotated = parseGoDuration(xr.metadata.annotations?.[PollIntervalAnnotation]);
    const base = ttl > 0 ? ttl : (annotated ?? this.o.pollIntervalMs);
    if (base <= 0) return {};
    // A poll yields to XRs in flight and to new ones: events (a composed resource changed, the
    // claim changed the spec) requeue at once at a higher priority; the poll only catches drift.
    return { requeueAfterMs: jitter(Math.max(base, 1000), this.o.random), priority: QueuePriority.Low };
  }
}

// ----- pure helpers --------------------------------------------------------------------------------

/** ChangedSelection returns the selection fields that differ from what the XR had. */
function changedSelection(before: SelectionFields, after: SelectionFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['compositionRef', 'compositionRevisionSelector', 'compositionRevisionRef'] as const) {
    if (after[k] !== undefined && JSON.stringify(after[k]) !== JSON.stringify(before[k])) out[k] = after[k];
  }
  return out;
}

/** SelectionError words a selection failure as upstream's reconciler does. */
function selectionError(err: unknown): StepError {
  const msg = err instanceof Error ? err.message : String(err);
  if (hasCode(err, SelectErrorCode.NoComposition)) return stepError(`cannot select Composition: ${msg}`, Reason.Select);
  if (hasCode(err, SelectErrorCode.Incompatible)) return stepError(`cannot configure composite resource: ${msg}`, Reason.Compose);
  if (hasCode(err, SelectErrorCode.InvalidPipeline)) return stepError(msg, Reason.Compose);
  return stepError(`cannot fetch Composition: ${msg}`, Reason.Compose);
}

/** A PendingConfiguration is the merge patch prepare chose and the XR it was chosen from. */
interface PendingConfiguration {
  patch: Record<string, unknown>;
  observed: KubeObject;
}

/** WithPatch returns the XR as a merge patch (no nulls) would leave it. */
function withPatch(xr: KubeObject, patch: Record<string, unknown>): KubeObject {
  const out = structuredClone(xr) as unknown as Record<string, unknown>;
  mergeInto(out, patch);
  return out as unknown as KubeObject;
}

/** The configuration fields the inventory apply may carry, by path under `spec` (or `spec.crossplane`). */
const CONFIGURATION_FIELDS = [
  'compositionRef',
  'compositionRevisionSelector',
  'compositionRevisionRef',
  'writeConnectionSecretToRef',
] as const;

/**
 * ConfigurationToApply returns the configuration fields the XR controller's inventory apply
 * carries: those prepare is setting now (`patch`) and those an earlier inventory apply set (its
 * managedFields entry owns them: an apply that left them out would remove them), with the XR's
 * values. Fields set by others (a claim, a user, upstream's updates) are left to their owners.
 */
function configurationToApply(
  xr: KubeObject,
  patch: Record<string, unknown> | undefined,
  schema: XrSchema,
): { finalizers?: string[]; labels?: Record<string, string>; fields: Record<string, unknown> } {
  const owned = appliedEntry(xr.metadata.managedFields, FieldOwner.Composite)?.fieldsV1;
  const pm = isPlainObject(patch?.metadata) ? patch.metadata : {};
  const out: { finalizers?: string[]; labels?: Record<string, string>; fields: Record<string, unknown> } = { fields: {} };
  if (pm.finalizers !== undefined || ownsPath(owned, ['metadata', 'finalizers', `v:${JSON.stringify(CompositeFinalizer)}`])) {
    if (hasFinalizer(xr, CompositeFinalizer)) out.finalizers = [CompositeFinalizer];
  }
  const label = xr.metadata.labels?.[XrLabel.Composite];
  const labelPatched = isPlainObject(pm.labels) && pm.labels[XrLabel.Composite] !== undefined;
  if (label !== undefined && (labelPatched || ownsPath(owned, ['metadata', 'labels', XrLabel.Composite]))) {
    out.labels = { [XrLabel.Composite]: label };
  }
  const prefix = machineryPath(schema);
  const src = machinery(xr, schema);
  const patched = machinery(patch, schema);
  for (const f of CONFIGURATION_FIELDS) {
    if (src[f] === undefined) continue;
    if (patched[f] !== undefined || ownsPath(owned, [...prefix, f])) out.fields[f] = structuredClone(src[f]);
  }
  return out;
}

/** OwnsPath reports whether a managedFields set holds `path` (map keys; a last `v:` segment is a set member). */
function ownsPath(fieldsV1: unknown, path: readonly string[]): boolean {
  let node = fieldsV1;
  for (const seg of path) {
    if (!isPlainObject(node)) return false;
    node = node[seg.startsWith('v:') ? seg : `f:${seg}`];
  }
  return node !== undefined;
}

/** MergeInto merges plain objects recursively (arrays and scalars replace). */
function mergeInto(target: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    const cur = target[k];
    if (isPlainObject(v) && isPlainObject(cur)) mergeInto(cur, v);
    else target[k] = isPlainObject(v) ? structuredClone(v) : v;
  }
}

function stepError(message: string, reason: string): StepError {
  return new StepError('ENGINE_RECONCILE_STEP', message, { details: { reason } });
}

/** KeyOf returns the work-queue key of an object: `namespace/name` or `name`. */
export function keyOf(obj: KubeObject): string {
  const ns = obj.metadata.namespace;
  return ns === undefined || ns === '' ? (obj.metadata.name ?? '') : `${ns}/${obj.metadata.name ?? ''}`;
}

function metaOf(xr: KubeObject): KubeObject['metadata'] {
  const m: KubeObject['metadata'] = { name: xr.metadata.name ?? '' };
  if (xr.metadata.namespace !== undefined) m.namespace = xr.metadata.namespace;
  return m;
}

function refFor(obj: KubeObject, namespaced: boolean): ResourceRef {
  const ref: ResourceRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name ?? '' };
  if (!namespaced && obj.metadata.namespace !== undefined && obj.metadata.namespace !== '') ref.namespace = obj.metadata.namespace;
  return ref;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** ValidName checks a composed resource name: an RFC 1123 subdomain (RBAC kinds may contain `:`). */
export function validName(name: string, obj: { apiVersion: string }): boolean {
  if (name === '' || name.length > 253) return false;
  if (obj.apiVersion.startsWith('rbac.authorization.k8s.io/'))
    return !name.includes('/') && !name.includes('%') && name !== '.' && name !== '..';
  return DNS1123_SUBDOMAIN.test(name);
}

/** Jitter spreads requeues by ±10 %, as upstream does. */
export function jitter(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.9 + random() * 0.2));
}

/** ParseGoDuration parses the Go durations used in annotations (`30s`, `1m30s`, `500ms`). */
export function parseGoDuration(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const d = goDuration(v);
  // A negative interval is no interval (the default applies); a short one is at least a second.
  return d.ok && d.seconds >= 0 ? Math.max(1000, Math.round(d.seconds * 1000)) : undefined;
}

async function runBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (i < items.length) {
      const item = items[i++] as T;
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  if (errors.length > 0) throw errors[0];
}

export type { LabelSelector };
