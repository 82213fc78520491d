/**
 * Render benchmark: a 50-resource patch-and-transform Composition rendered by Trellis and by
 * upstream `crossplane render` (CLI v2.5.0 + crossplane-core v2.3.4 + function-patch-and-transform
 * v0.10.7 in the Development runtime) in the same run, warm medians.
 *
 *   node --conditions=@trellis/source --import tsx bench/engine/render.ts [--repeat N] [--json FILE] [--quick]
 *
 * Figures: `trellis render` end to end in-process (read the three files, render, write the YAML
 * stream) next to `crossplane render` (a process per render, as users run it; the function server
 * is already running); `render()` alone, without and with the in-process function memo. Needs the
 * upstream binaries from test/infra/crossplane/build.sh. `renderBench` is exported so the engine
 * pillar's run.ts can add these figures to its own.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@trellis/cli';
import { render } from '@trellis/engine';
import { FunctionRegistry } from '@trellis/functions';
import type { KubeObject } from '@trellis/sdk';
import { stringify } from 'yaml';
import { envVar } from '../lib/env.ts';
import { parseBenchArgs, type Recorder, recorder } from '../lib/figures.ts';

const N = 50;
const cache = envVar('TRELLIS_CACHE') ?? join(homedir(), '.cache', 'trellis');
const bin = join(cache, 'crossplane-v2.3.4', 'bin');

export const xr: KubeObject = {
  apiVersion: 'example.org/v1alpha1',
  kind: 'XShop',
  metadata: { name: 'bench-shop', namespace: 'default', uid: '00000000-0000-4000-8000-000000000050' },
  spec: { region: 'eu-west-1', size: 'medium', team: 'payments', tags: { env: 'prod', owner: 'payments' }, replicas: 3 },
};

export const composition: KubeObject = {
  apiVersion: 'apiextensions.crossplane.io/v1',
  kind: 'Composition',
  metadata: { name: 'bench-shop' },
  spec: {
    compositeTypeRef: { apiVersion: 'example.org/v1alpha1', kind: 'XShop' },
    mode: 'Pipeline',
    pipeline: [
      {
        step: 'compose',
        functionRef: { name: 'function-patch-and-transform' },
        input: {
          apiVersion: 'pt.fn.crossplane.io/v1beta1',
          kind: 'Resources',
          patchSets: [
            {
              name: 'common',
              patches: [
                { fromFieldPath: 'spec.region', toFieldPath: 'spec.forProvider.region' },
                { fromFieldPath: 'spec.tags', toFieldPath: 'spec.forProvider.tags', policy: { toFieldPath: 'MergeObjects' } },
                { fromFieldPath: 'spec.team', toFieldPath: 'metadata.labels[team]' },
              ],
            },
          ],
          resources: Array.from({ length: N }, (_, i) => ({
            name: `bucket-${i}`,
            base: { apiVersion: 's3.example.org/v1beta1', kind: 'Bucket', spec: { forProvider: { tags: { index: String(i) } } } },
            patches: [
              { type: 'PatchSet', patchSetName: 'common' },
              {
                type: 'CombineFromComposite',
                combine: {
                  variables: [{ fromFieldPath: 'spec.team' }, { fromFieldPath: 'spec.size' }],
                  strategy: 'string',
                  string: { fmt: `%s-%s-${i}` },
                },
                toFieldPath: 'spec.forProvider.bucketName',
              },
              {
                fromFieldPath: 'spec.size',
                toFieldPath: 'spec.forProvider.storageClass',
                transforms: [{ type: 'map', map: { small: 'STANDARD_IA', medium: 'STANDARD', large: 'INTELLIGENT_TIERING' } }],
              },
              {
                fromFieldPath: 'spec.replicas',
                toFieldPath: 'spec.forProvider.copies',
                transforms: [
                  { type: 'math', math: { type: 'Multiply', multiply: 2 } },
                  { type: 'convert', convert: { toType: 'string' } },
                  { type: 'string', string: { type: 'Format', fmt: 'x%s' } },
                ],
              },
              { type: 'ToCompositeFieldPath', fromFieldPath: 'status.atProvider.arn', toFieldPath: `status.arns[${i}]` },
            ],
            readinessChecks: [{ type: 'MatchCondition', matchCondition: { type: 'Ready', status: 'True' } }],
          })),
        },
      },
    ],
  },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function timeIt(n: number, warmup: number, f: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < warmup; i++) await f();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await f();
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(xs);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  const until = Date.now() + 15_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`function-patch-and-transform did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** ProcCpuMs reads a process's user+system CPU time from /proc (Linux), in milliseconds. */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

/**
 * UpstreamCpu runs `crossplane render` `n` times under bash's `time` (which counts the CLI and the
 * crossplane-core it starts) and returns the CPU milliseconds per render, adding what the
 * function server spent meanwhile.
 */
function upstreamCpuMs(n: number, args: string[], fnPid: number): Promise<number> {
  const cmd = `TIMEFORMAT='%3U %3S'; time (for i in $(seq ${n}); do "$0" "$@" >/dev/null || exit 1; done)`;
  const before = procCpuMs(fnPid);
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', cmd, join(bin, 'crossplane'), 'render', ...args, `--crossplane-binary=${join(bin, 'crossplane-core')}`],
      (err, _out, stderr) => {
        if (err !== null) return reject(new Error(`crossplane render: ${stderr}`));
        const [u = '0', sys = '0'] = stderr.trim().split('\n').at(-1)?.split(' ') ?? [];
        resolve(((Number(u) + Number(sys)) * 1000 + (procCpuMs(fnPid) - before)) / n);
      },
    );
  });
}

async function cpuOf(n: number, f: () => Promise<unknown>): Promise<number> {
  const c = process.cpuUsage();
  for (let i = 0; i < n; i++) await f();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000 / n;
}

function execOk(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 64 << 20 }, (err, _out, stderr) =>
      err === null ? resolve() : reject(new Error(`${file}: ${stderr}`)),
    );
  });
}

/** RenderBench measures and adds the render figures to `rec`. */
export async function renderBench(rec: Recorder, opts: { quick: boolean; repeat?: number }): Promise<void> {
  const repeat = opts.repeat ?? (opts.quick ? 10 : 50);
  const upstreamRepeat = opts.quick ? 5 : 20;
  for (const b of ['crossplane', 'crossplane-core', 'function-patch-and-transform']) {
    if (!existsSync(join(bin, b))) throw new Error(`MISSING REAL PART: ${join(bin, b)}; run bash test/infra/crossplane/build.sh`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'trellis-bench-render-'));
  let fn: ChildProcess | undefined;
  try {
    const port = await freePort();
    fn = spawn(join(bin, 'function-patch-and-transform'), ['--insecure', `--address=127.0.0.1:${port}`], { stdio: 'ignore' });
    await waitForPort(port);
    const files = {
      xr: join(dir, 'xr.yaml'),
      comp: join(dir, 'composition.yaml'),
      fns: join(dir, 'functions.yaml'),
    };
    writeFileSync(files.xr, stringify(xr));
    writeFileSync(files.comp, stringify(composition));
    writeFileSync(
      files.fns,
      stringify({
        apiVersion: 'pkg.crossplane.io/v1',
        kind: 'Function',
        metadata: {
          name: 'function-patch-and-transform',
          annotations: {
            'render.crossplane.io/runtime': 'Development',
            'render.crossplane.io/runtime-development-target': `127.0.0.1:${port}`,
          },
        },
        spec: { package: 'xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform:v0.10.7' },
      }),
    );
    const args = [files.xr, files.comp, files.fns];
    const io = { out: () => undefined, err: (t: string) => process.stderr.write(t), isTTY: false };
    const upstreamMs = await timeIt(upstreamRepeat, 2, () =>
      execOk(join(bin, 'crossplane'), ['render', ...args, `--crossplane-binary=${join(bin, 'crossplane-core')}`]),
    );
    const cliMs = await timeIt(repeat, 5, async () => {
      const code = await main(['render', ...args], io);
      if (code !== 0) throw new Error(`trellis render exited ${code}`);
    });
    const cold = new FunctionRegistry({ memoEntries: 0 });
    const memo = new FunctionRegistry();
    const input = (reg: FunctionRegistry) => ({
      composite: { ...xr, metadata: { ...xr.metadata, labels: { 'crossplane.io/composite': 'bench-shop' } } },
      composition,
      functions: (name: string) => reg.resolve({ name }),
    });
    const renderMs = await timeIt(repeat, 5, () => render(input(cold)));
    const memoMs = await timeIt(repeat, 5, () => render(input(memo)));
    const upstreamCpu = await upstreamCpuMs(upstreamRepeat, args, fn.pid ?? 0);
    const cliCpu = await cpuOf(repeat, () => main(['render', ...args], io));
    const goal = { op: '<=' as const, target: 0.05, on: 'ratio' as const, text: '≥20× faster than crossplane render' };
    const group = `${N}-resource Composition`;
    rec.add({
      group,
      name: 'trellis render (in-process: read files, render, print)',
      value: cliMs,
      unit: 'ms',
      peer: 'crossplane render v2.5.0 + core v2.3.4',
      peerValue: upstreamMs,
      goal,
    });
    rec.add({
      group,
      name: 'render() alone, built-in P&T, no memo',
      value: renderMs,
      unit: 'ms',
      peer: 'crossplane render v2.5.0 + core v2.3.4',
      peerValue: upstreamMs,
      goal,
    });
    rec.add({ group, name: 'render() alone, built-in P&T, memoised', value: memoMs, unit: 'ms' });
    rec.add({
      group,
      name: 'CPU time per render: trellis render in-process vs crossplane render (CLI + core + function server)',
      value: cliCpu,
      unit: 'ms',
      peer: 'crossplane render v2.5.0 + core v2.3.4',
      peerValue: upstreamCpu,
      note: 'CPU time is less sensitive to a shared, loaded machine than wall time',
    });
    rec.note(
      `Medians: trellis ${repeat} warm runs after 5 warm-ups; crossplane render ${upstreamRepeat} runs after 2 (each a CLI process that starts crossplane-core, which dials the already running function).`,
    );
  } finally {
    fn?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bargs = parseBenchArgs();
  const i = bargs.rest.indexOf('--repeat');
  const repeat = i >= 0 ? Number(bargs.rest[i + 1]) : undefined;
  const rec = recorder({
    pillar: 'engine',
    title: `Render of a ${N}-resource Composition: trellis render next to crossplane render (warm medians)`,
    command: 'node --conditions=@trellis/source --import tsx bench/engine/render.ts',
    args: bargs,
  });
  await renderBench(rec, { quick: bargs.quick, ...(repeat === undefined || Number.isNaN(repeat) ? {} : { repeat }) });
  const result = rec.finish();
  for (const f of result.figures) {
    const peer =
      f.peerValue === undefined
        ? ''
        : `   ${f.peer}: ${f.peerValue} ${f.unit}   ratio ${f.ratio}   ${f.goal?.text ?? ''} ${f.met === undefined ? '' : f.met ? 'met' : 'NOT met'}`;
    console.log(`${f.name}: ${f.value} ${f.unit}${peer}`);
  }
  for (const n of result.notes) console.log(n);
  console.log(
    `machine: ${result.machine.cpu} x${result.machine.cores}, ${result.machine.memoryGiB} GiB, node ${result.machine.node}, load ${result.machine.loadAverage}`,
  );
}
