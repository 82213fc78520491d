/**
 * Function benchmarks: the built-in patch-and-transform in-process (cold, memoised) next to
 * upstream function-patch-and-transform over gRPC on loopback, for a 50-resource input; and
 * go-templating rendering 50 resources. Prints a table; medians of `--repeat` runs (default 200).
 *
 *   node --conditions=@trellis/source --import tsx bench/functions/run.ts [--repeat N]
 *
 * Needs the upstream binary from test/infra/crossplane/build.sh.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FunctionRegistry, RemoteFunction, type RunFunctionRequest, runGoTemplating, runPatchAndTransform } from '@trellis/functions';
import { parseBenchArgs, recorder } from '../lib/figures.ts';

const bargs = parseBenchArgs();
const repeatArg = bargs.rest.indexOf('--repeat');
const repeat = Number(repeatArg >= 0 ? bargs.rest[repeatArg + 1] : bargs.quick ? 20 : 200) || 200;
const rec = recorder({
  pillar: 'functions',
  title: `In-process functions next to upstream function-patch-and-transform over gRPC (medians of ${repeat})`,
  command: 'node --conditions=@trellis/source --import tsx bench/functions/run.ts',
  args: bargs,
});
const bin = join(
  process.env.TRELLIS_CACHE ?? join(homedir(), '.cache', 'trellis'),
  'crossplane-v2.3.4',
  'bin',
  'function-patch-and-transform',
);

const N = 50;
const xr = {
  apiVersion: 'example.org/v1alpha1',
  kind: 'XApp',
  metadata: { name: 'bench', namespace: 'default', uid: '00000000-0000-0000-0000-000000000001' },
  spec: { region: 'eu-west-1', id: 'shop', size: 'medium', tags: { team: 'a', env: 'prod' }, crossplane: {} },
};
const ptReq = (i: number): RunFunctionRequest => ({
  meta: { tag: `t${i}` },
  observed: { composite: { resource: xr } },
  input: {
    apiVersion: 'pt.fn.crossplane.io/v1beta1',
    kind: 'Resources',
    patchSets: [
      {
        name: 'common',
        patches: [
          { fromFieldPath: 'spec.region', toFieldPath: 'spec.forProvider.region' },
          { fromFieldPath: 'spec.tags', toFieldPath: 'spec.forProvider.tags' },
        ],
      },
    ],
    resources: Array.from({ length: N }, (_, r) => ({
      name: `bucket-${r}`,
      base: { apiVersion: 's3.example.org/v1beta1', kind: 'Bucket', spec: { forProvider: {} } },
      patches: [
        { type: 'PatchSet', patchSetName: 'common' },
        {
          fromFieldPath: 'spec.id',
          toFieldPath: 'metadata.annotations[crossplane.io/external-name]',
          transforms: [{ type: 'string', string: { type: 'Format', fmt: `%s-bucket-${r}` } }],
        },
        {
          fromFieldPath: 'spec.size',
          toFieldPath: 'spec.forProvider.class',
          transforms: [{ type: 'map', map: { small: 's', medium: 'm', large: 'l' } }],
        },
        {
          type: 'CombineFromComposite',
          combine: {
            variables: [{ fromFieldPath: 'spec.id' }, { fromFieldPath: 'spec.region' }],
            strategy: 'string',
            string: { fmt: '%s-%s' },
          },
          toFieldPath: 'spec.forProvider.name',
        },
      ],
    })),
  },
});
const tmplReq: RunFunctionRequest = {
  observed: { composite: { resource: xr } },
  input: {
    apiVersion: 'gotemplating.fn.crossplane.io/v1beta1',
    kind: 'GoTemplate',
    source: 'Inline',
    inline: {
      template: `{{- $xr := .observed.composite.resource }}{{ range $i := until ${N} }}
---
apiVersion: s3.example.org/v1beta1
kind: Bucket
metadata:
  annotations:
    {{ setResourceNameAnnotation (printf "bucket-%d" $i) }}
spec:
  forProvider:
    region: {{ $xr.spec.region }}
    tags:
      {{- toYaml $xr.spec.tags | nindent 6 }}
{{- end }}
`,
    },
  },
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function time(f: (i: number) => Promise<unknown> | unknown): Promise<number> {
  const ts: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    await f(i);
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(ts);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function waitListening(port: number): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    const ok = await new Promise<boolean>((res) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (Date.now() > until) throw new Error('upstream function did not listen');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const rows: [string, string][] = [];
for (let i = 0; i < 20; i++) runPatchAndTransform(ptReq(i));
const ptInProcess = await time((i) => runPatchAndTransform(ptReq(i)));
rows.push([`P&T in-process, ${N} resources (p50)`, `${ptInProcess.toFixed(2)} ms`]);
const reg = new FunctionRegistry();
const memo = reg.resolve({ name: 'function-patch-and-transform' });
await memo.run(ptReq(0));
const ptMemo = await time((i) => memo.run({ ...ptReq(0), meta: { tag: `x${i}` } }));
rows.push([`P&T in-process, memoised hit (p50)`, `${ptMemo.toFixed(3)} ms`]);
for (let i = 0; i < 5; i++) runGoTemplating(tmplReq);
const goTmpl = await time(() => runGoTemplating(tmplReq));
rows.push([`go-templating in-process, ${N} resources (p50)`, `${goTmpl.toFixed(2)} ms`]);
let ptRemote: number | undefined;

if (existsSync(bin)) {
  const port = await freePort();
  const child: ChildProcess = spawn(bin, ['--insecure', `--address=127.0.0.1:${port}`], { stdio: 'ignore' });
  try {
    await waitListening(port);
    const remote = new RemoteFunction({ target: `127.0.0.1:${port}` });
    for (let i = 0; i < 20; i++) await remote.run(ptReq(i));
    ptRemote = await time((i) => remote.run(ptReq(i)));
    rows.push([`upstream P&T v0.10.7 over gRPC (loopback), ${N} resources (p50)`, `${ptRemote.toFixed(2)} ms`]);
    remote.close();
  } finally {
    child.kill();
  }
} else {
  rows.push(['upstream P&T over gRPC', `skipped: ${bin} missing (run test/infra/crossplane/build.sh)`]);
}

const w = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(`repeat=${repeat}\n`);
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
const peer = 'upstream P&T v0.10.7 over gRPC (loopback)';
const withPeer = ptRemote === undefined ? {} : { peer, peerValue: ptRemote };
rec.add({ name: `P&T, ${N} resources (p50)`, value: ptInProcess, unit: 'ms', ...withPeer });
rec.add({ name: 'P&T, memoised hit (p50)', value: ptMemo, unit: 'ms', ...withPeer });
rec.add({ name: `go-templating, ${N} resources (p50)`, value: goTmpl, unit: 'ms' });
if (ptRemote === undefined) rec.note(`upstream P&T not measured: ${bin} missing (bash test/infra/crossplane/build.sh)`);
rec.finish();
