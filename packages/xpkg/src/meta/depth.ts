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
    const c = text[i];
    const prev = i === 0 ? '\n' : (text[i - 1] as string);
    const tokenStart = /[\s[{,:?-]/.test(prev);
    if (c === '[' || c === '{') {
      depth++;
      if (depth > limit) return true;
    } else if (c === ']' || c === '}') {
      if (depth > 0) depth--;
    } else if (c === '#' && /\s/.test(prev)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '"' && tokenStart) {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === "'" && tokenStart) {
      for (i++; i < text.length; i++) {
        if (text[i] !== "'") continue;
        if (text[i + 1] === "'") i++;
        else break;
      }
    }
  }
  return false;
}
