import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { KubeObject, Logger } from '@trellis/sdk';
import { nopLogger, TrellisError } from '@trellis/sdk';
import { decodeRawFrames, encodeFrame, FrameOp } from './frame.ts';
import { EventRing, type StoreEvent, type StoreEventType } from './history.ts';
import { metaIndexOf, StoredObject, splitStorageKey } from './objects.ts';
import { WalWriter } from './wal.ts';

export interface StoreOptions {
  /** Dir holds the write-ahead log segments and snapshots (created if missing). */
  dir: string;
  /** Fsync (default true) syncs every batch before acknowledging it; off only for tests of other parts. */
  fsync?: boolean;
  /** HistorySize is how many events per resource are kept for watch resume (default 20,000). */
  historySize?: number;
  /** SnapshotBytes triggers a snapshot (and WAL compaction) when the WAL passes this size (default 64 MiB). */
  snapshotBytes?: number;
  log?: Logger;
}

/** A Listener receives committed (durable) events in resourceVersion order. */
export type Listener = (ev: StoreEvent) => void;

interface Bucket {
  byNs: Map<string, Map<string, StoredObject>>;
  size: number;
  sortedNs: string[] | undefined;
  sortedNames: Map<string, string[]>;
  ring: EventRing;
}

/** RecoveryStats describes what `Store.open` found on disk. */
export interface RecoveryStats {
  snapshotRv: number;
  snapshotObjects: number;
  walFrames: number;
  truncatedBytes: number;
  objects: number;
  rv: number;
  ms: number;
}

const SEGMENT_RE = /^wal-(\d{16})\.log$/;
const SNAPSHOT_RE = /^snap-(\d{16})\.snap$/;

/**
 * Store is the embedded API server's storage: every object lives in memory (as immutable
 * StoredObject versions); every change is appended to a checksummed write-ahead log with group
 * commit before it is acknowledged or shown to a watcher; periodic snapshots bound the log. See
 * docs/adr for the on-disk format.
 *
 * Mutations are synchronous (they assign the next resourceVersion and update memory at once, so a
 * read-modify-write in one tick is atomic); callers await `durable(rv)` before answering. Reads
 * must also wait for `durable(rv)` of the state they saw before they answer, so a client never
 * sees a version that a crash could still lose.
 */
export class Store {
  private readonly dir: string;
  private readonly historySize: number;
  private readonly snapshotBytes: number;
  private readonly log: Logger;
  private readonly fsync: boolean;
  private wal!: WalWriter;
  private readonly buckets = new Map<string, Bucket>();
  private head = 0;
  private startRv = 0;
  private dispatched = 0;
  private pendingEvents: Array<{ bucket: string; ev: StoreEvent }> = [];
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly allListeners = new Set<Listener>();
  private snapshotting: Promise<void> | undefined;
  private closed = false;
  private objectCount = 0;
  recovery!: RecoveryStats;

  private constructor(opts: StoreOptions) {
    this.dir = opts.dir;
    this.historySize = opts.historySize ?? 20_000;
    this.snapshotBytes = opts.snapshotBytes ?? 64 * 1024 * 1024;
    this.log = opts.log ?? nopLogger;
    this.fsync = opts.fsync ?? true;
  }

  /** Open recovers the store from `dir` (snapshot + WAL replay) and opens a fresh WAL segment. */
  static async open(opts: StoreOptions): Promise<Store> {
    const s = new Store(opts);
    await s.recover();
    return s;
  }

  /** Rv is the newest resourceVersion assigned (possibly not yet durable). */
  get rv(): number {
    return this.head;
  }

  /** DurableRv is the newest resourceVersion on disk. */
  get durableRv(): number {
    return this.wal.durableRv;
  }

  /** WalStats counts the WAL's batches (one fdatasync each unless fsync is off) and the frames in them since start. */
  get walStats(): { syncs: number; frames: number } {
    return { syncs: this.wal.syncs, frames: this.wal.frames };
  }

  /** StartRv is the resourceVersion the store had when it was opened (history starts after it). */
  get openedAtRv(): number {
    return this.startRv;
  }

  get size(): number {
    return this.objectCount;
  }

  /** Durable resolves when everything up to `rv` is on disk. */
  durable(rv: number = this.head): Promise<void> {
    return this.wal.whenDurable(rv);
  }

  /** Failed is the fatal storage error, if the WAL could not be written. */
  get failed(): Error | undefined {
    return this.wal.error;
  }

  get(bucket: string, namespace: string, name: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.byNs.get(namespace)?.get(name);
  }

  /** Count returns the number of objects of a resource (in one namespace if given). */
  count(bucket: string, namespace?: string): number {
    const b = this.buckets.get(bucket);
    if (b === undefined) return 0;
    if (namespace === undefined) return b.size;
    return b.byNs.get(namespace)?.size ?? 0;
  }

  /** List returns the objects of a resource in storage-key order (one namespace if given). */
  list(bucket: string, namespace?: string): StoredObject[] {
    const b = this.buckets.get(bucket);
    if (b === undefined) return [];
    if (namespace !== undefined) return listNamespace(b, namespace);
    const out: StoredObject[] = [];
    for (const ns of sortedNamespaces(b)) for (const o of listNamespace(b, ns)) out.push(o);
    return out;
  }

  /** Each visits every object of a resource in no particular order (no sorting, no copying). */
  each(bucket: string, fn: (o: StoredObject) => void): void {
    const b = this.buckets.get(bucket);
    if (b === undefined) return;
    for (const ns of b.byNs.values()) for (const o of ns.values()) fn(o);
  }

  /** Buckets lists the resources that hold at least one object. */
  bucketNames(): string[] {
    return [...this.buckets.entries()].filter(([, b]) => b.size > 0).map(([k]) => k);
  }

  /** Namespaces lists the namespaces that hold objects of a resource. */
  namespacesOf(bucket: string): string[] {
    const b = this.buckets.get(bucket);
    return b === undefined ? [] : [...b.byNs.keys()].filter((ns) => (b.byNs.get(ns)?.size ?? 0) > 0);
  }

  /**
   * ListAt returns the objects as they were at resourceVersion `rv`, rolling back the retained
   * history, or undefined when the history no longer reaches back that far.
   */
  listAt(bucket: string, namespace: string | undefined, rv: number): StoredObject[] | undefined {
    if (rv >= this.head) return this.list(bucket, namespace);
    const b = this.buckets.get(bucket);
    if (b === undefined) return rv >= this.startRv ? [] : undefined;
    if (rv < b.ring.floorRv) return undefined;
    const events = b.ring.since(rv);
    if (events.length === 0) return this.list(bucket, namespace);
    const state = new Map<string, StoredObject>();
    for (const o of this.list(bucket, namespace)) state.set(`${o.namespace}/${o.name}`, o);
    for (let i = events.length - 1; i >= 0; i--) {
      const ev = events[i] as StoreEvent;
      if (namespace !== undefined && ev.object.namespace !== namespace) continue;
      const k = `${ev.object.namespace}/${ev.object.name}`;
      if (ev.type === 'ADDED') state.delete(k);
      else if (ev.prev !== undefined) state.set(k, ev.prev);
    }
    return [...state.values()].sort(compareKeys);
  }

  /**
   * EventsSince returns the committed events of a resource after `rv`, or 'expired' when the
   * history no longer reaches back to `rv`.
   */
  eventsSince(bucket: string, rv: number): StoreEvent[] | 'expired' {
    const b = this.buckets.get(bucket);
    if (b === undefined) return rv >= this.startRv ? [] : 'expired';
    if (rv < b.ring.floorRv) return 'expired';
    return b.ring.since(rv, this.dispatched);
  }

  /** OldestRetainedRv is the rv a watch of `bucket` may resume from at the earliest. */
  oldestResumableRv(bucket: string): number {
    return this.buckets.get(bucket)?.ring.floorRv ?? this.startRv;
  }

  /** DispatchedRv is the newest rv whose events were handed to listeners. */
  get dispatchedRv(): number {
    return this.dispatched;
  }

  /**
   * Subscribe registers a listener for committed events of one resource (`*` for all). Events
   * after `dispatchedRv` at the time of the call are delivered; combine with `eventsSince` for
   * a gap-free resume.
   */
  subscribe(bucket: string, listener: Listener): () => void {
    if (bucket === '*') {
      this.allListeners.add(listener);
      return () => this.allListeners.delete(listener);
    }
    let set = this.listeners.get(bucket);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(bucket, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Put stores `obj` as the new version of bucket/namespace/name: it sets
   * `metadata.resourceVersion` on `obj` to the new rv and returns the stored version.
   */
  put(bucket: string, namespace: string, name: string, obj: KubeObject): StoredObject {
    this.checkWritable();
    const rv = this.head + 1;
    obj.metadata.resourceVersion = String(rv);
    const json = JSON.stringify(obj);
    const stored = new StoredObject(bucket, namespace, name, rv, json, metaIndexOf(obj));
    this.wal.append(encodeFrame(FrameOp.Put, rv, stored.key, json), rv);
    this.head = rv;
    const prev = this.setObject(stored);
    this.record(bucket, { rv, type: prev === undefined ? 'ADDED' : 'MODIFIED', object: stored, prev });
    this.maybeSnapshot();
    return stored;
  }

  /** Remove deletes bucket/namespace/name and returns its last version, stamped with the deletion rv. */
  remove(bucket: string, namespace: string, name: string): StoredObject | undefined {
    this.checkWritable();
    const prev = this.get(bucket, namespace, name);
    if (prev === undefined) return undefined;
    const rv = this.head + 1;
    const obj = prev.object();
    obj.metadata.resourceVersion = String(rv);
    const last = new StoredObject(bucket, namespace, name, rv, JSON.stringify(obj), prev.meta);
    this.wal.append(encodeFrame(FrameOp.Delete, rv, prev.key), rv);
    this.head = rv;
    this.deleteObject(prev);
    this.record(bucket, { rv, type: 'DELETED', object: last, prev });
    this.maybeSnapshot();
    return last;
  }

  /** Snapshot writes a snapshot now and compacts the WAL (also runs automatically). */
  async snapshot(): Promise<void> {
    if (this.snapshotting !== undefined) return this.snapshotting;
    this.snapshotting = this.writeSnapshot().finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  /** Close waits for pending writes and an ongoing snapshot, then closes the WAL. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.snapshotting !== undefined) await this.snapshotting.catch(() => {});
    await this.wal.close();
  }

  // -------------------------------------------------------------------------------------------

  private checkWritable(): void {
    if (this.closed) throw new TrellisError('APISERVER_STORAGE_CLOSED', 'the store is closed');
    const err = this.wal.error;
    if (err !== undefined) throw err;
  }

  private bucket(name: string): Bucket {
    let b = this.buckets.get(name);
    if (b === undefined) {
      b = { byNs: new Map(), size: 0, sortedNs: undefined, sortedNames: new Map(), ring: new EventRing(this.historySize, this.head) };
      this.buckets.set(name, b);
    }
    return b;
  }

  private setObject(o: StoredObject): StoredObject | undefined {
    const b = this.bucket(o.bucket);
    let ns = b.byNs.get(o.namespace);
    if (ns === undefined) {
      ns = new Map();
      b.byNs.set(o.namespace, ns);
      b.sortedNs = undefined;
    }
    const prev = ns.get(o.name);
    ns.set(o.name, o);
    if (prev === undefined) {
      b.size++;
      this.objectCount++;
      b.sortedNames.delete(o.namespace);
    }
    return prev;
  }

  private deleteObject(o: StoredObject): void {
    const b = this.buckets.get(o.bucket);
    const ns = b?.byNs.get(o.namespace);
    if (b === undefined || ns === undefined || !ns.delete(o.name)) return;
    b.size--;
    this.objectCount--;
    b.sortedNames.delete(o.namespace);
    if (ns.size === 0) {
      b.byNs.delete(o.namespace);
      b.sortedNs = undefined;
    }
  }

  private record(bucket: string, ev: StoreEvent): void {
    this.bucket(bucket).ring.push(ev);
    this.pendingEvents.push({ bucket, ev });
  }

  private onDurable(rv: number): void {
    if (this.pendingEvents.length === 0) return;
    let i = 0;
    for (; i < this.pendingEvents.length; i++) {
      const p = this.pendingEvents[i] as { bucket: string; ev: StoreEvent };
      if (p.ev.rv > rv) break;
      this.dispatched = p.ev.rv;
      const set = this.listeners.get(p.bucket);
      if (set !== undefined) for (const l of [...set]) safeCall(l, p.ev, this.log);
      for (const l of [...this.allListeners]) safeCall(l, p.ev, this.log);
    }
    this.pendingEvents = i === this.pendingEvents.length ? [] : this.pendingEvents.slice(i);
  }

  private maybeSnapshot(): void {
    if (this.snapshotting === undefined && this.wal.segmentBytes > this.snapshotBytes) {
      this.snapshot().catch((err: unknown) =>
        this.log.info('snapshot failed; the WAL keeps growing until the next attempt', { error: err }),
      );
    }
  }

  private async writeSnapshot(): Promise<void> {
    const rv = this.head;
    const objects: StoredObject[] = [];
    for (const b of this.buckets.values()) for (const ns of b.byNs.values()) for (const o of ns.values()) objects.push(o);
    const segment = join(this.dir, segmentName(rv + 1));
    await this.wal.rotate(segment);
    const tmp = join(this.dir, `${snapshotName(rv)}.tmp`);
    const fh = await open(tmp, 'w');
    try {
      let chunk: Buffer[] = [encodeFrame(FrameOp.SnapshotHeader, rv, '', JSON.stringify({ objects: objects.length }))];
      let bytes = 0;
      for (const o of objects) {
        const f = encodeFrame(FrameOp.Put, o.rv, o.key, o.json);
        chunk.push(f);
        bytes += f.length;
        if (bytes > 4 * 1024 * 1024) {
          await fh.writev(chunk);
          chunk = [];
          bytes = 0;
        }
      }
      chunk.push(encodeFrame(FrameOp.SnapshotTrailer, rv, '', JSON.stringify({ objects: objects.length })));
      await fh.writev(chunk);
      if (this.fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    renameSync(tmp, join(this.dir, snapshotName(rv)));
    syncDir(this.dir, this.fsync);
    // Everything before the new segment is covered by the snapshot.
    for (const f of readdirSync(this.dir)) {
      const seg = SEGMENT_RE.exec(f);
      const snap = SNAPSHOT_RE.exec(f);
      if ((seg !== null && Number(seg[1]) <= rv) || (snap !== null && Number(snap[1]) < rv)) rmSync(join(this.dir, f), { force: true });
    }
    this.log.debug('snapshot written', { rv, objects: objects.length });
  }

  private async recover(): Promise<void> {
    const t0 = performance.now();
    mkdirSync(this.dir, { recursive: true });
    const files = readdirSync(this.dir);
    for (const f of files) if (f.endsWith('.tmp')) rmSync(join(this.dir, f), { force: true });
    const snapshots = files
      .map((f) => SNAPSHOT_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a);
    let snapshotRv = 0;
    let snapshotObjects = 0;
    const newest = snapshots[0];
    if (newest !== undefined) {
      snapshotObjects = this.loadSnapshot(join(this.dir, snapshotName(newest)));
      snapshotRv = newest;
    }
    this.head = snapshotRv;
    const segments = files
      .map((f) => SEGMENT_RE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    let walFrames = 0;
    let truncatedBytes = 0;
    for (let i = 0; i < segments.length; i++) {
      const first = segments[i] as number;
      const path = join(this.dir, segmentName(first));
      const buf = readFileSync(path);
      const res = decodeRawFrames(buf, (f) => {
        if (f.rv <= this.head) return;
        walFrames++;
        this.applyFrame(f.op, f.rv, f.key, f.value, path);
      });
      if (res.problem !== undefined) {
        if (i !== segments.length - 1) {
          throw new TrellisError(
            'APISERVER_STORAGE_CORRUPT',
            `write-ahead log segment "${path}" is corrupt (${res.problem}) and is not the last segment`,
          );
        }
        // A torn tail: the write was never acknowledged. Cut it off.
        truncatedBytes = buf.length - res.validBytes;
        truncateSync(path, res.validBytes);
        this.log.info('truncated a torn write at the end of the write-ahead log', {
          segment: path,
          bytes: truncatedBytes,
          problem: res.problem,
        });
      }
    }
    this.startRv = this.head;
    this.dispatched = this.head;
    for (const b of this.buckets.values()) b.ring.floorRv = this.head;
    this.wal = await WalWriter.open(join(this.dir, segmentName(this.head + 1)), this.head, {
      fsync: this.fsync,
      onDurable: (rv) => this.onDurable(rv),
    });
    syncDir(this.dir, this.fsync);
    this.recovery = {
      snapshotRv,
      snapshotObjects,
      walFrames,
      truncatedBytes,
      objects: this.objectCount,
      rv: this.head,
      ms: Math.round(performance.now() - t0),
    };
  }

  private loadSnapshot(path: string): number {
    const buf = readFileSync(path);
    let count = 0;
    let header: number | undefined;
    let trailer: number | undefined;
    const res = decodeRawFrames(buf, (f) => {
      if (f.op === FrameOp.SnapshotHeader) header = (JSON.parse(f.value.toString('utf8')) as { objects: number }).objects;
      else if (f.op === FrameOp.SnapshotTrailer) trailer = (JSON.parse(f.value.toString('utf8')) as { objects: number }).objects;
      else if (f.op === FrameOp.Put) {
        this.applyFrame(f.op, f.rv, f.key, f.value, path);
        count++;
      }
    });
    if (res.problem !== undefined || header === undefined || trailer !== header || count !== header) {
      throw new TrellisError(
        'APISERVER_STORAGE_CORRUPT',
        `snapshot "${path}" is incomplete or corrupt (${res.problem ?? `expected ${header ?? '?'} objects, found ${count}`})`,
      );
    }
    return count;
  }

  private applyFrame(op: number, rv: number, key: string, value: Buffer, path: string): void {
    const k = splitStorageKey(key);
    if (k === undefined) throw new TrellisError('APISERVER_STORAGE_CORRUPT', `bad storage key "${key}" in "${path}"`);
    if (op === FrameOp.Put) {
      // The frame's checksum vouches for the bytes; the JSON is parsed on first use.
      if (value.length < 2 || value[0] !== 0x7b)
        throw new TrellisError('APISERVER_STORAGE_CORRUPT', `object "${key}" in "${path}" is not a JSON object`);
      this.setObject(new StoredObject(k.bucket, k.namespace, k.name, rv, value));
    } else if (op === FrameOp.Delete) {
      const prev = this.get(k.bucket, k.namespace, k.name);
      if (prev !== undefined) this.deleteObject(prev);
    }
    if (rv > this.head) this.head = rv;
  }
}

function listNamespace(b: Bucket, ns: string): StoredObject[] {
  const m = b.byNs.get(ns);
  if (m === undefined) return [];
  let names = b.sortedNames.get(ns);
  if (names === undefined) {
    names = [...m.keys()].sort(compareStrings);
    b.sortedNames.set(ns, names);
  }
  const out: StoredObject[] = new Array(names.length);
  for (let i = 0; i < names.length; i++) out[i] = m.get(names[i] as string) as StoredObject;
  return out;
}

function sortedNamespaces(b: Bucket): string[] {
  if (b.sortedNs === undefined) b.sortedNs = [...b.byNs.keys()].sort((x, y) => compareStrings(`${x}/`, `${y}/`));
  return b.sortedNs;
}

/** CompareStrings orders by UTF-16 code units, which matches byte order for the ASCII names Kubernetes allows. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareKeys(a: StoredObject, b: StoredObject): number {
  return compareStrings(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`);
}

function segmentName(firstRv: number): string {
  return `wal-${String(firstRv).padStart(16, '0')}.log`;
}

function snapshotName(rv: number): string {
  return `snap-${String(rv).padStart(16, '0')}.snap`;
}

function syncDir(dir: string, fsync: boolean): void {
  if (!fsync || !existsSync(dir)) return;
  // fsync on a directory makes renames and new files durable.
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function safeCall(l: Listener, ev: StoreEvent, log: Logger): void {
  try {
    l(ev);
  } catch (err) {
    log.info('store listener failed', { error: err });
  }
}

export type { StoreEvent, StoreEventType };
