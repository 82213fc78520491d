// Pillars written before the convention (bench/lib/README.md) print their figures as lines
// (`name   value unit`) and end with one JSON summary line. The runner turns that output into a
// PillarResult so that `npm run bench` covers them too, without changing their scripts.
import type { Figure } from './figures.ts';
import { figure } from './figures.ts';

export interface SummaryFigures {
  figures: Figure[];
  notes: string[];
}

/** LastJson returns the last stdout line that parses as a JSON object or array (undefined if none). */
export function lastJson(stdout: string): unknown {
  const lines = stdout.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = (lines[i] as string).trim();
    if (!(l.startsWith('{') || l.startsWith('['))) continue;
    try {
      return JSON.parse(l) as unknown;
    } catch {
      // Not JSON after all (a log line starting with a brace): keep looking upwards.
    }
  }
  return undefined;
}

/** UnitOf finds the unit a pillar printed after a figure's value: `name   12.3 unit`. */
function unitOf(stdout: string, name: string): string {
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith(name)) continue;
    const m = /^\s+-?[\d.,]+(?:e[+-]?\d+)?\s+([^\d\s/].*)$/.exec(t.slice(name.length));
    if (m?.[1] !== undefined) return m[1].trim();
  }
  return '';
}

/** KeyUnits are the units of the usual short keys of nested summaries (latencies are in ms). */
const KeyUnits: Record<string, string> = { p50: 'ms', p90: 'ms', p99: 'ms', perSecond: 'ops/s', seconds: 's', ops: 'ops' };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * FiguresFromSummary flattens a pillar's JSON summary into figures: every finite number becomes a
 * figure named by its key path (a `target` field names the group), short strings become notes.
 * Units come from the pillar's printed lines when it printed the figure by the same name.
 */
export function figuresFromSummary(stdout: string, opts: { group?: string } = {}): SummaryFigures {
  const data = lastJson(stdout);
  if (data === undefined) throw new Error('the pillar printed no JSON summary line');
  const figures: Figure[] = [];
  const notes: string[] = [];
  const walk = (v: unknown, path: string[], group: string | undefined): void => {
    if (typeof v === 'number') {
      if (!Number.isFinite(v) || path.length === 0) return;
      const name = path.map((k) => k.trim()).join(' / ');
      const key = (path[path.length - 1] as string).trim();
      const unit = unitOf(stdout, key) || (KeyUnits[key] ?? '');
      figures.push(figure({ name, value: v, unit, ...(group === undefined ? {} : { group }) }));
      return;
    }
    if (typeof v === 'string') {
      const key = path[path.length - 1];
      if (key === 'target' || key === 'date' || v === '') return;
      if (v.length <= 400) notes.push(`${group === undefined ? '' : `${group}: `}${path.join(' / ')}: ${v}`);
      return;
    }
    if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) {
        const g = isRecord(item) && typeof item.target === 'string' ? item.target : undefined;
        walk(item, g === undefined ? [...path, String(i)] : path, group);
      }
      return;
    }
    if (isRecord(v)) {
      const g = typeof v.target === 'string' && path.length === 0 ? v.target : undefined;
      for (const [k, item] of Object.entries(v)) {
        // `results` is the usual wrapper of the figures themselves: it adds nothing to a name.
        walk(item, k === 'results' && path.length === 0 ? path : [...path, k], joinGroup(group, g));
      }
    }
  };
  walk(data, [], opts.group);
  return { figures, notes };
}

function joinGroup(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return `${a}, ${b}`;
}
