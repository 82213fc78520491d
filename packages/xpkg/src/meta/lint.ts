import type { KubeObject } from '@trellis/sdk';
import { parseRepository } from '../oci/reference.ts';
import { checkConstraint, parseConstraint } from '../semver/constraint.ts';
import { parseVersion } from '../semver/version.ts';
import { kindKey } from './parse.ts';
import {
  type Dependency,
  type Finding,
  type PackageMeta,
  PackageType,
  type ParsedPackage,
  PkgGroup,
  type Source,
  type SourcedObject,
} from './types.ts';

/** The kinds each package type may carry (crossplane-runtime's linters), as `group/version/Kind`. */
export const AllowedKinds: Readonly<Record<PackageType, readonly string[]>> = {
  Configuration: [
    'apiextensions.crossplane.io/v1/CompositeResourceDefinition',
    'apiextensions.crossplane.io/v2/CompositeResourceDefinition',
    'apiextensions.crossplane.io/v1/Composition',
    'apiextensions.crossplane.io/v1alpha1/ManagedResourceActivationPolicy',
    'ops.crossplane.io/v1alpha1/Operation',
    'ops.crossplane.io/v1alpha1/CronOperation',
    'ops.crossplane.io/v1alpha1/WatchOperation',
  ],
  Provider: [
    'apiextensions.k8s.io/v1/CustomResourceDefinition',
    'apiextensions.k8s.io/v1beta1/CustomResourceDefinition',
    'apiextensions.crossplane.io/v1alpha1/ManagedResourceDefinition',
    'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration',
    'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration',
  ],
  Function: ['apiextensions.k8s.io/v1/CustomResourceDefinition', 'apiextensions.k8s.io/v1beta1/CustomResourceDefinition'],
};

/** The install-object apiVersion of each package type. */
export const InstallApiVersion: Readonly<Record<PackageType, string>> = {
  Configuration: `${PkgGroup}/v1`,
  Provider: `${PkgGroup}/v1`,
  Function: `${PkgGroup}/v1`,
};

/** LintOptions select what a lint checks. */
export interface LintOptions {
  /**
   * Mode `build` (crossplane xpkg build) fails on any object of a kind the package type may not
   * carry; mode `install` (the package manager) only warns and filters those objects out.
   */
  mode?: 'build' | 'install';
  /** CrossplaneVersion, when given, is checked against `spec.crossplane.version`. */
  crossplaneVersion?: string;
}

/** A LintResult is the meta object (when one was readable) and every finding. */
export interface LintResult {
  meta?: PackageMeta;
  metaSource?: Source;
  findings: Finding[];
}

/**
 * LintPackage checks a parsed package the way Crossplane's build linter, install validator and
 * install linter do, but reports every problem at once with the file, document and field.
 */
export function lintPackage(pkg: ParsedPackage, opts: LintOptions = {}): LintResult {
  const findings: Finding[] = [];
  if (pkg.metas.length !== 1) {
    const source = pkg.metas[1]?.source ?? pkg.objects[0]?.source ?? { file: 'package', document: 0 };
    findings.push({
      severity: 'error',
      source,
      field: '',
      message:
        pkg.metas.length === 0
          ? 'not exactly one package meta type: found none (want one meta.pkg.crossplane.io Configuration, Provider or Function, usually crossplane.yaml)'
          : `not exactly one package meta type: found ${pkg.metas.length} (${pkg.metas.map((m) => `${m.source.file} document ${m.source.document}`).join(', ')})`,
    });
  }
  const first = pkg.metas[0];
  if (first === undefined) return { findings };
  const { meta, findings: metaFindings } = readMeta(first);
  findings.push(...metaFindings);
  if (meta !== undefined && opts.crossplaneVersion !== undefined && meta.crossplaneVersion !== undefined) {
    const f = checkCrossplaneVersion(meta.crossplaneVersion, opts.crossplaneVersion);
    if (f !== undefined) findings.push({ severity: 'error', source: first.source, field: 'spec.crossplane.version', message: f });
  }
  findings.push(...lintObjects(first.object.kind as PackageType, pkg.objects, opts.mode ?? 'build'));
  const out: LintResult = { findings, metaSource: first.source };
  if (meta !== undefined) out.meta = meta;
  return out;
}

function checkCrossplaneVersion(constraint: string, running: string): string | undefined {
  try {
    if (checkConstraint(parseConstraint(constraint), parseVersion(running))) return undefined;
  } catch {
    // Documented expected case: a malformed constraint is reported by readMeta already.
    return undefined;
  }
  return `package is not compatible with Crossplane version (${running}): it requires ${constraint}`;
}

/** LintObjects checks that every carried object is of a kind the package type may carry. */
export function lintObjects(type: PackageType, objects: readonly SourcedObject[], mode: 'build' | 'install'): Finding[] {
  const allowed = new Set(AllowedKinds[type]);
  const out: Finding[] = [];
  for (const o of objects) {
    if (allowed.has(kindKey(o.object))) continue;
    out.push({
      severity: mode === 'build' ? 'error' : 'warning',
      source: o.source,
      field: 'kind',
      message: `a ${type} package cannot carry ${o.object.apiVersion} ${o.object.kind} "${o.object.metadata.name ?? ''}" (allowed: ${AllowedKinds[type].map((k) => k.split('/').at(-1)).join(', ')})${mode === 'install' ? '; it will not be installed' : ''}`,
    });
  }
  return out;
}

/** ReadMeta validates a meta object field by field and returns it normalised. */
export function readMeta(doc: SourcedObject): { meta?: PackageMeta; findings: Finding[] } {
  const findings: Finding[] = [];
  const err = (field: string, message: string): void => {
    findings.push({ severity: 'error', source: doc.source, field, message });
  };
  const warn = (field: string, message: string): void => {
    findings.push({ severity: 'warning', source: doc.source, field, message });
  };
  const o = doc.object;
  const type = o.kind as PackageType;
  const name = o.metadata.name;
  if (typeof name !== 'string' || name === '') err('metadata.name', 'want a non-empty string');
  const labels = stringMap(o.metadata.labels, 'metadata.labels', err);
  const annotations = stringMap(o.metadata.annotations, 'metadata.annotations', err);
  const spec = o.spec ?? {};
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    err('spec', 'want a mapping');
    return { findings };
  }
  const s = spec as Record<string, unknown>;
  let crossplaneVersion: string | undefined;
  if (s.crossplane !== undefined) {
    const xp = s.crossplane as Record<string, unknown> | null;
    if (typeof xp !== 'object' || xp === null || Array.isArray(xp)) err('spec.crossplane', 'want a mapping');
    else if (xp.version !== undefined) {
      if (typeof xp.version !== 'string') err('spec.crossplane.version', 'want a string');
      else {
        crossplaneVersion = xp.version;
        try {
          parseConstraint(xp.version);
        } catch (e) {
          err('spec.crossplane.version', `package version constraints are poorly formatted: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  }
  if (type === 'Provider' && typeof s.controller === 'object' && s.controller !== null) {
    warn('spec.controller', 'spec.controller was removed in Crossplane v2 (the package image itself is the runtime image); it is ignored');
  }
  if (s.skipDependencyResolution !== undefined) {
    warn(
      'spec.skipDependencyResolution',
      'skipDependencyResolution is a field of the install object (Provider, Configuration, Function), not of crossplane.yaml; it is ignored here',
    );
  }
  const dependsOn: Dependency[] = [];
  if (s.dependsOn !== undefined) {
    if (!Array.isArray(s.dependsOn)) err('spec.dependsOn', 'want a list');
    else {
      for (const [i, d] of s.dependsOn.entries()) {
        const dep = readDependency(d, `spec.dependsOn[${i}]`, err, warn);
        if (dep !== undefined) dependsOn.push(dep);
      }
    }
  }
  const capabilities: string[] = [];
  if (s.capabilities !== undefined) {
    if (!Array.isArray(s.capabilities)) err('spec.capabilities', 'want a list of strings');
    else
      for (const [i, c] of s.capabilities.entries()) {
        if (typeof c !== 'string') err(`spec.capabilities[${i}]`, 'want a string');
        else capabilities.push(c);
      }
  }
  if (findings.some((f) => f.severity === 'error')) return { findings };
  const meta: PackageMeta = {
    apiVersion: o.apiVersion,
    type,
    name: name as string,
    labels,
    annotations,
    dependsOn,
    capabilities,
    object: o,
  };
  if (crossplaneVersion !== undefined) meta.crossplaneVersion = crossplaneVersion;
  return { meta, findings };
}

function stringMap(v: unknown, field: string, err: (field: string, message: string) => void): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    err(field, 'want a mapping of strings');
    return {};
  }
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x !== 'string') err(`${field}.${k}`, `want a string, got ${Array.isArray(x) ? 'a list' : typeof x}`);
    else out[k] = x;
  }
  return out;
}

const legacyKeys = { provider: 'Provider', configuration: 'Configuration', function: 'Function' } as const;

function readDependency(
  d: unknown,
  field: string,
  err: (field: string, message: string) => void,
  warn: (field: string, message: string) => void,
): Dependency | undefined {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) {
    err(field, 'want a mapping');
    return undefined;
  }
  const e = d as Record<string, unknown>;
  const legacy = (Object.keys(legacyKeys) as (keyof typeof legacyKeys)[]).filter((k) => e[k] !== undefined);
  const explicit = e.apiVersion !== undefined || e.kind !== undefined || e.package !== undefined;
  const invalid =
    'encountered an invalid dependency: package dependencies must specify either a valid type (provider, configuration or function), or an explicit apiVersion, kind, and package';
  let pkg: string;
  let type: PackageType;
  let apiVersion: string;
  let kind: string;
  if (legacy.length === 1 && !explicit) {
    const key = legacy[0] as keyof typeof legacyKeys;
    if (typeof e[key] !== 'string' || e[key] === '') {
      err(`${field}.${key}`, 'want a package reference (a string)');
      return undefined;
    }
    pkg = e[key] as string;
    type = legacyKeys[key];
    apiVersion = InstallApiVersion[type];
    kind = type;
  } else if (legacy.length === 0 && explicit) {
    for (const f of ['apiVersion', 'kind', 'package'] as const) {
      if (typeof e[f] !== 'string' || e[f] === '') {
        err(`${field}.${f}`, `${invalid} (${f} is missing)`);
        return undefined;
      }
    }
    pkg = e.package as string;
    apiVersion = e.apiVersion as string;
    kind = e.kind as string;
    if (!apiVersion.startsWith(`${PkgGroup}/`) || !(kind in PackageType)) {
      warn(
        `${field}.kind`,
        `dependency kind ${apiVersion} ${kind} is not a Crossplane package kind; Trellis resolves it as a Configuration`,
      );
      type = 'Configuration';
    } else type = kind as PackageType;
  } else {
    err(field, legacy.length > 1 ? `${invalid} (found ${legacy.join(' and ')})` : invalid);
    return undefined;
  }
  const pkgField = legacy.length === 1 ? `${field}.${legacy[0]}` : `${field}.package`;
  try {
    const repo = parseRepository(pkg);
    if (repo.tag !== undefined || repo.digest !== undefined) {
      err(pkgField, `"${pkg}" must not carry a tag or digest; put the version in ${field}.version`);
      return undefined;
    }
  } catch (e2) {
    err(pkgField, e2 instanceof Error ? e2.message : String(e2));
    return undefined;
  }
  let version = '';
  if (e.version === undefined || e.version === '') {
    warn(`${field}.version`, 'no version constraint: any version will do (write one, e.g. ">=v1.0.0")');
  } else if (typeof e.version !== 'string') {
    err(`${field}.version`, 'want a string (a semver constraint such as ">=v1.2.0" or a digest)');
    return undefined;
  } else {
    version = e.version;
    try {
      parseConstraint(version);
    } catch (e3) {
      err(`${field}.version`, e3 instanceof Error ? e3.message : String(e3));
      return undefined;
    }
  }
  return { package: pkg, type, apiVersion, kind, version };
}

/** HasErrors reports whether any finding is an error. */
export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

/** FormatFinding prints a finding on one line: `crossplane.yaml: document 0: spec.x: message`. */
export function formatFinding(f: Finding): string {
  const at =
    f.field === '' ? `${f.source.file}: document ${f.source.document}` : `${f.source.file}: document ${f.source.document}: ${f.field}`;
  return `${f.severity}: ${at}: ${f.message}`;
}

/** FilterInstallable keeps the objects a package type installs (Functions install none). */
export function filterInstallable(type: PackageType, objects: readonly KubeObject[]): KubeObject[] {
  if (type === 'Function') return [];
  const allowed = new Set(AllowedKinds[type]);
  return objects.filter((o) => allowed.has(kindKey(o)));
}
