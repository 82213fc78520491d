import type { KubeClient, ReconcileResult } from '@trellis/kube';
import {
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
import { isPlainObject } from '../../apply/fields.ts';
import { FieldOwner } from '../../apply/managers.ts';
import type { EngineMetrics } from '../../metrics/engine-metrics.ts';
import {
  invalidDefinition,
  terminatingClaim,
  terminatingComposite,
  watchingClaim,
  watchingComposite,
  withObservedGeneration,
} from '../../status/conditions.ts';
import { conditionsOf, hasFinalizer, isDeleting } from '../composite/xr.ts';
import { CrdType, claimType, compositeType, xrdScope } from './xrd.ts';

/**
 * A CrdRenderer turns an XRD into the CRD of its XRs or of its claims (the render helper's
 * `xcrd`). It throws a TrellisError whose message names the XRD field and what is wrong when the
 * XRD is invalid.
 */
export interface CrdRenderer {
  composite(xrd: KubeObject): KubeObject;
  /** Claim returns undefined when the XRD offers no claims. */
  claim(xrd: KubeObject): KubeObject | undefined;
}

/** A ControllerEngine starts and stops the dynamic controllers XRDs define. */
export interface ControllerEngine {
  /**
   * Start starts (or keeps running) the controller `name`. `specKey` identifies what the
   * controller serves (kind, version, scope); a running controller with another key is restarted.
   */
  start(name: string, spec: { role: DefinitionRole; xrd: string; specKey: string }): Promise<void>;
  stop(name: string): Promise<void>;
  /** Instances lists the XRs (or claims) the named controller's informer holds. */
  instances(name: string): KubeObject[] | undefined;
}

export type DefinitionRole = 'composite' | 'claim';

/** Per-role names: upstream's definition (Established) and offered (Offered) controllers. */
const Roles = {
  composite: {
    finalizer: 'defined.apiextensions.crossplane.io',
    condition: 'Established',
    watching: watchingComposite,
    terminating: terminatingComposite,
    fieldManager: FieldOwner.Definition,
    statusField: 'compositeResourceType',
    controller: (xrd: string) => `composite/${xrd}`,
    noun: 'composite resource',
    establish: 'EstablishComposite',
    terminate: 'TerminateComposite',
  },
  claim: {
    finalizer: 'offered.apiextensions.crossplane.io',
    condition: 'Offered',
    watching: watchingClaim,
    terminating: terminatingClaim,
    fieldManager: 'apiextensions.crossplane.io/offered',
    statusField: 'compositeResourceClaimType',
    controller: (xrd: string) => `claim/${xrd}`,
    noun: 'composite resource claim',
    establish: 'OfferClaim',
    terminate: 'RedactClaim',
  },
} as const;

export interface DefinitionReconcilerOptions {
  client: KubeClient;
  role: DefinitionRole;
  /** Xrd reads an XRD from the cache by name. */
  xrd: (name: string) => KubeObject | undefined;
  crds: CrdRenderer;
  engine: ControllerEngine;
  events?: EventRecorder;
  log?: Logger;
  metrics?: EngineMetrics;
  now?: () => Date;
  /** EstablishPollMs is how soon to look again while a CRD is not yet Established (default 250 ms). */
  establishPollMs?: number;
}

/**
 * A DefinitionReconciler makes one XRD real (upstream's `definition` and `offered` controllers,
 * one instance per role): it applies the generated CRD, waits until it is Established, starts the
 * XR (or claim) controller and reports Established (or Offered). Deleting the XRD deletes its XRs
 * (claims), waits until they are gone (the finalizer blocks the XRD meanwhile), stops the
 * controller and deletes the CRD.
 */
export class DefinitionReconciler {
  private readonly o: Required<Omit<DefinitionReconcilerOptions, 'metrics'>> & Pick<DefinitionReconcilerOptions, 'metrics'>;
  private readonly r: (typeof Roles)[DefinitionRole];
  private readonly applied = new Map<string, LastApplied>();
  private readonly statusApplied = new Map<string, LastApplied>();

  constructor(opts: DefinitionReconcilerOptions) {
    this.o = { events: nopRecorder, log: nopLogger, now: () => new Date(), establishPollMs: 250, ...opts };
    this.r = Roles[opts.role];
  }

  /** Tracked reports how many XRDs and CRDs this reconciler remembers writes for (tests and debugging). */
  tracked(): { xrds: number; crds: number } {
    return { xrds: this.statusApplied.size, crds: this.applied.size };
  }

  async reconcile(name: string, signal?: AbortSignal): Promise<ReconcileResult> {
    const xrd = this.o.xrd(name);
    if (xrd === undefined) {
      // Gone: nothing written for it matters any more (its CRD's entry went when the CRD did).
      this.statusApplied.delete(name);
      return {};
    }
    if (this.o.role === 'claim' && claimType(xrd) === undefined && !hasFinalizer(xrd, this.r.finalizer)) return {};
    const log = this.o.log.with({ request: name, uid: xrd.metadata.uid, version: xrd.metadata.resourceVersion, role: this.o.role });
    const crd = this.render(xrd);
    if (crd instanceof Error) return await this.invalid(xrd, crd);
    if (isDeleting(xrd)) return await this.terminate(xrd, crd, log, signal);
    const current = await this.ensureFinalizer(xrd, signal);
    const applied = await this.applyCrd(current, crd, signal);
    if (!established(applied)) {
      this.record(current, 'Normal', this.r.establish, `waiting for ${this.r.noun} CustomResourceDefinition to be established`);
      return { requeueAfterMs: this.o.establishPollMs };
    }
    await this.startController(current, log);
    await this.writeStatus(current, [this.r.watching()], typeRef(this.o.role, current));
    return {};
  }

  // ----- steps -----------------------------------------------------------------------------------

  private render(xrd: KubeObject): KubeObject | Error {
    try {
      const crd = this.o.role === 'composite' ? this.o.crds.composite(xrd) : this.o.crds.claim(xrd);
      if (crd === undefined) return new TrellisError('ENGINE_XRD_INVALID', 'the XRD offers no claims');
      return crd;
    } catch (err) {
      return err instanceof Error ? err : new TrellisError('ENGINE_XRD_INVALID', String(err));
    }
  }

  private async invalid(xrd: KubeObject, err: Error): Promise<ReconcileResult> {
    const message = `cannot render ${this.r.noun} CustomResourceDefinition: ${formatError(err)}`;
    this.record(xrd, 'Warning', 'RenderCRD', message);
    await this.writeStatus(xrd, [invalidDefinition(this.r.condition, message)]);
    // Nothing changes until the XRD does, and an XRD change requeues it.
    return {};
  }

  private async ensureFinalizer(xrd: KubeObject, signal?: AbortSignal): Promise<KubeObject> {
    if (hasFinalizer(xrd, this.r.finalizer)) return xrd;
    try {
      return await this.o.client.patch<KubeObject>(
        refOf(xrd),
        {
          type: 'merge',
          patch: {
            metadata: { resourceVersion: xrd.metadata.resourceVersion, finalizers: [...(xrd.metadata.finalizers ?? []), this.r.finalizer] },
          },
        },
        { fieldManager: this.r.fieldManager, ...(signal === undefined ? {} : { signal }) },
      );
    } catch (err) {
      throw wrap(err, `cannot add ${this.r.noun} finalizer`);
    }
  }

  /** ApplyCrd server-side applies the CRD (skipped when unchanged); the XRD must control it. */
  private async applyCrd(xrd: KubeObject, crd: KubeObject, signal?: AbortSignal): Promise<KubeObject> {
    const opts = signal === undefined ? {} : { signal };
    const name = crd.metadata.name ?? '';
    let existing: KubeObject | undefined;
    try {
      existing = await this.o.client.getIfExists({ ...CrdType, name }, opts);
    } catch (err) {
      throw wrap(err, `cannot get ${this.r.noun} CustomResourceDefinition`);
    }
    const c = existing === undefined ? undefined : controllerOf(existing);
    if (existing !== undefined && c?.uid !== xrd.metadata.uid) {
      const msg = `cannot apply rendered ${this.r.noun} CustomResourceDefinition: existing object is not controlled by UID "${xrd.metadata.uid ?? ''}"`;
      this.record(xrd, 'Warning', this.r.establish, msg);
      throw new TrellisError('ENGINE_CRD_NOT_CONTROLLABLE', msg);
    }
    const d = decideApply(crd, existing, { fieldManager: this.r.fieldManager, lastApplied: this.applied.get(name) });
    if (!d.apply && existing !== undefined) {
      this.o.metrics?.skippedWrites.inc({ kind: 'CustomResourceDefinition', what: 'apply' });
      return existing;
    }
    try {
      const out = await this.o.client.apply<KubeObject>(d.body, { fieldManager: this.r.fieldManager, force: true, ...opts });
      this.applied.set(name, { hash: d.hash, resourceVersion: out.metadata.resourceVersion ?? '' });
      this.record(xrd, 'Normal', this.r.establish, `Applied ${this.r.noun} CustomResourceDefinition: ${name}`);
      this.o.client.invalidateDiscovery();
      return out;
    } catch (err) {
      const msg = `cannot apply rendered ${this.r.noun} CustomResourceDefinition: ${formatError(err)}`;
      this.record(xrd, 'Warning', this.r.establish, msg);
      if (hasCode(err, 'KUBE_INVALID')) {
        await this.writeStatus(xrd, [invalidDefinition(this.r.condition, msg)]);
        return existing ?? crd;
      }
      throw wrap(err, `cannot apply rendered ${this.r.noun} CustomResourceDefinition`);
    }
  }

  private async startController(xrd: KubeObject, log: Logger): Promise<void> {
    const t = this.o.role === 'composite' ? compositeType(xrd) : claimType(xrd);
    const specKey = `${t?.apiVersion ?? ''}|${t?.kind ?? ''}|${xrdScope(xrd)}`;
    try {
      await this.o.engine.start(this.r.controller(xrd.metadata.name ?? ''), { role: this.o.role, xrd: xrd.metadata.name ?? '', specKey });
    } catch (err) {
      const msg = `cannot start ${this.r.noun} controller: ${formatError(err)}`;
      this.record(xrd, 'Warning', this.r.establish, msg);
      throw wrap(err, `cannot start ${this.r.noun} controller`);
    }
    log.debug('Controller running', { controller: this.r.controller(xrd.metadata.name ?? '') });
  }

  /**
   * Terminate handles a deleted XRD: Established/Offered=False, delete every XR (claim) and wait
   * until they are gone, stop the controller, delete the CRD, then release the finalizer.
   */
  private async terminate(xrd: KubeObject, crd: KubeObject, log: Logger, signal?: AbortSignal): Promise<ReconcileResult> {
    if (!hasFinalizer(xrd, this.r.finalizer)) return {};
    await this.writeStatus(xrd, [this.r.terminating()]);
    const opts = signal === undefined ? {} : { signal };
    const controller = this.r.controller(xrd.metadata.name ?? '');
    const existing = await this.o.client.getIfExists({ ...CrdType, name: crd.metadata.name ?? '' }, opts);
    if (existing !== undefined && controllerOf(existing)?.uid === xrd.metadata.uid) {
      const remaining = await this.deleteInstances(xrd, controller, signal);
      if (remaining > 0) {
        this.record(xrd, 'Normal', this.r.terminate, `waiting for defined ${this.r.noun}s to be deleted`);
        log.debug('Waiting for instances to be deleted', { remaining });
        return { requeueAfterMs: 1000 };
      }
      await this.o.engine.stop(controller);
      try {
        await this.o.client.delete(refOf(existing), opts);
      } catch (err) {
        if (!hasCode(err, 'KUBE_NOT_FOUND')) throw wrap(err, `cannot delete ${this.r.noun} CustomResourceDefinition`);
      }
      this.applied.delete(crd.metadata.name ?? '');
      this.o.client.invalidateDiscovery();
      this.record(xrd, 'Normal', this.r.terminate, `Deleted ${this.r.noun} CustomResourceDefinition: ${crd.metadata.name ?? ''}`);
      return { requeueAfterMs: 250 };
    }
    await this.o.engine.stop(controller);
    try {
      await this.o.client.patch(
        refOf(xrd),
        {
          type: 'merge',
          patch: {
            metadata: {
              resourceVersion: xrd.metadata.resourceVersion,
              finalizers: (xrd.metadata.finalizers ?? []).filter((f) => f !== this.r.finalizer),
            },
          },
        },
        { fieldManager: this.r.fieldManager, ...opts },
      );
    } catch (err) {
      if (hasCode(err, 'KUBE_NOT_FOUND')) return {};
      throw wrap(err, `cannot remove ${this.r.noun} finalizer`);
    }
    return {};
  }

  /** DeleteInstances deletes every XR (claim) of the XRD and returns how many still exist. */
  private async deleteInstances(xrd: KubeObject, controller: string, signal?: AbortSignal): Promise<number> {
    const t = this.o.role === 'composite' ? compositeType(xrd) : claimType(xrd);
    if (t === undefined) return 0;
    let items = this.o.engine.instances(controller);
    if (items === undefined) {
      try {
        items = (await this.o.client.listAll({ apiVersion: t.apiVersion, kind: t.kind }, signal === undefined ? {} : { signal })).items;
      } catch (err) {
        if (hasCode(err, 'KUBE_NOT_FOUND')) return 0;
        throw wrap(err, `cannot list defined ${this.r.noun}s`);
      }
    }
    for (const i of items) {
      if (isDeleting(i)) continue;
      try {
        await this.o.client.delete(refOf(i), signal === undefined ? {} : { signal });
      } catch (err) {
        if (!hasCode(err, 'KUBE_NOT_FOUND')) throw wrap(err, `cannot delete defined ${this.r.noun}s`);
      }
    }
    return items.length;
  }

  private async writeStatus(xrd: KubeObject, updates: Condition[], controllerRef?: { apiVersion: string; kind: string }): Promise<void> {
    const mine = getCondition(conditionsOf(xrd), this.r.condition);
    const [next] = setConditions(
      [mine].filter((c) => c.reason !== ''),
      withObservedGeneration(updates, xrd.metadata.generation),
      this.o.now(),
    );
    const status: Record<string, unknown> = { conditions: [next] };
    if (controllerRef !== undefined) status.controllers = { [this.r.statusField]: controllerRef };
    const body: KubeObject = { apiVersion: xrd.apiVersion, kind: xrd.kind, metadata: { name: xrd.metadata.name ?? '' }, status };
    const key = xrd.metadata.name ?? '';
    const d = decideApply(body, xrd, {
      fieldManager: this.r.fieldManager,
      subresource: 'status',
      lastApplied: this.statusApplied.get(key),
    });
    if (!d.apply) return;
    try {
      const out = await this.o.client.apply<KubeObject>(d.body, { fieldManager: this.r.fieldManager, force: true, subresource: 'status' });
      this.statusApplied.set(key, { hash: d.hash, resourceVersion: out.metadata.resourceVersion ?? '' });
    } catch (err) {
      if (hasCode(err, 'KUBE_NOT_FOUND')) return;
      throw wrap(err, 'cannot update status of CompositeResourceDefinition');
    }
  }

  private record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const ref = refOf(obj);
    this.o.events.record(obj.metadata.uid === undefined ? ref : { ...ref, uid: obj.metadata.uid }, { type, reason, message });
  }
}

/** Established reports whether a CRD has condition Established=True. */
export function established(crd: KubeObject): boolean {
  const s = crd.status;
  if (!isPlainObject(s) || !Array.isArray(s.conditions)) return false;
  return s.conditions.some((c) => isPlainObject(c) && c.type === 'Established' && c.status === 'True');
}

function typeRef(role: DefinitionRole, xrd: KubeObject): { apiVersion: string; kind: string } | undefined {
  const t = role === 'composite' ? compositeType(xrd) : claimType(xrd);
  return t === undefined ? undefined : { apiVersion: t.apiVersion, kind: t.kind };
}
