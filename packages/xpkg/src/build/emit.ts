import { dump } from 'js-yaml';

/**
 * The options every package stream is written with: keys sorted (as crank writes them), no line
 * folding, no anchors.
 */
export const StreamDumpOptions = { sortKeys: true, lineWidth: -1, noRefs: true } as const;

/**
 * A YamlEmitter writes plain data as block YAML, byte for byte what `js-yaml`'s
 * `dump(value, StreamDumpOptions)` writes, several times faster on package-sized input.
 *
 * Why: `dump` decides the style of every scalar afresh (a dozen regular expressions and a pass
 * over the string per scalar), which made it 70% of building a 500-CRD provider, whose 6 MiB of
 * CRDs repeat the same few thousand strings. The emitter walks the structure itself and asks
 * `dump` only once per distinct scalar (memoised), so the styles and escapes stay js-yaml's own.
 * Anything outside plain data (a Date, a Buffer, a key long enough to need an explicit `? ` pair)
 * is written by `dump` for the whole document, so the output never differs; emit.test.ts checks
 * the equality on the corpus, on tricky scalars and on random documents.
 *
 * The layout rules mirrored here (js-yaml 4, indent 2): a mapping's entries start on a new line
 * indented two spaces per level, except the first entry of a "compact" node (the document itself
 * and a sequence item), which continues the current line; a nested non-empty collection as a
 * mapping value is written as `key:` followed by its own lines; a sequence under a mapping key is
 * indented one level; empty collections are `{}` and `[]`; `undefined` drops a mapping entry and
 * is `null` in a sequence.
 */
export class YamlEmitter {
  /** Single-line scalars: their rendering does not depend on the level. */
  private readonly flat = new Map<string, string>();
  private readonly keys = new Map<string, string>();

  /** Emit returns the document followed by a newline, as `dump` does. */
  emit(value: unknown): string {
    if (!isPlainObject(value) && !Array.isArray(value)) return dump(value, StreamDumpOptions);
    try {
      return `${this.node(value, 0, true) ?? ''}\n`;
    } catch (err) {
      if (err instanceof Unsupported) return dump(value, StreamDumpOptions);
      throw err;
    }
  }

  private node(v: unknown, level: number, compact: boolean): string | undefined {
    if (v === undefined) return undefined;
    if (v === null) return 'null';
    switch (typeof v) {
      case 'string':
        return this.scalar(v, level);
      case 'boolean':
        return v ? 'true' : 'false';
      case 'number':
        return Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v) : this.viaDump(v);
      case 'object':
        if (Array.isArray(v)) return v.length === 0 ? '[]' : this.sequence(v, level, compact);
        if (isPlainObject(v)) return this.mapping(v, level, compact);
        throw new Unsupported();
      default:
        throw new Unsupported();
    }
  }

  private mapping(o: Record<string, unknown>, level: number, compact: boolean): string {
    const names = Object.keys(o).sort();
    let out = '';
    for (const name of names) {
      const value = this.node(o[name], level + 1, false);
      if (value === undefined) continue;
      if (!compact || out !== '') out += nextLine(level);
      out += `${this.key(name)}${value.charCodeAt(0) === 10 ? ':' : ': '}${value}`;
    }
    return out === '' ? '{}' : out;
  }

  private sequence(items: unknown[], level: number, compact: boolean): string {
    let out = '';
    for (const item of items) {
      const value = this.node(item, level + 1, true) ?? 'null';
      if (!compact || out !== '') out += nextLine(level);
      out += `${value.charCodeAt(0) === 10 ? '-' : '- '}${value}`;
    }
    return out;
  }

  /** A nested collection under a mapping key starts on its own line: mapping() adds the newline. */
  private key(name: string): string {
    let k = this.keys.get(name);
    if (k === undefined) {
      const out = dump({ [name]: null }, StreamDumpOptions);
      if (!out.endsWith(': null\n') || out.startsWith('?')) throw new Unsupported();
      k = out.slice(0, -': null\n'.length);
      if (k.length > 1024) throw new Unsupported();
      this.keys.set(name, k);
    }
    return k;
  }

  private scalar(s: string, level: number): string {
    if (s.includes('\n')) return this.multiLine(s, level);
    let r = this.flat.get(s);
    if (r === undefined) {
      r = this.viaDump(s);
      this.flat.set(s, r);
    }
    return r;
  }

  /** MultiLine renders a string with line breaks as a value at `level` (block styles depend on it). */
  private multiLine(s: string, level: number): string {
    let wrapped: unknown = s;
    let prefix = '';
    for (let i = Math.max(1, level) - 1; i >= 0; i--) {
      wrapped = { a: wrapped };
      prefix = i === Math.max(1, level) - 1 ? `${'  '.repeat(i)}a: ` : `${'  '.repeat(i)}a:\n${prefix}`;
    }
    const out = dump(wrapped, StreamDumpOptions);
    if (!out.startsWith(prefix)) throw new Unsupported();
    return out.slice(prefix.length, -1);
  }

  private viaDump(v: unknown): string {
    const out = dump(v, StreamDumpOptions);
    return out.slice(0, -1);
  }
}

class Unsupported extends Error {}

function nextLine(level: number): string {
  return `\n${'  '.repeat(level)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return Object.prototype.toString.call(v) === '[object Object]';
}
