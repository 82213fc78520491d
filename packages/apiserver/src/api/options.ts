import type { FieldCause } from '../contracts.ts';
import { badRequest, fe, invalid } from './errors.ts';

/** Query-parameter options of the write verbs, validated as apimachinery does. */
export interface WriteOptions {
  dryRun: boolean;
  fieldManager: string;
  fieldValidation: 'Ignore' | 'Warn' | 'Strict';
}

export interface PatchOptions extends WriteOptions {
  force: boolean | undefined;
}

export type PropagationPolicy = 'Foreground' | 'Background' | 'Orphan';

export interface DeleteOpts {
  dryRun: boolean;
  propagationPolicy: PropagationPolicy | undefined;
  orphanDependents: boolean | undefined;
  gracePeriodSeconds: number | undefined;
  preconditions: { uid?: string; resourceVersion?: string } | undefined;
}

function validateCommon(q: URLSearchParams): { causes: FieldCause[]; opts: WriteOptions } {
  const causes: FieldCause[] = [];
  const fm = q.get('fieldManager') ?? '';
  if (Buffer.byteLength(fm) > 128) causes.push(fe.tooLong('fieldManager', 128));
  let i = 0;
  for (const ch of fm) {
    if (/\p{C}/u.test(ch)) {
      const cp = ch.codePointAt(0) ?? 0;
      causes.push(
        fe.invalid('fieldManager', fm, `invalid character U+${cp.toString(16).toUpperCase().padStart(4, '0')} (at position ${i})`),
      );
    }
    i += Buffer.byteLength(ch);
  }
  const dry = q.getAll('dryRun');
  if (dry.some((d) => d !== 'All')) causes.push(fe.notSupported('dryRun', dry, ['All']));
  const fv = q.get('fieldValidation') ?? '';
  if (!['', 'Ignore', 'Warn', 'Strict'].includes(fv)) causes.push(fe.notSupported('fieldValidation', fv, ['', 'Ignore', 'Strict', 'Warn']));
  return {
    causes,
    opts: { dryRun: dry.length > 0, fieldManager: fm, fieldValidation: fv === 'Ignore' || fv === 'Strict' ? fv : 'Warn' },
  };
}

export function createOptions(q: URLSearchParams): WriteOptions {
  const { causes, opts } = validateCommon(q);
  if (causes.length > 0) throw invalid('meta.k8s.io', 'CreateOptions', '', causes);
  return opts;
}

export function updateOptions(q: URLSearchParams): WriteOptions {
  const { causes, opts } = validateCommon(q);
  if (causes.length > 0) throw invalid('meta.k8s.io', 'UpdateOptions', '', causes);
  return opts;
}

export function patchOptions(q: URLSearchParams, apply: boolean): PatchOptions {
  const { causes, opts } = validateCommon(q);
  const forceRaw = q.get('force');
  let force: boolean | undefined;
  if (forceRaw !== null) {
    if (forceRaw !== 'true' && forceRaw !== 'false')
      throw badRequest(`strconv.ParseBool: parsing ${JSON.stringify(forceRaw)}: invalid syntax`);
    force = forceRaw === 'true';
  }
  const pre: FieldCause[] = [];
  if (apply) {
    if (opts.fieldManager === '') pre.push(fe.required('fieldManager', 'is required for apply patch'));
  } else if (force !== undefined) pre.push(fe.forbidden('force', 'may not be specified for non-apply patch'));
  const all = [...pre, ...causes];
  if (all.length > 0) throw invalid('meta.k8s.io', 'PatchOptions', '', all);
  return { ...opts, force };
}

/** DeleteOptions merges the body (JSON or protobuf-decoded) with query parameters. */
export function deleteOptions(body: Record<string, unknown> | undefined, q: URLSearchParams): DeleteOpts {
  const b = body ?? {};
  const causes: FieldCause[] = [];
  let propagation = typeof b.propagationPolicy === 'string' ? b.propagationPolicy : (q.get('propagationPolicy') ?? undefined);
  if (propagation === '') propagation = undefined;
  const orphanRaw = b.orphanDependents ?? (q.get('orphanDependents') === null ? undefined : q.get('orphanDependents') === 'true');
  const orphan = typeof orphanRaw === 'boolean' ? orphanRaw : undefined;
  if (orphan !== undefined && propagation !== undefined)
    causes.push(fe.invalid('propagationPolicy', propagation, 'orphanDependents and deletionPropagation cannot be both set'));
  if (propagation !== undefined && !['Foreground', 'Background', 'Orphan'].includes(propagation)) {
    causes.push(fe.notSupported('propagationPolicy', propagation, ['Foreground', 'Background', 'Orphan', 'nil']));
  }
  const dryBody = Array.isArray(b.dryRun) ? (b.dryRun as unknown[]).map(String) : [];
  const dry = [...dryBody, ...q.getAll('dryRun')];
  if (dry.some((d) => d !== 'All')) causes.push(fe.notSupported('dryRun', dry, ['All']));
  if (causes.length > 0) throw invalid('meta.k8s.io', 'DeleteOptions', '', causes);
  const graceRaw = b.gracePeriodSeconds ?? (q.get('gracePeriodSeconds') === null ? undefined : Number(q.get('gracePeriodSeconds')));
  const pre = typeof b.preconditions === 'object' && b.preconditions !== null ? (b.preconditions as Record<string, unknown>) : undefined;
  let preconditions: DeleteOpts['preconditions'];
  if (pre !== undefined) {
    preconditions = {};
    if (typeof pre.uid === 'string') preconditions.uid = pre.uid;
    if (typeof pre.resourceVersion === 'string') preconditions.resourceVersion = pre.resourceVersion;
  }
  return {
    dryRun: dry.length > 0,
    propagationPolicy: propagation as PropagationPolicy | undefined,
    orphanDependents: orphan,
    gracePeriodSeconds: typeof graceRaw === 'number' && Number.isFinite(graceRaw) ? graceRaw : undefined,
    preconditions,
  };
}

/** List/watch query options. */
export interface ListOpts {
  watch: boolean;
  resourceVersion: string;
  resourceVersionMatch: string;
  limit: number;
  continueToken: string;
  labelSelector: string;
  fieldSelector: string;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
  timeoutSeconds: number | undefined;
}

function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === 'true' || v === '1' || v === 'True' || v === 'TRUE' || v === 't' || v === 'T') return true;
  if (v === 'false' || v === '0' || v === 'False' || v === 'FALSE' || v === 'f' || v === 'F' || v === '') return false;
  throw badRequest(`strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** ListOptions parses and validates list/watch parameters (422 ListOptions.meta.k8s.io on bad combinations). */
export function listOptions(q: URLSearchParams, watchFromPath: boolean): ListOpts {
  const watch = watchFromPath || boolParam(q, 'watch') === true;
  const o: ListOpts = {
    watch,
    resourceVersion: q.get('resourceVersion') ?? '',
    resourceVersionMatch: q.get('resourceVersionMatch') ?? '',
    limit: intParam(q, 'limit') ?? 0,
    continueToken: q.get('continue') ?? '',
    labelSelector: q.get('labelSelector') ?? '',
    fieldSelector: q.get('fieldSelector') ?? '',
    allowWatchBookmarks: boolParam(q, 'allowWatchBookmarks') === true,
    sendInitialEvents: boolParam(q, 'sendInitialEvents'),
    timeoutSeconds: intParam(q, 'timeoutSeconds'),
  };
  const causes: FieldCause[] = [];
  const match = o.resourceVersionMatch;
  if (watch) {
    if (o.sendInitialEvents !== undefined && match !== 'NotOlderThan') {
      causes.push(fe.forbidden('resourceVersionMatch', 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'));
    }
    if (match !== '') {
      if (o.sendInitialEvents === undefined)
        causes.push(
          fe.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'),
        );
      if (match !== 'NotOlderThan') causes.push(fe.notSupported('resourceVersionMatch', match, ['NotOlderThan']));
      if (o.continueToken !== '')
        causes.push(fe.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
    }
  } else {
    if (match !== '') {
      if (o.resourceVersion === '')
        causes.push(fe.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden unless resourceVersion is provided'));
      if (o.continueToken !== '')
        causes.push(fe.forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'));
      if (match !== 'Exact' && match !== 'NotOlderThan')
        causes.push(fe.notSupported('resourceVersionMatch', match, ['Exact', 'NotOlderThan', '']));
      if (match === 'Exact' && o.resourceVersion === '0')
        causes.push(fe.forbidden('resourceVersionMatch', 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
    }
    if (o.sendInitialEvents !== undefined) causes.push(fe.forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  if (causes.length > 0) throw invalid('meta.k8s.io', 'ListOptions', '', causes);
  return o;
}

/** ParseResourceVersion parses a resourceVersion parameter (400 when not a number). */
export function parseResourceVersion(rv: string): number {
  if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: strconv.ParseUint: parsing ${JSON.stringify(rv)}: invalid syntax`);
  return Number(rv);
}
