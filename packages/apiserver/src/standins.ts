import type { KubeObject } from '@trellis/sdk';
import { fe } from './api/errors.ts';
import type {
  ApplyArgs,
  ApplyLibrary,
  CompiledSchema,
  FieldCause,
  JSONSchemaProps,
  ManagedFieldsEntry,
  SchemaContext,
  SchemaLibrary,
  TypeInfo,
  UpdateArgs,
} from './contracts.ts';

/**
 * Minimal stand-ins for the schema and apply libraries (src/schema, src/apply), used until those
 * land: structural pruning and defaulting, the common OpenAPI keywords, and a last-writer-wins
 * apply that records ownership without conflicts. `src/libraries.ts` chooses the real ones.
 */

type S = JSONSchemaProps;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function prune(v: unknown, s: S | undefined, path: string, out: string[], root: boolean): void {
  if (s === undefined || s['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (isObj(v)) {
    const props = isObj(s.properties) ? (s.properties as Record<string, S>) : undefined;
    const addl = s.additionalProperties;
    for (const k of Object.keys(v)) {
      if (root && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) continue;
      const child = props?.[k] ?? (isObj(addl) ? (addl as S) : undefined);
      if (child === undefined && addl !== true) {
        out.push(join(path, k));
        delete v[k];
        continue;
      }
      prune(v[k], child, join(path, k), out, false);
    }
  } else if (Array.isArray(v) && isObj(s.items)) {
    for (const [i, item] of v.entries()) prune(item, s.items as S, `${path}[${i}]`, out, false);
  }
}

function defaults(v: unknown, s: S | undefined): void {
  if (s === undefined || !isObj(v)) return;
  const props = isObj(s.properties) ? (s.properties as Record<string, S>) : {};
  for (const [k, ps] of Object.entries(props)) {
    if ((v[k] === undefined || v[k] === null) && ps.default !== undefined) v[k] = structuredClone(ps.default);
    if (isObj(v[k])) defaults(v[k], ps);
    else if (Array.isArray(v[k]) && isObj(ps.items)) for (const it of v[k] as unknown[]) defaults(it, ps.items as S);
  }
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function validate(v: unknown, s: S | undefined, path: string, out: FieldCause[]): void {
  if (s === undefined) return;
  if (v === null) {
    if (s.nullable !== true && s['x-kubernetes-preserve-unknown-fields'] !== true) {
      out.push(fe.typeInvalid(path, 'null', `${path} in body must be of type ${String(s.type ?? 'object')}: "null"`));
    }
    return;
  }
  const t = s.type as string | undefined;
  const actual = typeOf(v);
  if (s['x-kubernetes-int-or-string'] === true) {
    if (actual !== 'integer' && actual !== 'string')
      out.push(fe.typeInvalid(path, actual, `${path} in body must be of type integer or string: "${actual}"`));
    return;
  }
  if (t !== undefined && !(t === actual || (t === 'number' && actual === 'integer'))) {
    out.push(fe.typeInvalid(path, actual, `${path} in body must be of type ${t}: "${actual}"`));
    return;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v)))
    out.push(
      fe.notSupported(
        path,
        v,
        s.enum.map((e) => String(e)),
      ),
    );
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum)
      out.push(fe.invalid(path, v, `${path} in body should be greater than or equal to ${s.minimum}`));
    if (typeof s.maximum === 'number' && v > s.maximum)
      out.push(fe.invalid(path, v, `${path} in body should be less than or equal to ${s.maximum}`));
  }
  if (typeof v === 'string') {
    if (typeof s.maxLength === 'number' && [...v].length > s.maxLength) out.push(fe.tooLong(path, s.maxLength));
    if (typeof s.minLength === 'number' && [...v].length < s.minLength)
      out.push(fe.invalid(path, v, `${path} in body should be at least ${s.minLength} chars long`));
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v))
      out.push(fe.invalid(path, v, `${path} in body should match '${s.pattern}'`));
  }
  if (isObj(v)) {
    const props = isObj(s.properties) ? (s.properties as Record<string, S>) : {};
    for (const r of Array.isArray(s.required) ? (s.required as string[]) : []) if (v[r] === undefined) out.push(fe.required(join(path, r)));
    for (const [k, child] of Object.entries(v)) {
      if (path === '' && (k === 'metadata' || k === 'apiVersion' || k === 'kind')) continue;
      const cs = props[k] ?? (isObj(s.additionalProperties) ? (s.additionalProperties as S) : undefined);
      validate(child, cs, join(path, k), out);
    }
  }
  if (Array.isArray(v)) {
    if (typeof s.maxItems === 'number' && v.length > s.maxItems)
      out.push(fe.invalid(path, v.length, `must have at most ${s.maxItems} items`));
    if (isObj(s.items)) for (const [i, it] of v.entries()) validate(it, s.items as S, `${path}[${i}]`, out);
  }
}

export const standinSchemaLibrary: SchemaLibrary = {
  validateCrd(crd: KubeObject): FieldCause[] {
    const out: FieldCause[] = [];
    const spec = isObj(crd.spec) ? crd.spec : {};
    const names = isObj(spec.names) ? spec.names : {};
    if (typeof spec.group !== 'string' || spec.group === '') out.push(fe.required('spec.group'));
    if (typeof names.plural !== 'string' || names.plural === '') out.push(fe.required('spec.names.plural'));
    if (typeof names.kind !== 'string' || names.kind === '') out.push(fe.required('spec.names.kind'));
    if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
      out.push(fe.notSupported('spec.scope', spec.scope ?? '', ['Cluster', 'Namespaced']));
    const versions = Array.isArray(spec.versions) ? (spec.versions as Record<string, unknown>[]) : [];
    if (versions.length === 0) out.push(fe.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
    const storage = versions.filter((v) => v.storage === true).length;
    if (versions.length > 0 && storage !== 1)
      out.push(fe.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
    const want = `${String(names.plural ?? '')}.${String(spec.group ?? '')}`;
    if (crd.metadata.name !== want)
      out.push(fe.invalid('metadata.name', crd.metadata.name ?? '', `must be spec.names.plural+"."+spec.group`));
    return out;
  },
  compileVersionSchema(schema: JSONSchemaProps | undefined, _ctx: SchemaContext): CompiledSchema {
    return {
      validate: (obj) => {
        const out: FieldCause[] = [];
        validate(obj, schema, '', out);
        return out;
      },
      prune: (obj) => {
        const pruned: string[] = [];
        prune(obj, schema, '', pruned, true);
        return { pruned };
      },
      applyDefaults: (obj) => defaults(obj, schema),
    };
  },
};

/** FieldsOf builds a FieldsV1 set covering every leaf of `v` (maps granular, lists atomic). */
function fieldsOf(v: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObj(v)) return out;
  for (const [k, child] of Object.entries(v)) out[`f:${k}`] = isObj(child) && Object.keys(child).length > 0 ? fieldsOf(child) : {};
  return out;
}

function ownedFields(obj: KubeObject, scope: ApplyArgs['scope']): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...obj };
  delete copy.apiVersion;
  delete copy.kind;
  const meta = isObj(copy.metadata) ? { ...copy.metadata } : {};
  for (const k of [
    'name',
    'namespace',
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'managedFields',
    'deletionTimestamp',
    'selfLink',
  ])
    delete meta[k];
  copy.metadata = meta;
  if (Object.keys(meta).length === 0) delete copy.metadata;
  if (scope === 'no-status') delete copy.status;
  if (scope === 'status-only') return isObj(copy.status) ? { 'f:status': fieldsOf(copy.status) } : {};
  return fieldsOf(copy);
}

function merge(live: unknown, applied: unknown): unknown {
  if (!isObj(live) || !isObj(applied)) return structuredClone(applied);
  const out: Record<string, unknown> = { ...live };
  for (const [k, v] of Object.entries(applied)) out[k] = merge(live[k], v);
  return out;
}

function upsert(entries: ManagedFieldsEntry[], e: ManagedFieldsEntry): ManagedFieldsEntry[] {
  const rest = entries.filter(
    (x) =>
      !(
        x.manager === e.manager &&
        x.operation === e.operation &&
        (x.subresource ?? '') === (e.subresource ?? '') &&
        (e.operation === 'Apply' || x.apiVersion === e.apiVersion)
      ),
  );
  return Object.keys(e.fieldsV1).length === 0 ? rest : [...rest, e];
}

export const standinApplyLibrary: ApplyLibrary = {
  serverSideApply(args: ApplyArgs): { object: KubeObject } {
    const live = args.live ?? ({ apiVersion: args.applied.apiVersion, kind: args.applied.kind, metadata: {} } as KubeObject);
    const applied = structuredClone(args.applied);
    if (args.scope === 'status-only') {
      const next = structuredClone(live);
      if (applied.status !== undefined) next.status = merge(live.status, applied.status);
      applied.metadata = {};
      return finish(next);
    }
    const next = merge(live, applied) as KubeObject;
    return finish(next);

    function finish(next: KubeObject): { object: KubeObject } {
      const prior = (Array.isArray(live.metadata.managedFields) ? live.metadata.managedFields : []) as ManagedFieldsEntry[];
      const entry: ManagedFieldsEntry = {
        manager: args.manager,
        operation: 'Apply',
        apiVersion: args.apiVersion,
        time: args.now,
        fieldsType: 'FieldsV1',
        fieldsV1: ownedFields(args.applied, args.scope),
      };
      if (args.subresource !== '') entry.subresource = args.subresource;
      next.metadata.managedFields = upsert(prior, entry);
      return { object: next };
    }
  },
  trackUpdate(args: UpdateArgs): ManagedFieldsEntry[] {
    const oldMf = (Array.isArray(args.old?.metadata.managedFields) ? args.old.metadata.managedFields : []) as ManagedFieldsEntry[];
    const reqMf = args.new.metadata.managedFields;
    let base = oldMf;
    if (Array.isArray(reqMf) && JSON.stringify(reqMf) !== JSON.stringify(oldMf)) {
      base = (reqMf as ManagedFieldsEntry[]).filter((e) => isObj(e) && typeof e.manager === 'string');
    }
    if (
      args.old !== undefined &&
      JSON.stringify({ ...args.old, metadata: undefined }) === JSON.stringify({ ...args.new, metadata: undefined }) &&
      sameMeta(args.old, args.new)
    )
      return base;
    const entry: ManagedFieldsEntry = {
      manager: args.manager,
      operation: 'Update',
      apiVersion: args.apiVersion,
      time: args.now,
      fieldsType: 'FieldsV1',
      fieldsV1: ownedFields(args.new, args.scope),
    };
    if (args.subresource !== '') entry.subresource = args.subresource;
    return upsert(base, entry);
  },
  typeInfoFromSchema(_schema: JSONSchemaProps | undefined): TypeInfo {
    return {};
  },
  builtinTypeInfo(_group: string, _kind: string): TypeInfo {
    return {};
  },
};

function sameMeta(a: KubeObject, b: KubeObject): boolean {
  const strip = (m: Record<string, unknown>): string => JSON.stringify({ ...m, managedFields: undefined, resourceVersion: undefined });
  return strip(a.metadata) === strip(b.metadata);
}
