export type { KubeClientOptions } from './client.ts';
export { newKubeClient, PatchContentType } from './client.ts';
export type { DiscoveryFetcher } from './discovery.ts';
export { Discovery } from './discovery.ts';
export type { ErrorSubject, Status, StatusCause } from './errors.ts';
export {
  asStatus,
  codeForStatus,
  describeSubject,
  fromNetworkError,
  fromStatus,
  isAborted,
  isAlreadyExists,
  isConflict,
  isGone,
  isInvalid,
  isNoKindMatch,
  isNotFound,
  isUnavailable,
  KubeApiError,
  KubeErrorCode,
} from './errors.ts';
export { exponentialDelay, sleep, TokenBucket } from './ratelimit.ts';
export type {
  ApplyOptions,
  CallOptions,
  DeleteOptions,
  EventHandler,
  Informer,
  InformerFactory,
  InformerOptions,
  JsonPatchOp,
  KubeClient,
  ListOptions,
  ObjectList,
  Patch,
  PatchOptions,
  ReconcileResult,
  ResourceInfo,
  TypeRef,
  WatchEvent,
  WatchOptions,
  WorkQueue,
  WriteOptions,
} from './types.ts';
