// `npm run bench`: runs every pillar's benchmark (bench/<pillar>/run.ts), one after the other, and
// writes docs/benchmarks.json and docs/benchmarks.md.
//
//   npm run bench                                  every pillar
//   npm run bench -- --pillar kube,compare         some pillars (the others keep their last results)
//   npm run bench -- --quick                       smaller sizes (CI smoke; marked in the report)
//   npm run bench -- --list                        list the pillars
//   npm run bench -- --report                      regenerate docs/benchmarks.md from the JSON only
//   node --conditions=@trellis/source --import tsx bench/run.ts --diff OLD.json NEW.json
//   npm run bench -- --from /tmp/compare.json      record a result a pillar wrote earlier (a long
//                                                  run started by hand with --json FILE)
//
// The convention a pillar follows: `bench/<pillar>/run.ts` prints its figures for people and, with
// `--json FILE`, writes a PillarResult (bench/lib/figures.ts: `recorder()` does it); `--quick` asks
// for a small run. Pillars run as child processes, so a crash in one does not stop the others.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readPillarResult } from './lib/figures.ts';
import { type BenchmarksFile, diffFiles, emptyFile, parseFile, record, renderMarkdown } from './lib/report.ts';

const root = resolve(import.meta.dirname, '..');
const benchDir = join(root, 'bench');
/** Order of the pillars in runs and in the report; pillars not listed follow by name. */
const Order = ['kube', 'apiserver', 'apiserver-schema', 'functions', 'engine', 'xpkg', 'runtime', 'peer', 'compare'];

const { values, positionals } = parseArgs({
  options: {
    pillar: { type: 'string', multiple: true },
    quick: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    report: { type: 'boolean', default: false },
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
    .filter((d) => d.isDirectory() && d.name !== 'lib' && existsSync(join(benchDir, d.name, 'run.ts')))
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

/** RunPillar runs one pillar as a child process, prefixing its output, and returns its exit. */
function runPillar(p: string, jsonOut: string, quick: boolean, timeoutMs: number): Promise<{ code: number | null; tail: string }> {
  const args = ['--conditions=@trellis/source', '--import', 'tsx', join(benchDir, p, 'run.ts'), '--json', jsonOut];
  if (quick) args.push('--quick');
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    const tail: string[] = [];
    const pipe = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream): void => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let nl = buf.indexOf('\n');
        while (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          out.write(`[${p}] ${line}\n`);
          tail.push(line);
          if (tail.length > 20) tail.shift();
          nl = buf.indexOf('\n');
        }
      });
      stream.on('end', () => {
        if (buf !== '') {
          out.write(`[${p}] ${buf}\n`);
          tail.push(buf);
        }
      });
    };
    pipe(child.stdout, process.stdout);
    pipe(child.stderr, process.stderr);
    const timer = setTimeout(() => {
      process.stderr.write(`[${p}] timed out after ${timeoutMs / 60_000} min: SIGTERM\n`);
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, tail: tail.join('\n') });
    });
  });
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
    writeFileSync(values.markdown, renderMarkdown(file, { order: Order, existing }));
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
      const out = join(tmp, `${p}.json`);
      const { code, tail } = await runPillar(p, out, values.quick, Number(values['timeout-minutes']) * 60_000);
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      const t = tree();
      if (code !== 0) {
        failed.push(p);
        const last = tail
          .split('\n')
          .filter((l) => l.trim() !== '')
          .slice(-3)
          .join(' / ');
        record(file, p, { status: 'failed', error: `exit ${code} after ${secs} s: ${last}` }, t);
        console.log(`bench: ${p}: FAILED after ${secs} s (exit ${code})`);
      } else if (!existsSync(out)) {
        record(file, p, { status: 'no-json', error: `bench/${p}/run.ts exited 0 but wrote no --json file` }, t);
        console.log(`bench: ${p}: done in ${secs} s, but no JSON (not on the convention yet)`);
      } else {
        record(file, p, { result: readPillarResult(out) }, t);
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
