import type { KubeObject } from '@trellis/sdk';
import type { NameValidation } from '../api/objectmeta.ts';
import type { TableConvertor } from '../api/table.ts';
import type { CompiledSchema, FieldCause, JSONSchemaProps, TypeInfo } from '../contracts.ts';

/** A PrinterColumn is a Table column (CRD additionalPrinterColumns, or a built-in's columns). */
export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** ScaleSubresource maps `/scale` onto an object (CRD `subresources.scale`). */
export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/**
 * A Strategy holds what differs between kinds on the write path, the way kube's REST strategies
 * do: create-on-update, unconditional update, generation, status handling and validation.
 */
export interface Strategy {
  allowCreateOnUpdate: boolean;
  allowUnconditionalUpdate: boolean;
  /** ReturnDeletedObject answers an immediate DELETE with the object instead of a Status. */
  returnDeletedObject: boolean;
  /** GcSupported is false for kinds whose deletes never get orphan/foreground finalizers (Events). */
  gcSupported: boolean;
  /** Generation: the kind keeps metadata.generation (1 on create, bumped on non-metadata changes). */
  generation: boolean;
  /** StatusSubresource: the main endpoint ignores status and `/status` ignores everything else. */
  statusSubresource: boolean;
  nameValidation: NameValidation;
  /** NameValidationFor overrides nameValidation when the rule depends on the object (CRDs: `<plural>.<group>`). */
  nameValidationFor?(obj: KubeObject): NameValidation;
  /** PrepareForCreate mutates a new object after system fields are set (status dropped, defaults). */
  prepareForCreate?(obj: KubeObject): void;
  /** PrepareForUpdate mutates the new object given the old one (main endpoint). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;
  /** Validate returns kind-specific causes for a create (ObjectMeta is checked by the caller). */
  validate?(obj: KubeObject): FieldCause[];
  /** ValidateUpdate returns kind-specific causes for an update. */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldCause[];
  /** UpdateValidatesMeta: the kind's update validation re-validates all of ObjectMeta (ConfigMap, Secret, ServiceAccount). */
  updateValidatesMeta?: boolean;
  /** Warnings returns Warning header texts for a write. */
  warnings?(obj: KubeObject, old: KubeObject | undefined): string[];
}

/** FieldLabels gives the field-selector values of an object; `undefined` means "not supported". */
export type FieldLabels = (obj: KubeObject) => Record<string, string>;

/**
 * A ResourceType is one served resource at one version: everything the HTTP layer needs to route,
 * decode, validate, store and present it.
 */
export interface ResourceType {
  group: string;
  version: string;
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Subresources served: `status`, `scale`, `finalize` (namespaces). */
  subresources: string[];
  /** Bucket is the storage bucket (`<group>/<resource>`); versions of one resource share it. */
  bucket: string;
  /** StorageVersion is the version objects are stored at (for the storage version hash). */
  storageVersion: string;
  strategy: Strategy;
  /** OpenapiSchema is the kind's schema as published in /openapi/v3 (and used to prune built-ins). */
  openapiSchema: JSONSchemaProps;
  /** Compiled is the CRD version's compiled schema (undefined for built-ins). */
  compiled: CompiledSchema | undefined;
  typeInfo: TypeInfo;
  /** Table renders rows for `kubectl get` (Accept: as=Table). */
  table: TableConvertor;
  /** FieldLabels lists the selectable fields and extracts them. */
  fieldLabels: { names: string[]; get: FieldLabels; unsupported: (label: string) => string };
  scale: ScaleSubresource | undefined;
  /** Builtin: a compiled-in kind (strict decoding against openapiSchema, protobuf for some). */
  builtin: boolean;
  /** Crd names the CustomResourceDefinition serving this resource. */
  crd: { name: string; uid: string; terminating: boolean; deprecationWarning?: string } | undefined;
  /**
   * ToStorage / FromStorage convert between the served version and the stored form (events.k8s.io
   * Events are stored as core/v1 Events; CR versions only rewrite apiVersion, as `conversion: None`,
   * and reads apply the schema's defaults as kube's storage codec does).
   */
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
}

export function apiVersionOf(rt: { group: string; version: string }): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}
