import { TrellisError } from '@trellis/sdk';

/**
 * A Reference names an image: `registry/repository[:tag][@digest]`. `registry` includes the port.
 * `source` is the reference without tag and digest exactly as written (Crossplane's Lock `source`).
 */
export interface Reference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** Source is registry/repository as written (the host may have been implied). */
  source: string;
}

/** DefaultRegistry is used for references without a host (Crossplane v2's default). */
export const DefaultRegistry = 'xpkg.crossplane.io';

const hostComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const hostRe = new RegExp(`^(?:${hostComponent}(?:\\.${hostComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?$`);
const pathComponentRe = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;
const maxRefLength = 4096;

function invalid(ref: string, why: string): TrellisError {
  return new TrellisError(
    'XPKG_INVALID_REFERENCE',
    `invalid package reference "${ref.length > 200 ? `${ref.slice(0, 200)}…` : ref}": ${why}`,
  );
}

/**
 * ParseReference parses an image reference strictly (GGCR StrictValidation): lower-case
 * repository path components, a tag of at most 128 word characters, a sha256 or sha512 digest.
 * A reference without a registry host gets `defaultRegistry`.
 */
export function parseReference(ref: string, defaultRegistry: string = DefaultRegistry): Reference {
  if (ref.length === 0) throw invalid(ref, 'empty');
  if (ref.length > maxRefLength) throw invalid(ref, `longer than ${maxRefLength} characters`);
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) throw invalid(ref, `digest "${digest}" is not sha256: and 64 lowercase hex digits`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) throw invalid(ref, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  const parts = rest.split('/');
  let registry = defaultRegistry;
  let explicitHost = false;
  const firstPart = parts[0] ?? '';
  if (parts.length > 1 && (firstPart.includes('.') || firstPart.includes(':') || firstPart === 'localhost' || firstPart.startsWith('['))) {
    registry = firstPart;
    parts.shift();
    explicitHost = true;
    if (!hostRe.test(registry)) throw invalid(ref, `registry host "${registry}" is not a valid host[:port]`);
  }
  if (parts.length === 0 || parts.some((p) => p === '')) throw invalid(ref, 'empty repository path component');
  for (const p of parts) {
    if (!pathComponentRe.test(p)) {
      throw invalid(ref, `repository path component "${p}" must be lower-case letters, digits and separators (. _ __ -)`);
    }
  }
  const repository = parts.join('/');
  const out: Reference = { registry, repository, source: explicitHost ? `${registry}/${repository}` : repository };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** ParseRepository parses a reference that may or may not carry a tag or digest. */
export function parseRepository(ref: string, defaultRegistry: string = DefaultRegistry): Reference {
  return parseReference(ref, defaultRegistry);
}

/** FormatReference prints a reference: `registry/repo:tag@digest` (both when both are known). */
export function formatReference(r: Pick<Reference, 'registry' | 'repository' | 'tag' | 'digest'>): string {
  let s = `${r.registry}/${r.repository}`;
  if (r.tag !== undefined) s += `:${r.tag}`;
  if (r.digest !== undefined) s += `@${r.digest}`;
  return s;
}

/** RepositoryOf returns `registry/repository` of a reference (the canonical identity, host made explicit). */
export function repositoryOf(r: Pick<Reference, 'registry' | 'repository'>): string {
  return `${r.registry}/${r.repository}`;
}

/** Identifier returns the tag, else the digest (Crossplane's `ref.Identifier()`). */
export function identifierOf(r: Pick<Reference, 'tag' | 'digest'>): string {
  return r.digest ?? r.tag ?? 'latest';
}

/**
 * ToDnsLabel converts a string to a valid DNS label exactly as crossplane-runtime's `ToDNSLabel`
 * does: keep [a-z0-9], turn `.` `/` `:` `-` into `-` (except at index 0, 62 and the end), stop at 63
 * characters, trim dashes.
 */
export function toDnsLabel(s: string): string {
  let cut = '';
  for (let i = 0; i < s.length; i++) {
    const b = s[i] ?? '';
    if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')) cut += b;
    if ((b === '.' || b === '/' || b === ':' || b === '-') && i !== 0 && i !== 62 && i !== s.length - 1) cut += '-';
    if (i === 62) break;
  }
  return cut.replace(/^-+|-+$/g, '');
}

/** FriendlyId builds a DNS label from a name and a digest hex: the first 50 and 12 characters. */
export function friendlyId(name: string, hash: string): string {
  return toDnsLabel(`${name.slice(0, 50)}-${hash.slice(0, 12)}`);
}

/**
 * PackageObjectName is the install object name Crossplane gives a dependency:
 * `ToDNSLabel(repository path)` with the registry dropped (`crossplane-contrib/provider-nop` →
 * `crossplane-contrib-provider-nop`).
 */
export function packageObjectName(ref: string, defaultRegistry: string = DefaultRegistry): string {
  return toDnsLabel(parseReference(ref, defaultRegistry).repository);
}
