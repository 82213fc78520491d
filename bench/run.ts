// `npm run bench`: runs every pillar's benchmark (bench/<pillar>/run.ts), one after the other, and
// writes docs/benchmarks.json and docs/benchmarks.md.
//
//   npm run bench                                  every pillar
//   npm run bench -- --pillar kube,compare         some pillars (the others keep their last results)
//   npm run bench -- --quick                       smaller sizes (CI smoke; marked in the report)
//   npm run bench -- --list                        list the pillars
//   npm run bench -- --report                      regenerate docs/benchmarks.md from the JSON only
//   npm run bench -- --report --compare-section    only (re)write the `## Trellis vs Crossplane` section
//                                                  at the top of docs/benchmarks.md, leaving the rest as is
//   node --conditions=@trellis/source --import tsx bench/run.ts --diff OLD.json NEW.json
//   npm run bench -- --from /tmp/compare.json      record a result a pillar wrote earlier (a long
//                                                  run started by hand with --json FILE)
//
// The convention a pillar follows: `bench/<pillar>/run.ts` prints its figures for people and, with
// `--json FILE`, writes a PillarResult (bench/lib/figures.ts: `recorder()` does it); `--quick` asks
// for a small run. Pillars run as child processes, so a crash in one does not stop the others.
// Scripts written before the convention (no `parseBenchArgs`) run with their own options and their
// final JSON summary line becomes the figures (bench/lib/summary.ts); `Scripts` below lists them
// and pillars with more than one script (engine: render.ts and claims.ts).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { envVar } from './lib/env.ts';
import { machine, type PillarResult, readPillarResult } from './lib/figures.ts';
import {
  type BenchmarksFile,
  diffFiles,
  emptyFile,
  parseFile,
  record,
  renderCompareSection,
  renderMarkdown,
  spliceCompareSection,
} from './lib/report.ts';
import { figuresFromSummary } from './lib/summary.ts';

const root = resolve(import.meta.dirname, '..');
const benchDir = join(root, 'bench');
/** Order of the pillars in runs and in the report; pillars not listed follow by name. */
const Order = ['kube', 'apiserver', 'apiserver-schema', 'functions', 'engine', 'xpkg', 'runtime', 'peer', 'compare'];

/** A Script is one benchmark program of a pillar. */
interface Script {
  file: string;
  /** Group prefixes the figures of a script on the summary path (when a pillar has several). */
  group?: string;
  /** QuickArgs make a script that is not on the convention run small (`--quick`). */
  quickArgs?: string[];
}

/** Scripts of pillars that are not exactly one conventional run.ts (the rest: `[{ file: 'run.ts' }]`). */
const Scripts: Record<string, Script[]> = {
  apiserver: [{ file: 'run.ts', quickArgs: ['--objects', '10000', '--ops', '1000'] }],
  engine: [
    { file: 'render.ts' },
    { file: 'claims.ts', group: 'claims to Ready', quickArgs: ['--claims', '100', '--steady-seconds', '70'] },
  ],
  runtime: [{ file: 'run.ts', quickArgs: ['--mrs', '1000', '--window', '70', '--pdns', '100'] }],
  xpkg: [{ file: 'run.ts', quickArgs: ['--packages', '200', '--versions', '10', '--crds', '50', '--repeat', '1'] }],
};

const scriptsOf = (p: string): Script[] => Scripts[p] ?? [{ file: 'run.ts' }];
/** OnConvention says whether a script takes --json/--quick (it calls parseBenchArgs). */
const onConvention = (p: string, s: Script): boolean => readFileSync(join(benchDir, p, s.file), 'utf8').includes('parseBenchArgs(');

const { values, positionals } = parseArgs({
  options: {
    pillar: { type: 'string', multiple: true },
    quick: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
    'compare-section': { type: 'boolean', default: false },
    diff: { type: 'boolean', default: false },
    from: { type: 'string', multiple: true },
    json: { type: 'string', default: join(root, 'docs', 'benchmarks.json') },
    markdown: { type: 'string', default: join(root, 'docs', 'benchmarks.md') },
    'timeout-minutes': { type: 'string', default: '240' },
  },
  allowPositionals: true,
});

function pillars(): string[] {
  const found = readdirSync(benchDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'lib' && scriptsOf(d.name).every((s) => existsSync(join(benchDir, d.name, s.file))))
    .map((d) => d.name);
  return [...Order.filter((p) => found.includes(p)), ...found.filter((p) => !Order.includes(p)).sort()];
}

function readFile(path: string): BenchmarksFile {
  return existsSync(path) ? parseFile(readFileSync(path, 'utf8'), path) : emptyFile();
}

function tree(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

/** RunScript runs one script of a pillar as a child process, prefixing its output, and returns its exit and stdout. */
function runScript(
  p: string,
  s: Script,
  jsonOut: string | undefined,
  quick: boolean,
  timeoutMs: number,
): Promise<{ code: number | null; tail: string; stdout: string }> {
  const args = ['--conditions=@trellis/source', '--import', 'tsx', join(benchDir, p, s.file)];
  if (jsonOut !== undefined) args.push('--json', jsonOut);
  if (quick) args.push(...(jsonOut !== undefined ? ['--quick'] : (s.quickArgs ?? [])));
  const stdout: string[] = [];
  return new Promise((done) => {
    // A loaded machine can take minutes to start a private control plane (test/infra/kubernetes
    // start.sh gives kube-apiserver 90 s by default): benchmarks wait longer than tests do.
    const env = { ...process.env, READY_TIMEOUT: envVar('READY_TIMEOUT') ?? '300' };
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env });
    const tail: string[] = [];
    const pipe = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream, keep?: string[]): void => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          out.write(`[${p}] ${line}\n`);
          keep?.push(line);
          tail.push(line);
          if (tail.length > 20) tail.shift();
          nl = buf.indexOf('\n');
        }
      });
      stream.on('end', () => {
        if (buf !== '') {
          out.write(`[${p}] ${buf}\n`);
          keep?.push(buf);
          tail.push(buf);
        }
      });
    };
    pipe(child.stdout, process.stdout, stdout);
    pipe(child.stderr, process.stderr);
    const timer = setTimeout(() => {
      process.stderr.write(`[${p}] timed out after ${timeoutMs / 60_000} min: SIGTERM\n`);
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, tail: tail.join('\n'), stdout: stdout.join('\n') });
    });
  });
}

/**
 * RunPillar runs a pillar's scripts one after the other and merges their figures into one
 * PillarResult (the first conventional script's title and command; groups name the others).
 */
async function runPillar(p: string, tmp: string, quick: boolean, timeoutMs: number): Promise<{ result: PillarResult } | { error: string }> {
  const started = new Date();
  let merged: PillarResult | undefined;
  for (const s of scriptsOf(p)) {
    const conventional = onConvention(p, s);
    const out = join(tmp, `${p}-${s.file}.json`);
    const { code, tail, stdout } = await runScript(p, s, conventional ? out : undefined, quick, timeoutMs);
    if (code !== 0) {
      const last = tail
        .split('\n')
        .filter((l) => l.trim() !== '')
        .slice(-3)
        .join(' / ');
      return { error: `bench/${p}/${s.file}: exit ${code}: ${last}` };
    }
    let r: PillarResult;
    if (conventional) {
      if (!existsSync(out)) return { error: `bench/${p}/${s.file} exited 0 but wrote no --json file` };
      r = readPillarResult(out);
    } else {
      let parsed: ReturnType<typeof figuresFromSummary>;
      try {
        parsed = figuresFromSummary(stdout, s.group === undefined ? {} : { group: s.group });
      } catch (err) {
        return { error: `bench/${p}/${s.file}: ${err instanceof Error ? err.message : String(err)}` };
      }
      const args = quick ? (s.quickArgs ?? []) : [];
      r = {
        pillar: p,
        title: `bench/${p}/${s.file} (figures from its JSON summary)`,
        command: ['node --conditions=@trellis/source --import tsx', `bench/${p}/${s.file}`, ...args].join(' '),
        figures: parsed.figures,
        machine: machine(),
        started: started.toISOString(),
        durationSeconds: 0,
        quick,
        notes: parsed.notes,
      };
    }
    if (merged === undefined) merged = r;
    else {
      merged.figures.push(...r.figures.map((f) => (f.group !== undefined || s.group === undefined ? f : { ...f, group: s.group })));
      merged.notes.push(...r.notes, `Also: \`${r.command}\`.`);
    }
  }
  if (merged === undefined) return { error: `bench/${p}: no scripts` };
  merged.durationSeconds = Math.round((Date.now() - started.getTime()) / 1000);
  return { result: merged };
}

async function main(): Promise<number> {
  const all = pillars();
  if (values.list) {
    for (const p of all) console.log(p);
    return 0;
  }
  if (values.diff) {
    const [a, b] = positionals;
    if (a === undefined || b === undefined) throw new Error('--diff needs two files: OLD.json NEW.json');
    console.log(diffFiles(readFile(a), readFile(b)));
    return 0;
  }
  const file = readFile(values.json);
  const writeOut = (): void => {
    writeFileSync(values.json, `${JSON.stringify(file, null, 2)}\n`);
    const existing = existsSync(values.markdown) ? readFileSync(values.markdown, 'utf8') : '';
    const compare = file.pillars.compare;
    if (values['compare-section']) {
      if (compare?.result === undefined) throw new Error(`${values.json} has no compare result to write`);
      writeFileSync(values.markdown, spliceCompareSection(existing, renderCompareSection(compare)));
    } else writeFileSync(values.markdown, renderMarkdown(file, { order: Order, existing }));
  };
  if (values.from !== undefined) {
    for (const f of values.from) {
      const result = readPillarResult(f);
      record(file, result.pillar, { result }, tree());
      console.log(`recorded ${result.pillar} from ${f}`);
    }
    writeOut();
    return 0;
  }
  if (values.report) {
    writeOut();
    console.log(`wrote ${values.markdown}`);
    return 0;
  }
  const wanted = (values.pillar ?? []).flatMap((p) => p.split(',')).filter((p) => p !== '');
  const unknown = wanted.filter((p) => !all.includes(p));
  if (unknown.length > 0) throw new Error(`unknown pillar ${unknown.join(', ')} (have: ${all.join(', ')})`);
  const run = wanted.length > 0 ? all.filter((p) => wanted.includes(p)) : all;
  const tmp = mkdtempSync(join(tmpdir(), 'trellis-bench-'));
  const failed: string[] = [];
  try {
    for (const p of run) {
      const started = Date.now();
      console.log(`bench: ${p}: start${values.quick ? ' (quick)' : ''}`);
      const outcome = await runPillar(p, tmp, values.quick, Number(values['timeout-minutes']) * 60_000);
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      const t = tree();
      if ('error' in outcome) {
        failed.push(p);
        record(file, p, { status: 'failed', error: `${outcome.error} after ${secs} s` }, t);
        console.log(`bench: ${p}: FAILED after ${secs} s (${outcome.error})`);
      } else {
        record(file, p, { result: outcome.result }, t);
        console.log(`bench: ${p}: done in ${secs} s`);
      }
      // Write after every pillar: a long run that dies later keeps what it measured.
      writeOut();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`bench: wrote ${values.json} and ${values.markdown}${failed.length > 0 ? `; FAILED: ${failed.join(', ')}` : ''}`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
