export type { KubeClientOptions } from './client.ts';
export { newKubeClient, PatchContentType } from './client.ts';
export type { ControllerOptions, Reconciler } from './controller.ts';
export { runController } from './controller.ts';
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
export type { InformerFactoryOptions, InformerStats } from './informer.ts';
export { ListWatchInformer, newInformerFactory } from './informer.ts';
export type { LeaderElector, LeaderElectorOptions } from './leader.ts';
export { newLeaderElector } from './leader.ts';
export { exponentialDelay, pause, sleep, TokenBucket } from './ratelimit.ts';
export type { LinkedSignal } from './signals.ts';
export { linkSignal } from './signals.ts';
export type { Transition } from './store.ts';
export { Store } from './store.ts';
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
export type { WorkQueueOptions } from './workqueue.ts';
export { newWorkQueue, QueuePriority } from './workqueue.ts';
