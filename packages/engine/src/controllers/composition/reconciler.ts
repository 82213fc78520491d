import type { KubeClient, ReconcileResult } from '@trellis/kube';
import {
  asControllerRef,
  type Condition,
  controllerOf,
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
import { invalidPipeline, validPipeline } from '../../status/conditions.ts';
import { latestRevision, revisionNumber } from '../composite/selection.ts';
import { conditionsOf, isDeleting, XrLabel } from '../composite/xr.ts';

export const CompositionType = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition' } as const;
export const RevisionType = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositionRevision' } as const;

/**
 * A RevisionFactory hashes Compositions and builds CompositionRevisions exactly as upstream does
 * (the render helper's `revision/`): hash = sha256 of the YAML of labels, annotations and spec;
 * name `<composition>-<hash[:7]>`; labels `crossplane.io/composition-name` and `-hash`.
 */
export interface RevisionFactory {
  hash(composition: KubeObject): string;
  /** Build returns the revision object for `composition` with `spec.revision = revision`. */
  build(composition: KubeObject, revision: number): KubeObject;
}

export interface CompositionReconcilerOptions {
  client: KubeClient;
  composition: (name: string) => KubeObject | undefined;
  /** Revisions lists the cached CompositionRevisions of one Composition (by name label). */
  revisions: (composition: string) => KubeObject[];
  factory: RevisionFactory;
  events?: EventRecorder;
  log?: Logger;
}

/**
 * A CompositionReconciler keeps a Composition's CompositionRevisions (upstream's composition
 * controller): it adopts revisions that lost their controller reference, re-promotes an old
 * revision when the Composition returns to its spec, and otherwise creates revision latest+1.
 */
export class CompositionReconciler {
  private readonly o: Required<CompositionReconcilerOptions>;

  constructor(opts: CompositionReconcilerOptions) {
    this.o = { events: nopRecorder, log: nopLogger, ...opts };
  }

  async reconcile(name: string, signal?: AbortSignal): Promise<ReconcileResult> {
    const comp = this.o.composition(name);
    if (comp === undefined || isDeleting(comp)) return {};
    const opts = signal === undefined ? {} : { signal };
    const revs = await this.adopt(comp, this.o.revisions(name), opts);
    const hash = this.o.factory.hash(comp);
    const controlled = revs.filter((r) => controllerOf(r)?.uid === comp.metadata.uid);
    const latest = latestRevision(controlled);
    const latestN = latest === undefined ? 0 : revisionNumber(latest);
    const current = controlled.find((r) => r.metadata.labels?.[XrLabel.CompositionHash] === hash.slice(0, 63));
    if (current !== undefined) {
      if (revisionNumber(current) === latestN) return {};
      await this.promote(current, latestN + 1, opts);
      return {};
    }
    const rev = this.o.factory.build(comp, latestN + 1);
    try {
      await this.o.client.create(rev, opts);
    } catch (err) {
      if (hasCode(err, 'KUBE_ALREADY_EXISTS')) return { requeue: true };
      throw wrap(err, 'cannot create CompositionRevision');
    }
    this.record(comp, 'Normal', 'CreateRevision', 'Created new revision');
    return {};
  }

  /** Adopt re-takes revisions of this Composition that have no controller (e.g. restored backups). */
  private async adopt(comp: KubeObject, revs: KubeObject[], opts: { signal?: AbortSignal }): Promise<KubeObject[]> {
    const out: KubeObject[] = [];
    for (const r of revs) {
      if (controllerOf(r) !== undefined) {
        out.push(r);
        continue;
      }
      const owners = [...(r.metadata.ownerReferences ?? []), asControllerRef(comp)];
      try {
        out.push(
          await this.o.client.patch<KubeObject>(
            refOf(r),
            { type: 'merge', patch: { metadata: { resourceVersion: r.metadata.resourceVersion, ownerReferences: owners } } },
            { fieldManager: FieldOwner.Revision, ...opts },
          ),
        );
      } catch (err) {
        throw wrap(err, 'cannot update CompositionRevision');
      }
    }
    return out;
  }

  private async promote(rev: KubeObject, n: number, opts: { signal?: AbortSignal }): Promise<void> {
    try {
      await this.o.client.patch(
        refOf(rev),
        { type: 'merge', patch: { metadata: { resourceVersion: rev.metadata.resourceVersion }, spec: { revision: n } } },
        { fieldManager: FieldOwner.Revision, ...opts },
      );
    } catch (err) {
      throw wrap(err, 'cannot update CompositionRevision');
    }
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
  }
  if (missing.length > 0) return invalidPipeline('MissingFunctions', missing.join('; '));
  return validPipeline();
}
