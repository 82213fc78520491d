export type { ConnectionPublisher } from './connection.ts';
export { connectionSecretType, nopPublisher, secretPublisher } from './connection.ts';
export type { RetryHint } from './errors.ts';
export { isKubeConflict, isKubeNotFound, permanentError, RuntimeCode, retryAfterError, retryHintOf } from './errors.ts';
export type { ProviderConfigRef, SecretRef } from './fields.ts';
export {
  canonicalJson,
  conditionsOf,
  connectionSecretRefOf,
  deepEqual,
  getPath,
  markConditions,
  providerConfigRefOf,
  setPath,
  specOf,
  statusOf,
} from './fields.ts';
export {
  AdoptionPolicy,
  Annotation,
  externalCreateIncomplete,
  getExternalName,
  parseDuration,
  setExternalName,
  wasDeleted,
} from './meta.ts';
export type { PolicyChecker, PolicyInput } from './policies.ts';
export { DeletionPolicy, ManagementAction, newPolicyChecker, supportedManagementPolicies } from './policies.ts';
export type { PollOptions } from './poll.ts';
export { defaultPollOptions, nextPoll } from './poll.ts';
export type { CredentialsSelector, ProviderConfigKinds, UsageTracker } from './providerconfig.ts';
export {
  apiUsageTracker,
  CredentialsSource,
  defaultProviderConfigName,
  extractCredentials,
  getProviderConfig,
  newProviderConfigReconciler,
  nopUsageTracker,
  providerConfigFinalizer,
  providerConfigKindsFor,
  providerConfigNameOf,
  UsageLabel,
} from './providerconfig.ts';
export type { ManagedKind, ManagedReconciler, ManagedReconcilerOptions, ObjectReader } from './reconciler.ts';
export { EventReason, ExternalNameSource, errCreateIncomplete, managedFinalizer, newManagedReconciler } from './reconciler.ts';
export type { ReferenceResolver, ReferenceSpec } from './references.ts';
export { apiReferenceResolver, nopResolver } from './references.ts';
