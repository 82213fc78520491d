// In-process cost of the request path (decode, validate, managedFields, store) without HTTP:
//   node --conditions=@trellis/source --import tsx bench/apiserver/request-path.ts
// Prints CPU microseconds per create, update and get, and how long the group-committed WAL
// takes to make a burst of 5,000 writes durable.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rest } from '../../packages/apiserver/src/api/rest.ts';
import { Registry } from '../../packages/apiserver/src/registry/registry.ts';
import { Store } from '../../packages/apiserver/src/store/store.ts';

const store = await Store.open({ dir: mkdtempSync(join(tmpdir(), 'trellis-request-path-')), fsync: true });
const registry = new Registry();
const rest = new Rest({ store, registry });
const rt = registry.lookup('', 'v1', 'configmaps');
const nsRt = registry.lookup('', 'v1', 'namespaces');
if (rt === undefined || nsRt === undefined) throw new Error('built-in types missing');
const w = () => ({ manager: 'bench', opts: { dryRun: false, fieldManager: 'bench', fieldValidation: 'Warn' as const }, warnings: [] });
rest.create(nsRt, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } }, w());
const body = (i: number) =>
  Buffer.from(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `c-${i}`, labels: { app: `a${i % 10}` } },
      data: { index: String(i), payload: 'x'.repeat(400) },
    }),
  );
const q = new URLSearchParams();
for (let round = 0; round < 2; round++) {
  let t = performance.now();
  const N = 5000;
  for (let i = 0; i < N; i++) rest.createFromRequest(rt, 'b', body(i + round * N), 'application/json', q, 'bench/1');
  const cpuCreate = (performance.now() - t) / N;
  t = performance.now();
  await store.durable();
  console.log(`create µs/op ${(cpuCreate * 1000).toFixed(1)} durable wait ${(performance.now() - t).toFixed(1)}ms`);
  t = performance.now();
  for (let i = 0; i < N; i++)
    rest.updateFromRequest(rt, 'b', `c-${i + round * N}`, '', body(i + round * N), 'application/json', q, 'bench/1');
  console.log(`update µs/op ${(((performance.now() - t) / N) * 1000).toFixed(1)}`);
  t = performance.now();
  for (let i = 0; i < N; i++) rest.get(rt, 'b', `c-${i + round * N}`, '', q);
  console.log(`get µs/op ${(((performance.now() - t) / N) * 1000).toFixed(1)}`);
}
await store.close();
