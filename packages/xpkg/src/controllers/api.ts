import type { Condition, KubeObject } from '@trellis/sdk';
import type { PackageType } from '../meta/types.ts';

/** The install-object kinds and their revision kinds. */
export const PackageKinds: readonly { type: PackageType; kind: string; revisionKind: string; apiVersion: string; runtime: boolean }[] = [
  {
    type: 'Configuration',
    kind: 'Configuration',
    revisionKind: 'ConfigurationRevision',
    apiVersion: 'pkg.crossplane.io/v1',
    runtime: false,
  },
  { type: 'Provider', kind: 'Provider', revisionKind: 'ProviderRevision', apiVersion: 'pkg.crossplane.io/v1', runtime: true },
  { type: 'Function', kind: 'Function', revisionKind: 'FunctionRevision', apiVersion: 'pkg.crossplane.io/v1', runtime: true },
];

export const LockRef = { apiVersion: 'pkg.crossplane.io/v1beta1', kind: 'Lock', name: 'lock' } as const;
export const ImageConfigType = { apiVersion: 'pkg.crossplane.io/v1beta1', kind: 'ImageConfig' } as const;

/** Labels and annotations the package manager reads and writes. */
export const Labels = {
  /** Package links a revision to its package (upstream's label). */
  Package: 'pkg.crossplane.io/package',
  /** ParentPackage marks an install object created as a dependency (Trellis). */
  ManagedDependency: 'pkg.trellis.dev/dependency',
} as const;

export const Annotations = {
  /** ForceSchemaChange lets a package change a CRD or XRD in a breaking way (Trellis). */
  ForceSchemaChange: 'pkg.trellis.dev/force-schema-change',
  /** RequiredBy lists who needs a dependency install object (Trellis). */
  RequiredBy: 'pkg.trellis.dev/required-by',
} as const;

export const FieldManager = 'trellis-package-manager';

/** PackageSpec is the spec of Provider, Configuration and Function. */
export interface PackageSpec {
  package: string;
  revisionActivationPolicy?: 'Automatic' | 'Manual';
  revisionHistoryLimit?: number;
  packagePullSecrets?: { name: string }[];
  packagePullPolicy?: 'Always' | 'Never' | 'IfNotPresent';
  ignoreCrossplaneConstraints?: boolean;
  skipDependencyResolution?: boolean;
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  runtimeConfigRef?: { apiVersion?: string; kind?: string; name: string };
}

export interface PackageStatus {
  conditions?: Condition[];
  currentRevision?: string;
  currentIdentifier?: string;
  resolvedPackage?: string;
  appliedImageConfigRefs?: { name: string; reason: string }[];
}

export interface PackageObject extends KubeObject {
  spec: PackageSpec;
  status?: PackageStatus;
}

export interface RevisionSpec {
  desiredState: 'Active' | 'Inactive';
  image: string;
  revision: number;
  packagePullSecrets?: { name: string }[];
  packagePullPolicy?: string;
  ignoreCrossplaneConstraints?: boolean;
  skipDependencyResolution?: boolean;
  commonLabels?: Record<string, string>;
  commonAnnotations?: Record<string, string>;
  runtimeConfigRef?: { apiVersion?: string; kind?: string; name: string };
}

export interface ObjectRefStatus {
  apiVersion: string;
  kind: string;
  name: string;
  uid?: string;
}

export interface RevisionStatus {
  conditions?: Condition[];
  objectRefs?: ObjectRefStatus[];
  foundDependencies?: number;
  installedDependencies?: number;
  invalidDependencies?: number;
  resolvedImage?: string;
  capabilities?: string[];
  appliedImageConfigRefs?: { name: string; reason: string }[];
}

export interface RevisionObject extends KubeObject {
  spec: RevisionSpec;
  status?: RevisionStatus;
}

export interface LockPackage {
  name: string;
  apiVersion: string;
  kind: string;
  type: PackageType;
  source: string;
  version: string;
  dependencies: { package: string; apiVersion: string; kind: string; type: PackageType; constraints: string }[];
}

export interface LockObject extends KubeObject {
  packages?: LockPackage[];
  status?: { conditions?: Condition[] };
}

export interface ImageConfigObject extends KubeObject {
  spec: {
    matchImages: { prefix: string; type?: string }[];
    rewriteImage?: { prefix: string };
    registry?: { authentication?: { pullSecretRef: { name: string } } };
  };
}

/** Condition helpers with upstream's types and reasons (apis/pkg/v1 conditions.go). */
export const Cond = {
  installed: (): Condition => ({ type: 'Installed', status: 'True', reason: 'ActivePackageRevision' }),
  inactive: (): Condition => ({ type: 'Installed', status: 'False', reason: 'InactivePackageRevision', message: 'Package is inactive' }),
  unpacking: (message: string): Condition => ({ type: 'Installed', status: 'False', reason: 'UnpackingPackage', message }),
  healthy: (): Condition => ({ type: 'Healthy', status: 'True', reason: 'HealthyPackageRevision' }),
  unhealthy: (message: string): Condition => ({ type: 'Healthy', status: 'False', reason: 'UnhealthyPackageRevision', message }),
  unknownHealth: (message?: string): Condition =>
    message === undefined
      ? { type: 'Healthy', status: 'Unknown', reason: 'UnknownPackageRevisionHealth' }
      : { type: 'Healthy', status: 'Unknown', reason: 'UnknownPackageRevisionHealth', message },
  revisionHealthy: (): Condition => ({ type: 'RevisionHealthy', status: 'True', reason: 'HealthyPackageRevision' }),
  revisionUnhealthy: (message: string): Condition => ({
    type: 'RevisionHealthy',
    status: 'False',
    reason: 'UnhealthyPackageRevision',
    message,
  }),
  revisionUnknown: (message: string): Condition => ({
    type: 'RevisionHealthy',
    status: 'Unknown',
    reason: 'UnknownPackageRevisionHealth',
    message,
  }),
  resolved: (): Condition => ({ type: 'Resolved', status: 'True', reason: 'DependencyResolutionSucceeded' }),
  unresolved: (message: string): Condition => ({ type: 'Resolved', status: 'False', reason: 'DependencyResolutionFailed', message }),
} as const;
