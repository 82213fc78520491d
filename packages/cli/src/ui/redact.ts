/**
 * Secrets are never printed unless asked. Every command that prints objects passes them through
 * `redactSecrets` (commands offer `--show-secrets` to opt out). It finds Secrets anywhere in what
 * is printed — top-level objects, items of lists, manifests embedded in other objects (a
 * provider-kubernetes Object wrapping a Secret) — and replaces each value of `data` and
 * `stringData` by a marker that keeps the key and says how big the value was. The
 * last-applied-configuration annotation of a Secret (which holds the values again) goes too.
 */

/** RedactedMarker prefixes every replaced value: `<redacted: 12 bytes>`. */
export const RedactedMarker = '<redacted';

const LastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

export interface RedactOptions {
  /** Show prints secrets as they are (`--show-secrets`). */
  show?: boolean;
}

/** IsSecret reports whether a value is a core/v1 Secret. */
export function isSecret(v: unknown): v is Record<string, unknown> {
  return isObject(v) && v.kind === 'Secret' && (v.apiVersion === 'v1' || v.apiVersion === undefined || v.apiVersion === '');
}

/** RedactSecrets returns `value` with every Secret's values replaced; the input is not modified. */
export function redactSecrets<T>(value: T, opts: RedactOptions = {}): T {
  if (opts.show === true) return value;
  return walk(value, 0) as T;
}

const MaxDepth = 2000;

function walk(v: unknown, depth: number): unknown {
  if (depth > MaxDepth) return v;
  if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
  if (!isObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = walk(x, depth + 1);
  return isSecret(v) ? redactOne(out) : out;
}

function redactOne(secret: Record<string, unknown>): Record<string, unknown> {
  const out = { ...secret };
  if (isObject(out.data)) out.data = mapValues(out.data, (x) => marker(typeof x === 'string' ? Buffer.from(x, 'base64').length : 0));
  if (isObject(out.stringData)) out.stringData = mapValues(out.stringData, (x) => marker(typeof x === 'string' ? Buffer.byteLength(x) : 0));
  const meta = out.metadata;
  if (isObject(meta) && isObject(meta.annotations) && LastApplied in meta.annotations) {
    const annotations = { ...meta.annotations, [LastApplied]: marker(String(meta.annotations[LastApplied]).length) };
    out.metadata = { ...meta, annotations };
  }
  return out;
}

function marker(bytes: number): string {
  return `${RedactedMarker}: ${bytes} bytes>`;
}

function mapValues(o: Record<string, unknown>, f: (v: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = f(v);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * HoldsSecrets reports whether YAML or JSON text looks like it holds a Secret. The YAML parser's
 * errors quote the lines around a problem; for such text, commands report only the problem and
 * its position, so a typo in a Secret's file does not print its values.
 */
export function holdsSecrets(text: string): boolean {
  return /^[\s-]*kind:\s*["']?Secret["']?\s*(#.*)?$/m.test(text) || /"kind"\s*:\s*"Secret"/.test(text);
}
