export type { BuildOptions, BuildResult } from './build/build.ts';
export { buildPackage, ExamplesFile, encodeStream, globToRegExp, StreamFile } from './build/build.ts';
export type { BlobReader, ExtractLimits } from './build/extract.ts';
export { extractPackageStream, gunzipLimited } from './build/extract.ts';
export type { Artifact, Blob, Image, ImageIndex, ManifestFlavour } from './build/image.ts';
export { assembleImage, assembleIndex, isGzip, layerLabel, readXpkgFile, writeXpkgFile } from './build/image.ts';
export type { ReadEntry, TarEntry } from './build/tar.ts';
export { readTar, writeTar } from './build/tar.ts';
export type { LockObject, LockPackage, PackageObject, RevisionObject } from './controllers/api.ts';
export { Annotations, Labels, LockRef, PackageKinds } from './controllers/api.ts';
export { packageCrds } from './controllers/crds.ts';
export type { EstablishInput, Owner } from './controllers/establish.ts';
export { establish, release } from './controllers/establish.ts';
export type { PackageManager, PackageManagerOptions, PassReport } from './controllers/manager.ts';
export { newPackageManager, startPackageManager } from './controllers/manager.ts';
export type { SchemaChange } from './controllers/schema-compat.ts';
export { compareSchemas, hasPath, schemaPaths } from './controllers/schema-compat.ts';
export type { FetchedInfo, ResolvedSource } from './controllers/sources.ts';
export { applyImageConfigs, canonical, Sources } from './controllers/sources.ts';
export type { LintOptions, LintResult } from './meta/lint.ts';
export { AllowedKinds, filterInstallable, formatFinding, hasErrors, lintObjects, lintPackage, readMeta } from './meta/lint.ts';
export type { ParseLimits } from './meta/parse.ts';
export { classifyObjects, isMetaObject, KnownObjectKinds, kindKey, parseDocuments, parsePackageStream, where } from './meta/parse.ts';
export type { Dependency, Finding, PackageMeta, ParsedPackage, Severity, Source, SourcedObject } from './meta/types.ts';
export { MetaGroup, MetaVersions, PackageType, PkgGroup } from './meta/types.ts';
export type { Challenge, Credential, DockerConfig, DockerConfigOptions, Keychain } from './oci/auth.ts';
export { anonymousKeychain, dockerConfigKeychain, multiKeychain, parseChallenge, runCredentialHelper, staticKeychain } from './oci/auth.ts';
export type { ContentCache } from './oci/cache.ts';
export { FsContentCache, MemoryContentCache } from './oci/cache.ts';
export type { ClientOptions, FetchedManifest, PulledImage, RetryOptions } from './oci/client.ts';
export { RegistryClient } from './oci/client.ts';
export { OciCode, OciError } from './oci/errors.ts';
export type { Descriptor, ImageConfigFile, Index, Manifest, Platform } from './oci/media.ts';
export { hexOf, ManifestAccept, MediaType, sha256, XpkgAnnotation } from './oci/media.ts';
export type { Reference } from './oci/reference.ts';
export {
  DefaultRegistry,
  formatReference,
  friendlyId,
  identifierOf,
  packageObjectName,
  parseReference,
  parseRepository,
  repositoryOf,
  toDnsLabel,
} from './oci/reference.ts';
export type { FetchedPackage, PushOptions } from './oci/transfer.ts';
export { fetchPackage, pushArtifact } from './oci/transfer.ts';
export type { ProjectResolution, ResolveProjectOptions } from './project.ts';
export { resolveProject } from './project.ts';
export type { CheckOptions, Constraint } from './semver/constraint.ts';
export {
  checkConstraint,
  constraintString,
  isDigest,
  parseConstraint,
  satisfies,
  tryParseConstraint,
  whyNot,
} from './semver/constraint.ts';
export type { Version } from './semver/version.ts';
export { compareVersions, formatVersion, parseVersion, tryParseVersion } from './semver/version.ts';
export { MemoryCatalog } from './solver/catalog.ts';
export type { LockedPackage, Lockfile } from './solver/lockfile.ts';
export { formatLockfile, LockfileApiVersion, LockfileKind, parseLockfile, toLockfile } from './solver/lockfile.ts';
export { solve, solveOrThrow } from './solver/solve.ts';
export type {
  Catalog,
  CatalogDependency,
  CatalogVersion,
  Plan,
  PlannedPackage,
  Requirement,
  SolveOptions,
  SolveResult,
} from './solver/types.ts';
