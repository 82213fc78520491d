// RE2 regular expressions (Go's regexp syntax and linear-time matching) for `pattern` and CEL
// `matches`, so a hostile pattern cannot backtrack for ever and patterns mean what they mean in Go.
import { RE2JS, RE2JSException } from '@bufbuild/re2';

/** Re2SyntaxError is a pattern that does not compile; its message is Go's (`error parsing regexp: ...`). */
export class Re2SyntaxError extends Error {
  override name = 'Re2SyntaxError';
}

/** A Matcher tests whether a pattern matches anywhere in a string (Go's MatchString). */
export interface Matcher {
  test(s: string): boolean;
}

const compiled = new Map<string, Matcher>();
const maxCompiled = 4096;
const maxCachedInput = 256;
const maxCachedResults = 2048;

class CachingMatcher implements Matcher {
  readonly #re: RE2JS;
  readonly #results = new Map<string, boolean>();
  constructor(re: RE2JS) {
    this.#re = re;
  }
  test(s: string): boolean {
    if (s.length > maxCachedInput) return this.#re.test(s);
    const hit = this.#results.get(s);
    if (hit !== undefined) return hit;
    const r = this.#re.test(s);
    if (this.#results.size >= maxCachedResults) this.#results.clear();
    this.#results.set(s, r);
    return r;
  }
}

/** CompileRe2 compiles a Go/RE2 pattern (cached), throwing Re2SyntaxError when it is invalid. */
export function compileRe2(pattern: string): Matcher {
  const hit = compiled.get(pattern);
  if (hit !== undefined) return hit;
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    if (e instanceof RE2JSException) throw new Re2SyntaxError(e.message);
    throw new Re2SyntaxError(`error parsing regexp: ${e instanceof Error ? e.message : String(e)}`);
  }
  const m = new CachingMatcher(re);
  if (compiled.size >= maxCompiled) compiled.clear();
  compiled.set(pattern, m);
  return m;
}
