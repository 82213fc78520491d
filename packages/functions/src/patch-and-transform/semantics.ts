/**
 * Which behaviour P&T follows where upstream has a known bug (composition.md "Points to decide",
 * listed in docs/compatibility.md): 'intent' (the default) does what the upstream documentation
 * says; 'upstream' reproduces the bug byte for byte (the differential tests use it to prove that
 * everything else matches).
 */
export type Semantics = 'intent' | 'upstream';

let current: Semantics = 'intent';

/** SetSemantics runs `f` (synchronously) under the given semantics. */
export function setSemantics<T>(s: Semantics, f: () => T): T {
  const prev = current;
  current = s;
  try {
    return f();
  } finally {
    current = prev;
  }
}

export function upstreamBugs(): boolean {
  return current === 'upstream';
}
