import { nameIsDNSSubdomain, toCause, validateObjectMeta } from '@trellis/apiserver';
import { errorMessage, type KubeObject, parseApiVersion } from '@trellis/sdk';
import { formatSource, type LoadedObject, type Source } from '../input/load.ts';
import type { ExtensionProblem, SchemaEntry, SchemaSet } from './schemas.ts';

/** FindingType says which check found a problem. */
export const FindingType = {
  /** Schema: OpenAPI keywords, required fields, formats, and CEL rules (x-kubernetes-validations). */
  Schema: 'schema',
  /** UnknownField: a field the schema does not declare (the API server would drop or refuse it). */
  UnknownField: 'unknown-field',
  /** Metadata: name, labels, annotations and the rest of ObjectMeta. */
  Metadata: 'metadata',
  /** NotServed: the version exists but is not served. */
  NotServed: 'not-served',
} as const;
export type FindingType = (typeof FindingType)[keyof typeof FindingType];

/** A Finding is one problem with one resource, naming the field path. */
export interface Finding {
  type: FindingType;
  /** Field is the path (`spec.parameters.size`), '' for the whole object. */
  field: string;
  /** Reason is kube's cause reason (`FieldValueInvalid`, `FieldValueRequired`, ...). */
  reason: string;
  /** Message is the whole error as kube prints it, field first. */
  message: string;
}

export const ResultStatus = { Success: 'success', Failure: 'failure', MissingSchema: 'missing-schema' } as const;
export type ResultStatus = (typeof ResultStatus)[keyof typeof ResultStatus];

/** A ResourceResult is the outcome for one resource. */
export interface ResourceResult {
  source: Source;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  status: ResultStatus;
  findings: Finding[];
}

export interface ValidateReport {
  resources: ResourceResult[];
  extensions: ExtensionProblem[];
  summary: { total: number; missingSchemas: number; success: number; failure: number; extensionProblems: number };
}

/** Kinds `trellis render` adds to its output that are not resources (`-r`, `-c`). */
const RenderOnlyGroup = 'render.crossplane.io';

/** NameOf names a resource: its name, else its composition resource name (as upstream prints it). */
export function nameOf(o: KubeObject): string {
  const n = o.metadata?.name ?? '';
  if (n !== '') return n;
  const crn = o.metadata?.annotations?.['crossplane.io/composition-resource-name'] ?? '';
  if (crn !== '') return crn;
  return o.metadata?.generateName === undefined ? '' : `${o.metadata.generateName}*`;
}

/** GvkString prints `group/version, Kind=K` as apimachinery does. */
export function gvkString(apiVersion: string, kind: string): string {
  return `${apiVersion}, Kind=${kind}`;
}

/**
 * ValidateResources validates each resource against the schema set, as the API server would on
 * create (or on update when an old version is given, for CEL transition rules): unknown fields,
 * defaults, OpenAPI and CEL, and ObjectMeta. It never throws for bad input.
 */
export function validateResources(resources: LoadedObject[], schemas: SchemaSet, old: LoadedObject[] = []): ValidateReport {
  const olds = new Map(old.map((o) => [oldKey(o.object), o.object]));
  const results: ResourceResult[] = [];
  for (const r of resources) {
    if (parseApiVersion(r.object.apiVersion).group === RenderOnlyGroup) continue;
    results.push(validateOne(r, schemas, olds.get(oldKey(r.object))));
  }
  const count = (s: ResultStatus): number => results.filter((r) => r.status === s).length;
  return {
    resources: results,
    extensions: schemas.problems,
    summary: {
      total: results.length,
      missingSchemas: count('missing-schema'),
      success: count('success'),
      failure: count('failure'),
      extensionProblems: schemas.problems.length,
    },
  };
}

function oldKey(o: KubeObject): string {
  return `${o.apiVersion}|${o.kind}|${o.metadata?.namespace ?? ''}|${o.metadata?.name ?? ''}`;
}

function validateOne(r: LoadedObject, schemas: SchemaSet, old: KubeObject | undefined): ResourceResult {
  const o = r.object;
  const base: ResourceResult = {
    source: r.source,
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: nameOf(o),
    ...(o.metadata?.namespace === undefined ? {} : { namespace: o.metadata.namespace }),
    status: 'success',
    findings: [],
  };
  const entry = schemas.get(o.apiVersion, o.kind);
  if (entry === undefined) return { ...base, status: 'missing-schema' };
  const findings = checkObject(o, entry, old);
  return { ...base, status: findings.length === 0 ? 'success' : 'failure', findings };
}

/** CheckObject runs every check on one object with a known schema. */
export function checkObject(o: KubeObject, entry: SchemaEntry, old?: KubeObject): Finding[] {
  const findings: Finding[] = [];
  if (!entry.served) {
    findings.push({
      type: 'not-served',
      field: 'apiVersion',
      reason: 'FieldValueNotSupported',
      message: `apiVersion: Unsupported value: "${o.apiVersion}": version ${entry.version} of ${entry.crdName} is not served`,
    });
  }
  const obj = structuredClone(o);
  try {
    const { pruned } = entry.schema.prune(obj);
    for (const p of pruned)
      findings.push({ type: 'unknown-field', field: p, reason: 'FieldValueNotFound', message: `unknown field "${p}"` });
    entry.schema.applyDefaults(obj);
    const oldObj = old === undefined ? undefined : structuredClone(old);
    if (oldObj !== undefined) {
      entry.schema.prune(oldObj);
      entry.schema.applyDefaults(oldObj);
    }
    for (const c of entry.schema.validate(obj, oldObj === undefined ? {} : { old: oldObj })) {
      const whole = c.field === '' || c.field === '<nil>';
      const message = whole ? c.message.replace(/^Invalid value: null: /, '') : `${c.field}: ${c.message}`;
      findings.push({ type: 'schema', field: whole ? '' : c.field, reason: c.reason, message });
    }
  } catch (err) {
    findings.push({ type: 'schema', field: '', reason: 'InternalError', message: `cannot validate: ${errorMessage(err)}` });
  }
  findings.push(...checkMetadata(o, entry));
  return findings;
}

function checkMetadata(o: KubeObject, entry: SchemaEntry): Finding[] {
  const meta = { ...((o.metadata ?? {}) as Record<string, unknown>) };
  // Offline, a namespaced object without a namespace gets one from kubectl -n; a cluster-scoped
  // object's namespace is ignored by kubectl. Neither is a problem here.
  if (!entry.namespaced) delete meta.namespace;
  const requiresNamespace = entry.namespaced && typeof meta.namespace === 'string' && meta.namespace !== '';
  return validateObjectMeta(meta, { requiresNamespace, nameFn: nameIsDNSSubdomain }, 'metadata').map((e) => {
    const c = toCause(e);
    return { type: 'metadata', field: c.field, reason: c.reason, message: `${c.field}: ${c.message}` };
  });
}

/** TextReport prints the report in `crossplane beta validate`'s shape, with where each resource came from. */
export function textReport(report: ValidateReport, opts: { skipSuccess?: boolean } = {}): string {
  const lines: string[] = [];
  for (const p of report.extensions) {
    const where =
      p.origin.kind === 'file' ? ` (${formatSource(p.origin.source)})` : p.origin.kind === 'package' ? ` (package ${p.origin.ref})` : '';
    lines.push(`[x] invalid extension ${gvkString(p.apiVersion, p.kind)}, ${p.name} : ${p.message}${where}`);
  }
  for (const r of report.resources) {
    const id = `${gvkString(r.apiVersion, r.kind)}, ${r.name}`;
    const where = `(${formatSource(r.source)})`;
    if (r.status === 'missing-schema') lines.push(`[!] could not find CRD/XRD for: ${gvkString(r.apiVersion, r.kind)} ${where}`);
    else if (r.status === 'success') {
      if (opts.skipSuccess !== true) lines.push(`[✓] ${id} validated successfully`);
    } else for (const f of r.findings) lines.push(`[x] ${label(f.type)} ${id} : ${f.message} ${where}`);
  }
  const s = report.summary;
  lines.push(`Total ${s.total} resources: ${s.missingSchemas} missing schemas, ${s.success} success cases, ${s.failure} failure cases`);
  return `${lines.join('\n')}\n`;
}

function label(t: FindingType): string {
  switch (t) {
    case 'unknown-field':
      return 'unknown field';
    case 'metadata':
      return 'metadata validation error';
    case 'not-served':
      return 'version not served';
    default:
      return 'schema validation error';
  }
}
