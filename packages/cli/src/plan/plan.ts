import {
  type CompositeSchema,
  composedFieldManager,
  compositeSchemaOf,
  decideApply,
  type FunctionResolver,
  type ObservedComposed,
  renderComposer,
  selectComposition,
  selectionFieldsOf,
} from '@trellis/engine';
import type { KubeClient } from '@trellis/kube';
import { isNoKindMatch, isNotFound } from '@trellis/kube';
import { formatError, type KubeObject, parseApiVersion } from '@trellis/sdk';
import { unifiedDiff } from '../ui/diff.ts';
import { toYaml } from '../ui/output.ts';
import { isSecret } from '../ui/redact.ts';

/**
 * `trellis plan`: what applying manifests would change on a live control plane, without changing
 * anything. Each object is sent as a server-side apply dry run (the API server validates and
 * defaults it, exactly as `kubectl apply --server-side` would) and compared with what is live.
 * For every claim and XR, the composition is rendered against the composed resources that exist
 * (the engine's own composer, with required resources read from the cluster), and each composed
 * resource is dry-run applied with the engine's field manager: created, updated (with a diff),
 * unchanged, or deleted when the pipeline no longer produces it. A Composition in the manifests
 * is planned against every live XR that uses it.
 */

export const Action = { Create: 'create', Update: 'update', Delete: 'delete', Unchanged: 'unchanged' } as const;
export type Action = (typeof Action)[keyof typeof Action];

export interface Change {
  action: Action;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** Parent is the claim or XR a composed resource belongs to (`PostgresDatabase/orders (default)`). */
  parent?: string;
  /** Resource is the composition resource name of a composed resource. */
  resource?: string;
  /** Diff is a unified diff of the object before and after (Secret values hidden). */
  diff: string;
  /** Note explains something about the change (a name assigned on creation). */
  note?: string;
  /** Error is why the API server or the pipeline would refuse it. */
  error?: string;
}

export interface PlanOptions {
  /** FieldManager the manifests would be applied with (`kubectl apply --server-side` uses "kubectl"). */
  fieldManager: string;
  /**
   * ServerSide plans `kubectl apply --server-side` (a server-side apply as fieldManager); otherwise
   * plain `kubectl apply`: a three-way JSON merge patch computed from the
   * last-applied-configuration annotation (lists are replaced, removed fields are deleted).
   */
  serverSide?: boolean;
  functions: FunctionResolver;
  signal?: AbortSignal;
  /** ShowSecrets prints Secret values in diffs. */
  showSecrets?: boolean;
}

export interface PlanResult {
  changes: Change[];
  summary: Record<Action, number> & { errors: number };
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const XrdType = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'CompositeResourceDefinition' } as const;
const CompositionType = { apiVersion: 'apiextensions.crossplane.io/v1', kind: 'Composition' } as const;
const CrnAnnotation = 'crossplane.io/composition-resource-name';

function key(o: { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } }): string {
  return `${o.apiVersion}|${o.kind}|${o.metadata?.namespace ?? ''}|${o.metadata?.name ?? ''}`;
}

/** Comparable strips what the server owns, so a diff shows only what an apply changes. */
export function comparable(o: KubeObject | undefined): Obj | undefined {
  if (o === undefined) return undefined;
  const c = structuredClone(o) as Obj;
  const meta = isObj(c.metadata) ? c.metadata : {};
  for (const f of ['managedFields', 'resourceVersion', 'generation', 'uid', 'creationTimestamp', 'selfLink']) delete meta[f];
  if (isObj(meta.annotations)) {
    delete meta.annotations['kubectl.kubernetes.io/last-applied-configuration'];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  delete c.status;
  return sortKeys(c) as Obj;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out;
}

/** HideSecretValues replaces Secret values on both sides, marking the keys whose value changes. */
function hideSecretValues(before: Obj | undefined, after: Obj | undefined): [Obj | undefined, Obj | undefined] {
  const hide = (o: Obj | undefined, other: Obj | undefined): Obj | undefined => {
    if (o === undefined || !isSecret(o)) return o;
    const out = { ...o };
    for (const f of ['data', 'stringData']) {
      const d = out[f];
      if (!isObj(d)) continue;
      const od = other !== undefined && isObj(other[f]) ? (other[f] as Obj) : {};
      const masked: Obj = {};
      for (const [k, v] of Object.entries(d)) masked[k] = od[k] === v ? '<redacted>' : '<redacted: changes>';
      out[f] = masked;
    }
    return out;
  };
  return [hide(before, after), hide(after, before)];
}

/** DiffOf prints the YAML diff between two versions of an object. */
export function diffOf(before: KubeObject | undefined, after: KubeObject | undefined, showSecrets: boolean): string {
  let [b, a] = [comparable(before), comparable(after)];
  if (!showSecrets) [b, a] = hideSecretValues(b, a);
  return unifiedDiff(b === undefined ? '' : toYaml(b), a === undefined ? '' : toYaml(a));
}

function describe(o: KubeObject): string {
  const ns = o.metadata.namespace;
  return `${o.kind}/${o.metadata.name ?? o.metadata.generateName ?? ''}${ns === undefined || ns === '' ? '' : ` (${ns})`}`;
}

interface Context {
  client: KubeClient;
  opts: PlanOptions;
  xrds: KubeObject[];
  compositions: Map<string, KubeObject>;
  changes: Change[];
  planned: Set<string>;
}

/** PlanManifests plans every object of the manifests (in order) and what they compose. */
export async function planManifests(client: KubeClient, manifests: readonly KubeObject[], opts: PlanOptions): Promise<PlanResult> {
  const call = opts.signal === undefined ? {} : { signal: opts.signal };
  const ctx: Context = { client, opts, xrds: [], compositions: new Map(), changes: [], planned: new Set() };
  const liveXrds = await listOrEmpty(client, XrdType, call);
  const desiredXrds = manifests.filter(
    (m) => m.apiVersion.startsWith('apiextensions.crossplane.io/') && m.kind === 'CompositeResourceDefinition',
  );
  ctx.xrds = [...liveXrds.filter((x) => !desiredXrds.some((d) => d.metadata.name === x.metadata.name)), ...desiredXrds];
  for (const c of await listOrEmpty(client, CompositionType, call)) ctx.compositions.set(c.metadata.name ?? '', c);
  const changedCompositions: KubeObject[] = [];
  for (const m of manifests) {
    if (m.apiVersion === CompositionType.apiVersion && m.kind === 'Composition') {
      ctx.compositions.set(m.metadata.name ?? '', m);
      changedCompositions.push(m);
    }
  }
  for (const m of manifests) {
    const applied = await planObject(ctx, m);
    const role = roleOf(ctx, m);
    if (role !== undefined && applied !== undefined) await planComposite(ctx, m, applied, role);
  }
  for (const comp of changedCompositions) await planCompositionUsers(ctx, comp);
  const count = (a: Action): number => ctx.changes.filter((c) => c.action === a && c.error === undefined).length;
  return {
    changes: ctx.changes,
    summary: {
      create: count('create'),
      update: count('update'),
      delete: count('delete'),
      unchanged: count('unchanged'),
      errors: ctx.changes.filter((c) => c.error !== undefined).length,
    },
  };
}

async function listOrEmpty(
  client: KubeClient,
  type: { apiVersion: string; kind: string },
  call: { signal?: AbortSignal },
): Promise<KubeObject[]> {
  try {
    return (await client.listAll(type, call)).items;
  } catch (err) {
    if (isNotFound(err) || isNoKindMatch(err)) return [];
    throw err;
  }
}

function refOf(o: KubeObject): { apiVersion: string; kind: string; name: string; namespace?: string } {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name ?? '',
    ...(o.metadata.namespace === undefined ? {} : { namespace: o.metadata.namespace }),
  };
}

async function getLive(client: KubeClient, o: KubeObject, call: { signal?: AbortSignal }): Promise<KubeObject | undefined> {
  if ((o.metadata.name ?? '') === '') return undefined;
  try {
    return await client.get(refOf(o), call);
  } catch (err) {
    if (isNotFound(err) || isNoKindMatch(err)) return undefined;
    throw err;
  }
}

/** PlanObject dry-runs one manifest and records the change; it returns the object as the server would store it. */
async function planObject(ctx: Context, m: KubeObject): Promise<KubeObject | undefined> {
  const call = ctx.opts.signal === undefined ? {} : { signal: ctx.opts.signal };
  const base = {
    apiVersion: m.apiVersion,
    kind: m.kind,
    name: m.metadata.name ?? '',
    ...(m.metadata.namespace === undefined ? {} : { namespace: m.metadata.namespace }),
  };
  ctx.planned.add(key(m));
  let live: KubeObject | undefined;
  try {
    live = await getLive(ctx.client, m, call);
  } catch (err) {
    ctx.changes.push({ ...base, action: 'update', diff: '', error: `cannot read the live object: ${formatError(err)}` });
    return undefined;
  }
  let after: KubeObject;
  try {
    after = await dryRunApply(ctx, m, live, call);
  } catch (err) {
    const notServed = isNoKindMatch(err) || isNotFound(err);
    if (notServed && definedByManifests(ctx, m)) {
      ctx.changes.push({
        ...base,
        action: live === undefined ? 'create' : 'update',
        diff: diffOf(live, m, ctx.opts.showSecrets === true),
        note: `${m.kind} is not served yet: an XRD or CRD in these manifests defines it`,
      });
      return m;
    }
    ctx.changes.push({ ...base, action: live === undefined ? 'create' : 'update', diff: '', error: formatError(err) });
    return undefined;
  }
  const diff = diffOf(live, after, ctx.opts.showSecrets === true);
  ctx.changes.push({ ...base, action: live === undefined ? 'create' : diff === '' ? 'unchanged' : 'update', diff });
  return after;
}

const LastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * ThreeWayPatch is what client-side `kubectl apply` sends for a custom resource: the manifest as a
 * JSON merge patch, plus a null for every field the previous apply set (last-applied) that the
 * manifest no longer has, plus the new last-applied annotation.
 */
export function threeWayPatch(manifest: KubeObject, lastApplied: unknown): Obj {
  const deletions = (last: unknown, now: unknown): unknown => {
    if (!isObj(last)) return undefined;
    const out: Obj = {};
    for (const [k, v] of Object.entries(last)) {
      const n = isObj(now) ? now[k] : undefined;
      if (n === undefined) out[k] = null;
      else if (isObj(v) && isObj(n)) {
        const d = deletions(v, n);
        if (isObj(d) && Object.keys(d).length > 0) out[k] = d;
      }
    }
    return out;
  };
  const merge = (a: unknown, b: unknown): unknown => {
    if (!isObj(a) || !isObj(b)) return b === undefined ? a : b;
    const out: Obj = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? merge(out[k], v) : v;
    return out;
  };
  const body = merge(deletions(lastApplied, manifest) ?? {}, structuredClone(manifest)) as Obj;
  const meta = isObj(body.metadata) ? body.metadata : {};
  meta.annotations = { ...(isObj(meta.annotations) ? meta.annotations : {}), [LastAppliedAnnotation]: JSON.stringify(manifest) };
  body.metadata = meta;
  return body;
}

/** DryRunApply sends the manifest as `kubectl apply` (or `--server-side`) would, as a dry run. */
async function dryRunApply(ctx: Context, m: KubeObject, live: KubeObject | undefined, call: { signal?: AbortSignal }): Promise<KubeObject> {
  if (ctx.opts.serverSide === true) return ctx.client.apply(m, { fieldManager: ctx.opts.fieldManager, force: true, dryRun: true, ...call });
  const manager = ctx.opts.fieldManager === 'kubectl' ? 'kubectl-client-side-apply' : ctx.opts.fieldManager;
  if (live === undefined) {
    const body = threeWayPatch(m, undefined) as KubeObject;
    return ctx.client.create(body, { dryRun: true, fieldManager: manager, ...call });
  }
  let last: unknown;
  const raw = live.metadata.annotations?.[LastAppliedAnnotation];
  if (raw !== undefined) {
    try {
      last = JSON.parse(raw);
    } catch {
      // Documented expected case: kubectl ignores an unreadable last-applied annotation too.
      last = undefined;
    }
  }
  const patch = threeWayPatch(m, last);
  return ctx.client.patch(refOf(live), { type: 'merge', patch }, { dryRun: true, fieldManager: manager, ...call });
}

function definedByManifests(ctx: Context, m: KubeObject): boolean {
  const { group } = parseApiVersion(m.apiVersion);
  return ctx.xrds.some((x) => {
    const s = isObj(x.spec) ? x.spec : {};
    const names = [s.names, s.claimNames].filter(isObj).map((n) => n.kind);
    return s.group === group && names.includes(m.kind);
  });
}

interface Role {
  xrd: KubeObject;
  claim: boolean;
}

/** RoleOf says whether an object is a claim or an XR of a known XRD. */
function roleOf(ctx: Context, m: KubeObject): Role | undefined {
  const { group } = parseApiVersion(m.apiVersion);
  for (const x of ctx.xrds) {
    const s = isObj(x.spec) ? x.spec : {};
    if (s.group !== group) continue;
    if (isObj(s.names) && s.names.kind === m.kind) return { xrd: x, claim: false };
    if (isObj(s.claimNames) && s.claimNames.kind === m.kind) return { xrd: x, claim: true };
  }
  return undefined;
}

/** PlaceholderUid stands for the uid a new XR will get. */
const PlaceholderUid = '00000000-0000-0000-0000-000000000000';

/** ClaimOnlyFields stay on the claim; everything else in its spec flows to its XR. */
const ClaimOnlyFields = ['resourceRef', 'writeConnectionSecretToRef', 'compositeDeletePolicy'];

/** DesiredXr is the XR the manifests lead to: the dry-run XR itself, or one derived from a claim. */
async function desiredXr(
  ctx: Context,
  applied: KubeObject,
  role: Role,
): Promise<{ xr: KubeObject; live: KubeObject | undefined; parent: string; note?: string }> {
  const call = ctx.opts.signal === undefined ? {} : { signal: ctx.opts.signal };
  if (!role.claim) {
    const live = await getLive(ctx.client, applied, call);
    return {
      xr: applied,
      live,
      parent: describe(applied),
      ...(live === undefined ? { note: 'composed resources get their names when the XR is created' } : {}),
    };
  }
  const s = isObj(applied.spec) ? applied.spec : {};
  const ref = isObj(s.resourceRef) ? s.resourceRef : undefined;
  const xrdSpec = isObj(role.xrd.spec) ? role.xrd.spec : {};
  const names = isObj(xrdSpec.names) ? xrdSpec.names : {};
  const version = Array.isArray(xrdSpec.versions)
    ? (xrdSpec.versions.find((v) => isObj(v) && v.referenceable === true) ?? xrdSpec.versions[0])
    : undefined;
  const apiVersion =
    typeof ref?.apiVersion === 'string' ? ref.apiVersion : `${String(xrdSpec.group)}/${isObj(version) ? String(version.name) : 'v1'}`;
  const kind = typeof ref?.kind === 'string' ? ref.kind : String(names.kind);
  const flowing: Obj = {};
  for (const [k, v] of Object.entries(s)) if (!ClaimOnlyFields.includes(k)) flowing[k] = v;
  const claimRef = {
    apiVersion: applied.apiVersion,
    kind: applied.kind,
    name: applied.metadata.name ?? '',
    namespace: applied.metadata.namespace ?? 'default',
  };
  const xrName = `${applied.metadata.name ?? 'claim'}-xxxxx`;
  const labels = {
    ...(applied.metadata.labels ?? {}),
    'crossplane.io/composite': xrName,
    'crossplane.io/claim-name': applied.metadata.name ?? '',
    'crossplane.io/claim-namespace': applied.metadata.namespace ?? 'default',
  };
  if (ref !== undefined && typeof ref.name === 'string') {
    const live = await getLive(ctx.client, { apiVersion, kind, metadata: { name: ref.name } }, call);
    if (live !== undefined) {
      const xr = structuredClone(live);
      xr.spec = { ...(isObj(live.spec) ? live.spec : {}), ...flowing, claimRef };
      return { xr, live, parent: describe(applied) };
    }
  }
  const xr: KubeObject = {
    apiVersion,
    kind,
    // The API server assigns the name and uid on creation; placeholders let the pipeline run.
    metadata: { name: xrName, generateName: `${applied.metadata.name ?? 'claim'}-`, uid: PlaceholderUid, labels },
    spec: { ...flowing, claimRef },
  };
  return {
    xr,
    live: undefined,
    parent: describe(applied),
    note: 'the XR and its composed resources get their names when the claim is created',
  };
}

async function planComposite(ctx: Context, m: KubeObject, applied: KubeObject, role: Role): Promise<void> {
  const call = ctx.opts.signal === undefined ? {} : { signal: ctx.opts.signal };
  const { xr, live, parent, note } = await desiredXr(ctx, applied, role);
  if (role.claim) {
    const xrChange = {
      apiVersion: xr.apiVersion,
      kind: xr.kind,
      name: xr.metadata.name ?? '',
      parent,
      diff: diffOf(live, xr, ctx.opts.showSecrets === true),
    };
    ctx.changes.push({
      ...xrChange,
      action: live === undefined ? 'create' : xrChange.diff === '' ? 'unchanged' : 'update',
      ...(note === undefined ? {} : { note }),
    });
    ctx.planned.add(key(xr));
  }
  await planComposed(ctx, xr, live, role.xrd, role.claim ? `${describe(m)} → ${xr.kind}/${xr.metadata.name ?? ''}` : parent, note, call);
}

async function planComposed(
  ctx: Context,
  xr: KubeObject,
  liveXr: KubeObject | undefined,
  xrd: KubeObject,
  parent: string,
  note: string | undefined,
  call: { signal?: AbortSignal },
): Promise<void> {
  const err = (message: string): void => {
    ctx.changes.push({
      apiVersion: xr.apiVersion,
      kind: xr.kind,
      name: xr.metadata.name ?? '',
      parent,
      action: 'update',
      diff: '',
      error: message,
    });
  };
  let schema: CompositeSchema;
  try {
    schema = compositeSchemaOf(xrd, xr);
  } catch (e) {
    err(formatError(e));
    return;
  }
  let composition: KubeObject | undefined;
  try {
    const sel = selectComposition(xr, selectionFieldsOf(xr, schema), xrd, [...ctx.compositions.values()], () => 0);
    composition = ctx.compositions.get(sel.fields.compositionRef?.name ?? '');
  } catch (e) {
    err(`cannot select a Composition: ${formatError(e)}`);
    return;
  }
  if (composition === undefined) {
    err('cannot select a Composition: the selected Composition does not exist');
    return;
  }
  const observed = await observedOf(ctx, liveXr, schema, call);
  const composer = renderComposer({ client: ctx.client, functions: ctx.opts.functions, schema });
  const out = await composer.compose({
    xr,
    revision: composition,
    observed,
    ...(ctx.opts.signal === undefined ? {} : { signal: ctx.opts.signal }),
  });
  if (out.fatal !== undefined) {
    err(`the composition pipeline would fail: ${formatError(out.fatal)}`);
    return;
  }
  const manager = composedFieldManager(xr);
  const desiredNames = new Set<string>();
  for (const d of out.resources) {
    desiredNames.add(d.name);
    const before = observed.get(d.name)?.resource;
    const base = {
      apiVersion: d.resource.apiVersion,
      kind: d.resource.kind,
      name: d.resource.metadata.name ?? '',
      ...(d.resource.metadata.namespace === undefined ? {} : { namespace: d.resource.metadata.namespace }),
      parent,
      resource: d.name,
    };
    ctx.planned.add(key(d.resource));
    const desired = structuredClone(d.resource);
    delete desired.status;
    const decision = decideApply(desired, before, { fieldManager: manager, hashAnnotation: true });
    if (!decision.apply) {
      ctx.changes.push({ ...base, action: 'unchanged', diff: '' });
      continue;
    }
    let after: KubeObject;
    try {
      after = await ctx.client.apply(decision.body, { fieldManager: manager, force: true, dryRun: true, ...call });
    } catch (e) {
      const notServed = isNoKindMatch(e);
      ctx.changes.push({
        ...base,
        action: before === undefined ? 'create' : 'update',
        diff: diffOf(before, d.resource, ctx.opts.showSecrets === true),
        ...(notServed ? { note: `${d.resource.kind} is not served (is its provider installed?)` } : { error: formatError(e) }),
      });
      continue;
    }
    const diff = diffOf(before, after, ctx.opts.showSecrets === true);
    ctx.changes.push({
      ...base,
      action: before === undefined ? 'create' : diff === '' ? 'unchanged' : 'update',
      diff,
      ...(note === undefined ? {} : { note }),
    });
  }
  for (const [name, o] of observed) {
    if (desiredNames.has(name)) continue;
    const r = o.resource;
    ctx.changes.push({
      apiVersion: r.apiVersion,
      kind: r.kind,
      name: r.metadata.name ?? '',
      ...(r.metadata.namespace === undefined ? {} : { namespace: r.metadata.namespace }),
      parent,
      resource: name,
      action: 'delete',
      diff: diffOf(r, undefined, ctx.opts.showSecrets === true),
    });
  }
}

/** ObservedOf reads the composed resources a live XR references, keyed by composition resource name. */
async function observedOf(
  ctx: Context,
  liveXr: KubeObject | undefined,
  schema: CompositeSchema,
  call: { signal?: AbortSignal },
): Promise<Map<string, ObservedComposed>> {
  const out = new Map<string, ObservedComposed>();
  if (liveXr === undefined) return out;
  const s = isObj(liveXr.spec) ? liveXr.spec : {};
  const refs = schema === 'Legacy' ? s.resourceRefs : isObj(s.crossplane) ? s.crossplane.resourceRefs : undefined;
  for (const r of Array.isArray(refs) ? refs : []) {
    if (!isObj(r) || typeof r.apiVersion !== 'string' || typeof r.kind !== 'string' || typeof r.name !== 'string') continue;
    const ns = typeof r.namespace === 'string' ? r.namespace : liveXr.metadata.namespace;
    const ref = { apiVersion: r.apiVersion, kind: r.kind, name: r.name };
    const namespaced = await ctx.client.resourceFor(ref, call).then(
      (info) => info.namespaced,
      () => false,
    );
    const o = await ctx.client.getIfExists({ ...ref, ...(namespaced && ns !== undefined ? { namespace: ns } : {}) }, call);
    if (o === undefined) continue;
    const crn = o.metadata.annotations?.[CrnAnnotation];
    if (crn !== undefined) out.set(crn, { resource: o });
  }
  return out;
}

/** PlanCompositionUsers plans every live XR (not already planned) that uses a changed Composition. */
async function planCompositionUsers(ctx: Context, comp: KubeObject): Promise<void> {
  const call = ctx.opts.signal === undefined ? {} : { signal: ctx.opts.signal };
  const s = isObj(comp.spec) ? comp.spec : {};
  const type = isObj(s.compositeTypeRef) ? s.compositeTypeRef : {};
  if (typeof type.apiVersion !== 'string' || typeof type.kind !== 'string') return;
  const xrd = ctx.xrds.find((x) => {
    const xs = isObj(x.spec) ? x.spec : {};
    return xs.group === parseApiVersion(type.apiVersion as string).group && isObj(xs.names) && xs.names.kind === type.kind;
  });
  if (xrd === undefined) return;
  const xrs = await listOrEmpty(ctx.client, { apiVersion: type.apiVersion, kind: type.kind }, call);
  for (const xr of xrs) {
    if (ctx.planned.has(key(xr))) continue;
    let schema: CompositeSchema;
    try {
      schema = compositeSchemaOf(xrd, xr);
    } catch {
      continue;
    }
    if (selectionFieldsOf(xr, schema).compositionRef?.name !== comp.metadata.name) continue;
    ctx.planned.add(key(xr));
    await planComposed(ctx, xr, xr, xrd, `${describe(xr)} (uses Composition ${comp.metadata.name ?? ''})`, undefined, call);
  }
}
