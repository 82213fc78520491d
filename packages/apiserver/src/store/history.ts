import type { StoredObject } from './objects.ts';

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * A StoreEvent is one change. `object` is the new version (for DELETED: the last version,
 * re-stamped with the deletion's resourceVersion); `prev` is the version it replaced.
 */
export interface StoreEvent {
  rv: number;
  type: StoreEventType;
  object: StoredObject;
  prev: StoredObject | undefined;
}

/**
 * An EventRing keeps the newest `capacity` events of one resource, in resourceVersion order.
 * Every event with rv > `floorRv` is retained: a watch may resume from any rv >= floorRv.
 */
export class EventRing {
  private readonly buf: (StoreEvent | undefined)[];
  private start = 0;
  private len = 0;
  /** FloorRv is the newest rv whose events may have been dropped. */
  floorRv: number;

  constructor(capacity: number, floorRv: number) {
    this.buf = new Array<StoreEvent | undefined>(Math.max(1, capacity));
    this.floorRv = floorRv;
  }

  push(ev: StoreEvent): void {
    const cap = this.buf.length;
    if (this.len === cap) {
      const dropped = this.buf[this.start] as StoreEvent;
      this.floorRv = dropped.rv;
      this.buf[this.start] = ev;
      this.start = (this.start + 1) % cap;
      return;
    }
    this.buf[(this.start + this.len) % cap] = ev;
    this.len++;
  }

  get size(): number {
    return this.len;
  }

  /** OldestRv is the rv of the oldest retained event, or undefined when empty. */
  oldestRv(): number | undefined {
    return this.len === 0 ? undefined : (this.buf[this.start] as StoreEvent).rv;
  }

  /** Since returns the retained events with `rv > after` and `rv <= upTo`, oldest first. */
  since(after: number, upTo: number = Number.POSITIVE_INFINITY): StoreEvent[] {
    const out: StoreEvent[] = [];
    const cap = this.buf.length;
    // binary search for the first event with rv > after
    let lo = 0;
    let hi = this.len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.buf[(this.start + mid) % cap] as StoreEvent).rv > after) hi = mid;
      else lo = mid + 1;
    }
    for (let i = lo; i < this.len; i++) {
      const ev = this.buf[(this.start + i) % cap] as StoreEvent;
      if (ev.rv > upTo) break;
      out.push(ev);
    }
    return out;
  }
}
