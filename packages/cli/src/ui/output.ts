import { TrellisError } from '@trellis/sdk';
import { stringify } from 'yaml';

/**
 * OutputFormat is what `-o/--output` accepts across commands. Each command allows a subset
 * (`trace`: text, wide, json, yaml, dot; `validate`: text, json, yaml; `test`: text, json, junit).
 */
export const OutputFormat = {
  Text: 'text',
  Wide: 'wide',
  Json: 'json',
  Yaml: 'yaml',
  Dot: 'dot',
  Junit: 'junit',
} as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

/**
 * ParseOutputFormat checks an `-o` value against the formats a command allows and returns it
 * (`def` when the flag is absent). A bad value is a usage error naming the allowed ones.
 */
export function parseOutputFormat<T extends OutputFormat>(value: unknown, allowed: readonly T[], def: T, flag = '--output'): T {
  if (value === undefined || value === '' || value === true) return def;
  const v = String(value).toLowerCase();
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new TrellisError('CLI_USAGE', `invalid ${flag} ${JSON.stringify(String(value))}: want one of ${allowed.join(', ')}`);
}

/** ToJson prints a value as indented JSON with a trailing newline (stable for machines and diffs). */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** ToYaml prints one value as a YAML document (no `---`), never folding long strings. */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** YamlStream prints values as a multi-document YAML stream, each document starting with `---`. */
export function yamlStream(values: readonly unknown[]): string {
  return values.map((v) => `---\n${toYaml(v)}`).join('');
}

/** A Column of a table: its header, and whether it only shows under `-o wide`. */
export interface Column {
  header: string;
  wide?: boolean;
}

/**
 * Table lays out rows in kubectl's style: upper-case headers, columns padded to their widest
 * cell and separated by three spaces, no trailing spaces. `wide` keeps the wide-only columns.
 */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[], opts: { wide?: boolean } = {}): string {
  const keep = columns.map((c) => opts.wide === true || c.wide !== true);
  const cols = columns.filter((_, i) => keep[i]);
  const body = rows.map((r) => r.filter((_, i) => keep[i]).map((cell) => oneLineCell(cell)));
  const lines = [cols.map((c) => c.header.toUpperCase()), ...body];
  const widths = cols.map((_, i) => Math.max(...lines.map((l) => displayWidth(l[i] ?? ''))));
  return lines
    .map((l) =>
      l
        .map((cell, i) => (i === l.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - displayWidth(cell) + 3)))
        .join('')
        .trimEnd(),
    )
    .map((l) => `${l}\n`)
    .join('');
}

/** Truncate shortens `s` to at most `max` characters, ending in `...` when it cut (trace's STATUS). */
export function truncate(s: string, max: number): string {
  if (max <= 3 || [...s].length <= max) return s;
  return `${[...s].slice(0, max - 3).join('')}...`;
}

function oneLineCell(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}

/** DisplayWidth counts code points (box-drawing characters and ✓ are one column each). */
export function displayWidth(s: string): number {
  return [...s].length;
}
