import type { Logger } from '@trellis/sdk';

/**
 * A KeyQueue runs `process(key)` for queued keys, one at a time, de-duplicating keys queued while
 * waiting, yielding to the event loop between keys. Built-in controllers use it so their writes
 * happen outside the write that triggered them, as in a real control plane.
 */
export class KeyQueue {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private stopped = false;
  private readonly process: (key: string) => void;
  private readonly log: Logger;
  private readonly name: string;
  private idleWaiters: Array<() => void> = [];

  constructor(name: string, process: (key: string) => void, log: Logger) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
  }

  /** Idle resolves when the queue is empty (for tests and shutdown). */
  idle(): Promise<void> {
    if (this.pending.size === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    const started = performance.now();
    while (this.pending.size > 0 && !this.stopped) {
      const key = this.pending.values().next().value as string;
      this.pending.delete(key);
      try {
        this.process(key);
      } catch (err) {
        this.log.info('controller failed to process a key; it will be retried on the next change', {
          controller: this.name,
          key,
          error: err,
        });
      }
      if (performance.now() - started > 20 && this.pending.size > 0) {
        this.schedule();
        return;
      }
    }
    if (this.pending.size === 0) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }
}
