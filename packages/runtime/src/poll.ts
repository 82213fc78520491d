import type { KubeObject } from '@trellis/sdk';
import { isConditionTrue } from '@trellis/sdk';
import { conditionsOf } from './fields.ts';
import { Annotation, annotationOf, parseDuration } from './meta.ts';

/** PollOptions configure how often a healthy managed resource is observed again. */
export interface PollOptions {
  /** IntervalMs is the poll interval after a successful reconcile (upstream default: 1 minute). */
  intervalMs: number;
  /** MinIntervalMs clamps the per-resource `crossplane.io/poll-interval` override from below. */
  minIntervalMs: number;
  /** NotReadyIntervalMs is the faster poll used while `Ready` is not True (upstream provider-kubernetes: 30 s). */
  notReadyIntervalMs: number;
  /** Jitter is a fraction (0.1 = ±10 %) of uniform random spread, so polls of many resources do not align. */
  jitter: number;
}

/** DefaultPollOptions are the runtime's defaults. */
export const defaultPollOptions: PollOptions = {
  intervalMs: 60_000,
  minIntervalMs: 1_000,
  notReadyIntervalMs: 15_000,
  jitter: 0.1,
};

/**
 * BaseInterval returns the poll interval of one resource before jitter: the annotation override
 * (clamped to the minimum) or the default, and no more than the not-ready interval while the
 * resource is not Ready.
 */
export function baseInterval(mr: KubeObject, opts: PollOptions): number {
  const override = annotationOf(mr, Annotation.PollInterval);
  const parsed = override === undefined ? undefined : parseDuration(override);
  let interval = parsed !== undefined && parsed > 0 ? Math.max(parsed, opts.minIntervalMs) : opts.intervalMs;
  if (!isConditionTrue(conditionsOf(mr), 'Ready')) interval = Math.min(interval, opts.notReadyIntervalMs);
  return interval;
}

/** NextPoll returns the delay before the next observation, with jitter in [-jitter, +jitter]. */
export function nextPoll(mr: KubeObject, opts: PollOptions, random: () => number = Math.random): number {
  const base = baseInterval(mr, opts);
  const spread = base * Math.min(Math.max(opts.jitter, 0), 1);
  return Math.max(1, Math.round(base + (random() * 2 - 1) * spread));
}
