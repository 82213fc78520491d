import { describe, expect, it } from 'vitest';
import { Metrics, type RequestLabels } from './metrics.ts';

const labels = (verb: string, resource: string): RequestLabels => ({
  verb,
  dry_run: '',
  group: '',
  version: 'v1',
  resource,
  subresource: '',
  scope: 'namespace',
});

describe('request metrics', () => {
  it('counts requests by label set and code, and renders cumulative duration buckets', () => {
    const m = new Metrics();
    m.observe(labels('POST', 'configmaps'), 201, 0.004);
    m.observe(labels('POST', 'configmaps'), 201, 0.03);
    m.observe(labels('POST', 'configmaps'), 409, 0.002);
    m.observe(labels('GET', 'secrets'), 200, 0.7);
    const text = m.render();
    const base = 'dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver"';
    expect(text).toContain(`apiserver_request_total{verb="POST",${base},code="201"} 2\n`);
    expect(text).toContain(`apiserver_request_total{verb="POST",${base},code="409"} 1\n`);
    expect(text).toContain('apiserver_request_total{verb="GET",dry_run="",group="",version="v1",resource="secrets"');
    expect(text).toContain(`apiserver_request_duration_seconds_bucket{verb="POST",${base},le="0.005"} 2\n`);
    expect(text).toContain(`apiserver_request_duration_seconds_bucket{verb="POST",${base},le="0.025"} 2\n`);
    expect(text).toContain(`apiserver_request_duration_seconds_bucket{verb="POST",${base},le="0.05"} 3\n`);
    expect(text).toContain(`apiserver_request_duration_seconds_bucket{verb="POST",${base},le="+Inf"} 3\n`);
    expect(text).toContain(`apiserver_request_duration_seconds_count{verb="POST",${base}} 3\n`);
    // Families are sorted by their label text, as before: GET's lines come before POST's.
    expect(text.indexOf('apiserver_request_total{verb="GET"')).toBeLessThan(text.indexOf('apiserver_request_total{verb="POST"'));
  });

  it('escapes label values', () => {
    const m = new Metrics();
    m.observe({ ...labels('GET', 'a"b\\c\nd'), scope: 'cluster' }, 200, 0.1);
    expect(m.render()).toContain('resource="a\\"b\\\\c\\nd"');
  });
});
