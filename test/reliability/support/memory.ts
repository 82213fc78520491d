// Memory of the processes under soak, sampled over time, and the verdict on its growth.
//
// Why a bound on growth after warm-up is the right test: the soak keeps the working set constant
// (the number of live claims stays in a narrow band around its target, packages cycle through a
// fixed set), so every cache the controllers and the API server hold is bounded. Once warmed up
// (caches filled, JIT and V8 heap sized, the API server's watch history full), memory must stay
// flat; what grows with the number of operations is a leak. V8's used heap rises between
// collections, so the comparison uses the floor (minimum) of each window, which is what survives
// collection; RSS does not shrink readily, so it is compared by window medians with a looser bound.
import { readHeap, rss } from './processes.ts';

export interface Sample {
  /** T is seconds since the soak started. */
  t: number;
  /** Values in bytes by series name, e.g. `controllers.heap`, `apiserver.rss`. */
  values: Record<string, number>;
}

export interface Tracked {
  name: string;
  pid(): number | undefined;
  /** ReportDir: the process writes a diagnostic report there on SIGUSR2 (heap readings). */
  reportDir?: string;
}

/** TakeSample reads RSS (and heap where possible) of every tracked process. */
export async function takeSample(t: number, tracked: Tracked[]): Promise<Sample> {
  const values: Record<string, number> = {};
  for (const p of tracked) {
    const pid = p.pid();
    if (pid === undefined) continue;
    const r = rss(pid);
    if (r !== undefined) values[`${p.name}.rss`] = r;
    if (p.reportDir !== undefined) {
      const h = await readHeap(pid, p.reportDir);
      if (h !== undefined) values[`${p.name}.heap`] = h;
    }
  }
  return { t, values };
}

export interface SeriesVerdict {
  series: string;
  /** Baseline and end are the window statistic (floor for heap, median for RSS) in MiB. */
  baselineMiB: number;
  endMiB: number;
  growthMiB: number;
  boundMiB: number;
  /** SlopeMiBPerHour is the least-squares slope over every sample after warm-up. */
  slopeMiBPerHour: number;
  ok: boolean;
}

const MiB = 1024 * 1024;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Slope is the least-squares slope of v over t. */
export function slope(points: { t: number; v: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const mv = points.reduce((a, p) => a + p.v, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Bounds on growth between the first and the last third of the samples after warm-up: heap
 * floor may grow by at most max(16 MiB, 10%), RSS median by at most max(48 MiB, 15%). Below these,
 * growth is within what V8's heap sizing and allocator fragmentation do on their own on a flat
 * working set (measured: see docs/reliability.md); above, it is a leak or an unbounded cache.
 */
export const bounds = {
  heap: { minMiB: 16, fraction: 0.1 },
  rss: { minMiB: 48, fraction: 0.15 },
} as const;

/** Verdict judges every series of the samples taken after `warmupS`. */
export function verdict(samples: Sample[], warmupS: number): SeriesVerdict[] {
  const after = samples.filter((s) => s.t >= warmupS);
  const names = [...new Set(after.flatMap((s) => Object.keys(s.values)))].sort();
  const out: SeriesVerdict[] = [];
  for (const series of names) {
    const points = after.filter((s) => s.values[series] !== undefined).map((s) => ({ t: s.t, v: s.values[series] as number }));
    if (points.length < 6) continue;
    const third = Math.floor(points.length / 3);
    const first = points.slice(0, third).map((p) => p.v);
    const last = points.slice(-third).map((p) => p.v);
    const isHeap = series.endsWith('.heap');
    const stat = isHeap ? (xs: number[]) => Math.min(...xs) : median;
    const b = isHeap ? bounds.heap : bounds.rss;
    const baseline = stat(first);
    const end = stat(last);
    const bound = Math.max(b.minMiB * MiB, b.fraction * baseline);
    out.push({
      series,
      baselineMiB: round(baseline / MiB),
      endMiB: round(end / MiB),
      growthMiB: round((end - baseline) / MiB),
      boundMiB: round(bound / MiB),
      slopeMiBPerHour: round((slope(points) * 3600) / MiB),
      ok: end - baseline <= bound,
    });
  }
  return out;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
