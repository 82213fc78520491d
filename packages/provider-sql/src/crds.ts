import type { Schema } from '@trellis/runtime';
import { managedResourceCrd, providerConfigCrd, providerConfigUsageCrd, referenceSchemas } from '@trellis/runtime';
import type { KubeObject } from '@trellis/sdk';
import { postgresGroup } from './config.ts';

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const secretKeyRef: Schema = {
  type: 'object',
  required: ['name', 'namespace', 'key'],
  properties: { name: str, namespace: str, key: str },
};

const databaseForProvider: Schema = {
  type: 'object',
  properties: {
    owner: str,
    ...referenceSchemas('owner'),
    template: str,
    encoding: str,
    lcCollate: str,
    lcCType: str,
    tablespace: str,
    allowConnections: bool,
    connectionLimit: { type: 'integer', minimum: -1 },
    isTemplate: bool,
  },
};

const roleForProvider: Schema = {
  type: 'object',
  properties: {
    privileges: {
      type: 'object',
      properties: { superUser: bool, inherit: bool, createRole: bool, createDb: bool, login: bool, replication: bool, bypassRls: bool },
    },
    connectionLimit: { type: 'integer', minimum: -1 },
    passwordSecretRef: secretKeyRef,
    configurationParameters: {
      type: 'array',
      items: { type: 'object', required: ['name', 'value'], properties: { name: str, value: str } },
    },
  },
};

const grantForProvider: Schema = {
  type: 'object',
  properties: {
    role: str,
    ...referenceSchemas('role'),
    database: str,
    ...referenceSchemas('database'),
    memberOf: str,
    ...referenceSchemas('memberOf'),
    privileges: { type: 'array', items: { type: 'string', enum: ['CREATE', 'CONNECT', 'TEMPORARY', 'TEMP', 'ALL'] } },
    withOption: { type: 'string', enum: ['GRANT', 'ADMIN'] },
  },
};

const providerConfigSpec: Schema = {
  type: 'object',
  required: ['credentials'],
  properties: {
    credentials: {
      type: 'object',
      required: ['source', 'connectionSecretRef'],
      properties: {
        source: { type: 'string', enum: ['PostgreSQLConnectionSecret'] },
        connectionSecretRef: { type: 'object', required: ['name', 'namespace'], properties: { name: str, namespace: str } },
      },
    },
    defaultDatabase: str,
    sslMode: { type: 'string', enum: ['disable', 'require', 'verify-ca', 'verify-full'] },
  },
};

/** Crds returns every CRD provider-sql serves. */
export function crds(): KubeObject[] {
  return [
    providerConfigCrd(postgresGroup, providerConfigSpec),
    providerConfigUsageCrd(postgresGroup),
    managedResourceCrd({ group: postgresGroup, kind: 'Database', forProvider: databaseForProvider }),
    managedResourceCrd({ group: postgresGroup, kind: 'Role', forProvider: roleForProvider }),
    managedResourceCrd({ group: postgresGroup, kind: 'Grant', forProvider: grantForProvider }),
  ];
}
