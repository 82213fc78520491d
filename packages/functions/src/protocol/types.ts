/**
 * The composition function protocol, `apiextensions.fn.proto.v1` (RunFunctionRequest and
 * RunFunctionResponse), as plain TypeScript values. In-process functions receive and return these
 * directly; the gRPC client converts them to and from protobuf. Enum values are the proto enum
 * names, as protojson writes them. Struct fields are plain JSON objects; bytes are Uint8Array.
 */

export type JsonObject = Record<string, unknown>;

export type Ready = 'READY_UNSPECIFIED' | 'READY_TRUE' | 'READY_FALSE';
export type Severity = 'SEVERITY_UNSPECIFIED' | 'SEVERITY_FATAL' | 'SEVERITY_WARNING' | 'SEVERITY_NORMAL';
export type Target = 'TARGET_UNSPECIFIED' | 'TARGET_COMPOSITE' | 'TARGET_COMPOSITE_AND_CLAIM';
export type ConditionStatus =
  | 'STATUS_CONDITION_UNSPECIFIED'
  | 'STATUS_CONDITION_UNKNOWN'
  | 'STATUS_CONDITION_TRUE'
  | 'STATUS_CONDITION_FALSE';
export type Capability =
  | 'CAPABILITY_UNSPECIFIED'
  | 'CAPABILITY_CAPABILITIES'
  | 'CAPABILITY_REQUIRED_RESOURCES'
  | 'CAPABILITY_CREDENTIALS'
  | 'CAPABILITY_CONDITIONS'
  | 'CAPABILITY_REQUIRED_SCHEMAS';

/** A Resource is an object with its connection details and (for desired state) readiness. */
export interface Resource {
  resource: JsonObject;
  connectionDetails?: Record<string, Uint8Array>;
  ready?: Ready;
}

/** State is observed or desired state: the XR and the composed resources by name. */
export interface State {
  composite?: Resource;
  resources?: Record<string, Resource>;
}

export interface RequestMeta {
  tag?: string;
  capabilities?: Capability[];
}

export interface ResponseMeta {
  tag?: string;
  /** Ttl in seconds (a protobuf Duration), how long the response may be cached. */
  ttlSeconds?: number;
}

export interface Credentials {
  credentialData?: { data: Record<string, Uint8Array> };
}

export interface Resources {
  items: Resource[];
}

export interface Schema {
  openapiV3?: JsonObject;
}

export interface RunFunctionRequest {
  meta?: RequestMeta;
  observed?: State;
  desired?: State;
  input?: JsonObject;
  context?: JsonObject;
  /** ExtraResources is deprecated upstream; kept for functions that still read it. */
  extraResources?: Record<string, Resources>;
  credentials?: Record<string, Credentials>;
  requiredResources?: Record<string, Resources>;
  requiredSchemas?: Record<string, Schema>;
}

export interface Result {
  severity: Severity;
  message: string;
  reason?: string;
  target?: Target;
}

export interface ResourceSelector {
  apiVersion: string;
  kind: string;
  matchName?: string;
  matchLabels?: { labels: Record<string, string> };
  namespace?: string;
}

export interface SchemaSelector {
  apiVersion: string;
  kind: string;
}

export interface Requirements {
  extraResources?: Record<string, ResourceSelector>;
  resources?: Record<string, ResourceSelector>;
  schemas?: Record<string, SchemaSelector>;
}

export interface FunctionCondition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message?: string;
  target?: Target;
}

export interface RunFunctionResponse {
  meta?: ResponseMeta;
  desired?: State;
  results?: Result[];
  context?: JsonObject;
  requirements?: Requirements;
  conditions?: FunctionCondition[];
  output?: JsonObject;
}

/** RunOptions carry the deadline of one function call. */
export interface RunOptions {
  signal?: AbortSignal;
}

/**
 * A CompositionFunction runs one pipeline step. Built-in functions implement it in-process; the
 * gRPC client implements it for remote functions. It must copy `meta.tag`, pass through desired
 * state it does not own, and report problems as results rather than throwing; a throw means the
 * function could not be called at all.
 */
export interface CompositionFunction {
  run(req: RunFunctionRequest, opts?: RunOptions): Promise<RunFunctionResponse>;
}
