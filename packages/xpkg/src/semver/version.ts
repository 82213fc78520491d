import { TrellisError } from '@trellis/sdk';

/**
 * A Version is a semantic version parsed the way Masterminds/semver v3 `NewVersion` parses it
 * (Crossplane's library): a leading `v` is allowed, and the minor and patch parts may be missing
 * (`v1` is 1.0.0, `1.2` is 1.2.0). `complete` says whether all three parts were written: Crossplane
 * (since v2.1) ignores incomplete tags when it resolves dependencies, and so does Trellis.
 */
export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** Prerelease without the dash, '' when none. */
  prerelease: string;
  /** Build metadata without the plus, '' when none. */
  metadata: string;
  /** Original is the string as written (`v1.2.3`). */
  original: string;
  /** Complete reports whether major, minor and patch were all written. */
  complete: boolean;
}

// Masterminds' looseSemVerRegex (coerceNewVersion, the default since v3.3).
const looseRe = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

/** ParseVersion parses a version or throws `XPKG_INVALID_VERSION`. */
export function parseVersion(s: string): Version {
  const v = tryParseVersion(s);
  if (v === undefined) throw new TrellisError('XPKG_INVALID_VERSION', `invalid semantic version "${s}"`);
  return v;
}

/** TryParseVersion parses a version, or returns undefined when `s` is not one. */
export function tryParseVersion(s: string): Version | undefined {
  if (s.length > 256) return undefined;
  const m = looseRe.exec(s);
  if (m === null) return undefined;
  const major = num(m[1] ?? '');
  const minor = m[2] === undefined ? 0 : num(m[2].slice(1));
  const patch = m[3] === undefined ? 0 : num(m[3].slice(1));
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  const prerelease = m[5] ?? '';
  const metadata = m[8] ?? '';
  if (prerelease !== '' && !validPrerelease(prerelease)) return undefined;
  return { major, minor, patch, prerelease, metadata, original: s, complete: m[2] !== undefined && m[3] !== undefined };
}

function num(s: string): number | undefined {
  const n = Number.parseInt(s, 10);
  return Number.isSafeInteger(n) ? n : undefined;
}

function validPrerelease(p: string): boolean {
  for (const part of p.split('.')) {
    if (part === '') return false;
    if (/^[0-9]+$/.test(part) && part.length > 1 && part.startsWith('0')) return false;
  }
  return true;
}

/** FormatVersion prints a version canonically, without the `v` (`1.2.3-rc.1+b`). */
export function formatVersion(v: Version): string {
  let s = `${v.major}.${v.minor}.${v.patch}`;
  if (v.prerelease !== '') s += `-${v.prerelease}`;
  if (v.metadata !== '') s += `+${v.metadata}`;
  return s;
}

/** CompareVersions orders versions by semver precedence (metadata is ignored): -1, 0 or 1. */
export function compareVersions(a: Version, b: Version): number {
  if (a.major !== b.major) return a.major < b.major ? -1 : 1;
  if (a.minor !== b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch !== b.patch) return a.patch < b.patch ? -1 : 1;
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === '') return 1;
  if (b.prerelease === '') return -1;
  return comparePrerelease(a.prerelease, b.prerelease);
}

/** ComparePrerelease compares two prerelease strings part by part, as Masterminds does. */
export function comparePrerelease(a: string, b: string): number {
  const as = a.split('.');
  const bs = b.split('.');
  const n = Math.max(as.length, bs.length);
  for (let i = 0; i < n; i++) {
    const d = comparePart(as[i] ?? '', bs[i] ?? '');
    if (d !== 0) return d;
  }
  return 0;
}

function comparePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === '') return -1;
  if (o === '') return 1;
  const sn = /^[0-9]+$/.test(s);
  const on = /^[0-9]+$/.test(o);
  if (!sn && !on) return s > o ? 1 : -1;
  if (sn && !on) return -1;
  if (!sn && on) return 1;
  const a = BigInt(s);
  const b = BigInt(o);
  return a === b ? 0 : a > b ? 1 : -1;
}
