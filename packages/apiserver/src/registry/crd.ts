import type { KubeObject } from '@trellis/sdk';
import { compileJsonPath, evalJsonPath } from '../api/jsonpath.ts';
import { nameIsDNSSubdomain } from '../api/objectmeta.ts';
import { ageColumn, crdConvertor } from '../api/table.ts';
import type { JSONSchemaProps } from '../contracts.ts';
import { applyLibrary, schemaLibrary } from '../libraries.ts';
import { ALL_VERBS } from './builtins.ts';
import { OBJECT_META } from './schemas.ts';
import type { PrinterColumn, ResourceType, ScaleSubresource } from './types.ts';

const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const s = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** CrdNames is `spec.names` with the server-side defaults filled in. */
export interface CrdNames {
  plural: string;
  singular: string;
  kind: string;
  listKind: string;
  shortNames: string[];
  categories: string[];
}

export function crdNames(crd: KubeObject): CrdNames {
  const n = rec(rec(crd.spec).names);
  const kind = s(n.kind);
  return {
    plural: s(n.plural),
    singular: s(n.singular) || kind.toLowerCase(),
    kind,
    listKind: s(n.listKind) || `${kind}List`,
    shortNames: strs(n.shortNames),
    categories: strs(n.categories),
  };
}

export function crdGroup(crd: KubeObject): string {
  return s(rec(crd.spec).group);
}

export function crdVersions(crd: KubeObject): Record<string, unknown>[] {
  const v = rec(crd.spec).versions;
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
}

export function storageVersionOf(crd: KubeObject): string {
  return s(crdVersions(crd).find((v) => v.storage === true)?.name);
}

export function crdCondition(crd: KubeObject, type: string): Record<string, unknown> | undefined {
  const conds = rec(crd.status).conditions;
  return Array.isArray(conds) ? (conds as Record<string, unknown>[]).find((c) => c.type === type) : undefined;
}

export function isEstablished(crd: KubeObject): boolean {
  return crdCondition(crd, 'Established')?.status === 'True';
}

/** Cache holds, per CRD uid, the types compiled for its newest generation seen (one entry per CRD). */
const cache = new Map<string, { key: string; types: ResourceType[] }>();

/**
 * CrdResourceTypes builds the ResourceTypes a CRD serves (one per served version), compiling each
 * version's schema once per CRD uid and generation.
 */
export function crdResourceTypes(crd: KubeObject): ResourceType[] {
  const uid = crd.metadata.uid ?? '';
  const cacheKey = `${crd.metadata.name ?? ''}/${String(crd.metadata.generation ?? 0)}/${crd.metadata.deletionTimestamp ?? ''}`;
  const hit = cache.get(uid);
  if (hit !== undefined && hit.key === cacheKey) return hit.types;
  const group = crdGroup(crd);
  const names = crdNames(crd);
  const namespaced = s(rec(crd.spec).scope) === 'Namespaced';
  const storage = storageVersionOf(crd);
  const terminating = typeof crd.metadata.deletionTimestamp === 'string';
  const out: ResourceType[] = [];
  for (const v of crdVersions(crd)) {
    if (v.served !== true) continue;
    const version = s(v.name);
    const apiVersion = `${group}/${version}`;
    const schema = rec(rec(v.schema).openAPIV3Schema) as JSONSchemaProps;
    const hasSchema = Object.keys(schema).length > 0;
    const subs = rec(v.subresources);
    const subresources: string[] = [];
    if (subs.status !== undefined && subs.status !== null) subresources.push('status');
    let scale: ScaleSubresource | undefined;
    if (subs.scale !== undefined && subs.scale !== null) {
      subresources.push('scale');
      const sc = rec(subs.scale);
      scale = { specReplicasPath: s(sc.specReplicasPath), statusReplicasPath: s(sc.statusReplicasPath) };
      if (typeof sc.labelSelectorPath === 'string') scale.labelSelectorPath = sc.labelSelectorPath;
    }
    const statusSubresource = subresources.includes('status');
    const columns = printerColumns(v);
    const selectable = strs(
      (Array.isArray(v.selectableFields) ? (v.selectableFields as Record<string, unknown>[]) : []).map((f) => f.jsonPath),
    );
    const compiled = schemaLibrary.compileVersionSchema(
      hasSchema ? schema : undefined,
      scale === undefined ? { group, version, kind: names.kind, namespaced } : { group, version, kind: names.kind, namespaced, scale },
    );
    // Reads apply the schema's defaults, as kube-apiserver's storage codec does on every decode:
    // objects stored before the CRD gained a default, and a status the create dropped, read defaulted.
    const setVersion = compiled.hasDefaults
      ? (o: KubeObject): KubeObject => {
          o.apiVersion = apiVersion;
          compiled.applyDefaults(o);
          return o;
        }
      : (o: KubeObject): KubeObject => {
          o.apiVersion = apiVersion;
          return o;
        };
    const toStorageVersion = (o: KubeObject): KubeObject => {
      o.apiVersion = `${group}/${storage}`;
      return o;
    };
    const deprecationWarning =
      v.deprecated === true
        ? typeof v.deprecationWarning === 'string'
          ? v.deprecationWarning
          : `${apiVersion} ${names.kind} is deprecated`
        : undefined;
    const rt: ResourceType = {
      group,
      version,
      resource: names.plural,
      kind: names.kind,
      listKind: names.listKind,
      singular: names.singular,
      namespaced,
      shortNames: names.shortNames,
      categories: names.categories,
      verbs: ALL_VERBS,
      subresources,
      bucket: `${group}/${names.plural}`,
      storageVersion: storage,
      strategy: {
        allowCreateOnUpdate: false,
        allowUnconditionalUpdate: false,
        returnDeletedObject: false,
        gcSupported: true,
        generation: true,
        statusSubresource,
        nameValidation: nameIsDNSSubdomain,
        prepareForCreate: (o) => {
          if (statusSubresource) delete o.status;
        },
        prepareForUpdate: (o, old) => {
          if (!statusSubresource) return;
          if (old.status !== undefined) o.status = old.status;
          else delete o.status;
        },
        warnings: finalizerWarnings,
      },
      openapiSchema: crOpenapiSchema(schema, group, version, names.kind),
      compiled,
      typeInfo: applyLibrary.typeInfoFromSchema(hasSchema ? schema : undefined),
      table: crdConvertor(columns),
      fieldLabels: crFieldLabels(namespaced, selectable),
      scale,
      builtin: false,
      crd:
        deprecationWarning === undefined
          ? { name: crd.metadata.name ?? '', uid: crd.metadata.uid ?? '', terminating }
          : { name: crd.metadata.name ?? '', uid: crd.metadata.uid ?? '', terminating, deprecationWarning },
      toStorage: toStorageVersion,
      fromStorage: setVersion,
    };
    out.push(rt);
  }
  cache.set(uid, { key: cacheKey, types: out });
  return out;
}

/** ForgetCrd drops the compiled types of a CRD (after a change or deletion). */
export function forgetCrdCache(uid: string): void {
  cache.delete(uid);
}

function printerColumns(v: Record<string, unknown>): PrinterColumn[] {
  const cols = Array.isArray(v.additionalPrinterColumns) ? (v.additionalPrinterColumns as Record<string, unknown>[]) : [];
  if (cols.length === 0)
    return [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: ageColumn.def.description ?? '' }];
  return cols.map((c) => {
    const col: PrinterColumn = { name: s(c.name), type: s(c.type), jsonPath: s(c.jsonPath) };
    if (typeof c.format === 'string') col.format = c.format;
    if (typeof c.description === 'string') col.description = c.description;
    if (typeof c.priority === 'number') col.priority = c.priority;
    return col;
  });
}

function crFieldLabels(namespaced: boolean, selectable: string[]): ResourceType['fieldLabels'] {
  const paths = selectable.map((p) => {
    try {
      return { name: p.replace(/^\./, ''), steps: compileJsonPath(p) };
    } catch {
      return undefined;
    }
  });
  const names = [
    'metadata.name',
    ...(namespaced ? ['metadata.namespace'] : []),
    ...paths.filter((p) => p !== undefined).map((p) => p.name),
  ];
  return {
    names,
    get: (o) => {
      const out: Record<string, string> = { 'metadata.name': o.metadata.name ?? '' };
      if (namespaced) out['metadata.namespace'] = o.metadata.namespace ?? '';
      for (const p of paths) {
        if (p === undefined) continue;
        const r = evalJsonPath(p.steps, o);
        out[p.name] = r.length > 0 && r[0] !== null && r[0] !== undefined ? String(r[0]) : '';
      }
      return out;
    },
    unsupported: (label) => `field label not supported: ${label}`,
  };
}

function crOpenapiSchema(schema: JSONSchemaProps, group: string, version: string, kind: string): JSONSchemaProps {
  const props = { ...rec(schema.properties) };
  props.apiVersion = {
    type: 'string',
    description:
      'APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
  };
  props.kind = {
    type: 'string',
    description:
      'Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
  };
  props.metadata = {
    allOf: [{ $ref: `#/components/schemas/${OBJECT_META}` }],
    description:
      "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  };
  const out: JSONSchemaProps = {
    ...schema,
    type: 'object',
    properties: props,
    'x-kubernetes-group-version-kind': [{ group, kind, version }],
  };
  if (Object.keys(schema).length === 0) out['x-kubernetes-preserve-unknown-fields'] = true;
  return out;
}

export function getPath(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const p of path.replace(/^\./, '').split('.')) {
    if (p === '') continue;
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

export function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let cur = o;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i] as string;
    if (typeof cur[p] !== 'object' || cur[p] === null || Array.isArray(cur[p])) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1] as string] = value;
}

const STANDARD_FINALIZERS = new Set(['orphan', 'foregroundDeletion', 'kubernetes']);

function finalizerWarnings(o: KubeObject, old: KubeObject | undefined): string[] {
  const oldF = new Set(old?.metadata.finalizers ?? []);
  const added = [...new Set(o.metadata.finalizers ?? [])].filter((f) => !oldF.has(f)).sort();
  const out: string[] = [];
  for (const f of added) {
    if (f.split('/').length === 1 && !STANDARD_FINALIZERS.has(f)) {
      out.push(
        f.includes('.')
          ? `metadata.finalizers: ${JSON.stringify(f)}: prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers`
          : `metadata.finalizers: ${JSON.stringify(f)}: prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers`,
      );
    }
  }
  return out;
}
