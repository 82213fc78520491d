import type { KubeObject, ObjectRef } from '@trellis/sdk';

/**
 * This file is the contract of @trellis/kube that every controller package codes against.
 * Implementations: `newKubeClient()` (client-node, real and embedded API servers alike).
 */

/** A TypeRef names a kind to list or watch: `{ apiVersion: 'v1', kind: 'ConfigMap' }`. */
export interface TypeRef {
  apiVersion: string;
  kind: string;
}

/** ResourceInfo is what discovery knows about a kind. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Resource is the plural resource name used in URLs (`configmaps`). */
  resource: string;
  namespaced: boolean;
  verbs: string[];
  /** Subresources served, e.g. `status`, `scale`. */
  subresources: string[];
}

/** A Patch is one of the patch bodies the API server accepts (server-side apply is `apply()`). */
export type Patch =
  | { type: 'json'; ops: JsonPatchOp[] }
  | { type: 'merge'; patch: Record<string, unknown> }
  | { type: 'strategic'; patch: Record<string, unknown> };

/** A JsonPatchOp is one RFC 6902 operation. */
export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}

/** Common options of every call. */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface WriteOptions extends CallOptions {
  /** DryRun asks the server to validate without persisting (`dryRun=All`). */
  dryRun?: boolean;
  fieldManager?: string;
  /** FieldValidation: `Strict` rejects unknown fields, `Warn` (server default) warns, `Ignore`. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export interface PatchOptions extends WriteOptions {
  /** Subresource to patch, e.g. `status`. */
  subresource?: string;
}

export interface ApplyOptions extends CallOptions {
  /** FieldManager is required for server-side apply. */
  fieldManager: string;
  force?: boolean;
  subresource?: string;
  dryRun?: boolean;
}

export interface DeleteOptions extends CallOptions {
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  dryRun?: boolean;
}

export interface ListOptions extends CallOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  /** MetadataOnly lists PartialObjectMetadata (no spec or status) to save memory. */
  metadataOnly?: boolean;
}

/** An ObjectList is one page of a list. `continue` is set when more pages follow. */
export interface ObjectList<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions extends CallOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  metadataOnly?: boolean;
}

/** A WatchEvent is one event of a watch stream. ERROR carries a Status object. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/**
 * A KubeClient talks to one Kubernetes API server (the embedded one or a real cluster) with
 * option objects instead of positional arguments. Every API error is thrown as a KubeApiError
 * (see errors.ts) whose one-line message names the object.
 */
export interface KubeClient {
  get<T extends KubeObject = KubeObject>(ref: ObjectRef, opts?: CallOptions): Promise<T>;
  /** GetIfExists is get() that resolves to undefined on NotFound. */
  getIfExists<T extends KubeObject = KubeObject>(ref: ObjectRef, opts?: CallOptions): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(type: TypeRef, opts?: ListOptions): Promise<ObjectList<T>>;
  /** ListAll follows `continue` tokens and returns every item. */
  listAll<T extends KubeObject = KubeObject>(type: TypeRef, opts?: Omit<ListOptions, 'continue'>): Promise<ObjectList<T>>;
  create<T extends KubeObject = KubeObject>(obj: T, opts?: WriteOptions): Promise<T>;
  /** Update replaces the object; a stale resourceVersion throws a conflict. */
  update<T extends KubeObject = KubeObject>(obj: T, opts?: WriteOptions): Promise<T>;
  /** UpdateStatus replaces the status subresource. */
  updateStatus<T extends KubeObject = KubeObject>(obj: T, opts?: WriteOptions): Promise<T>;
  patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Patch, opts?: PatchOptions): Promise<T>;
  /** Apply is server-side apply of a (partial) object with a field manager. */
  apply<T extends KubeObject = KubeObject>(obj: KubeObject, opts: ApplyOptions): Promise<T>;
  /** Delete resolves to the object when it still exists (finalizers, foreground), else undefined. */
  delete<T extends KubeObject = KubeObject>(ref: ObjectRef, opts?: DeleteOptions): Promise<T | undefined>;
  deleteCollection(type: TypeRef, opts?: ListOptions & DeleteOptions): Promise<void>;
  /** Watch streams events until the signal aborts, the server closes the stream, or an error. */
  watch<T extends KubeObject = KubeObject>(type: TypeRef, opts?: WatchOptions): AsyncIterable<WatchEvent<T>>;
  /** ResourceFor maps a kind to its resource through discovery (cached; refreshed on a miss). */
  resourceFor(type: TypeRef, opts?: CallOptions): Promise<ResourceInfo>;
  /** InvalidateDiscovery drops the discovery cache, e.g. when a CRD becomes Established. */
  invalidateDiscovery(): void;
  /** Raw performs a request against a path, for endpoints without a typed verb (e.g. /version). */
  raw(path: string, opts?: CallOptions & { method?: string; body?: unknown; contentType?: string }): Promise<unknown>;
}

/** An EventHandler receives informer transitions. Handlers must not throw or block. */
export interface EventHandler<T extends KubeObject = KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** MetadataOnly caches PartialObjectMetadata only. */
  metadataOnly?: boolean;
  /** DropManagedFields removes metadata.managedFields before caching (they are most of a small object). */
  dropManagedFields?: boolean;
  /** ResyncPeriodMs re-delivers every cached object as an update (0: never). */
  resyncPeriodMs?: number;
}

/**
 * An Informer keeps a cache of one kind in sync by LIST then WATCH from the list's
 * resourceVersion, with bookmarks, a relist on 410 Gone, and detection of a stalled or broken
 * watch. Handlers see each transition exactly once, in order, even across relists.
 */
export interface Informer<T extends KubeObject = KubeObject> {
  addHandler(handler: EventHandler<T>): () => void;
  /** Start begins list+watch; it resolves once the first list is in the cache. */
  start(): Promise<void>;
  stop(): void;
  hasSynced(): boolean;
  /** Get returns the cached object by `namespace/name` (or `name`). */
  get(key: string): T | undefined;
  list(namespace?: string): T[];
  /** LastSyncResourceVersion is the resourceVersion the cache reflects. */
  lastSyncResourceVersion(): string;
}

/** An InformerFactory shares one informer per kind and options among controllers. */
export interface InformerFactory {
  informerFor<T extends KubeObject = KubeObject>(type: TypeRef, opts?: InformerOptions): Informer<T>;
  stopAll(): void;
}

/** A Result tells the controller runner what to do after a reconcile. */
export interface ReconcileResult {
  /** RequeueAfterMs requeues the key after a delay (a poll); 0 or undefined does not. */
  requeueAfterMs?: number;
  /** Requeue requeues with the rate limiter's backoff. */
  requeue?: boolean;
  /** Priority of the requeue in the work queue (default 0), e.g. QueuePriority.Low for a periodic poll. */
  priority?: number;
}

/**
 * A WorkQueue de-duplicates keys: a key queued while waiting is queued once; a key queued while
 * being processed is processed again after done(). Failed keys back off exponentially per item,
 * under a global rate limit.
 */
export interface WorkQueue {
  /**
   * Add queues a key. Priority (default 0; higher is served first, FIFO within one priority)
   * raises a waiting key's priority but never lowers it.
   */
  add(key: string, priority?: number): void;
  addAfter(key: string, delayMs: number, priority?: number): void;
  addRateLimited(key: string, priority?: number): void;
  /** Forget resets the per-item backoff of a key. */
  forget(key: string): void;
  /** Get waits for the next key; undefined after shutDown(). */
  get(): Promise<string | undefined>;
  done(key: string): void;
  len(): number;
  shutDown(): void;
  /** NumRequeues reports how many times a key has been requeued with backoff since forget(). */
  numRequeues(key: string): number;
}
