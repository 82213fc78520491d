import type { ObjectRef } from './object.ts';

/** An Event is recorded against an object at the reconcile boundary. */
export interface TrellisEvent {
  type: 'Normal' | 'Warning';
  /** Reason is CamelCase, e.g. `ComposeResources`. */
  reason: string;
  /** Message is one line, with no secrets. */
  message: string;
}

/** An EventRecorder records events about objects; implementations must not block or throw. */
export interface EventRecorder {
  record(obj: ObjectRef & { uid?: string }, event: TrellisEvent): void;
}

/** The nopRecorder discards events. */
export const nopRecorder: EventRecorder = { record: () => {} };
