/** ConditionStatus is the status of a condition. */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/**
 * A Condition follows the Kubernetes (and kstatus) convention: one entry per `type`, a CamelCase
 * `reason`, a stable one-line `message`, and `observedGeneration` so that `kubectl wait`,
 * `helm --wait` and Argo CD can tell a stale condition from a fresh one.
 */
export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/** Upstream Crossplane's condition types. */
export const ConditionType = {
  Ready: 'Ready',
  Synced: 'Synced',
  Healthy: 'Healthy',
  Installed: 'Installed',
  Established: 'Established',
  Offered: 'Offered',
  Responsive: 'Responsive',
} as const;

/** Upstream Crossplane's condition reasons (crossplane-runtime apis/common condition.go). */
export const ConditionReason = {
  Available: 'Available',
  Unavailable: 'Unavailable',
  Creating: 'Creating',
  Deleting: 'Deleting',
  ReconcileSuccess: 'ReconcileSuccess',
  ReconcileError: 'ReconcileError',
  ReconcilePaused: 'ReconcilePaused',
  WatchCircuitOpen: 'WatchCircuitOpen',
} as const;

/** Available reports a Ready=True condition. */
export function available(): Condition {
  return { type: 'Ready', status: 'True', reason: 'Available' };
}
/** Unavailable reports a Ready=False condition. */
export function unavailable(message?: string): Condition {
  return withMessage({ type: 'Ready', status: 'False', reason: 'Unavailable' }, message);
}
/** Creating reports Ready=False while a resource is being created. */
export function creating(): Condition {
  return { type: 'Ready', status: 'False', reason: 'Creating' };
}
/** Deleting reports Ready=False while a resource is being deleted. */
export function deleting(): Condition {
  return { type: 'Ready', status: 'False', reason: 'Deleting' };
}
/** ReconcileSuccess reports Synced=True. */
export function reconcileSuccess(): Condition {
  return { type: 'Synced', status: 'True', reason: 'ReconcileSuccess' };
}
/** ReconcileError reports Synced=False with the error's one-line message. */
export function reconcileError(message: string): Condition {
  return { type: 'Synced', status: 'False', reason: 'ReconcileError', message };
}
/** ReconcilePaused reports Synced=False because reconciliation is paused. */
export function reconcilePaused(): Condition {
  return { type: 'Synced', status: 'False', reason: 'ReconcilePaused' };
}

function withMessage(c: Condition, message: string | undefined): Condition {
  return message === undefined || message === '' ? c : { ...c, message };
}

/** GetCondition returns the condition of `type`, or an Unknown one when absent. */
export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition {
  return conditions?.find((c) => c.type === type) ?? { type, status: 'Unknown', reason: '' };
}

/** IsTrue reports whether the condition of `type` has status True. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type).status === 'True';
}

/**
 * SameCondition reports whether two conditions say the same thing (type, status, reason, message
 * and observedGeneration); lastTransitionTime is ignored.
 */
export function sameCondition(a: Condition, b: Condition): boolean {
  return (
    a.type === b.type &&
    a.status === b.status &&
    a.reason === b.reason &&
    (a.message ?? '') === (b.message ?? '') &&
    a.observedGeneration === b.observedGeneration
  );
}

/**
 * SetConditions returns `existing` with each of `updates` set by type. A condition whose status
 * does not change keeps its lastTransitionTime, so setting the same conditions twice changes
 * nothing (the basis of "zero writes in steady state"). Order is stable: existing types keep their
 * position, new types are appended.
 */
export function setConditions(
  existing: readonly Condition[] | undefined,
  updates: readonly Condition[],
  now: Date = new Date(),
): Condition[] {
  const out = [...(existing ?? [])];
  for (const u of updates) {
    const i = out.findIndex((c) => c.type === u.type);
    const prev = i >= 0 ? out[i] : undefined;
    const ltt =
      prev !== undefined && prev.status === u.status && prev.lastTransitionTime !== undefined ? prev.lastTransitionTime : rfc3339(now);
    const next: Condition = { ...u, lastTransitionTime: u.lastTransitionTime ?? ltt };
    if (i >= 0) out[i] = next;
    else out.push(next);
  }
  return out;
}

/** ConditionsEqual reports whether two lists hold the same conditions, ignoring times and order. */
export function conditionsEqual(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  if (x.length !== y.length) return false;
  return x.every((c) => {
    const o = y.find((d) => d.type === c.type);
    return o !== undefined && sameCondition(c, o);
  });
}

/** Rfc3339 formats a time the way Kubernetes does: second precision, UTC, `Z`. */
export function rfc3339(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}
