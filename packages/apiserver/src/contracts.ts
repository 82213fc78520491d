import type { KubeObject } from '@trellis/sdk';

/**
 * Contracts between the API server core (HTTP, storage, verbs; `src/server`, `src/store`, ...) and
 * the two pure libraries written alongside it: `src/schema/` (CRD validation, object validation,
 * pruning, defaulting, CEL) and `src/apply/` (server-side apply and managedFields).
 *
 * The core imports the libraries only through these shapes (see `src/libraries.ts`, which binds
 * them), so either side can change its internals freely. If a library needs a different shape,
 * change it here in the same commit as the library and tell the core's owner.
 */

// ---------------------------------------------------------------------------------------------
// Shared

/** CauseReason is a `field.ErrorType` string as it appears in `Status.details.causes[].reason`. */
export type CauseReason =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'InternalError'
  | 'FieldManagerConflict';

/**
 * A FieldCause is one entry of `Status.details.causes`, exactly as kube-apiserver writes it:
 * `field` is the path without a leading dot (`spec.size`, `spec.items[0].name`,
 * `metadata.labels`), and `message` is the error body without the field
 * (`Invalid value: 0: spec.size in body should be greater than or equal to 1`,
 * `Required value`, `Unsupported value: "x": supported values: "a", "b"`).
 * The core builds the 422 top-level message as `<Kind>.<group> "<name>" is invalid: <field>: <message>`
 * (joined as `[a, b]` when there are several), so the library must not prefix the field itself.
 * (FieldManagerConflict causes are the exception: their `field` is `.spec.x`, with the dot.)
 */
export interface FieldCause {
  reason: CauseReason;
  message: string;
  field: string;
}

/** JSONSchemaProps is a CRD version's `schema.openAPIV3Schema` as the client sent it. */
export type JSONSchemaProps = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// src/schema/index.ts must export these (as functions with these names and signatures).

export interface SchemaLibrary {
  /**
   * ValidateCrd validates a whole apiextensions.k8s.io/v1 CustomResourceDefinition (spec.group,
   * spec.names.*, spec.scope, spec.versions[*] incl. exactly one storage version, served,
   * subresources, additionalPrinterColumns, selectableFields, structural schemas, defaults,
   * CEL compile + cost, `conversion`), returning kube-apiserver's causes (empty when valid).
   * `old` is set on update (immutable fields: scope, a removed storage version still in
   * status.storedVersions, ...). It does NOT check `metadata.name == <plural>.<group>`-style
   * ObjectMeta rules; the core does those (see below) — unless you prefer to: then say so here.
   */
  validateCrd(crd: KubeObject, opts?: { old?: KubeObject }): FieldCause[];

  /**
   * CompileVersionSchema compiles one served version's schema once (the core caches the result
   * per CRD generation). `schema` is undefined when the version has none (then everything is
   * preserved and only ObjectMeta rules apply).
   */
  compileVersionSchema(schema: JSONSchemaProps | undefined, ctx: SchemaContext): CompiledSchema;
}

export interface SchemaContext {
  group: string;
  version: string;
  kind: string;
  /** Namespaced is the CRD's scope; embedded resources do not depend on it. */
  namespaced: boolean;
  /** Scale is the version's `subresources.scale`, whose replicas paths are validated with the object. */
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
}

export interface CompiledSchema {
  /**
   * Validate validates the whole object (after pruning and defaulting) against the schema:
   * OpenAPI keywords, list-type uniqueness, embedded resources, CEL rules; and, when `old` is
   * given (update), CEL transition rules (`oldSelf`). It does NOT validate the top-level
   * `metadata` (name syntax, labels, annotations, finalizers, ownerReferences): the core does that
   * for every kind, built-ins included, in `src/api/objectmeta.ts` — reuse those helpers for
   * embedded resources. It never throws on bad input; hostile input yields causes. With
   * `subresource: 'status'` it validates a `/status` write (only status and the scale status path).
   */
  validate(obj: KubeObject, opts?: { old?: KubeObject; subresource?: string }): FieldCause[];
  /**
   * Prune removes, in place, fields the structural schema does not know (respecting
   * preserve-unknown-fields and embedded resources; `apiVersion`, `kind` and `metadata` at the root
   * are kept, and `metadata` is coerced to ObjectMeta's known fields by the core), and returns the
   * dotted paths of what it removed (`spec.bogus`, `spec.items[0].x`) sorted as kube sorts them
   * (byte order); the core turns them into `unknown field "spec.bogus"` strict-decoding errors or
   * warnings. Like kube's decoder it also drops `null`s of non-nullable fields without a default.
   */
  prune(obj: KubeObject): { pruned: string[] };
  /** ApplyDefaults sets structural defaults in place (top-down, after pruning), as kube does. */
  applyDefaults(obj: KubeObject): void;
  /**
   * HasDefaults reports whether the schema declares any `default`: only then can applyDefaults
   * change an object, and only then do reads from storage need to parse and default it.
   */
  readonly hasDefaults: boolean;
}

// ---------------------------------------------------------------------------------------------
// src/apply/index.ts must export these.

/** TypeInfo is whatever the apply library needs to merge a kind (opaque to the core). */
export type TypeInfo = object;

/** ManagedFieldsEntry is one entry of `metadata.managedFields`. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/**
 * FieldScope says which part of the object a write may touch, as kube's ResetFieldsStrategy does:
 * `all` (no status subresource), `no-status` (main resource of a kind with a status subresource:
 * status is reset to the live value and nobody gains ownership of it), `status-only` (the
 * `/status` subresource: only `status` changes, and only status ownership is recorded).
 */
export type FieldScope = 'all' | 'no-status' | 'status-only';

export interface ApplyArgs {
  /** Live is the stored object, or undefined when the apply creates it. */
  live: KubeObject | undefined;
  /** Applied is the request body (already checked: apiVersion/kind match, no managedFields). */
  applied: KubeObject;
  manager: string;
  force: boolean;
  /** Subresource is '' for the main resource, 'status' for `/status`. */
  subresource: string;
  scope: FieldScope;
  /** ApiVersion is the request's group/version (recorded in managedFields). */
  apiVersion: string;
  typeInfo: TypeInfo;
  /** Now is the RFC 3339 time (seconds precision) recorded in managedFields. */
  now: string;
}

export interface UpdateArgs {
  /** Old is the stored object (undefined on create). */
  old: KubeObject | undefined;
  /**
   * New is the object about to be stored, after the core applied the request and the strategy.
   * Its `metadata.managedFields` is what the request carried: when it differs from `old`'s, the
   * client rewrote managedFields on purpose (kubectl's CSA→SSA migration patch; `[{}]` resets
   * them), and those become the base before this update's ownership is recorded — as kube does.
   */
  new: KubeObject;
  manager: string;
  subresource: string;
  scope: FieldScope;
  apiVersion: string;
  typeInfo: TypeInfo;
  now: string;
}

export interface ApplyLibrary {
  /**
   * ServerSideApply merges `applied` into `live` and returns the object to store with its new
   * managedFields. On conflicts (and !force) it throws a TrellisError with code
   * `APISERVER_APPLY_CONFLICT`, message exactly kube's (`Apply failed with 1 conflict: conflict
   * with "mgr" using example.com/v1: .spec.size`) and `details.causes: FieldCause[]`
   * (reason FieldManagerConflict); several conflicts make a multi-line message, which TrellisError
   * flattens, so the exact Status message is in `details.statusMessage`. Input the merge cannot
   * type (an unknown field in a CR's apply body, a list where the schema says map, duplicate
   * map-list keys in the body, undecodable managedFields) throws `APISERVER_APPLY_FAILED`: kube
   * answers those with a 500 whose message is the error text
   * (`failed to create typed patch object (/w; example.com/v1, Kind=Widget): .spec.bogus: field not declared in schema`).
   * A body carrying managedFields or another apiVersion throws `APISERVER_APPLY_BAD_REQUEST` (400).
   */
  serverSideApply(args: ApplyArgs): { object: KubeObject };
  /** TrackUpdate returns the managedFields to store for a non-apply write (create, update, patch). */
  trackUpdate(args: UpdateArgs): ManagedFieldsEntry[];
  typeInfoFromSchema(schema: JSONSchemaProps | undefined): TypeInfo;
  /** BuiltinTypeInfo covers the built-in kinds the embedded server serves (see src/registry). */
  builtinTypeInfo(group: string, kind: string): TypeInfo;
}
