// metadata.managedFields: decoding and encoding entries (FieldsV1), manager identifiers, sorting,
// and conflict errors, as k8s.io/apimachinery/pkg/util/managedfields/internal does them.

import type { ManagedFieldsEntry } from '../contracts.ts';
import { goQuote } from '../schema/gofmt.ts';
import type { Path } from './fieldpath.ts';
import { FieldSet, pathString } from './fieldpath.ts';

/** A VersionedSet is one manager's fields, at the API version it used, and whether it applied them. */
export interface VersionedSet {
  set: FieldSet;
  apiVersion: string;
  applied: boolean;
}

/** Managed is the decoded managedFields: sets and times keyed by manager identifier. */
export interface Managed {
  fields: Map<string, VersionedSet>;
  times: Map<string, string | undefined>;
}

export function emptyManaged(): Managed {
  return { fields: new Map(), times: new Map() };
}

/** ManagedDecodeError is a managedFields entry that cannot be decoded. */
export class ManagedDecodeError extends Error {
  override name = 'ManagedDecodeError';
}

export interface ManagerIdentity {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource: string;
}

/**
 * Identifiers are built and parsed for every write; a server sees few distinct managers, so both
 * directions are memoized (bounded: cleared when full).
 */
const MEMO_LIMIT = 4096;
const idMemo = new Map<string, string>();
const identMemo = new Map<string, Readonly<ManagerIdentity>>();

/** ManagerId is BuildManagerIdentifier: the JSON of the entry without time and fields (and without apiVersion for appliers). */
export function managerId(m: ManagerIdentity): string {
  const key = `${m.operation}\u0000${m.apiVersion}\u0000${m.subresource}\u0000${m.manager}`;
  let id = idMemo.get(key);
  if (id === undefined) {
    const parts = [`"manager":${JSON.stringify(m.manager)}`, `"operation":${JSON.stringify(m.operation)}`];
    if (m.operation !== 'Apply' && m.apiVersion !== '') parts.push(`"apiVersion":${JSON.stringify(m.apiVersion)}`);
    if (m.subresource !== '') parts.push(`"subresource":${JSON.stringify(m.subresource)}`);
    id = `{${parts.join(',')}}`;
    if (idMemo.size >= MEMO_LIMIT) idMemo.clear();
    idMemo.set(key, id);
  }
  return id;
}

/** ParseManagerId is the inverse of managerId (the result is shared: do not modify it). */
export function parseManagerId(id: string): Readonly<ManagerIdentity> {
  let ident = identMemo.get(id);
  if (ident === undefined) {
    const o = JSON.parse(id) as Partial<ManagerIdentity>;
    ident = Object.freeze({
      manager: o.manager ?? '',
      operation: o.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: o.apiVersion ?? '',
      subresource: o.subresource ?? '',
    });
    if (identMemo.size >= MEMO_LIMIT) identMemo.clear();
    identMemo.set(id, ident);
  }
  return ident;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** DecodeManagedFields decodes an object's managedFields (DecodeManagedFields). */
export function decodeManagedFields(entries: unknown): Managed {
  const m = emptyManaged();
  if (entries === undefined || entries === null) return m;
  if (!Array.isArray(entries)) throw new ManagedDecodeError('managedFields must be a list');
  entries.forEach((raw, i) => {
    const e = isRecord(raw) ? raw : {};
    const op = e.operation;
    if (op !== 'Apply' && op !== 'Update') throw new ManagedDecodeError('operation must be `Apply` or `Update`');
    const apiVersion = typeof e.apiVersion === 'string' ? e.apiVersion : '';
    if (apiVersion === '') throw new ManagedDecodeError('apiVersion must not be empty');
    const ft = typeof e.fieldsType === 'string' ? e.fieldsType : '';
    if (ft === '') throw new ManagedDecodeError(`missing fieldsType in managed fields entry ${i}`);
    if (ft !== 'FieldsV1') throw new ManagedDecodeError(`invalid fieldsType ${JSON.stringify(ft)} in managed fields entry ${i}`);
    const id = managerId({
      manager: typeof e.manager === 'string' ? e.manager : '',
      operation: op,
      apiVersion,
      subresource: typeof e.subresource === 'string' ? e.subresource : '',
    });
    let set: FieldSet;
    try {
      set = e.fieldsV1 === undefined || e.fieldsV1 === null ? new FieldSet() : FieldSet.fromFieldsV1(e.fieldsV1);
    } catch (err) {
      throw new ManagedDecodeError(`error decoding versioned set from entry ${i}: error decoding set: ${(err as Error).message}`);
    }
    m.fields.set(id, { set, apiVersion, applied: op === 'Apply' });
    m.times.set(id, typeof e.time === 'string' ? e.time : undefined);
  });
  return m;
}

function seconds(t: string | undefined): number {
  if (t === undefined) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** EncodeManagedFields encodes managed fields sorted as kube sorts them (undefined when empty). */
export function encodeManagedFields(m: Managed): ManagedFieldsEntry[] | undefined {
  if (m.fields.size === 0) return undefined;
  const out: ManagedFieldsEntry[] = [];
  for (const [id, vs] of m.fields) {
    const ident = parseManagerId(id);
    const e: ManagedFieldsEntry = {
      manager: ident.manager,
      operation: vs.applied ? 'Apply' : ident.operation,
      apiVersion: vs.apiVersion,
      fieldsType: 'FieldsV1',
      fieldsV1: vs.set.toFieldsV1(),
    };
    const t = m.times.get(id);
    if (t !== undefined) e.time = t;
    if (ident.subresource !== '') e.subresource = ident.subresource;
    out.push(e);
  }
  out.sort(
    (p, q) =>
      cmpStr(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      cmpStr(p.manager, q.manager) ||
      cmpStr(p.apiVersion, q.apiVersion) ||
      cmpStr(p.subresource ?? '', q.subresource ?? ''),
  );
  // Entries are emitted with kube's JSON field order.
  return out.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    ...(e.time === undefined ? {} : { time: e.time }),
    fieldsType: e.fieldsType,
    fieldsV1: e.fieldsV1,
    ...(e.subresource === undefined ? {} : { subresource: e.subresource }),
  }));
}

/** IsResetManagedFields reports `managedFields: []` or `[{}]`, which clear the history. */
export function isResetManagedFields(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  if (v.length === 0) return true;
  return v.length === 1 && isRecord(v[0]) && Object.keys(v[0]).length === 0;
}

// ---------------------------------------------------------------------------------------------
// Conflicts

export interface Conflict {
  manager: string;
  path: Path;
}

/** PrintManager is printManager: `"name"`, `with subresource "status"`, and `using <apiVersion>` for updaters. */
export function printManager(id: string): string {
  let ident: Readonly<ManagerIdentity>;
  try {
    ident = parseManagerId(id);
  } catch {
    return goQuote(id);
  }
  let s = goQuote(ident.manager);
  if (ident.subresource !== '') s += ` with subresource ${goQuote(ident.subresource)}`;
  if (ident.operation === 'Update') s += ` using ${ident.apiVersion}`;
  return s;
}

/** ConflictMessage is getConflictMessage. */
export function conflictMessage(conflicts: Conflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0] as Conflict;
    return `Apply failed with 1 conflict: conflict with ${printManager(c.manager)}: ${pathString(c.path)}`;
  }
  const byManager = new Map<string, Path[]>();
  for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
  const lines: string[] = [];
  for (const m of [...byManager.keys()].sort(cmpStr)) {
    lines.push(`conflicts with ${printManager(m)}:`);
    for (const p of byManager.get(m) ?? []) lines.push(`- ${pathString(p)}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}
