// Benchmarks of the embedded API server's schema and apply libraries on a typical Crossplane
// composite resource: compiling its CRD schema once, then per-write pruning, defaulting and
// validation (OpenAPI keywords, list-map uniqueness, CEL), and server-side apply.
//
//   node --conditions=@trellis/source --import tsx bench/apiserver-schema/run.ts

import { cpus } from 'node:os';
import type { KubeObject } from '@trellis/sdk';
import { applyLibrary } from '../../packages/apiserver/src/apply/index.ts';
import { compileVersionSchema, validateCrd } from '../../packages/apiserver/src/schema/index.ts';
import { deepCopyJSON } from '../../packages/apiserver/src/schema/json.ts';

import { parseBenchArgs, recorder } from '../lib/figures.ts';
import { crd, xr, xrSchema } from './xr.ts';

const bargs = parseBenchArgs();
const rec = recorder({
  pillar: 'apiserver-schema',
  title: 'Embedded API server schema and apply libraries on a typical Crossplane XR (best of five, CPU time per op)',
  command: 'node --conditions=@trellis/source --import tsx bench/apiserver-schema/run.ts',
  args: bargs,
});
// Quick mode runs a tenth of the iterations.
const scale = bargs.quick ? 0.1 : 1;

// The machine running this is usually shared, so each case reports the best of five rounds of
// process CPU time (user + system) rather than wall-clock time.
function bench(name: string, iterations: number, f: (i: number) => void): void {
  const n = Math.max(20, Math.round(iterations * scale));
  for (let i = 0; i < Math.min(n, 2000); i++) f(i);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) f(i);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / n);
  }
  rec.add({ name, value: best, unit: 'µs/op' });
  console.log(
    `${name.padEnd(52)} ${best.toFixed(2).padStart(9)} µs/op  ${Math.round(1e6 / best)
      .toString()
      .padStart(9)} ops/s`,
  );
}

const ctx = { group: 'example.org', version: 'v1alpha1', kind: 'XPostgreSQLInstance', namespaced: false };
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}`);
bench('validateCrd (XR CRD with CEL rules)', 200, () => validateCrd(crd as unknown as KubeObject));
bench('compileVersionSchema (once per CRD generation)', 200, () => compileVersionSchema(xrSchema, ctx));
const compiled = compileVersionSchema(xrSchema, ctx);
const objects = Array.from({ length: 1000 }, (_, i) => xr(i));
bench('prune (create)', 4000, (i) => compiled.prune(deepCopyJSON(objects[i % 1000]) as unknown as KubeObject));
bench('prune + defaults + validate (create)', 4000, (i) => {
  const o = deepCopyJSON(objects[i % 1000]) as unknown as KubeObject;
  compiled.prune(o);
  compiled.applyDefaults(o);
  compiled.validate(o);
});
bench('validate only (create)', 4000, (i) => compiled.validate(objects[i % 1000] as unknown as KubeObject));
bench('validate (update with old, ratcheting, transition)', 4000, (i) =>
  compiled.validate(objects[i % 1000] as unknown as KubeObject, { old: objects[(i + 1) % 1000] as unknown as KubeObject }),
);
bench('validate (/status update)', 4000, (i) =>
  compiled.validate(objects[i % 1000] as unknown as KubeObject, { old: objects[i % 1000] as unknown as KubeObject, subresource: 'status' }),
);

const typeInfo = applyLibrary.typeInfoFromSchema(xrSchema);
const now = '2026-11-21T07:00:00Z';
const lives = objects.map((o) => {
  const applied = deepCopyJSON(o);
  delete applied.status;
  return applyLibrary.serverSideApply({
    live: undefined,
    applied: applied as unknown as KubeObject,
    manager: 'crossplane',
    force: true,
    subresource: '',
    scope: 'no-status',
    apiVersion: 'example.org/v1alpha1',
    typeInfo,
    now,
  }).object;
});
bench('serverSideApply (create)', 2000, (i) => {
  const applied = deepCopyJSON(objects[i % 1000]) as Record<string, unknown>;
  delete applied.status;
  applyLibrary.serverSideApply({
    live: undefined,
    applied: applied as unknown as KubeObject,
    manager: 'crossplane',
    force: true,
    subresource: '',
    scope: 'no-status',
    apiVersion: 'example.org/v1alpha1',
    typeInfo,
    now,
  });
});
bench('serverSideApply (steady state, no change)', 2000, (i) => {
  const applied = deepCopyJSON(objects[i % 1000]) as Record<string, unknown>;
  delete applied.status;
  applyLibrary.serverSideApply({
    live: lives[i % 1000],
    applied: applied as unknown as KubeObject,
    manager: 'crossplane',
    force: true,
    subresource: '',
    scope: 'no-status',
    apiVersion: 'example.org/v1alpha1',
    typeInfo,
    now,
  });
});
bench('serverSideApply (one field changed)', 2000, (i) => {
  const applied = deepCopyJSON(objects[i % 1000]) as Record<string, { parameters: { storageGB: number } }>;
  delete applied.status;
  (applied.spec as { parameters: { storageGB: number } }).parameters.storageGB = 99;
  applyLibrary.serverSideApply({
    live: lives[i % 1000],
    applied: applied as unknown as KubeObject,
    manager: 'crossplane',
    force: true,
    subresource: '',
    scope: 'no-status',
    apiVersion: 'example.org/v1alpha1',
    typeInfo,
    now,
  });
});
bench('trackUpdate (status update by a controller)', 2000, (i) => {
  const next = deepCopyJSON(lives[i % 1000]) as unknown as Record<string, unknown>;
  next.status = { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now, reason: 'Creating' }] };
  applyLibrary.trackUpdate({
    old: lives[i % 1000],
    new: next as unknown as KubeObject,
    manager: 'crossplane',
    subresource: 'status',
    scope: 'status-only',
    apiVersion: 'example.org/v1alpha1',
    typeInfo,
    now,
  });
});
rec.finish();
