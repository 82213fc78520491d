// Runs server-side-apply sequences (corpus/apply) step by step against the real kube-apiserver
// and through the apply library, starting each library step from the real server's live object, so
// a difference shows up at the step that causes it.
import type { KubeObject } from '@trellis/sdk';
import { hasCode, TrellisError } from '@trellis/sdk';
import { builtinTypeInfo, serverSideApply, trackUpdate, typeInfoFromSchema } from '../../packages/apiserver/src/apply/index.ts';
import { compileVersionSchema } from '../../packages/apiserver/src/schema/index.ts';
import type { ApplyStep, ApplySuite } from './corpus.ts';
import { type InstalledCrd, installCrd } from './objects.ts';
import type { RawClient } from './raw.ts';

type Obj = Record<string, unknown>;

function isRecord(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface Target {
  apiVersion: string;
  kind: string;
  /** Collection path, e.g. /apis/g/v1/namespaces/default/widgets. */
  base: string;
  typeInfo: object;
  statusSubresource: boolean;
  crd: InstalledCrd | undefined;
}

export async function targetFor(client: RawClient, suite: ApplySuite, group: string): Promise<Target> {
  if (suite.builtin !== undefined) {
    const { apiVersion, kind, plural } = suite.builtin;
    const [g, v] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const base = g === '' ? `/api/${v}/namespaces/default/${plural}` : `/apis/${g}/${v}/namespaces/default/${plural}`;
    return { apiVersion, kind, base, typeInfo: builtinTypeInfo(g ?? '', kind), statusSubresource: false, crd: undefined };
  }
  const crd = await installCrd(client, suite.crd ?? {}, group);
  return {
    apiVersion: `${crd.group}/${crd.version}`,
    kind: crd.kind,
    base: `/apis/${crd.group}/${crd.version}/namespaces/default/${crd.plural}`,
    typeInfo: typeInfoFromSchema(crd.schema),
    statusSubresource: crd.statusSubresource,
    crd,
  };
}

export interface StepOutcome {
  status: number;
  /** Object is the stored object (or the 409/500 Status body). */
  body: Obj;
}

function fill(o: Obj | undefined, t: Target, name: string): Obj {
  const c = structuredClone(o ?? {});
  c.apiVersion ??= t.apiVersion;
  c.kind ??= t.kind;
  const m = isRecord(c.metadata) ? c.metadata : {};
  m.name ??= name;
  m.namespace ??= 'default';
  c.metadata = m;
  return c;
}

/** RealStep performs one step on the real server; `live` is the object before it (if any). */
export async function realStep(client: RawClient, t: Target, s: ApplyStep, name: string, live: Obj | undefined): Promise<StepOutcome> {
  const sub = s.subresource === 'status' ? '/status' : '';
  const fm = `fieldManager=${encodeURIComponent(s.manager)}`;
  let res: Awaited<ReturnType<RawClient['request']>>;
  if (s.apply !== undefined) {
    res = await client.request(
      'PATCH',
      `${t.base}/${name}${sub}?${fm}${s.force === true ? '&force=true' : ''}`,
      fill(s.apply, t, name),
      'application/apply-patch+yaml',
    );
  } else if (s.create !== undefined) {
    res = await client.request('POST', `${t.base}?${fm}`, fill(s.create, t, name));
  } else if (s.update !== undefined) {
    const body = fill(s.update, t, name);
    const m = body.metadata as Obj;
    m.resourceVersion = (live?.metadata as Obj | undefined)?.resourceVersion;
    if (s.keepManagedFields === true) m.managedFields = (live?.metadata as Obj | undefined)?.managedFields;
    res = await client.request('PUT', `${t.base}/${name}${sub}?${fm}`, body);
  } else {
    res = await client.request('PATCH', `${t.base}/${name}${sub}?${fm}`, s.patch ?? {}, 'application/merge-patch+json');
  }
  return { status: res.status, body: res.body };
}

function scopeOf(t: Target, s: ApplyStep): 'all' | 'no-status' | 'status-only' {
  if (!t.statusSubresource) return 'all';
  return s.subresource === 'status' ? 'status-only' : 'no-status';
}

/** MineStep runs the library for the step, given the real live object before it and the real result. */
export function mineStep(t: Target, s: ApplyStep, name: string, live: Obj | undefined, real: StepOutcome): StepOutcome {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const scope = scopeOf(t, s);
  const subresource = s.subresource ?? '';
  if (s.apply !== undefined) {
    try {
      const { object } = serverSideApply({
        live: live as unknown as KubeObject | undefined,
        applied: fill(s.apply, t, name) as unknown as KubeObject,
        manager: s.manager,
        force: s.force === true,
        subresource,
        scope,
        apiVersion: t.apiVersion,
        typeInfo: t.typeInfo,
        now,
      });
      const o = object as unknown as Obj;
      if (t.crd !== undefined) {
        const schema = compileVersionSchema(t.crd.schema, {
          group: t.crd.group,
          version: t.crd.version,
          kind: t.crd.kind,
          namespaced: true,
        });
        schema.prune(object);
        schema.applyDefaults(object);
      }
      return { status: live === undefined ? 201 : 200, body: o };
    } catch (e) {
      if (e instanceof TrellisError && hasCode(e, 'APISERVER_APPLY_CONFLICT')) {
        return { status: 409, body: { message: e.details?.statusMessage ?? e.message, details: { causes: e.details?.causes } } };
      }
      if (e instanceof TrellisError && hasCode(e, 'APISERVER_APPLY_FAILED')) return { status: 500, body: { message: e.message } };
      if (e instanceof TrellisError && hasCode(e, 'APISERVER_APPLY_BAD_REQUEST')) return { status: 400, body: { message: e.message } };
      throw e;
    }
  }
  // Non-apply writes: the core computes the new object; here the real server's result stands in
  // for it, carrying the managedFields the request sent, and trackUpdate must reproduce the rest.
  if (real.status >= 300) return real;
  const next = structuredClone(real.body);
  const nm = next.metadata as Obj;
  const bodyMeta = s.update?.metadata as Obj | undefined;
  const sentMeta =
    bodyMeta?.managedFields !== undefined
      ? bodyMeta.managedFields
      : s.update !== undefined && s.keepManagedFields === true
        ? (live?.metadata as Obj | undefined)?.managedFields
        : undefined;
  if (sentMeta === undefined) delete nm.managedFields;
  else nm.managedFields = sentMeta;
  const managedFields = trackUpdate({
    old: live as unknown as KubeObject | undefined,
    new: next as unknown as KubeObject,
    manager: s.manager,
    subresource,
    scope,
    apiVersion: t.apiVersion,
    typeInfo: t.typeInfo,
    now,
  });
  nm.managedFields = managedFields;
  return { status: real.status, body: next };
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isRecord(v)) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical(v[k])]),
    );
  }
  return v;
}

/** Comparable reduces an outcome to what must match: status, content, managedFields (without times). */
export function comparable(o: StepOutcome): unknown {
  if (o.status >= 300) {
    const details = isRecord(o.body.details) ? o.body.details : {};
    const causes = (Array.isArray(details.causes) ? details.causes : [])
      .map(canonical)
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    return { status: o.status, message: o.body.message, causes };
  }
  const { metadata, ...rest } = o.body;
  const m = isRecord(metadata) ? metadata : {};
  const mf = Array.isArray(m.managedFields) ? m.managedFields : [];
  const entries = mf
    .map((e) => {
      const { time, ...keep } = e as Obj;
      return { ...keep, hasTime: time !== undefined };
    })
    .sort((a, b) => {
      const ka = `${a.operation}|${a.manager}|${a.apiVersion}|${a.subresource ?? ''}`;
      const kb = `${b.operation}|${b.manager}|${b.apiVersion}|${b.subresource ?? ''}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  return canonical({
    status: o.status < 300 ? 'ok' : o.status,
    content: rest,
    labels: m.labels,
    annotations: m.annotations,
    finalizers: m.finalizers,
    ownerReferences: m.ownerReferences,
    managedFields: entries,
  });
}
