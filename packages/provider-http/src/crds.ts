import type { Schema } from '@trellis/runtime';
import { credentialsSchema, managedResourceCrd, providerConfigCrd, providerConfigUsageCrd, referenceSchemas } from '@trellis/runtime';
import type { KubeObject } from '@trellis/sdk';
import { httpProviderGroup } from './client.ts';
import { alertmanagerGroup } from './mappings/alertmanager.ts';
import { powerDnsGroup } from './mappings/powerdns.ts';

const str: Schema = { type: 'string' };

const zoneForProvider: Schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      description: 'Zone name, fully qualified with the trailing dot (example.test.).',
      pattern: '^[A-Za-z0-9_.-]+\\.$',
    },
    kind: { type: 'string', enum: ['Native', 'Master', 'Slave', 'Producer', 'Consumer'] },
    nameservers: { type: 'array', items: str, description: 'Sent on create only.' },
    account: str,
    soaEditApi: str,
  },
};

const rrsetForProvider: Schema = {
  type: 'object',
  required: ['name', 'type', 'records'],
  properties: {
    zone: { type: 'string', description: 'Zone identifier; or use zoneRef / zoneSelector to take it from a Zone.' },
    ...referenceSchemas('zone'),
    name: { type: 'string', description: 'Owner name, fully qualified (www.example.test.).' },
    type: { type: 'string', pattern: '^[A-Z0-9]+$' },
    ttl: { type: 'integer', minimum: 0 },
    records: {
      type: 'array',
      items: { type: 'object', required: ['content'], properties: { content: str, disabled: { type: 'boolean' } } },
    },
  },
};

const silenceForProvider: Schema = {
  type: 'object',
  required: ['matchers', 'endsAt', 'createdBy', 'comment'],
  properties: {
    matchers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'value'],
        properties: { name: str, value: str, isRegex: { type: 'boolean', default: false }, isEqual: { type: 'boolean' } },
      },
    },
    startsAt: { type: 'string', format: 'date-time' },
    endsAt: { type: 'string', format: 'date-time' },
    createdBy: str,
    comment: str,
  },
};

const providerConfigSpec: Schema = {
  type: 'object',
  required: ['baseUrl'],
  properties: {
    baseUrl: { type: 'string', description: 'Base URL every request path is appended to.' },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Headers sent with every request; values may use {{ credentials }}.',
    },
    credentials: credentialsSchema,
  },
};

/** Crds returns every CRD provider-http serves. */
export function crds(): KubeObject[] {
  return [
    providerConfigCrd(httpProviderGroup, providerConfigSpec),
    providerConfigUsageCrd(httpProviderGroup),
    managedResourceCrd({ group: powerDnsGroup, kind: 'Zone', forProvider: zoneForProvider }),
    managedResourceCrd({ group: powerDnsGroup, kind: 'RRset', plural: 'rrsets', forProvider: rrsetForProvider }),
    managedResourceCrd({ group: alertmanagerGroup, kind: 'Silence', forProvider: silenceForProvider }),
  ];
}
