import type { KubeClient, ReconcileResult } from '@trellis/kube';
import {
  type Condition,
  type EventRecorder,
  formatError,
  hasCode,
  type KubeObject,
  type Logger,
  nopLogger,
  nopRecorder,
  refOf,
  setConditions,
  wrap,
} from '@trellis/sdk';
import { decideApply, type LastApplied } from '../../apply/decide.ts';
import { isPlainObject } from '../../apply/fields.ts';
import { FieldOwner } from '../../apply/managers.ts';
import { planRevisions, type RevisionPlan } from '../../revision/revision.ts';
import { invalidPipeline, validPipeline } from '../../status/conditions.ts';
import { conditionsOf, isDeleting } from '../composite/xr.ts';

export const CompositionType = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition' } as const;
export const RevisionType = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositionRevision' } as const;

export interface CompositionReconcilerOptions {
  client: KubeClient;
  composition: (name: string) => KubeObject | undefined;
  /** Revisions lists the cached CompositionRevisions of one Composition (by name label). */
  revisions: (composition: string) => KubeObject[];
  /** Plan decides what to write (default: `planRevisions`, upstream's rules, pure). */
  plan?: (composition: KubeObject, revisions: readonly KubeObject[]) => RevisionPlan;
  events?: EventRecorder;
  log?: Logger;
}

/**
 * A CompositionReconciler keeps a Composition's CompositionRevisions (upstream's composition
 * controller): it writes what `planRevisions` decides — re-adopt revisions that lost their
 * controller reference, re-promote an old revision when the Composition returns to its spec,
 * otherwise create revision latest+1 (`<composition>-<hash[:7]>`).
 */
export class CompositionReconciler {
  private readonly o: Required<CompositionReconcilerOptions>;

  constructor(opts: CompositionReconcilerOptions) {
    this.o = { events: nopRecorder, log: nopLogger, plan: planRevisions, ...opts };
  }

  async reconcile(name: string, signal?: AbortSignal): Promise<ReconcileResult> {
    const comp = this.o.composition(name);
    if (comp === undefined || isDeleting(comp)) return {};
    const opts = signal === undefined ? {} : { signal };
    let plan: RevisionPlan;
    try {
      plan = this.o.plan(comp, this.o.revisions(name));
    } catch (err) {
      this.record(comp, 'Warning', 'CreateRevision', formatError(err));
      throw err;
    }
    for (const rev of plan.update) {
      try {
        await this.o.client.patch(
          refOf(rev),
          {
            type: 'merge',
            patch: {
              metadata: { resourceVersion: rev.metadata.resourceVersion, ownerReferences: rev.metadata.ownerReferences ?? [] },
              spec: { revision: (rev.spec as { revision?: number }).revision },
            },
          },
          { fieldManager: FieldOwner.Revision, ...opts },
        );
      } catch (err) {
        throw wrap(err, 'cannot update CompositionRevision');
      }
    }
    if (plan.create === undefined) return {};
    try {
      await this.o.client.create(plan.create, opts);
    } catch (err) {
      if (hasCode(err, 'KUBE_ALREADY_EXISTS')) return { requeue: true };
      throw wrap(err, 'cannot create CompositionRevision');
    }
    this.record(comp, 'Normal', 'CreateRevision', 'Created new revision');
    return {};
  }

  private record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const ref = refOf(obj);
    this.o.events.record(obj.metadata.uid === undefined ? ref : { ...ref, uid: obj.metadata.uid }, { type, reason, message });
  }
}

/** A FunctionCatalog says whether a pipeline step's function can be called. */
export interface FunctionCatalog {
  /** Has reports whether `name` resolves to a function (built-in or remote). */
  has(name: string): boolean;
  /**
   * MissingCapabilities returns upstream's message when the installed function's active revision
   * lacks the `composition` capability (ValidPipeline False, reason MissingCapabilities).
   */
  missingCapabilities?(name: string): string | undefined;
}

export interface RevisionValidatorOptions {
  client: KubeClient;
  revision: (name: string) => KubeObject | undefined;
  functions: FunctionCatalog;
  log?: Logger;
  now?: () => Date;
}

/**
 * A RevisionValidator sets `ValidPipeline` on CompositionRevisions (upstream's revision
 * controller): True when every pipeline step names a function Trellis can call, False with the
 * step and function names otherwise. XRs refuse to compose with a revision that is not valid.
 */
export class RevisionValidator {
  private readonly o: Required<RevisionValidatorOptions>;
  private readonly statusApplied = new Map<string, LastApplied>();

  constructor(opts: RevisionValidatorOptions) {
    this.o = { log: nopLogger, now: () => new Date(), ...opts };
  }

  async reconcile(name: string, signal?: AbortSignal): Promise<ReconcileResult> {
    const rev = this.o.revision(name);
    if (rev === undefined || isDeleting(rev)) return {};
    const cond = validate(rev, this.o.functions);
    const [next] = setConditions(
      conditionsOf(rev).filter((c) => c.type === 'ValidPipeline'),
      [{ ...cond, ...(rev.metadata.generation === undefined ? {} : { observedGeneration: rev.metadata.generation }) }],
      this.o.now(),
    );
    const body: KubeObject = { apiVersion: rev.apiVersion, kind: rev.kind, metadata: { name }, status: { conditions: [next] } };
    const d = decideApply(body, rev, {
      fieldManager: FieldOwner.Revision,
      subresource: 'status',
      lastApplied: this.statusApplied.get(name),
    });
    if (!d.apply) return {};
    try {
      const out = await this.o.client.apply<KubeObject>(d.body, {
        fieldManager: FieldOwner.Revision,
        force: true,
        subresource: 'status',
        ...(signal === undefined ? {} : { signal }),
      });
      this.statusApplied.set(name, { hash: d.hash, resourceVersion: out.metadata.resourceVersion ?? '' });
    } catch (err) {
      if (hasCode(err, 'KUBE_NOT_FOUND')) return {};
      this.o.log.debug('Cannot update CompositionRevision status', { error: formatError(err) });
      throw wrap(err, 'cannot update CompositionRevision status');
    }
    return {};
  }
}

/**
 * Validate checks a revision's pipeline: every step needs a name and a functionRef that the
 * catalog knows. A legacy `mode: Resources` revision runs the built-in patch-and-transform.
 */
export function validate(rev: KubeObject, functions: FunctionCatalog): Condition {
  const spec = isPlainObject(rev.spec) ? rev.spec : {};
  if (spec.mode === 'Resources') {
    return functions.has('function-patch-and-transform')
      ? validPipeline()
      : invalidPipeline('MissingFunctions', 'mode Resources needs the built-in function "function-patch-and-transform"');
  }
  const pipeline = Array.isArray(spec.pipeline) ? spec.pipeline : [];
  if (pipeline.length === 0)
    return invalidPipeline('InvalidPipeline', 'spec.pipeline: Required value: a Pipeline Composition needs at least one step');
  const missing: string[] = [];
  const incapable: string[] = [];
  for (const [i, s] of pipeline.entries()) {
    const step = isPlainObject(s) ? s : {};
    const stepName = typeof step.step === 'string' && step.step !== '' ? step.step : `#${i}`;
    const ref = isPlainObject(step.functionRef) ? step.functionRef : {};
    const fn = typeof ref.name === 'string' ? ref.name : '';
    if (fn === '')
      return invalidPipeline(
        'InvalidPipeline',
        `spec.pipeline[${i}].functionRef.name: Required value: pipeline step "${stepName}" names no function`,
      );
    if (!functions.has(fn)) missing.push(`pipeline step "${stepName}" uses function "${fn}", which is neither built in nor installed`);
    else {
      const problem = functions.missingCapabilities?.(fn);
      if (problem !== undefined && !incapable.includes(problem)) incapable.push(problem);
    }
  }
  if (missing.length > 0) return invalidPipeline('MissingFunctions', missing.join('; '));
  if (incapable.length > 0) return invalidPipeline('MissingCapabilities', incapable.join('; '));
  return validPipeline();
}

/** FunctionNames lists the functions a revision's pipeline names (mode Resources: the built-in P&T). */
export function functionNames(rev: KubeObject): string[] {
  const spec = isPlainObject(rev.spec) ? rev.spec : {};
  if (spec.mode === 'Resources') return ['function-patch-and-transform'];
  const pipeline = Array.isArray(spec.pipeline) ? spec.pipeline : [];
  const out: string[] = [];
  for (const s of pipeline) {
    const ref = isPlainObject(s) && isPlainObject(s.functionRef) ? s.functionRef : {};
    if (typeof ref.name === 'string' && ref.name !== '' && !out.includes(ref.name)) out.push(ref.name);
  }
  return out;
}
