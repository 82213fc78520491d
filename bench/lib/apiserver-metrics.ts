// API request counts from the API server's own /metrics (apiserver_request_total), so that both
// engines are measured by the same server-side counter, whatever their client does.
import type { KubeClient } from '@trellis/kube';

/** RequestCounts maps `verb resource[/subresource]` to a count. */
export type RequestCounts = Map<string, number>;

const ReadVerbs = new Set(['GET', 'LIST', 'WATCH', 'WATCHLIST', 'CONNECT']);

/** ParseRequestTotals reads apiserver_request_total lines from a Prometheus text exposition. */
export function parseRequestTotals(text: string): RequestCounts {
  const out: RequestCounts = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const close = line.lastIndexOf('}');
    const labels = new Map<string, string>();
    for (const m of line.slice('apiserver_request_total{'.length, close).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels.set(m[1] as string, m[2] as string);
    }
    const value = Number(
      line
        .slice(close + 1)
        .trim()
        .split(' ')[0],
    );
    if (!Number.isFinite(value)) continue;
    const sub = labels.get('subresource') ?? '';
    const key = `${labels.get('verb') ?? '?'} ${labels.get('resource') ?? ''}${sub === '' ? '' : `/${sub}`}`;
    out.set(key, (out.get(key) ?? 0) + value);
  }
  return out;
}

/**
 * ScrapeRequestTotals fetches /metrics through the client (needs a user allowed to read it). A
 * server busy enough to let one scrape time out (a loaded machine, an engine flooding it) is asked
 * again, up to `attempts` times: the counters are cumulative, so a later scrape loses nothing.
 */
export async function scrapeRequestTotals(client: KubeClient, opts: { attempts?: number } = {}): Promise<RequestCounts> {
  const attempts = opts.attempts ?? 3;
  for (let i = 1; ; i++) {
    try {
      const body = await client.raw('/metrics');
      if (typeof body !== 'string') throw new Error('/metrics did not return text');
      return parseRequestTotals(body);
    } catch (err) {
      if (i >= attempts) throw err;
    }
  }
}

/** Diff is after - before, per key (keys only in `after` count from 0). */
export function diff(after: RequestCounts, before: RequestCounts): RequestCounts {
  const out: RequestCounts = new Map();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out.set(k, d);
  }
  return out;
}

export function isWrite(key: string): boolean {
  return !ReadVerbs.has(key.split(' ')[0] ?? '');
}

export function total(c: RequestCounts, filter: (key: string) => boolean = () => true): number {
  let n = 0;
  for (const [k, v] of c) if (filter(k)) n += v;
  return n;
}

/** Top lists the largest entries, for notes ("PATCH configmaps 25000, ..."). */
export function top(c: RequestCounts, n = 8, filter: (key: string) => boolean = () => true): string {
  return [...c]
    .filter(([k]) => filter(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
