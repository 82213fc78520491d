import type { KubeObject } from '@trellis/sdk';
import type { Dependencies } from '../../apply/order.ts';
import type { StepResult } from '../../status/results.ts';

/** An ObservedComposed is one existing composed resource, keyed by its composition resource name. */
export interface ObservedComposed {
  resource: KubeObject;
  connectionDetails?: Record<string, Uint8Array>;
}

/** The input of one composition: the XR, its revision and what exists. */
export interface ComposeInput {
  xr: KubeObject;
  /** Revision is the CompositionRevision the XR uses. */
  revision: KubeObject;
  observed: ReadonlyMap<string, ObservedComposed>;
  /** XrConnectionDetails are the XR's own published connection details (legacy XRs). */
  xrConnectionDetails?: Record<string, Uint8Array>;
  signal?: AbortSignal;
}

/** A DesiredComposed is one composed resource the pipeline wants, with upstream metadata set. */
export interface DesiredComposed {
  name: string;
  resource: KubeObject;
  /** Ready is the pipeline's readiness (READY_TRUE). */
  ready: boolean;
}

/** A CompositionCondition is a condition a function asked to set on the XR (and maybe the claim). */
export interface CompositionCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
  target: 'Composite' | 'CompositeAndClaim';
}

/** ComposeOutput is everything the controller needs to apply and to write status. */
export interface ComposeOutput {
  /** Resources are the desired composed resources in pipeline order. */
  resources: DesiredComposed[];
  /** Dependencies between the desired resources (declared and inferred). */
  dependencies: Dependencies;
  /** CompositeStatus is the desired XR status the pipeline returned (without conditions). */
  compositeStatus?: Record<string, unknown>;
  /** CompositeReady is the XR readiness a function set explicitly (undefined: derive it). */
  compositeReady?: boolean;
  /** ConnectionDetails of the XR (legacy XRs publish them). */
  connectionDetails: Record<string, Uint8Array>;
  results: StepResult[];
  conditions: CompositionCondition[];
  /** TtlMs is the minimum TTL the steps returned, if any. */
  ttlMs?: number;
  /**
   * Fatal is set when the pipeline could not produce a desired state (a fatal result, a missing
   * function, a malformed response, a cycle): nothing is applied, status says why.
   */
  fatal?: Error;
}

/**
 * A Composer runs a composition: the function pipeline of a CompositionRevision over an XR and
 * its observed composed resources. It must not write to the API server; the XR controller applies
 * the result. It reports pipeline failures in `fatal` and throws only when it could not run at all.
 */
export interface Composer {
  compose(input: ComposeInput): Promise<ComposeOutput>;
}
