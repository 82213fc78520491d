import { createHash } from 'node:crypto';
import type { KubeObject } from '@trellis/sdk';
import { fe } from '../api/errors.ts';
import { nameIsDNSLabel, nameIsDNSSubdomain, nameIsPathSegment, regexError } from '../api/objectmeta.ts';
import { ageColumn, type BuiltinColumn, builtinConvertor, humanAge, nameColumn } from '../api/table.ts';
import type { FieldCause, JSONSchemaProps } from '../contracts.ts';
import { applyLibrary, schemaLibrary } from '../libraries.ts';
import { builtinSchemas } from './schemas.ts';
import type { ResourceType, Strategy } from './types.ts';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function base(): Omit<Strategy, 'nameValidation'> {
  return {
    allowCreateOnUpdate: false,
    allowUnconditionalUpdate: true,
    returnDeletedObject: false,
    gcSupported: true,
    generation: false,
    statusSubresource: false,
  };
}

const metaFieldLabels = (
  namespaced: boolean,
  extra: Record<string, (o: KubeObject) => string> = {},
  style: 'default' | 'custom' = 'default',
) => {
  const names = ['metadata.name', ...(namespaced ? ['metadata.namespace'] : []), ...Object.keys(extra)];
  return {
    names,
    get: (o: KubeObject): Record<string, string> => {
      const out: Record<string, string> = { 'metadata.name': o.metadata.name ?? '' };
      if (namespaced) out['metadata.namespace'] = o.metadata.namespace ?? '';
      for (const [k, f] of Object.entries(extra)) out[k] = f(o);
      return out;
    },
    unsupported: (label: string): string =>
      style === 'custom'
        ? `field label not supported: ${label}`
        : `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
  };
};

const s = (v: unknown): string => (typeof v === 'string' ? v : '');
const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

interface BuiltinDef {
  group: string;
  version: string;
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  subresources?: string[];
  schema: string;
  strategy: Strategy;
  columns: BuiltinColumn[];
  fieldLabels: ResourceType['fieldLabels'];
  bucket?: string;
  storageVersion?: string;
  toStorage?: (o: KubeObject) => KubeObject;
  fromStorage?: (o: KubeObject) => KubeObject;
}

function make(d: BuiltinDef): ResourceType {
  const apiVersion = d.group === '' ? d.version : `${d.group}/${d.version}`;
  // Built-in objects are stored without apiVersion and kind (lists of built-ins carry none per
  // item, as kube's typed lists); reads put them back, first, as kube writes them.
  const toStorage = (o: KubeObject): KubeObject => {
    const { apiVersion: _a, kind: _k, ...rest } = o;
    return rest as KubeObject;
  };
  const fromStorage = (o: KubeObject): KubeObject => {
    const { apiVersion: _a, kind: _k, ...rest } = o;
    return { kind: d.kind, apiVersion, ...rest } as KubeObject;
  };
  return {
    group: d.group,
    version: d.version,
    resource: d.resource,
    kind: d.kind,
    listKind: `${d.kind}List`,
    singular: d.singular,
    namespaced: d.namespaced,
    shortNames: d.shortNames ?? [],
    categories: [],
    verbs: ALL_VERBS,
    subresources: d.subresources ?? [],
    bucket: d.bucket ?? `${d.group}/${d.resource}`,
    storageVersion: d.storageVersion ?? d.version,
    strategy: d.strategy,
    openapiSchema: builtinSchemas[d.schema] as JSONSchemaProps,
    compiled: undefined,
    typeInfo: applyLibrary.builtinTypeInfo(d.group, d.kind),
    table: builtinConvertor(d.columns),
    fieldLabels: d.fieldLabels,
    scale: undefined,
    builtin: true,
    crd: undefined,
    toStorage: d.toStorage ?? toStorage,
    fromStorage: d.fromStorage ?? fromStorage,
  };
}

// --- data-bearing kinds -------------------------------------------------------------------------

const CONFIG_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_KEY_RE = /^[-._a-zA-Z0-9]+$/;
const MAX_SECRET_SIZE = 1024 * 1024;

function isConfigMapKey(k: string): string[] {
  const errs: string[] = [];
  if (Buffer.byteLength(k) > 253) errs.push('must be no more than 253 characters');
  if (!CONFIG_KEY_RE.test(k))
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        CONFIG_KEY_FMT,
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  if (k === '.') errs.push("must not be '.'");
  else if (k === '..') errs.push("must not be '..'");
  else if (k.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

function validateData(o: KubeObject, fields: Array<{ name: string; binary: boolean }>): FieldCause[] {
  const out: FieldCause[] = [];
  let total = 0;
  const seen = new Map<string, string>();
  for (const f of fields) {
    const data = rec(o[f.name]);
    for (const k of Object.keys(data).sort()) {
      for (const m of isConfigMapKey(k)) out.push(fe.invalid(`${f.name}[${k}]`, k, m));
      if (f.name === 'data' && Object.hasOwn(rec(o.binaryData), k))
        out.push(fe.invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
      const v = s(data[k]);
      total += f.binary ? Buffer.from(v, 'base64').length : Buffer.byteLength(v);
      seen.set(k, f.name);
    }
  }
  if (total > MAX_SECRET_SIZE) out.push(fe.tooLong('', MAX_SECRET_SIZE));
  return out;
}

function immutableData(o: KubeObject, old: KubeObject, fields: string[]): FieldCause[] {
  const out: FieldCause[] = [];
  if (old.immutable !== true) return out;
  if (o.immutable !== true) out.push(fe.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields)
    if (JSON.stringify(o[f] ?? null) !== JSON.stringify(old[f] ?? null))
      out.push(fe.forbidden(f, 'field is immutable when `immutable` is set'));
  return out;
}

const dataCount = (o: KubeObject, ...fields: string[]): number => fields.reduce((n, f) => n + Object.keys(rec(o[f])).length, 0);

const configMaps = make({
  group: '',
  version: 'v1',
  resource: 'configmaps',
  kind: 'ConfigMap',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  schema: 'io.k8s.api.core.v1.ConfigMap',
  strategy: {
    ...base(),
    nameValidation: nameIsDNSSubdomain,
    updateValidatesMeta: true,
    validate: (o) =>
      validateData(o, [
        { name: 'data', binary: false },
        { name: 'binaryData', binary: true },
      ]),
    validateUpdate: (o, old) => [
      ...immutableData(o, old, ['data', 'binaryData']),
      ...validateData(o, [
        { name: 'data', binary: false },
        { name: 'binaryData', binary: true },
      ]),
    ],
  },
  columns: [
    nameColumn,
    {
      def: { name: 'Data', type: 'integer', description: 'Data contains the configuration data.' },
      cell: (o) => dataCount(o, 'data', 'binaryData'),
    },
    ageColumn,
  ],
  fieldLabels: metaFieldLabels(true),
});

/** Secrets merge stringData into data on write, as the v1 → internal conversion does. */
function mergeStringData(o: KubeObject): void {
  const sd = rec(o.stringData);
  if (Object.keys(sd).length > 0) {
    const data = { ...rec(o.data) };
    for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(s(v)).toString('base64');
    o.data = data;
  }
  delete o.stringData;
  if (o.type === undefined || o.type === '') o.type = 'Opaque';
}

const secrets = make({
  group: '',
  version: 'v1',
  resource: 'secrets',
  kind: 'Secret',
  singular: 'secret',
  namespaced: true,
  schema: 'io.k8s.api.core.v1.Secret',
  strategy: {
    ...base(),
    nameValidation: nameIsDNSSubdomain,
    updateValidatesMeta: true,
    prepareForCreate: mergeStringData,
    prepareForUpdate: mergeStringData,
    validate: (o) => validateData(o, [{ name: 'data', binary: true }]),
    validateUpdate: (o, old) => {
      const out: FieldCause[] = [];
      if (s(o.type) !== s(old.type)) out.push(fe.invalid('type', s(o.type), 'field is immutable'));
      return [...out, ...immutableData(o, old, ['data']), ...validateData(o, [{ name: 'data', binary: true }])];
    },
  },
  columns: [
    nameColumn,
    {
      def: { name: 'Type', type: 'string', description: 'Used to facilitate programmatic handling of secret data.' },
      cell: (o) => s(o.type),
    },
    { def: { name: 'Data', type: 'integer', description: 'Data contains the secret data.' }, cell: (o) => dataCount(o, 'data') },
    ageColumn,
  ],
  fieldLabels: metaFieldLabels(true, { type: (o) => s(o.type) }, 'custom'),
});

// --- namespaces ---------------------------------------------------------------------------------

const NS_NAME_LABEL = 'kubernetes.io/metadata.name';

const namespaces = make({
  group: '',
  version: 'v1',
  resource: 'namespaces',
  kind: 'Namespace',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  subresources: ['status', 'finalize'],
  schema: 'io.k8s.api.core.v1.Namespace',
  strategy: {
    ...base(),
    returnDeletedObject: true,
    nameValidation: nameIsDNSLabel,
    prepareForCreate: (o) => {
      o.status = { phase: 'Active' };
      const spec = rec(o.spec);
      const fins = Array.isArray(spec.finalizers) ? (spec.finalizers as string[]) : [];
      if (!fins.includes('kubernetes')) fins.push('kubernetes');
      o.spec = { ...spec, finalizers: fins };
      o.metadata.labels = { ...(o.metadata.labels ?? {}), [NS_NAME_LABEL]: o.metadata.name ?? '' };
    },
    prepareForUpdate: (o, old) => {
      o.spec = old.spec;
      o.status = old.status;
      o.metadata.labels = { ...(o.metadata.labels ?? {}), [NS_NAME_LABEL]: o.metadata.name ?? '' };
    },
  },
  columns: [
    nameColumn,
    { def: { name: 'Status', type: 'string', description: 'The status of the namespace' }, cell: (o) => s(rec(o.status).phase) },
    ageColumn,
  ],
  fieldLabels: metaFieldLabels(false, { 'status.phase': (o) => s(rec(o.status).phase) }, 'custom'),
});

const serviceAccounts = make({
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  kind: 'ServiceAccount',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  schema: 'io.k8s.api.core.v1.ServiceAccount',
  strategy: { ...base(), returnDeletedObject: true, nameValidation: nameIsDNSSubdomain, updateValidatesMeta: true },
  columns: [
    nameColumn,
    {
      def: {
        name: 'Secrets',
        type: 'string',
        description:
          'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      },
      cell: (o) => (Array.isArray(o.secrets) ? o.secrets.length : 0),
    },
    ageColumn,
  ],
  fieldLabels: metaFieldLabels(true),
});

// --- events -------------------------------------------------------------------------------------

const ref = (o: KubeObject, f: string, k: string): string => s(rec(o[f])[k]);

const coreEventLabels = metaFieldLabels(
  true,
  {
    'involvedObject.kind': (o) => ref(o, 'involvedObject', 'kind'),
    'involvedObject.namespace': (o) => ref(o, 'involvedObject', 'namespace'),
    'involvedObject.name': (o) => ref(o, 'involvedObject', 'name'),
    'involvedObject.uid': (o) => ref(o, 'involvedObject', 'uid'),
    'involvedObject.apiVersion': (o) => ref(o, 'involvedObject', 'apiVersion'),
    'involvedObject.resourceVersion': (o) => ref(o, 'involvedObject', 'resourceVersion'),
    'involvedObject.fieldPath': (o) => ref(o, 'involvedObject', 'fieldPath'),
    reason: (o) => s(o.reason),
    reportingComponent: (o) => s(o.reportingComponent),
    source: (o) => ref(o, 'source', 'component'),
    type: (o) => s(o.type),
  },
  'custom',
);

function eventValidate(o: KubeObject): FieldCause[] {
  const out: FieldCause[] = [];
  const io = rec(o.involvedObject);
  const ns = o.metadata.namespace ?? '';
  if (s(io.namespace) !== '' && s(io.namespace) !== ns)
    out.push(fe.invalid('involvedObject.namespace', s(io.namespace), 'does not match event.namespace'));
  return out;
}

const coreEventColumns: BuiltinColumn[] = [
  {
    def: { name: 'Last Seen', type: 'string', description: 'Time since the last occurrence.' },
    cell: (o, now) => humanAge(s(o.lastTimestamp) || s(o.eventTime) || s(o.metadata.creationTimestamp), now),
  },
  { def: { name: 'Type', type: 'string', description: 'Type of this event (Normal, Warning).' }, cell: (o) => s(o.type) },
  { def: { name: 'Reason', type: 'string', description: 'A short, machine understandable reason.' }, cell: (o) => s(o.reason) },
  {
    def: { name: 'Object', type: 'string', description: 'The object that this event is about.' },
    cell: (o) => `${ref(o, 'involvedObject', 'kind').toLowerCase()}/${ref(o, 'involvedObject', 'name')}`,
  },
  {
    def: { name: 'Message', type: 'string', description: 'A human-readable description of the status of this operation.' },
    cell: (o) => s(o.message),
  },
];

const coreEvents = make({
  group: '',
  version: 'v1',
  resource: 'events',
  kind: 'Event',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  schema: 'io.k8s.api.core.v1.Event',
  strategy: {
    ...base(),
    allowCreateOnUpdate: true,
    gcSupported: false,
    nameValidation: nameIsPathSegment,
    validate: eventValidate,
    validateUpdate: (o) => eventValidate(o),
  },
  columns: coreEventColumns,
  fieldLabels: coreEventLabels,
});

const EVENT_RENAMES: Array<[string, string]> = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
];

/** CoreToEventsV1 converts a stored core/v1 Event to events.k8s.io/v1. */
function coreToEventsV1(o: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: o.metadata };
  for (const [k, v] of Object.entries(o)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    const rename = EVENT_RENAMES.find(([c]) => c === k);
    out[rename === undefined ? k : rename[1]] = v;
  }
  return out;
}

function eventsV1ToCore(o: KubeObject): KubeObject {
  const out = { metadata: o.metadata } as KubeObject;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    const rename = EVENT_RENAMES.find(([, e]) => e === k);
    out[rename === undefined ? k : rename[0]] = v;
  }
  if (out.involvedObject === undefined) out.involvedObject = {};
  return out;
}

const eventsV1 = make({
  group: 'events.k8s.io',
  version: 'v1',
  resource: 'events',
  kind: 'Event',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  schema: 'io.k8s.api.events.v1.Event',
  bucket: '/events',
  storageVersion: 'v1',
  strategy: {
    ...base(),
    allowCreateOnUpdate: true,
    gcSupported: false,
    nameValidation: nameIsPathSegment,
    validate: (o) => (o.eventTime === undefined || o.eventTime === null ? [fe.required('eventTime')] : []),
  },
  columns: coreEventColumns,
  fieldLabels: metaFieldLabels(true, {}, 'custom'),
  toStorage: eventsV1ToCore,
  fromStorage: coreToEventsV1,
});

// --- leases -------------------------------------------------------------------------------------

const leases = make({
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  kind: 'Lease',
  singular: 'lease',
  namespaced: true,
  schema: 'io.k8s.api.coordination.v1.Lease',
  strategy: {
    ...base(),
    allowCreateOnUpdate: true,
    allowUnconditionalUpdate: false,
    nameValidation: nameIsDNSSubdomain,
    validate: (o) => {
      const out: FieldCause[] = [];
      const spec = rec(o.spec);
      if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0)
        out.push(fe.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
      if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0)
        out.push(fe.invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
      return out;
    },
  },
  columns: [
    nameColumn,
    { def: { name: 'Holder', type: 'string', description: 'The holder of the lease.' }, cell: (o) => s(rec(o.spec).holderIdentity) },
    ageColumn,
  ],
  fieldLabels: metaFieldLabels(true),
});

// --- CRDs ---------------------------------------------------------------------------------------

const AGE_CREATED = 'CreationTimestamp is a timestamp representing the server time when this object was created.';

export const CRD_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

const crds = make({
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  singular: 'customresourcedefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  subresources: ['status'],
  schema: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
  strategy: {
    ...base(),
    allowUnconditionalUpdate: false,
    generation: true,
    statusSubresource: true,
    nameValidation: nameIsDNSSubdomain,
    prepareForCreate: (o) => {
      const versions = Array.isArray(rec(o.spec).versions) ? (rec(o.spec).versions as Record<string, unknown>[]) : [];
      const storage = versions.find((v) => v.storage === true);
      o.status = {
        acceptedNames: { plural: '', kind: '' },
        storedVersions: storage === undefined ? [] : [s(storage.name)],
      };
    },
    prepareForUpdate: (o, old) => {
      o.status = structuredClone(old.status);
      const versions = Array.isArray(rec(o.spec).versions) ? (rec(o.spec).versions as Record<string, unknown>[]) : [];
      const storage = versions.find((v) => v.storage === true);
      const status = rec(o.status);
      const stored = Array.isArray(status.storedVersions) ? (status.storedVersions as string[]) : [];
      if (storage !== undefined && !stored.includes(s(storage.name))) status.storedVersions = [...stored, s(storage.name)];
    },
    nameValidationFor: (o) => (name, prefix) => {
      const errs = nameIsDNSSubdomain(name, prefix);
      const spec = rec(o.spec);
      if (name !== `${s(rec(spec.names).plural)}.${s(spec.group)}`) errs.push('must be spec.names.plural+"."+spec.group');
      return errs;
    },
    validate: (o) => validateCrdMemo(o),
    validateUpdate: (o, old) => schemaLibrary.validateCrd(o, { old }),
  },
  columns: [
    nameColumn,
    {
      def: { name: 'Created At', type: 'date', description: AGE_CREATED },
      cell: (o) => s(o.metadata.creationTimestamp),
    },
  ],
  fieldLabels: metaFieldLabels(false),
});

/**
 * ValidateCrdMemo validates a new CRD, remembering recent answers: validation is a pure function
 * of the CRD's annotations, spec and status, and a client that dry-runs its creates before making
 * them (the package manager dry-runs every CRD of a package, then creates them) asks twice.
 * Compiling and checking a large schema costs milliseconds; hashing its JSON text microseconds.
 * Answers are kept by SHA-256 of that text, at most 4,096 (a few hundred KiB).
 */
const crdValidations = new Map<string, FieldCause[]>();
function validateCrdMemo(o: KubeObject): FieldCause[] {
  let key: string;
  try {
    key = createHash('sha256')
      .update(JSON.stringify([o.metadata.annotations ?? null, o.spec ?? null, o.status ?? null]))
      .digest('base64');
  } catch {
    // Too deep to serialize: validation reports what is wrong with it; nothing to remember.
    return schemaLibrary.validateCrd(o);
  }
  let causes = crdValidations.get(key);
  if (causes === undefined) {
    causes = schemaLibrary.validateCrd(o);
    if (crdValidations.size >= 4096) crdValidations.delete(crdValidations.keys().next().value as string);
    crdValidations.set(key, causes);
  }
  return causes.map((c) => ({ ...c }));
}

/** BuiltinTypes lists every built-in resource the embedded server serves, in discovery order. */
export function builtinTypes(): ResourceType[] {
  return [configMaps, coreEvents, namespaces, secrets, serviceAccounts, crds, leases, eventsV1];
}

export { ALL_VERBS };
