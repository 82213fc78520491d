import { writevSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { TrellisError } from '@trellis/sdk';

type QueueItem = { kind: 'frame'; buf: Buffer; rv: number } | { kind: 'rotate'; path: string; done: () => void };

interface Waiter {
  rv: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface WalWriterOptions {
  /** Fsync makes every batch durable with fdatasync before it is acknowledged (default true). */
  fsync?: boolean;
  /** OnDurable is called, in order, each time a batch up to `rv` is durable. */
  onDurable?: (rv: number) => void;
}

/**
 * A WalWriter appends frames to the current segment file with group commit: appends made while a
 * batch is being written and synced form the next batch, written with one writev and one
 * fdatasync. `whenDurable(rv)` resolves once every frame up to `rv` is on disk. A write or sync
 * failure is fatal: every pending and later append fails with `APISERVER_STORAGE_FAILED`, because
 * memory would otherwise run ahead of the disk.
 */
export class WalWriter {
  private fh: FileHandle;
  private readonly fsync: boolean;
  private readonly onDurable: ((rv: number) => void) | undefined;
  private queue: QueueItem[] = [];
  private waiters: Waiter[] = [];
  private flushing = false;
  private failed: Error | undefined;
  private lastAppendedRv = 0;
  private durable = 0;
  /** BytesWritten counts the bytes appended to the current segment. */
  segmentBytes = 0;
  /** Syncs and frames count the batches written (one writev and, with fsync on, one fdatasync each) and the frames in them. */
  syncs = 0;
  frames = 0;
  private drainWaiters: Array<() => void> = [];

  private constructor(fh: FileHandle, opts: WalWriterOptions, durableRv: number) {
    this.fh = fh;
    this.fsync = opts.fsync ?? true;
    this.onDurable = opts.onDurable;
    this.durable = durableRv;
    this.lastAppendedRv = durableRv;
  }

  /** Open opens (appending) or creates the segment at `path`. */
  static async open(path: string, durableRv: number, opts: WalWriterOptions = {}): Promise<WalWriter> {
    const fh = await open(path, 'a');
    const w = new WalWriter(fh, opts, durableRv);
    w.segmentBytes = (await fh.stat()).size;
    return w;
  }

  get durableRv(): number {
    return this.durable;
  }

  get error(): Error | undefined {
    return this.failed;
  }

  /** Append queues one encoded frame carrying `rv` (rvs must be appended in increasing order). */
  append(buf: Buffer, rv: number): void {
    if (this.failed !== undefined) throw this.failed;
    this.queue.push({ kind: 'frame', buf, rv });
    this.lastAppendedRv = rv;
    this.segmentBytes += buf.length;
    this.kick();
  }

  /** WhenDurable resolves when every frame up to `rv` has been written and synced. */
  whenDurable(rv: number): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    if (rv <= this.durable) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ rv, resolve, reject }));
  }

  /**
   * Rotate switches to a new segment file: frames appended before this call go to the old one,
   * frames appended after it to `path`. Resolves once the old segment is synced and closed.
   */
  rotate(path: string): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    return new Promise((resolve) => {
      this.queue.push({ kind: 'rotate', path, done: resolve });
      this.segmentBytes = 0;
      this.kick();
    });
  }

  /** Drain resolves when everything appended so far is durable. */
  async drain(): Promise<void> {
    if (this.queue.length === 0 && !this.flushing) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.drain();
    await this.fh.close();
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = true;
    // Start after the current turn of the event loop: every append made meanwhile (requests
    // parsed from the same socket reads) joins the first batch, and durability callbacks never
    // run inside append().
    setImmediate(() => {
      this.flushLoop().catch((err: unknown) => this.fail(err));
    });
  }

  private async flushLoop(): Promise<void> {
    for (let first = true; this.queue.length > 0; first = false) {
      // Each batch after the first also starts at the end of an event-loop turn: the appends of
      // every request read while the previous batch synced join it. Under load that is many
      // writes per fdatasync (which costs ~0.25 ms of CPU here) instead of one or two; a lone
      // writer waits for nothing, since the turn ends as soon as its request is handled.
      if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
      const batch: Buffer[] = [];
      let maxRv = this.durable;
      let rotate: Extract<QueueItem, { kind: 'rotate' }> | undefined;
      let i = 0;
      for (; i < this.queue.length; i++) {
        const item = this.queue[i] as QueueItem;
        if (item.kind === 'rotate') {
          rotate = item;
          i++;
          break;
        }
        batch.push(item.buf);
        maxRv = item.rv;
      }
      this.queue = this.queue.slice(i);
      if (batch.length > 0) {
        // The write only copies into the page cache (microseconds), so it runs here; only the
        // sync goes to the thread pool: one thread hop per batch instead of two.
        writeAllSync(this.fh.fd, batch);
        if (this.fsync) await this.fh.datasync();
        this.syncs++;
        this.frames += batch.length;
      }
      if (rotate !== undefined) {
        if (batch.length === 0 && this.fsync) await this.fh.datasync();
        await this.fh.close();
        this.fh = await open(rotate.path, 'a');
        rotate.done();
      }
      if (maxRv > this.durable) this.markDurable(maxRv);
    }
    this.flushing = false;
    const drained = this.drainWaiters;
    this.drainWaiters = [];
    for (const d of drained) d();
  }

  private markDurable(rv: number): void {
    this.durable = rv;
    if (this.waiters.length > 0) {
      const still: Waiter[] = [];
      for (const w of this.waiters) {
        if (w.rv <= rv) w.resolve();
        else still.push(w);
      }
      this.waiters = still;
    }
    this.onDurable?.(rv);
  }

  private fail(err: unknown): void {
    this.failed = new TrellisError('APISERVER_STORAGE_FAILED', 'cannot write the write-ahead log; the server must be restarted', {
      cause: err,
    });
    for (const w of this.waiters) w.reject(this.failed);
    this.waiters = [];
    this.queue = [];
    this.flushing = false;
    for (const d of this.drainWaiters) d();
    this.drainWaiters = [];
  }

  /** LastAppendedRv is the rv of the newest frame appended (durable or not). */
  get appendedRv(): number {
    return this.lastAppendedRv;
  }
}

function writeAllSync(fd: number, bufs: Buffer[]): void {
  // writev may write fewer bytes than asked; loop until everything is on the file.
  let pending = bufs;
  while (pending.length > 0) {
    const total = pending.reduce((n, b) => n + b.length, 0);
    const bytesWritten = writevSync(fd, pending);
    if (bytesWritten >= total) return;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    pending = rest;
  }
}
