import type { ObjectReader } from '@trellis/runtime';
import { getProviderConfig, permanentError, providerConfigKindsFor } from '@trellis/runtime';
import type { KubeObject, ObjectRef } from '@trellis/sdk';
import { describeRef, refOf, wrap } from '@trellis/sdk';
import type { ConnectionInfo } from './db.ts';
import { SqlCode } from './errors.ts';

/** The API group of provider-sql's PostgreSQL kinds and its ProviderConfig. */
export const postgresGroup = 'postgresql.sql.trellis.io';
export const sqlConfigKinds = providerConfigKindsFor(postgresGroup);

function decode(secret: KubeObject, key: string): string | undefined {
  const v = (secret.data as Record<string, string> | undefined)?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

/** ReadSecretKey reads one key of a Secret; a missing Secret or key is a permanent error naming the field. */
export async function readSecretKey(
  reader: ObjectReader,
  ref: { name?: string; namespace?: string; key?: string } | undefined,
  field: string,
  owner: string,
  signal?: AbortSignal,
): Promise<string> {
  if (ref?.name === undefined || ref.namespace === undefined || ref.key === undefined) {
    throw permanentError(SqlCode.InvalidSpec, `${owner}: ${field} needs name, namespace and key`, { details: { field } });
  }
  const sref: ObjectRef = { apiVersion: 'v1', kind: 'Secret', name: ref.name, namespace: ref.namespace };
  const s = await reader.get(sref, signal);
  if (s === undefined)
    throw permanentError(SqlCode.InvalidSpec, `${owner}: ${field}: ${describeRef(sref)} does not exist`, { details: { field } });
  const v = decode(s, ref.key);
  if (v === undefined)
    throw permanentError(SqlCode.InvalidSpec, `${owner}: ${field}: ${describeRef(sref)} has no key "${ref.key}"`, { details: { field } });
  return v;
}

/**
 * ResolveConnection reads a provider-sql ProviderConfig: `spec.credentials.connectionSecretRef`
 * names a Secret with `endpoint`, `port`, `username` and `password` (upstream provider-sql's keys);
 * `spec.defaultDatabase` (default `postgres`) and `spec.sslMode` (default `verify-full`).
 */
export async function resolveConnection(reader: ObjectReader, mr: KubeObject, signal?: AbortSignal): Promise<ConnectionInfo> {
  const pc = await getProviderConfig(reader, sqlConfigKinds, mr, signal);
  const who = describeRef(refOf(pc));
  const spec = (pc.spec ?? {}) as {
    credentials?: { source?: string; connectionSecretRef?: { name?: string; namespace?: string } };
    defaultDatabase?: string;
    sslMode?: string;
  };
  const ref = spec.credentials?.connectionSecretRef;
  if (spec.credentials?.source !== 'PostgreSQLConnectionSecret' || ref?.name === undefined || ref.namespace === undefined) {
    throw permanentError(
      SqlCode.InvalidConfig,
      `${who}: spec.credentials must have source PostgreSQLConnectionSecret and a connectionSecretRef with name and namespace`,
      {
        details: { field: 'spec.credentials' },
      },
    );
  }
  const sref: ObjectRef = { apiVersion: 'v1', kind: 'Secret', name: ref.name, namespace: ref.namespace };
  let secret: KubeObject | undefined;
  try {
    secret = await reader.get(sref, signal);
  } catch (err) {
    throw wrap(err, `${who}: cannot get ${describeRef(sref)}`);
  }
  if (secret === undefined) throw permanentError(SqlCode.InvalidConfig, `${who}: ${describeRef(sref)} does not exist`);
  const need = (k: string): string => {
    const v = decode(secret, k);
    if (v === undefined || v === '') throw permanentError(SqlCode.InvalidConfig, `${who}: ${describeRef(sref)} has no key "${k}"`);
    return v;
  };
  const port = Number(decode(secret, 'port') ?? '5432');
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw permanentError(SqlCode.InvalidConfig, `${who}: ${describeRef(sref)} key "port" is not a port number`);
  return {
    host: need('endpoint'),
    port,
    user: need('username'),
    password: decode(secret, 'password') ?? '',
    database: spec.defaultDatabase ?? 'postgres',
    sslMode: spec.sslMode ?? 'verify-full',
  };
}
