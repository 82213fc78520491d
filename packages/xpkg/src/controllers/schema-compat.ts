import type { KubeObject } from '@trellis/sdk';

/**
 * Schema compatibility between what is installed and what a package revision would install, for
 * CRDs and XRDs. A change is breaking when it stops serving a version that is served now, or when
 * it removes a field (a property path of a served version) that existing objects use.
 */

/** A SchemaChange is one breaking difference. */
export interface SchemaChange {
  object: string;
  kind: 'dropped-version' | 'dropped-field';
  version: string;
  /** Path is the dropped field (`spec.forProvider.region`), for dropped-field. */
  path?: string;
  message: string;
}

interface VersionSchema {
  name: string;
  served: boolean;
  schema: unknown;
}

function versionsOf(o: KubeObject): VersionSchema[] {
  const spec = (o.spec ?? {}) as {
    versions?: { name?: string; served?: boolean; schema?: { openAPIV3Schema?: unknown } }[];
    validation?: { openAPIV3Schema?: unknown };
  };
  return (spec.versions ?? []).map((v) => ({
    name: v.name ?? '',
    served: v.served !== false,
    schema: v.schema?.openAPIV3Schema ?? spec.validation?.openAPIV3Schema,
  }));
}

/** SchemaPaths lists the property paths of an OpenAPI schema (`spec.a`, `spec.list[].b`). */
export function schemaPaths(schema: unknown, prefix = '', out = new Set<string>(), depth = 0): Set<string> {
  if (depth > 32 || typeof schema !== 'object' || schema === null) return out;
  const s = schema as {
    properties?: Record<string, unknown>;
    items?: unknown;
    'x-kubernetes-preserve-unknown-fields'?: boolean;
    additionalProperties?: unknown;
  };
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    out.add(p);
    schemaPaths(v, p, out, depth + 1);
  }
  if (s.items !== undefined) schemaPaths(s.items, `${prefix}[]`, out, depth + 1);
  return out;
}

function isOpenBelow(schema: unknown, path: string): boolean {
  let cur: unknown = schema;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return false;
    const c = cur as { properties?: Record<string, unknown>; items?: unknown; 'x-kubernetes-preserve-unknown-fields'?: boolean };
    if (c['x-kubernetes-preserve-unknown-fields'] === true) return true;
    const name = part.replace(/\[\]$/, '');
    cur = c.properties?.[name];
    if (part.endsWith('[]')) cur = (cur as { items?: unknown } | undefined)?.items;
  }
  return (
    typeof cur === 'object' &&
    cur !== null &&
    (cur as { 'x-kubernetes-preserve-unknown-fields'?: boolean })['x-kubernetes-preserve-unknown-fields'] === true
  );
}

/**
 * CompareSchemas returns the breaking changes from `current` to `next` (same CRD or XRD name).
 * `inUse(version, path)` says whether any existing object of that version sets the path; only
 * dropped fields in use are breaking.
 */
export function compareSchemas(current: KubeObject, next: KubeObject, inUse: (version: string, path: string) => boolean): SchemaChange[] {
  const name = `${current.kind} "${current.metadata.name ?? ''}"`;
  const out: SchemaChange[] = [];
  const nextVersions = new Map(versionsOf(next).map((v) => [v.name, v]));
  for (const v of versionsOf(current)) {
    if (!v.served) continue;
    const nv = nextVersions.get(v.name);
    if (nv === undefined || !nv.served) {
      out.push({ object: name, kind: 'dropped-version', version: v.name, message: `${name} would stop serving version ${v.name}` });
      continue;
    }
    const before = schemaPaths(v.schema);
    const after = schemaPaths(nv.schema);
    for (const p of [...before].sort()) {
      if (after.has(p) || isOpenBelow(nv.schema, p)) continue;
      const parent = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '';
      if (parent !== '' && !after.has(parent) && before.has(parent)) continue; // reported at the parent
      if (!inUse(v.name, p)) continue;
      out.push({
        object: name,
        kind: 'dropped-field',
        version: v.name,
        path: p,
        message: `${name} version ${v.name} would drop field ${p}, which existing objects use`,
      });
    }
  }
  return out;
}

/** HasPath reports whether an object sets a property path (`spec.list[].b` matches any item). */
export function hasPath(obj: unknown, path: string): boolean {
  const parts = path.split('.');
  const walk = (cur: unknown, i: number): boolean => {
    if (i === parts.length) return cur !== undefined;
    if (typeof cur !== 'object' || cur === null) return false;
    const part = parts[i] ?? '';
    const isList = part.endsWith('[]');
    const key = isList ? part.slice(0, -2) : part;
    const next = (cur as Record<string, unknown>)[key];
    if (next === undefined) return false;
    if (!isList) return walk(next, i + 1);
    return Array.isArray(next) && next.some((item) => walk(item, i + 1));
  };
  return walk(obj, 0);
}
