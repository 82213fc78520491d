import type { KubeClient } from '@trellis/kube';
import { describeRef, hasCode, type KubeObject, refOf, wrap } from '@trellis/sdk';
import { type ApplyReason, decideApply, type LastApplied } from './decide.ts';

/** An ApplyOutcome reports what happened to one composed resource. */
export interface ApplyOutcome {
  name: string;
  /** Object is the object as the server returned it (or as observed when nothing was sent). */
  object?: KubeObject;
  /** Applied is true when a request was sent. */
  applied: boolean;
  reason: ApplyReason;
  /** Hash identifies the configuration; remember it with the returned resourceVersion. */
  hash: string;
  /** Invalid holds the API server's rejection of an invalid object; the resource is not synced. */
  invalid?: Error;
}

export interface ApplyComposedInput {
  /** Name is the composition resource name (for messages). */
  name: string;
  desired: KubeObject;
  observed: KubeObject | undefined;
  fieldManager: string;
  /** LastApplied is what this process last applied to the object (see decideApply). */
  lastApplied?: LastApplied | undefined;
  signal?: AbortSignal;
}

/**
 * ApplyComposed server-side applies one composed resource with force, unless nothing would
 * change. An Invalid rejection is returned (upstream marks the resource unsynced and carries on);
 * any other error is thrown, wrapped with the resource's name.
 */
export async function applyComposed(client: KubeClient, input: ApplyComposedInput): Promise<ApplyOutcome> {
  const desired = withoutStatus(input.desired);
  const decision = decideApply(desired, input.observed, {
    fieldManager: input.fieldManager,
    hashAnnotation: true,
    lastApplied: input.lastApplied,
  });
  if (!decision.apply) {
    const out: ApplyOutcome = { name: input.name, applied: false, reason: decision.reason, hash: decision.hash };
    if (input.observed !== undefined) out.object = input.observed;
    return out;
  }
  try {
    const object = await client.apply(decision.body, {
      fieldManager: input.fieldManager,
      force: true,
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    });
    return { name: input.name, object, applied: true, reason: decision.reason, hash: decision.hash };
  } catch (err) {
    if (hasCode(err, 'KUBE_INVALID')) {
      return {
        name: input.name,
        applied: true,
        reason: decision.reason,
        hash: decision.hash,
        invalid: wrap(err, `cannot apply composed resource "${input.name}"`),
      };
    }
    throw wrap(err, `cannot apply composed resource "${input.name}"`);
  }
}

/**
 * DeleteComposed deletes one composed resource with foreground propagation and a UID
 * precondition (so a re-created object of the same name is never deleted by mistake). NotFound
 * and a failed precondition (Conflict on UID) mean it is already gone.
 */
export async function deleteComposed(client: KubeClient, name: string, obj: KubeObject, signal?: AbortSignal): Promise<void> {
  if (obj.metadata.deletionTimestamp !== undefined) return;
  const uid = obj.metadata.uid;
  try {
    await client.delete(refOf(obj), {
      propagationPolicy: 'Foreground',
      ...(uid === undefined ? {} : { preconditions: { uid } }),
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (err) {
    if (hasCode(err, 'KUBE_NOT_FOUND') || hasCode(err, 'KUBE_CONFLICT')) return;
    throw wrap(err, `cannot delete composed resource "${name}" (${describeRef(refOf(obj))})`);
  }
}

/**
 * WithoutStatus drops `status` from a composed resource: functions' composed status is ignored
 * upstream, and a status subresource ignores it on apply, so comparing it would only cause
 * endless re-applies.
 */
export function withoutStatus(obj: KubeObject): KubeObject {
  if (!('status' in obj)) return obj;
  const { status: _s, ...rest } = obj;
  return rest as KubeObject;
}
