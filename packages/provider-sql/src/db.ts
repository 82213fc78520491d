import { createHash } from 'node:crypto';
import { permanentError } from '@trellis/runtime';
import { TrellisError } from '@trellis/sdk';
import pg from 'pg';
import { SqlCode } from './errors.ts';

/** ConnectionInfo is where and as whom to connect; read from the ProviderConfig's connection secret. */
export interface ConnectionInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  sslMode: string;
}

/** A Db runs statements on one server. */
export interface Db {
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[], signal?: AbortSignal): Promise<R[]>;
  /** Tx runs statements in one transaction. */
  tx(statements: string[], signal?: AbortSignal): Promise<void>;
  info: ConnectionInfo;
}

/** QuoteIdent quotes an SQL identifier. */
export const quoteIdent = (s: string): string => pg.escapeIdentifier(s);
/** QuoteLiteral quotes an SQL string literal. */
export const quoteLiteral = (s: string): string => pg.escapeLiteral(s);

/**
 * ClassifyPgError turns a driver error into a typed error: authentication (28xxx) and privilege
 * (42501) failures and invalid statements (22xxx, 42xxx) are permanent; connection failures and
 * everything else back off.
 */
export function classifyPgError(err: unknown, what: string): TrellisError {
  const e = err as { code?: string; message?: string };
  const code = typeof e.code === 'string' ? e.code : '';
  const msg = `${what}: ${e.message ?? String(err)}`;
  if (
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EPIPE)$/.test(code) ||
    /Connection terminated|timeout/i.test(e.message ?? '')
  ) {
    return new TrellisError(SqlCode.Unreachable, msg, { cause: err, details: { retry: 'backoff' } });
  }
  if (code.startsWith('28'))
    return permanentError(SqlCode.AuthFailed, `${msg} (check the ProviderConfig connection secret)`, {
      cause: err,
      details: { sqlstate: code },
    });
  if (code === '42501') return permanentError(SqlCode.Forbidden, msg, { cause: err, details: { sqlstate: code } });
  if (code.startsWith('22') || code.startsWith('42'))
    return permanentError(SqlCode.Invalid, msg, { cause: err, details: { sqlstate: code } });
  return new TrellisError(SqlCode.Server, msg, { cause: err, details: { retry: 'backoff', sqlstate: code } });
}

function poolKey(i: ConnectionInfo): string {
  return createHash('sha256').update(JSON.stringify(i)).digest('hex');
}

/**
 * PoolCache keeps one small connection pool per connection info (the password is part of the
 * key, so rotated credentials get a new pool). Upstream opens a connection per statement; a pool
 * keeps 10,000 polled resources cheap.
 */
export class PoolCache {
  private readonly pools = new Map<string, pg.Pool>();
  private readonly max: number;

  constructor(opts: { max?: number } = {}) {
    this.max = opts.max ?? 4;
  }

  db(info: ConnectionInfo): Db {
    const key = poolKey(info);
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new pg.Pool({
        host: info.host,
        port: info.port,
        user: info.user,
        password: info.password,
        database: info.database,
        max: this.max,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: 10_000,
        ...(info.sslMode === 'disable' ? {} : { ssl: { rejectUnauthorized: info.sslMode === 'verify-full' } }),
      });
      // An idle client's error (the server went away) surfaces on the next query; nothing to do here.
      pool.on('error', () => {});
      this.pools.set(key, pool);
    }
    const p = pool;
    const where = `postgres ${info.host}:${info.port}`;
    return {
      info,
      async query<R extends Record<string, unknown>>(text: string, values: unknown[] = [], signal?: AbortSignal): Promise<R[]> {
        signal?.throwIfAborted();
        try {
          const r = await p.query(text, values);
          return r.rows as R[];
        } catch (err) {
          throw classifyPgError(err, where);
        }
      },
      async tx(statements: string[], signal?: AbortSignal): Promise<void> {
        signal?.throwIfAborted();
        let client: pg.PoolClient;
        try {
          client = await p.connect();
        } catch (err) {
          throw classifyPgError(err, where);
        }
        try {
          await client.query('BEGIN');
          for (const s of statements) await client.query(s);
          await client.query('COMMIT');
        } catch (err) {
          // The statement's error is what matters; a rollback on a broken connection may fail too.
          await client.query('ROLLBACK').catch(() => undefined);
          throw classifyPgError(err, where);
        } finally {
          client.release();
        }
      },
    };
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.end()));
  }
}
