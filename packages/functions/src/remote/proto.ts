/**
 * The function protocol on the wire: `apiextensions.fn.proto.v1` (and the identical `v1beta1`)
 * described for protobufjs, and the conversion between protobuf messages (Struct, bytes,
 * Duration, enums) and the plain TypeScript types of protocol/types.ts.
 */
import protobuf from 'protobufjs';
import type { JsonObject, RunFunctionRequest, RunFunctionResponse } from '../protocol/types.ts';

const PROTO = `
syntax = "proto3";
package apiextensions.fn.proto.v1;
import "google/protobuf/duration.proto";
import "google/protobuf/struct.proto";
service FunctionRunnerService { rpc RunFunction(RunFunctionRequest) returns (RunFunctionResponse) {} }
message RunFunctionRequest {
  RequestMeta meta = 1;
  State observed = 2;
  State desired = 3;
  optional google.protobuf.Struct input = 4;
  optional google.protobuf.Struct context = 5;
  map<string, Resources> extra_resources = 6;
  map<string, Credentials> credentials = 7;
  map<string, Resources> required_resources = 8;
  map<string, Schema> required_schemas = 9;
}
message Credentials { oneof source { CredentialData credential_data = 1; } }
message CredentialData { map<string, bytes> data = 1; }
message Resources { repeated Resource items = 1; }
message RunFunctionResponse {
  ResponseMeta meta = 1;
  State desired = 2;
  repeated Result results = 3;
  optional google.protobuf.Struct context = 4;
  Requirements requirements = 5;
  repeated Condition conditions = 6;
  optional google.protobuf.Struct output = 7;
}
message RequestMeta { string tag = 1; repeated Capability capabilities = 2; }
enum Capability {
  CAPABILITY_UNSPECIFIED = 0; CAPABILITY_CAPABILITIES = 1; CAPABILITY_REQUIRED_RESOURCES = 2;
  CAPABILITY_CREDENTIALS = 3; CAPABILITY_CONDITIONS = 4; CAPABILITY_REQUIRED_SCHEMAS = 5;
}
message Requirements {
  map<string, ResourceSelector> extra_resources = 1;
  map<string, ResourceSelector> resources = 2;
  map<string, SchemaSelector> schemas = 3;
}
message SchemaSelector { string api_version = 1; string kind = 2; }
message Schema { optional google.protobuf.Struct openapi_v3 = 1; }
message ResourceSelector {
  string api_version = 1;
  string kind = 2;
  oneof match { string match_name = 3; MatchLabels match_labels = 4; }
  optional string namespace = 5;
}
message MatchLabels { map<string, string> labels = 1; }
message ResponseMeta { string tag = 1; optional google.protobuf.Duration ttl = 2; }
message State { Resource composite = 1; map<string, Resource> resources = 2; }
message Resource { google.protobuf.Struct resource = 1; map<string, bytes> connection_details = 2; Ready ready = 3; }
enum Ready { READY_UNSPECIFIED = 0; READY_TRUE = 1; READY_FALSE = 2; }
message Result { Severity severity = 1; string message = 2; optional string reason = 3; optional Target target = 4; }
enum Severity { SEVERITY_UNSPECIFIED = 0; SEVERITY_FATAL = 1; SEVERITY_WARNING = 2; SEVERITY_NORMAL = 3; }
enum Target { TARGET_UNSPECIFIED = 0; TARGET_COMPOSITE = 1; TARGET_COMPOSITE_AND_CLAIM = 2; }
message Condition { string type = 1; Status status = 2; string reason = 3; optional string message = 4; optional Target target = 5; }
enum Status { STATUS_CONDITION_UNSPECIFIED = 0; STATUS_CONDITION_UNKNOWN = 1; STATUS_CONDITION_TRUE = 2; STATUS_CONDITION_FALSE = 3; }
`;

function buildRoot(): protobuf.Root {
  const root = new protobuf.Root();
  for (const f of ['google/protobuf/struct.proto', 'google/protobuf/duration.proto']) {
    const d = protobuf.common.get(f);
    if (d === null || d === undefined) throw new Error(`protobufjs lacks ${f}`);
    root.addJSON(d.nested ?? {});
  }
  protobuf.parse(PROTO, root, { keepCase: false });
  root.resolveAll();
  return root;
}

/**
 * The message types are built on first use (only a process that calls or serves a remote
 * function needs them; the engine with in-process functions never does).
 */
let types: { request: protobuf.Type; response: protobuf.Type } | undefined;
function messageTypes(): { request: protobuf.Type; response: protobuf.Type } {
  if (types === undefined) {
    const root = buildRoot();
    types = {
      request: root.lookupType('apiextensions.fn.proto.v1.RunFunctionRequest'),
      response: root.lookupType('apiextensions.fn.proto.v1.RunFunctionResponse'),
    };
  }
  return types;
}

export const SERVICE_V1 = '/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction';
export const SERVICE_V1BETA1 = '/apiextensions.fn.proto.v1beta1.FunctionRunnerService/RunFunction';

// ---- Struct <-> JSON ----------------------------------------------------------------------

type PbValue = {
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: PbStruct;
  listValue?: { values?: PbValue[] };
};
type PbStruct = { fields?: Record<string, PbValue> };

export function toPbValue(v: unknown): PbValue {
  if (v === null || v === undefined) return { nullValue: 0 };
  switch (typeof v) {
    case 'number':
      return { numberValue: v };
    case 'bigint':
      return { numberValue: Number(v) };
    case 'string':
      return { stringValue: v };
    case 'boolean':
      return { boolValue: v };
    default:
      break;
  }
  if (Array.isArray(v)) return { listValue: { values: v.map(toPbValue) } };
  if (v instanceof Uint8Array) return { stringValue: Buffer.from(v).toString('base64') };
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return toPbValue((v as { toJSON: () => unknown }).toJSON());
  return { structValue: toPbStruct(v as Record<string, unknown>) };
}

export function toPbStruct(o: Record<string, unknown>): PbStruct {
  const fields: Record<string, PbValue> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    fields[k] = toPbValue(v);
  }
  return { fields };
}

export function fromPbValue(v: PbValue | undefined): unknown {
  if (v === undefined || v === null) return null;
  if (v.structValue !== undefined && v.structValue !== null) return fromPbStruct(v.structValue);
  if (v.listValue !== undefined && v.listValue !== null) return (v.listValue.values ?? []).map(fromPbValue);
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.numberValue !== undefined && v.numberValue !== null) return v.numberValue;
  if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
  return null;
}

export function fromPbStruct(s: PbStruct | undefined | null): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromPbValue(v);
  return out;
}

// ---- message <-> TS types ------------------------------------------------------------------

type Plain = Record<string, unknown>;

function mapValues<T, U>(m: Record<string, T> | undefined, f: (v: T) => U): Record<string, U> | undefined {
  if (m === undefined) return undefined;
  const out: Record<string, U> = {};
  for (const [k, v] of Object.entries(m)) out[k] = f(v);
  return out;
}

function resourceToPb(
  r: { resource?: JsonObject; connectionDetails?: Record<string, Uint8Array>; ready?: string } | undefined,
): Plain | undefined {
  if (r === undefined) return undefined;
  const out: Plain = {};
  if (r.resource !== undefined) out.resource = toPbStruct(r.resource);
  if (r.connectionDetails !== undefined) out.connectionDetails = r.connectionDetails;
  if (r.ready !== undefined) out.ready = r.ready;
  return out;
}

function stateToPb(s: RunFunctionRequest['observed']): Plain | undefined {
  if (s === undefined) return undefined;
  const out: Plain = {};
  if (s.composite !== undefined) out.composite = resourceToPb(s.composite);
  if (s.resources !== undefined) out.resources = mapValues(s.resources, resourceToPb);
  return out;
}

function resourcesToPb(m: Record<string, { items: { resource: JsonObject }[] }> | undefined): Plain | undefined {
  return mapValues(m, (r) => ({ items: r.items.map(resourceToPb) }));
}

export function requestToPb(req: RunFunctionRequest): Plain {
  const out: Plain = {};
  if (req.meta !== undefined) out.meta = { ...req.meta };
  if (req.observed !== undefined) out.observed = stateToPb(req.observed);
  if (req.desired !== undefined) out.desired = stateToPb(req.desired);
  if (req.input !== undefined) out.input = toPbStruct(req.input);
  if (req.context !== undefined) out.context = toPbStruct(req.context);
  if (req.extraResources !== undefined) out.extraResources = resourcesToPb(req.extraResources);
  if (req.requiredResources !== undefined) out.requiredResources = resourcesToPb(req.requiredResources);
  if (req.credentials !== undefined) out.credentials = req.credentials;
  if (req.requiredSchemas !== undefined) {
    out.requiredSchemas = mapValues(req.requiredSchemas, (s) => (s.openapiV3 === undefined ? {} : { openapiV3: toPbStruct(s.openapiV3) }));
  }
  return out;
}

function resourceFromPb(r: Plain | undefined): {
  resource: JsonObject;
  connectionDetails?: Record<string, Uint8Array>;
  ready?: 'READY_UNSPECIFIED' | 'READY_TRUE' | 'READY_FALSE';
} {
  const out: {
    resource: JsonObject;
    connectionDetails?: Record<string, Uint8Array>;
    ready?: 'READY_UNSPECIFIED' | 'READY_TRUE' | 'READY_FALSE';
  } = {
    resource: fromPbStruct(r?.resource as PbStruct | undefined),
  };
  const cd = r?.connectionDetails as Record<string, Uint8Array> | undefined;
  if (cd !== undefined && Object.keys(cd).length > 0) out.connectionDetails = mapValues(cd, (b) => new Uint8Array(b)) ?? {};
  const ready = r?.ready as string | undefined;
  if (ready !== undefined) out.ready = ready as 'READY_UNSPECIFIED' | 'READY_TRUE' | 'READY_FALSE';
  return out;
}

function stateFromPb(s: Plain | undefined): RunFunctionRequest['observed'] {
  if (s === undefined) return undefined;
  const out: NonNullable<RunFunctionRequest['observed']> = {};
  if (s.composite !== undefined) out.composite = resourceFromPb(s.composite as Plain);
  if (s.resources !== undefined) out.resources = mapValues(s.resources as Record<string, Plain>, resourceFromPb) ?? {};
  return out;
}

const toObjectOptions: protobuf.IConversionOptions = { enums: String, longs: Number, bytes: Array, defaults: false, oneofs: false };

/** EncodeRequest serialises a request to protobuf bytes. */
export function encodeRequest(req: RunFunctionRequest): Uint8Array {
  return messageTypes()
    .request.encode(messageTypes().request.fromObject(requestToPb(req)))
    .finish();
}

/** DecodeRequest parses protobuf bytes into a request (the server side). */
export function decodeRequest(buf: Uint8Array): RunFunctionRequest {
  const m = messageTypes().request.toObject(messageTypes().request.decode(buf), {
    ...toObjectOptions,
    bytes: Uint8Array as unknown as typeof Array,
  }) as Plain;
  const req: RunFunctionRequest = {};
  if (m.meta !== undefined) req.meta = m.meta as RunFunctionRequest['meta'] & object;
  const observed = stateFromPb(m.observed as Plain | undefined);
  if (observed !== undefined) req.observed = observed;
  const desired = stateFromPb(m.desired as Plain | undefined);
  if (desired !== undefined) req.desired = desired;
  if (m.input !== undefined) req.input = fromPbStruct(m.input as PbStruct);
  if (m.context !== undefined) req.context = fromPbStruct(m.context as PbStruct);
  const res = (x: unknown) =>
    mapValues(x as Record<string, Plain>, (r) => ({ items: ((r.items as Plain[] | undefined) ?? []).map(resourceFromPb) }));
  if (m.extraResources !== undefined) req.extraResources = res(m.extraResources) ?? {};
  if (m.requiredResources !== undefined) req.requiredResources = res(m.requiredResources) ?? {};
  if (m.credentials !== undefined) {
    req.credentials =
      mapValues(m.credentials as Record<string, Plain>, (c) => {
        const cd = c.credentialData as { data?: Record<string, Uint8Array> } | undefined;
        return cd === undefined ? {} : { credentialData: { data: mapValues(cd.data ?? {}, (b) => new Uint8Array(b)) ?? {} } };
      }) ?? {};
  }
  if (m.requiredSchemas !== undefined) {
    req.requiredSchemas =
      mapValues(m.requiredSchemas as Record<string, Plain>, (s) =>
        s.openapiV3 === undefined ? {} : { openapiV3: fromPbStruct(s.openapiV3 as PbStruct) },
      ) ?? {};
  }
  return req;
}

/** EncodeResponse serialises a response (the server side). */
export function encodeResponse(rsp: RunFunctionResponse): Uint8Array {
  const out: Plain = {};
  if (rsp.meta !== undefined) {
    const meta: Plain = {};
    if (rsp.meta.tag !== undefined) meta.tag = rsp.meta.tag;
    if (rsp.meta.ttlSeconds !== undefined) {
      const secs = Math.floor(rsp.meta.ttlSeconds);
      meta.ttl = { seconds: secs, nanos: Math.round((rsp.meta.ttlSeconds - secs) * 1e9) };
    }
    out.meta = meta;
  }
  if (rsp.desired !== undefined) out.desired = stateToPb(rsp.desired);
  if (rsp.results !== undefined) out.results = rsp.results;
  if (rsp.context !== undefined) out.context = toPbStruct(rsp.context);
  if (rsp.requirements !== undefined) {
    const r = rsp.requirements;
    const sel = (m: Record<string, unknown> | undefined) => mapValues(m, (s) => s);
    const req: Plain = {};
    if (r.extraResources !== undefined) req.extraResources = sel(r.extraResources);
    if (r.resources !== undefined) req.resources = sel(r.resources);
    if (r.schemas !== undefined) req.schemas = sel(r.schemas);
    out.requirements = req;
  }
  if (rsp.conditions !== undefined) out.conditions = rsp.conditions;
  if (rsp.output !== undefined) out.output = toPbStruct(rsp.output);
  return messageTypes().response.encode(messageTypes().response.fromObject(out)).finish();
}

/** DecodeResponse parses protobuf bytes into a response (the client side). */
export function decodeResponse(buf: Uint8Array): RunFunctionResponse {
  const m = messageTypes().response.toObject(messageTypes().response.decode(buf), {
    ...toObjectOptions,
    bytes: Uint8Array as unknown as typeof Array,
  }) as Plain;
  const rsp: RunFunctionResponse = {};
  if (m.meta !== undefined) {
    const meta = m.meta as { tag?: string; ttl?: { seconds?: number; nanos?: number } };
    rsp.meta = {};
    if (meta.tag !== undefined) rsp.meta.tag = meta.tag;
    if (meta.ttl !== undefined) rsp.meta.ttlSeconds = (meta.ttl.seconds ?? 0) + (meta.ttl.nanos ?? 0) / 1e9;
  }
  const desired = stateFromPb(m.desired as Plain | undefined);
  if (desired !== undefined) rsp.desired = desired;
  if (m.results !== undefined) rsp.results = m.results as RunFunctionResponse['results'] & object;
  if (m.context !== undefined) rsp.context = fromPbStruct(m.context as PbStruct);
  if (m.requirements !== undefined) rsp.requirements = m.requirements as RunFunctionResponse['requirements'] & object;
  if (m.conditions !== undefined) rsp.conditions = m.conditions as RunFunctionResponse['conditions'] & object;
  if (m.output !== undefined) rsp.output = fromPbStruct(m.output as PbStruct);
  return rsp;
}
