// Benchmarks of the package manager (@trellis/xpkg):
//   1. the solver on a synthetic graph of 2,000 packages × 20 versions with tight constraints
//      (goal < 1 s), and the same graph made unsatisfiable, explanation included (goal < 1 s);
//   2. building a provider package of 500 CRDs (goal < 2 s);
//   3. installing it into the embedded API server (goal < 10 s) and into a real kube-apiserver
//      (recorded), through a real registry (docker-registry) and the package manager.
// Run: node --conditions=@trellis/source --import tsx bench/xpkg/run.ts [--packages 2000] [--versions 20] [--crds 500] [--skip-install]
// Prints one line per figure and a JSON summary at the end.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startApiServer } from '@trellis/apiserver';
import { newKubeClient } from '@trellis/kube';
import { buildPackage, type MemoryCatalog, newPackageManager, pushArtifact, RegistryClient, type Requirement, solve } from '@trellis/xpkg';
import { stringify } from 'yaml';
import { startRealControlPlane } from '../../test/harness/control-plane.ts';
import { startRegistry } from '../../test/xpkg/support/registry.ts';
import { syntheticGraph } from './graph.ts';

const { values } = parseArgs({
  options: {
    packages: { type: 'string', default: '2000' },
    versions: { type: 'string', default: '20' },
    crds: { type: 'string', default: '500' },
    repeat: { type: 'string', default: '3' },
    'skip-install': { type: 'boolean', default: false },
    'skip-solver': { type: 'boolean', default: false },
    targets: { type: 'string', default: 'embedded,real' },
  },
});
const P = Number(values.packages);
const V = Number(values.versions);
const CRDS = Number(values.crds);
const REPEAT = Number(values.repeat);
const TARGETS = new Set(String(values.targets).split(','));
const results: Record<string, number | string> = {};

let parentRow = '';
/** Report prints one row; an indented row details the row above it and is keyed under it in the JSON. */
function report(name: string, value: number, unit: string): void {
  const detail = name.startsWith('  ');
  if (!detail) parentRow = name;
  results[detail ? `${parentRow} / ${name.trim()}` : name] = Number(value.toFixed(1));
  console.log(`${name.padEnd(52)} ${value.toFixed(1).padStart(10)} ${unit}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function timedSolve(catalog: MemoryCatalog, roots: Requirement[]): { wall: number; cpu: number; res: ReturnType<typeof solve> } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const res = solve(catalog, roots);
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000, res };
}

async function benchSolver(): Promise<void> {
  for (const [label, bad] of [
    ['newest releases compatible', false],
    ['1 in 10 releases bad, some newest incompatible', true],
  ] as const) {
    const { catalog, roots } = syntheticGraph(P, V, 42, bad);
    const walls: number[] = [];
    const cpus: number[] = [];
    let size = 0;
    let steps = 0;
    for (let i = 0; i < REPEAT; i++) {
      const { wall, cpu, res } = timedSolve(catalog, roots);
      if (!res.ok) throw new Error(`the synthetic graph should be solvable:\n${res.explanation.slice(0, 5).join('\n')}`);
      walls.push(wall);
      cpus.push(cpu);
      size = res.plan.packages.length;
      steps = res.steps;
    }
    report(`solve ${P}x${V}, ${label}: wall (median)`, median(walls), 'ms');
    report(`solve ${P}x${V}, ${label}: CPU (median)`, median(cpus), 'ms');
    report(`  packages in the plan / solver steps`, size, `/ ${steps}`);
    if (bad) continue;
    // Unsatisfiable: a requirement no version of a layer-5 package meets; and pkg-0 pinned to its
    // newest version while one of its dependencies is held below what that version needs.
    const top = catalog.versions('bench.example/org/pkg-0').find((v) => v.version === `v1.${V - 1}.0`);
    const dep = top?.dependencies[0]?.package ?? 'bench.example/org/pkg-1';
    for (const [what, extra] of [
      [
        'no matching version',
        [
          {
            package: `bench.example/org/pkg-${Math.floor(P / 2)}`,
            type: 'Configuration' as const,
            constraint: '>=v9.0.0',
            from: 'Configuration "conflict"',
          },
        ],
      ],
      [
        'a conflict through a dependency',
        [
          { package: 'bench.example/org/pkg-0', type: 'Configuration' as const, constraint: `v1.${V - 1}.0`, from: 'Configuration "pin"' },
          { package: dep, type: 'Configuration' as const, constraint: '<v1.5.0', from: 'Configuration "conflict"' },
        ],
      ],
    ] as const) {
      const badWalls: number[] = [];
      let lines: string[] = [];
      for (let i = 0; i < REPEAT; i++) {
        const { wall, res } = timedSolve(catalog, [...roots, ...extra]);
        badWalls.push(wall);
        if (res.ok) throw new Error('the unsatisfiable graph solved');
        lines = [...res.explanation, ...res.suggestions];
      }
      report(`unsatisfiable (${what}), explanation included (median)`, median(badWalls), 'ms');
      console.log(`  explanation (${lines.length} lines): ${lines.slice(0, 2).join(' | ').slice(0, 400)}`);
    }
  }
}

function bigCrd(i: number): unknown {
  const props: Record<string, unknown> = {};
  for (let f = 0; f < 60; f++) {
    props[`field${f}`] =
      f % 5 === 0
        ? {
            type: 'array',
            description: `Field ${f} of resource ${i}, a list of settings.`,
            items: { type: 'object', properties: { key: { type: 'string' }, value: { type: 'string' } } },
          }
        : { type: f % 3 === 0 ? 'number' : 'string', description: `Field ${f} of resource ${i}: what it configures and its default.` };
  }
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: { forProvider: { type: 'object', properties: props }, initProvider: { type: 'object', properties: props } },
      },
      status: { type: 'object', properties: { atProvider: { type: 'object', properties: props } } },
    },
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `resource${i}s.bench.trellis.dev` },
    spec: {
      group: 'bench.trellis.dev',
      names: { kind: `Resource${i}`, plural: `resource${i}s`, listKind: `Resource${i}List`, singular: `resource${i}` },
      scope: 'Cluster',
      versions: [{ name: 'v1beta1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
    },
  };
}

async function benchBuild(dir: string): Promise<Awaited<ReturnType<typeof buildPackage>>> {
  await writeFile(
    join(dir, 'crossplane.yaml'),
    stringify({ apiVersion: 'meta.pkg.crossplane.io/v1', kind: 'Provider', metadata: { name: 'provider-bench' }, spec: {} }),
  );
  let bytes = 0;
  for (let i = 0; i < CRDS; i++) {
    const text = stringify(bigCrd(i));
    bytes += text.length;
    await writeFile(join(dir, `crd-${String(i).padStart(4, '0')}.yaml`), text);
  }
  const times: number[] = [];
  let built: Awaited<ReturnType<typeof buildPackage>> | undefined;
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    built = await buildPackage({ packageRoot: dir });
    times.push(performance.now() - t0);
  }
  report(`build a ${CRDS}-CRD provider package (median)`, median(times), 'ms');
  report('  package input size', bytes / 1024 / 1024, 'MiB');
  return built as Awaited<ReturnType<typeof buildPackage>>;
}

/** CpuMs is the CPU time (user + system) processes used so far, in ms, read from /proc. */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

/** MainThreadCpuMs is the CPU time of this process's main thread, in ms (Linux: /proc/self/task/<pid>/stat). */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * BenchInstall installs the provider through the package manager and reports wall time and CPU
 * time: of this process (the package manager, plus the embedded API server when it runs in
 * process) and of `serverPids` (a real control plane's processes).
 */
async function benchInstall(name: string, kubeconfigPath: string, ref: string, serverPids: number[] = []): Promise<void> {
  const client = await newKubeClient({ kubeconfigPath });
  try {
    const pm = newPackageManager({ client, resolveIntervalMs: 0 });
    await pm.reconcile(); // pkg.crossplane.io CRDs
    const c0 = process.cpuUsage();
    const m0 = mainThreadCpuMs();
    const s0 = cpuMs(serverPids);
    const t0 = performance.now();
    await client.create({
      apiVersion: 'pkg.crossplane.io/v1',
      kind: 'Provider',
      metadata: { name: 'provider-bench' },
      spec: { package: ref },
    });
    for (let i = 0; i < 10; i++) {
      const r = await pm.reconcile();
      if (r.packages.find((p) => p.name === 'provider-bench')?.healthy === true) break;
    }
    report(`install the ${CRDS}-CRD provider into ${name}`, (performance.now() - t0) / 1000, 's');
    const c = process.cpuUsage(c0);
    report(`  CPU of this process (package manager${serverPids.length === 0 ? ' + server' : ''})`, (c.user + c.system) / 1e6, 's');
    report('  CPU of its main thread (JavaScript; the rest is GC, I/O and TLS threads)', (mainThreadCpuMs() - m0) / 1000, 's');
    if (serverPids.length > 0) report('  CPU of the server processes', (cpuMs(serverPids) - s0) / 1000, 's');
    report('  load average (1 min) at the end', loadavg()[0] ?? 0, '');
  } finally {
    (client as { close?: () => void }).close?.();
  }
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
  if (values['skip-solver'] !== true) await benchSolver();
  const dir = await mkdtemp(join(tmpdir(), 'trellis-bench-xpkg-'));
  try {
    const built = await benchBuild(join(dir));
    if (values['skip-install'] !== true) {
      const reg = await startRegistry('anonymous');
      try {
        const oci = new RegistryClient();
        const ref = `${reg.host}/bench/provider-bench:v1.0.0`;
        await pushArtifact(oci, oci.parse(ref), built.artifact);
        if (TARGETS.has('embedded')) {
          const embedded = await startApiServer({ dataDir: join(dir, 'embedded'), port: 0, fsync: false });
          try {
            await benchInstall('the embedded API server', embedded.kubeconfigPath, ref);
          } finally {
            await embedded.stop();
          }
        }
        if (TARGETS.has('real')) {
          const real = await startRealControlPlane();
          try {
            const pid = (n: string): number => Number(readFileSync(join(real.dir, `${n}.pid`), 'utf8').trim());
            await benchInstall('a real kube-apiserver', real.kubeconfigPath, ref, [pid('etcd'), pid('kube-apiserver')]);
          } finally {
            await real.stop();
          }
        }
      } finally {
        await reg.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ date: new Date().toISOString(), results }));
}

await main();
