// Which objects a process kept between two heap snapshots of it (e.g. the ones heap-churn.ts writes
// after cycles 5 and 40): V8 keeps an object's snapshot id for its lifetime, so the objects in the
// second snapshot whose ids the first lacks were allocated in between and survived collection.
// Grouped by constructor (or node type), with their shallow sizes; then, for the largest groups,
// the shortest retainer path from a GC root of a few samples (what keeps them alive), and the most
// common shapes of the new strings (digits folded to #), which usually name the map that holds them.
//
//   node --max-old-space-size=8192 --conditions=@trellis/source --import tsx bench/reliability/heap-diff.ts A.heapsnapshot B.heapsnapshot [--top 25] [--holder TEXT ...]
//
// --holder TEXT prints retainer paths of samples of the new objects charged to each holding
// collection whose label contains TEXT (e.g. `--holder collectors`).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, holder: { type: 'string', multiple: true, default: [] } },
});
const [pathA, pathB] = positionals;
if (pathA === undefined || pathB === undefined) {
  console.log('usage: heap-diff.ts A.heapsnapshot B.heapsnapshot [--top N]');
  process.exit(2);
}
const top = Number(values.top);

interface Snapshot {
  nodeFields: number;
  edgeFields: number;
  nodeTypes: string[];
  edgeTypes: string[];
  nodes: number[];
  edges: number[];
  strings: string[];
  /** FirstEdge[i] is the index into `edges` of node i's first edge. */
  firstEdge: Uint32Array;
  count: number;
}

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

function load(path: string): Snapshot {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as RawSnapshot;
  const meta = raw.snapshot.meta;
  const nodeFields = meta.node_fields.length;
  const edgeFields = meta.edge_fields.length;
  if (
    meta.node_fields[0] !== 'type' ||
    meta.node_fields[1] !== 'name' ||
    meta.node_fields[2] !== 'id' ||
    meta.node_fields[4] !== 'edge_count'
  )
    throw new Error(`${path}: unexpected node fields ${meta.node_fields.join(',')}`);
  const count = raw.nodes.length / nodeFields;
  const firstEdge = new Uint32Array(count + 1);
  let e = 0;
  for (let i = 0; i < count; i++) {
    firstEdge[i] = e;
    e += (raw.nodes[i * nodeFields + 4] ?? 0) * edgeFields;
  }
  firstEdge[count] = e;
  return {
    nodeFields,
    edgeFields,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    nodes: raw.nodes,
    edges: raw.edges,
    strings: raw.strings,
    firstEdge,
    count,
  };
}

const field = (s: Snapshot, i: number, f: number): number => s.nodes[i * s.nodeFields + f] ?? 0;
const typeOf = (s: Snapshot, i: number): string => s.nodeTypes[field(s, i, 0)] ?? '?';
const nameOf = (s: Snapshot, i: number): string => s.strings[field(s, i, 1)] ?? '';
const isString = (t: string): boolean => t === 'string' || t === 'concatenated string' || t === 'sliced string';

function groupOf(s: Snapshot, i: number): string {
  const t = typeOf(s, i);
  if (isString(t)) return '(string)';
  if (t === 'number' || t === 'heap number') return '(number)';
  const n = nameOf(s, i);
  return `${t} ${n.length > 80 ? `${n.slice(0, 77)}...` : n}`;
}

const a = load(pathA);
const idsA = new Set<number>();
for (let i = 0; i < a.count; i++) idsA.add(field(a, i, 2));
let totalA = 0;
for (let i = 0; i < a.count; i++) totalA += field(a, i, 3);
const b = load(pathB);
let totalB = 0;
for (let i = 0; i < b.count; i++) totalB += field(b, i, 3);

const groups = new Map<string, { count: number; size: number; samples: number[] }>();
const shapes = new Map<string, { count: number; size: number; example: string; samples: number[] }>();
for (let i = 0; i < b.count; i++) {
  if (idsA.has(field(b, i, 2))) continue;
  const size = field(b, i, 3);
  const g = groupOf(b, i);
  let cur = groups.get(g);
  if (cur === undefined) {
    cur = { count: 0, size: 0, samples: [] };
    groups.set(g, cur);
  }
  cur.count++;
  cur.size += size;
  if (cur.samples.length < 200) cur.samples.push(i);
  if (isString(typeOf(b, i))) {
    const t = typeOf(b, i);
    // A concatenated or sliced string has no text of its own in a snapshot: group it by its type.
    const text = t === 'string' ? nameOf(b, i) : `(${t})`;
    const shape = text
      .slice(0, 60)
      .replace(/[0-9]+/g, '#')
      .replace(/[a-f0-9]{8,}/g, 'H');
    const sh = shapes.get(shape) ?? { count: 0, size: 0, example: text.slice(0, 120), samples: [] };
    sh.count++;
    sh.size += size;
    if (sh.samples.length < 200) sh.samples.push(i);
    shapes.set(shape, sh);
  }
}

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
console.log(`A: ${pathA}: ${a.count} nodes, ${(totalA / 2 ** 20).toFixed(1)} MiB`);
console.log(`B: ${pathB}: ${b.count} nodes, ${(totalB / 2 ** 20).toFixed(1)} MiB`);
const newTotal = [...groups.values()].reduce((x, g) => x + g.size, 0);
console.log(`objects in B not in A: ${[...groups.values()].reduce((x, g) => x + g.count, 0)}, ${kib(newTotal)} shallow\n`);
const sorted = [...groups.entries()].sort((x, y) => y[1].size - x[1].size);
console.log('| new objects by group | count | shallow |\n|---|---|---|');
for (const [g, v] of sorted.slice(0, top)) console.log(`| ${g} | ${v.count} | ${kib(v.size)} |`);
console.log('\n| new strings by shape | count | shallow | example |\n|---|---|---|---|');
const sortedShapes = [...shapes.entries()].sort((x, y) => y[1].size - x[1].size);
for (const [sh, v] of sortedShapes.slice(0, top))
  console.log(`| ${JSON.stringify(sh)} | ${v.count} | ${kib(v.size)} | ${JSON.stringify(v.example)} |`);

// Shortest retainer paths from the root over strong edges (breadth first), for a few samples of
// the largest groups of new objects.
const parentNode = new Int32Array(b.count).fill(-1);
const parentEdge = new Int32Array(b.count).fill(-1);
const weak = b.edgeTypes.indexOf('weak');
const queue = new Int32Array(b.count);
let head = 0;
let tail = 0;
queue[tail++] = 0;
parentNode[0] = 0;
while (head < tail) {
  const n = queue[head++] ?? 0;
  for (let e = b.firstEdge[n] ?? 0; e < (b.firstEdge[n + 1] ?? 0); e += b.edgeFields) {
    if (b.edges[e] === weak) continue;
    const to = (b.edges[e + 2] ?? 0) / b.nodeFields;
    if (parentNode[to] !== -1) continue;
    parentNode[to] = n;
    parentEdge[to] = e;
    queue[tail++] = to;
  }
}
const edgeName = (e: number): string => {
  const t = b.edgeTypes[b.edges[e] ?? 0];
  const v = b.edges[e + 1] ?? 0;
  return t === 'element' || t === 'hidden' ? `[${v}]` : (b.strings[v] ?? '?');
};
function pathOf(i: number): string {
  const steps: string[] = [];
  let n = i;
  for (let k = 0; k < 40 && n !== 0 && parentNode[n] !== -1; k++) {
    steps.push(`${groupOf(b, n).slice(0, 50)} <-${edgeName(parentEdge[n] ?? 0)}-`);
    n = parentNode[n] ?? 0;
  }
  if (parentNode[i] === -1) return '(unreachable from the root over strong edges)';
  return steps.join(' ');
}
console.log('\nretainers of samples of the largest groups (object <-edge- holder <-edge- ... root):');
const retained: [string, { count: number; size: number; samples: number[] }][] = [
  ...sorted.filter(([g]) => g !== '(string)' && g !== '(number)').slice(0, Math.min(12, top)),
  ...sortedShapes
    .slice(0, Math.min(8, top))
    .map(([sh, v]): [string, { count: number; size: number; samples: number[] }] => [`string ${JSON.stringify(sh)}`, v]),
];
for (const [g, v] of retained) {
  console.log(`\n${g} (${v.count} new, ${kib(v.size)}):`);
  const seen = new Set<string>();
  for (const i of v.samples) {
    const p = pathOf(i);
    const shape = p.replace(/\[\d+\]/g, '[#]');
    if (seen.has(shape)) continue;
    seen.add(shape);
    console.log(`  ${p}`);
    if (seen.size >= 3) break;
  }
}

// Where the new objects live: each is charged to the nearest collection (Map, Set, Array) on its
// retainer path, named by the property that holds that collection and the holder's constructor
// (e.g. `Map .applied of CompositeReconciler`), or the closure variable that holds it (`of system /
// Context`): the per-object state that grew, in one table.
const holders = new Map<string, { count: number; size: number; samples: number[] }>();
const collections = new Set(['object Map', 'object Set', 'object Array', 'object WeakMap']);
for (let i = 0; i < b.count; i++) {
  if (idsA.has(field(b, i, 2)) || parentNode[i] === -1) continue;
  let n = i;
  let label = '(no collection on the path)';
  for (let k = 0; k < 40 && n !== 0; k++) {
    const p = parentNode[n] ?? 0;
    const via = b.edgeTypes[b.edges[parentEdge[n] ?? 0] ?? 0];
    if (collections.has(groupOf(b, n)) && (via === 'property' || via === 'context')) {
      label = `${groupOf(b, n)} .${edgeName(parentEdge[n] ?? 0).slice(0, 40)} of ${groupOf(b, p).slice(0, 60)}`;
      break;
    }
    n = p;
  }
  const h = holders.get(label) ?? { count: 0, size: 0, samples: [] };
  h.count++;
  h.size += field(b, i, 3);
  if (h.samples.length < 50) h.samples.push(i);
  holders.set(label, h);
}
console.log('\n| new objects by the collection holding them | count | shallow |\n|---|---|---|');
for (const [h, v] of [...holders.entries()].sort((x, y) => y[1].size - x[1].size).slice(0, top))
  console.log(`| ${h} | ${v.count} | ${kib(v.size)} |`);
for (const want of values.holder) {
  for (const [h, v] of holders) {
    if (!h.includes(want)) continue;
    console.log(`\nretainers of new objects held by ${h}:`);
    const seen = new Set<string>();
    for (const i of v.samples) {
      const p = pathOf(i);
      const shape = p.replace(/\[\d+\]/g, '[#]').replace(/<-\d+-/g, '<-#-');
      if (seen.has(shape)) continue;
      seen.add(shape);
      console.log(`  ${p}`);
      if (seen.size >= 4) break;
    }
  }
}
