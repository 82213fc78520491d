import type {
  CompositionFunction,
  FunctionCondition,
  JsonObject,
  Resource,
  ResourceSelector,
  Result,
  SchemaSelector,
  Target,
} from '@trellis/functions';
import type { Condition, KubeObject } from '@trellis/sdk';

/**
 * A FunctionResolver returns the CompositionFunction a pipeline step's `functionRef.name` names,
 * or undefined when no such function is known (render then fails with a precise error naming the
 * step and the function). Built-in functions run in-process; others are remote gRPC clients.
 */
export type FunctionResolver = (name: string) => CompositionFunction | undefined;

/**
 * A RequiredResourcesLookup answers a function's resource requirement (by name or by labels,
 * optionally in a namespace) from whatever the caller has: an informer cache in the controller,
 * the files given to `trellis render`. It must not write anything. Matches by labels are returned
 * in any order; render sorts them by namespace/name as upstream does. A name that matches nothing
 * returns an empty list.
 */
export type RequiredResourcesLookup = (selector: ResourceSelector) => readonly JsonObject[] | Promise<readonly JsonObject[]>;

/** A RequiredSchemasLookup returns the OpenAPI v3 schema of a kind, or undefined when unknown. */
export type RequiredSchemasLookup = (selector: SchemaSelector) => JsonObject | undefined | Promise<JsonObject | undefined>;

/** A CredentialsLookup returns the data of the Secret a pipeline step's credential names. */
export type CredentialsLookup = (ref: {
  namespace: string;
  name: string;
}) => Record<string, Uint8Array> | undefined | Promise<Record<string, Uint8Array> | undefined>;

/** An ObservedComposed is a composed resource as it exists, with its connection details. */
export interface ObservedComposed {
  resource: KubeObject;
  connectionDetails?: Record<string, Uint8Array>;
}

/** The XR schema shape: modern XRs keep Crossplane's fields under spec.crossplane. */
export type CompositeSchema = 'Modern' | 'Legacy';

/** RenderInput is everything render() needs; it performs no I/O beyond calling the seams. */
export interface RenderInput {
  /** The composite resource. Its metadata.uid names composed resources; it must be set. */
  composite: KubeObject;
  /**
   * The Composition or CompositionRevision to run (`spec.pipeline`). A legacy `mode: Resources`
   * Composition is converted to a pipeline running the built-in patch-and-transform function.
   */
  composition: KubeObject;
  /** Observed composed resources, keyed by their composition resource name annotation. */
  observed?: readonly ObservedComposed[];
  /** The XR's own connection details (legacy XRs), passed to functions as observed state. */
  compositeConnectionDetails?: Record<string, Uint8Array>;
  functions: FunctionResolver;
  requiredResources?: RequiredResourcesLookup;
  requiredSchemas?: RequiredSchemasLookup;
  credentials?: CredentialsLookup;
  /** Initial pipeline context (e.g. `trellis render --context-values`). */
  context?: JsonObject;
  /** Where the XR keeps Crossplane's fields; default Modern when spec.crossplane exists or no claimRef. */
  schema?: CompositeSchema;
  /** Kinds that are cluster scoped (`apiVersion/Kind`); a namespaced XR may not compose them. */
  isClusterScoped?: (apiVersion: string, kind: string) => boolean;
  /** Aborts function calls (each step call receives it). */
  signal?: AbortSignal;
  /** Per function call deadline in milliseconds (default 30s, as upstream's function timeout). */
  stepTimeoutMs?: number;
}

/** A StepResult is one result a function returned, with the step that returned it. */
export interface StepResult extends Result {
  step: string;
}

/**
 * A RenderEvent is an event upstream's composite reconciler would record for this render (the
 * shape `crossplane render -r` prints as kind Result). Severity is the Kubernetes event type.
 */
export interface RenderEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The step that produced it, when a function result did. */
  step?: string;
  /** Target COMPOSITE_AND_CLAIM results also go to the claim (without the step prefix). */
  claimMessage?: string;
}

/** A TargetedCondition is a condition a function asked to set on the XR (and maybe the claim). */
export interface TargetedCondition extends Condition {
  target: 'Composite' | 'CompositeAndClaim';
  step: string;
}

/** A ComposedDependency says `name` depends on `dependsOn`, and why. */
export interface ComposedDependency {
  name: string;
  dependsOn: string;
  source: 'declared' | 'inferred';
}

/** A DesiredComposed is a composed resource ready to apply. */
export interface DesiredComposed {
  /** The composition resource name (the key in desired state). */
  name: string;
  /** The object to apply, with upstream's name, namespace, labels, annotation and controller ref. */
  resource: KubeObject;
  /** Ready reports whether the pipeline said READY_TRUE. */
  ready: boolean;
  connectionDetails: Record<string, Uint8Array>;
  /** Observed is true when the resource already exists (it was observed). */
  observed: boolean;
  /** Names of composed resources this one depends on (declared and inferred), sorted. */
  dependsOn: string[];
}

/** RenderResult is what the controllers apply and write as status, and what `trellis render` prints. */
export interface RenderResult {
  /** The desired composite resource the pipeline returned (only its status is honoured upstream). */
  composite: JsonObject;
  /** The XR connection details the pipeline returned. */
  compositeConnectionDetails: Record<string, Uint8Array>;
  /** Explicit XR readiness from the pipeline (READY_TRUE/READY_FALSE), else undefined. */
  compositeReady: boolean | undefined;
  /** Desired composed resources, sorted by name. */
  composed: DesiredComposed[];
  /** Observed composed resources that are no longer desired (candidates for garbage collection). */
  removed: ObservedComposed[];
  /** The XR's resourceRefs for the desired state, sorted as upstream sorts them. */
  resourceRefs: { apiVersion: string; kind: string; name: string; namespace?: string }[];
  /** Every result every step returned, in order. */
  results: StepResult[];
  /** Events upstream would record while composing (results, warnings, readiness notes). */
  events: RenderEvent[];
  /** Conditions functions asked for (system condition types excluded). */
  conditions: TargetedCondition[];
  /** Synced and Ready conditions the XR gets from this render (upstream's rules). */
  compositeConditions: Condition[];
  /** The context the last step returned; undefined when it returned none. */
  context: JsonObject | undefined;
  /** The minimum non-zero TTL any step returned, in seconds; undefined when none did. */
  ttlSeconds: number | undefined;
  /** Dependencies between desired composed resources; `dependencies[name]` lists what it needs. */
  dependencies: Record<string, string[]>;
  /** Every dependency edge with its source (declared by annotation or inferred from patches). */
  dependencyEdges: ComposedDependency[];
  /** The resource requirements functions made, by step then requirement name. */
  requirements: Record<string, Record<string, ResourceSelector>>;
}

export type { FunctionCondition, JsonObject, Resource, Target };
