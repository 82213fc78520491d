import type { KubeClient, ReconcileResult, TypeRef } from '@trellis/kube';
import {
  asControllerRef,
  type Condition,
  controllerOf,
  type EventRecorder,
  formatError,
  getCondition,
  hasCode,
  type KubeObject,
  type Logger,
  nopLogger,
  nopRecorder,
  refOf,
  setConditions,
  TrellisError,
  wrap,
} from '@trellis/sdk';
import { decideApply, type LastApplied } from '../../apply/decide.ts';
import { deepEqual, isPlainObject } from '../../apply/fields.ts';
import { FieldOwner } from '../../apply/managers.ts';
import type { EngineMetrics } from '../../metrics/engine-metrics.ts';
import { PausedMessage, waiting, withObservedGeneration } from '../../status/conditions.ts';
import { ConnectionSecretType } from '../composite/connection.ts';
import { claimConditionTypes, conditionsOf, hasFinalizer, isDeleting, isPaused, writeConnectionSecretToRef } from '../composite/xr.ts';
import type { Echoes } from '../runtime/echoes.ts';
import { newWriteMemory, type WriteMemory } from '../runtime/fresh.ts';
import { preselectComposition, type SelectionSources } from './preselect.ts';
import {
  bindClaim,
  boundElsewhere,
  claimSecretName,
  claimStatusFromXr,
  compositeDeletePolicy,
  generateXrName,
  resourceRefName,
  xrPatch,
} from './sync.ts';

/** The claim finalizer (upstream's name). */
export const ClaimFinalizer = 'finalizer.apiextensions.crossplane.io';

/** A ClaimCache reads claims and XRs from informers. */
export interface ClaimCache {
  claim(key: string): KubeObject | undefined;
  xr(name: string): KubeObject | undefined;
}

export interface ClaimReconcilerOptions {
  client: KubeClient;
  claimType: TypeRef;
  xrType: TypeRef;
  cache: ClaimCache;
  /** HasEnforcedComposition reads the XRD's `enforcedCompositionRef` (it may change at runtime). */
  hasEnforcedComposition: () => boolean;
  /**
   * Selection reads what the XR controller selects a Composition from. With it, a claim whose XR
   * does not exist yet is bound with the Composition and revision its XR will select
   * (`preselect.ts`); without it, the claim copies them back once the XR has selected.
   */
  selection?: () => SelectionSources;
  /** OwnWrites records every claim and XR this controller writes, so that their echoes start no reconcile. */
  ownWrites?: { claims: Pick<Echoes, 'wrote'>; xrs: Pick<Echoes, 'wrote'> };
  events?: EventRecorder;
  log?: Logger;
  metrics?: EngineMetrics;
  random?: () => number;
  now?: () => Date;
}

const Reason = {
  Bind: 'BindCompositeResource',
  Delete: 'DeleteCompositeResource',
  Propagate: 'PropagateConnectionSecret',
  Paused: 'ReconciliationPaused',
} as const;

/**
 * A ClaimReconciler binds claims to XRs as upstream's claim controller does with its server-side
 * apply syncer: create and bind the XR, sync the claim's spec to it and its status back, propagate
 * the connection secret, and delete the XR with the claim. Every write is skipped when it would
 * change nothing.
 */
export class ClaimReconciler {
  private readonly o: Required<Omit<ClaimReconcilerOptions, 'metrics' | 'selection' | 'ownWrites'>> &
    Pick<ClaimReconcilerOptions, 'metrics' | 'selection' | 'ownWrites'>;
  /**
   * Per-claim memory, all keyed by the claim's key and dropped when the claim is gone: the objects
   * written (the claim under `claim|<key>`, its XR under `claim|<key>|xr|<name>`), the XR apply last
   * made for it, and the connection details last propagated (with the claim's uid).
   */
  private readonly memory: WriteMemory = newWriteMemory();
  private readonly xrApplied = new Map<string, { xr: string; last: LastApplied }>();
  private readonly propagated = new Map<string, { uid: string; hash: string }>();

  constructor(opts: ClaimReconcilerOptions) {
    this.o = { events: nopRecorder, log: nopLogger, random: Math.random, now: () => new Date(), ...opts };
  }

  /** Reconcile handles one claim by `namespace/name` key. */
  async reconcile(key: string, signal?: AbortSignal): Promise<ReconcileResult> {
    const claim = this.memory.fresher(`claim|${key}`, this.o.cache.claim(key));
    if (claim === undefined) return this.forget(key);
    const log = this.o.log.with({ request: key, uid: claim.metadata.uid, version: claim.metadata.resourceVersion });
    if (isPaused(claim)) return await this.paused(claim);
    const xr = await this.boundXr(claim, signal);
    const other = xr === undefined ? undefined : boundElsewhere(xr, claim);
    if (xr !== undefined && other !== undefined) {
      // A human must fix this; requeueing would not help (upstream does not either).
      return await this.fail(
        claim,
        `refusing to operate on composite resource "${xr.metadata.name ?? ''}" that is not bound to this claim: bound to claim "${other}"`,
        false,
      );
    }
    if (isDeleting(claim)) return await this.delete(claim, xr, log, signal);
    try {
      const synced = await this.sync(claim, xr, signal);
      const current = synced.claim;
      return await this.updateStatus(current, synced.xr, signal);
    } catch (err) {
      if (hasCode(err, 'KUBE_CONFLICT')) throw err;
      return await this.fail(claim, formatError(err), true, err);
    }
  }

  /**
   * Tracked reports how many claims this reconciler remembers anything about, and how many written
   * objects it holds (tests and debugging): neither may outgrow the claims that exist.
   */
  tracked(): { claims: number; writes: number } {
    return { claims: new Set([...this.xrApplied.keys(), ...this.propagated.keys()]).size, writes: this.memory.size() };
  }

  // ----- steps -----------------------------------------------------------------------------------

  /** Forget drops everything remembered about the claim `key`: it is gone. */
  private forget(key: string): ReconcileResult {
    this.memory.forget(`claim|${key}`);
    this.memory.forgetPrefix(`claim|${key}|`);
    this.xrApplied.delete(key);
    this.propagated.delete(key);
    return {};
  }

  private async paused(claim: KubeObject): Promise<ReconcileResult> {
    this.record(claim, 'Normal', Reason.Paused, PausedMessage);
    await this.writeStatus(
      claim,
      statusWith(claim, [{ type: 'Synced', status: 'False', reason: 'ReconcilePaused', message: PausedMessage }], this.o.now()),
    );
    return {};
  }

  private async boundXr(claim: KubeObject, signal?: AbortSignal): Promise<KubeObject | undefined> {
    const name = resourceRefName(claim);
    if (name === undefined) return undefined;
    const cached = this.memory.fresher(`claim|${keyOf(claim)}|xr|${name}`, this.o.cache.xr(name));
    if (cached !== undefined) return cached;
    try {
      return await this.o.client.getIfExists({ ...this.o.xrType, name }, signal === undefined ? {} : { signal });
    } catch (err) {
      throw wrap(err, 'cannot get bound composite resource');
    }
  }

  private async ensureFinalizer(claim: KubeObject, signal?: AbortSignal): Promise<KubeObject> {
    if (hasFinalizer(claim, ClaimFinalizer)) return claim;
    try {
      const updated = await this.o.client.patch<KubeObject>(
        refOf(claim),
        {
          type: 'merge',
          patch: {
            metadata: {
              resourceVersion: claim.metadata.resourceVersion,
              finalizers: [...(claim.metadata.finalizers ?? []), ClaimFinalizer],
            },
          },
        },
        { fieldManager: FieldOwner.Claim, ...(signal === undefined ? {} : { signal }) },
      );
      this.rememberClaim(updated);
      return updated;
    } catch (err) {
      throw wrap(err, 'cannot add finalizer to claim');
    }
  }

  /**
   * Sync adds the claim's finalizer and binds the claim (persisting its resourceRef before the XR
   * exists, so nothing leaks), then server-side applies the XR from the claim, each only when it
   * would change something. The finalizer rides on the binding update when there is one (one
   * write instead of upstream's two); otherwise it is patched in first. Either way it is on the
   * claim before the XR is created.
   */
  private async sync(claim: KubeObject, xr: KubeObject | undefined, signal?: AbortSignal): Promise<{ claim: KubeObject; xr: KubeObject }> {
    const enforced = this.o.hasEnforcedComposition();
    const name = resourceRefName(claim) ?? (await this.freshName(claim, signal));
    let current = claim;
    const bound = bindClaim(claim, xr, this.o.xrType, name, enforced);
    if (xr === undefined) this.preselect(bound);
    const rebind = !deepEqual(bound.spec, claim.spec) || !deepEqual(bound.metadata.annotations ?? {}, claim.metadata.annotations ?? {});
    if (!hasFinalizer(claim, ClaimFinalizer)) {
      if (rebind) bound.metadata = { ...bound.metadata, finalizers: [...(claim.metadata.finalizers ?? []), ClaimFinalizer] };
      else current = await this.ensureFinalizer(claim, signal);
    }
    if (rebind) {
      try {
        current = await this.o.client.update<KubeObject>(bound, {
          fieldManager: FieldOwner.Claim,
          ...(signal === undefined ? {} : { signal }),
        });
      } catch (err) {
        throw wrap(err, 'cannot bind and sync claim with composite resource: cannot update claim');
      }
      this.rememberClaim(current);
    }
    const patch = xrPatch({ claim: current, xr, xrType: this.o.xrType, name, hasEnforcedComposition: enforced });
    const memo = this.xrApplied.get(keyOf(claim));
    const d = decideApply(patch, xr, { fieldManager: FieldOwner.Claim, lastApplied: memo?.xr === name ? memo.last : undefined });
    if (!d.apply && xr !== undefined) {
      this.o.metrics?.skippedWrites.inc({ kind: xr.kind, what: 'claim-sync' });
      return { claim: current, xr };
    }
    let applied: KubeObject;
    try {
      applied = await this.o.client.apply<KubeObject>(d.body, {
        fieldManager: FieldOwner.Claim,
        force: true,
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (err) {
      throw wrap(err, 'cannot bind and sync claim with composite resource: cannot apply composite resource');
    }
    this.memory.remember(`claim|${keyOf(claim)}|xr|${name}`, applied);
    this.o.ownWrites?.xrs.wrote(applied);
    this.xrApplied.set(keyOf(claim), { xr: name, last: { hash: d.hash, resourceVersion: applied.metadata.resourceVersion ?? '' } });
    if (xr === undefined) this.record(current, 'Normal', Reason.Bind, 'Successfully bound composite resource');
    return { claim: current, xr: applied };
  }

  /** Preselect adds to a binding (in place) the composition fields the claim's new XR will select. */
  private preselect(bound: KubeObject): void {
    const sources = this.o.selection?.();
    if (sources === undefined) return;
    const fields = preselectComposition(bound, this.o.xrType, sources, this.o.random);
    if (fields !== undefined) bound.spec = { ...(isPlainObject(bound.spec) ? bound.spec : {}), ...fields };
  }

  /** FreshName generates `<claim>-xxxxx` and checks the API server that no XR has it yet. */
  private async freshName(claim: KubeObject, signal?: AbortSignal): Promise<string> {
    for (let i = 0; i < 10; i++) {
      const name = generateXrName(claim.metadata.name ?? '', this.o.random);
      if (this.o.cache.xr(name) !== undefined) continue;
      const existing = await this.o.client.getIfExists({ ...this.o.xrType, name }, signal === undefined ? {} : { signal });
      if (existing === undefined) return name;
    }
    throw new TrellisError('ENGINE_NAME_GENERATION', 'cannot generate a name for a resource');
  }

  /**
   * UpdateStatus copies the XR's status to the claim (minus XR-only fields), mirrors the condition
   * types the XR lists in claimConditionTypes, reports the XR's own sync failure (beyond upstream:
   * the developer sees why), and propagates the connection secret once the XR is Ready.
   */
  private async updateStatus(claim: KubeObject, xr: KubeObject, signal?: AbortSignal): Promise<ReconcileResult> {
    const status = claimStatusFromXr(claim, xr);
    const updates: Condition[] = [syncedFromXr(xr)];
    for (const t of claimConditionTypes(xr)) updates.push(getCondition(conditionsOf(xr), t));
    const ready = getCondition(conditionsOf(xr), 'Ready').status === 'True';
    let published: string | undefined;
    if (!ready) {
      updates.push(waiting());
    } else {
      if (await this.propagate(claim, xr, signal)) {
        published = this.o
          .now()
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z');
        this.record(claim, 'Normal', Reason.Propagate, 'Successfully propagated connection details from composite resource');
      }
      updates.push({ type: 'Ready', status: 'True', reason: 'Available' });
    }
    const conditions = setConditions(conditionsOf(claim), withObservedGeneration(updates, claim.metadata.generation), this.o.now());
    const next: Record<string, unknown> = { ...status, conditions };
    if (claim.metadata.generation !== undefined) next.observedGeneration = claim.metadata.generation;
    if (published !== undefined) next.connectionDetails = { lastPublishedTime: published };
    await this.writeStatus(claim, next);
    return {};
  }

  /**
   * Propagate copies the XR's connection secret into the claim's namespace (both refs must be set;
   * the XR must control its secret). It reports whether the claim's secret changed.
   */
  private async propagate(claim: KubeObject, xr: KubeObject, signal?: AbortSignal): Promise<boolean> {
    const to = claimSecretName(claim);
    const from = writeConnectionSecretToRef(xr);
    if (to === undefined || from === undefined) return false;
    const opts = signal === undefined ? {} : { signal };
    const src = await this.o.client.getIfExists({ apiVersion: 'v1', kind: 'Secret', namespace: from.namespace, name: from.name }, opts);
    if (src === undefined) return false;
    if (controllerOf(src)?.uid !== xr.metadata.uid) {
      throw new TrellisError(
        'ENGINE_SECRET_NOT_CONTROLLABLE',
        `cannot propagate connection details from composite resource: its secret "${from.namespace}/${from.name}" is not controlled by it`,
      );
    }
    const data = isPlainObject(src.data) ? (src.data as Record<string, string>) : {};
    const memoKey = keyOf(claim);
    const memo = { uid: claim.metadata.uid ?? '', hash: JSON.stringify(Object.entries(data).sort()) };
    const last = this.propagated.get(memoKey);
    if (last?.uid === memo.uid && last.hash === memo.hash) return false;
    const dst = await this.o.client.getIfExists(
      { apiVersion: 'v1', kind: 'Secret', namespace: claim.metadata.namespace ?? '', name: to },
      opts,
    );
    if (dst !== undefined) {
      const c = controllerOf(dst);
      if (c !== undefined && c.uid !== claim.metadata.uid) {
        throw new TrellisError(
          'ENGINE_SECRET_NOT_CONTROLLABLE',
          `cannot establish control of existing connection secret "${claim.metadata.namespace ?? ''}/${to}"`,
        );
      }
      if (c !== undefined && deepEqual(dst.data ?? {}, data)) {
        this.propagated.set(memoKey, memo);
        return false;
      }
    }
    await this.o.client.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: to, namespace: claim.metadata.namespace ?? '', ownerReferences: [asControllerRef(claim)] },
        type: ConnectionSecretType,
        data,
      },
      { fieldManager: FieldOwner.Claim, force: true, ...opts },
    );
    this.propagated.set(memoKey, memo);
    return true;
  }

  /**
   * Delete deletes the bound XR and releases the claim. With `compositeDeletePolicy: Foreground`
   * the claim stays until the XR is gone. The XR is deleted with background propagation either
   * way: its own finalizer removes its composed resources in reverse dependency order (foreground
   * propagation would let Kubernetes' garbage collector delete them all at once).
   */
  private async delete(claim: KubeObject, xr: KubeObject | undefined, log: Logger, signal?: AbortSignal): Promise<ReconcileResult> {
    const policy = compositeDeletePolicy(claim);
    if (xr !== undefined) {
      if (!isDeleting(xr)) {
        try {
          await this.o.client.delete(refOf(xr), {
            propagationPolicy: 'Background',
            ...(xr.metadata.uid === undefined ? {} : { preconditions: { uid: xr.metadata.uid } }),
            ...(signal === undefined ? {} : { signal }),
          });
        } catch (err) {
          if (!hasCode(err, 'KUBE_NOT_FOUND'))
            return await this.fail(claim, formatError(wrap(err, 'cannot delete bound composite resource')), true, err, 'Deleting');
        }
      }
      if (policy === 'Foreground') {
        log.debug('Waiting for the XR to finish deleting (foreground deletion)');
        await this.writeStatus(claim, statusWith(claim, [{ type: 'Ready', status: 'False', reason: 'Deleting' }], this.o.now()));
        // The XR is watched; its removal requeues the claim. This guards against a missed event.
        return { requeueAfterMs: 30_000 };
      }
    }
    this.record(claim, 'Normal', Reason.Delete, 'Successfully deleted composite resource');
    if (!hasFinalizer(claim, ClaimFinalizer)) return {};
    try {
      await this.o.client.patch(
        refOf(claim),
        {
          type: 'merge',
          patch: {
            metadata: {
              resourceVersion: claim.metadata.resourceVersion,
              finalizers: (claim.metadata.finalizers ?? []).filter((f) => f !== ClaimFinalizer),
            },
          },
        },
        { fieldManager: FieldOwner.Claim, ...(signal === undefined ? {} : { signal }) },
      );
    } catch (err) {
      if (hasCode(err, 'KUBE_NOT_FOUND')) return {};
      throw wrap(err, 'cannot remove finalizer from claim');
    }
    return {};
  }

  // ----- helpers ---------------------------------------------------------------------------------

  private async fail(claim: KubeObject, message: string, requeue: boolean, cause?: unknown, ready?: 'Deleting'): Promise<ReconcileResult> {
    this.record(claim, 'Warning', Reason.Bind, message);
    const extra: Condition[] = [{ type: 'Synced', status: 'False', reason: 'ReconcileError', message }];
    if (ready !== undefined) extra.push({ type: 'Ready', status: 'False', reason: ready });
    try {
      await this.writeStatus(claim, statusWith(claim, extra, this.o.now()));
    } catch (err) {
      this.o.log.debug('Cannot update claim status', { error: err });
    }
    if (!requeue) return {};
    throw cause instanceof Error ? cause : new TrellisError('ENGINE_CLAIM_SYNC', message);
  }

  private async writeStatus(claim: KubeObject, status: Record<string, unknown>): Promise<void> {
    const current = isPlainObject(claim.status) ? claim.status : {};
    if (deepEqual(current, status)) {
      this.o.metrics?.skippedWrites.inc({ kind: claim.kind, what: 'status' });
      return;
    }
    try {
      const updated = await this.o.client.updateStatus<KubeObject>({ ...claim, status });
      this.rememberClaim(updated);
    } catch (err) {
      if (hasCode(err, 'KUBE_NOT_FOUND')) return;
      throw wrap(err, 'cannot update claim status');
    }
  }

  /** RememberClaim records a claim this controller wrote (as the server returned it). */
  private rememberClaim(claim: KubeObject): void {
    this.memory.remember(`claim|${keyOf(claim)}`, claim);
    this.o.ownWrites?.claims.wrote(claim);
  }

  private record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const ref = refOf(obj);
    this.o.events.record(obj.metadata.uid === undefined ? ref : { ...ref, uid: obj.metadata.uid }, { type, reason, message });
  }
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

function statusWith(claim: KubeObject, updates: Condition[], now: Date): Record<string, unknown> {
  const current = isPlainObject(claim.status) ? claim.status : {};
  return { ...current, conditions: setConditions(conditionsOf(claim), withObservedGeneration(updates, claim.metadata.generation), now) };
}

/**
 * SyncedFromXr is the claim's Synced condition: True once the claim is bound and synced, as
 * upstream; but when the XR itself reports Synced=False the claim says so, with the XR's message,
 * so the developer who owns the claim sees why (crossplane#3262).
 */
function syncedFromXr(xr: KubeObject): Condition {
  const s = getCondition(conditionsOf(xr), 'Synced');
  if (s.status === 'False' && s.reason !== 'ReconcilePaused') {
    return {
      type: 'Synced',
      status: 'False',
      reason: 'ReconcileError',
      message: `composite resource "${xr.metadata.name ?? ''}" is not synced: ${s.message ?? s.reason}`,
    };
  }
  return { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' };
}
