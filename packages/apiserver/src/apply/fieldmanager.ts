// Server-side apply and managedFields tracking: structured-merge-diff's Updater (apply with
// pruning of fields the manager no longer applies, conflicts, ownership transfer on update) and the
// managers kube-apiserver stacks around it (version check, last-applied annotation handling for
// kubectl, first apply over an untracked object, the cap of ten update managers, manager
// identities, timestamps, and stripping of server-owned metadata).
import type { KubeObject } from '@trellis/sdk';
import { TrellisError } from '@trellis/sdk';
import type { ApplyArgs, FieldCause, FieldScope, ManagedFieldsEntry, UpdateArgs } from '../contracts.ts';
import { goJSON } from '../schema/gofmt.ts';
import { deepCopyJSON, deepEqualJSON, maxNestingDepth, tooDeep, tooDeepField } from '../schema/json.ts';
import { FieldSet, field, pathString } from './fieldpath.ts';
import {
  type Conflict,
  conflictMessage,
  decodeManagedFields,
  emptyManaged,
  encodeManagedFields,
  isResetManagedFields,
  type Managed,
  ManagedDecodeError,
  managerId,
  printManager,
} from './managed.ts';
import {
  compare,
  DepthError,
  ensureNamedFieldsAreMembers,
  formatValidationErrors,
  MergeError,
  merge,
  removeItems,
  toFieldSet,
  validateTyped,
} from './typed.ts';
import type { ApplyTypeInfo, TypeNode } from './types.ts';

type Obj = Record<string, unknown>;

function isRecord(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function meta(o: Obj): Obj {
  return isRecord(o.metadata) ? o.metadata : {};
}

function clone<T>(v: T): T {
  return deepCopyJSON(v);
}

function withoutManagedFields(o: Obj): Obj {
  const c = clone(o);
  const m = meta(c);
  delete m.managedFields;
  if (isRecord(c.metadata)) c.metadata = m;
  return c;
}

/**
 * ViewWithoutManagedFields is `o` without metadata.managedFields, sharing everything else with
 * `o` (two shallow copies): for the read-only comparisons of an update, which need no deep copy.
 */
function viewWithoutManagedFields(o: Obj): Obj {
  if (!isRecord(o.metadata) || !Object.hasOwn(o.metadata, 'managedFields')) return o;
  const { managedFields: _m, ...rest } = o.metadata;
  return { ...o, metadata: rest };
}

/** StatusView is `o` reduced to its type, metadata (without managedFields) and status, sharing them with `o`. */
function statusView(o: Obj): Obj {
  const out: Obj = {};
  for (const k of ['apiVersion', 'kind', 'metadata', 'status']) if (Object.hasOwn(o, k)) out[k] = o[k];
  return viewWithoutManagedFields(out);
}

/** GVKNN is objectGVKNN: `<namespace>/<name>; <group>/<version>, Kind=<kind>`. */
function gvknn(o: Obj): string {
  const m = meta(o);
  const apiVersion = typeof o.apiVersion === 'string' ? o.apiVersion : '';
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  return `${typeof m.namespace === 'string' ? m.namespace : ''}/${typeof m.name === 'string' ? m.name : ''}; ${group ?? ''}/${version ?? ''}, Kind=${typeof o.kind === 'string' ? o.kind : ''}`;
}

/** Failure is a non-conflict apply failure: kube answers 500 with this message (400/422 for the named codes). */
function failure(code: string, message: string, cause?: unknown): TrellisError {
  return new TrellisError(code, message, cause === undefined ? {} : { cause });
}

const APPLY_FAILED = 'APISERVER_APPLY_FAILED';
const APPLY_BAD_REQUEST = 'APISERVER_APPLY_BAD_REQUEST';
const APPLY_CONFLICT = 'APISERVER_APPLY_CONFLICT';

// ---------------------------------------------------------------------------------------------
// Reset fields (ResetFieldsStrategy → IgnoreFilter)

function resetSet(scope: FieldScope): FieldSet | undefined {
  switch (scope) {
    case 'no-status':
      return FieldSet.of([field('status')]);
    case 'status-only':
      return FieldSet.of([field('metadata')], [field('spec')]);
    default:
      return undefined;
  }
}

function filter(s: FieldSet, reset: FieldSet | undefined): FieldSet {
  return reset === undefined ? s : s.recursiveDifference(reset);
}

// ---------------------------------------------------------------------------------------------
// The structured-merge-diff Updater

interface UpdaterCtx {
  type: TypeNode;
  reset: FieldSet | undefined;
}

class ConflictError extends Error {
  override name = 'ConflictError';
  readonly conflicts: Conflict[];
  constructor(conflicts: Conflict[]) {
    super(conflictMessage(conflicts));
    this.conflicts = conflicts;
  }
}

function updateManagers(
  ctx: UpdaterCtx,
  oldObj: unknown,
  newObj: unknown,
  managers: Managed,
  workflow: string,
  force: boolean,
): ReturnType<typeof compare> {
  const cmp = compare(oldObj, newObj, ctx.type);
  const c = { added: filter(cmp.added, ctx.reset), removed: filter(cmp.removed, ctx.reset), modified: filter(cmp.modified, ctx.reset) };
  const changed = c.modified.union(c.added);
  const conflicts = new Map<string, FieldSet>();
  const removed = new Map<string, FieldSet>();
  for (const [m, vs] of managers.fields) {
    if (m === workflow) continue;
    const conflictSet = vs.set.intersection(changed);
    if (!conflictSet.empty()) conflicts.set(m, conflictSet);
    if (!c.removed.empty()) removed.set(m, c.removed);
  }
  if (!force && conflicts.size > 0) {
    const list: Conflict[] = [];
    for (const m of [...conflicts.keys()].sort()) conflicts.get(m)?.iterate((p) => list.push({ manager: m, path: p }));
    throw new ConflictError(list);
  }
  for (const [m, s] of conflicts) {
    const vs = managers.fields.get(m);
    if (vs !== undefined) managers.fields.set(m, { ...vs, set: vs.set.difference(s) });
  }
  for (const [m, s] of removed) {
    const vs = managers.fields.get(m);
    if (vs !== undefined) managers.fields.set(m, { ...vs, set: vs.set.difference(s) });
  }
  for (const [m, vs] of [...managers.fields]) if (vs.set.empty()) managers.fields.delete(m);
  return c;
}

/** UpdaterUpdate is Updater.Update: record what `manager` changed, taking ownership from others. */
function updaterUpdate(ctx: UpdaterCtx, live: unknown, next: unknown, apiVersion: string, managers: Managed, manager: string): void {
  const c = updateManagers(ctx, live, next, managers, manager, true);
  const prev = managers.fields.get(manager)?.set ?? new FieldSet();
  const set = filter(prev.difference(c.removed).union(c.modified).union(c.added), ctx.reset);
  if (set.empty()) managers.fields.delete(manager);
  else managers.fields.set(manager, { set, apiVersion, applied: false });
}

/** UpdaterApply is Updater.Apply: merge, prune what the manager stopped applying, detect conflicts. */
function updaterApply(
  ctx: UpdaterCtx,
  live: unknown,
  config: unknown,
  apiVersion: string,
  managers: Managed,
  manager: string,
  force: boolean,
): unknown {
  let merged: unknown;
  try {
    merged = merge(live, config, ctx.type);
  } catch (e) {
    if (e instanceof MergeError) throw failure(APPLY_FAILED, `failed to merge config: ${e.message}`, e);
    throw e;
  }
  const lastSet = managers.fields.get(manager);
  const set = filter(toFieldSet(config, ctx.type), ctx.reset);
  managers.fields.set(manager, { set, apiVersion, applied: true });
  const pruned = prune(ctx, merged, managers, lastSet?.set);
  updateManagers(ctx, live, pruned, managers, manager, force);
  return valuesEqualObj(live, pruned) ? undefined : pruned;
}

function valuesEqualObj(a: unknown, b: unknown): boolean {
  return deepEqualJSON(a, b);
}

function prune(ctx: UpdaterCtx, merged: unknown, managers: Managed, lastSet: FieldSet | undefined): unknown {
  if (lastSet === undefined || lastSet.empty()) return merged;
  const t = ctx.type;
  let pruned = removeItems(merged, t, ensureNamedFieldsAreMembers(lastSet, t));
  // addBackOwnedItems: everything any manager (the applier included) owns comes back.
  let managed = new FieldSet();
  for (const vs of managers.fields.values()) managed = managed.union(vs.set);
  const mergedSet = ensureNamedFieldsAreMembers(toFieldSet(merged, t), t);
  const prunedSet = ensureNamedFieldsAreMembers(toFieldSet(pruned, t), t);
  pruned = removeItems(merged, t, mergedSet.difference(prunedSet.union(ensureNamedFieldsAreMembers(managed, t))));
  // addBackDanglingItems: items removed only as parents of owned children come back.
  const prunedSet2 = ensureNamedFieldsAreMembers(toFieldSet(pruned, t), t);
  const last = ensureNamedFieldsAreMembers(lastSet, t);
  return removeItems(merged, t, mergedSet.difference(prunedSet2).intersection(last));
}

// ---------------------------------------------------------------------------------------------
// The managers kube stacks around the updater

const stripSet = FieldSet.of(
  [field('apiVersion')],
  [field('kind')],
  [field('metadata')],
  [field('metadata'), field('name')],
  [field('metadata'), field('namespace')],
  [field('metadata'), field('creationTimestamp')],
  [field('metadata'), field('selfLink')],
  [field('metadata'), field('uid')],
  [field('metadata'), field('clusterName')],
  [field('metadata'), field('generation')],
  [field('metadata'), field('managedFields')],
  [field('metadata'), field('resourceVersion')],
);

function strip(managed: Managed, id: string): void {
  const vs = managed.fields.get(id);
  if (vs === undefined) return;
  const set = vs.set.difference(stripSet);
  if (set.empty()) managed.fields.delete(id);
  else managed.fields.set(id, { ...vs, set });
}

interface Env {
  type: TypeNode;
  reset: FieldSet | undefined;
  apiVersion: string;
  subresource: string;
  now: string;
}

/** TypedObject validates an object against the type, as ObjectToTyped does. */
function typed(o: Obj, t: TypeNode, allowDuplicates: boolean, what: string): Obj {
  let errs: ReturnType<typeof validateTyped>;
  try {
    errs = validateTyped(o, t, allowDuplicates);
  } catch (e) {
    if (e instanceof DepthError || e instanceof RangeError)
      throw failure(APPLY_FAILED, `failed to create typed ${what} (${gvknn(o)}): ${e.message}`, e);
    throw e;
  }
  if (errs.length > 0) throw failure(APPLY_FAILED, `failed to create typed ${what} (${gvknn(o)}): ${formatValidationErrors(errs)}`);
  return o;
}

/** InnerUpdate is BuildManagerInfo → ManagedFieldsUpdater → StripMeta → StructuredMerge for an update. */
function innerUpdate(env: Env, live: Obj, next: Obj, managed: Managed, manager: string): void {
  const id = managerId({
    manager: manager === '' ? 'unknown' : manager,
    operation: 'Update',
    apiVersion: env.apiVersion,
    subresource: env.subresource,
  });
  const self = 'current-operation';
  const ctx: UpdaterCtx = { type: env.type, reset: env.reset };
  typed(next, env.type, true, 'new object');
  typed(live, env.type, true, 'live object');
  updaterUpdate(ctx, live, next, env.apiVersion, managed, self);
  strip(managed, self);
  const vs = managed.fields.get(self);
  if (vs !== undefined) {
    managed.fields.delete(self);
    const prev = managed.fields.get(id);
    managed.fields.set(id, prev === undefined ? vs : { ...vs, set: vs.set.union(prev.set) });
    managed.times.set(id, env.now);
  }
  capUpdateManagers(managed, env);
}

const maxUpdateManagers = 10;

function capUpdateManagers(managed: Managed, env: Env): void {
  const updaters = [...managed.fields.entries()].filter(([, vs]) => !vs.applied).map(([m]) => m);
  if (updaters.length <= maxUpdateManagers) return;
  const secs = (m: string): number => {
    const t = managed.times.get(m);
    return t === undefined ? 0 : Math.floor(Date.parse(t) / 1000);
  };
  updaters.sort((a, b) => secs(a) - secs(b) || (a < b ? -1 : a > b ? 1 : 0));
  const firstByVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > maxUpdateManagers; i++) {
    const m = updaters[i] as string;
    const vs = managed.fields.get(m);
    if (vs === undefined) continue;
    const time = managed.times.get(m);
    const bucket = managerId({ manager: 'ancient-changes', operation: 'Update', apiVersion: vs.apiVersion, subresource: '' });
    const first = firstByVersion.get(vs.apiVersion);
    if (first === undefined) {
      firstByVersion.set(vs.apiVersion, m);
      continue;
    }
    if (!managed.fields.has(bucket)) {
      const s = managed.fields.get(first);
      managed.fields.delete(first);
      if (s !== undefined) managed.fields.set(bucket, s);
    }
    const b = managed.fields.get(bucket);
    managed.fields.set(bucket, { set: vs.set.union(b?.set ?? new FieldSet()), apiVersion: vs.apiVersion, applied: vs.applied });
    managed.fields.delete(m);
    length--;
    managed.times.set(bucket, time);
  }
  void env;
}

/** UpdateChain is the update path below LastApplied: SkipNonApplied then innerUpdate. */
function updateChain(env: Env, live: Obj, next: Obj, managed: Managed, manager: string): void {
  if (managed.fields.size === 0) {
    const uid = meta(live).uid;
    if (typeof uid === 'string' && uid !== '') return;
  }
  innerUpdate(env, live, next, managed, manager);
}

/** InnerApply is BuildManagerInfo → ManagedFieldsUpdater → StripMeta → StructuredMerge for an apply. */
function innerApply(env: Env, live: Obj, applied: Obj, managed: Managed, manager: string, force: boolean): Obj {
  const id = managerId({
    manager: manager === '' ? 'unknown' : manager,
    operation: 'Apply',
    apiVersion: env.apiVersion,
    subresource: env.subresource,
  });
  typed(applied, env.type, false, 'patch object');
  typed(live, env.type, true, 'live object');
  const ctx: UpdaterCtx = { type: env.type, reset: env.reset };
  const before = clone(managed.fields.get(id));
  let result: unknown;
  try {
    result = updaterApply(ctx, withoutManagedFields(live), applied, env.apiVersion, managed, id, force);
  } catch (e) {
    if (before === undefined) managed.fields.delete(id);
    else managed.fields.set(id, before);
    throw e;
  }
  strip(managed, id);
  if (result !== undefined) {
    managed.times.set(id, env.now);
    return result as Obj;
  }
  return withoutManagedFields(live);
}

function skipNonAppliedApply(env: Env, live: Obj, applied: Obj, managed: Managed, manager: string, force: boolean): Obj {
  let liveObj = live;
  if (managed.fields.size === 0) {
    const empty: Obj = { apiVersion: applied.apiVersion, kind: applied.kind };
    innerUpdate(env, empty, withoutManagedFields(live), managed, 'before-first-apply');
    liveObj = live;
  }
  return innerApply(env, liveObj, applied, managed, manager, force);
}

const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

function lastAppliedOf(o: Obj): string | undefined {
  const ann = meta(o).annotations;
  if (!isRecord(ann)) return undefined;
  const v = ann[lastAppliedAnnotation];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** AllowedConflictsFromLastApplied returns the fields kubectl's last-applied annotation still describes. */
function allowedConflicts(env: Env, live: Obj): FieldSet | undefined {
  const raw = lastAppliedOf(live);
  if (raw === undefined) return undefined;
  let last: unknown;
  try {
    last = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(last) || last.apiVersion !== env.apiVersion) return undefined;
  try {
    if (validateTyped(live, env.type, false).length > 0 || validateTyped(last, env.type, false).length > 0) return undefined;
    const set = toFieldSet(last, env.type);
    const c = compare(last, live, env.type);
    return set.difference(c.modified).difference(c.added).difference(c.removed);
  } catch {
    return undefined;
  }
}

function lastAppliedManagerApply(env: Env, live: Obj, applied: Obj, managed: Managed, manager: string, force: boolean): Obj {
  const snapshot = cloneManaged(managed);
  try {
    return skipNonAppliedApply(env, live, applied, managed, manager, force);
  } catch (e) {
    if (manager !== 'kubectl' || !(e instanceof ConflictError)) throw e;
    const allowed = allowedConflicts(env, live);
    if (allowed === undefined) throw e;
    const remaining = e.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length > 0) throw new ConflictError(remaining);
    restore(managed, snapshot);
    return skipNonAppliedApply(env, live, applied, managed, manager, true);
  }
}

function cloneManaged(m: Managed): Managed {
  return { fields: new Map(m.fields), times: new Map(m.times) };
}

function restore(m: Managed, from: Managed): void {
  m.fields = new Map(from.fields);
  m.times = new Map(from.times);
}

function lastAppliedUpdaterApply(env: Env, live: Obj, applied: Obj, managed: Managed, manager: string, force: boolean): Obj {
  const out = lastAppliedManagerApply(env, live, applied, managed, manager, force);
  if (manager === 'kubectl' && lastAppliedOf(out) !== undefined) {
    const last = clone(applied);
    const lm = meta(last);
    if (isRecord(lm.annotations)) {
      delete lm.annotations[lastAppliedAnnotation];
      if (Object.keys(lm.annotations).length === 0) delete lm.annotations;
    }
    const value = `${goJSON(last)}\n`;
    const m = meta(out);
    const ann = isRecord(m.annotations) ? { ...m.annotations } : {};
    ann[lastAppliedAnnotation] = value;
    let size = 0;
    for (const [k, v] of Object.entries(ann)) size += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : '');
    if (size > 256 * 1024) delete ann[lastAppliedAnnotation];
    m.annotations = ann;
    out.metadata = m;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Public API

function causesOf(conflicts: Conflict[]): FieldCause[] {
  return conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathString(c.path),
  }));
}

function typeOf(info: object): TypeNode {
  const t = (info as ApplyTypeInfo).root;
  if (t === undefined) throw new TypeError('typeInfo is not an apply type (use typeInfoFromSchema or builtinTypeInfo)');
  return t;
}

function resetScope(result: Obj, live: Obj | undefined, scope: FieldScope): Obj {
  if (live === undefined || scope === 'all') return result;
  if (scope === 'no-status') {
    const out = { ...result };
    if (Object.hasOwn(live, 'status')) out.status = clone(live.status);
    else delete out.status;
    return out;
  }
  const out = withoutManagedFields(live);
  if (Object.hasOwn(result, 'status')) out.status = result.status;
  else delete out.status;
  return out;
}

/**
 * ServerSideApply merges `applied` into `live` (or an empty object) for `manager` and returns the
 * object to store with its managedFields. Conflicts throw APISERVER_APPLY_CONFLICT (409); objects
 * the merge cannot type throw APISERVER_APPLY_FAILED (kube answers 500 with the same message);
 * undecodable managedFields throw APISERVER_APPLY_FAILED too.
 */
export function serverSideApply(args: ApplyArgs): { object: KubeObject } {
  const applied = args.applied as unknown as Obj;
  if (meta(applied).managedFields !== undefined && meta(applied).managedFields !== null) {
    throw failure(APPLY_BAD_REQUEST, 'metadata.managedFields must be nil');
  }
  const appliedGV = typeof applied.apiVersion === 'string' ? applied.apiVersion : '';
  if (appliedGV !== args.apiVersion) {
    throw failure(
      APPLY_BAD_REQUEST,
      `Incorrect version specified in apply patch. Specified patch version: ${appliedGV}, expected: ${args.apiVersion}`,
    );
  }
  const deep = tooDeepField(applied);
  if (deep !== undefined) {
    throw failure(
      APPLY_BAD_REQUEST,
      `${deep === '' ? 'the apply configuration' : deep} must not be nested more than ${maxNestingDepth} levels deep`,
    );
  }
  const liveIn = args.live as unknown as Obj | undefined;
  const live: Obj = liveIn === undefined ? { apiVersion: applied.apiVersion, kind: applied.kind } : clone(liveIn);
  let managed: Managed;
  try {
    managed = decodeManagedFields(meta(live).managedFields);
  } catch (e) {
    if (e instanceof ManagedDecodeError) throw failure(APPLY_FAILED, `failed to decode managed fields: ${e.message}`, e);
    throw e;
  }
  const env: Env = {
    type: typeOf(args.typeInfo),
    reset: resetSet(args.scope),
    apiVersion: args.apiVersion,
    subresource: args.subresource,
    now: args.now,
  };
  let out: Obj;
  try {
    out = lastAppliedUpdaterApply(env, live, clone(applied), managed, args.manager, args.force);
  } catch (e) {
    if (e instanceof ConflictError) {
      // The message of several conflicts spans lines; TrellisError keeps one line, so the exact
      // Status message travels in details.statusMessage.
      throw new TrellisError(APPLY_CONFLICT, e.message, { details: { causes: causesOf(e.conflicts), statusMessage: e.message } });
    }
    if (e instanceof DepthError || e instanceof RangeError) throw failure(APPLY_FAILED, `failed to apply: ${e.message}`, e);
    throw e;
  }
  out = resetScope(out, liveIn, args.scope);
  const m = { ...meta(out) };
  const encoded = encodeManagedFields(managed);
  if (encoded === undefined) delete m.managedFields;
  else m.managedFields = encoded;
  out.metadata = m;
  return { object: out as unknown as KubeObject };
}

/**
 * TrackUpdate returns the managedFields to store for a non-apply write (create, update, patch),
 * with ownership of changed fields moved to `manager`. A client may reset the history with
 * `managedFields: [{}]` or replace it (kubectl's CSA→SSA migration). Failures leave the object
 * without managedFields, as kube's UpdateNoErrors does.
 */
export function trackUpdate(args: UpdateArgs): ManagedFieldsEntry[] {
  const next = args.new as unknown as Obj;
  const oldObj = args.old as unknown as Obj | undefined;
  // Too deep to walk safely (validation refuses such objects): no managedFields, as on failures.
  if (tooDeep(next) || tooDeep(oldObj)) return [];
  // An update only reads the old and new objects (type checks and a comparison): no copies.
  const live: Obj = oldObj === undefined ? { apiVersion: next.apiVersion, kind: next.kind } : oldObj;
  let managed: Managed;
  try {
    managed = decodeLiveOrNew(live, next, args.subresource !== '');
  } catch {
    return [];
  }
  const env: Env = {
    type: typeOf(args.typeInfo),
    reset: resetSet(args.scope),
    apiVersion: args.apiVersion,
    subresource: args.subresource,
    now: args.now,
  };
  try {
    // A `/status` write records only status ownership, and the subresource strategy has already
    // made everything but status equal to the live object: comparing (and type-checking) the rest,
    // a CRD's large spec for example, could only produce changes the reset set filters out.
    const view = args.scope === 'status-only' ? statusView : viewWithoutManagedFields;
    updateChain(env, view(live), view(next), managed, args.manager);
  } catch (e) {
    if (e instanceof TrellisError || e instanceof DepthError || e instanceof RangeError || e instanceof MergeError) return [];
    throw e;
  }
  return encodeManagedFields(managed) ?? [];
}

function decodeLiveOrNew(live: Obj, next: Obj, ignoreNew: boolean): Managed {
  const safe = (v: unknown): Managed => {
    try {
      return decodeManagedFields(v);
    } catch {
      return emptyManaged();
    }
  };
  if (ignoreNew) return safe(meta(live).managedFields);
  const nm = meta(next).managedFields;
  if (isResetManagedFields(nm)) return emptyManaged();
  let managed: Managed;
  try {
    managed = decodeManagedFields(nm);
  } catch {
    return safe(meta(live).managedFields);
  }
  if (managed.fields.size === 0) return safe(meta(live).managedFields);
  return managed;
}
