import type { KubeObject } from '@trellis/sdk';

/**
 * A WriteMemory remembers the objects a controller wrote (as the server returned them), so that
 * reads from an informer cache that lags behind the controller's own writes do not cause a second,
 * redundant write. Entries are dropped as soon as the cache catches up.
 */
export interface WriteMemory {
  /** Remember records an object the server returned after a write. */
  remember(key: string, obj: KubeObject): void;
  /** Fresher returns whichever of the cached object and the remembered one is newer. */
  fresher(key: string, cached: KubeObject | undefined): KubeObject | undefined;
  forget(key: string): void;
  /** ForgetPrefix drops every key starting with `prefix` (e.g. everything of one XR). */
  forgetPrefix(prefix: string): void;
  size(): number;
}

/** NewWriteMemory returns a bounded WriteMemory (oldest entries are dropped beyond `max`). */
export function newWriteMemory(max = 50_000): WriteMemory {
  const m = new Map<string, KubeObject>();
  return {
    remember(key, obj) {
      setNewest(m, key, obj, max);
    },
    fresher(key, cached) {
      const mine = m.get(key);
      if (mine === undefined) return cached;
      if (cached === undefined) return mine;
      if (cached.metadata.uid !== undefined && mine.metadata.uid !== undefined && cached.metadata.uid !== mine.metadata.uid) {
        m.delete(key);
        return cached;
      }
      if (newerOrSame(cached, mine)) {
        m.delete(key);
        return cached;
      }
      return mine;
    },
    forget(key) {
      m.delete(key);
    },
    forgetPrefix(prefix) {
      for (const k of [...m.keys()]) if (k.startsWith(prefix)) m.delete(k);
    },
    size: () => m.size,
  };
}

/**
 * SetNewest sets `key` as the newest entry of a map kept in insertion order, then drops the oldest
 * entries beyond `max`.
 */
export function setNewest<V>(m: Map<string, V>, key: string, value: V, max: number): void {
  m.delete(key);
  m.set(key, value);
  while (m.size > max) {
    const oldest = m.keys().next().value;
    if (oldest === undefined) break;
    m.delete(oldest);
  }
}

/**
 * NewerOrSame reports whether `a` is at least as new as `b`. Resource versions are opaque, but
 * both API servers Trellis targets use integers that grow; anything else counts as newer, so the
 * cache wins and nothing stale is ever preferred for long.
 */
export function newerOrSame(a: KubeObject, b: KubeObject): boolean {
  return versionAtLeast(a.metadata.resourceVersion ?? '', b.metadata.resourceVersion ?? '');
}

/** VersionAtLeast compares two resourceVersions as {@link newerOrSame} does. */
export function versionAtLeast(ra: string, rb: string): boolean {
  if (ra === rb) return true;
  if (/^\d+$/.test(ra) && /^\d+$/.test(rb)) return BigInt(ra) >= BigInt(rb);
  return true;
}
