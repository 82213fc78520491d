import type { KubeObject } from '@trellis/sdk';

/** The three package types Crossplane knows. */
export const PackageType = {
  Configuration: 'Configuration',
  Provider: 'Provider',
  Function: 'Function',
} as const;
export type PackageType = (typeof PackageType)[keyof typeof PackageType];

/** The meta group of `crossplane.yaml` and the versions Crossplane (and Trellis) read. */
export const MetaGroup = 'meta.pkg.crossplane.io';
export const MetaVersions = ['v1alpha1', 'v1beta1', 'v1'] as const;

/** The install-object group (`pkg.crossplane.io/v1 Provider` and friends). */
export const PkgGroup = 'pkg.crossplane.io';

/**
 * A Dependency is one `spec.dependsOn[]` entry, normalised: the deprecated `provider:`,
 * `configuration:` and `function:` forms and the `apiVersion`/`kind`/`package` form all become
 * `package` + `type` (+ the install object's `apiVersion`/`kind`).
 */
export interface Dependency {
  /** Package is the OCI repository without tag or digest, as written (`xpkg.crossplane.io/org/provider-nop`). */
  package: string;
  type: PackageType;
  /** ApiVersion and Kind of the install object (`pkg.crossplane.io/v1`, `Provider`). */
  apiVersion: string;
  kind: string;
  /** Version is the constraint as written (semver constraint or digest); '' means any. */
  version: string;
}

/** A PackageMeta is the parsed `crossplane.yaml` meta object of any version. */
export interface PackageMeta {
  apiVersion: string;
  type: PackageType;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** CrossplaneVersion is `spec.crossplane.version`, when set. */
  crossplaneVersion?: string;
  dependsOn: Dependency[];
  capabilities: string[];
  /** Object is the meta object as written. */
  object: KubeObject;
}

/** A Source names where a document came from: a file (as given) and its index in that file. */
export interface Source {
  file: string;
  /** Document is the 0-based index of the YAML document within the file. */
  document: number;
}

/** A SourcedObject is an object with where it came from. */
export interface SourcedObject {
  object: KubeObject;
  source: Source;
}

/** A ParsedPackage is a package stream split into its meta object(s) and the objects it carries. */
export interface ParsedPackage {
  metas: SourcedObject[];
  objects: SourcedObject[];
}

/** Severity of a lint finding: errors fail a build and block an install; warnings do not. */
export type Severity = 'error' | 'warning';

/** A Finding is one lint result, naming the file, document and field path. */
export interface Finding {
  severity: Severity;
  source: Source;
  /** Field is a path into the document (`spec.dependsOn[1].version`), '' for the whole document. */
  field: string;
  message: string;
}
