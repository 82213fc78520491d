import { hasCode } from '@trellis/sdk';
import { describe, expect, it } from 'vitest';
import { serveMetrics } from './http.ts';
import { newRegistry } from './registry.ts';

describe('registry', () => {
  it('stops calling a gauge collector once it is unregistered (a stopped controller leaves nothing behind)', () => {
    const r = newRegistry();
    const g = r.gauge('t_depth', 'A gauge.', ['q']);
    const calls: string[] = [];
    const offA = g.collect(() => calls.push('a'));
    g.collect(() => calls.push('b'));
    r.expose();
    offA();
    offA();
    r.expose();
    expect(calls).toEqual(['a', 'b', 'b']);
  });

  it('renders counters, gauges and histograms in the text format', () => {
    const r = newRegistry();
    const c = r.counter('t_total', 'A counter.', ['controller', 'result']);
    c.inc({ controller: 'b', result: 'ok' });
    c.inc({ controller: 'a', result: 'ok' }, 2);
    const g = r.gauge('t_depth', 'A gauge.', ['q']);
    g.collect((x) => x.set({ q: 'x' }, 3));
    const h = r.histogram('t_seconds', 'A histogram.', ['f'], [0.1, 1]);
    h.observe({ f: 'p' }, 0.05);
    h.observe({ f: 'p' }, 0.5);
    h.observe({ f: 'p' }, 5);
    expect(r.expose()).toBe(
      [
        '# HELP t_depth A gauge.',
        '# TYPE t_depth gauge',
        't_depth{q="x"} 3',
        '# HELP t_seconds A histogram.',
        '# TYPE t_seconds histogram',
        't_seconds_bucket{f="p",le="0.1"} 1',
        't_seconds_bucket{f="p",le="1"} 2',
        't_seconds_bucket{f="p",le="+Inf"} 3',
        't_seconds_sum{f="p"} 5.55',
        't_seconds_count{f="p"} 3',
        '# HELP t_total A counter.',
        '# TYPE t_total counter',
        't_total{controller="a",result="ok"} 2',
        't_total{controller="b",result="ok"} 1',
        '',
      ].join('\n'),
    );
  });

  it('escapes label values', () => {
    const r = newRegistry();
    r.counter('e_total', 'Escapes.', ['v']).inc({ v: 'a"b\\c\nd' });
    expect(r.expose()).toContain('e_total{v="a\\"b\\\\c\\nd"} 1');
  });

  const bad = {
    BadName: { reason: 'a metric name with a dash is rejected', run: () => newRegistry().counter('a-b', 'x') },
    BadLabel: { reason: 'a reserved label name is rejected', run: () => newRegistry().counter('a', 'x', ['__x']) },
    TypeClash: {
      reason: 'registering a name as two types is rejected',
      run: () => {
        const r = newRegistry();
        r.counter('a', 'x');
        r.gauge('a', 'x');
      },
    },
    Decrease: { reason: 'a counter cannot go down', run: () => newRegistry().counter('a', 'x').inc({}, -1) },
  };
  describe.each(Object.entries(bad))('%s', (_name, tc) => {
    it(tc.reason, () => {
      let err: unknown;
      try {
        tc.run();
      } catch (e) {
        err = e;
      }
      expect(hasCode(err, 'ENGINE_METRIC_INVALID')).toBe(true);
    });
  });

  it('serves metrics over HTTP', async () => {
    const r = newRegistry();
    r.counter('s_total', 'Served.').inc();
    const srv = await serveMetrics({ registry: r });
    try {
      const res = await fetch(srv.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('version=0.0.4');
      expect(await res.text()).toContain('s_total 1');
      expect((await fetch(srv.url.replace('/metrics', '/other'))).status).toBe(404);
      expect((await fetch(srv.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await srv.close();
    }
  });
});
