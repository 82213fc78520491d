// provider-http's mappings against the real APIs (PowerDNS, Alertmanager), at the ExternalClient
// level: create, observe, drift, late init, update (including a minted identifier), lookup, delete.

import { HttpCode, newHttpClient, rrsetMapping, silenceMapping, zoneMapping } from '@trellis/provider-http';
import { getExternalName, retryHintOf } from '@trellis/runtime';
import type { KubeObject } from '@trellis/sdk';
import { codeOf } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alertmanager, PowerDns } from '../infra/services/services.ts';
import { startAlertmanager, startPowerDns } from '../infra/services/services.ts';

const opts = () => ({ signal: AbortSignal.timeout(10_000) });

function mr(kind: string, name: string, forProvider: Record<string, unknown>, annotations: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'x/v1', kind, metadata: { name, annotations }, spec: { forProvider }, status: {} };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('PowerDNS mappings', () => {
  let pdns: PowerDns;
  let zone: ReturnType<typeof newHttpClient>;
  let rrset: ReturnType<typeof newHttpClient>;
  beforeAll(async () => {
    pdns = await startPowerDns();
    const endpoint = { baseUrl: `${pdns.url}/api/v1/servers/localhost`, headers: { 'X-API-Key': pdns.apiKey } };
    zone = newHttpClient(zoneMapping, endpoint);
    rrset = newHttpClient(rrsetMapping, endpoint);
  });
  afterAll(async () => {
    await pdns?.stop();
  });

  it('creates a zone, observes it up to date, late-initialises, updates drift and deletes it', async () => {
    const z = mr('Zone', 'z', { name: 'one.test.', kind: 'Native', nameservers: ['ns1.one.test.'] });
    expect((await zone.observe(z, opts())).resourceExists).toBe(false);
    await zone.create(z, opts());
    expect(getExternalName(z)).toBe('one.test.');
    const obs = await zone.observe(z, opts());
    expect(obs).toMatchObject({ resourceExists: true, resourceUpToDate: true, resourceLateInitialized: true });
    expect((z.spec as { forProvider: { soaEditApi?: string } }).forProvider.soaEditApi).toBe('DEFAULT');
    // Out-of-band change, then drift on a mapped field.
    await fetch(`${pdns.url}/api/v1/servers/localhost/zones/one.test.`, {
      method: 'PUT',
      headers: { 'X-API-Key': pdns.apiKey },
      body: JSON.stringify({ kind: 'Master' }),
    });
    const drift = await zone.observe(z, opts());
    expect(drift.resourceUpToDate).toBe(false);
    expect(drift.diff).toContain('spec.forProvider.kind: want "Native", have "Master"');
    await zone.update(z, opts());
    expect((await zone.observe(z, opts())).resourceUpToDate).toBe(true);
    await zone.delete(z, opts());
    await zone.delete(z, opts());
    expect((await zone.observe(z, opts())).resourceExists).toBe(false);
  });

  it('manages an RRset as a set of records and ignores the zone serial', async () => {
    const z = mr('Zone', 'z', { name: 'two.test.', kind: 'Native', nameservers: ['ns1.two.test.'] });
    await zone.create(z, opts());
    const r = mr('RRset', 'r', {
      zone: 'two.test.',
      name: 'www.two.test.',
      type: 'A',
      ttl: 300,
      records: [{ content: '192.0.2.1' }, { content: '192.0.2.2' }],
    });
    expect((await rrset.observe(r, opts())).resourceExists).toBe(false);
    await rrset.create(r, opts());
    expect(getExternalName(r)).toBe('two.test./www.two.test./A');
    expect(await rrset.observe(r, opts())).toMatchObject({ resourceExists: true, resourceUpToDate: true });
    (r.spec as { forProvider: { records: unknown[] } }).forProvider.records = [{ content: '192.0.2.2' }, { content: '192.0.2.1' }];
    expect((await rrset.observe(r, opts())).resourceUpToDate).toBe(true);
    (r.spec as { forProvider: { ttl: number } }).forProvider.ttl = 600;
    expect((await rrset.observe(r, opts())).resourceUpToDate).toBe(false);
    await rrset.update(r, opts());
    expect((await rrset.observe(r, opts())).resourceUpToDate).toBe(true);
    await rrset.delete(r, opts());
    expect((await rrset.observe(r, opts())).resourceExists).toBe(false);
    await zone.delete(z, opts());
    await rrset.delete(r, opts());
  });

  it('reports a bad key as a permanent 401 and a bad name as a permanent 422 with the server message', async () => {
    const bad = newHttpClient(zoneMapping, { baseUrl: `${pdns.url}/api/v1/servers/localhost`, headers: { 'X-API-Key': 'wrong' } });
    const err = await rejection(bad.observe(mr('Zone', 'z', { name: 'three.test.' }), opts()));
    expect(codeOf(err)).toBe(HttpCode.Unauthorized);
    expect(retryHintOf(err).permanent).toBe(true);
    const err2 = await rejection(zone.create(mr('Zone', 'z', { name: 'bad..name.', kind: 'Native' }), opts()));
    expect(codeOf(err2)).toBe(HttpCode.ClientError);
    expect((err2 as Error).message).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/api\/v1\/servers\/localhost\/zones: 422: /);
  });
});

describe('Alertmanager silence mapping', () => {
  let am: Alertmanager;
  let silence: ReturnType<typeof newHttpClient>;
  beforeAll(async () => {
    am = await startAlertmanager();
    silence = newHttpClient(silenceMapping, { baseUrl: `${am.url}/api/v2`, headers: {} });
  });
  afterAll(async () => {
    await am?.stop();
  });
  const endsAt = () => new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

  it('creates with a server-assigned id, follows the id an update mints, finds it by lookup, and deletes (expires) it', async () => {
    const s = mr('Silence', 's', {
      matchers: [{ name: 'alertname', value: 'DiskFull', isRegex: false }],
      endsAt: endsAt(),
      createdBy: 'trellis-test',
      comment: 'unique comment 1',
    });
    expect((await silence.observe(s, opts())).resourceExists).toBe(false);
    await silence.create(s, opts());
    const id1 = getExternalName(s);
    expect(id1).toMatch(/^[0-9a-f-]{36}$/);
    expect(await silence.observe(s, opts())).toMatchObject({ resourceExists: true, resourceUpToDate: true, resourceLateInitialized: true });
    expect(s.status).toMatchObject({ conditions: [{ type: 'Ready', status: 'True', reason: 'Available' }] });

    (s.spec as { forProvider: { matchers: unknown[] } }).forProvider.matchers = [
      { name: 'alertname', value: 'DiskAlmostFull', isRegex: false },
    ];
    expect((await silence.observe(s, opts())).resourceUpToDate).toBe(false);
    await silence.update(s, opts());
    const id2 = getExternalName(s);
    expect(id2).not.toBe(id1);
    expect((await silence.observe(s, opts())).resourceUpToDate).toBe(true);

    // The identifier was lost (a crash before it was recorded): lookup by createdBy+comment finds it.
    const lost = mr('Silence', 's', s.spec && (s.spec as { forProvider: Record<string, unknown> }).forProvider);
    expect((await silence.observe(lost, opts())).resourceExists).toBe(true);
    expect(getExternalName(lost)).toBe(id2);

    // A stale identifier (the old, expired silence) leads to the live one through lookup too.
    const stale = mr('Silence', 's', (s.spec as { forProvider: Record<string, unknown> }).forProvider, {
      'crossplane.io/external-name': id1 ?? '',
    });
    expect((await silence.observe(stale, opts())).resourceExists).toBe(true);
    expect(getExternalName(stale)).toBe(id2);

    await silence.delete(s, opts());
    expect((await silence.observe(s, opts())).resourceExists).toBe(false);
  });

  it('rejects an invalid body with a permanent 422 naming the problem', async () => {
    const s = mr('Silence', 's', { matchers: [], endsAt: endsAt(), createdBy: 'x', comment: 'y' });
    const err = await rejection(silence.create(s, opts()));
    expect(codeOf(err)).toBe(HttpCode.ClientError);
    expect(retryHintOf(err).permanent).toBe(true);
  });
});
