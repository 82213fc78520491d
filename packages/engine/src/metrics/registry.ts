/**
 * A small Prometheus metrics registry: counters, gauges (set or collected on scrape) and
 * histograms with labels, rendered in the text exposition format 0.0.4. It has no dependencies;
 * the engine needs a handful of metrics, not a client library.
 */

import { TrellisError } from '@trellis/sdk';

export type Labels = Readonly<Record<string, string>>;

/** A Counter only goes up. */
export interface Counter {
  inc(labels?: Labels, by?: number): void;
  get(labels?: Labels): number;
}

/** A Gauge goes up and down, or is read from a callback on every scrape. */
export interface Gauge {
  set(labels: Labels, value: number): void;
  get(labels?: Labels): number;
  /**
   * Collect registers a callback that sets the gauge's values right before each scrape; the
   * returned function unregisters it (a callback holds whatever it reads: unregister it when that
   * goes away, e.g. a controller that stops).
   */
  collect(fn: (g: Gauge) => void): () => void;
  /** Remove drops one label set (e.g. a stopped controller's queue). */
  remove(labels: Labels): void;
}

/** A Histogram counts observations into cumulative buckets. */
export interface Histogram {
  observe(labels: Labels, value: number): void;
  /** StartTimer returns a function that observes the seconds elapsed since the call. */
  startTimer(labels: Labels): () => number;
  count(labels?: Labels): number;
}

/** DefaultBuckets suit durations in seconds from 1 ms to 10 s. */
export const DefaultBuckets: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  labelNames: readonly string[];
  render(): string[];
  beforeScrape?: () => void;
}

/** A Registry holds metric families and renders them for a scrape. */
export interface Registry {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  histogram(name: string, help: string, labelNames?: readonly string[], buckets?: readonly number[]): Histogram;
  /** Expose renders every family in the Prometheus text format (families sorted by name). */
  expose(): string;
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** NewRegistry returns an empty Registry. Registering a name twice returns the first family. */
export function newRegistry(): Registry {
  const families = new Map<string, { family: Family; metric: unknown }>();

  const register = <T>(name: string, type: Family['type'], labelNames: readonly string[], make: () => [Family, T]): T => {
    const existing = families.get(name);
    if (existing !== undefined) {
      if (existing.family.type !== type)
        throw new TrellisError('ENGINE_METRIC_INVALID', `metric "${name}" is already registered as a ${existing.family.type}`);
      return existing.metric as T;
    }
    if (!NAME_RE.test(name)) throw new TrellisError('ENGINE_METRIC_INVALID', `invalid metric name "${name}"`);
    for (const l of labelNames)
      if (!LABEL_RE.test(l) || l.startsWith('__'))
        throw new TrellisError('ENGINE_METRIC_INVALID', `invalid label name "${l}" of metric "${name}"`);
    const [family, metric] = make();
    families.set(name, { family, metric });
    return metric;
  };

  return {
    counter(name, help, labelNames = []) {
      return register(name, 'counter', labelNames, () => {
        const values = new Map<string, { labels: Labels; value: number }>();
        const counter: Counter = {
          inc(labels = {}, by = 1) {
            if (!(by >= 0)) throw new TrellisError('ENGINE_METRIC_INVALID', `counter "${name}" cannot be decreased`);
            const k = keyOf(labelNames, labels);
            const cur = values.get(k);
            if (cur === undefined) values.set(k, { labels: pick(labelNames, labels), value: by });
            else cur.value += by;
          },
          get(labels = {}) {
            return values.get(keyOf(labelNames, labels))?.value ?? 0;
          },
        };
        const family: Family = {
          name,
          help,
          type: 'counter',
          labelNames,
          render: () => [...values.values()].map((v) => sample(name, v.labels, v.value)).sort(),
        };
        return [family, counter];
      });
    },
    gauge(name, help, labelNames = []) {
      return register(name, 'gauge', labelNames, () => {
        const values = new Map<string, { labels: Labels; value: number }>();
        const collectors = new Set<(g: Gauge) => void>();
        const gauge: Gauge = {
          set(labels, value) {
            values.set(keyOf(labelNames, labels), { labels: pick(labelNames, labels), value });
          },
          get(labels = {}) {
            return values.get(keyOf(labelNames, labels))?.value ?? 0;
          },
          collect(fn) {
            // Wrapped, so the same function registered twice is two registrations.
            const c = (g: Gauge): void => fn(g);
            collectors.add(c);
            return () => {
              collectors.delete(c);
            };
          },
          remove(labels) {
            values.delete(keyOf(labelNames, labels));
          },
        };
        const family: Family = {
          name,
          help,
          type: 'gauge',
          labelNames,
          beforeScrape: () => {
            for (const c of collectors) c(gauge);
          },
          render: () => [...values.values()].map((v) => sample(name, v.labels, v.value)).sort(),
        };
        return [family, gauge];
      });
    },
    histogram(name, help, labelNames = [], buckets = DefaultBuckets) {
      return register(name, 'histogram', labelNames, () => {
        const bounds = [...buckets].sort((a, b) => a - b);
        const values = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
        const histogram: Histogram = {
          observe(labels, value) {
            const k = keyOf(labelNames, labels);
            let cur = values.get(k);
            if (cur === undefined) {
              cur = { labels: pick(labelNames, labels), counts: bounds.map(() => 0), sum: 0, count: 0 };
              values.set(k, cur);
            }
            for (let i = 0; i < bounds.length; i++)
              if (value <= (bounds[i] ?? Number.POSITIVE_INFINITY)) cur.counts[i] = (cur.counts[i] ?? 0) + 1;
            cur.sum += value;
            cur.count += 1;
          },
          startTimer(labels) {
            const start = process.hrtime.bigint();
            return () => {
              const s = Number(process.hrtime.bigint() - start) / 1e9;
              histogram.observe(labels, s);
              return s;
            };
          },
          count(labels = {}) {
            return values.get(keyOf(labelNames, labels))?.count ?? 0;
          },
        };
        const family: Family = {
          name,
          help,
          type: 'histogram',
          labelNames,
          render: () => {
            const lines: string[] = [];
            const sorted = [...values.values()].sort((a, b) => keyOf(labelNames, a.labels).localeCompare(keyOf(labelNames, b.labels)));
            for (const v of sorted) {
              bounds.forEach((b, i) => {
                lines.push(sample(`${name}_bucket`, { ...v.labels, le: formatNumber(b) }, v.counts[i] ?? 0));
              });
              lines.push(sample(`${name}_bucket`, { ...v.labels, le: '+Inf' }, v.count));
              lines.push(sample(`${name}_sum`, v.labels, v.sum));
              lines.push(sample(`${name}_count`, v.labels, v.count));
            }
            return lines;
          },
        };
        return [family, histogram];
      });
    },
    expose() {
      const out: string[] = [];
      for (const { family } of [...families.values()].sort((a, b) => a.family.name.localeCompare(b.family.name))) {
        family.beforeScrape?.();
        out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
        out.push(`# TYPE ${family.name} ${family.type}`);
        out.push(...family.render());
      }
      return `${out.join('\n')}\n`;
    },
  };
}

function pick(names: readonly string[], labels: Labels): Labels {
  const out: Record<string, string> = {};
  for (const n of names) out[n] = labels[n] ?? '';
  return out;
}

function keyOf(names: readonly string[], labels: Labels): string {
  return names.map((n) => labels[n] ?? '').join('\u0000');
}

function sample(name: string, labels: Labels, value: number): string {
  const ls = Object.entries(labels)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',');
  return ls === '' ? `${name} ${formatNumber(value)}` : `${name}{${ls}} ${formatNumber(value)}`;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
