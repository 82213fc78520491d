import { createHash } from 'node:crypto';

/**
 * Labels and annotations upstream Crossplane puts on XRs and composed resources
 * (crossplane-runtime pkg/xcrd), plus the Trellis annotation that declares ordering.
 */
export const LabelComposite = 'crossplane.io/composite';
export const LabelClaimName = 'crossplane.io/claim-name';
export const LabelClaimNamespace = 'crossplane.io/claim-namespace';
export const AnnotationCompositionResourceName = 'crossplane.io/composition-resource-name';
/** The CompositionRevision labels (apis/apiextensions/v1). */
export const LabelCompositionName = 'crossplane.io/composition-name';
export const LabelCompositionHash = 'crossplane.io/composition-hash';
/**
 * AnnotationDependsOn is Trellis's ordering annotation on a desired composed resource: a
 * comma-separated list of other composed resource names (their composition resource names) that
 * must exist and be ready before this one is created, and that are deleted only after it.
 */
export const AnnotationDependsOn = 'trellis.dev/depends-on';
/** The pause annotation (crossplane-runtime meta). */
export const AnnotationPaused = 'crossplane.io/paused';

const MAX_NAME_LENGTH = 63;
const HASH_LENGTH = 12;

/**
 * ChildName returns the deterministic name upstream Crossplane v2 gives a composed resource:
 * `<parentName><first 12 hex of sha256(parentUID + childName)>`, with `-` appended to the parent
 * name if missing. Past 63 characters the parent part is truncated (keeping a trailing `-` where
 * there is room), exactly as `internal/names.ChildName`.
 */
export function childName(parentName: string, parentUid: string, child: string): string {
  const suffix = createHash('sha256')
    .update(parentUid + child)
    .digest('hex')
    .slice(0, HASH_LENGTH);
  let parent = parentName;
  if (parent !== '' && !parent.endsWith('-')) parent += '-';
  const full = parent + suffix;
  if (full.length <= MAX_NAME_LENGTH) return full;
  let maxParentLen = MAX_NAME_LENGTH - HASH_LENGTH;
  if (maxParentLen > 0 && !parent.slice(0, maxParentLen).endsWith('-')) {
    maxParentLen--;
    return `${parent.slice(0, maxParentLen)}-${suffix}`;
  }
  return parent.slice(0, maxParentLen) + suffix;
}

/**
 * RenderUid is the UID `crossplane render` gives an XR that has none: a name-based (SHA-1,
 * version 5) UUID in the nil namespace of `"<group>/<version>, Kind=<kind>\0<namespace>\0<name>"`,
 * so composed resource names stay stable between runs.
 */
export function renderUid(apiVersion: string, kind: string, namespace: string, name: string): string {
  const gv = apiVersion.includes('/') ? apiVersion : `/${apiVersion}`;
  const data = `${gv}, Kind=${kind}\u0000${namespace}\u0000${name}`;
  const h = createHash('sha1').update(Buffer.alloc(16)).update(data, 'utf8').digest();
  const b = Buffer.from(h.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/**
 * NameProblems returns why `name` is not a valid composed resource name (a DNS-1123 subdomain, at
 * most 253 characters; RBAC kinds may also contain `:`), or an empty list. Messages are the
 * Kubernetes validation messages.
 */
export function nameProblems(name: string, apiVersion: string, kind: string): string[] {
  let n = name;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group === 'rbac.authorization.k8s.io' && RBAC_KINDS.has(kind)) n = n.replaceAll(':', '');
  const problems: string[] = [];
  if (n.length > 253) problems.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(n)) {
    problems.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return problems;
}

/** IsValidName reports whether `name` is a valid composed resource name (see {@link nameProblems}). */
export function isValidName(name: string, apiVersion: string, kind: string): boolean {
  return nameProblems(name, apiVersion, kind).length === 0;
}

/**
 * ParseDependsOn reads the {@link AnnotationDependsOn} value: names separated by commas and/or
 * whitespace, empty entries dropped, duplicates removed, order kept.
 */
export function parseDependsOn(value: string | undefined): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const part of value.split(/[\s,]+/)) {
    if (part !== '' && !out.includes(part)) out.push(part);
  }
  return out;
}
