import type { KubeObject } from '@trellis/sdk';

/**
 * A FieldsInterner shares equal `metadata.managedFields[].fieldsV1` trees among cached objects.
 * The field sets of objects written by the same manager from the same template are equal but
 * for a few keys (an owner's uid): every `{}` leaf and most subtrees (`f:data`, `f:labels`,
 * conditions) are the same, and they are most of a small object's cached size. Interned nodes are
 * frozen (a cache is read-only; a writer would otherwise change every object sharing the node).
 * The table is bounded: when full it starts over (nodes already shared stay shared).
 */
export class FieldsInterner {
  private readonly max: number;
  private table = new Map<string, object>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 1;

  constructor(max = 2048) {
    this.max = max;
  }

  /** Size is how many distinct nodes the table holds (tests). */
  size(): number {
    return this.table.size;
  }

  /** InternManagedFields replaces the fieldsV1 of each of the object's managedFields entries with a shared equal tree. */
  internManagedFields(o: KubeObject): void {
    const mf: unknown = o.metadata.managedFields;
    if (!Array.isArray(mf)) return;
    for (const e of mf) {
      if (!isPlainObject(e) || !isPlainObject(e.fieldsV1)) continue;
      const shared = this.node(e.fieldsV1);
      if (shared !== undefined) e.fieldsV1 = shared;
    }
  }

  /** Node returns the shared node equal to `v`, or undefined when `v` holds anything but maps (not a field set). */
  private node(v: Record<string, unknown>): object | undefined {
    if (this.ids.has(v)) return v; // already a shared node (an object prepared twice)
    let key = '';
    for (const k of Object.keys(v)) {
      const c = v[k];
      if (!isPlainObject(c)) return undefined;
      const shared = this.node(c);
      if (shared === undefined) return undefined;
      if (shared !== c) v[k] = shared;
      key += `${k.length}:${k}=${this.ids.get(shared)},`; // length-prefixed: any key is unambiguous
    }
    const hit = this.table.get(key);
    if (hit !== undefined) return hit;
    if (this.table.size >= this.max) this.table = new Map();
    this.ids.set(v, this.nextId++);
    Object.freeze(v);
    this.table.set(key, v);
    return v;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
