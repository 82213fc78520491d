import type { KubeObject } from '@trellis/sdk';
import { objectKey } from '@trellis/sdk';

/**
 * A Transition is one change an informer delivers to its handlers. The pure core of the informer
 * (this file) turns watch events and relists into transitions; the I/O shell (informer.ts) feeds
 * it and calls handlers. Each transition happens once: replays of a state the cache already has
 * are dropped.
 */
export type Transition<T extends KubeObject = KubeObject> =
  | { type: 'add'; obj: T }
  | { type: 'update'; oldObj: T; obj: T }
  | { type: 'delete'; obj: T };

/** A Store is the informer cache: objects by `namespace/name`. */
export class Store<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(namespace?: string): T[] {
    const out: T[] = [];
    for (const o of this.items.values()) {
      if (namespace === undefined || (o.metadata.namespace ?? '') === namespace) out.push(o);
    }
    return out;
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  get size(): number {
    return this.items.size;
  }

  /**
   * Apply applies one watch event and returns the transitions it causes: none for a state the
   * cache already holds (same uid and resourceVersion) or for a delete of an unknown object; a
   * delete then an add when the uid changed (deleted and recreated under the same name).
   */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): Transition<T>[] {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (type === 'DELETED') {
      if (old === undefined) return [];
      this.items.delete(key);
      // A delete of an older incarnation (different uid) still removes what we hold.
      return [{ type: 'delete', obj: old.metadata.uid === obj.metadata.uid ? obj : old }];
    }
    this.items.set(key, obj);
    if (old === undefined) return [{ type: 'add', obj }];
    if (old.metadata.uid !== obj.metadata.uid) {
      return [
        { type: 'delete', obj: old },
        { type: 'add', obj },
      ];
    }
    if (old.metadata.resourceVersion === obj.metadata.resourceVersion) return [];
    return [{ type: 'update', oldObj: old, obj }];
  }

  /**
   * Replace makes the cache equal to a fresh list and returns exactly the transitions between
   * the two states, in key order: adds and updates for listed objects, deletes for vanished ones.
   */
  replace(items: T[]): Transition<T>[] {
    const next = new Map<string, T>();
    for (const o of items) next.set(objectKey(o), o);
    const out: Transition<T>[] = [];
    const keys = [...new Set([...this.items.keys(), ...next.keys()])].sort();
    for (const key of keys) {
      const old = this.items.get(key);
      const now = next.get(key);
      if (now === undefined) {
        if (old !== undefined) out.push({ type: 'delete', obj: old });
        continue;
      }
      if (old === undefined) out.push({ type: 'add', obj: now });
      else if (old.metadata.uid !== now.metadata.uid) out.push({ type: 'delete', obj: old }, { type: 'add', obj: now });
      else if (old.metadata.resourceVersion !== now.metadata.resourceVersion) out.push({ type: 'update', oldObj: old, obj: now });
    }
    this.items.clear();
    for (const [k, v] of next) this.items.set(k, v);
    return out;
  }
}
