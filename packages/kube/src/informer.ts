import type { KubeObject, Logger } from '@trellis/sdk';
import { nopLogger, TrellisError } from '@trellis/sdk';
import { isGone, KubeErrorCode } from './errors.ts';
import { FieldsInterner } from './intern.ts';
import { exponentialDelay, pause } from './ratelimit.ts';
import type { Transition } from './store.ts';
import { Store } from './store.ts';
import type { EventHandler, Informer, InformerFactory, InformerOptions, KubeClient, TypeRef } from './types.ts';

export interface InformerFactoryOptions {
  log?: Logger;
  /**
   * WatchStallTimeoutMs restarts a watch (from the last resourceVersion, no relist) that delivered
   * neither an event nor a bookmark for this long: a half-open connection looks exactly like a
   * quiet one, so quiet watches are recycled too. Default 60 s.
   */
  watchStallTimeoutMs?: number;
  /** WatchTimeoutSeconds asks the server to end each watch after a random 1x-2x of this (default 300). */
  watchTimeoutSeconds?: number;
  /** PageSize is the limit of each list page (default 500). */
  pageSize?: number;
  /** BackoffBaseMs/BackoffMaxMs bound the retry delay after failures (default 200 ms, 30 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** Errors after which retrying the first list cannot help: start() rejects with them. */
const fatalOnStart: string[] = [
  KubeErrorCode.NoKindMatch,
  KubeErrorCode.InvalidArgument,
  KubeErrorCode.Forbidden,
  KubeErrorCode.Unauthorized,
  KubeErrorCode.BadRequest,
  KubeErrorCode.ConfigInvalid,
];

/** InformerStats are counters for tests, benchmarks and debugging. */
export interface InformerStats {
  lists: number;
  watches: number;
  relistsAfterGone: number;
  watchRestartsAfterStall: number;
  watchRestartsAfterError: number;
  events: number;
  bookmarks: number;
}

/**
 * NewInformerFactory returns a factory that shares one informer per kind and options (a stopped
 * informer is replaced by a fresh one on the next request, and the factory lets go of stopped
 * informers, so the kinds of CRDs that came and went leave nothing behind). Informers
 * list (paginated) and then watch from the list's resourceVersion with bookmarks; a 410 Gone
 * relists and diffs the new list against the cache, so handlers see exactly the transitions that
 * happened; a broken watch (reset, server restart, stall) resumes from the last resourceVersion.
 */
export function newInformerFactory(client: KubeClient, opts: InformerFactoryOptions = {}): InformerFactory & { size(): number } {
  const informers = new Map<string, ListWatchInformer>();
  return {
    /** Size is how many informers the factory holds (tests and debugging). */
    size: () => informers.size,
    informerFor<T extends KubeObject = KubeObject>(type: TypeRef, io: InformerOptions = {}): Informer<T> {
      const key = JSON.stringify([
        type.apiVersion,
        type.kind,
        io.namespace ?? '',
        io.labelSelector ?? '',
        io.fieldSelector ?? '',
        io.metadataOnly === true,
        io.dropManagedFields === true,
        io.resyncPeriodMs ?? 0,
      ]);
      // Stopped informers are never handed out again: let them go (their caches with them).
      for (const [k, i] of informers) if (i.isStopped()) informers.delete(k);
      let inf = informers.get(key);
      // A stopped informer never runs again (its first list failed fatally, e.g. the kind was not
      // served yet, or someone stopped it): hand out a fresh one, so a later caller can succeed.
      if (inf === undefined || inf.isStopped()) {
        inf = new ListWatchInformer(client, type, io, opts);
        informers.set(key, inf);
      }
      return inf as unknown as Informer<T>;
    },
    stopAll() {
      for (const inf of informers.values()) inf.stop();
      informers.clear();
    },
  };
}

/** ListWatchInformer implements Informer with a list+watch loop around a Store. */
export class ListWatchInformer<T extends KubeObject = KubeObject> implements Informer<T> {
  readonly stats: InformerStats = {
    lists: 0,
    watches: 0,
    relistsAfterGone: 0,
    watchRestartsAfterStall: 0,
    watchRestartsAfterError: 0,
    events: 0,
    bookmarks: 0,
  };
  private readonly client: KubeClient;
  private readonly type: TypeRef;
  private readonly io: InformerOptions;
  private readonly log: Logger;
  private readonly stallMs: number;
  private readonly watchTimeoutSeconds: number;
  private readonly pageSize: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly store = new Store<T>();
  /** Fields shares equal managedFields field sets among cached objects (see FieldsInterner). */
  private readonly fields = new FieldsInterner();
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly stopper = new AbortController();
  private lastRv = '';
  /** WatchProgressed: the current (or last) watch delivered an event or a bookmark. */
  private watchProgressed = false;
  private synced = false;
  private started: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(client: KubeClient, type: TypeRef, io: InformerOptions, opts: InformerFactoryOptions) {
    this.client = client;
    this.type = type;
    this.io = io;
    this.log = (opts.log ?? nopLogger).with({ informer: `${type.kind}.${type.apiVersion}`, namespace: io.namespace ?? '' });
    this.stallMs = opts.watchStallTimeoutMs ?? 60_000;
    this.watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
    this.pageSize = opts.pageSize ?? 500;
    this.backoffBaseMs = opts.backoffBaseMs ?? 200;
    this.backoffMaxMs = opts.backoffMaxMs ?? 30_000;
  }

  addHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    // A handler added after the first sync learns about the cache as adds, like client-go.
    if (this.synced) for (const o of this.store.list()) this.call(handler, { type: 'add', obj: o });
    return () => {
      this.handlers.delete(handler);
    };
  }

  start(): Promise<void> {
    if (this.started === undefined) {
      this.started = new Promise<void>((resolve, reject) => {
        void this.run(resolve, reject); // run() never rejects: it reports through resolve/reject and logs.
      });
    }
    return this.started;
  }

  stop(): void {
    this.stopper.abort();
    if (this.resyncTimer !== undefined) clearInterval(this.resyncTimer);
  }

  /** IsStopped reports whether stop() was called (or the first list failed fatally): it never runs again. */
  isStopped(): boolean {
    return this.stopper.signal.aborted;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(namespace?: string): T[] {
    return this.store.list(namespace);
  }

  lastSyncResourceVersion(): string {
    return this.lastRv;
  }

  // --- the loop ---------------------------------------------------------------------------

  private async run(onSynced: () => void, onFatal: (err: unknown) => void): Promise<void> {
    const signal = this.stopper.signal;
    let needList = true;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
          if (!this.synced) {
            this.synced = true;
            this.startResync();
            onSynced();
          }
        }
        const outcome = await this.watchOnce(signal);
        if (outcome === 'progressed') failures = 0;
        else if (outcome === 'short' && !signal.aborted) {
          // A stream that ends at once without events (a misbehaving server or proxy) must not
          // become a tight loop.
          this.stats.watchRestartsAfterError++;
          await pause(exponentialDelay(failures++, this.backoffBaseMs, this.backoffMaxMs), signal);
        }
      } catch (err) {
        if (signal.aborted) break;
        // A watch that delivered events before it broke (a cut connection, a restarted server) is
        // not one more consecutive failure: without this, every cut doubled the next reconnect's
        // delay until it reached the maximum (30 s of blindness after each cut).
        if (this.watchProgressed) failures = 0;
        this.watchProgressed = false;
        if (isGone(err)) {
          // The resourceVersion is too old: relist and diff. Repeated 410s back off.
          this.stats.relistsAfterGone++;
          this.log.debug('watch expired; relisting', { error: err, resourceVersion: this.lastRv });
          needList = true;
        } else if (!this.synced && err instanceof TrellisError && fatalOnStart.includes(err.code)) {
          this.log.info('cannot start informer', { error: err });
          this.stop();
          onFatal(err);
          return;
        } else {
          this.stats.watchRestartsAfterError++;
          this.log.debug('list or watch failed; retrying', { error: err, failures });
        }
        const delay = failures === 0 && isGone(err) ? 0 : exponentialDelay(failures, this.backoffBaseMs, this.backoffMaxMs);
        failures++;
        if (delay > 0) await pause(delay, signal);
      }
    }
    if (!this.synced) onFatal(new TrellisError(KubeErrorCode.Aborted, `informer for ${this.type.kind} stopped before its first sync`));
  }

  /** Relist lists every page and replaces the cache, delivering the difference as transitions. */
  private async relist(signal: AbortSignal): Promise<void> {
    this.stats.lists++;
    const list = await this.client.listAll<T>(this.type, {
      ...this.selectors(),
      limit: this.pageSize,
      signal,
    });
    if (signal.aborted) return;
    const transitions = this.store.replace(list.items.map((o) => this.prepare(o)));
    this.lastRv = list.resourceVersion;
    this.deliver(transitions);
  }

  /**
   * WatchOnce watches from the last resourceVersion until the stream ends (server timeout), the
   * stall timer fires, or an error is thrown. It reports whether any event arrived, and `short`
   * for a stream that ended by itself within a second without any.
   */
  private async watchOnce(signal: AbortSignal): Promise<'progressed' | 'quiet' | 'short'> {
    const began = Date.now();
    this.stats.watches++;
    const ac = new AbortController();
    const onStop = (): void => ac.abort();
    signal.addEventListener('abort', onStop, { once: true });
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        ac.abort();
      }, this.stallMs);
      timer.unref();
    };
    let progressed = false;
    this.watchProgressed = false;
    try {
      arm();
      const timeoutSeconds = Math.floor(this.watchTimeoutSeconds * (1 + Math.random()));
      for await (const ev of this.client.watch<T>(this.type, {
        ...this.selectors(),
        resourceVersion: this.lastRv,
        allowWatchBookmarks: true,
        timeoutSeconds,
        signal: ac.signal,
      })) {
        arm();
        progressed = true;
        this.watchProgressed = true;
        const rv = ev.object.metadata.resourceVersion;
        if (ev.type === 'BOOKMARK') {
          this.stats.bookmarks++;
          if (rv !== undefined && rv !== '') this.lastRv = rv;
          continue;
        }
        if (ev.type === 'ERROR') continue; // never yielded by KubeClient.watch (errors are thrown)
        this.stats.events++;
        this.deliver(this.store.apply(ev.type, this.prepare(ev.object)));
        if (rv !== undefined && rv !== '') this.lastRv = rv;
      }
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
    if (stalled && !signal.aborted) {
      this.stats.watchRestartsAfterStall++;
      this.log.debug('watch stalled; restarting from the last resourceVersion', { resourceVersion: this.lastRv });
    }
    if (progressed) return 'progressed';
    return !stalled && Date.now() - began < 1000 ? 'short' : 'quiet';
  }

  /**
   * Prepare trims an object before it is cached: dropManagedFields drops managedFields; otherwise
   * their field sets share equal subtrees with other cached objects (most of a small object's
   * size; the values are unchanged and frozen).
   */
  private prepare(o: T): T {
    if (this.io.dropManagedFields === true) {
      if (o.metadata.managedFields !== undefined) delete o.metadata.managedFields;
    } else this.fields.internManagedFields(o);
    return o;
  }

  private selectors(): { namespace?: string; labelSelector?: string; fieldSelector?: string; metadataOnly?: boolean } {
    const s: { namespace?: string; labelSelector?: string; fieldSelector?: string; metadataOnly?: boolean } = {};
    if (this.io.namespace !== undefined) s.namespace = this.io.namespace;
    if (this.io.labelSelector !== undefined) s.labelSelector = this.io.labelSelector;
    if (this.io.fieldSelector !== undefined) s.fieldSelector = this.io.fieldSelector;
    if (this.io.metadataOnly === true) s.metadataOnly = true;
    return s;
  }

  private startResync(): void {
    const period = this.io.resyncPeriodMs ?? 0;
    if (period <= 0) return;
    this.resyncTimer = setInterval(() => {
      for (const o of this.store.list()) this.deliver([{ type: 'update', oldObj: o, obj: o }]);
    }, period);
    this.resyncTimer.unref();
  }

  private deliver(transitions: Transition<T>[]): void {
    for (const t of transitions) for (const h of this.handlers) this.call(h, t);
  }

  private call(h: EventHandler<T>, t: Transition<T>): void {
    try {
      if (t.type === 'add') h.onAdd?.(t.obj);
      else if (t.type === 'update') h.onUpdate?.(t.oldObj, t.obj);
      else h.onDelete?.(t.obj);
    } catch (err) {
      // Handlers must not throw (contract); one that does must not break the informer.
      this.log.info('informer handler threw', { error: err, transition: t.type });
    }
  }
}
