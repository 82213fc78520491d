export type { KubeClient } from '@trellis/kube';
export type { ConnectionPublisher } from './connection.ts';
export { connectionSecretType, nopPublisher, secretPublisher } from './connection.ts';
export type { ControllerMachinery, ManagedControllerOptions } from './controller.ts';
export { cachedReader, desiredStateChanged, informerReader, startManagedController, startProviderConfigController } from './controller.ts';
export type { ManagedCrdOptions, Schema } from './crd.ts';
export { credentialsSchema, managedResourceCrd, providerConfigCrd, providerConfigUsageCrd, referenceSchemas } from './crd.ts';
export type { RetryHint } from './errors.ts';
export {
  isKubeAlreadyExists,
  isKubeConflict,
  isKubeNotFound,
  outcomeUnknown,
  permanentError,
  RuntimeCode,
  retryAfterError,
  retryHintOf,
} from './errors.ts';
export { kubeEventRecorder } from './events.ts';
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
export type { DeploymentOptions } from './host/deployment.ts';
export { groupsOfObjectRefs, providerRuntimeObjects } from './host/deployment.ts';
export type { EntryPoint, EntryPointResolver, ProviderHost, ProviderHostOptions } from './host/host.ts';
export {
  defaultEntryPointResolver,
  entryPointAnnotation,
  providerRevisionType,
  runtimeHealthy,
  runtimeUnhealthy,
  runtimeUnknownHealth,
  startEmbeddedProviderHost,
  startProviderHost,
} from './host/host.ts';
export type { ProcessStatus, Supervisor, SupervisorOptions } from './host/supervisor.ts';
export { newSupervisor, ProcessState } from './host/supervisor.ts';
export type { WorkQueueOptions } from './machinery.ts';
export { kubeMachinery } from './machinery.ts';
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
export type { ProcessSettings } from './process.ts';
export { processSettingsFrom, runProviderProcess } from './process.ts';
export type { ProviderContext, ProviderDefinition, RunProviderOptions } from './provider.ts';
export { installCrds, runProvider } from './provider.ts';
export type { CredentialsSelector, ObjectReader, ProviderConfigKinds, UsageTracker } from './providerconfig.ts';
export {
  apiUsageTracker,
  CredentialsSource,
  clientReader,
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
export type { ManagedKind, ManagedReconciler, ManagedReconcilerOptions } from './reconciler.ts';
export {
  EventReason,
  ExternalNameSource,
  errCreateIncomplete,
  managedFinalizer,
  newManagedReconciler,
  observeMatched,
  updateRequested,
  updateRestricted,
} from './reconciler.ts';
export type { ReferenceResolver, ReferenceSpec } from './references.ts';
export { apiReferenceResolver, nopResolver } from './references.ts';
export type { TargetClients } from './target.ts';
export { newTargetClients } from './target.ts';
