import type { Condition } from '@trellis/sdk';

/**
 * Condition builders for the engine's objects, with upstream Crossplane's types, reasons and
 * messages (apis/apiextensions/v1 and crossplane-runtime). Messages are stable: no timestamps, no
 * counters, sorted names, so writing the same state twice changes nothing.
 */

export const EngineConditionType = {
  Ready: 'Ready',
  Synced: 'Synced',
  Established: 'Established',
  Offered: 'Offered',
  Responsive: 'Responsive',
  ValidPipeline: 'ValidPipeline',
} as const;

/** System condition types that functions may not set (upstream `IsSystemConditionType`). */
export const SystemConditionTypes: ReadonlySet<string> = new Set(['Ready', 'Synced', 'Healthy', 'UpToDate', 'Responsive']);

export const EngineReason = {
  WatchingComposite: 'WatchingCompositeResource',
  TerminatingComposite: 'TerminatingCompositeResource',
  WatchingClaim: 'WatchingCompositeResourceClaim',
  TerminatingClaim: 'TerminatingCompositeResourceClaim',
  WatchCircuitClosed: 'WatchCircuitClosed',
  Waiting: 'Waiting',
  FatalError: 'FatalError',
  ValidPipeline: 'ValidPipeline',
  MissingCapabilities: 'MissingCapabilities',
  MissingFunctions: 'MissingFunctions',
  InvalidDefinition: 'InvalidDefinition',
} as const;

export const PausedMessage = 'Reconciliation (including deletion) is paused via the pause annotation';

/** WatchingComposite: the XRD's XR CRD is established and its controller runs. */
export function watchingComposite(): Condition {
  return { type: 'Established', status: 'True', reason: EngineReason.WatchingComposite };
}
/** TerminatingComposite: the XRD is being deleted. */
export function terminatingComposite(): Condition {
  return { type: 'Established', status: 'False', reason: EngineReason.TerminatingComposite };
}
/** WatchingClaim: the XRD's claim CRD is established and its controller runs. */
export function watchingClaim(): Condition {
  return { type: 'Offered', status: 'True', reason: EngineReason.WatchingClaim };
}
/** TerminatingClaim: the XRD's claim CRD is being removed. */
export function terminatingClaim(): Condition {
  return { type: 'Offered', status: 'False', reason: EngineReason.TerminatingClaim };
}
/** InvalidDefinition: the XRD cannot be turned into a CRD; the message says which field and why. */
export function invalidDefinition(type: 'Established' | 'Offered', message: string): Condition {
  return { type, status: 'False', reason: EngineReason.InvalidDefinition, message };
}
/** WatchCircuitClosed: the XR's watch circuit breaker is closed (upstream v2.1+). */
export function watchCircuitClosed(): Condition {
  return { type: 'Responsive', status: 'True', reason: EngineReason.WatchCircuitClosed };
}
/** WatchCircuitOpen: too many watch events for this XR; they are now let through periodically. */
export function watchCircuitOpen(triggeredBy: string): Condition {
  return {
    type: 'Responsive',
    status: 'False',
    reason: 'WatchCircuitOpen',
    message: `Too many watch events from ${triggeredBy}. Allowing events periodically.`,
  };
}
/** Waiting: a claim waits for its XR to become Ready. */
export function waiting(): Condition {
  return {
    type: 'Ready',
    status: 'False',
    reason: EngineReason.Waiting,
    message: 'Claim is waiting for composite resource to become Ready',
  };
}
/** ValidPipeline: every function of the revision's pipeline can be called. */
export function validPipeline(): Condition {
  return { type: 'ValidPipeline', status: 'True', reason: EngineReason.ValidPipeline };
}
/** InvalidPipeline: some function of the revision's pipeline cannot be resolved. */
export function invalidPipeline(reason: string, message: string): Condition {
  return { type: 'ValidPipeline', status: 'False', reason, message };
}

/**
 * StableNAndSomeMore renders a list of names the way upstream does: sorted, the first three
 * named, then "and N more" (`a, b` · `a, b, and c` · `a, b, c, and 2 more`).
 */
export function stableNAndSomeMore(names: readonly string[], n = 3): string {
  const s = [...names].sort();
  if (n <= 0) return String(s.length);
  if (s.length > n) return `${s.slice(0, n).join(', ')}, and ${s.length - n} more`;
  if (s.length === n) return `${s.slice(0, n - 1).join(', ')}, and ${s[n - 1] ?? ''}`;
  return s.join(', ');
}

/** WithObservedGeneration stamps `observedGeneration` on conditions (kstatus, `kubectl wait`). */
export function withObservedGeneration(conditions: readonly Condition[], generation: number | undefined): Condition[] {
  if (generation === undefined) return [...conditions];
  return conditions.map((c) => ({ ...c, observedGeneration: generation }));
}
