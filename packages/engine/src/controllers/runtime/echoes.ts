import type { KubeObject } from '@trellis/sdk';
import { setNewest, versionAtLeast } from './fresh.ts';

/**
 * Echoes tells a controller's own writes apart from changes made by others. The watch event of an
 * object at exactly the resourceVersion one of the controller's writes returned is the echo of that
 * write. For a controller whose outcome depends only on what it reads and not on its own earlier
 * writes (the claim controller: the claim and its XR in, the binding, the XR's spec and the claim's
 * status out), the reconcile that wrote already acted on that state, so the reconcile the echo would
 * start writes nothing (upstream's controllers run it anyway). Not for the XR controller: an XR's
 * status is an input of its own pipeline (a patch from it), so its writes must be reconciled again.
 * Anything else (another resourceVersion, a deletion, a resync) is not an echo.
 *
 * An echo whose event arrived before the write's response is simply not recognised (a harmless
 * extra reconcile); its entry is dropped by the next event of the object.
 */
export interface Echoes {
  /** Wrote records an object as the server returned it after one of this controller's writes. */
  wrote(obj: KubeObject): void;
  /** Echo reports whether a watched object is the echo of a write, consuming the record. */
  echo(obj: KubeObject): boolean;
  /** Forget drops what is recorded about an object (it was deleted). */
  forget(obj: KubeObject): void;
  /** Size is how many objects have writes recorded (tests: bounded by the objects that exist). */
  size(): number;
}

/** NewEchoes returns an Echoes remembering the writes of at most `max` objects (oldest dropped first). */
export function newEchoes(max = 50_000): Echoes {
  // Per object (uid, else namespace/name), the resourceVersions written and not yet seen.
  const written = new Map<string, string[]>();
  const keyOf = (o: KubeObject): string => o.metadata.uid ?? `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  return {
    wrote(obj) {
      const rv = obj.metadata.resourceVersion;
      if (rv === undefined || rv === '') return;
      const key = keyOf(obj);
      setNewest(written, key, [...(written.get(key) ?? []), rv], max);
    },
    echo(obj) {
      const key = keyOf(obj);
      const rvs = written.get(key);
      if (rvs === undefined) return false;
      const rv = obj.metadata.resourceVersion ?? '';
      const mine = rvs.includes(rv);
      // Writes at or before this version will not be seen again (watch events come in order).
      const later = rvs.filter((w) => !versionAtLeast(rv, w));
      if (later.length === 0) written.delete(key);
      else written.set(key, later);
      return mine;
    },
    forget(obj) {
      written.delete(keyOf(obj));
    },
    size: () => written.size,
  };
}
