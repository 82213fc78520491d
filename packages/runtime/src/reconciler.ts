import type { KubeClient, ReconcileResult } from '@trellis/kube';
import type {
  CallOptions,
  Condition,
  EventRecorder,
  ExternalClient,
  ExternalConnector,
  ExternalObservation,
  KubeObject,
  Logger,
  ObjectRef,
} from '@trellis/sdk';
import {
  creating,
  deleting,
  describeRef,
  formatError,
  nopLogger,
  nopRecorder,
  oneLine,
  reconcileError,
  reconcilePaused,
  reconcileSuccess,
  refOf,
  splitKey,
  TrellisError,
  wrap,
} from '@trellis/sdk';
import type { ConnectionPublisher } from './connection.ts';
import { nopPublisher } from './connection.ts';
import { isKubeConflict, isKubeNotFound, outcomeUnknown, RuntimeCode, retryHintOf } from './errors.ts';
import { canonicalJson, clone, deletionPolicyOf, managementPoliciesOf, markConditions, statusOf } from './fields.ts';
import type { AdoptionPolicy } from './meta.ts';
import {
  Annotation,
  adoptionPolicyOf,
  annotationOf,
  externalCreateIncomplete,
  externalCreatePendingAt,
  externalCreateSucceededWithin,
  getExternalName,
  hasCreateHistory,
  hasFinalizer,
  isPaused,
  removeFinalizer,
  setExternalCreateFailed,
  setExternalCreatePending,
  setExternalCreateSucceeded,
  wasDeleted,
} from './meta.ts';
import type { PolicyChecker } from './policies.ts';
import { newPolicyChecker } from './policies.ts';
import type { PollOptions } from './poll.ts';
import { defaultPollOptions, nextPoll } from './poll.ts';
import type { ObjectReader, UsageTracker } from './providerconfig.ts';
import { nopUsageTracker } from './providerconfig.ts';
import type { ReferenceResolver, ReferenceSpec } from './references.ts';
import { nopResolver } from './references.ts';

/** The finalizer upstream puts on every managed resource. */
export const managedFinalizer = 'finalizer.managedresource.crossplane.io';

/** ExternalNameSource says who chooses the external name of a kind. */
export const ExternalNameSource = {
  /** Client: the name follows from the spec (a zone name, a role name): a repeated Create cannot duplicate. */
  Client: 'client',
  /** Server: the external system assigns an identifier on Create (a silence UUID). */
  Server: 'server',
} as const;
export type ExternalNameSource = (typeof ExternalNameSource)[keyof typeof ExternalNameSource];

/**
 * A ManagedKind describes one kind of managed resource to the runtime.
 */
export interface ManagedKind<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  connector: ExternalConnector<T>;
  /**
   * ExternalName says who chooses the external name. For `client` kinds an interrupted Create is
   * safe to repeat (upstream's `WithDeterministicExternalName`); for `server` kinds it is not,
   * unless the kind can look the resource up.
   */
  externalName: ExternalNameSource;
  /**
   * Lookup: Observe can find the external resource without its external name (by a natural key
   * such as a name, or the fields the kind declares unique) and then sets the external name on the
   * resource. A `server` kind with lookup recovers from an interrupted Create by itself: it waits
   * out the call deadline, then looks the resource up before creating again.
   */
  lookup?: boolean;
  /** References are the `fooRef`/`fooSelector` fields of the kind. */
  references?: readonly ReferenceSpec[];
}

/** Options of a managed reconciler; every field has a default. */
export interface ManagedReconcilerOptions {
  log: Logger;
  events: EventRecorder;
  /** Reader reads the resource at the start of a reconcile (default: a live GET). */
  reader: ObjectReader;
  publisher: ConnectionPublisher;
  usage: UsageTracker;
  /** Resolver resolves references (default: none, or an API resolver when the kind declares references). */
  resolver: ReferenceResolver;
  poll: PollOptions;
  /** CallTimeoutMs is the deadline of each provider call (connect, observe, create, update, delete). */
  callTimeoutMs: number;
  /** CreationGracePeriodMs: a resource not found this soon after a successful Create is waited for, not re-created. */
  creationGracePeriodMs: number;
  /**
   * AdoptionPolicy is the default for resources without the `trellis.dev/adoption-policy`
   * annotation: `Refuse` (default) reports an existing external resource instead of taking it over.
   */
  adoptionPolicy: AdoptionPolicy;
  now: () => Date;
  random: () => number;
  finalizer: string;
}

/** A ManagedReconciler reconciles one managed resource by key (`name` or `namespace/name`). */
export interface ManagedReconciler {
  reconcile(key: string, signal?: AbortSignal): Promise<ReconcileResult>;
}

/** Event reasons, as upstream spells them. */
export const EventReason = {
  CannotConnect: 'CannotConnectToProvider',
  CannotDisconnect: 'CannotDisconnectFromProvider',
  CannotInitialize: 'CannotInitializeManagedResource',
  CannotResolveRefs: 'CannotResolveResourceReferences',
  CannotObserve: 'CannotObserveExternalResource',
  CannotCreate: 'CannotCreateExternalResource',
  CannotDelete: 'CannotDeleteExternalResource',
  CannotPublish: 'CannotPublishConnectionDetails',
  CannotUpdate: 'CannotUpdateExternalResource',
  CannotUpdateManaged: 'CannotUpdateManagedResource',
  ManagementPolicyInvalid: 'CannotUseInvalidManagementPolicy',
  Deleted: 'DeletedExternalResource',
  Created: 'CreatedExternalResource',
  Updated: 'UpdatedExternalResource',
  Pending: 'PendingExternalResource',
  Paused: 'ReconciliationPaused',
  ReconcileRequestHandled: 'ReconcileRequestHandled',
  NotAdopted: 'ExternalResourceNotAdopted',
  Adopted: 'AdoptedExternalResource',
} as const;

/** ObserveMatched: `UpToDate=True` (crossplane apis/core/v2): Observe found the resource as desired. */
export function observeMatched(): Condition {
  return { type: 'UpToDate', status: 'True', reason: 'ObserveMatched' };
}

/** UpdateRequested: `UpToDate=False`: drift was found and Update was called. */
export function updateRequested(): Condition {
  return { type: 'UpToDate', status: 'False', reason: 'UpdateRequested' };
}

/** UpdateRestricted: `UpToDate=False`: drift was found and the management policies forbid Update. */
export function updateRestricted(diff: string | undefined): Condition {
  const c: Condition = { type: 'UpToDate', status: 'False', reason: 'UpdateRestricted' };
  return diff === undefined || diff === '' ? c : { ...c, message: oneLine(`the external resource differs: ${diff}`).slice(0, 1000) };
}

/** The message upstream uses when a Create's result is unknown (kept verbatim: people search for it). */
export const errCreateIncomplete =
  'cannot determine creation result - remove the crossplane.io/external-create-pending annotation if it is safe to proceed';

/**
 * NewManagedReconciler returns the managed-resource reconciler of one kind. It follows
 * crossplane-runtime's `managed.Reconciler` step by step (see docs/providers.md), with three
 * Trellis differences: the status is written only when it changed (zero writes in steady state);
 * an existing external resource is taken over only when its external name was given, this
 * resource created it, or an adoption policy says so; and a `server` kind that can look its
 * resources up recovers from an interrupted Create without a person.
 */
export function newManagedReconciler<T extends KubeObject>(
  client: KubeClient,
  kind: ManagedKind<T>,
  options: Partial<ManagedReconcilerOptions> = {},
): ManagedReconciler {
  const o: ManagedReconcilerOptions = {
    log: nopLogger,
    events: nopRecorder,
    reader: { get: (ref, signal) => client.getIfExists(ref, signal === undefined ? {} : { signal }) },
    publisher: nopPublisher,
    usage: nopUsageTracker,
    resolver: nopResolver,
    poll: defaultPollOptions,
    callTimeoutMs: 30_000,
    creationGracePeriodMs: 30_000,
    adoptionPolicy: 'Refuse',
    now: () => new Date(),
    random: Math.random,
    finalizer: managedFinalizer,
    ...options,
  };
  return {
    reconcile: (key, signal) => new Reconcile(client, kind as unknown as ManagedKind, o, key, signal).run(),
  };
}

/** One pass of the reconciler over one resource; holds the per-pass state. */
class Reconcile {
  private readonly client: KubeClient;
  private readonly kind: ManagedKind;
  private readonly o: ManagedReconcilerOptions;
  private readonly key: string;
  private readonly signal: AbortSignal | undefined;
  private log: Logger;
  /** Mr is the working copy: its metadata follows every write; its status is what we want written. */
  private mr!: KubeObject;
  /** StatusBefore is the status as read, to decide whether a status write is needed. */
  private statusBefore = '';
  private policy!: PolicyChecker;
  private external: ExternalClient | undefined;
  private reconcileToken: string | undefined;

  constructor(client: KubeClient, kind: ManagedKind, o: ManagedReconcilerOptions, key: string, signal: AbortSignal | undefined) {
    this.client = client;
    this.kind = kind;
    this.o = o;
    this.key = key;
    this.signal = signal;
    this.log = o.log.with({ controller: `managed/${kind.kind}`, request: key });
  }

  async run(): Promise<ReconcileResult> {
    const obj = await this.read();
    if (obj === undefined) return {};
    this.mr = clone(obj);
    this.statusBefore = canonicalJson(obj.status ?? {});
    this.log = this.log.with({ uid: obj.metadata.uid, version: obj.metadata.resourceVersion, 'external-name': getExternalName(obj) });
    this.policy = newPolicyChecker({ managementPolicies: managementPoliciesOf(obj), deletionPolicy: deletionPolicyOf(obj) });
    try {
      return await this.steps();
    } finally {
      await this.disconnect();
    }
  }

  /** Steps is the reconcile, as a list of steps; each returns a result to stop, or undefined to go on. */
  private async steps(): Promise<ReconcileResult> {
    return (
      (await this.checkPaused()) ??
      this.noteReconcileRequest() ??
      (await this.checkPolicies()) ??
      (await this.orphanIfDeletedWithoutDelete()) ??
      (await this.guardIncompleteCreate()) ??
      (await this.resolveReferences()) ??
      (await this.connect()) ??
      (await this.observeAndAct())
    );
  }

  private async read(): Promise<KubeObject | undefined> {
    const { namespace, name } = splitKey(this.key);
    const ref: ObjectRef = {
      apiVersion: this.kind.apiVersion,
      kind: this.kind.kind,
      name,
      ...(namespace === undefined ? {} : { namespace }),
    };
    return this.o.reader.get(ref, this.signal);
  }

  private get who(): string {
    return describeRef(refOf(this.mr));
  }

  private get kubeOpts(): { signal?: AbortSignal } {
    return this.signal === undefined ? {} : { signal: this.signal };
  }

  private record(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.o.events.record(
      { ...refOf(this.mr), ...(this.mr.metadata.uid === undefined ? {} : { uid: this.mr.metadata.uid }) },
      { type, reason, message },
    );
  }

  private pollResult(): ReconcileResult {
    return { requeueAfterMs: nextPoll(this.mr, this.o.poll, this.o.random) };
  }

  /** RetryResult turns an error into the requeue it deserves: Retry-After, the poll for permanent errors, else backoff. */
  private retryResult(err: unknown): ReconcileResult {
    const hint = retryHintOf(err);
    if (hint.retryAfterMs !== undefined) return { requeueAfterMs: Math.max(hint.retryAfterMs, 1) };
    if (hint.permanent) return this.pollResult();
    return { requeue: true };
  }

  /** WriteStatus writes the status subresource when (and only when) it differs from what was read. */
  private async writeStatus(): Promise<void> {
    if (this.reconcileToken !== undefined) statusOf(this.mr).lastHandledReconcileAt = this.reconcileToken;
    if (canonicalJson(this.mr.status ?? {}) === this.statusBefore) return;
    const updated = await this.client.updateStatus(this.mr, this.kubeOpts);
    this.mr.metadata = updated.metadata;
    this.statusBefore = canonicalJson(this.mr.status ?? {});
  }

  /**
   * Fail records an error: event, `Synced=False/ReconcileError` (plus `extra` conditions), a status
   * write, and the requeue the error deserves. A 409 anywhere is a silent requeue.
   */
  private async fail(err: unknown, reason: string, context: string | undefined, extra: Condition[] = []): Promise<ReconcileResult> {
    if (isKubeConflict(err)) {
      this.log.debug('Conflict, requeueing', { error: err });
      return { requeue: true };
    }
    const wrapped = context === undefined ? err : wrap(err, context);
    const message = formatError(wrapped);
    this.log.debug('Reconcile error', { error: wrapped, reason });
    this.record('Warning', reason, message);
    markConditions(this.mr, ...extra, reconcileError(message));
    return this.finish(this.retryResult(err));
  }

  /** Finish writes the status and returns `result`; a failed status write becomes a requeue. */
  private async finish(result: ReconcileResult): Promise<ReconcileResult> {
    try {
      await this.writeStatus();
    } catch (err) {
      if (isKubeConflict(err) || isKubeNotFound(err)) return { requeue: true };
      throw wrap(err, `cannot update status of ${this.who}`);
    }
    return result;
  }

  private async checkPaused(): Promise<ReconcileResult | undefined> {
    if (!isPaused(this.mr) && !this.policy.isPaused()) return undefined;
    this.log.debug('Reconciliation is paused');
    if (!this.alreadyHas(reconcilePaused())) {
      this.record(
        'Normal',
        EventReason.Paused,
        'Reconciliation is paused either through the `spec.managementPolicies` or the pause annotation',
      );
    }
    markConditions(this.mr, reconcilePaused());
    return this.finish({});
  }

  private alreadyHas(c: Condition): boolean {
    const conds = (this.mr.status as { conditions?: Condition[] } | undefined)?.conditions ?? [];
    return conds.some((x) => x.type === c.type && x.status === c.status && x.reason === c.reason);
  }

  private noteReconcileRequest(): undefined {
    const token = annotationOf(this.mr, Annotation.ReconcileRequestedAt);
    const handled = (this.mr.status as { lastHandledReconcileAt?: string } | undefined)?.lastHandledReconcileAt;
    if (token !== undefined && token !== handled) {
      this.record('Normal', EventReason.ReconcileRequestHandled, 'Handling reconcile request');
      this.reconcileToken = token;
    }
    return undefined;
  }

  private async checkPolicies(): Promise<ReconcileResult | undefined> {
    try {
      this.policy.validate();
      return undefined;
    } catch (err) {
      this.record('Warning', EventReason.ManagementPolicyInvalid, formatError(err));
      markConditions(this.mr, reconcileError(formatError(err)));
      return this.finish({});
    }
  }

  /** OrphanIfDeletedWithoutDelete: a deleted resource that must not delete its external resource just lets go. */
  private async orphanIfDeletedWithoutDelete(): Promise<ReconcileResult | undefined> {
    if (!wasDeleted(this.mr) || this.policy.shouldDelete()) return undefined;
    this.log.debug('Orphaning the external resource');
    try {
      await this.o.publisher.unpublish(this.mr, this.signal);
      await this.removeFinalizer();
    } catch (err) {
      return this.fail(err, EventReason.CannotUpdateManaged, undefined, [deleting()]);
    }
    return {};
  }

  /**
   * GuardIncompleteCreate: if a Create started and its result was never recorded, a `server`
   * kind may have leaked an external resource whose identifier we do not know. Unless the kind
   * chooses its names or can look resources up, stop and ask a person (upstream's behaviour).
   */
  private async guardIncompleteCreate(): Promise<ReconcileResult | undefined> {
    if (!externalCreateIncomplete(this.mr)) return undefined;
    if (this.kind.externalName === ExternalNameSource.Client || this.kind.lookup === true) {
      this.log.debug('Cannot determine creation result, but proceeding: the kind can find its external resource');
      return undefined;
    }
    // Confirm against the API server: the cache may not have seen our own "succeeded" write yet.
    const live = await this.client.getIfExists(refOf(this.mr), this.kubeOpts);
    if (live === undefined) return {};
    if (!externalCreateIncomplete(live)) return { requeue: true };
    this.log.info(errCreateIncomplete);
    this.record('Warning', EventReason.CannotInitialize, errCreateIncomplete);
    markConditions(this.mr, creating(), reconcileError(errCreateIncomplete));
    return this.finish({});
  }

  private async resolveReferences(): Promise<ReconcileResult | undefined> {
    if (wasDeleted(this.mr)) return undefined;
    try {
      const changed = await this.o.resolver.resolve(this.mr, this.signal);
      if (changed) await this.updateObject();
      return undefined;
    } catch (err) {
      return this.fail(err, EventReason.CannotResolveRefs, undefined);
    }
  }

  /**
   * Call runs one provider call under its own deadline, and abandons a call that ignores its
   * signal at the deadline. The deadline is a plain timer on a controller of our own: a signal
   * from AbortSignal.timeout() combined with AbortSignal.any() can be garbage-collected before it
   * fires on Node 20, which left calls to a hanging server waiting forever.
   */
  private async call<R>(what: string, fn: (opts: CallOptions) => Promise<R>): Promise<R> {
    const ctl = new AbortController();
    const timeout = new TrellisError(RuntimeCode.CallTimeout, `${what} did not finish within ${this.o.callTimeoutMs} ms`, {
      details: { retry: 'backoff', outcome: 'unknown' },
    });
    let fail: ((err: unknown) => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const timer = setTimeout(() => {
      ctl.abort(timeout);
      fail?.(timeout);
    }, this.o.callTimeoutMs);
    const parent = this.signal;
    const onParent = (): void => {
      ctl.abort(parent?.reason);
      fail?.(parent?.reason ?? timeout);
    };
    if (parent?.aborted === true) onParent();
    else parent?.addEventListener('abort', onParent, { once: true });
    try {
      return await Promise.race([fn({ signal: ctl.signal }), aborted]);
    } finally {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
      // The race is settled; a later rejection of `aborted` has no one to tell.
      aborted.catch(() => {});
    }
  }

  private async connect(): Promise<ReconcileResult | undefined> {
    try {
      await this.o.usage.track(this.mr, this.signal);
      this.external = await this.call('connect', (opts) => this.kind.connector.connect(this.mr, opts));
      return undefined;
    } catch (err) {
      return this.fail(err, EventReason.CannotConnect, 'connect failed');
    }
  }

  private async disconnect(): Promise<void> {
    if (this.external === undefined) return;
    try {
      await this.external.disconnect();
    } catch (err) {
      this.log.debug('Cannot disconnect from provider', { error: err });
      this.record('Warning', EventReason.CannotDisconnect, formatError(err));
    }
  }

  /** Bound reports whether the external resource belongs to this managed resource. */
  private bound(readExternalName: string | undefined): boolean {
    if (readExternalName !== undefined || hasCreateHistory(this.mr)) return true;
    return (adoptionPolicyOf(this.mr) ?? this.o.adoptionPolicy) === 'Adopt';
  }

  private async observeAndAct(): Promise<ReconcileResult> {
    const external = this.external;
    if (external === undefined) return {};
    const readExternalName = getExternalName(this.mr);
    const statusBeforeObserve = clone(statusOf(this.mr));
    let obs: ExternalObservation;
    try {
      obs = await this.call('observe', (opts) => external.observe(this.mr, opts));
    } catch (err) {
      return this.fail(err, EventReason.CannotObserve, 'observe failed');
    }
    const bound = this.bound(readExternalName);

    if (!obs.resourceExists && this.policy.shouldOnlyObserve()) {
      const err = new TrellisError(RuntimeCode.ExternalNotFound, 'external resource does not exist');
      this.record('Warning', EventReason.CannotObserve, err.message);
      markConditions(this.mr, reconcileError(formatError(wrap(err, 'observe failed'))));
      return this.finish(this.pollResult());
    }
    if (!obs.resourceExists && !wasDeleted(this.mr) && externalCreateSucceededWithin(this.mr, this.o.creationGracePeriodMs, this.o.now())) {
      this.log.debug('Waiting for external resource existence to be confirmed');
      this.record('Normal', EventReason.Pending, 'Waiting for external resource existence to be confirmed');
      return { requeue: true };
    }
    if (wasDeleted(this.mr)) return this.deleteExternal(external, obs, bound);
    if (obs.resourceExists && !bound && !this.policy.shouldOnlyObserve()) {
      // What Observe wrote describes a resource that is not ours: keep the status as it was.
      this.mr.status = statusBeforeObserve;
      return this.refuseAdoption();
    }

    try {
      await this.o.publisher.publish(this.mr, obs.connectionDetails, this.signal);
    } catch (err) {
      return this.fail(err, EventReason.CannotPublish, undefined);
    }
    if (!obs.resourceExists && this.policy.shouldCreate()) return this.create(external);
    if (!obs.resourceExists) {
      // Create is not allowed by the policies: nothing to do until the resource appears.
      markConditions(this.mr, reconcileSuccess());
      return this.finish(this.pollResult());
    }
    try {
      await this.bind(readExternalName);
    } catch (err) {
      return this.fail(err, EventReason.CannotUpdateManaged, 'cannot update managed resource');
    }
    if (obs.resourceLateInitialized === true && this.policy.shouldLateInitialize()) {
      try {
        await this.updateObject(true);
      } catch (err) {
        return this.fail(err, EventReason.CannotUpdateManaged, 'cannot update managed resource');
      }
    }
    if (obs.resourceUpToDate) {
      markConditions(this.mr, reconcileSuccess(), observeMatched());
      return this.finish(this.pollResult());
    }
    if (obs.diff !== undefined && obs.diff !== '') this.log.debug('External resource differs from desired state', { diff: obs.diff });
    if (!this.policy.shouldUpdate()) {
      // Drift is tolerated, and reported: UpToDate=False/UpdateRestricted says what differs.
      this.log.debug('Skipping update due to managementPolicies');
      markConditions(this.mr, reconcileSuccess(), updateRestricted(obs.diff));
      return this.finish(this.pollResult());
    }
    return this.update(external);
  }

  private async refuseAdoption(): Promise<ReconcileResult> {
    const name = getExternalName(this.mr);
    const msg =
      `external resource${name === undefined ? '' : ` "${name}"`} already exists and was not adopted: ` +
      `set the ${Annotation.ExternalName} annotation to its name, or the ${Annotation.AdoptionPolicy} annotation to "Adopt", to take it over`;
    if (!this.alreadyHas(reconcileError(msg))) this.record('Warning', EventReason.NotAdopted, msg);
    // The in-memory external name came from Observe and is not ours to keep.
    const e = new TrellisError(RuntimeCode.NotAdopted, msg);
    markConditions(this.mr, reconcileError(e.message));
    return this.finish(this.pollResult());
  }

  /**
   * Bind persists what ties this resource to its external resource: the finalizer, and an
   * external name Observe found or changed. One conflict-checked update, only when needed.
   */
  private async bind(readExternalName: string | undefined): Promise<void> {
    const name = getExternalName(this.mr);
    const needsFinalizer = !hasFinalizer(this.mr, this.o.finalizer);
    const nameChanged = name !== undefined && name !== readExternalName;
    // An interrupted create whose resource was found is settled: record that it succeeded, so no
    // create-pending annotation is left behind (a known upstream complaint).
    const settle = externalCreateIncomplete(this.mr);
    if (!needsFinalizer && !nameChanged && !settle) return;
    if (settle) setExternalCreateSucceeded(this.mr, this.o.now());
    if (needsFinalizer) this.mr.metadata.finalizers = [...(this.mr.metadata.finalizers ?? []), this.o.finalizer];
    if (readExternalName === undefined && !hasCreateHistory(this.mr)) {
      this.record('Normal', EventReason.Adopted, `Adopted external resource "${name ?? ''}"`);
    }
    await this.updateObject();
  }

  private async create(external: ExternalClient): Promise<ReconcileResult> {
    const pendingAt = externalCreatePendingAt(this.mr);
    if (externalCreateIncomplete(this.mr) && this.kind.externalName === ExternalNameSource.Server && pendingAt !== undefined) {
      // A Create of a dead process may still be in flight: let its deadline pass before looking again.
      const wait = pendingAt.getTime() + this.o.callTimeoutMs + 1_000 - this.o.now().getTime();
      if (wait > 0) {
        this.log.debug('Waiting for an interrupted create to settle', { waitMs: wait });
        return { requeueAfterMs: wait };
      }
    }
    // Persist "create pending" (with the finalizer) before calling Create. This update carries our
    // resourceVersion, so a stale read fails here with a conflict instead of creating twice.
    setExternalCreatePending(this.mr, this.o.now());
    if (!hasFinalizer(this.mr, this.o.finalizer)) this.mr.metadata.finalizers = [...(this.mr.metadata.finalizers ?? []), this.o.finalizer];
    try {
      await this.updateObject();
    } catch (err) {
      return this.fail(err, EventReason.CannotUpdateManaged, 'cannot update managed resource', [creating()]);
    }
    let creation: Awaited<ReturnType<ExternalClient['create']>>;
    try {
      creation = await this.call('create', (opts) => external.create(this.mr, opts));
    } catch (err) {
      // A Create whose outcome is unknown (it timed out, or created something whose identifier
      // we could not read) is not recorded as failed: it stays incomplete, and the next pass
      // either finds what it created or asks a person.
      if (!outcomeUnknown(err)) {
        setExternalCreateFailed(this.mr, this.o.now());
        try {
          await this.patchCriticalAnnotations();
        } catch (perr) {
          this.log.debug('Cannot update managed resource annotations', { error: perr });
          this.record('Warning', EventReason.CannotUpdateManaged, formatError(wrap(perr, 'cannot update managed resource annotations')));
        }
      }
      if (isKubeConflict(err)) return { requeue: true };
      return this.fail(err, EventReason.CannotCreate, 'create failed', [creating()]);
    }
    setExternalCreateSucceeded(this.mr, this.o.now());
    try {
      await this.patchCriticalAnnotations();
    } catch (err) {
      return this.fail(err, EventReason.CannotUpdateManaged, 'cannot update managed resource annotations', [creating()]);
    }
    try {
      await this.o.publisher.publish(this.mr, creation.connectionDetails, this.signal);
    } catch (err) {
      return this.fail(err, EventReason.CannotPublish, undefined, [creating()]);
    }
    this.log.debug('Successfully requested creation of external resource');
    this.record('Normal', EventReason.Created, 'Successfully requested creation of external resource');
    markConditions(this.mr, creating(), reconcileSuccess());
    return this.finish({ requeue: true });
  }

  private async update(external: ExternalClient): Promise<ReconcileResult> {
    const before = getExternalName(this.mr);
    let result: Awaited<ReturnType<ExternalClient['update']>>;
    try {
      result = await this.call('update', (opts) => external.update(this.mr, opts));
    } catch (err) {
      return this.fail(err, EventReason.CannotUpdate, 'update failed');
    }
    if (getExternalName(this.mr) !== before) {
      // The update minted a new identifier (e.g. an Alertmanager silence whose matchers changed).
      try {
        await this.patchCriticalAnnotations();
      } catch (err) {
        return this.fail(err, EventReason.CannotUpdateManaged, 'cannot update managed resource annotations');
      }
    }
    try {
      await this.o.publisher.publish(this.mr, result.connectionDetails, this.signal);
    } catch (err) {
      return this.fail(err, EventReason.CannotPublish, undefined);
    }
    this.record('Normal', EventReason.Updated, 'Successfully requested update of external resource');
    markConditions(this.mr, reconcileSuccess(), updateRequested());
    return this.finish(this.pollResult());
  }

  private async deleteExternal(external: ExternalClient, obs: ExternalObservation, bound: boolean): Promise<ReconcileResult> {
    // Without our finalizer we never took the external resource over: nothing of ours to clean up.
    if (!hasFinalizer(this.mr, this.o.finalizer)) return {};
    if ((this.mr.metadata.finalizers ?? []).length > 1) {
      this.log.debug('Delay external deletion until all finalizers have been removed');
      return { requeue: true };
    }
    if (obs.resourceExists && bound) {
      try {
        await this.call('delete', (opts) => external.delete(this.mr, opts));
      } catch (err) {
        return this.fail(err, EventReason.CannotDelete, 'delete failed', [deleting()]);
      }
      this.record('Normal', EventReason.Deleted, 'Successfully requested deletion of external resource');
      markConditions(this.mr, deleting(), reconcileSuccess());
      return this.finish({ requeue: true });
    }
    try {
      await this.o.publisher.unpublish(this.mr, this.signal);
      await this.removeFinalizer();
    } catch (err) {
      return this.fail(err, EventReason.CannotUpdateManaged, undefined, [deleting()]);
    }
    this.log.debug('Successfully deleted managed resource');
    return {};
  }

  private async removeFinalizer(): Promise<void> {
    if (!removeFinalizer(this.mr, this.o.finalizer)) return;
    try {
      await this.updateObject();
    } catch (err) {
      if (isKubeNotFound(err)) return;
      throw err;
    }
  }

  /** UpdateObject writes the whole object (spec and metadata) with our resourceVersion; keeps our status. */
  private async updateObject(restamp = false): Promise<void> {
    const status = this.mr.status;
    const before = this.mr.metadata.generation;
    const updated = await this.client.update(this.mr, this.kubeOpts);
    this.mr = { ...updated, status };
    // After late init the spec we just wrote is the spec that was observed: conditions set in
    // this pass speak for the new generation too, which saves a status write.
    const gen = updated.metadata.generation;
    if (restamp && gen !== undefined && gen !== before) {
      const conds = (this.mr.status as { conditions?: Condition[] } | undefined)?.conditions;
      if (conds !== undefined) {
        statusOf(this.mr).conditions = conds.map((c) => (c.observedGeneration === before ? { ...c, observedGeneration: gen } : c));
      }
    }
  }

  /**
   * PatchCriticalAnnotations persists the external name and the create annotations with a merge
   * patch: it cannot conflict, so what Create learned (a server-assigned identifier) is not lost
   * to a concurrent write.
   */
  private async patchCriticalAnnotations(): Promise<void> {
    const a = this.mr.metadata.annotations ?? {};
    const keys = [
      Annotation.ExternalName,
      Annotation.ExternalCreatePending,
      Annotation.ExternalCreateSucceeded,
      Annotation.ExternalCreateFailed,
    ];
    const patch: Record<string, string> = {};
    for (const k of keys) if (a[k] !== undefined) patch[k] = a[k];
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const updated = await this.client.patch(
          refOf(this.mr),
          { type: 'merge', patch: { metadata: { annotations: patch } } },
          this.kubeOpts,
        );
        this.mr.metadata = updated.metadata;
        return;
      } catch (err) {
        if (isKubeNotFound(err)) throw err;
        lastErr = err;
        if (this.signal?.aborted === true) break;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
    throw lastErr;
  }
}
