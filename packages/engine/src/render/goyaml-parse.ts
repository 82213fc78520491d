import { TrellisError } from '@trellis/sdk';
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, parseAllDocuments, type Scalar } from 'yaml';
import { formatFloatG, resolveGoPlain } from './goyaml.ts';

/**
 * ParseGoYamlDocuments reads a YAML stream the way Kubernetes and Crossplane tools do
 * (sigs.k8s.io/yaml over go-yaml v2): YAML 1.1 scalars, so `y`, `yes`, `on` are booleans, `0777`
 * is octal, `1_000` is an int, and timestamps stay strings; merge keys (`<<`) apply; non-string
 * keys become strings as sigs.k8s.io/yaml converts them. Empty documents are skipped. Errors name
 * the document and what is wrong (ENGINE_YAML_INVALID).
 */
export function parseGoYamlDocuments(text: string, what = 'YAML'): unknown[] {
  const out: unknown[] = [];
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false, merge: false });
  } catch (err) {
    // The YAML library recurses; hostile nesting can exhaust the stack.
    throw new TrellisError(
      'ENGINE_YAML_INVALID',
      `cannot parse ${what}: ${err instanceof RangeError ? 'nested too deeply' : String(err)}`,
      { cause: err },
    );
  }
  for (const [i, doc] of (Array.isArray(docs) ? docs : [docs]).entries()) {
    const fail = (msg: string): TrellisError => new TrellisError('ENGINE_YAML_INVALID', `cannot parse ${what} (document ${i + 1}): ${msg}`);
    if (doc.errors.length > 0) throw fail(firstLine(doc.errors[0]?.message ?? 'invalid YAML'));
    if (doc.contents === null) continue;
    const budget = { nodes: 0, anchors: new Map<Node, Node | null>() };
    const v = convert(doc, doc.contents as Node, fail, 0, budget);
    if (v === null) continue;
    out.push(v);
  }
  return out;
}

/** ParseGoYamlValue reads one YAML (or JSON) value, as a context value given on the command line. */
export function parseGoYamlValue(text: string, what = 'YAML'): unknown {
  return parseGoYamlDocuments(text, what)[0] ?? null;
}

const MAX_DEPTH = 1000;
/** MaxNodes bounds what aliases may expand a document to (a "billion laughs" stops here). */
const MAX_NODES = 1_000_000;

interface Budget {
  nodes: number;
  /** Resolved alias targets (resolving an alias walks the document). */
  anchors: Map<Node, Node | null>;
}

function convert(doc: Document, node: Node | null, fail: (m: string) => TrellisError, depth: number, budget: Budget): unknown {
  if (depth > MAX_DEPTH) throw fail(`nested more than ${MAX_DEPTH} levels deep`);
  if (++budget.nodes > MAX_NODES) throw fail(`expands to more than ${MAX_NODES} values (alias expansion)`);
  if (node === null) return null;
  if (isAlias(node)) {
    let target = budget.anchors.get(node);
    if (target === undefined) {
      target = (node.resolve(doc) as Node | undefined) ?? null;
      budget.anchors.set(node, target);
    }
    return convert(doc, target, fail, depth + 1, budget);
  }
  if (isScalar(node)) return scalar(node, fail);
  if (isSeq(node)) return node.items.map((n) => convert(doc, n as Node, fail, depth + 1, budget));
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.value === '<<' && keyNode.tag === undefined) {
        mergeInto(out, convert(doc, pair.value as Node | null, fail, depth + 1, budget), fail);
        continue;
      }
      const key = isScalar(keyNode) ? scalarKey(keyNode, fail) : keyString(convert(doc, keyNode, fail, depth + 1, budget), fail);
      out[key] = convert(doc, pair.value as Node | null, fail, depth + 1, budget);
    }
    return out;
  }
  throw fail('unsupported YAML node');
}

function mergeInto(out: Record<string, unknown>, v: unknown, fail: (m: string) => TrellisError): void {
  const maps = Array.isArray(v) ? v : [v];
  for (const m of maps) {
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw fail('map merge requires map or sequence of maps as the value');
    Object.assign(out, m);
  }
}

/** ScalarKey converts a scalar key as sigs.k8s.io/yaml does (ints exactly, floats as float32). */
function scalarKey(node: Scalar, fail: (m: string) => TrellisError): string {
  if (node.type === 'PLAIN' && node.tag === undefined) {
    const r = resolveGoPlain(String(node.value));
    if (r.kind === 'int') return r.value.toString();
    if (r.kind === 'null') throw fail('unsupported map key of type: <nil>');
  }
  return keyString(scalar(node, fail, true), fail);
}

function keyString(k: unknown, fail: (m: string) => TrellisError): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (typeof k === 'bigint') return k.toString();
  if (typeof k === 'number') {
    if (Number.isNaN(k)) return '.nan';
    if (k === Number.POSITIVE_INFINITY) return '.inf';
    if (k === Number.NEGATIVE_INFINITY) return '-.inf';
    // sigs.k8s.io/yaml formats float keys with float32 precision.
    return formatFloatG(Math.fround(k));
  }
  throw fail(`unsupported map key ${JSON.stringify(k)}`);
}

const TAG = 'tag:yaml.org,2002:';

function scalar(node: Scalar, fail: (m: string) => TrellisError, isKey = false): unknown {
  const s = String(node.value);
  const tag = node.tag;
  if (tag !== undefined && tag !== '!') {
    const short = tag.startsWith(TAG) ? tag.slice(TAG.length) : tag;
    if (short === 'str') return s;
    if (short === 'binary') return Buffer.from(s.replace(/\s+/g, ''), 'base64').toString('latin1');
    if (!['int', 'float', 'bool', 'null', 'timestamp'].includes(short)) return s;
    const r = resolveGoPlain(s);
    const got = r.kind === 'str' ? 'str' : r.kind;
    if (got === short || (short === 'float' && r.kind === 'int')) {
      const v = toValue(r, s);
      if (!isKey && typeof v === 'number' && !Number.isFinite(v)) throw fail(`json: unsupported value: ${s}`);
      return v;
    }
    throw fail(`cannot decode !!${got} \`${s}\` as a !!${short}`);
  }
  if (node.type !== 'PLAIN') return s;
  const v = toValue(resolveGoPlain(s), s);
  if (!isKey && typeof v === 'number' && !Number.isFinite(v)) throw fail(`json: unsupported value: ${s}`);
  return v;
}

function toValue(r: ReturnType<typeof resolveGoPlain>, s: string): unknown {
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

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
