import type { FieldCause } from '../contracts.ts';
import { fe, formatValue } from './errors.ts';

/**
 * ObjectMeta validation as apimachinery does it (pkg/api/validation/objectmeta.go,
 * pkg/util/validation): one set of rules for every kind, built-in or custom. The schema library
 * reuses these helpers for embedded resources.
 */

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const LABEL_KEY_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_KEY_RE = new RegExp(`^${LABEL_KEY_FMT}$`);
const LABEL_KEY_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${LABEL_KEY_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

export function maxLenError(n: number): string {
  return `must be no more than ${n} characters`;
}

/** IsDNS1123Label returns the problems of a DNS-1123 label (empty when valid). */
export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (byteLength(v) > 63) errs.push(maxLenError(63));
  if (!DNS1123_LABEL_RE.test(v)) {
    if (DNS1123_SUBDOMAIN_RE.test(v)) errs.push('must not contain dots');
    else errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

/** IsDNS1123Subdomain returns the problems of a DNS-1123 subdomain (empty when valid). */
export function isDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (byteLength(v) > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN_RE.test(v)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

/** IsQualifiedName validates a label key / annotation key / finalizer (`[prefix/]name`). */
export function isQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0] as string;
  else if (parts.length === 2) {
    const prefix = parts[0] as string;
    name = parts[1] as string;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [
      `a valid label key ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (byteLength(name) > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!LABEL_KEY_RE.test(name)) errs.push(`name part ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

export function isLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (byteLength(v) > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE_RE.test(v)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

/** A NameValidation validates `metadata.name` (or a generateName prefix when `prefix`). */
export type NameValidation = (name: string, prefix: boolean) => string[];

function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

export const nameIsDNSSubdomain: NameValidation = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidation = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
/** NameIsPathSegment is the rule for kinds whose names only need to be a path segment (Events). */
export const nameIsPathSegment: NameValidation = (name, prefix) => {
  if (prefix) return [];
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
};

export interface MetaValidationOptions {
  namespaced: boolean;
  nameValidation: NameValidation;
  /** Path is the field path of the metadata (default `metadata`). */
  path?: string;
}

/** ValidateObjectMeta validates metadata on create (ValidateObjectMetaAccessor). */
export function validateObjectMeta(meta: Record<string, unknown>, opts: MetaValidationOptions): FieldCause[] {
  const p = opts.path ?? 'metadata';
  const out: FieldCause[] = [];
  const name = typeof meta.name === 'string' ? meta.name : '';
  const generateName = typeof meta.generateName === 'string' ? meta.generateName : '';
  if (generateName !== '')
    for (const m of opts.nameValidation(generateName, true)) out.push(fe.invalid(`${p}.generateName`, generateName, m));
  if (name === '') out.push(fe.required(`${p}.name`, 'name or generateName is required'));
  else for (const m of opts.nameValidation(name, false)) out.push(fe.invalid(`${p}.name`, name, m));
  out.push(...validateCommon(meta, opts.namespaced, p));
  return out;
}

function validateCommon(meta: Record<string, unknown>, namespaced: boolean, p: string): FieldCause[] {
  const out: FieldCause[] = [];
  const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
  if (namespaced) {
    if (ns === '') out.push(fe.required(`${p}.namespace`));
    else for (const m of isDNS1123Label(ns)) out.push(fe.invalid(`${p}.namespace`, ns, m));
  } else if (ns !== '') {
    out.push(fe.forbidden(`${p}.namespace`, 'not allowed on this type'));
  }
  if (typeof meta.generation === 'number' && meta.generation < 0) {
    out.push(fe.invalid(`${p}.generation`, meta.generation, 'must be greater than or equal to 0'));
  }
  out.push(...validateLabels(meta.labels, `${p}.labels`));
  out.push(...validateAnnotations(meta.annotations, `${p}.annotations`));
  out.push(...validateOwnerReferences(meta.ownerReferences, `${p}.ownerReferences`));
  out.push(...validateFinalizers(meta.finalizers, `${p}.finalizers`));
  return out;
}

export function validateLabels(labels: unknown, p: string): FieldCause[] {
  const out: FieldCause[] = [];
  if (labels === undefined || labels === null) return out;
  for (const [k, v] of sortedEntries(labels)) {
    for (const m of isQualifiedName(k)) out.push(fe.invalid(p, k, m));
    for (const m of isLabelValue(String(v))) out.push(fe.invalid(p, v, m));
  }
  return out;
}

export function validateAnnotations(annotations: unknown, p: string): FieldCause[] {
  const out: FieldCause[] = [];
  if (annotations === undefined || annotations === null) return out;
  let total = 0;
  for (const [k, v] of sortedEntries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) out.push(fe.invalid(p, k, m));
    total += byteLength(k) + byteLength(String(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) out.push(fe.tooLong(p, TOTAL_ANNOTATION_SIZE_LIMIT));
  return out;
}

export function validateOwnerReferences(refs: unknown, p: string): FieldCause[] {
  const out: FieldCause[] = [];
  if (!Array.isArray(refs)) return out;
  let firstController = '';
  for (const r of refs as Array<Record<string, unknown>>) {
    const apiVersion = str(r.apiVersion);
    const kind = str(r.kind);
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (version === '') out.push(fe.invalid(`${p}.apiVersion`, apiVersion, 'version must not be empty'));
    if (kind === '') out.push(fe.invalid(`${p}.kind`, kind, 'must not be empty'));
    if (str(r.name) === '') out.push(fe.invalid(`${p}.name`, str(r.name), 'must not be empty'));
    if (str(r.uid) === '') out.push(fe.invalid(`${p}.uid`, str(r.uid), 'must not be empty'));
    if (apiVersion === 'v1' && kind === 'Event') out.push(fe.invalid(p, r, '/v1, Kind=Event is disallowed from being an owner'));
    if (r.controller === true) {
      const cur = `${kind}/${str(r.name)}`;
      if (firstController !== '') {
        out.push(
          fe.invalid(
            p,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else firstController = cur;
    }
  }
  return out;
}

export function validateFinalizers(finalizers: unknown, p: string): FieldCause[] {
  const out: FieldCause[] = [];
  if (!Array.isArray(finalizers)) return out;
  let orphan = false;
  let foreground = false;
  for (const f of finalizers) {
    const s = String(f);
    for (const m of isQualifiedName(s)) out.push(fe.invalid(p, s, m));
    if (s === 'orphan') orphan = true;
    if (s === 'foregroundDeletion') foreground = true;
  }
  if (orphan && foreground) out.push(fe.invalid(p, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  return out;
}

/** ValidateObjectMetaUpdate validates metadata on update (ValidateObjectMetaAccessorUpdate). */
export function validateObjectMetaUpdate(meta: Record<string, unknown>, old: Record<string, unknown>, p = 'metadata'): FieldCause[] {
  const out: FieldCause[] = [];
  if (old.deletionTimestamp !== undefined && old.deletionTimestamp !== null) {
    const oldF = new Set(Array.isArray(old.finalizers) ? (old.finalizers as string[]) : []);
    const extra = [...new Set(Array.isArray(meta.finalizers) ? (meta.finalizers as string[]) : [])].filter((f) => !oldF.has(f)).sort();
    if (extra.length > 0) {
      out.push(
        fe.forbidden(
          `${p}.finalizers`,
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((f) => JSON.stringify(f)).join(', ')}}`,
        ),
      );
    }
  }
  if (str(meta.resourceVersion) === '') out.push(fe.invalid(`${p}.resourceVersion`, '', 'must be specified for an update'));
  if (num(meta.generation) < num(old.generation)) out.push(fe.invalid(`${p}.generation`, num(meta.generation), 'must not be decremented'));
  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds']) {
    const a = meta[f] ?? undefined;
    const b = old[f] ?? undefined;
    if (JSON.stringify(a) !== JSON.stringify(b))
      out.push(fe.invalid(`${p}.${f}`, a === undefined ? immutableZero(f) : a, 'field is immutable'));
  }
  out.push(...validateLabels(meta.labels, `${p}.labels`));
  out.push(...validateAnnotations(meta.annotations, `${p}.annotations`));
  out.push(...validateOwnerReferences(meta.ownerReferences, `${p}.ownerReferences`));
  return out;
}

function immutableZero(f: string): unknown {
  if (f === 'deletionTimestamp' || f === 'deletionGracePeriodSeconds') return null;
  if (f === 'creationTimestamp') return null;
  return '';
}

/** ValidateFinalizersUpdate is the extra finalizer check kube runs on update (ValidateFinalizers). */
export function validateFinalizersOnUpdate(meta: Record<string, unknown>, p = 'metadata'): FieldCause[] {
  return validateFinalizers(meta.finalizers, `${p}.finalizers`);
}

function sortedEntries(m: unknown): Array<[string, unknown]> {
  if (typeof m !== 'object' || m === null) return [];
  return Object.entries(m as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function byteLength(s: string): number {
  return Buffer.byteLength(s);
}

export { formatValue };
