export type { Condition, ConditionStatus } from './conditions.ts';
export {
  available,
  ConditionReason,
  ConditionType,
  conditionsEqual,
  creating,
  deleting,
  getCondition,
  isConditionTrue,
  reconcileError,
  reconcilePaused,
  reconcileSuccess,
  rfc3339,
  sameCondition,
  setConditions,
  unavailable,
} from './conditions.ts';
export type { GoDuration } from './duration.ts';
export { goDuration, MaxGoDurationLength } from './duration.ts';
export { causeChain, codeOf, errorMessage, findCause, formatError, hasCode, INTERNAL, oneLine, TrellisError, wrap } from './errors.ts';
export type { EventRecorder, TrellisEvent } from './events.ts';
export { nopRecorder } from './events.ts';
export type {
  CallOptions,
  ConnectionDetails,
  ExternalClient,
  ExternalConnector,
  ExternalCreation,
  ExternalObservation,
  ExternalUpdate,
} from './external.ts';
export { definedKeysInOrder } from './keys.ts';
export type { JsonLoggerOptions, LogFields, Logger, LogSink } from './logger.ts';
export { jsonLogger, nopLogger, textLogger } from './logger.ts';
export type { GroupVersionKind, KubeObject, ObjectMeta, ObjectRef, OwnerReference } from './object.ts';
export {
  asControllerRef,
  controllerOf,
  describeRef,
  formatApiVersion,
  gvkOf,
  gvkString,
  isControlledBy,
  objectKey,
  parseApiVersion,
  refOf,
  splitKey,
} from './object.ts';
