// CustomResourceDefinition validation (apiextensions-apiserver pkg/apis/apiextensions/validation):
// names, group, scope, versions, subresources, printer columns, selectable fields, conversion,
// structural schemas, defaults and CEL rules — with kube-apiserver's field paths and messages.
//
// A v1 CRD is first converted the way the server converts it to its internal version: when every
// version carries the same schema (or subresources, printer columns, selectable fields), that value
// moves to the top level, so errors in it are reported under `spec.validation.openAPIV3Schema...`
// rather than `spec.versions[0].schema.openAPIV3Schema...`, exactly as kube-apiserver reports them.
import type { KubeObject } from '@trellis/sdk';
import type { FieldCause } from '../contracts.ts';
import { maxU64 } from './cel/check.ts';
import { type DeclType, schemaDeclType } from './cel/decl.ts';
import { compileRules, costErrorMessage, staticEstimatedCostLimit, staticEstimatedCRDCostLimit, validFieldPath } from './cel/validator.ts';
import {
  child,
  duplicate,
  type FieldError,
  forbidden,
  index,
  internalError,
  invalid,
  key,
  notSupported,
  rawJSON,
  required,
  toCause,
  tooMany,
  typeInvalid,
} from './field.ts';
import { goJSON, utf8Length } from './gofmt.ts';
import { deepCopyJSON } from './json.ts';
import { isDNS1035Label, isDNS1123Subdomain } from './names.ts';
import { compileNode, deepEqualJSON, validateValue } from './openapi.ts';
import { itemsSchema, type Props, readProps, schemaHas, type ValidationRule } from './props.ts';
import { type Structural, StructuralConversionError, toStructural, validateStructural } from './structural.ts';
import { embeddedRoot, prune, validateEmbedded } from './walk.ts';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

const printerColumnTypes = ['boolean', 'date', 'integer', 'number', 'string'];
const printerColumnFormats = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];
const openapiV3Types = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const supportedReasons = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];
const allowedAtRoot = new Set([
  'description',
  'type',
  'format',
  'title',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'required',
  'items',
  'properties',
  'externalDocs',
  'example',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
]);
const allowedAtRootGoNames = [
  'Description',
  'Type',
  'Format',
  'Title',
  'Maximum',
  'ExclusiveMaximum',
  'Minimum',
  'ExclusiveMinimum',
  'MaxLength',
  'MinLength',
  'Pattern',
  'MaxItems',
  'MinItems',
  'UniqueItems',
  'MultipleOf',
  'Required',
  'Items',
  'Properties',
  'ExternalDocs',
  'Example',
  'XPreserveUnknownFields',
  'XValidations',
];

// ---------------------------------------------------------------------------------------------
// Internal form of the spec (after v1 → internal conversion)

interface Version {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated: boolean;
  deprecationWarning: string | undefined;
  schema: unknown;
  hasSchema: boolean;
  subresources: unknown;
  columns: unknown[];
  selectableFields: unknown[];
}

interface Spec {
  group: string;
  scope: string;
  names: Record<string, unknown>;
  versions: Version[];
  version: string;
  /** Validation is the top-level `spec.validation` (the schema shared by all versions). */
  validation: unknown;
  hasValidation: boolean;
  subresources: unknown;
  columns: unknown[];
  selectableFields: unknown[];
  preserveUnknownFields: boolean;
  conversion: Record<string, unknown> | undefined;
}

function sameValue(a: unknown, b: unknown): boolean {
  return deepEqualJSON(a ?? null, b ?? null);
}

function toInternal(crd: Record<string, unknown>): Spec {
  const spec = isRecord(crd.spec) ? crd.spec : {};
  const rawVersions = Array.isArray(spec.versions) ? spec.versions : [];
  const versions: Version[] = rawVersions.map((v) => {
    const r = isRecord(v) ? v : {};
    const schema = isRecord(r.schema) ? r.schema.openAPIV3Schema : undefined;
    return {
      name: str(r.name),
      served: r.served === true,
      storage: r.storage === true,
      deprecated: r.deprecated === true,
      deprecationWarning: typeof r.deprecationWarning === 'string' ? r.deprecationWarning : undefined,
      schema: isRecord(r.schema) ? r.schema : undefined,
      hasSchema: isRecord(r.schema) && r.schema.openAPIV3Schema !== undefined && r.schema.openAPIV3Schema !== null,
      subresources: isRecord(r.subresources) ? r.subresources : undefined,
      columns: Array.isArray(r.additionalPrinterColumns) ? r.additionalPrinterColumns : [],
      selectableFields: Array.isArray(r.selectableFields) ? r.selectableFields : [],
      ...(schema === undefined ? {} : {}),
    };
  });
  const names = isRecord(spec.names) ? { ...spec.names } : {};
  if (str(names.singular) === '') names.singular = str(names.kind).toLowerCase();
  if (str(names.listKind) === '' && str(names.kind) !== '') names.listKind = `${str(names.kind)}List`;
  const out: Spec = {
    group: str(spec.group),
    scope: str(spec.scope),
    names,
    versions,
    version: versions[0]?.name ?? '',
    validation: undefined,
    hasValidation: false,
    subresources: undefined,
    columns: [],
    selectableFields: [],
    preserveUnknownFields: spec.preserveUnknownFields === true,
    conversion: isRecord(spec.conversion) ? spec.conversion : { strategy: 'None' },
  };
  const first = versions[0];
  if (first !== undefined) {
    if (versions.every((v) => sameValue(v.schema, first.schema))) {
      out.validation = first.schema;
      out.hasValidation = first.schema !== undefined;
      for (const v of versions) v.schema = undefined;
    }
    if (versions.every((v) => sameValue(v.subresources, first.subresources))) {
      out.subresources = first.subresources;
      for (const v of versions) v.subresources = undefined;
    }
    if (versions.every((v) => sameValue(v.columns, first.columns))) {
      out.columns = first.columns;
      for (const v of versions) v.columns = [];
    }
    if (versions.every((v) => sameValue(v.selectableFields, first.selectableFields))) {
      out.selectableFields = first.selectableFields;
      for (const v of versions) v.selectableFields = [];
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Options (validationOptions)

interface Opts {
  allowDefaults: boolean;
  disallowDefaultsReason: string;
  requireOpenAPISchema: boolean;
  requireValidPropertyType: boolean;
  requireStructuralSchema: boolean;
  requirePrunedDefaults: boolean;
  requireAtomicSetType: boolean;
  requireMapListKeysMapSetValidation: boolean;
  requireRecognizedConversionReviewVersion: boolean;
  requireImmutableNames: boolean;
  suppressPerExpressionCost: boolean;
  preexistingRules: Set<string>;
  unchangedVersions: Set<string>;
  allowInvalidCABundle: boolean;
}

function defaultOpts(): Opts {
  return {
    allowDefaults: true,
    disallowDefaultsReason: '',
    requireOpenAPISchema: true,
    requireValidPropertyType: true,
    requireStructuralSchema: true,
    requirePrunedDefaults: true,
    requireAtomicSetType: true,
    requireMapListKeysMapSetValidation: true,
    requireRecognizedConversionReviewVersion: true,
    requireImmutableNames: false,
    suppressPerExpressionCost: false,
    preexistingRules: new Set(),
    unchangedVersions: new Set(),
    allowInvalidCABundle: true,
  };
}

// ---------------------------------------------------------------------------------------------

/** ValidateCrd validates an apiextensions.k8s.io/v1 CustomResourceDefinition (spec and status). */
export function validateCrd(crd: KubeObject, options: { old?: KubeObject } = {}): FieldCause[] {
  return validateCrdErrors(crd as unknown as Record<string, unknown>, options.old as unknown as Record<string, unknown> | undefined).map(
    toCause,
  );
}

/**
 * ValidateCrdName checks the CRD's metadata.name: a DNS subdomain equal to `<plural>.<group>`
 * (the nameValidationFn kube passes to ValidateObjectMeta for CRDs).
 */
export function validateCrdName(crd: KubeObject): FieldCause[] {
  const c = crd as unknown as Record<string, unknown>;
  const meta = isRecord(c.metadata) ? c.metadata : {};
  const name = str(meta.name);
  const spec = isRecord(c.spec) ? c.spec : {};
  const names = isRecord(spec.names) ? spec.names : {};
  if (name === '') return [toCause(required('metadata.name', 'name or generateName is required'))];
  const errs = isDNS1123Subdomain(name);
  if (name !== `${str(names.plural)}.${str(spec.group)}`) errs.push('must be spec.names.plural+"."+spec.group');
  return errs.map((m) => toCause(invalid('metadata.name', name, m)));
}

/**
 * PropsCache holds, during one validateCrdErrors call, the Props read from each schema object: the
 * decode checks, the structural checks and the per-version validation all read the same schemas
 * (Props do not depend on the path given for errors, and nothing mutates them or the input).
 */
let propsCache: WeakMap<object, Props | undefined> | undefined;

function readPropsOnce(raw: unknown): Props | undefined {
  if (propsCache === undefined || !isRecord(raw)) return readProps(raw, '').props;
  if (propsCache.has(raw)) return propsCache.get(raw);
  const props = readProps(raw, '').props;
  propsCache.set(raw, props);
  return props;
}

function validateCrdErrors(crd: Record<string, unknown>, old: Record<string, unknown> | undefined): FieldError[] {
  propsCache = new WeakMap();
  try {
    return validateCrdErrorsOnce(crd, old);
  } finally {
    propsCache = undefined;
  }
}

function validateCrdErrorsOnce(crd: Record<string, unknown>, old: Record<string, unknown> | undefined): FieldError[] {
  const decodeErrs = decodeChecks(crd);
  if (decodeErrs.length > 0) return decodeErrs;
  const spec = toInternal(crd);
  const opts = defaultOpts();
  let oldSpec: Spec | undefined;
  if (old !== undefined) {
    oldSpec = toInternal(old);
    adjustOptsForUpdate(opts, spec, oldSpec, old);
  }
  const errs: FieldError[] = [];
  errs.push(...validateSpec(spec, opts, 'spec'));
  if (oldSpec !== undefined) {
    if (opts.requireImmutableNames) {
      if (spec.scope !== oldSpec.scope) errs.push(invalid('spec.scope', spec.scope, 'field is immutable'));
      if (str(spec.names.kind) !== str(oldSpec.names.kind))
        errs.push(invalid('spec.names.kind', str(spec.names.kind), 'field is immutable'));
    }
    if (spec.group !== oldSpec.group) errs.push(invalid('spec.group', spec.group, 'field is immutable'));
    if (str(spec.names.plural) !== str(oldSpec.names.plural))
      errs.push(invalid('spec.names.plural', str(spec.names.plural), 'field is immutable'));
  }
  errs.push(...validateStatus(crd, spec, old));
  errs.push(...validateApproval(crd, old));
  if (!(old !== undefined && isRecord(old.spec) && old.spec.preserveUnknownFields === true) && spec.preserveUnknownFields === true) {
    errs.push(
      invalid(
        'spec.preserveUnknownFields',
        true,
        'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
      ),
    );
  }
  return errs;
}

/** DecodeChecks reports JSON type mismatches in the fields this validation reads (a 400 on the real server). */
function decodeChecks(crd: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const spec = crd.spec;
  if (spec !== undefined && !isRecord(spec)) return [typeInvalid('spec', spec, 'must be an object')];
  if (!isRecord(spec)) return [];
  const vs = spec.versions;
  if (vs !== undefined && vs !== null && !Array.isArray(vs)) errs.push(typeInvalid('spec.versions', vs, 'must be an array'));
  if (Array.isArray(vs)) {
    vs.forEach((v, i) => {
      if (!isRecord(v)) {
        errs.push(typeInvalid(index('spec.versions', i), v, 'must be an object'));
        return;
      }
      const schema = isRecord(v.schema) ? v.schema.openAPIV3Schema : undefined;
      if (schema !== undefined && schema !== null) {
        const r = readProps(schema, `spec.versions[${i}].schema.openAPIV3Schema`);
        if (isRecord(schema)) propsCache?.set(schema, r.props);
        for (const e of r.errors) errs.push(typeInvalid(e.field, '', e.message));
      }
    });
  }
  return errs;
}

function adjustOptsForUpdate(opts: Opts, spec: Spec, oldSpec: Spec, old: Record<string, unknown>): void {
  const status = isRecord(old.status) ? old.status : {};
  const conds = Array.isArray(status.conditions) ? status.conditions : [];
  const established = conds.some((c) => isRecord(c) && c.type === 'Established' && c.status === 'True');
  opts.requireImmutableNames = established;
  const oldSchemas = allSchemas(oldSpec);
  opts.requireOpenAPISchema = oldSpec.hasValidation || oldSpec.versions.every((v) => v.hasSchema);
  opts.requireStructuralSchema = !oldSchemas.some((p) => {
    try {
      return validateStructural('', toStructural(p)).length > 0;
    } catch {
      return true;
    }
  });
  opts.requireValidPropertyType = !oldSchemas.some((p) => schemaHas(p, (s) => s.type !== '' && !openapiV3Types.includes(s.type)));
  opts.requireAtomicSetType = !oldSchemas.some(hasNonAtomicSetType);
  opts.requireMapListKeysMapSetValidation = !oldSchemas.some((p) => schemaHas(p, (s) => mapListKeysMapSet(s, '').length > 0));
  for (const p of oldSchemas)
    schemaHas(p, (s) => {
      for (const r of s.xValidations ?? []) opts.preexistingRules.add(r.rule);
      return false;
    });
  for (const v of spec.versions) {
    const n = schemaForVersion(spec, v.name);
    const o = schemaForVersion(oldSpec, v.name);
    if (n !== undefined && o !== undefined && sameValue(n, o)) opts.unchangedVersions.add(v.name);
  }
  opts.allowInvalidCABundle = !established;
}

function schemaForVersion(spec: Spec, version: string): unknown {
  if (spec.hasValidation) return spec.validation;
  const v = spec.versions.find((x) => x.name === version);
  return v?.schema;
}

function allSchemas(spec: Spec): Props[] {
  const out: Props[] = [];
  const add = (s: unknown): void => {
    if (!isRecord(s) || s.openAPIV3Schema === undefined) return;
    const props = readPropsOnce(s.openAPIV3Schema);
    if (props !== undefined) out.push(props);
  };
  add(spec.validation);
  for (const v of spec.versions) add(v.schema);
  return out;
}

function hasNonAtomicSetType(p: Props): boolean {
  return schemaHas(p, (s) => {
    const items = itemsSchema(s);
    if (s.xListType !== 'set' || items === undefined) return false;
    if (items.type === 'array') return items.xListType !== undefined && items.xListType !== 'atomic';
    if (items.type === 'object') return items.xMapType !== 'atomic';
    return false;
  });
}

function validateSpec(spec: Spec, opts: Opts, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.group === '') errs.push(required(child(path, 'group')));
  else {
    const dns = isDNS1123Subdomain(spec.group);
    if (dns.length > 0) errs.push(invalid(child(path, 'group'), spec.group, dns.join(',')));
    else if (spec.group.split('.').length < 2)
      errs.push(invalid(child(path, 'group'), spec.group, 'should be a domain with at least one dot'));
  }
  if (spec.scope === '') errs.push(required(child(path, 'scope')));
  else if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced')
    errs.push(notSupported(child(path, 'scope'), spec.scope, ['Cluster', 'Namespaced']));

  if (spec.preserveUnknownFields !== true) opts.requireStructuralSchema = true;
  if (opts.requireOpenAPISchema) {
    if (!spec.hasValidation) {
      spec.versions.forEach((v, i) => {
        if (!v.hasSchema && v.schema === undefined) errs.push(required(`${path}.versions[${i}].schema.openAPIV3Schema`));
        else if (!v.hasSchema && !isSchemaSet(v.schema)) errs.push(required(`${path}.versions[${i}].schema.openAPIV3Schema`));
      });
    }
  } else if (spec.preserveUnknownFields !== true && !spec.hasValidation) {
    spec.versions.forEach((v, i) => {
      if (v.served && !isSchemaSet(v.schema))
        errs.push(required(`${path}.versions[${i}].schema.openAPIV3Schema`, 'because otherwise all fields are pruned'));
    });
  }
  const schemas = allSchemas(spec);
  if (opts.allowDefaults && schemas.some((p) => schemaHas(p, (s) => s.hasDefault))) {
    opts.requireStructuralSchema = true;
    if (spec.preserveUnknownFields !== false)
      errs.push(invalid(child(path, 'preserveUnknownFields'), true, 'must be false in order to use defaults in the schema'));
  }
  let storage = 0;
  const seen = new Set<string>();
  let unique = true;
  spec.versions.forEach((v, i) => {
    if (v.storage) storage++;
    if (seen.has(v.name)) unique = false;
    else seen.add(v.name);
    const vp = index(child(path, 'versions'), i);
    const dns = isDNS1035Label(v.name);
    if (dns.length > 0) errs.push(invalid(child(vp, 'name'), v.name, dns.join(',')));
    const subresources = spec.subresources ?? v.subresources;
    errs.push(...validateVersion(v, vp, hasStatus(subresources), opts));
  });
  if (!unique) errs.push(invalid(child(path, 'versions'), versionsValue(spec), 'must contain unique version names'));
  if (storage !== 1)
    errs.push(invalid(child(path, 'versions'), versionsValue(spec), 'must have exactly one version marked as storage version'));
  if (spec.version !== '') {
    const dns = isDNS1035Label(spec.version);
    if (dns.length > 0) errs.push(invalid(child(path, 'version'), spec.version, dns.join(',')));
  }
  const names = spec.names;
  for (const n of ['plural', 'singular', 'kind', 'listKind']) {
    if (str(names[n]) === '') errs.push(required(`${path}.names.${n}`));
  }
  errs.push(...validateNames(names, child(path, 'names')));
  errs.push(...validateValidation(spec.validation, anyStatus(spec), withSuppressed(opts, spec.version), child(path, 'validation')));
  errs.push(...validateSubresources(spec.subresources, child(path, 'subresources')));
  spec.columns.forEach((c, i) => {
    errs.push(...validateColumn(c, index(child(path, 'additionalPrinterColumns'), i)));
  });
  if (spec.selectableFields.length > 0) {
    if (!spec.hasValidation) errs.push(invalid(child(path, 'selectableFields'), '', 'may only be set when validations.schema is included'));
    else errs.push(...validateSelectableFields(spec.selectableFields, schemaProps(spec.validation), child(path, 'selectableFields')));
  }
  const conv = spec.conversion;
  if (conv !== undefined && str(conv.strategy) !== 'None' && spec.preserveUnknownFields !== false) {
    errs.push(invalid('spec.conversion.strategy', str(conv.strategy), 'must be None if spec.preserveUnknownFields is true'));
  }
  errs.push(...validateConversion(conv, opts, child(path, 'conversion')));
  return errs;
}

function isSchemaSet(s: unknown): boolean {
  return isRecord(s) && s.openAPIV3Schema !== undefined && s.openAPIV3Schema !== null;
}

function withSuppressed(opts: Opts, version: string): Opts {
  return opts.unchangedVersions.has(version) ? { ...opts, suppressPerExpressionCost: true } : opts;
}

function hasStatus(sub: unknown): boolean {
  return isRecord(sub) && sub.status !== undefined && sub.status !== null;
}

function anyStatus(spec: Spec): boolean {
  return hasStatus(spec.subresources) || spec.versions.some((v) => hasStatus(v.subresources));
}

/** VersionsValue prints spec.versions as kube's internal CustomResourceDefinitionVersion structs do (Go field names). */
function versionsValue(spec: Spec): unknown {
  const items = spec.versions.map(
    (v) =>
      `{"Name":${goJSON(v.name)},"Served":${v.served},"Storage":${v.storage},"Deprecated":${v.deprecated},"DeprecationWarning":${
        v.deprecationWarning === undefined ? 'null' : goJSON(v.deprecationWarning)
      },"Schema":${v.schema === undefined ? 'null' : '{}'},"Subresources":${v.subresources === undefined ? 'null' : '{}'},"AdditionalPrinterColumns":${
        v.columns.length === 0 ? 'null' : '[]'
      },"SelectableFields":${v.selectableFields.length === 0 ? 'null' : '[]'}}`,
  );
  return rawJSON(`[${items.join(',')}]`);
}

function schemaProps(validation: unknown): Props | undefined {
  if (!isRecord(validation)) return undefined;
  return readPropsOnce(validation.openAPIV3Schema);
}

function validateVersion(v: Version, path: string, statusEnabled: boolean, opts: Opts): FieldError[] {
  const errs: FieldError[] = [];
  for (const m of deprecationWarningErrors(v.deprecated, v.deprecationWarning))
    errs.push(invalid(child(path, 'deprecationWarning'), v.deprecationWarning ?? null, m));
  errs.push(...validateValidation(v.schema, statusEnabled, withSuppressed(opts, v.name), child(path, 'schema')));
  errs.push(...validateSubresources(v.subresources, child(path, 'subresources')));
  v.columns.forEach((c, i) => {
    errs.push(...validateColumn(c, index(child(path, 'additionalPrinterColumns'), i)));
  });
  if (v.selectableFields.length > 0) {
    if (!isSchemaSet(v.schema))
      errs.push(invalid(child(path, 'selectableFields'), '', 'may only be set when `version.schema.openAPIV3Schema` is not included'));
    else errs.push(...validateSelectableFields(v.selectableFields, schemaProps(v.schema), child(path, 'selectableFields')));
  }
  return errs;
}

function deprecationWarningErrors(deprecated: boolean, warning: string | undefined): string[] {
  if (!deprecated && warning !== undefined) return ['can only be set for deprecated versions'];
  if (warning === undefined) return [];
  const errs: string[] = [];
  if (utf8Length(warning) > 256) errs.push('must be <= 256 characters long');
  if (warning.length === 0) errs.push('must not be an empty string');
  let i = 0;
  for (const ch of warning) {
    if (/^[\p{Cc}]$/u.test(ch)) {
      errs.push(`must only contain printable UTF-8 characters; control character found at index ${i}`);
      break;
    }
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
      errs.push(`must only contain printable UTF-8 characters; non-printable character found at index ${i}`);
      break;
    }
    i += utf8Length(ch);
  }
  return errs;
}

function validateNames(names: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const plural = str(names.plural);
  const singular = str(names.singular);
  const kind = str(names.kind);
  const listKind = str(names.listKind);
  const d = (v: string): string[] => isDNS1035Label(v);
  if (plural !== '' && d(plural).length > 0) errs.push(invalid(child(path, 'plural'), plural, d(plural).join(',')));
  if (singular !== '' && d(singular).length > 0) errs.push(invalid(child(path, 'singular'), singular, d(singular).join(',')));
  if (kind !== '' && d(kind.toLowerCase()).length > 0) {
    errs.push(invalid(child(path, 'kind'), kind, `may have mixed case, but should otherwise match: ${d(kind.toLowerCase()).join(',')}`));
  }
  if (listKind !== '' && d(listKind.toLowerCase()).length > 0) {
    errs.push(
      invalid(child(path, 'listKind'), listKind, `may have mixed case, but should otherwise match: ${d(listKind.toLowerCase()).join(',')}`),
    );
  }
  const shortNames = Array.isArray(names.shortNames) ? names.shortNames : [];
  shortNames.forEach((s, i) => {
    const e = d(str(s));
    if (e.length > 0) errs.push(invalid(index(child(path, 'shortNames'), i), str(s), e.join(',')));
  });
  if (kind !== '' && kind === listKind) errs.push(invalid(child(path, 'listKind'), listKind, 'kind and listKind may not be the same'));
  const categories = Array.isArray(names.categories) ? names.categories : [];
  categories.forEach((c, i) => {
    const e = d(str(c));
    if (e.length > 0) errs.push(invalid(index(child(path, 'categories'), i), str(c), e.join(',')));
  });
  return errs;
}

function simpleJSONPath(s: string, path: string): FieldError[] {
  if (s === '') return [invalid(path, s, 'must not be empty')];
  if (!s.startsWith('.')) return [invalid(path, s, 'must be a simple json path starting with .')];
  return [];
}

function validateColumn(raw: unknown, path: string): FieldError[] {
  const c = isRecord(raw) ? raw : {};
  const errs: FieldError[] = [];
  if (str(c.name) === '') errs.push(required(child(path, 'name')));
  const type = str(c.type);
  const typeMsg = `must be one of ${printerColumnTypes.join(',')}`;
  if (type === '') errs.push(required(child(path, 'type'), typeMsg));
  else if (!printerColumnTypes.includes(type)) errs.push(invalid(child(path, 'type'), type, typeMsg));
  const format = str(c.format);
  if (format !== '' && !printerColumnFormats.includes(format))
    errs.push(invalid(child(path, 'format'), format, `must be one of ${printerColumnFormats.join(',')}`));
  const jsonPath = str(c.jsonPath);
  if (jsonPath === '') errs.push(required(child(path, 'JSONPath')));
  else errs.push(...simpleJSONPath(jsonPath, child(path, 'JSONPath')));
  return errs;
}

function validateSubresources(raw: unknown, path: string): FieldError[] {
  if (!isRecord(raw)) return [];
  const errs: FieldError[] = [];
  const scale = raw.scale;
  if (isRecord(scale)) {
    const spec = str(scale.specReplicasPath);
    const specPath = `${path}.scale.specReplicasPath`;
    if (spec === '') errs.push(required(specPath));
    else {
      const e = simpleJSONPath(spec, specPath);
      if (e.length > 0) errs.push(...e);
      else if (!spec.startsWith('.spec.')) errs.push(invalid(specPath, spec, 'should be a json path under .spec'));
    }
    const status = str(scale.statusReplicasPath);
    const statusPath = `${path}.scale.statusReplicasPath`;
    if (status === '') errs.push(required(statusPath));
    else {
      const e = simpleJSONPath(status, statusPath);
      if (e.length > 0) errs.push(...e);
      else if (!status.startsWith('.status.')) errs.push(invalid(statusPath, status, 'should be a json path under .status'));
    }
    const sel = str(scale.labelSelectorPath);
    const selPath = `${path}.scale.labelSelectorPath`;
    if (sel !== '') {
      const e = simpleJSONPath(sel, selPath);
      if (e.length > 0) errs.push(...e);
      else if (!sel.startsWith('.spec.') && !sel.startsWith('.status.'))
        errs.push(invalid(selPath, sel, 'should be a json path under either .spec or .status'));
    }
  }
  return errs;
}

function validateSelectableFields(fields: unknown[], props: Props | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let s: Structural | undefined;
  try {
    s = props === undefined ? undefined : toStructural(props);
  } catch {
    s = undefined;
  }
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    const p = index(path, i);
    const jsonPath = str(isRecord(f) ? f.jsonPath : undefined);
    if (jsonPath === '') {
      errs.push(required(child(p, 'jsonPath')));
      return;
    }
    const found = s === undefined ? undefined : validFieldPath(jsonPath, s, false);
    if (found === undefined) {
      errs.push(invalid(child(p, 'jsonPath'), jsonPath, 'is an invalid path: does not refer to a valid field'));
      return;
    }
    if (found.path.split(/[.[]/)[0] === 'metadata')
      errs.push(invalid(child(p, 'jsonPath'), jsonPath, 'must not point to fields in metadata'));
    if (!['string', 'boolean', 'integer'].includes(found.schema.generic.type)) {
      errs.push(
        invalid(
          child(p, 'jsonPath'),
          jsonPath,
          'must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.',
        ),
      );
    }
    if (seen.has(found.path)) errs.push(duplicate(child(p, 'jsonPath'), jsonPath));
    else seen.add(found.path);
  });
  if (seen.size > 8) errs.push(tooMany(path, seen.size, 8));
  return errs;
}

function validateConversion(conv: Record<string, unknown> | undefined, opts: Opts, path: string): FieldError[] {
  if (conv === undefined) return [];
  const errs: FieldError[] = [];
  const strategy = str(conv.strategy);
  if (strategy === '') errs.push(required(child(path, 'strategy')));
  else if (strategy !== 'None' && strategy !== 'Webhook') errs.push(notSupported(child(path, 'strategy'), strategy, ['None', 'Webhook']));
  const webhook = isRecord(conv.webhook) ? conv.webhook : undefined;
  const clientConfig = webhook !== undefined && isRecord(webhook.clientConfig) ? webhook.clientConfig : undefined;
  const reviewVersions =
    webhook !== undefined && Array.isArray(webhook.conversionReviewVersions) ? webhook.conversionReviewVersions.map(str) : [];
  if (strategy === 'Webhook') {
    const cc = `${path}.webhookClientConfig`;
    if (clientConfig === undefined) errs.push(required(cc, 'required when strategy is set to Webhook'));
    else {
      const url = clientConfig.url;
      const service = isRecord(clientConfig.service) ? clientConfig.service : undefined;
      if ((url === undefined) === (service === undefined)) errs.push(required(cc, 'exactly one of url or service is required'));
      else if (typeof url === 'string') errs.push(...webhookURL(`${cc}.url`, url));
      else if (service !== undefined) errs.push(...webhookService(`${cc}.service`, service));
    }
    const rvPath = child(path, 'conversionReviewVersions');
    if (reviewVersions.length === 0) errs.push(required(rvPath));
    else {
      const seen = new Set<string>();
      let accepted = false;
      reviewVersions.forEach((v, i) => {
        if (seen.has(v)) {
          errs.push(invalid(index(rvPath, i), v, 'duplicate version'));
          return;
        }
        seen.add(v);
        for (const m of isDNS1035Label(v)) errs.push(invalid(index(rvPath, i), v, m));
        if (v === 'v1' || v === 'v1beta1') accepted = true;
      });
      if (opts.requireRecognizedConversionReviewVersion && !accepted)
        errs.push(invalid(rvPath, reviewVersions, 'must include at least one of v1, v1beta1'));
    }
  } else {
    if (clientConfig !== undefined)
      errs.push(forbidden(`${path}.webhookClientConfig`, 'should not be set when strategy is not set to Webhook'));
    if (reviewVersions.length > 0)
      errs.push(forbidden(child(path, 'conversionReviewVersions'), 'should not be set when strategy is not set to Webhook'));
  }
  return errs;
}

function webhookURL(path: string, url: string): FieldError[] {
  const form = '; desired format: https://host[/path]';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(([^@/?#]*)@)?([^/?#]*)([^?#]*)(\?([^#]*))?(#(.*))?$/.exec(url);
  if (m === null) {
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1] ?? '';
    const errs = [];
    if (scheme !== 'https') errs.push(invalid(path, scheme, `'https' is the only allowed URL scheme${form}`));
    errs.push(invalid(path, '', `host must be specified${form}`));
    return errs;
  }
  const errs: FieldError[] = [];
  if (m[1] !== 'https') errs.push(invalid(path, m[1] ?? '', `'https' is the only allowed URL scheme${form}`));
  if ((m[4] ?? '') === '') errs.push(invalid(path, '', `host must be specified${form}`));
  if (m[3] !== undefined) errs.push(invalid(path, m[3], 'user information is not permitted in the URL'));
  if ((m[9] ?? '') !== '') errs.push(invalid(path, m[9] ?? '', 'fragments are not permitted in the URL'));
  if ((m[7] ?? '') !== '') errs.push(invalid(path, m[7] ?? '', 'query parameters are not permitted in the URL'));
  return errs;
}

function webhookService(path: string, s: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  if (str(s.name) === '') errs.push(required(child(path, 'name')));
  if (str(s.namespace) === '') errs.push(required(child(path, 'namespace')));
  const port = typeof s.port === 'number' ? s.port : 443;
  if (port < 1 || port > 65535) errs.push(invalid(child(path, 'port'), port, 'port is not valid: must be between 1 and 65535, inclusive'));
  if (typeof s.path !== 'string') return errs;
  const p = s.path;
  if (p === '/' || p === '') return errs;
  if (p === '//') return [...errs, invalid(child(path, 'path'), p, 'segment[0] may not be empty')];
  if (!p.startsWith('/')) errs.push(invalid(child(path, 'path'), p, "must start with a '/'"));
  let check = p.slice(1);
  if (check.endsWith('/')) check = check.slice(0, -1);
  check.split('/').forEach((step, i) => {
    if (step === '') {
      errs.push(invalid(child(path, 'path'), p, `segment[${i}] may not be empty`));
      return;
    }
    for (const f of isDNS1123Subdomain(step)) errs.push(invalid(child(path, 'path'), p, `segment[${i}]: ${f}`));
  });
  return errs;
}

function validateStatus(crd: Record<string, unknown>, spec: Spec, old: Record<string, unknown> | undefined): FieldError[] {
  const errs: FieldError[] = [];
  // Create resets status (PrepareForCreate); update keeps the old status. Then the storage version is added.
  const oldStatus = old !== undefined && isRecord(old.status) ? old.status : {};
  const accepted = isRecord(oldStatus.acceptedNames) ? oldStatus.acceptedNames : {};
  errs.push(...validateNames(accepted, 'status.acceptedNames'));
  const stored = Array.isArray(oldStatus.storedVersions) ? oldStatus.storedVersions.map(str) : [];
  const storageVersion = spec.versions.find((v) => v.storage);
  if (storageVersion !== undefined && !stored.includes(storageVersion.name)) stored.push(storageVersion.name);
  void crd;
  const path = 'status.storedVersions';
  if (stored.length === 0) return [...errs, invalid(path, null, 'must have at least one stored version')];
  const remaining = new Map<string, number>();
  stored.forEach((v, i) => {
    remaining.set(v, i);
  });
  for (const v of spec.versions) {
    const has = remaining.has(v.name);
    if (v.storage && !has) errs.push(invalid(path, stored, `must have the storage version ${v.name}`));
    if (has) remaining.delete(v.name);
  }
  for (const [v, i] of remaining) {
    errs.push(
      invalid(
        index(path, i),
        v,
        `missing from spec.versions; ${v} was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in ${v} and removes ${v} from status.storedVersions`,
      ),
    );
  }
  return errs;
}

function validateApproval(crd: Record<string, unknown>, old: Record<string, unknown> | undefined): FieldError[] {
  const spec = isRecord(crd.spec) ? crd.spec : {};
  const group = str(spec.group);
  const protectedGroup = group === 'k8s.io' || group === 'kubernetes.io' || group.endsWith('.k8s.io') || group.endsWith('.kubernetes.io');
  if (!protectedGroup) return [];
  const annotation = 'api-approved.kubernetes.io';
  const stateOf = (o: Record<string, unknown> | undefined): { state: string; reason: string; value: string } => {
    const meta = o !== undefined && isRecord(o.metadata) ? o.metadata : {};
    const ann = isRecord(meta.annotations) ? meta.annotations : {};
    if (!Object.hasOwn(ann, annotation)) {
      return {
        state: 'missing',
        reason: `protected groups must have approval annotation "${annotation}", see https://github.com/kubernetes/enhancements/pull/1111`,
        value: '',
      };
    }
    const v = str(ann[annotation]);
    if (v.startsWith('unapproved')) return { state: 'bypassed', reason: '', value: v };
    if (/^https?:\/\//.test(v)) return { state: 'approved', reason: '', value: v };
    return {
      state: 'invalid',
      reason: `protected groups must have approval annotation "${annotation}" with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111`,
      value: v,
    };
  };
  const now = stateOf(crd);
  if (old !== undefined && stateOf(old).state === now.state) return [];
  const path = `metadata.annotations[${annotation}]`;
  if (now.state === 'missing') return [required(path, now.reason)];
  if (now.state === 'invalid') return [invalid(path, now.value, now.reason)];
  return [];
}

// ---------------------------------------------------------------------------------------------
// Schema validation (validateCustomResourceDefinitionValidation)

interface Ssv {
  allowDefaults: boolean;
  disallowDefaultsReason: string;
  insideResourceMeta: boolean;
  requireValidPropertyType: boolean;
  uncorrelatablePath: string | undefined;
}

interface CelCtx {
  /** Decl is this node's CEL type, or undefined (not in a rule scope / not convertible). */
  decl: DeclType | undefined;
  structural: Structural | undefined;
  convertError: boolean;
  maxCardinality: number | undefined;
  total: { total: number; mostExpensive: { path: string; cost: number }[] };
  inScope: boolean;
}

function validateValidation(validation: unknown, statusEnabled: boolean, opts: Opts, path: string): FieldError[] {
  if (!isRecord(validation)) return [];
  const raw = validation.openAPIV3Schema;
  if (raw === undefined || raw === null) return [];
  const props = readPropsOnce(raw);
  if (props === undefined) return [];
  const errs: FieldError[] = [];
  const sp = child(path, 'openAPIV3Schema');
  if (statusEnabled) {
    for (const [k, v] of Object.entries(props.raw)) {
      if (v === undefined || v === null || v === false || v === '') continue;
      if (Array.isArray(v) && v.length === 0) continue;
      if (k === 'type') {
        if (props.type !== 'object') {
          errs.push(
            invalid(
              `${sp}.type`,
              props.type,
              'only "object" is allowed as the type at the root of the schema if the status subresource is enabled',
            ),
          );
          break;
        }
        continue;
      }
      if (!allowedAtRoot.has(k)) {
        errs.push(
          invalid(
            sp,
            rawJSON(goSchemaStruct(props)),
            `only [${allowedAtRootGoNames.join(' ')}] fields are allowed at the root of the schema if the status subresource is enabled`,
          ),
        );
        break;
      }
    }
  }
  if (props.nullable) errs.push(forbidden(`${sp}.nullable`, 'nullable cannot be true at the root'));
  const ssv: Ssv = {
    allowDefaults: opts.allowDefaults,
    disallowDefaultsReason: opts.disallowDefaultsReason,
    insideResourceMeta: false,
    requireValidPropertyType: opts.requireValidPropertyType,
    uncorrelatablePath: undefined,
  };
  let cel: CelCtx | undefined;
  const initErrs: FieldError[] = [];
  if (opts.requireStructuralSchema) {
    let s: Structural | undefined;
    try {
      s = toStructural(props);
    } catch (e) {
      if (!(e instanceof StructuralConversionError)) throw e;
      initErrs.push(invalid(sp, '', e.message));
    }
    if (s !== undefined) {
      const se = validateStructural(sp, s);
      if (se.length > 0) errs.push(...se);
      else {
        const de = validateDefaults(sp, s, opts.requirePrunedDefaults);
        if (de.length > 0) errs.push(...de);
        else {
          cel = {
            decl: schemaDeclType(s, true),
            structural: s,
            convertError: false,
            maxCardinality: 1,
            total: { total: 0, mostExpensive: [] },
            inScope: (props.xValidations ?? []).length > 0,
          };
        }
      }
    }
  }
  const schemaErrs: FieldError[] = [];
  const celErrs: FieldError[] = [];
  openAPISchema(props, sp, ssv, true, opts, cel, schemaErrs, celErrs);
  errs.push(...schemaErrs, ...celErrs);
  if (errs.length === 0 && initErrs.length > 0) errs.push(...initErrs);
  if (cel !== undefined && cel.total.total > staticEstimatedCRDCostLimit) {
    for (const e of cel.total.mostExpensive)
      errs.push(forbidden(e.path, 'contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema'));
    errs.push(
      forbidden(
        sp,
        costErrorMessage(
          'x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema',
          cel.total.total,
          staticEstimatedCRDCostLimit,
        ),
      ),
    );
  }
  return errs;
}

function extractMaxElements(p: Props): number | undefined {
  switch (p.type) {
    case 'object':
      if (p.additionalProperties !== undefined) return p.maxProperties !== undefined ? Math.max(0, p.maxProperties) : undefined;
      return 1;
    case 'array':
      return p.maxItems !== undefined ? Math.max(0, p.maxItems) : undefined;
    default:
      return 1;
  }
}

/** FieldsByName indexes a declared object type's fields by their unescaped names (built once per type). */
const fieldsByName = new WeakMap<DeclType, Map<string, { type: DeclType }>>();

/** FieldByName is the first declared field named `name` (by its unescaped name), as a search in declaration order finds it. */
function fieldByName(d: DeclType, name: string): { type: DeclType } | undefined {
  if (d.fields === undefined) return undefined;
  let idx = fieldsByName.get(d);
  if (idx === undefined) {
    idx = new Map();
    for (const f of d.fields.values()) if (!idx.has(f.name)) idx.set(f.name, f);
    fieldsByName.set(d, idx);
  }
  return idx.get(name);
}

function childCel(
  parent: CelCtx | undefined,
  parentProps: Props,
  childProps: Props | undefined,
  access: (d: DeclType, s: Structural) => [DeclType | undefined, Structural | undefined],
): CelCtx | undefined {
  if (parent === undefined) return undefined;
  let decl: DeclType | undefined;
  let structural: Structural | undefined;
  if (parent.decl !== undefined && parent.structural !== undefined) [decl, structural] = access(parent.decl, parent.structural);
  if (childProps?.xEmbeddedResource === true || decl === undefined) {
    try {
      structural = childProps === undefined ? undefined : toStructural(childProps);
      decl = structural === undefined ? undefined : schemaDeclType(structural, childProps?.xEmbeddedResource === true);
    } catch {
      structural = undefined;
      decl = undefined;
    }
  }
  let maxCardinality: number | undefined;
  if (parent.maxCardinality !== undefined) {
    const max = extractMaxElements(parentProps);
    if (max !== undefined) maxCardinality = Math.min(parent.maxCardinality * max, maxU64);
  }
  return {
    decl,
    structural,
    convertError: decl === undefined,
    maxCardinality,
    total: parent.total,
    inScope: parent.inScope || (childProps?.xValidations ?? []).length > 0,
  };
}

function ruleValue(r: ValidationRule): string {
  return `{"Rule":${goJSON(r.rule)},"Message":${goJSON(r.message)},"MessageExpression":${goJSON(r.messageExpression)},"Reason":${
    r.reason === undefined ? 'null' : goJSON(r.reason)
  },"FieldPath":${goJSON(r.fieldPath)},"OptionalOldSelf":${r.optionalOldSelf === undefined ? 'null' : String(r.optionalOldSelf)}}`;
}

function rawValue(json: string): unknown {
  return rawJSON(json);
}

function openAPISchema(
  p: Props,
  path: string,
  ssv: Ssv,
  isRoot: boolean,
  opts: Opts,
  cel: CelCtx | undefined,
  schemaErrs: FieldError[],
  celErrs: FieldError[],
): void {
  const localSchemaStart = schemaErrs.length;
  schemaErrs.push(...standardValidate(p, path, ssv));
  if (p.uniqueItems)
    schemaErrs.push(
      forbidden(child(path, 'uniqueItems'), 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'),
    );
  if (p.additionalProperties !== undefined) {
    if (
      p.properties !== undefined &&
      p.properties.size > 0 &&
      (p.additionalProperties === false || typeof p.additionalProperties === 'object')
    ) {
      schemaErrs.push(forbidden(child(path, 'additionalProperties'), 'additionalProperties and properties are mutual exclusive'));
    }
    const sub = ssv.insideResourceMeta
      ? { ...ssv, allowDefaults: false, disallowDefaultsReason: 'inside additionalProperties applying to object metadata' }
      : ssv;
    if (typeof p.additionalProperties === 'object') {
      const ap = p.additionalProperties;
      openAPISchema(
        ap,
        child(path, 'additionalProperties'),
        sub,
        false,
        opts,
        childCel(cel, p, ap, (d, s) => [d.elem, s.additionalProperties?.schema]),
        schemaErrs,
        celErrs,
      );
    }
  }
  if (p.properties !== undefined) {
    for (const [name, prop] of p.properties) {
      let sub = ssv;
      if (p.xMapType !== undefined && p.xMapType !== 'granular' && p.xMapType !== 'atomic' && sub.uncorrelatablePath === undefined) {
        sub = { ...sub, uncorrelatablePath: path };
      }
      if ((isRoot || p.xEmbeddedResource) && (name === 'metadata' || name === 'kind' || name === 'apiVersion')) {
        sub = { ...sub, insideResourceMeta: true };
        if (isRoot) sub = { ...sub, allowDefaults: false, disallowDefaultsReason: `in top-level ${name}` };
      }
      const c = childCel(cel, p, prop, (d, s) => [fieldByName(d, name)?.type, s.properties?.get(name)]);
      openAPISchema(prop, key(child(path, 'properties'), name), sub, false, opts, c, schemaErrs, celErrs);
    }
  }
  if (p.not !== undefined) openAPISchema(p.not, child(path, 'not'), ssv, false, opts, undefined, schemaErrs, celErrs);
  for (const [kw, list] of [
    ['allOf', p.allOf],
    ['oneOf', p.oneOf],
    ['anyOf', p.anyOf],
  ] as const) {
    (list ?? []).forEach((x, i) => {
      openAPISchema(x, index(child(path, kw), i), ssv, false, opts, undefined, schemaErrs, celErrs);
    });
  }
  if (p.definitions !== undefined) {
    for (const [name, d] of p.definitions)
      openAPISchema(d, key(child(path, 'definitions'), name), ssv, false, opts, undefined, schemaErrs, celErrs);
  }
  if (p.items !== undefined) {
    let sub = ssv;
    if (p.xListType !== 'map' && sub.uncorrelatablePath === undefined) sub = { ...sub, uncorrelatablePath: path };
    if (Array.isArray(p.items)) {
      p.items.forEach((it, i) => {
        openAPISchema(
          it,
          index(child(path, 'items'), i),
          sub,
          false,
          opts,
          childCel(cel, p, it, (d, s) => [d.elem, s.items]),
          schemaErrs,
          celErrs,
        );
      });
    } else {
      openAPISchema(
        p.items,
        child(path, 'items'),
        sub,
        false,
        opts,
        childCel(cel, p, p.items, (d, s) => [d.elem, s.items]),
        schemaErrs,
        celErrs,
      );
    }
  }
  if (p.dependencies !== undefined) {
    for (const [name, d] of p.dependencies) {
      if (!Array.isArray(d)) openAPISchema(d, key(child(path, 'dependencies'), name), ssv, false, opts, undefined, schemaErrs, celErrs);
    }
  }
  if (p.xPreserveUnknownFields === false)
    schemaErrs.push(invalid(child(path, 'x-kubernetes-preserve-unknown-fields'), false, 'must be true or undefined'));
  if (p.xMapType !== undefined && p.type !== 'object') {
    if (p.type === '') schemaErrs.push(required(child(path, 'type'), 'must be object if x-kubernetes-map-type is specified'));
    else schemaErrs.push(invalid(child(path, 'type'), p.type, 'must be object if x-kubernetes-map-type is specified'));
  }
  if (p.xMapType !== undefined && p.xMapType !== 'atomic' && p.xMapType !== 'granular') {
    schemaErrs.push(notSupported(child(path, 'x-kubernetes-map-type'), p.xMapType, ['atomic', 'granular']));
  }
  const items = itemsSchema(p);
  if (p.xListType !== undefined && p.type !== 'array') {
    if (p.type === '') schemaErrs.push(required(child(path, 'type'), 'must be array if x-kubernetes-list-type is specified'));
    else schemaErrs.push(invalid(child(path, 'type'), p.type, 'must be array if x-kubernetes-list-type is specified'));
  } else if (opts.requireAtomicSetType && p.xListType === 'set' && items !== undefined) {
    if (items.type === 'array' && items.xListType !== undefined && items.xListType !== 'atomic') {
      schemaErrs.push(
        invalid(
          `${path}.items.x-kubernetes-list-type`,
          items.xListType,
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        ),
      );
    } else if (items.type === 'object' && items.xMapType !== 'atomic') {
      schemaErrs.push(
        invalid(
          `${path}.items.x-kubernetes-map-type`,
          items.xListType ?? null,
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        ),
      );
    }
  }
  if (p.xListType !== undefined && p.xListType !== 'atomic' && p.xListType !== 'set' && p.xListType !== 'map') {
    schemaErrs.push(notSupported(child(path, 'x-kubernetes-list-type'), p.xListType, ['atomic', 'set', 'map']));
  }
  const mapKeys = p.xListMapKeys ?? [];
  if (mapKeys.length > 0) {
    if (p.xListType === undefined)
      schemaErrs.push(required(child(path, 'x-kubernetes-list-type'), 'must be map if x-kubernetes-list-map-keys is non-empty'));
    else if (p.xListType !== 'map')
      schemaErrs.push(
        invalid(child(path, 'x-kubernetes-list-type'), p.xListType, 'must be map if x-kubernetes-list-map-keys is non-empty'),
      );
  }
  if (p.xListType === 'map') {
    if (mapKeys.length === 0)
      schemaErrs.push(required(child(path, 'x-kubernetes-list-map-keys'), 'must not be empty if x-kubernetes-list-type is map'));
    if (p.items === undefined) schemaErrs.push(required(child(path, 'items'), 'must have a schema if x-kubernetes-list-type is map'));
    if (Array.isArray(p.items))
      schemaErrs.push(
        invalid(
          child(path, 'items'),
          p.items.map((x) => x.raw),
          'must only have a single schema if x-kubernetes-list-type is map',
        ),
      );
    if (items !== undefined && items.type !== 'object') {
      schemaErrs.push(invalid(`${path}.items.type`, items.type, "must be object if parent array's x-kubernetes-list-type is map"));
    }
    if (items !== undefined && items.type === 'object') {
      const seen = new Set<string>();
      for (const k of mapKeys) {
        const ks = items.properties?.get(k);
        if (ks !== undefined) {
          if (ks.type === 'array' || ks.type === 'object') {
            schemaErrs.push(
              invalid(
                `${key(`${path}.items.properties`, k)}.type`,
                items.type,
                "must be a scalar type if parent array's x-kubernetes-list-type is map",
              ),
            );
          }
        } else schemaErrs.push(invalid(child(path, 'x-kubernetes-list-map-keys'), mapKeys, 'entries must all be names of item properties'));
        if (seen.has(k)) schemaErrs.push(invalid(child(path, 'x-kubernetes-list-map-keys'), mapKeys, 'must not contain duplicate entries'));
        seen.add(k);
      }
    }
  }
  if (opts.requireMapListKeysMapSetValidation) schemaErrs.push(...mapListKeysMapSet(p, path));
  const rules = p.xValidations ?? [];
  if (rules.length === 0) return;
  const vp = child(path, 'x-kubernetes-validations');
  rules.forEach((rule, i) => {
    const rp = index(vp, i);
    const trimmedRule = rule.rule.trim();
    const trimmedMsg = rule.message.trim();
    if (trimmedRule === '') schemaErrs.push(required(child(rp, 'rule'), 'rule is not specified'));
    else if (rule.message !== '' && trimmedMsg === '')
      schemaErrs.push(invalid(child(rp, 'message'), rule.message, 'must be non-empty if specified'));
    else if (/[\n\r]/.test(trimmedMsg)) schemaErrs.push(invalid(child(rp, 'message'), rule.message, 'must not contain line breaks'));
    else if (/[\n\r]/.test(trimmedRule) && trimmedMsg === '')
      schemaErrs.push(required(child(rp, 'message'), 'message must be specified if rule contains line breaks'));
    if (rule.messageExpression !== '' && rule.messageExpression.trim() === '') {
      schemaErrs.push(required(child(rp, 'messageExpression'), 'messageExpression must be non-empty if specified'));
    }
    if (rule.reason !== undefined && !supportedReasons.includes(rule.reason))
      schemaErrs.push(notSupported(child(rp, 'reason'), rule.reason, supportedReasons));
    if (rule.fieldPath !== '' && rule.fieldPath.trim() === '')
      schemaErrs.push(invalid(child(rp, 'fieldPath'), rule.fieldPath, 'must be non-empty if specified'));
    if (/[\n\r]/.test(rule.fieldPath)) schemaErrs.push(invalid(child(rp, 'fieldPath'), rule.fieldPath, 'must not contain line breaks'));
    if (rule.fieldPath !== '') {
      let s: Structural | undefined;
      try {
        s = toStructural(p);
      } catch {
        s = undefined;
      }
      if (s !== undefined && validFieldPath(rule.fieldPath, s) === undefined)
        schemaErrs.push(invalid(child(rp, 'fieldPath'), rule.fieldPath, 'must be a valid path'));
    }
  });
  if (schemaErrs.length !== localSchemaStart || cel === undefined) return;
  if (cel.decl === undefined || cel.structural === undefined) {
    celErrs.push(
      internalError(
        vp,
        'internal error: failed to construct type information for x-kubernetes-validations rules: unable to convert structural schema to CEL declarations',
      ),
    );
    return;
  }
  const compiled = compileRules(cel.structural, rules, cel.decl);
  compiled.forEach((cr, i) => {
    const rp = index(vp, i);
    const rule = rules[i] as ValidationRule;
    const cardinality = cel.maxCardinality ?? cr.maxCardinality;
    const cost = cr.maxCost === 0 ? 0 : Math.min(cr.maxCost * cardinality, maxU64);
    if (!opts.suppressPerExpressionCost && cost > staticEstimatedCostLimit) {
      celErrs.push(forbidden(child(rp, 'rule'), costErrorMessage('estimated rule cost', cost, staticEstimatedCostLimit)));
    }
    observeCost(cel.total, child(rp, 'rule'), cost);
    if (cr.error !== undefined) {
      if (cr.errorType === 'required') celErrs.push(required(child(rp, 'rule'), cr.error));
      else celErrs.push(invalid(child(rp, 'rule'), rawValue(ruleValue(rule)), cr.error));
    }
    if (cr.messageError !== undefined) celErrs.push(invalid(child(rp, 'messageExpression'), rawValue(ruleValue(rule)), cr.messageError));
    else if (cr.messageProgram !== undefined) {
      const mcost = cr.messageMaxCost * cardinality;
      if (!opts.suppressPerExpressionCost && mcost > staticEstimatedCostLimit) {
        celErrs.push(
          forbidden(child(rp, 'messageExpression'), costErrorMessage('estimated messageExpression cost', mcost, staticEstimatedCostLimit)),
        );
      }
      observeCost(cel.total, child(rp, 'messageExpression'), mcost);
    }
    if (cr.usesOldSelf) {
      if (ssv.uncorrelatablePath !== undefined) {
        celErrs.push(
          invalid(
            child(rp, 'rule'),
            rule.rule,
            `oldSelf cannot be used on the uncorrelatable portion of the schema within ${ssv.uncorrelatablePath}`,
          ),
        );
      }
    } else if (rule.optionalOldSelf !== undefined) {
      celErrs.push(invalid(child(rp, 'optionalOldSelf'), rule.optionalOldSelf, 'may not be set if oldSelf is not used in rule'));
    }
  });
}

/** GoSchemaStruct prints a schema as Go marshals the internal apiextensions.JSONSchemaProps (Go field names, declaration order). */
function goSchemaStruct(p: Props): string {
  const j = (v: unknown): string => goJSON(v);
  const opt = (v: unknown): string => (v === undefined ? 'null' : j(v));
  const list = (l: Props[] | undefined): string => (l === undefined ? 'null' : `[${l.map(goSchemaStruct).join(',')}]`);
  const map = (m: Map<string, Props> | undefined): string =>
    m === undefined
      ? 'null'
      : `{${[...m.entries()]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, v]) => `${j(k)}:${goSchemaStruct(v)}`)
          .join(',')}}`;
  const items =
    p.items === undefined
      ? 'null'
      : Array.isArray(p.items)
        ? `{"Schema":null,"JSONSchemas":${list(p.items)}}`
        : `{"Schema":${goSchemaStruct(p.items)},"JSONSchemas":null}`;
  const orBool = (v: Props | boolean | undefined): string =>
    v === undefined ? 'null' : typeof v === 'boolean' ? `{"Allows":${v},"Schema":null}` : `{"Allows":true,"Schema":${goSchemaStruct(v)}}`;
  const rules = p.xValidations === undefined ? 'null' : `[${p.xValidations.map(ruleValue).join(',')}]`;
  return `{"ID":${j(p.id)},"Schema":${j(p.$schema)},"Ref":${opt(p.$ref)},"Description":${j(p.description)},"Type":${j(p.type)},"Nullable":${p.nullable},"Format":${j(
    p.format,
  )},"Title":${j(p.title)},"Default":${p.hasDefault ? j(p.default) : 'null'},"Maximum":${opt(p.maximum)},"ExclusiveMaximum":${p.exclusiveMaximum},"Minimum":${opt(
    p.minimum,
  )},"ExclusiveMinimum":${p.exclusiveMinimum},"MaxLength":${opt(p.maxLength)},"MinLength":${opt(p.minLength)},"Pattern":${j(p.pattern)},"MaxItems":${opt(
    p.maxItems,
  )},"MinItems":${opt(p.minItems)},"UniqueItems":${p.uniqueItems},"MultipleOf":${opt(p.multipleOf)},"Enum":${p.enum === undefined ? 'null' : j(p.enum)},"MaxProperties":${opt(
    p.maxProperties,
  )},"MinProperties":${opt(p.minProperties)},"Required":${p.required === undefined ? 'null' : j(p.required)},"Items":${items},"AllOf":${list(p.allOf)},"OneOf":${list(
    p.oneOf,
  )},"AnyOf":${list(p.anyOf)},"Not":${p.not === undefined ? 'null' : goSchemaStruct(p.not)},"Properties":${map(p.properties)},"AdditionalProperties":${orBool(
    p.additionalProperties,
  )},"PatternProperties":${map(p.patternProperties)},"Dependencies":null,"AdditionalItems":${orBool(p.additionalItems)},"Definitions":${map(
    p.definitions,
  )},"ExternalDocs":${p.hasExternalDocs ? j(p.raw.externalDocs) : 'null'},"Example":${p.hasExample ? j(p.raw.example) : 'null'},"XPreserveUnknownFields":${opt(
    p.xPreserveUnknownFields,
  )},"XEmbeddedResource":${p.xEmbeddedResource},"XIntOrString":${p.xIntOrString},"XListMapKeys":${p.xListMapKeys === undefined ? 'null' : j(p.xListMapKeys)},"XListType":${opt(
    p.xListType,
  )},"XMapType":${opt(p.xMapType)},"XValidations":${rules}}`;
}

function observeCost(total: CelCtx['total'], path: string, cost: number): void {
  total.total = Math.min(total.total + cost, maxU64);
  if (cost < staticEstimatedCRDCostLimit / 100) return;
  total.mostExpensive.push({ path, cost });
  total.mostExpensive.sort((a, b) => b.cost - a.cost);
  if (total.mostExpensive.length > 4) total.mostExpensive.length = 4;
}

function standardValidate(p: Props, path: string, ssv: Ssv): FieldError[] {
  const errs: FieldError[] = [];
  if (ssv.requireValidPropertyType && p.type !== '' && !openapiV3Types.includes(p.type))
    errs.push(notSupported(child(path, 'type'), p.type, openapiV3Types));
  if (p.hasDefault && !ssv.allowDefaults) {
    errs.push(
      forbidden(child(path, 'default'), `must not be set${ssv.disallowDefaultsReason === '' ? '' : ` ${ssv.disallowDefaultsReason}`}`),
    );
  }
  if (p.id !== '') errs.push(forbidden(child(path, 'id'), 'id is not supported'));
  if (p.additionalItems !== undefined) errs.push(forbidden(child(path, 'additionalItems'), 'additionalItems is not supported'));
  if (p.patternProperties !== undefined && p.patternProperties.size > 0)
    errs.push(forbidden(child(path, 'patternProperties'), 'patternProperties is not supported'));
  if (p.definitions !== undefined && p.definitions.size > 0)
    errs.push(forbidden(child(path, 'definitions'), 'definitions is not supported'));
  if (p.dependencies !== undefined) errs.push(forbidden(child(path, 'dependencies'), 'dependencies is not supported'));
  if (p.$ref !== undefined) errs.push(forbidden(child(path, '$ref'), '$ref is not supported'));
  if (p.type === 'null') errs.push(forbidden(child(path, 'type'), 'type cannot be set to null, use nullable as an alternative'));
  if (Array.isArray(p.items) && p.items.length > 0)
    errs.push(forbidden(child(path, 'items'), 'items must be a schema object and not an array'));
  if (ssv.insideResourceMeta && p.xEmbeddedResource)
    errs.push(forbidden(child(path, 'x-kubernetes-embedded-resource'), 'must not be used inside of resource meta'));
  return errs;
}

function mapListKeysMapSet(p: Props, path: string): FieldError[] {
  const items = itemsSchema(p);
  if (items === undefined || p.xListType === undefined) return [];
  if (p.xListType !== 'set' && p.xListType !== 'map') return [];
  const errs: FieldError[] = [];
  if (items.nullable) errs.push(forbidden(`${path}.items.nullable`, `cannot be nullable when x-kubernetes-list-type is ${p.xListType}`));
  if (p.xListType === 'map') {
    const req = new Set(items.required ?? []);
    for (const k of p.xListMapKeys ?? []) {
      const o = items.properties?.get(k);
      if (o === undefined) continue;
      if (!req.has(k) && !o.hasDefault) {
        errs.push(
          required(
            `${key(`${path}.items.properties`, k)}.default`,
            'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property',
          ),
        );
      }
      if (o.nullable)
        errs.push(
          forbidden(
            `${key(`${path}.items.properties`, k)}.nullable`,
            'this property is in x-kubernetes-list-map-keys, so it cannot be nullable',
          ),
        );
    }
  }
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Defaults (schema/defaulting/validation.go ValidateDefaults)

function validateDefaults(path: string, root: Structural, requirePruned: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const rootSchema = embeddedRoot(root);
  walkDefaults(path, rootSchema, rootSchema, false, requirePruned, errs, 0);
  return errs;
}

function walkDefaults(
  path: string,
  s: Structural,
  root: Structural,
  insideMeta: boolean,
  requirePruned: boolean,
  errs: FieldError[],
  depth: number,
): void {
  if (depth > 1000) return;
  let inside = insideMeta;
  let rootSchema = root;
  if (s.extensions.embeddedResource) {
    inside = false;
    rootSchema = s;
  }
  if (s.generic.hasDefault) {
    const dflt = s.generic.default;
    const node = compileNode(s.value.props);
    const dpath = child(path, 'default');
    if (inside) {
      // Defaults inside metadata are validated as part of a whole object: only the value schema applies here.
      const ve = validateValue(node, dflt, dpath);
      errs.push(...ve);
    } else {
      if (requirePruned) {
        const copy = deepCopyJSON(dflt);
        prune(copy, s, s.extensions.embeddedResource);
        if (!deepEqualJSON(copy, dflt)) errs.push(invalid(dpath, dflt, 'must not have unknown fields'));
      }
      const emb = validateEmbedded(dpath, dflt, s, s.extensions.embeddedResource);
      if (emb.length > 0) errs.push(...emb);
      else errs.push(...validateValue(node, dflt, dpath));
    }
  }
  if (s.items !== undefined) walkDefaults(child(path, 'items'), s.items, rootSchema, inside, requirePruned, errs, depth + 1);
  if (s.properties !== undefined) {
    for (const [k, sub] of s.properties) {
      const subInside = inside || (s.extensions.embeddedResource && (k === 'metadata' || k === 'apiVersion' || k === 'kind'));
      walkDefaults(key(child(path, 'properties'), k), sub, rootSchema, subInside, requirePruned, errs, depth + 1);
    }
  }
}
