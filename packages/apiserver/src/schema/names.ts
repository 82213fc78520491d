// Name and ObjectMeta validation with apimachinery's texts (pkg/util/validation,
// pkg/api/validate/content, pkg/api/validation/objectmeta.go). Used for embedded resources and
// CRD names here; the core may reuse them for top-level metadata.
import { child, type FieldError, forbidden, index, invalid, key, required, tooLong } from './field.ts';
import { utf8Length } from './gofmt.ts';

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const labelKeyFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValueFmt = `(${labelKeyFmt})?`;
const dns1123Label = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123Subdomain = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035Label = new RegExp(`^${dns1035LabelFmt}$`);
const labelKey = new RegExp(`^${labelKeyFmt}$`);
const labelValue = new RegExp(`^${labelValueFmt}$`);

/** RegexError is apimachinery's RegexError text. */
export function regexError(msg: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${re}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`;
}

function maxLenError(n: number): string {
  return `must be no more than ${n} bytes`;
}

export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (utf8Length(v) > 63) errs.push(maxLenError(63));
  if (!dns1123Label.test(v)) {
    if (dns1123Subdomain.test(v)) errs.push('must not contain dots');
    else
      errs.push(
        regexError(
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
          dns1123LabelFmt,
          'my-name',
          '123-abc',
        ),
      );
  }
  return errs;
}

export function isDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (utf8Length(v) > 253) errs.push(maxLenError(253));
  if (!dns1123Subdomain.test(v)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        dns1123SubdomainFmt,
        'example.com',
      ),
    );
  }
  return errs;
}

export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (utf8Length(v) > 63) errs.push(maxLenError(63));
  if (!dns1035Label.test(v)) {
    errs.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        dns1035LabelFmt,
        'my-name',
        'abc-123',
      ),
    );
  }
  return errs;
}

const labelKeyErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** IsQualifiedName validates a label key / annotation key / finalizer (`[prefix/]name`). */
export function isQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0] ?? '';
  else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix === '') errs.push('prefix part must be non-empty');
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [
      `a valid label key ${regexError(labelKeyErrMsg, labelKeyFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name === '') errs.push('name part must be non-empty');
  else if (utf8Length(name) > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!labelKey.test(name)) errs.push(`name part ${regexError(labelKeyErrMsg, labelKeyFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

export function isLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (utf8Length(v) > 63) errs.push(maxLenError(63));
  if (!labelValue.test(v)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        labelValueFmt,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

/** A NameValidator validates a name (or, with prefix, a generateName). */
export type NameValidator = (name: string, prefix: boolean) => string[];

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);

/** PathSegmentName is the name rule of embedded resources (content.IsPathSegmentName / Prefix). */
export const nameIsPathSegment: NameValidator = (name, prefix) => {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  const errs: string[] = [];
  if (name.includes('/')) errs.push("may not contain '/'");
  if (name.includes('%')) errs.push("may not contain '%'");
  return errs;
};

const totalAnnotationSizeLimit = 256 * 1024;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** ValidateAnnotations checks keys (qualified names, lower-cased) and the 256 KiB total size. */
export function validateAnnotations(annotations: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    total += utf8Length(k) + utf8Length(str(v));
  }
  if (total > totalAnnotationSizeLimit) errs.push(tooLong(path, totalAnnotationSizeLimit));
  return errs;
}

/** ValidateLabels checks label keys and values. */
export function validateLabels(labels: Record<string, unknown>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    for (const m of isQualifiedName(k)) errs.push(invalid(path, k, m));
    for (const m of isLabelValue(str(v))) errs.push(invalid(path, str(v), m));
  }
  return errs;
}

function validateOwnerReferences(refs: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const r of refs) {
    const ref = isRecord(r) ? r : {};
    const apiVersion = str(ref.apiVersion);
    const kind = str(ref.kind);
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (version === '') errs.push(invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (kind === '') errs.push(invalid(child(path, 'kind'), kind, 'must not be empty'));
    if (str(ref.name) === '') errs.push(invalid(child(path, 'name'), str(ref.name), 'must not be empty'));
    if (str(ref.uid) === '') errs.push(invalid(child(path, 'uid'), str(ref.uid), 'must not be empty'));
    if (apiVersion === 'v1' && kind === 'Event') errs.push(invalid(path, ref, '/v1, Kind=Event is disallowed from being an owner'));
    if (ref.controller === true) {
      const cur = `${kind}/${str(ref.name)}`;
      if (firstController !== '') {
        errs.push(
          invalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else firstController = cur;
    }
  }
  return errs;
}

function validateFinalizers(finalizers: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  let orphan = false;
  let foreground = false;
  for (const f of finalizers) {
    const s = str(f);
    for (const m of isQualifiedName(s)) errs.push(invalid(path, s, m));
    if (s === 'orphan') orphan = true;
    if (s === 'foregroundDeletion') foreground = true;
  }
  if (orphan && foreground) errs.push(invalid(path, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  return errs;
}

function validateManagedFields(entries: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  entries.forEach((e, i) => {
    const p = index(path, i);
    const entry = isRecord(e) ? e : {};
    const op = str(entry.operation);
    if (op !== 'Apply' && op !== 'Update') errs.push(invalid(child(p, 'operation'), op, 'must be `Apply` or `Update`'));
    const ft = str(entry.fieldsType);
    if (ft !== '' && ft !== 'FieldsV1') errs.push(invalid(child(p, 'fieldsType'), ft, 'must be `FieldsV1`'));
    const manager = str(entry.manager);
    if (utf8Length(manager) > 128) errs.push(tooLong(child(p, 'manager'), 128));
    let pos = 0;
    for (const ch of manager) {
      if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) {
        const cp = ch.codePointAt(0) ?? 0;
        errs.push(
          invalid(
            child(p, 'manager'),
            manager,
            `invalid character U+${cp.toString(16).toUpperCase().padStart(4, '0')} (at position ${pos})`,
          ),
        );
      }
      pos += utf8Length(ch);
    }
    if (utf8Length(str(entry.subresource)) > 256) errs.push(tooLong(child(p, 'subresource'), 256));
  });
  return errs;
}

export interface ObjectMetaOptions {
  /** RequiresNamespace: true for namespaced objects (namespace required), false for cluster-scoped (forbidden). */
  requiresNamespace: boolean;
  nameFn: NameValidator;
}

/** ValidateObjectMeta is ValidateObjectMetaAccessor for a decoded `metadata` object. */
export function validateObjectMeta(meta: Record<string, unknown>, opts: ObjectMetaOptions, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const generateName = str(meta.generateName);
  const name = str(meta.name);
  if (generateName !== '')
    for (const m of opts.nameFn(generateName, true)) errs.push(invalid(child(path, 'generateName'), generateName, m));
  if (name === '') errs.push(required(child(path, 'name'), 'name or generateName is required'));
  else for (const m of opts.nameFn(name, false)) errs.push(invalid(child(path, 'name'), name, m));
  const namespace = str(meta.namespace);
  if (opts.requiresNamespace) {
    if (namespace === '') errs.push(required(child(path, 'namespace')));
    else for (const m of nameIsDNSLabel(namespace, false)) errs.push(invalid(child(path, 'namespace'), namespace, m));
  } else if (namespace !== '') errs.push(forbidden(child(path, 'namespace'), 'not allowed on this type'));
  const generation = meta.generation;
  if (typeof generation === 'number' && generation < 0) {
    errs.push(invalid(child(path, 'generation'), generation, 'must be greater than or equal to 0'));
  }
  if (isRecord(meta.labels)) errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  if (isRecord(meta.annotations)) errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  if (Array.isArray(meta.ownerReferences)) errs.push(...validateOwnerReferences(meta.ownerReferences, child(path, 'ownerReferences')));
  if (Array.isArray(meta.finalizers)) errs.push(...validateFinalizers(meta.finalizers, child(path, 'finalizers')));
  if (Array.isArray(meta.managedFields)) errs.push(...validateManagedFields(meta.managedFields, child(path, 'managedFields')));
  return errs;
}

/** ObjectMetaKeys are the fields of metav1.ObjectMeta (anything else in `metadata` is an unknown field). */
export const objectMetaKeys: ReadonlySet<string> = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

/** KeyPath formats a map-key path element (`metadata.labels[app]`). */
export function keyPath(path: string, k: string): string {
  return key(path, k);
}
