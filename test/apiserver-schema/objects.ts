// Runs one object case of the corpus against the real kube-apiserver and through the schema
// library the way the embedded server's core uses it (prune → defaults → strategy → validate),
// and returns both outcomes for comparison.

import type { KubeObject } from '@trellis/sdk';
import { compileVersionSchema } from '../../packages/apiserver/src/schema/index.ts';
import type { Cause, ObjectCase } from './corpus.ts';
import type { RawClient, RawResponse } from './raw.ts';

export interface InstalledCrd {
  group: string;
  version: string;
  kind: string;
  plural: string;
  crd: Record<string, unknown>;
  statusSubresource: boolean;
  schema: Record<string, unknown> | undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** InstallCrd creates the suite's CRD under a unique group and waits until its resource is served. */
export async function installCrd(client: RawClient, crdIn: Record<string, unknown>, group: string): Promise<InstalledCrd> {
  const crd = structuredClone(crdIn);
  crd.apiVersion = 'apiextensions.k8s.io/v1';
  crd.kind = 'CustomResourceDefinition';
  const spec = crd.spec as Record<string, unknown>;
  spec.group = group;
  spec.scope ??= 'Namespaced';
  const names = spec.names as Record<string, string>;
  crd.metadata = { name: `${names.plural}.${group}` };
  const res = await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  if (res.status !== 201) throw new Error(`cannot create CRD: ${res.status} ${JSON.stringify(res.body)}`);
  const versions = spec.versions as Record<string, unknown>[];
  const storage = versions.find((v) => v.storage === true) ?? versions[0] ?? {};
  const version = String(storage.name);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await client.request('GET', `/apis/${group}/${version}/namespaces/default/${names.plural}?limit=1`);
    if (r.status === 200) break;
    if (Date.now() > deadline) throw new Error(`CRD ${names.plural}.${group} not served: ${r.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const schema = isRecord(storage.schema) ? (storage.schema.openAPIV3Schema as Record<string, unknown>) : undefined;
  const sub = isRecord(storage.subresources) ? storage.subresources : {};
  return { group, version, kind: String(names.kind), plural: String(names.plural), crd, statusSubresource: isRecord(sub.status), schema };
}

export interface Outcome {
  status: number;
  causes: Cause[];
  /** Unknown are the unknown-field paths (strict errors or warnings). */
  unknown: string[];
  /** Result is the object as stored (dry run), for successful writes. */
  result: Record<string, unknown> | undefined;
}

function unknownOf(res: RawResponse): string[] {
  const texts = res.warnings.map((w) => w.replaceAll('\\"', '"'));
  if (res.status === 400 || res.status === 422) texts.push(String(res.body.message ?? ''));
  const out: string[] = [];
  for (const t of texts) for (const m of t.matchAll(/unknown field "([^"]*)"/g)) out.push(m[1] ?? '');
  return out.sort();
}

/** RunReal sends the case to the real server. */
export async function runReal(
  client: RawClient,
  crd: InstalledCrd,
  c: ObjectCase,
  name: string,
): Promise<{ outcome: Outcome; storedOld: Record<string, unknown> | undefined }> {
  const base = `/apis/${crd.group}/${crd.version}/namespaces/default/${crd.plural}`;
  const fv = c.fieldValidation ?? 'Ignore';
  let storedOld: Record<string, unknown> | undefined;
  let res: RawResponse;
  const body = fill(c.object, crd, name);
  if (c.old !== undefined) {
    const created = await client.request('POST', `${base}?fieldValidation=Ignore`, fill(c.old, crd, name));
    if (created.status !== 201) throw new Error(`cannot create old object: ${created.status} ${JSON.stringify(created.body)}`);
    storedOld = created.body;
    if (c.old.status !== undefined && crd.statusSubresource) {
      const withStatus = { ...created.body, status: c.old.status };
      const st = await client.request('PUT', `${base}/${name}/status?fieldValidation=Ignore`, withStatus);
      if (st.status !== 200) throw new Error(`cannot set old status: ${st.status} ${JSON.stringify(st.body)}`);
      storedOld = st.body;
    }
    const meta = body.metadata as Record<string, unknown>;
    meta.resourceVersion = (storedOld.metadata as Record<string, unknown>).resourceVersion;
    const sub = c.subresource === 'status' ? '/status' : '';
    res = await client.request('PUT', `${base}/${name}${sub}?dryRun=All&fieldValidation=${fv}`, body);
  } else {
    res = await client.request('POST', `${base}?dryRun=All&fieldValidation=${fv}`, body);
  }
  const causes = res.status === 422 ? ((res.body.details as { causes?: Cause[] } | undefined)?.causes ?? []) : [];
  return { outcome: { status: res.status, causes, unknown: unknownOf(res), result: res.status < 300 ? res.body : undefined }, storedOld };
}

/** Fill completes apiVersion, kind and metadata of a corpus object. */
export function fill(obj: Record<string, unknown>, crd: InstalledCrd, name: string): Record<string, unknown> {
  const o = structuredClone(obj);
  o.apiVersion ??= `${crd.group}/${crd.version}`;
  o.kind ??= crd.kind;
  const meta = isRecord(o.metadata) ? o.metadata : {};
  meta.name ??= name;
  meta.namespace ??= 'default';
  o.metadata = meta;
  return o;
}

/** RunMine processes the case with the library as the core does. */
export function runMine(crd: InstalledCrd, c: ObjectCase, name: string, storedOld: Record<string, unknown> | undefined): Outcome {
  const schema = compileVersionSchema(crd.schema, { group: crd.group, version: crd.version, kind: crd.kind, namespaced: true });
  const body = fill(c.object, crd, name) as unknown as KubeObject;
  const { pruned } = schema.prune(body);
  schema.applyDefaults(body);
  const fv = c.fieldValidation ?? 'Ignore';
  if (fv === 'Strict' && pruned.length > 0) {
    return { status: c.old === undefined ? 400 : 400, causes: [], unknown: [...pruned].sort(), result: undefined };
  }
  let obj = body as unknown as Record<string, unknown>;
  if (storedOld === undefined) {
    if (crd.statusSubresource) delete obj.status;
  } else if (c.subresource === 'status') {
    const merged = structuredClone(storedOld);
    if (Object.hasOwn(obj, 'status')) merged.status = obj.status;
    else delete merged.status;
    obj = merged;
  } else if (crd.statusSubresource) {
    if (Object.hasOwn(storedOld, 'status')) obj.status = structuredClone(storedOld.status);
    else delete obj.status;
  }
  const causes = schema.validate(obj as unknown as KubeObject, {
    ...(storedOld === undefined ? {} : { old: storedOld as unknown as KubeObject }),
    ...(c.subresource === undefined ? {} : { subresource: c.subresource }),
  });
  const status = causes.length > 0 ? 422 : storedOld === undefined ? 201 : 200;
  return { status, causes, unknown: fv === 'Warn' ? [...pruned].sort() : [], result: causes.length > 0 ? undefined : obj };
}
