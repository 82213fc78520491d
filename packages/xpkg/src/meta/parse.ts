import { type KubeObject, TrellisError } from '@trellis/sdk';
import { loadAll } from 'js-yaml';
import { parseAllDocuments } from 'yaml';
import { flowDepthExceeds } from './depth.ts';
import { MetaGroup, MetaVersions, type ParsedPackage, type Source, type SourcedObject } from './types.ts';

/**
 * The object kinds a package stream may carry (Crossplane's object scheme): anything else is a
 * parse error, as upstream's parser treats it, not a silent skip. Which of these each package
 * type may carry is the linter's business.
 */
export const KnownObjectKinds: ReadonlySet<string> = new Set([
  'apiextensions.crossplane.io/v1/CompositeResourceDefinition',
  'apiextensions.crossplane.io/v1/Composition',
  'apiextensions.crossplane.io/v1/CompositionRevision',
  'apiextensions.crossplane.io/v2/CompositeResourceDefinition',
  'apiextensions.crossplane.io/v1alpha1/ManagedResourceDefinition',
  'apiextensions.crossplane.io/v1alpha1/ManagedResourceActivationPolicy',
  'apiextensions.crossplane.io/v1beta1/EnvironmentConfig',
  'apiextensions.crossplane.io/v1alpha1/EnvironmentConfig',
  'ops.crossplane.io/v1alpha1/Operation',
  'ops.crossplane.io/v1alpha1/CronOperation',
  'ops.crossplane.io/v1alpha1/WatchOperation',
  'apiextensions.k8s.io/v1/CustomResourceDefinition',
  'apiextensions.k8s.io/v1beta1/CustomResourceDefinition',
  'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding',
]);

const metaKinds = new Set(['Configuration', 'Provider', 'Function']);

/** ParseLimits bound what a parser accepts from untrusted input. */
export interface ParseLimits {
  /** MaxBytes of one stream (Crossplane reads package.yaml through a 200 MB limit). */
  maxBytes?: number;
  /** MaxDocuments in one stream. */
  maxDocuments?: number;
}

export const DefaultMaxStreamBytes = 200 * 1024 * 1024;
const defaultMaxDocuments = 100_000;

/** Where prints a source for messages: `package.yaml: document 3`. */
export function where(source: Source, field = ''): string {
  return field === '' ? `${source.file}: document ${source.document}` : `${source.file}: document ${source.document}: ${field}`;
}

/**
 * ParseDocuments splits one YAML stream into objects. Empty documents (only `---`, comments or
 * whitespace) are skipped but still counted, so indexes match what an editor shows. Every
 * non-empty document must be a mapping with string `apiVersion` and `kind`; errors name the file,
 * the document index and the field (`XPKG_PARSE`).
 */
export function parseDocuments(text: string, file: string, limits: ParseLimits = {}): SourcedObject[] {
  const maxBytes = limits.maxBytes ?? DefaultMaxStreamBytes;
  if (Buffer.byteLength(text) > maxBytes) {
    throw new TrellisError('XPKG_TOO_LARGE', `${file}: larger than ${maxBytes} bytes`, { details: { file } });
  }
  if (flowDepthExceeds(text, MaxFlowDepth)) {
    throw new TrellisError('XPKG_PARSE', `${file}: invalid YAML: flow collections nested more than ${MaxFlowDepth} levels deep`, {
      details: { file },
    });
  }
  const fast = fastLoad(text, file, limits.maxDocuments ?? defaultMaxDocuments);
  if (fast !== undefined) return fast;
  // The careful path: per-document errors with positions (and the same limits).
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > (limits.maxDocuments ?? defaultMaxDocuments)) {
    throw new TrellisError('XPKG_TOO_LARGE', `${file}: more than ${limits.maxDocuments ?? defaultMaxDocuments} YAML documents`, {
      details: { file },
    });
  }
  const out: SourcedObject[] = [];
  for (const [document, doc] of list.entries()) {
    const source = { file, document };
    const first = doc.errors[0];
    if (first !== undefined) {
      throw new TrellisError('XPKG_PARSE', `${where(source)}: invalid YAML: ${first.message}`, { details: { ...source } });
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new TrellisError('XPKG_PARSE', `${where(source)}: invalid YAML: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
        details: { ...source },
      });
    }
    if (value === null || value === undefined) continue;
    out.push({ object: asObject(value, source), source });
  }
  return out;
}

/** MaxFlowDepth bounds the nesting of flow collections (see depth.ts). */
export const MaxFlowDepth = 512;

/** MaxNodes bounds the values of one document, so alias expansion ("billion laughs") stops early. */
const maxNodes = 2_000_000;

/**
 * FastLoad parses with js-yaml (several times faster than the careful path) and returns undefined
 * on any syntax error so the careful path can name the document. Aliases are resolved to shared
 * references by js-yaml; counting nodes with repeats bounds what they would expand to.
 */
function fastLoad(text: string, file: string, maxDocuments: number): SourcedObject[] | undefined {
  const values: unknown[] = [];
  try {
    loadAll(text, (d) => {
      values.push(d);
    });
  } catch {
    // Documented expected case: the careful parser reports the error with its document.
    return undefined;
  }
  if (values.length > maxDocuments) {
    throw new TrellisError('XPKG_TOO_LARGE', `${file}: more than ${maxDocuments} YAML documents`, { details: { file } });
  }
  const out: SourcedObject[] = [];
  for (const [document, v] of values.entries()) {
    const source = { file, document };
    if (v === null || v === undefined) continue;
    if (countNodes(v, maxNodes) > maxNodes) {
      throw new TrellisError('XPKG_PARSE', `${where(source)}: invalid YAML: more than ${maxNodes} values once aliases are expanded`, {
        details: { ...source },
      });
    }
    out.push({ object: asObject(v, source), source });
  }
  return out;
}

function countNodes(v: unknown, budget: number): number {
  let n = 0;
  const stack: unknown[] = [v];
  while (stack.length > 0) {
    const x = stack.pop();
    n++;
    if (n > budget) return n;
    if (Array.isArray(x)) for (const y of x) stack.push(y);
    else if (x !== null && typeof x === 'object') for (const y of Object.values(x)) stack.push(y);
  }
  return n;
}

function asObject(value: unknown, source: Source): KubeObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TrellisError(
      'XPKG_PARSE',
      `${where(source)}: want a Kubernetes object (a mapping), got ${Array.isArray(value) ? 'a list' : typeof value}`,
      {
        details: { ...source },
      },
    );
  }
  const o = value as Record<string, unknown>;
  for (const f of ['apiVersion', 'kind'] as const) {
    if (typeof o[f] !== 'string' || o[f] === '') {
      throw new TrellisError('XPKG_PARSE', `${where(source, f)}: want a non-empty string`, { details: { ...source, field: f } });
    }
  }
  if (o.metadata !== undefined && (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata))) {
    throw new TrellisError('XPKG_PARSE', `${where(source, 'metadata')}: want a mapping`, { details: { ...source, field: 'metadata' } });
  }
  if (o.metadata === undefined) o.metadata = {};
  return o as KubeObject;
}

/** IsMetaObject reports whether an object is a `meta.pkg.crossplane.io` package meta object. */
export function isMetaObject(o: { apiVersion: string; kind: string }): boolean {
  const [group, version] = o.apiVersion.split('/');
  return group === MetaGroup && (MetaVersions as readonly string[]).includes(version ?? '') && metaKinds.has(o.kind);
}

/** KindKey is `group/version/Kind` (`v1/Kind` for the core group). */
export function kindKey(o: { apiVersion: string; kind: string }): string {
  return `${o.apiVersion}/${o.kind}`;
}

/**
 * ClassifyObjects splits parsed documents into meta objects and carried objects. An object of a
 * kind Crossplane's parser does not know is an error (`XPKG_UNKNOWN_KIND`) naming its source.
 */
export function classifyObjects(docs: readonly SourcedObject[]): ParsedPackage {
  const metas: SourcedObject[] = [];
  const objects: SourcedObject[] = [];
  for (const d of docs) {
    if (isMetaObject(d.object)) {
      metas.push(d);
      continue;
    }
    if (d.object.apiVersion.startsWith(`${MetaGroup}/`)) {
      throw new TrellisError(
        'XPKG_UNKNOWN_KIND',
        `${where(d.source, 'apiVersion')}: unknown package meta type ${d.object.apiVersion} ${d.object.kind} (want ${MetaGroup}/v1, v1beta1 or v1alpha1 Configuration, Provider or Function)`,
        { details: { ...d.source } },
      );
    }
    if (!KnownObjectKinds.has(kindKey(d.object))) {
      throw new TrellisError(
        'XPKG_UNKNOWN_KIND',
        `${where(d.source, 'kind')}: a package cannot carry ${d.object.apiVersion} ${d.object.kind} (${d.object.metadata.name ?? '<unnamed>'}); see docs/packages.md for the kinds each package type may carry`,
        { details: { ...d.source, kind: d.object.kind, apiVersion: d.object.apiVersion } },
      );
    }
    objects.push(d);
  }
  return { metas, objects };
}

/** ParsePackageStream parses a `package.yaml` stream (or any package YAML) into meta and objects. */
export function parsePackageStream(text: string, file = 'package.yaml', limits: ParseLimits = {}): ParsedPackage {
  return classifyObjects(parseDocuments(text, file, limits));
}
