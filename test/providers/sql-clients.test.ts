// provider-sql's clients against a real PostgreSQL 15: Role, Database and Grant round trips,
// out-of-band drift (found and corrected), SCRAM password checks, typed errors.

import { databaseClient, grantClient, PoolCache, roleClient, SqlCode, scramMatches } from '@trellis/provider-sql';
import type { ObjectReader } from '@trellis/runtime';
import { getExternalName, retryHintOf } from '@trellis/runtime';
import type { KubeObject } from '@trellis/sdk';
import { codeOf } from '@trellis/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Postgres } from '../infra/services/services.ts';
import { startPostgres } from '../infra/services/services.ts';

const opts = () => ({ signal: AbortSignal.timeout(10_000) });

function mr(kind: string, name: string, forProvider: Record<string, unknown>): KubeObject {
  return { apiVersion: 'x/v1', kind, metadata: { name }, spec: { forProvider }, status: {} };
}

/** Secrets the Role reads its password from, served as the runtime's ObjectReader would. */
function secrets(data: Record<string, string>): ObjectReader {
  return {
    get: async (ref) =>
      ref.kind === 'Secret' && ref.name === 'pw'
        ? {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name: 'pw', namespace: 'default' },
            data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
          }
        : undefined,
  };
}

describe('provider-sql clients on PostgreSQL', () => {
  let pg: Postgres;
  let pools: PoolCache;
  let db: ReturnType<PoolCache['db']>;
  beforeAll(async () => {
    pg = await startPostgres();
    pools = new PoolCache();
    db = pools.db({ host: pg.host, port: pg.port, user: pg.user, password: '', database: 'postgres', sslMode: 'disable' });
  });
  afterAll(async () => {
    await pools?.close();
    await pg?.stop();
  });

  it('creates a role with a password from a Secret, sees out-of-band drift and corrects it', async () => {
    const role = roleClient(db, secrets({ password: 's3cret-1' }));
    const r = mr('Role', 'app_user', {
      privileges: { login: true },
      connectionLimit: 5,
      passwordSecretRef: { name: 'pw', namespace: 'default', key: 'password' },
    });
    expect((await role.observe(r, opts())).resourceExists).toBe(false);
    const created = await role.create(r, opts());
    expect(new TextDecoder().decode(created.connectionDetails?.password)).toBe('s3cret-1');
    const obs = await role.observe(r, opts());
    expect(obs).toMatchObject({ resourceExists: true, resourceUpToDate: true, resourceLateInitialized: true });
    expect(getExternalName(r)).toBe('app_user');

    await db.query('ALTER ROLE app_user CONNECTION LIMIT 1 NOLOGIN');
    const drift = await role.observe(r, opts());
    expect(drift.resourceUpToDate).toBe(false);
    expect(drift.diff).toBe('privileges.login, connectionLimit');
    await role.update(r, opts());
    expect((await role.observe(r, opts())).resourceUpToDate).toBe(true);

    // A password changed out of band is seen through the SCRAM verifier.
    await db.query("ALTER ROLE app_user PASSWORD 'changed'");
    expect((await role.observe(r, opts())).diff).toBe('password');
    await role.update(r, opts());
    expect((await role.observe(r, opts())).resourceUpToDate).toBe(true);
  });

  it('creates a database owned by the role, and a grant, and removes them', async () => {
    const database = databaseClient(db);
    const grant = grantClient(db);
    const d = mr('Database', 'app_db', { owner: 'app_user', connectionLimit: 10 });
    await database.create(d, opts());
    expect(await database.observe(d, opts())).toMatchObject({ resourceExists: true, resourceUpToDate: true });
    expect((d.spec as { forProvider: { encoding?: string } }).forProvider.encoding).toBe('UTF8');
    await db.query('ALTER DATABASE app_db CONNECTION LIMIT 3');
    expect((await database.observe(d, opts())).diff).toBe('connectionLimit');
    await database.update(d, opts());
    expect((await database.observe(d, opts())).resourceUpToDate).toBe(true);

    await db.query('CREATE ROLE reader');
    const g = mr('Grant', 'g', { role: 'reader', database: 'app_db', privileges: ['CONNECT', 'TEMP'] });
    expect((await grant.observe(g, opts())).resourceExists).toBe(false);
    await grant.create(g, opts());
    expect(await grant.observe(g, opts())).toMatchObject({ resourceExists: true, resourceUpToDate: true });
    await db.query('GRANT CREATE ON DATABASE app_db TO reader');
    expect((await grant.observe(g, opts())).resourceUpToDate).toBe(false);
    await grant.update(g, opts());
    expect((await grant.observe(g, opts())).resourceUpToDate).toBe(true);
    await grant.delete(g, opts());
    expect((await grant.observe(g, opts())).resourceExists).toBe(false);

    const m = mr('Grant', 'm', { role: 'reader', memberOf: 'app_user' });
    await grant.create(m, opts());
    expect((await grant.observe(m, opts())).resourceExists).toBe(true);
    await grant.delete(m, opts());
    expect((await grant.observe(m, opts())).resourceExists).toBe(false);

    await database.delete(d, opts());
    expect((await database.observe(d, opts())).resourceExists).toBe(false);
  });

  it('reports bad credentials as permanent and an unreachable server as retryable', async () => {
    await db.query("CREATE ROLE limited LOGIN PASSWORD 'right'");
    const other = new PoolCache();
    try {
      const bad = other.db({ host: pg.host, port: pg.port, user: 'nobody_here', password: 'x', database: 'postgres', sslMode: 'disable' });
      // Trust auth lets any existing user in; a user that does not exist is refused (28000).
      const err = await roleClient(bad, secrets({}))
        .observe(mr('Role', 'x', {}), opts())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(codeOf(err)).toBe(SqlCode.AuthFailed);
      expect(retryHintOf(err).permanent).toBe(true);
      const gone = other.db({ host: '127.0.0.1', port: 1, user: 'x', password: 'x', database: 'postgres', sslMode: 'disable' });
      const err2 = await roleClient(gone, secrets({}))
        .observe(mr('Role', 'x', {}), opts())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(codeOf(err2)).toBe(SqlCode.Unreachable);
      expect(retryHintOf(err2).permanent).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('checks SCRAM verifiers', async () => {
    await db.query("CREATE ROLE scram_check PASSWORD 'pw-1'");
    const rows = await db.query<{ rolpassword: string }>("SELECT rolpassword FROM pg_authid WHERE rolname = 'scram_check'");
    const v = rows[0]?.rolpassword ?? '';
    expect(scramMatches(v, 'pw-1')).toBe(true);
    expect(scramMatches(v, 'pw-2')).toBe(false);
    expect(scramMatches('md5abc', 'pw-1')).toBe(false);
  });
});
