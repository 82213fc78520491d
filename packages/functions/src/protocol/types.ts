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
  /**
   * Pure functions never change their request (built-in functions start their response from
   * copies). A caller may then give them a request whose `meta.tag` is computed when first read
   * ({@link lazyTagMeta}): most never read it, and it is a hash of the whole request.
   */
  readonly pure?: boolean;
}

/**
 * LazyTagMeta returns request metadata whose `tag` is `compute()`, run on the first read and
 * kept. Only for requests nothing changes before the tag is read (see {@link CompositionFunction.pure}).
 */
export function lazyTagMeta(compute: () => string, capabilities: Capability[]): RequestMeta {
  let tag: string | undefined;
  const meta: RequestMeta = {};
  Object.defineProperty(meta, 'tag', {
    enumerable: true,
    configurable: true,
    get: () => {
      tag ??= compute();
      return tag;
    },
  });
  meta.capabilities = capabilities;
  return meta;
}

/**
 * CopyTag sets `to.tag` from `from.tag` without computing a lazy tag: a lazy one is copied as a
 * getter that reads it on demand (a response's tag is the request's).
 */
export function copyTag(from: { tag?: string } | undefined, to: { tag?: string }): void {
  const d = from === undefined ? undefined : Object.getOwnPropertyDescriptor(from, 'tag');
  if (d === undefined) return;
  if (d.get !== undefined) {
    const get = d.get;
    Object.defineProperty(to, 'tag', { enumerable: true, configurable: true, get: () => get.call(from) });
  } else if (d.value !== undefined) to.tag = d.value;
}
