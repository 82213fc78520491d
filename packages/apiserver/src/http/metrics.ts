/**
 * Prometheus metrics named like kube-apiserver's: `apiserver_request_total` (counter) and
 * `apiserver_request_duration_seconds` (histogram), labelled by verb, group, version, resource,
 * subresource, scope and code; plus `apiserver_storage_objects`, `apiserver_current_inflight_requests`
 * (watches: `apiserver_longrunning_requests`), and the storage's own counters.
 */

const BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

export interface RequestLabels {
  verb: string;
  dry_run: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  scope: string;
}

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

function labelString(l: Record<string, string>): string {
  return Object.entries(l)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',');
}

/** A Series is one label set's counts: requests by code and the duration histogram. */
interface Series {
  labels: string;
  codes: Map<number, number>;
  h: Histogram;
}

export class Metrics {
  /** Series by a cheap key of the label values (escaping and joining happen once per label set). */
  private readonly series = new Map<string, Series>();
  private longRunning = new Map<string, number>();
  private gauges: Array<
    () => Array<{ name: string; help: string; type: string; samples: Array<{ labels: Record<string, string>; value: number }> }>
  > = [];

  observe(l: RequestLabels, code: number, seconds: number): void {
    const key = `${l.verb}\u0000${l.dry_run}\u0000${l.group}\u0000${l.version}\u0000${l.resource}\u0000${l.subresource}\u0000${l.scope}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = {
        labels: labelString({
          verb: l.verb,
          dry_run: l.dry_run,
          group: l.group,
          version: l.version,
          resource: l.resource,
          subresource: l.subresource,
          scope: l.scope,
          component: 'apiserver',
        }),
        codes: new Map(),
        h: { counts: new Array(BUCKETS.length).fill(0), sum: 0, count: 0 },
      };
      this.series.set(key, s);
    }
    s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
    const h = s.h;
    for (let i = BUCKETS.length - 1; i >= 0 && seconds <= (BUCKETS[i] as number); i--) (h.counts[i] as number)++;
    h.sum += seconds;
    h.count++;
  }

  longRunningDelta(l: RequestLabels, delta: number): void {
    const k = labelString({
      verb: l.verb,
      group: l.group,
      version: l.version,
      resource: l.resource,
      subresource: l.subresource,
      scope: l.scope,
      component: 'apiserver',
    });
    this.longRunning.set(k, (this.longRunning.get(k) ?? 0) + delta);
  }

  /** AddGauges registers a callback producing extra metric families at scrape time. */
  addGauges(fn: Metrics['gauges'][number]): void {
    this.gauges.push(fn);
  }

  render(): string {
    const out: string[] = [];
    out.push(
      '# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
    );
    out.push('# TYPE apiserver_request_total counter');
    const totals: Array<[string, number]> = [];
    for (const s of this.series.values()) for (const [code, n] of s.codes) totals.push([`${s.labels},code="${code}"`, n]);
    for (const [k, v] of totals.sort()) out.push(`apiserver_request_total{${k}} ${v}`);
    out.push(
      '# HELP apiserver_request_duration_seconds [STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
    );
    out.push('# TYPE apiserver_request_duration_seconds histogram');
    const durations = [...this.series.values()].map((s): [string, Histogram] => [s.labels, s.h]);
    for (const [k, h] of durations.sort()) {
      for (const [i, b] of BUCKETS.entries()) out.push(`apiserver_request_duration_seconds_bucket{${k},le="${b}"} ${h.counts[i]}`);
      out.push(`apiserver_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      out.push(`apiserver_request_duration_seconds_sum{${k}} ${h.sum}`);
      out.push(`apiserver_request_duration_seconds_count{${k}} ${h.count}`);
    }
    out.push(
      '# HELP apiserver_longrunning_requests [STABLE] Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component.',
    );
    out.push('# TYPE apiserver_longrunning_requests gauge');
    for (const [k, v] of [...this.longRunning.entries()].sort()) out.push(`apiserver_longrunning_requests{${k}} ${v}`);
    for (const g of this.gauges) {
      for (const fam of g()) {
        out.push(`# HELP ${fam.name} ${fam.help}`);
        out.push(`# TYPE ${fam.name} ${fam.type}`);
        for (const s of fam.samples)
          out.push(`${fam.name}${Object.keys(s.labels).length > 0 ? `{${labelString(s.labels)}}` : ''} ${s.value}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}
