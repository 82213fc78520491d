import type { KubeObject } from '@trellis/sdk';
import { type Condition, reconcileError, reconcileSuccess, setConditions } from '@trellis/sdk';
import {
  SystemConditionTypes,
  stableNAndSomeMore,
  watchCircuitClosed,
  watchCircuitOpen,
  withObservedGeneration,
} from '../../status/conditions.ts';
import { type PipelineResult, PipelineResultsField } from '../../status/results.ts';
import type { CompositionCondition } from './composer.ts';
import { claimConditionTypes, conditionsOf, statusOf } from './xr.ts';

/** What one reconcile learned, to be written as the XR's status. */
export interface XrStatusInput {
  xr: KubeObject;
  /** Synced=False message when a step failed (undefined: synced). */
  error?: string;
  /** Unsynced names resources whose apply the API server rejected as invalid. */
  unsynced?: readonly string[];
  /** Ready: undefined leaves Ready untouched (e.g. the pipeline failed before readiness was known). */
  ready?: { explicit?: boolean | undefined; unready: readonly string[] } | undefined;
  /** CompositeStatus is the desired status the pipeline returned (without conditions). */
  compositeStatus?: Record<string, unknown> | undefined;
  conditions?: readonly CompositionCondition[];
  /** Fatal marks a run that ended in a fatal error: custom conditions not re-reported become Unknown. */
  fatal?: boolean;
  /** Results replaces `status.pipelineResults` (undefined keeps the current ones). */
  results?: readonly PipelineResult[] | undefined;
  /** Circuit is the watch circuit breaker state. */
  circuit?: { open: boolean; triggeredBy?: string };
  /** Extra conditions to set (e.g. Ready=False Deleting). */
  extra?: readonly Condition[];
  /** LastPublishedTime sets `status.connectionDetails.lastPublishedTime` (legacy XRs). */
  lastPublishedTime?: string;
  now?: Date;
}

/**
 * BuildXrStatus computes the XR's whole status: the pipeline's desired status fields, conditions
 * (Responsive, Synced, Ready, function conditions; all with observedGeneration), the claim
 * condition types and the per-step results. The result is deterministic for the same input, so an
 * unchanged XR produces the same status and no write.
 */
export function buildXrStatus(input: XrStatusInput): Record<string, unknown> {
  const { xr } = input;
  const current = statusOf(xr);
  const gen = xr.metadata.generation;
  const base: Record<string, unknown> = { ...(input.compositeStatus ?? pipelineOwned(current)) };
  delete base.conditions;
  delete base.claimConditionTypes;
  delete base[PipelineResultsField];
  delete base.connectionDetails;
  delete base.observedGeneration;

  const updates: Condition[] = [];
  updates.push(input.circuit?.open === true ? watchCircuitOpen(input.circuit.triggeredBy ?? 'unknown') : watchCircuitClosed());
  updates.push(...(input.extra ?? []));
  const syncedGiven = (input.extra ?? []).some((c) => c.type === 'Synced');
  if (syncedGiven) {
    // The caller set Synced itself (e.g. ReconcilePaused).
  } else if (input.error !== undefined) updates.push(reconcileError(input.error));
  else if ((input.unsynced ?? []).length > 0)
    updates.push(reconcileError(`Unsynced resources: ${stableNAndSomeMore(input.unsynced ?? [])}`));
  else updates.push(reconcileSuccess());
  if (input.ready !== undefined) updates.push(readyCondition(input.ready));

  const claimTypes = new Set(claimConditionTypes(xr));
  const seen = new Set<string>();
  for (const c of input.conditions ?? []) {
    if (SystemConditionTypes.has(c.type)) continue;
    seen.add(c.type);
    updates.push({ type: c.type, status: c.status, reason: c.reason, ...(c.message === undefined ? {} : { message: c.message }) });
    if (c.target === 'CompositeAndClaim') claimTypes.add(c.type);
  }
  if (input.fatal === true) {
    for (const c of conditionsOf(xr)) {
      if (SystemConditionTypes.has(c.type) || seen.has(c.type) || isEngineType(c.type)) continue;
      updates.push({
        type: c.type,
        status: 'Unknown',
        reason: 'FatalError',
        message: 'A fatal error occurred before the status of this condition could be determined.',
      });
    }
  }

  const conditions = setConditions(conditionsOf(xr), withObservedGeneration(updates, gen), input.now);
  const out: Record<string, unknown> = { ...base, conditions };
  // kstatus (helm --wait, Argo CD) compares status.observedGeneration with metadata.generation.
  if (gen !== undefined) out.observedGeneration = gen;
  if (claimTypes.size > 0) out.claimConditionTypes = [...claimTypes].sort();
  const results =
    input.results ?? (Array.isArray(current[PipelineResultsField]) ? (current[PipelineResultsField] as PipelineResult[]) : []);
  if (results.length > 0) out[PipelineResultsField] = results;
  const published = input.lastPublishedTime ?? lastPublishedTime(current);
  if (published !== undefined) out.connectionDetails = { lastPublishedTime: published };
  return out;
}

function readyCondition(r: { explicit?: boolean | undefined; unready: readonly string[] }): Condition {
  if (r.explicit === true) return { type: 'Ready', status: 'True', reason: 'Available' };
  if (r.explicit === false) return { type: 'Ready', status: 'False', reason: 'Creating' };
  if (r.unready.length === 0) return { type: 'Ready', status: 'True', reason: 'Available' };
  return { type: 'Ready', status: 'False', reason: 'Creating', message: `Unready resources: ${stableNAndSomeMore(r.unready)}` };
}

function isEngineType(t: string): boolean {
  return t === 'Ready' || t === 'Synced' || t === 'Responsive';
}

function lastPublishedTime(status: Record<string, unknown>): string | undefined {
  const cd = status.connectionDetails;
  if (typeof cd !== 'object' || cd === null) return undefined;
  const t = (cd as Record<string, unknown>).lastPublishedTime;
  return typeof t === 'string' ? t : undefined;
}

/**
 * PipelineOwned keeps the status fields a previous pipeline run wrote, for reconciles that end
 * before the pipeline runs (so a failure does not wipe the XR's status fields).
 */
function pipelineOwned(status: Record<string, unknown>): Record<string, unknown> {
  return { ...status };
}
