// docs/benchmarks.json (every pillar's latest result, and the one before, so runs can be compared)
// and docs/benchmarks.md generated from it. The markdown keeps hand-written notes: whatever sits
// between `<!-- notes:<pillar> -->` and `<!-- /notes:<pillar> -->` survives regeneration, and a
// `## <pillar>` section written without markers (the layout before the generator) is moved into
// its pillar's notes block the first time.
import { type Figure, formatValue, type PillarResult } from './figures.ts';

export interface PillarEntry {
  status: 'ok' | 'failed' | 'no-json';
  /** Commit and Dirty describe the tree the run measured. */
  commit: string;
  dirty: boolean;
  /** Result is the last successful result (kept when a later run failed). */
  result?: PillarResult;
  /** Error says why the last run failed (status 'failed' or 'no-json'). */
  error?: string;
  /** FailedAt is when the last failed run happened. */
  failedAt?: string;
  /** Previous is the successful result before `result`, for comparison. */
  previous?: { commit: string; started: string; figures: Figure[] };
}

export interface BenchmarksFile {
  schema: 1;
  generated: string;
  pillars: Record<string, PillarEntry>;
}

export function emptyFile(): BenchmarksFile {
  return { schema: 1, generated: new Date(0).toISOString(), pillars: {} };
}

export function parseFile(text: string, what: string): BenchmarksFile {
  const data = JSON.parse(text) as Partial<BenchmarksFile>;
  if (data.schema !== 1 || typeof data.pillars !== 'object' || data.pillars === null) {
    throw new Error(`${what}: not a benchmarks file (want {schema: 1, pillars: {...}})`);
  }
  return data as BenchmarksFile;
}

/** Record merges one pillar's outcome into the file (a failure keeps the last good result). */
export function record(
  file: BenchmarksFile,
  pillar: string,
  outcome: { result: PillarResult } | { error: string; status: 'failed' | 'no-json' },
  tree: { commit: string; dirty: boolean },
): void {
  const old = file.pillars[pillar];
  if ('result' in outcome) {
    const entry: PillarEntry = { status: 'ok', commit: tree.commit, dirty: tree.dirty, result: outcome.result };
    if (old?.result !== undefined) {
      entry.previous = { commit: old.commit, started: old.result.started, figures: old.result.figures };
    } else if (old?.previous !== undefined) entry.previous = old.previous;
    file.pillars[pillar] = entry;
  } else {
    file.pillars[pillar] = {
      ...(old ?? {}),
      status: outcome.status,
      commit: old?.commit ?? tree.commit,
      dirty: old?.dirty ?? tree.dirty,
      error: outcome.error,
      failedAt: new Date().toISOString(),
    };
  }
  file.generated = new Date().toISOString();
}

const NotesOpen = (p: string): string => `<!-- notes:${p} -->`;
const NotesClose = (p: string): string => `<!-- /notes:${p} -->`;

/** CompareTitle is the generated side-by-side section's heading, at the top of docs/benchmarks.md. */
export const CompareTitle = 'Trellis vs Crossplane';
const CompareMarker = '<!-- this section is written by bench/run.ts from docs/benchmarks.json (pillar compare): do not edit -->';

/**
 * RenderCompareSection is the `## Trellis vs Crossplane` section: machine, date, commit and load,
 * the side-by-side table (Trellis, Crossplane, ratio, goal) and the run notes.
 */
export function renderCompareSection(e: PillarEntry): string {
  const r = e.result;
  if (r === undefined) return '';
  const m = r.machine;
  const where =
    `Machine: ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node.replace(/^v/, '')}, ${m.os}. ` +
    `Each run's date, commit and load average are in the notes below (runs can be recorded separately and assembled with \`--runs\`); ` +
    `table written ${r.started.slice(0, 16).replace('T', ' ')} UTC at \`${e.commit}\`${r.quick ? ' (**quick mode**: smaller sizes)' : ''}.`;
  const out: string[] = [`## ${CompareTitle}`, '', CompareMarker, '', `${r.title}. \`${r.command}\``, '', where, ''];
  out.push(pillarTable(r, new Map(), 'Trellis'));
  out.push('');
  out.push(
    'Ratio is Trellis ÷ Crossplane (below 1: Trellis is faster, writes less, uses less). Goals (issue 8): at least 3x faster to all Ready ' +
      '(ratio ≤ 0.33), at most a third of the API writes (ratio ≤ 0.33), at most half of the memory (ratio ≤ 0.5), 0 writes in steady state.',
  );
  out.push('');
  for (const n of r.notes) out.push(`- ${n}`);
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd();
}

/**
 * SpliceCompareSection replaces the `## Trellis vs Crossplane` section of a hand-written
 * docs/benchmarks.md (up to the next `## ` heading), or inserts it before the first `## `
 * heading, leaving every other line as it was.
 */
export function spliceCompareSection(markdown: string, section: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l === `## ${CompareTitle}`);
  if (start >= 0) {
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (end < 0) end = lines.length;
    return [...lines.slice(0, start), ...section.split('\n'), '', ...lines.slice(end)].join('\n');
  }
  let first = lines.findIndex((l) => l.startsWith('## '));
  if (first < 0) first = lines.length;
  return [...lines.slice(0, first), ...section.split('\n'), '', ...lines.slice(first)].join('\n');
}

/** ExtractNotes finds every notes block, and old-style `## name` sections without markers. */
export function extractNotes(markdown: string, pillars: string[]): Map<string, string> {
  const notes = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- notes:([\w.-]+) -->\n?([\s\S]*?)\n?<!-- \/notes:\1 -->/g)) {
    notes.set(m[1] as string, (m[2] as string).trim());
  }
  if (markdown.includes('<!-- generated by bench/run.ts')) return notes;
  // The hand-written layout: each `## <pillar>` section becomes that pillar's notes; anything
  // else after the title goes to "other".
  const sections = markdown.split(/^## /m);
  for (const sec of sections.slice(1)) {
    const nl = sec.indexOf('\n');
    const title = sec.slice(0, nl === -1 ? undefined : nl).trim();
    const body = nl === -1 ? '' : sec.slice(nl + 1).trim();
    if (title === CompareTitle) continue; // generated: rewritten from the JSON
    const key = pillars.includes(title) ? title : 'other';
    const text = key === 'other' ? `### ${title}\n\n${body}` : body;
    notes.set(key, [notes.get(key), text].filter((x) => x !== undefined && x !== '').join('\n\n'));
  }
  return notes;
}

function cell(v: number | undefined, unit = ''): string {
  if (v === undefined) return '';
  return `${formatValue(v)}${unit === '' ? '' : ` ${unit}`}`;
}

function goalCell(f: Figure): string {
  if (f.goal === undefined) return '';
  const mark = f.met === undefined ? '' : f.met ? ' ✅' : ' ❌';
  return `${f.goal.text}${mark}`;
}

function ratioCell(f: Figure): string {
  return f.ratio === undefined ? '' : `${formatValue(f.ratio)}×`;
}

function esc(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.map(esc).join(' | ')} |`);
  return lines.join('\n');
}

function machineLine(r: PillarResult, e: PillarEntry): string {
  const m = r.machine;
  return (
    `Machine: ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, Node ${m.node.replace(/^v/, '')}, ${m.os}; ` +
    `load average ${m.loadAverage} at start. Date: ${r.started.slice(0, 16).replace('T', ' ')} UTC. ` +
    `Commit: \`${e.commit}\`${e.dirty ? ' (working tree with uncommitted changes)' : ''}. ` +
    `Duration: ${formatValue(r.durationSeconds)} s${r.quick ? ' (**quick mode**: smaller sizes)' : ''}.`
  );
}

function groups(figures: Figure[]): [string, Figure[]][] {
  const out = new Map<string, Figure[]>();
  for (const f of figures) {
    const g = f.group ?? '';
    out.set(g, [...(out.get(g) ?? []), f]);
  }
  return [...out];
}

function pillarTable(r: PillarResult, prev: Map<string, Figure>, valueHeader = 'value'): string {
  const hasPeer = r.figures.some((f) => f.peerValue !== undefined);
  const hasGoal = r.figures.some((f) => f.goal !== undefined);
  const hasPrev = prev.size > 0;
  const peerName = r.figures.find((f) => f.peer !== undefined)?.peer ?? 'peer';
  const header = ['figure', valueHeader];
  if (hasPeer) header.push(peerName, 'ratio');
  if (hasGoal) header.push('goal');
  if (hasPrev) header.push('previous run');
  const parts: string[] = [];
  for (const [g, figs] of groups(r.figures)) {
    const rows = figs.map((f) => {
      const row = [f.note === undefined ? f.name : `${f.name} (${f.note})`, cell(f.value, f.unit)];
      if (hasPeer) row.push(cell(f.peerValue, f.unit), ratioCell(f));
      if (hasGoal) row.push(goalCell(f));
      if (hasPrev) row.push(cell(prev.get(`${f.group ?? ''}\u0000${f.name}`)?.value, f.unit));
      return row;
    });
    if (g !== '') parts.push(`**${g}**\n`);
    parts.push(table(header, rows));
  }
  return parts.join('\n\n');
}

export interface RenderOptions {
  /** Order lists pillars first in this order; the rest follow by name. */
  order: string[];
  existing: string;
}

/** RenderMarkdown writes docs/benchmarks.md from the file, keeping the existing notes. */
export function renderMarkdown(file: BenchmarksFile, opts: RenderOptions): string {
  const names = Object.keys(file.pillars);
  const ordered = [...opts.order.filter((p) => names.includes(p)), ...names.filter((p) => !opts.order.includes(p)).sort()];
  const notes = extractNotes(opts.existing, [...new Set([...ordered, ...opts.order])]);
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push('<!-- generated by bench/run.ts from docs/benchmarks.json: edit only inside the notes blocks, which are kept across runs -->');
  out.push('');
  out.push(
    'Every figure here comes from `npm run bench` (all pillars) or `npm run bench -- --pillar <name>` ' +
      '(one pillar; the others keep their last results). Each pillar is `bench/<pillar>/run.ts`, ' +
      'which prints its figures and writes them as JSON with `--json FILE` (`--quick` for a smaller run). ' +
      'Raw results, with the run before each, are in `docs/benchmarks.json`; compare two runs with ' +
      '`node --conditions=@trellis/source --import tsx bench/run.ts --diff OLD.json NEW.json`. The machines are shared: the load ' +
      'average at the start of each run is recorded next to its figures.',
  );
  out.push('');
  const compare = file.pillars.compare;
  if (compare?.result !== undefined) {
    out.push(renderCompareSection(compare));
    out.push('');
  }
  const withGoals = ordered.flatMap((p) =>
    (file.pillars[p]?.result?.figures ?? []).filter((f) => f.goal !== undefined).map((f) => ({ p, f })),
  );
  if (withGoals.length > 0) {
    const met = withGoals.filter((x) => x.f.met === true).length;
    out.push('## Goals');
    out.push('');
    out.push(`${met} of ${withGoals.length} goals met in the latest runs.`);
    out.push('');
    out.push(
      table(
        ['pillar', 'figure', 'value', 'goal', 'met'],
        withGoals.map(({ p, f }) => [
          p,
          `${f.group === undefined ? '' : `${f.group}: `}${f.name}`,
          f.goal?.on === 'ratio' ? `${ratioCell(f)} (${cell(f.value, f.unit)})` : cell(f.value, f.unit),
          f.goal?.text ?? '',
          f.met === undefined ? 'n/a' : f.met ? 'yes' : '**no**',
        ]),
      ),
    );
    out.push('');
  }
  for (const p of ordered) {
    const e = file.pillars[p] as PillarEntry;
    out.push(`## ${p}`);
    out.push('');
    if (e.status !== 'ok') {
      out.push(
        `**The last run (${(e.failedAt ?? '').slice(0, 16).replace('T', ' ')} UTC) ${e.status === 'failed' ? 'failed' : 'wrote no JSON (the pillar is not on the convention yet)'}:** ${e.error ?? ''}`,
      );
      out.push('');
      if (e.result !== undefined) out.push('The figures below are from the last successful run.');
      out.push('');
    }
    const r = e.result;
    if (r !== undefined) {
      out.push(`${r.title}. \`${r.command}\``);
      out.push('');
      out.push(machineLine(r, e));
      out.push('');
      const prev = new Map((e.previous?.figures ?? []).map((f) => [`${f.group ?? ''}\u0000${f.name}`, f]));
      out.push(pillarTable(r, prev));
      out.push('');
      if (e.previous !== undefined) {
        out.push(`Previous run: ${e.previous.started.slice(0, 16).replace('T', ' ')} UTC at \`${e.previous.commit}\`.`);
        out.push('');
      }
      for (const n of r.notes) out.push(`- ${n}`);
      if (r.notes.length > 0) out.push('');
    }
    out.push(NotesOpen(p));
    const n = notes.get(p);
    if (n !== undefined && n !== '') out.push(n);
    out.push(NotesClose(p));
    out.push('');
  }
  const other = notes.get('other');
  out.push('## Other notes');
  out.push('');
  out.push(NotesOpen('other'));
  if (other !== undefined && other !== '') out.push(other);
  out.push(NotesClose('other'));
  out.push('');
  // Notes of pillars that have no result at all stay in the file too.
  for (const [p, text] of notes) {
    if (p === 'other' || ordered.includes(p) || text === '') continue;
    out.push(`## ${p} (no results yet)`);
    out.push('');
    out.push(NotesOpen(p));
    out.push(text);
    out.push(NotesClose(p));
    out.push('');
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/** DiffFiles prints each figure present in both files with its change. */
export function diffFiles(a: BenchmarksFile, b: BenchmarksFile): string {
  const lines: string[] = [];
  for (const [p, eb] of Object.entries(b.pillars)) {
    const ra = a.pillars[p]?.result;
    const rb = eb.result;
    if (ra === undefined || rb === undefined) continue;
    const old = new Map(ra.figures.map((f) => [`${f.group ?? ''}\u0000${f.name}`, f]));
    for (const f of rb.figures) {
      const o = old.get(`${f.group ?? ''}\u0000${f.name}`);
      if (o === undefined) continue;
      const change = o.value === 0 ? '' : ` (${f.value >= o.value ? '+' : ''}${(((f.value - o.value) / o.value) * 100).toFixed(1)}%)`;
      lines.push(
        `${p}: ${f.group === undefined ? '' : `${f.group}: `}${f.name}: ${formatValue(o.value)} → ${formatValue(f.value)} ${f.unit}${change}`,
      );
    }
  }
  return lines.join('\n');
}
