import { TrellisError } from '@trellis/sdk';
import { comparePrerelease, compareVersions, formatVersion, parseVersion, type Version } from './version.ts';

/**
 * This file is a port of Masterminds/semver v3 constraints (the library Crossplane uses for
 * `dependsOn[].version` and `spec.crossplane.version`), kept faithful where it matters:
 *
 * - `,` and whitespace are AND, `||` is OR; `a - b` is `>= a, <= b`;
 * - operators `=`, `!=`, `>`, `<`, `>=`, `=>`, `<=`, `=<`, `~`, `~>`, `^`, and none (exact, or a
 *   tilde range when a part is missing or `x`/`*`: `v1` is `>=1.0.0 <2.0.0`);
 * - a `v` prefix anywhere; `x`, `X` and `*` wildcards;
 * - prereleases: an AND group that mentions no prerelease matches no prerelease version; a group
 *   that mentions one (`>=1.14.1-0`) lets every prerelease through (Masterminds' `containsPre`),
 *   unlike npm semver.
 *
 * A constraint may also be a digest (`sha256:<64 hex>`), which Crossplane treats as a pin.
 */

/** An Op is a constraint operator as written (normalised aliases: `=>` is `>=`, `=<` is `<=`, `~>` is `~`). */
export type Op = '' | '=' | '!=' | '>' | '<' | '>=' | '<=' | '~' | '^';

/** An Atom is one comparison, like `>=v1.2.0`. */
export interface Atom {
  op: Op;
  /** The version written, as written (`v1.2`, `1.x`). */
  orig: string;
  /** The version with missing or wildcard parts as 0. */
  con: Version;
  dirty: boolean;
  minorDirty: boolean;
  patchDirty: boolean;
}

/** A Constraint is a parsed version constraint: a digest pin or semver groups (OR of ANDs). */
export type Constraint =
  | { kind: 'digest'; raw: string; digest: string }
  | { kind: 'semver'; raw: string; groups: Atom[][]; groupHasPrerelease: boolean[] };

/** CheckOptions tune a check. */
export interface CheckOptions {
  /** IncludePrerelease lets prereleases through every group (Masterminds' `IncludePrerelease`). */
  includePrerelease?: boolean;
}

const cv =
  String.raw`v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?` +
  String.raw`(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?` +
  String.raw`(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?`;
const ops = String.raw`=||!=|>|<|>=|=>|<=|=<|~|~>|\^`;
const constraintRe = new RegExp(String.raw`^\s*(${ops})\s*(${cv})\s*$`);
const rangeRe = new RegExp(String.raw`\s*(${cv})\s+-\s+(${cv})\s*`, 'g');
const findRe = new RegExp(String.raw`(${ops})\s*(${cv})`, 'g');
const validRe = new RegExp(String.raw`^(\s*(${ops})\s*(${cv})\s*)((?:\s+|,\s*)(${ops})\s*(${cv})\s*)*$`);
const digestRe = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** MaxConstraintLength bounds the input (hostile input must not make the regexes slow). */
export const MaxConstraintLength = 1024;

/** IsDigest reports whether `s` is an OCI digest (`sha256:` and 64 lowercase hex). */
export function isDigest(s: string): boolean {
  return digestRe.test(s);
}

/** ParseConstraint parses a constraint or throws `XPKG_INVALID_CONSTRAINT` naming the bad part. */
export function parseConstraint(raw: string): Constraint {
  if (raw.length > MaxConstraintLength) {
    throw new TrellisError('XPKG_INVALID_CONSTRAINT', `improper constraint: longer than ${MaxConstraintLength} characters`);
  }
  if (isDigest(raw)) return { kind: 'digest', raw, digest: raw };
  if (raw.startsWith('sha256:') || raw.startsWith('sha512:')) {
    throw new TrellisError(
      'XPKG_INVALID_CONSTRAINT',
      `improper constraint: "${raw}" is not a valid digest (want sha256: and 64 lowercase hex digits)`,
    );
  }
  const rewritten = raw.replace(rangeRe, (_m, a: string, ...rest: unknown[]) => `>= ${a}, <= ${String(rest[9])} `);
  const groups: Atom[][] = [];
  const groupHasPrerelease: boolean[] = [];
  for (const part of rewritten.split('||')) {
    if (!validRe.test(part)) throw new TrellisError('XPKG_INVALID_CONSTRAINT', `improper constraint: "${part.trim()}"`);
    const found = [...part.matchAll(findRe)].map((m) => m[0]);
    const atoms = (found.length === 0 ? [part] : found).map(parseAtom);
    groups.push(atoms);
    groupHasPrerelease.push(atoms.some((a) => a.con.prerelease !== ''));
  }
  return { kind: 'semver', raw, groups, groupHasPrerelease };
}

/** TryParseConstraint is parseConstraint returning undefined instead of throwing. */
export function tryParseConstraint(raw: string): Constraint | undefined {
  try {
    return parseConstraint(raw);
  } catch {
    // Documented expected case: the caller only wants to know whether `raw` parses.
    return undefined;
  }
}

function parseAtom(s: string): Atom {
  const m = constraintRe.exec(s);
  if (m === null) throw new TrellisError('XPKG_INVALID_CONSTRAINT', `improper constraint: "${s.trim()}"`);
  const rawOp = m[1] ?? '';
  const orig = m[2] ?? '';
  const major = m[3] ?? '';
  const minor = m[4];
  const patch = m[5];
  const pre = m[6] ?? '';
  let ver = orig;
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  if (isX(major)) {
    ver = `0.0.0${pre}`;
    dirty = true;
  } else if (minor === undefined || isX(minor.slice(1))) {
    ver = `${major}.0.0${pre}`;
    dirty = true;
    minorDirty = true;
  } else if (patch === undefined || isX(patch.slice(1))) {
    ver = `${major}${minor}.0${pre}`;
    dirty = true;
    patchDirty = true;
  }
  let con: Version;
  try {
    con = parseVersion(ver);
  } catch (err) {
    throw new TrellisError('XPKG_INVALID_CONSTRAINT', `improper constraint: "${s.trim()}"`, { cause: err });
  }
  return { op: normaliseOp(rawOp), orig, con, dirty, minorDirty, patchDirty };
}

function normaliseOp(op: string): Op {
  switch (op) {
    case '=>':
      return '>=';
    case '=<':
      return '<=';
    case '~>':
      return '~';
    default:
      return op as Op;
  }
}

function isX(s: string): boolean {
  return s === 'x' || s === 'X' || s === '*';
}

/** CheckConstraint reports whether `v` satisfies `c` (a digest constraint matches no version). */
export function checkConstraint(c: Constraint, v: Version, opts: CheckOptions = {}): boolean {
  return whyNot(c, v, opts) === undefined;
}

/**
 * WhyNot returns undefined when `v` satisfies `c`, else a short reason in Masterminds' words
 * (`1.3.0 is greater than or equal to 1.3.0`), used to build explanations.
 */
export function whyNot(c: Constraint, v: Version, opts: CheckOptions = {}): string | undefined {
  if (c.kind === 'digest') return `${v.original} is a version, not the digest ${c.digest}`;
  let first: string | undefined;
  for (const [i, group] of c.groups.entries()) {
    const includePre = opts.includePrerelease === true || c.groupHasPrerelease[i] === true;
    let reason: string | undefined;
    for (const a of group) {
      reason = checkAtom(a, v, includePre);
      if (reason !== undefined) break;
    }
    if (reason === undefined) return undefined;
    first ??= reason;
  }
  return first ?? `${v.original} does not satisfy ${c.raw}`;
}

function checkAtom(c: Atom, v: Version, includePre: boolean): string | undefined {
  const vs = v.original;
  if (v.prerelease !== '' && !includePre) {
    return `${vs} is a prerelease version and the constraint is only looking for release versions`;
  }
  const cmp = compareVersions(v, c.con);
  switch (c.op) {
    case '':
    case '=':
      if (c.dirty) return tilde(c, v);
      return cmp === 0 ? undefined : `${vs} is not equal to ${c.orig}`;
    case '!=':
      return notEqual(c, v);
    case '>':
      return greaterThan(c, v);
    case '<':
      return cmp < 0 ? undefined : `${vs} is greater than or equal to ${c.orig}`;
    case '>=':
      return cmp >= 0 ? undefined : `${vs} is less than ${c.orig}`;
    case '<=':
      return lessThanEqual(c, v);
    case '~':
      return tilde(c, v);
    case '^':
      return caret(c, v);
  }
}

function notEqual(c: Atom, v: Version): string | undefined {
  const eq = `${v.original} is equal to ${c.orig}`;
  if (c.dirty) {
    if (c.con.major !== v.major) return undefined;
    if (c.con.minor !== v.minor && !c.minorDirty) return undefined;
    if (c.minorDirty) return eq;
    if (c.con.patch !== v.patch && !c.patchDirty) return undefined;
    if (c.patchDirty) {
      if (v.prerelease !== '' || c.con.prerelease !== '') {
        return comparePrerelease(v.prerelease, c.con.prerelease) !== 0 ? undefined : eq;
      }
      return eq;
    }
  }
  return compareVersions(v, c.con) === 0 ? eq : undefined;
}

function greaterThan(c: Atom, v: Version): string | undefined {
  const no = `${v.original} is less than or equal to ${c.orig}`;
  if (!c.dirty) return compareVersions(v, c.con) === 1 ? undefined : no;
  if (v.major > c.con.major) return undefined;
  if (v.major < c.con.major) return no;
  if (c.minorDirty) return no;
  if (c.patchDirty) return v.minor > c.con.minor ? undefined : no;
  return compareVersions(v, c.con) === 1 ? undefined : no;
}

function lessThanEqual(c: Atom, v: Version): string | undefined {
  const no = `${v.original} is greater than ${c.orig}`;
  if (!c.dirty) return compareVersions(v, c.con) <= 0 ? undefined : no;
  if (v.major > c.con.major) return no;
  if (v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty) return no;
  return undefined;
}

function tilde(c: Atom, v: Version): string | undefined {
  if (compareVersions(v, c.con) < 0) return `${v.original} is less than ${c.orig}`;
  if (c.con.major === 0 && c.con.minor === 0 && c.con.patch === 0 && !c.minorDirty && !c.patchDirty) return undefined;
  if (v.major !== c.con.major) return `${v.original} does not have same major version as ${c.orig}`;
  if (v.minor !== c.con.minor && !c.minorDirty) return `${v.original} does not have same major and minor version as ${c.orig}`;
  return undefined;
}

function caret(c: Atom, v: Version): string | undefined {
  if (compareVersions(v, c.con) < 0) return `${v.original} is less than ${c.orig}`;
  if (c.con.major > 0 || c.minorDirty) {
    return v.major === c.con.major ? undefined : `${v.original} does not have same major version as ${c.orig}`;
  }
  if (c.con.major === 0 && v.major > 0) return `${v.original} does not have same major version as ${c.orig}`;
  if (c.con.minor > 0 || c.patchDirty) {
    return v.minor === c.con.minor ? undefined : `${v.original} does not have same minor version as ${c.orig}`;
  }
  if (c.con.minor === 0 && v.minor > 0) return `${v.original} does not have same minor version as ${c.orig}`;
  return c.con.patch === v.patch ? undefined : `${v.original} does not equal ${c.orig}`;
}

/** ConstraintString prints a parsed semver constraint normalised (`>=1.2.0 <2.0.0 || 3.x`). */
export function constraintString(c: Constraint): string {
  if (c.kind === 'digest') return c.digest;
  return c.groups.map((g) => g.map((a) => `${a.op}${a.orig}`).join(' ')).join(' || ');
}

/** SatisfiesString is a convenience: parse both and check. Throws on a bad constraint or version. */
export function satisfies(version: string, constraint: string, opts: CheckOptions = {}): boolean {
  return checkConstraint(parseConstraint(constraint), parseVersion(version), opts);
}

export { formatVersion };
