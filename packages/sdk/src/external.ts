import type { KubeObject } from './object.ts';

/** ConnectionDetails are the secret values a managed resource publishes (key → bytes). */
export type ConnectionDetails = Record<string, Uint8Array>;

/** An ExternalObservation is what Observe found about the external resource. */
export interface ExternalObservation {
  /** ResourceExists drives the create and delete decisions. */
  resourceExists: boolean;
  /** ResourceUpToDate false means Update will be called (subject to management policies). */
  resourceUpToDate: boolean;
  /** ResourceLateInitialized true means Observe filled spec fields; the runtime persists the spec. */
  resourceLateInitialized?: boolean;
  /** ConnectionDetails are merged additively into the connection secret. */
  connectionDetails?: ConnectionDetails;
  /** Diff is a human-readable description of the drift, logged at debug level. */
  diff?: string;
}

/** An ExternalCreation is the result of Create. */
export interface ExternalCreation {
  connectionDetails?: ConnectionDetails;
}

/** An ExternalUpdate is the result of Update. */
export interface ExternalUpdate {
  connectionDetails?: ConnectionDetails;
}

/** CallOptions carry the deadline of one provider call (shorter than the reconcile's). */
export interface CallOptions {
  signal: AbortSignal;
}

/**
 * An ExternalClient manages one kind of external resource: the seam between the managed-resource
 * runtime and a provider. Its contract is crossplane-runtime's:
 * - every call must be idempotent and must not block beyond `opts.signal`;
 * - Observe must not change the external system (it may fill status, and spec for late init);
 * - Create must not fail with "already exists" when repeated with the same inputs; a server-assigned
 *   identifier is returned by setting the `crossplane.io/external-name` annotation on `mr`;
 * - Delete must not fail when the resource is already gone or going.
 */
export interface ExternalClient<T extends KubeObject = KubeObject> {
  observe(mr: T, opts: CallOptions): Promise<ExternalObservation>;
  create(mr: T, opts: CallOptions): Promise<ExternalCreation>;
  update(mr: T, opts: CallOptions): Promise<ExternalUpdate>;
  delete(mr: T, opts: CallOptions): Promise<void>;
  /** Disconnect releases what connect acquired; called at the end of every reconcile. */
  disconnect(): Promise<void>;
}

/**
 * An ExternalConnector builds an ExternalClient for one managed resource, typically by reading its
 * ProviderConfig and credentials. Called once per reconcile.
 */
export interface ExternalConnector<T extends KubeObject = KubeObject> {
  connect(mr: T, opts: CallOptions): Promise<ExternalClient<T>>;
}
