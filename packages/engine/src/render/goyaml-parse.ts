import { TrellisError } from '@trellis/sdk';
import jsyaml from 'js-yaml';
import { type GoResolved, resolveGoPlain } from './goyaml.ts';

/**
 * ParseGoYamlDocuments reads a YAML stream the way Kubernetes and Crossplane tools do
 * (sigs.k8s.io/yaml over go-yaml v2): YAML 1.1 scalars, so `y`, `yes`, `on` are booleans, `0777`
 * is octal, `1_000` is an int, and timestamps stay strings; merge keys (`<<`) apply; a later
 * duplicate key wins. Empty documents are skipped. Aliases are expanded into separate copies,
 * up to a budget (a "billion laughs" document fails instead of exhausting memory). Errors name
 * the document and what is wrong (ENGINE_YAML_INVALID).
 */
export function parseGoYamlDocuments(text: string, what = 'YAML'): unknown[] {
  let docs: unknown[];
  try {
    docs = jsyaml.loadAll(text, undefined, { schema: GO_SCHEMA, json: true });
  } catch (err) {
    const msg =
      err instanceof RangeError ? 'nested too deeply' : err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
    throw new TrellisError('ENGINE_YAML_INVALID', `cannot parse ${what}: ${msg}`, { cause: err });
  }
  const out: unknown[] = [];
  const noAliases = !text.includes('*');
  for (const [i, d] of docs.entries()) {
    if (d === null || d === undefined) continue;
    const fail = (msg: string): TrellisError => new TrellisError('ENGINE_YAML_INVALID', `cannot parse ${what} (document ${i + 1}): ${msg}`);
    // Without a `*` the text has no alias, so nothing is shared: check the tree, do not copy it.
    if (noAliases) {
      check(d, fail, 0);
      out.push(d);
    } else out.push(materialize(d, fail, { nodes: 0 }, new Set(), 0));
  }
  return out;
}

/** ParseGoYamlValue reads one YAML (or JSON) value, as a context value given on the command line. */
export function parseGoYamlValue(text: string, what = 'YAML'): unknown {
  return parseGoYamlDocuments(text, what)[0] ?? null;
}

const TAG = 'tag:yaml.org,2002:';

function toValue(r: GoResolved, s: string): unknown {
  switch (r.kind) {
    case 'null':
      return null;
    case 'bool':
      return r.value;
    case 'int':
      return Number(r.value);
    case 'float':
      return r.value;
    default:
      return s;
  }
}

/**
 * LastPlain keeps the scalar goPlain's resolve just read: js-yaml constructs right after a
 * successful resolve, with the same text, so each plain scalar is resolved once.
 */
let lastPlain: { data: string; resolved: GoResolved } | undefined;

function resolvePlainOnce(data: string): GoResolved {
  if (lastPlain !== undefined && lastPlain.data === data) return lastPlain.resolved;
  return resolveGoPlain(data);
}

/** GoPlain resolves every plain scalar as go-yaml v2 does (quoted scalars stay strings). */
const goPlain = new jsyaml.Type(`${TAG}go-plain`, {
  kind: 'scalar',
  resolve: (data: unknown) => {
    if (typeof data !== 'string') return false;
    const resolved = resolveGoPlain(data);
    if (resolved.kind === 'str') return false;
    lastPlain = { data, resolved };
    return true;
  },
  construct: (data: string) => toValue(resolvePlainOnce(data), data),
});

/** Explicit tags (`!!int "5"`) must resolve to their type, as go-yaml checks. */
function explicit(short: 'int' | 'float' | 'bool' | 'null' | 'timestamp'): jsyaml.Type {
  const ok = (r: GoResolved): boolean => r.kind === short || (short === 'float' && r.kind === 'int');
  return new jsyaml.Type(`${TAG}${short}`, {
    kind: 'scalar',
    resolve: (data: unknown) => typeof data === 'string' && ok(resolveGoPlain(data)),
    construct: (data: string) => toValue(resolveGoPlain(data), data),
  });
}

const binary = new jsyaml.Type(`${TAG}binary`, {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string',
  construct: (data: string) => Buffer.from(data.replace(/\s+/g, ''), 'base64').toString('latin1'),
});

/** The merge key type (`<<`) js-yaml ships; its type declarations do not list `types`. */
const mergeType = (jsyaml as unknown as { types: { merge: jsyaml.Type } }).types.merge;

const GO_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [mergeType, goPlain],
  explicit: [explicit('int'), explicit('float'), explicit('bool'), explicit('null'), explicit('timestamp'), binary],
});

const MAX_DEPTH = 1000;
/** MaxNodes bounds what aliases may expand a document to (a "billion laughs" stops here). */
const MAX_NODES = 1_000_000;

/**
 * Check refuses what {@link materialize} refuses in a document without aliases (a tree): values
 * nested too deeply and non-finite numbers. js-yaml already defines `__proto__` keys as data.
 */
function check(v: unknown, fail: (m: string) => TrellisError, depth: number): void {
  if (depth > MAX_DEPTH) throw fail(`nested more than ${MAX_DEPTH} levels deep`);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw fail(`json: unsupported value: ${v}`);
    return;
  }
  if (typeof v !== 'object' || v === null) return;
  if (Array.isArray(v)) {
    for (const x of v) check(x, fail, depth + 1);
    return;
  }
  for (const k in v) if (Object.hasOwn(v, k)) check((v as Record<string, unknown>)[k], fail, depth + 1);
}

/**
 * Materialize copies a loaded document into a plain tree: aliases (shared references in js-yaml)
 * become copies, non-finite numbers (which JSON cannot hold) and recursive aliases are refused.
 */
function materialize(v: unknown, fail: (m: string) => TrellisError, budget: { nodes: number }, path: Set<object>, depth: number): unknown {
  if (++budget.nodes > MAX_NODES) throw fail(`expands to more than ${MAX_NODES} values (alias expansion)`);
  if (depth > MAX_DEPTH) throw fail(`nested more than ${MAX_DEPTH} levels deep`);
  if (typeof v === 'number' && !Number.isFinite(v)) throw fail(`json: unsupported value: ${v}`);
  if (typeof v !== 'object' || v === null) return v;
  if (path.has(v)) throw fail('recursive alias');
  path.add(v);
  let out: unknown;
  if (Array.isArray(v)) out = v.map((x) => materialize(x, fail, budget, path, depth + 1));
  else {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const value = materialize(x, fail, budget, path, depth + 1);
      // A `__proto__` key is data (Go keeps it): define it, since assigning would set the prototype.
      if (k === '__proto__') Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
      else o[k] = value;
    }
    out = o;
  }
  path.delete(v);
  return out;
}
