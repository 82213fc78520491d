import { type KubeObject, TrellisError } from '@trellis/sdk';
import { claimNamesProblem, XcrdErrorCode } from './crd.ts';

/**
 * A FieldError is one problem with an XRD, in the Kubernetes field-error shape:
 * `spec.names.plural: Invalid value: "Widgets": Plural name must be lowercase`.
 */
export interface FieldError {
  field: string;
  type: 'Required value' | 'Invalid value' | 'Unsupported value' | 'Forbidden' | 'Duplicate value' | 'Too long';
  value?: unknown;
  detail: string;
}

/** FormatFieldError prints a FieldError as the API server does. */
export function formatFieldError(e: FieldError): string {
  if (e.type === 'Required value' || e.type === 'Forbidden') return `${e.field}: ${e.type}${e.detail === '' ? '' : `: ${e.detail}`}`;
  const v = e.value === undefined ? '' : `: ${JSON.stringify(e.value)}`;
  return `${e.field}: ${e.type}${v}${e.detail === '' ? '' : `: ${e.detail}`}`;
}

const V1 = 'apiextensions.crossplane.io/v1';
const V2 = 'apiextensions.crossplane.io/v2';
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SCHEMA_TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/**
 * ValidateXrd checks an XRD as the API server (the XRD CRD's schema and CEL rules) and the CRD
 * validation of the generated CRDs would, and returns every problem with its field path. An
 * empty list means the XRD is valid. Defaults are not applied: pass the XRD as stored, or as
 * written (missing scope means the version's default).
 */
export function validateXrd(xrd: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const add = (field: string, type: FieldError['type'], detail: string, value?: unknown): void => {
    errs.push(value === undefined ? { field, type, detail } : { field, type, detail, value });
  };
  if (xrd.apiVersion !== V1 && xrd.apiVersion !== V2)
    add('apiVersion', 'Unsupported value', `supported values: "${V1}", "${V2}"`, xrd.apiVersion);
  if (xrd.kind !== 'CompositeResourceDefinition')
    add('kind', 'Unsupported value', 'supported values: "CompositeResourceDefinition"', xrd.kind);
  const v2 = xrd.apiVersion === V2;
  const spec = isObject(xrd.spec) ? xrd.spec : undefined;
  if (spec === undefined) {
    add('spec', 'Required value', '');
    return errs;
  }
  const group = spec.group;
  if (typeof group !== 'string' || group === '') add('spec.group', 'Required value', '');
  else if (!DNS1123_SUBDOMAIN.test(group) || group.length > 253)
    add('spec.group', 'Invalid value', 'must be a lowercase RFC 1123 subdomain', group);
  else if (!group.includes('.')) add('spec.group', 'Invalid value', 'should be a domain with at least one dot', group);

  const names = isObject(spec.names) ? spec.names : undefined;
  if (names === undefined) add('spec.names', 'Required value', '');
  else checkNames(names, 'spec.names', add);

  const name = xrd.metadata?.name ?? '';
  if (name === '') add('metadata.name', 'Required value', '');
  else if (names !== undefined && typeof group === 'string' && name !== `${String(names.plural)}.${group}`) {
    add('metadata.name', 'Invalid value', 'must be spec.names.plural+"."+spec.group', name);
  }

  const scope = spec.scope ?? (v2 ? 'Namespaced' : 'LegacyCluster');
  const scopes = v2 ? ['Namespaced', 'Cluster'] : ['LegacyCluster', 'Namespaced', 'Cluster'];
  if (!scopes.includes(String(scope))) {
    add('spec.scope', 'Unsupported value', `supported values: ${scopes.map((s) => `"${s}"`).join(', ')}`, scope);
  }
  if (spec.claimNames !== undefined) {
    if (v2) add('spec', 'Invalid value', "Claims aren't supported in apiextensions.crossplane.io/v2", 'object');
    else if (scope !== 'LegacyCluster') add('spec', 'Invalid value', 'Only LegacyCluster composite resources can offer claims', 'object');
    if (!isObject(spec.claimNames)) add('spec.claimNames', 'Invalid value', 'must be an object', spec.claimNames);
    else {
      checkNames(spec.claimNames, 'spec.claimNames', add);
      const p = claimNamesProblem(spec);
      if (p !== undefined) add('spec.claimNames', 'Invalid value', `invalid resource claim names: ${p}`, 'object');
    }
  }
  if (spec.connectionSecretKeys !== undefined) {
    if (v2) add('spec', 'Invalid value', "XR connection secrets aren't supported in apiextensions.crossplane.io/v2", 'object');
    else if (scope !== 'LegacyCluster')
      add('spec', 'Invalid value', 'Only LegacyCluster composite resources support connection secrets', 'object');
    if (!Array.isArray(spec.connectionSecretKeys) || spec.connectionSecretKeys.some((k) => typeof k !== 'string')) {
      add('spec.connectionSecretKeys', 'Invalid value', 'must be a list of strings', spec.connectionSecretKeys);
    }
  }
  enumField(spec, 'defaultCompositeDeletePolicy', ['Background', 'Foreground'], add);
  enumField(spec, 'defaultCompositionUpdatePolicy', ['Automatic', 'Manual'], add);
  for (const f of ['defaultCompositionRef', 'enforcedCompositionRef'] as const) {
    const r = spec[f];
    if (r === undefined) continue;
    if (!isObject(r) || typeof r.name !== 'string' || r.name === '') add(`spec.${f}.name`, 'Required value', '');
  }
  if (spec.conversion !== undefined) {
    const c = spec.conversion;
    if (!isObject(c)) add('spec.conversion', 'Invalid value', 'must be an object', c);
    else {
      if (c.strategy !== 'None' && c.strategy !== 'Webhook')
        add('spec.conversion.strategy', 'Unsupported value', 'supported values: "None", "Webhook"', c.strategy);
      if (c.strategy === 'Webhook' && c.webhook === undefined) {
        add('spec.conversion', 'Invalid value', 'Webhook configuration is required when conversion strategy is Webhook', 'object');
      }
    }
  }
  checkVersions(spec.versions, add);
  return errs;
}

/**
 * AssertValidXrd throws ENGINE_XRD_INVALID naming the XRD and every problem when the XRD is
 * invalid: `invalid CompositeResourceDefinition "xwidgets.example.org": spec.names.plural: ...`.
 */
export function assertValidXrd(xrd: KubeObject): void {
  const errs = validateXrd(xrd);
  if (errs.length === 0) return;
  throw new TrellisError(
    XcrdErrorCode.InvalidXrd,
    `invalid CompositeResourceDefinition "${xrd.metadata?.name ?? ''}": ${errs.map(formatFieldError).join('; ')}`,
    { details: { errors: errs } },
  );
}

type Add = (field: string, type: FieldError['type'], detail: string, value?: unknown) => void;

function checkNames(n: Record<string, unknown>, at: string, add: Add): void {
  const plural = n.plural;
  if (typeof plural !== 'string' || plural === '') add(`${at}.plural`, 'Required value', '');
  else {
    if (plural !== plural.toLowerCase()) add(at, 'Invalid value', 'Plural name must be lowercase', 'object');
    else if (!DNS1035_LABEL.test(plural))
      add(
        `${at}.plural`,
        'Invalid value',
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        plural,
      );
  }
  const singular = n.singular;
  if (typeof singular === 'string' && singular !== '') {
    if (singular !== singular.toLowerCase()) add(at, 'Invalid value', 'Singular name must be lowercase', 'object');
    else if (!DNS1035_LABEL.test(singular))
      add(
        `${at}.singular`,
        'Invalid value',
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        singular,
      );
  }
  const kind = n.kind;
  if (typeof kind !== 'string' || kind === '') add(`${at}.kind`, 'Required value', '');
  else if (!DNS1035_LABEL.test(kind.toLowerCase()))
    add(`${at}.kind`, 'Invalid value', 'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?', kind);
  const listKind = n.listKind;
  if (typeof listKind === 'string' && listKind !== '') {
    if (!DNS1035_LABEL.test(listKind.toLowerCase()))
      add(`${at}.listKind`, 'Invalid value', 'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?', listKind);
    if (listKind === kind) add(`${at}.listKind`, 'Invalid value', 'kind and listKind may not be the same', listKind);
  }
  for (const [i, s] of (Array.isArray(n.shortNames) ? n.shortNames : []).entries()) {
    if (typeof s !== 'string' || !DNS1035_LABEL.test(s))
      add(
        `${at}.shortNames[${i}]`,
        'Invalid value',
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        s,
      );
  }
  for (const [i, c] of (Array.isArray(n.categories) ? n.categories : []).entries()) {
    if (typeof c !== 'string' || !DNS1035_LABEL.test(c))
      add(
        `${at}.categories[${i}]`,
        'Invalid value',
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        c,
      );
  }
}

function enumField(spec: Record<string, unknown>, f: string, values: string[], add: Add): void {
  const v = spec[f];
  if (v !== undefined && !values.includes(String(v)))
    add(`spec.${f}`, 'Unsupported value', `supported values: ${values.map((x) => `"${x}"`).join(', ')}`, v);
}

function checkVersions(versions: unknown, add: Add): void {
  if (!Array.isArray(versions) || versions.length === 0) {
    add('spec.versions', 'Required value', 'must have at least one version');
    return;
  }
  const seen = new Set<string>();
  let referenceable = 0;
  let served = 0;
  for (const [i, v] of versions.entries()) {
    const at = `spec.versions[${i}]`;
    if (!isObject(v)) {
      add(at, 'Invalid value', 'must be an object', v);
      continue;
    }
    if (typeof v.name !== 'string' || v.name === '') add(`${at}.name`, 'Required value', '');
    else {
      if (!DNS1035_LABEL.test(v.name))
        add(
          `${at}.name`,
          'Invalid value',
          "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
          v.name,
        );
      if (seen.has(v.name)) add(`${at}.name`, 'Duplicate value', '', v.name);
      seen.add(v.name);
    }
    if (typeof v.referenceable !== 'boolean') add(`${at}.referenceable`, 'Required value', '');
    else if (v.referenceable) referenceable++;
    if (typeof v.served !== 'boolean') add(`${at}.served`, 'Required value', '');
    else if (v.served) served++;
    if (typeof v.deprecationWarning === 'string' && v.deprecationWarning.length > 256) {
      add(`${at}.deprecationWarning`, 'Too long', 'may not be more than 256 bytes', `<${v.deprecationWarning.length} bytes>`);
    }
    const schema = isObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
    if (!isObject(schema)) add(`${at}.schema.openAPIV3Schema`, 'Required value', 'custom resource validation cannot be nil');
    else checkSchema(schema, `${at}.schema.openAPIV3Schema`, add, 0);
  }
  if (referenceable !== 1) {
    add(
      'spec.versions',
      'Invalid value',
      `must have exactly one version marked as referenceable, found ${referenceable}`,
      versions.map((v) => (isObject(v) ? v.name : v)),
    );
  }
  if (served === 0)
    add(
      'spec.versions',
      'Invalid value',
      'must have at least one version marked as served',
      versions.map((v) => (isObject(v) ? v.name : v)),
    );
}

const MAX_SCHEMA_DEPTH = 64;

/** CheckSchema applies the structural-schema rules the API server enforces on the generated CRD. */
function checkSchema(s: Record<string, unknown>, at: string, add: Add, depth: number): void {
  if (depth > MAX_SCHEMA_DEPTH) {
    add(at, 'Forbidden', `schema is nested more than ${MAX_SCHEMA_DEPTH} levels deep`);
    return;
  }
  const type = s.type;
  const free = s['x-kubernetes-preserve-unknown-fields'] === true || s['x-kubernetes-int-or-string'] === true;
  if (type === undefined) {
    if (!free && depth > 0) add(`${at}.type`, 'Required value', 'must not be empty for specified fields');
  } else if (typeof type !== 'string' || !SCHEMA_TYPES.has(type)) {
    add(`${at}.type`, 'Unsupported value', `supported values: ${[...SCHEMA_TYPES].map((t) => `"${t}"`).join(', ')}`, type);
  }
  if (depth === 0) {
    if (type !== undefined && type !== 'object') add(`${at}.type`, 'Invalid value', 'must be object at the root', type);
    const props = isObject(s.properties) ? s.properties : {};
    for (const f of ['spec', 'status']) {
      const p = props[f];
      if (isObject(p) && p.type !== undefined && p.type !== 'object')
        add(`${at}.properties[${f}].type`, 'Invalid value', 'must be object', p.type);
    }
  }
  if (type === 'array' && s.items === undefined && !free) add(`${at}.items`, 'Required value', 'must be specified for arrays');
  if (s.properties !== undefined) {
    if (!isObject(s.properties)) add(`${at}.properties`, 'Invalid value', 'must be an object', s.properties);
    else
      for (const [k, p] of Object.entries(s.properties)) {
        if (!isObject(p)) add(`${at}.properties[${k}]`, 'Invalid value', 'must be a schema object', p);
        else checkSchema(p, `${at}.properties[${k}]`, add, depth + 1);
      }
  }
  if (isObject(s.items)) checkSchema(s.items, `${at}.items`, add, depth + 1);
  if (isObject(s.additionalProperties)) checkSchema(s.additionalProperties, `${at}.additionalProperties`, add, depth + 1);
  if (Array.isArray(s.required) && s.required.some((r) => typeof r !== 'string'))
    add(`${at}.required`, 'Invalid value', 'must be a list of strings', s.required);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
