/**
 * FlowDepthExceeds reports whether YAML text nests flow collections (`[` and `{`) deeper than
 * `limit`, outside quoted scalars and comments. The `yaml` package overflows the stack on very
 * deep flow nesting, and after that V8 can abort the whole process ("RegExpCompiler Allocation
 * failed", found by test/fuzz/yaml.test.ts), so parsers refuse such text before parsing it.
 * Quotes count only where a quoted scalar can start (line start, after a blank or an indicator),
 * so an apostrophe in a plain scalar cannot hide brackets from the count.
 */
export function flowDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Most characters are none of the six that matter: skip them before any other test.
    if (c !== 0x5b && c !== 0x7b && c !== 0x5d && c !== 0x7d && c !== 0x23 && c !== 0x22 && c !== 0x27) continue;
    const prev = i === 0 ? 0x0a : text.charCodeAt(i - 1);
    if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    } else if (c === 0x23 && isSpace(prev)) {
      while (i < text.length && text.charCodeAt(i) !== 0x0a) i++;
    } else if (c === 0x22 && isTokenStart(prev)) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x27 && isTokenStart(prev)) {
      for (i++; i < text.length; i++) {
        if (text.charCodeAt(i) !== 0x27) continue;
        if (text.charCodeAt(i + 1) === 0x27) i++;
        else break;
      }
    }
  }
  return false;
}

/** IsSpace is `/\s/` on one UTF-16 code unit (ASCII answered without a regular expression). */
function isSpace(c: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return /\s/.test(String.fromCharCode(c));
}

/** IsTokenStart: a quoted scalar can start after a blank or one of `[{,:?-`. */
function isTokenStart(c: number): boolean {
  return isSpace(c) || c === 0x5b || c === 0x7b || c === 0x2c || c === 0x3a || c === 0x3f || c === 0x2d;
}
