import type { HttpMapping } from '../mapping.ts';

/** The API group of provider-http's PowerDNS kinds. */
export const powerDnsGroup = 'powerdns.http.trellis.io';
const apiVersion = `${powerDnsGroup}/v1alpha1`;

/**
 * PowerDNS zones (Authoritative HTTP API v1). The ProviderConfig's baseUrl is the server URL,
 * e.g. `http://127.0.0.1:8081/api/v1/servers/localhost`, with header `X-API-Key: {{ credentials }}`.
 * The zone's identifier is its name (client-chosen), so an interrupted create is safe to repeat.
 * `serial`, `edited_serial` and the like are server-computed and never compared.
 */
export const zoneMapping: HttpMapping = {
  apiVersion,
  kind: 'Zone',
  externalName: 'client',
  name: '{{ spec.forProvider.name }}',
  observe: { method: 'GET', path: '/zones/{{ externalName }}', query: { rrsets: 'false' } },
  create: {
    method: 'POST',
    path: '/zones',
    body: {
      name: '{{ spec.forProvider.name }}',
      kind: '{{ spec.forProvider.kind }}',
      nameservers: '{{ spec.forProvider.nameservers }}',
      account: '{{ spec.forProvider.account }}',
      soa_edit_api: '{{ spec.forProvider.soaEditApi }}',
    },
    id: '$.id',
  },
  update: {
    method: 'PUT',
    path: '/zones/{{ externalName }}',
    body: {
      kind: '{{ spec.forProvider.kind }}',
      account: '{{ spec.forProvider.account }}',
      soa_edit_api: '{{ spec.forProvider.soaEditApi }}',
    },
  },
  delete: { method: 'DELETE', path: '/zones/{{ externalName }}' },
  fields: [
    { field: 'name', observed: '$.name', compare: 'fqdn', createOnly: true },
    { field: 'kind', observed: '$.kind', lateInit: true },
    { field: 'account', observed: '$.account', lateInit: true },
    { field: 'soaEditApi', observed: '$.soa_edit_api', lateInit: true },
    { field: 'nameservers', observed: '$.nameservers', createOnly: true },
  ],
  atProvider: { id: '$.id', serial: '$.serial', kind: '$.kind' },
};

/**
 * PowerDNS RRsets: a set of records of one name and type in a zone. RRsets have no identifier of
 * their own: the external name is `<zone>/<name>/<type>`, derived from the spec. The zone comes
 * from `spec.forProvider.zone`, or from a Zone managed resource through `zoneRef`/`zoneSelector`.
 * Records are compared as a set; `disabled` defaults to false.
 */
export const rrsetMapping: HttpMapping = {
  apiVersion,
  kind: 'RRset',
  externalName: 'client',
  name: '{{ spec.forProvider.zone }}/{{ spec.forProvider.name }}/{{ spec.forProvider.type }}',
  observe: {
    method: 'GET',
    path: '/zones/{{ spec.forProvider.zone }}',
    query: { rrsets: 'true', rrset_name: '{{ spec.forProvider.name }}', rrset_type: '{{ spec.forProvider.type }}' },
    select: '$.rrsets[0]',
  },
  create: {
    method: 'PATCH',
    path: '/zones/{{ spec.forProvider.zone }}',
    body: {
      rrsets: [
        {
          name: '{{ spec.forProvider.name }}',
          type: '{{ spec.forProvider.type }}',
          ttl: '{{ spec.forProvider.ttl }}',
          changetype: 'REPLACE',
          records: '{{ spec.forProvider.records }}',
        },
      ],
    },
  },
  update: {
    method: 'PATCH',
    path: '/zones/{{ spec.forProvider.zone }}',
    body: {
      rrsets: [
        {
          name: '{{ spec.forProvider.name }}',
          type: '{{ spec.forProvider.type }}',
          ttl: '{{ spec.forProvider.ttl }}',
          changetype: 'REPLACE',
          records: '{{ spec.forProvider.records }}',
        },
      ],
    },
  },
  delete: {
    method: 'PATCH',
    path: '/zones/{{ spec.forProvider.zone }}',
    body: { rrsets: [{ name: '{{ spec.forProvider.name }}', type: '{{ spec.forProvider.type }}', changetype: 'DELETE' }] },
    // Deleting from a zone that is already gone deletes nothing.
    notFound: [404, 422],
  },
  references: [{ field: 'spec.forProvider.zone', to: { apiVersion, kind: 'Zone' } }],
  fields: [
    { field: 'ttl', observed: '$.ttl', lateInit: true },
    { field: 'records', observed: '$.records', compare: 'set' },
  ],
  atProvider: { name: '$.name', type: '$.type', ttl: '$.ttl', records: '$.records' },
};
