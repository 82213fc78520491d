import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ObjectReader } from '@trellis/runtime';
import { getExternalName, markConditions, permanentError, setExternalName, statusOf } from '@trellis/runtime';
import type { ConnectionDetails, ExternalClient, ExternalObservation, KubeObject } from '@trellis/sdk';
import { available, describeRef, hasCode, refOf } from '@trellis/sdk';
import { readSecretKey } from './config.ts';
import type { Db } from './db.ts';
import { quoteIdent, quoteLiteral } from './db.ts';
import { SqlCode } from './errors.ts';

type Fp = Record<string, unknown>;

function forProvider(mr: KubeObject): Fp {
  const spec = (mr.spec ?? {}) as { forProvider?: Fp };
  if (spec.forProvider === undefined) {
    spec.forProvider = {};
    mr.spec = spec;
  }
  return spec.forProvider;
}

/** NameOf is the SQL object's name: the external name, else metadata.name (recorded on first observe). */
function nameOf(mr: KubeObject): string {
  return getExternalName(mr) ?? mr.metadata.name ?? '';
}

function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

function lateInit<T>(fp: Fp, key: string, observed: T): boolean {
  if (fp[key] !== undefined || observed === undefined || observed === null) return false;
  fp[key] = observed;
  return true;
}

const enc = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Database

interface DbRow extends Record<string, unknown> {
  owner: string;
  encoding: string;
  collate: string;
  ctype: string;
  allow_conn: boolean;
  conn_limit: number;
  is_template: boolean;
  tablespace: string;
}

/**
 * DatabaseClient manages a PostgreSQL database (provider-sql's Database): observed from
 * `pg_database`, late-initialised, compared on owner, connection limit, allowConnections and
 * isTemplate; encoding, collation and template are create-only.
 */
export function databaseClient(db: Db): ExternalClient {
  return {
    async observe(mr, o): Promise<ExternalObservation> {
      const name = nameOf(mr);
      const rows = await db.query<DbRow>(
        `SELECT pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS encoding, d.datcollate AS collate, d.datctype AS ctype,
                d.datallowconn AS allow_conn, d.datconnlimit AS conn_limit, d.datistemplate AS is_template, t.spcname AS tablespace
           FROM pg_database d JOIN pg_tablespace t ON d.dattablespace = t.oid WHERE d.datname = $1`,
        [name],
        o.signal,
      );
      const row = rows[0];
      if (row === undefined) return { resourceExists: false, resourceUpToDate: false };
      if (getExternalName(mr) === undefined) setExternalName(mr, name);
      const fp = forProvider(mr);
      let late = false;
      late = lateInit(fp, 'owner', row.owner) || late;
      late = lateInit(fp, 'encoding', row.encoding) || late;
      late = lateInit(fp, 'lcCollate', row.collate) || late;
      late = lateInit(fp, 'lcCType', row.ctype) || late;
      late = lateInit(fp, 'allowConnections', row.allow_conn) || late;
      late = lateInit(fp, 'connectionLimit', row.conn_limit) || late;
      late = lateInit(fp, 'isTemplate', row.is_template) || late;
      late = lateInit(fp, 'tablespace', row.tablespace) || late;
      statusOf(mr).atProvider = {
        owner: row.owner,
        connectionLimit: row.conn_limit,
        allowConnections: row.allow_conn,
        isTemplate: row.is_template,
      };
      markConditions(mr, available());
      const diff: string[] = [];
      if (fp.owner !== row.owner) diff.push('owner');
      if (fp.connectionLimit !== row.conn_limit) diff.push('connectionLimit');
      if (fp.allowConnections !== row.allow_conn) diff.push('allowConnections');
      if (fp.isTemplate !== row.is_template) diff.push('isTemplate');
      if (fp.tablespace !== row.tablespace) diff.push('tablespace');
      return { resourceExists: true, resourceUpToDate: diff.length === 0, resourceLateInitialized: late, diff: diff.join(', ') };
    },
    async create(mr, o) {
      const fp = forProvider(mr);
      const name = nameOf(mr);
      const opts: string[] = [];
      if (typeof fp.owner === 'string') opts.push(`OWNER ${quoteIdent(fp.owner)}`);
      if (typeof fp.template === 'string') opts.push(`TEMPLATE ${quoteIdent(fp.template)}`);
      if (typeof fp.encoding === 'string') opts.push(`ENCODING ${quoteLiteral(fp.encoding)}`);
      if (typeof fp.lcCollate === 'string') opts.push(`LC_COLLATE ${quoteLiteral(fp.lcCollate)}`);
      if (typeof fp.lcCType === 'string') opts.push(`LC_CTYPE ${quoteLiteral(fp.lcCType)}`);
      if (typeof fp.tablespace === 'string') opts.push(`TABLESPACE ${quoteIdent(fp.tablespace)}`);
      if (typeof fp.allowConnections === 'boolean') opts.push(`ALLOW_CONNECTIONS ${fp.allowConnections}`);
      if (typeof fp.connectionLimit === 'number') opts.push(`CONNECTION LIMIT ${Math.trunc(fp.connectionLimit)}`);
      if (typeof fp.isTemplate === 'boolean') opts.push(`IS_TEMPLATE ${fp.isTemplate}`);
      await db.query(`CREATE DATABASE ${quoteIdent(name)}${opts.length === 0 ? '' : ` WITH ${opts.join(' ')}`}`, [], o.signal);
      setExternalName(mr, name);
      return {};
    },
    async update(mr, o) {
      const fp = forProvider(mr);
      const name = quoteIdent(nameOf(mr));
      const stmts: string[] = [];
      if (typeof fp.owner === 'string') stmts.push(`ALTER DATABASE ${name} OWNER TO ${quoteIdent(fp.owner)}`);
      const w: string[] = [];
      if (typeof fp.allowConnections === 'boolean') w.push(`ALLOW_CONNECTIONS ${fp.allowConnections}`);
      if (typeof fp.connectionLimit === 'number') w.push(`CONNECTION LIMIT ${Math.trunc(fp.connectionLimit)}`);
      if (typeof fp.isTemplate === 'boolean') w.push(`IS_TEMPLATE ${fp.isTemplate}`);
      if (w.length > 0) stmts.push(`ALTER DATABASE ${name} WITH ${w.join(' ')}`);
      if (typeof fp.tablespace === 'string') stmts.push(`ALTER DATABASE ${name} SET TABLESPACE ${quoteIdent(fp.tablespace)}`);
      for (const s of stmts) await db.query(s, [], o.signal);
      return {};
    },
    async delete(mr, o) {
      await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(nameOf(mr))}`, [], o.signal);
    },
    async disconnect() {},
  };
}

// ---------------------------------------------------------------------------------------------
// Role

interface RoleRow extends Record<string, unknown> {
  rolsuper: boolean;
  rolinherit: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolcanlogin: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  rolconnlimit: number;
  rolconfig: string[] | null;
}

const privilegeColumns: Record<string, [keyof RoleRow, string, string]> = {
  superUser: ['rolsuper', 'SUPERUSER', 'NOSUPERUSER'],
  inherit: ['rolinherit', 'INHERIT', 'NOINHERIT'],
  createRole: ['rolcreaterole', 'CREATEROLE', 'NOCREATEROLE'],
  createDb: ['rolcreatedb', 'CREATEDB', 'NOCREATEDB'],
  login: ['rolcanlogin', 'LOGIN', 'NOLOGIN'],
  replication: ['rolreplication', 'REPLICATION', 'NOREPLICATION'],
  bypassRls: ['rolbypassrls', 'BYPASSRLS', 'NOBYPASSRLS'],
};

/**
 * ScramMatches reports whether `password` matches a PostgreSQL SCRAM-SHA-256 verifier
 * (`SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>`), so password drift can be seen without
 * logging in. Other verifier formats never match.
 */
export function scramMatches(verifier: string, password: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (m === null) return false;
  const salted = pbkdf2Sync(password.normalize('NFKC'), Buffer.from(m[2] ?? '', 'base64'), Number(m[1]), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const want = Buffer.from(m[3] ?? '', 'base64');
  return want.length === storedKey.length && timingSafeEqual(want, storedKey);
}

function configList(fp: Fp): { name: string; value: string }[] | undefined {
  const v = fp.configurationParameters;
  if (!Array.isArray(v)) return undefined;
  return v.map((x) => ({ name: String((x as { name?: unknown }).name), value: String((x as { value?: unknown }).value) }));
}

function sameConfig(desired: { name: string; value: string }[], observed: string[] | null): boolean {
  const a = desired.map((c) => `${c.name}=${c.value}`).sort();
  const b = [...(observed ?? [])].sort();
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * RoleClient manages a PostgreSQL role (provider-sql's Role): privileges, connection limit,
 * configuration parameters and password. The password comes from `passwordSecretRef`, or is
 * generated at create and published as connection details (username, password, endpoint, port).
 * Password drift is seen by checking the SCRAM verifier when the connection user may read
 * `pg_authid` (a superuser), else by a hash of the last password set, kept in status.
 */
export function roleClient(db: Db, reader: ObjectReader): ExternalClient {
  const desiredPassword = async (mr: KubeObject, signal: AbortSignal): Promise<string | undefined> => {
    const ref = forProvider(mr).passwordSecretRef as { name?: string; namespace?: string; key?: string } | undefined;
    if (ref === undefined) return undefined;
    return readSecretKey(reader, ref, 'spec.forProvider.passwordSecretRef', describeRef(refOf(mr)), signal);
  };
  const hashOf = (pw: string): string => createHash('sha256').update(pw).digest('hex');
  const details = (mr: KubeObject, pw: string | undefined): ConnectionDetails => ({
    username: enc.encode(nameOf(mr)),
    endpoint: enc.encode(db.info.host),
    port: enc.encode(String(db.info.port)),
    ...(pw === undefined ? {} : { password: enc.encode(pw) }),
  });
  const clauses = (fp: Fp): string[] => {
    const out: string[] = [];
    const privs = (fp.privileges ?? {}) as Record<string, unknown>;
    for (const [k, [, yes, no]] of Object.entries(privilegeColumns)) {
      const v = bool(privs[k]);
      if (v !== undefined) out.push(v ? yes : no);
    }
    if (typeof fp.connectionLimit === 'number') out.push(`CONNECTION LIMIT ${Math.trunc(fp.connectionLimit)}`);
    return out;
  };
  const configStatements = (name: string, fp: Fp): string[] => {
    const cfg = configList(fp);
    if (cfg === undefined) return [];
    return [
      `ALTER ROLE ${quoteIdent(name)} RESET ALL`,
      ...cfg.map((c) => `ALTER ROLE ${quoteIdent(name)} SET ${quoteIdent(c.name)} = ${quoteLiteral(c.value)}`),
    ];
  };

  return {
    async observe(mr, o): Promise<ExternalObservation> {
      const name = nameOf(mr);
      const rows = await db.query<RoleRow>(
        'SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, rolconfig FROM pg_roles WHERE rolname = $1',
        [name],
        o.signal,
      );
      const row = rows[0];
      if (row === undefined) return { resourceExists: false, resourceUpToDate: false };
      if (getExternalName(mr) === undefined) setExternalName(mr, name);
      const fp = forProvider(mr);
      if (typeof fp.privileges !== 'object' || fp.privileges === null) fp.privileges = {};
      const privs = fp.privileges as Record<string, unknown>;
      let late = false;
      const diff: string[] = [];
      for (const [k, [col]] of Object.entries(privilegeColumns)) {
        if (privs[k] === undefined) {
          privs[k] = row[col];
          late = true;
        } else if (privs[k] !== row[col]) diff.push(`privileges.${k}`);
      }
      if (fp.connectionLimit === undefined) {
        fp.connectionLimit = row.rolconnlimit;
        late = true;
      } else if (fp.connectionLimit !== row.rolconnlimit) diff.push('connectionLimit');
      const cfg = configList(fp);
      if (cfg !== undefined && !sameConfig(cfg, row.rolconfig)) diff.push('configurationParameters');
      const pw = await desiredPassword(mr, o.signal);
      const status = statusOf(mr);
      if (pw !== undefined) {
        const verifier = await db
          .query<{ rolpassword: string | null }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [name], o.signal)
          .then((r) => r[0]?.rolpassword ?? null)
          .catch((err: unknown) => {
            // pg_authid is readable by superusers only: without it, fall back to the recorded hash.
            if (hasCode(err, SqlCode.Forbidden)) return undefined;
            throw err;
          });
        const matches =
          verifier === undefined
            ? (status.atProvider as { passwordHash?: string } | undefined)?.passwordHash === hashOf(pw)
            : verifier !== null && scramMatches(verifier, pw);
        if (!matches) diff.push('password');
      }
      const prevHash = (status.atProvider as { passwordHash?: string } | undefined)?.passwordHash;
      status.atProvider = {
        privileges: Object.fromEntries(Object.entries(privilegeColumns).map(([k, [col]]) => [k, row[col]])),
        connectionLimit: row.rolconnlimit,
        configurationParameters: row.rolconfig ?? [],
        ...(prevHash === undefined ? {} : { passwordHash: prevHash }),
      };
      markConditions(mr, available());
      return {
        resourceExists: true,
        resourceUpToDate: diff.length === 0,
        resourceLateInitialized: late,
        diff: diff.join(', '),
        connectionDetails: details(mr, pw),
      };
    },
    async create(mr, o) {
      const fp = forProvider(mr);
      const name = nameOf(mr);
      const given = await desiredPassword(mr, o.signal);
      const pw = given ?? randomBytes(24).toString('base64url');
      await db.tx(
        [
          `CREATE ROLE ${quoteIdent(name)} WITH ${[...clauses(fp), `PASSWORD ${quoteLiteral(pw)}`].join(' ')}`,
          ...configStatements(name, fp),
        ],
        o.signal,
      );
      setExternalName(mr, name);
      const at = (statusOf(mr).atProvider ?? {}) as Record<string, unknown>;
      statusOf(mr).atProvider = { ...at, passwordHash: hashOf(pw) };
      return { connectionDetails: details(mr, pw) };
    },
    async update(mr, o) {
      const fp = forProvider(mr);
      const name = nameOf(mr);
      const pw = await desiredPassword(mr, o.signal);
      const c = clauses(fp);
      if (pw !== undefined) c.push(`PASSWORD ${quoteLiteral(pw)}`);
      const stmts = [...(c.length === 0 ? [] : [`ALTER ROLE ${quoteIdent(name)} WITH ${c.join(' ')}`]), ...configStatements(name, fp)];
      if (stmts.length > 0) await db.tx(stmts, o.signal);
      if (pw !== undefined) {
        const at = (statusOf(mr).atProvider ?? {}) as Record<string, unknown>;
        statusOf(mr).atProvider = { ...at, passwordHash: hashOf(pw) };
      }
      return { connectionDetails: details(mr, pw) };
    },
    async delete(mr, o) {
      await db.query(`DROP ROLE IF EXISTS ${quoteIdent(nameOf(mr))}`, [], o.signal);
    },
    async disconnect() {},
  };
}

// ---------------------------------------------------------------------------------------------
// Grant

const databasePrivileges = new Set(['CREATE', 'CONNECT', 'TEMPORARY']);

function grantSpec(mr: KubeObject): { role: string; database?: string; memberOf?: string; privileges: string[]; withGrant: boolean } {
  const fp = forProvider(mr);
  const who = describeRef(refOf(mr));
  if (typeof fp.role !== 'string' || fp.role === '')
    throw permanentError(SqlCode.InvalidSpec, `${who}: spec.forProvider.role is required (or roleRef)`, {
      details: { field: 'spec.forProvider.role' },
    });
  const out = { role: fp.role, withGrant: fp.withOption === 'GRANT' || fp.withOption === 'ADMIN', privileges: [] as string[] };
  if (typeof fp.memberOf === 'string' && fp.memberOf !== '') return { ...out, memberOf: fp.memberOf };
  if (typeof fp.database !== 'string' || fp.database === '') {
    throw permanentError(SqlCode.InvalidSpec, `${who}: spec.forProvider needs database (with privileges) or memberOf`, {
      details: { field: 'spec.forProvider.database' },
    });
  }
  const raw = Array.isArray(fp.privileges) ? fp.privileges.map((p) => String(p).toUpperCase()) : [];
  const privs = raw.includes('ALL') ? [...databasePrivileges] : raw.map((p) => (p === 'TEMP' ? 'TEMPORARY' : p));
  const bad = privs.filter((p) => !databasePrivileges.has(p));
  if (privs.length === 0 || bad.length > 0) {
    throw permanentError(
      SqlCode.InvalidSpec,
      `${who}: spec.forProvider.privileges must list CREATE, CONNECT, TEMPORARY or ALL${bad.length > 0 ? `; got ${bad.join(', ')}` : ''}`,
      {
        details: { field: 'spec.forProvider.privileges' },
      },
    );
  }
  return { ...out, database: fp.database, privileges: [...new Set(privs)].sort() };
}

/**
 * GrantClient manages a grant (provider-sql's Grant): database privileges of a role (exists when
 * the role holds any privilege on the database, up to date when it holds exactly the listed ones
 * with the requested grant option), or membership of a role in another (`memberOf`). Create and
 * update REVOKE then GRANT in one transaction; delete revokes.
 */
export function grantClient(db: Db): ExternalClient {
  return {
    async observe(mr, o): Promise<ExternalObservation> {
      const g = grantSpec(mr);
      if (getExternalName(mr) === undefined) setExternalName(mr, mr.metadata.name ?? '');
      if (g.memberOf !== undefined) {
        const rows = await db.query<{ admin: boolean }>(
          `SELECT m.admin_option AS admin FROM pg_auth_members m JOIN pg_roles r ON m.roleid = r.oid JOIN pg_roles u ON m.member = u.oid WHERE r.rolname = $1 AND u.rolname = $2`,
          [g.memberOf, g.role],
          o.signal,
        );
        const row = rows[0];
        if (row === undefined) return { resourceExists: false, resourceUpToDate: false };
        markConditions(mr, available());
        return { resourceExists: true, resourceUpToDate: row.admin === g.withGrant };
      }
      const rows = await db.query<{ privilege_type: string; is_grantable: boolean }>(
        `SELECT a.privilege_type, a.is_grantable FROM pg_database d, aclexplode(d.datacl) a JOIN pg_roles r ON a.grantee = r.oid WHERE d.datname = $1 AND r.rolname = $2`,
        [g.database, g.role],
        o.signal,
      );
      if (rows.length === 0) return { resourceExists: false, resourceUpToDate: false };
      const have = rows.map((r) => r.privilege_type).sort();
      statusOf(mr).atProvider = { privileges: have };
      markConditions(mr, available());
      const same =
        have.length === g.privileges.length &&
        have.every((p, i) => p === g.privileges[i]) &&
        rows.every((r) => r.is_grantable === g.withGrant);
      return {
        resourceExists: true,
        resourceUpToDate: same,
        diff: same ? '' : `privileges: want ${g.privileges.join(',')}, have ${have.join(',')}`,
      };
    },
    async create(mr, o) {
      await apply(mr, o.signal);
      if (getExternalName(mr) === undefined) setExternalName(mr, mr.metadata.name ?? '');
      return {};
    },
    async update(mr, o) {
      await apply(mr, o.signal);
      return {};
    },
    async delete(mr, o) {
      const g = grantSpec(mr);
      if (g.memberOf !== undefined) await db.query(`REVOKE ${quoteIdent(g.memberOf)} FROM ${quoteIdent(g.role)}`, [], o.signal);
      else await db.query(`REVOKE ALL ON DATABASE ${quoteIdent(g.database ?? '')} FROM ${quoteIdent(g.role)}`, [], o.signal);
    },
    async disconnect() {},
  };

  async function apply(mr: KubeObject, signal: AbortSignal): Promise<void> {
    const g = grantSpec(mr);
    if (g.memberOf !== undefined) {
      await db.tx(
        [
          `REVOKE ${quoteIdent(g.memberOf)} FROM ${quoteIdent(g.role)}`,
          `GRANT ${quoteIdent(g.memberOf)} TO ${quoteIdent(g.role)}${g.withGrant ? ' WITH ADMIN OPTION' : ''}`,
        ],
        signal,
      );
      return;
    }
    const dbName = quoteIdent(g.database ?? '');
    await db.tx(
      [
        `REVOKE ALL ON DATABASE ${dbName} FROM ${quoteIdent(g.role)}`,
        `GRANT ${g.privileges.join(', ')} ON DATABASE ${dbName} TO ${quoteIdent(g.role)}${g.withGrant ? ' WITH GRANT OPTION' : ''}`,
      ],
      signal,
    );
  }
}
