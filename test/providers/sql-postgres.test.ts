// provider-sql as a real process against the real API server and PostgreSQL 15: a Role with a
// password from a Secret and a connection secret, a Database owned by it (ownerRef), a Grant
// (roleRef + databaseRef); out-of-band drift of the role is found within one poll interval and
// corrected, or only reported (UpToDate=False/UpdateRestricted) when the policies exclude Update.
import { definition as sqlProvider } from '@trellis/provider-sql';
import type { KubeObject } from '@trellis/sdk';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestClient } from '../harness/targets.ts';
import { apiServerTargets, clientFor, uniqueName, waitFor } from '../harness/targets.ts';
import type { Postgres } from '../infra/services/services.ts';
import { startPostgres } from '../infra/services/services.ts';
import type { ProviderProcess } from '../runtime/helpers.ts';
import {
  conditionOf,
  expectNoWrites,
  installProvider,
  isReadyAndSynced,
  secretData,
  startProviderProcess,
  waitForGone,
  waitForObject,
} from '../runtime/helpers.ts';

const api = 'postgresql.sql.trellis.io/v1alpha1';
const roleType = { apiVersion: api, kind: 'Role' };
const dbType = { apiVersion: api, kind: 'Database' };
const grantType = { apiVersion: api, kind: 'Grant' };
const ns = 'default';
const POLL_MS = 3_000;

describe.each(apiServerTargets())('provider-sql with PostgreSQL on $name', (target) => {
  let client: TestClient;
  let postgres: Postgres;
  let provider: ProviderProcess;
  let sql: pg.Client;
  const pc = uniqueName('pg');

  beforeAll(async () => {
    client = await clientFor(target);
    postgres = await startPostgres();
    sql = new pg.Client({ host: postgres.host, port: postgres.port, user: postgres.user, database: 'postgres' });
    await sql.connect();
    await installProvider(client, sqlProvider);
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: pc, namespace: ns },
      data: secretData({ endpoint: postgres.host, port: String(postgres.port), username: postgres.user, password: '' }),
    });
    await client.create({
      apiVersion: api,
      kind: 'ProviderConfig',
      metadata: { name: pc },
      spec: { sslMode: 'disable', credentials: { source: 'PostgreSQLConnectionSecret', connectionSecretRef: { name: pc, namespace: ns } } },
    });
    provider = await startProviderProcess('sql', target.kubeconfigPath, {
      TRELLIS_POLL_INTERVAL: '3s',
      TRELLIS_NOT_READY_POLL_INTERVAL: '1s',
    });
  });
  afterAll(async () => {
    await provider?.kill();
    await sql?.end();
    await postgres?.stop();
    client?.close();
  });

  const role = async (name: string): Promise<Record<string, unknown> | undefined> =>
    (await sql.query('SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = $1', [name])).rows[0] as
      | Record<string, unknown>
      | undefined;

  it('creates a role, a database and a grant, corrects role drift within a poll, and deletes them', async () => {
    const r = uniqueName('app');
    const d = uniqueName('appdb');
    const g = uniqueName('grant');
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${r}-pw`, namespace: ns },
      data: secretData({ password: 'pw-1' }),
    });
    await client.create({
      ...roleType,
      metadata: { name: r },
      spec: {
        providerConfigRef: { name: pc },
        writeConnectionSecretToRef: { name: `${r}-conn`, namespace: ns },
        forProvider: {
          privileges: { login: true },
          connectionLimit: 5,
          passwordSecretRef: { name: `${r}-pw`, namespace: ns, key: 'password' },
        },
      },
    });
    await client.create({
      ...dbType,
      metadata: { name: d },
      spec: { providerConfigRef: { name: pc }, forProvider: { ownerRef: { name: r }, connectionLimit: 20 } },
    });
    await client.create({
      ...grantType,
      metadata: { name: g },
      spec: {
        providerConfigRef: { name: pc },
        forProvider: { roleRef: { name: r }, databaseRef: { name: d }, privileges: ['CONNECT', 'TEMPORARY'] },
      },
    });
    for (const ref of [
      { ...roleType, name: r },
      { ...dbType, name: d },
      { ...grantType, name: g },
    ]) {
      await waitForObject(client, ref, 'Ready and Synced', isReadyAndSynced);
    }
    expect(await role(r)).toEqual({ rolcanlogin: true, rolconnlimit: 5 });
    const owner = (await sql.query('SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1', [d])).rows[0];
    expect(owner).toEqual({ owner: r });
    const conn = await client.get({ apiVersion: 'v1', kind: 'Secret', name: `${r}-conn`, namespace: ns });
    const data = conn.data as Record<string, string>;
    expect(Buffer.from(data.username ?? '', 'base64').toString()).toBe(r);
    expect(Buffer.from(data.password ?? '', 'base64').toString()).toBe('pw-1');
    // The role can log in with the password from the Secret.
    const login = new pg.Client({ host: postgres.host, port: postgres.port, user: r, password: 'pw-1', database: d });
    await login.connect();
    await login.end();

    // Steady state: two poll intervals, not a single write.
    await expectNoWrites(client, { ...roleType, name: r }, 2 * POLL_MS + 500);

    // Drift: an out-of-band change is corrected within one poll interval.
    await sql.query(`ALTER ROLE "${r}" NOLOGIN CONNECTION LIMIT 1`);
    const t0 = Date.now();
    await waitFor(
      'the role to be corrected',
      async () => {
        const got = await role(r);
        return got?.rolcanlogin === true && got.rolconnlimit === 5;
      },
      { timeoutMs: POLL_MS * 2 + 2_000, intervalMs: 100 },
    );
    // Within one poll interval (+10 % jitter) plus the time of one reconcile.
    expect(Date.now() - t0).toBeLessThan(POLL_MS * 1.1 + 1_500);

    for (const ref of [
      { ...grantType, name: g },
      { ...dbType, name: d },
      { ...roleType, name: r },
    ]) {
      await client.delete(ref);
      await waitForGone(client, ref);
    }
    expect(await role(r)).toBeUndefined();
    expect((await sql.query('SELECT 1 FROM pg_database WHERE datname = $1', [d])).rowCount).toBe(0);
  });

  it('only reports drift when the management policies do not allow Update', async () => {
    const r = uniqueName('audit');
    await client.create({
      ...roleType,
      metadata: { name: r },
      spec: {
        providerConfigRef: { name: pc },
        managementPolicies: ['Observe', 'Create', 'Delete', 'LateInitialize'],
        forProvider: { privileges: { login: false }, connectionLimit: 2 },
      },
    });
    await waitForObject(client, { ...roleType, name: r }, 'Ready and Synced', isReadyAndSynced);
    await sql.query(`ALTER ROLE "${r}" CONNECTION LIMIT 7`);
    const t0 = Date.now();
    const drifted: KubeObject = await waitForObject(
      client,
      { ...roleType, name: r },
      'UpToDate=False',
      (o) => conditionOf(o, 'UpToDate')?.status === 'False',
      POLL_MS * 3,
    );
    // Found within one poll interval (+10 % jitter) plus the time of one reconcile.
    expect(Date.now() - t0).toBeLessThan(POLL_MS * 1.1 + 1_500);
    expect(conditionOf(drifted, 'UpToDate')).toMatchObject({
      reason: 'UpdateRestricted',
      message: 'the external resource differs: connectionLimit',
    });
    expect(conditionOf(drifted, 'Synced')?.status).toBe('True');
    expect(await role(r)).toEqual({ rolcanlogin: false, rolconnlimit: 7 });
    await client.delete({ ...roleType, name: r });
    await waitForGone(client, { ...roleType, name: r });
    expect(await role(r)).toBeUndefined();
  });
});
