// The benchmark convention shared by every pillar (bench/<pillar>/run.ts) and the runner
// (bench/run.ts): a pillar's run.ts prints its figures for people and, given `--json FILE`,
// writes one PillarResult there. `--quick` asks for a smaller, faster run (CI smoke).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { envVar } from './env.ts';

/** A Goal is what a figure should reach: `value <op> target` (or `ratio <op> target`). */
export interface Goal {
  op: '<=' | '>=' | '==';
  target: number;
  /** On picks what is compared with `target`: the figure's value (default) or its ratio to the peer. */
  on?: 'value' | 'ratio';
  /** Text is the goal in words, e.g. "≥3x faster than Crossplane". */
  text: string;
}

/** A Figure is one measured number, optionally next to the same figure for a peer. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Group splits a pillar's table (e.g. "100 claims"). */
  group?: string;
  /** Peer names what `peerValue` was measured on (e.g. "Crossplane v2.3.4"). */
  peer?: string;
  peerValue?: number;
  /** Ratio is value / peerValue (set by `figure()` when both are known and peerValue ≠ 0). */
  ratio?: number;
  goal?: Goal;
  /** Met says whether the goal is met (set by `figure()`). */
  met?: boolean;
  note?: string;
}

/** A PillarResult is what one pillar's run writes with `--json`. */
export interface PillarResult {
  pillar: string;
  /** Title is a one-line description of what was measured. */
  title: string;
  /** Command reproduces the run. */
  command: string;
  figures: Figure[];
  machine: Machine;
  /** Started is an ISO timestamp. */
  started: string;
  durationSeconds: number;
  quick: boolean;
  notes: string[];
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** LoadAverage is the 1-minute load average when the run started (machines are shared). */
  loadAverage: number;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${process.platform} ${release()}`,
    loadAverage: Number((loadavg()[0] ?? 0).toFixed(2)),
  };
}

/** Figure completes a figure: the ratio to the peer and whether its goal is met. */
export function figure(f: Figure): Figure {
  const out: Figure = { ...f, value: round(f.value) };
  if (f.peerValue !== undefined) out.peerValue = round(f.peerValue);
  if (f.peerValue !== undefined && f.peerValue !== 0) out.ratio = round(f.value / f.peerValue, 3);
  if (f.goal !== undefined) {
    const subject = f.goal.on === 'ratio' ? out.ratio : out.value;
    if (subject !== undefined) out.met = compare(subject, f.goal.op, f.goal.target);
  }
  return out;
}

function compare(v: number, op: Goal['op'], target: number): boolean {
  if (op === '<=') return v <= target;
  if (op === '>=') return v >= target;
  return v === target;
}

/** Round keeps about four significant digits (figures are not more precise than that). */
export function round(v: number, digits = 4): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const magnitude = Math.floor(Math.log10(Math.abs(v))) + 1;
  const places = Math.max(0, digits - magnitude);
  return Number(v.toFixed(Math.min(places, 6)));
}

/** BenchArgs are the options every pillar's run.ts accepts. */
export interface BenchArgs {
  /** Json is where to write the PillarResult (absent: print only). */
  json?: string;
  quick: boolean;
}

/**
 * ParseBenchArgs takes `--json FILE` and `--quick` out of argv and returns them with the rest
 * (for the pillar's own options).
 */
export function parseBenchArgs(argv: string[] = process.argv.slice(2)): BenchArgs & { rest: string[] } {
  const rest: string[] = [];
  let json: string | undefined;
  let quick = envVar('TRELLIS_BENCH_QUICK') === '1';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--json') {
      json = argv[++i];
      if (json === undefined) throw new Error('--json needs a file name');
    } else if (a.startsWith('--json=')) json = a.slice('--json='.length);
    else if (a === '--quick') quick = true;
    else rest.push(a);
  }
  return { ...(json === undefined ? {} : { json }), quick, rest };
}

/** A Recorder collects a pillar's figures and writes its PillarResult. */
export interface Recorder {
  add(f: Figure): Figure;
  note(text: string): void;
  /** Finish prints nothing; it writes the JSON file when `--json` was given and returns the result. */
  finish(): PillarResult;
}

export function recorder(opts: { pillar: string; title: string; command: string; args: BenchArgs }): Recorder {
  const started = new Date();
  const m = machine();
  const figures: Figure[] = [];
  const notes: string[] = [];
  return {
    add(f) {
      const done = figure(f);
      figures.push(done);
      return done;
    },
    note(text) {
      notes.push(text);
    },
    finish() {
      const result: PillarResult = {
        pillar: opts.pillar,
        title: opts.title,
        command: opts.command,
        figures,
        machine: m,
        started: started.toISOString(),
        durationSeconds: round((Date.now() - started.getTime()) / 1000),
        quick: opts.args.quick,
        notes,
      };
      if (opts.args.json !== undefined) writeFileSync(opts.args.json, `${JSON.stringify(result, null, 2)}\n`);
      return result;
    },
  };
}

/** ReadPillarResult reads and checks a file a pillar wrote. */
export function readPillarResult(file: string): PillarResult {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<PillarResult>;
  if (typeof data.pillar !== 'string' || !Array.isArray(data.figures)) {
    throw new Error(`${file}: not a benchmark result (want {pillar, figures: [...]})`);
  }
  for (const [i, f] of data.figures.entries()) {
    if (typeof f?.name !== 'string' || typeof f.value !== 'number' || typeof f.unit !== 'string') {
      throw new Error(`${file}: figures[${i}] needs name (string), value (number) and unit (string)`);
    }
  }
  return data as PillarResult;
}

/** FormatValue prints a number the way the tables do (thousands separators, no trailing zeros). */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return v.toLocaleString('en-US', { maximumFractionDigits: Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 1 ? 2 : 4 });
}
