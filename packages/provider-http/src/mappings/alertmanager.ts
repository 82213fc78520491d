import type { HttpMapping } from '../mapping.ts';

/** The API group of provider-http's Alertmanager kinds. */
export const alertmanagerGroup = 'alertmanager.http.trellis.io';

/**
 * Alertmanager silences (API v2). The ProviderConfig's baseUrl is e.g.
 * `http://127.0.0.1:9093/api/v2`. The identifier is a UUID the server assigns, and an update
 * that changes the matchers expires the old silence and mints a new identifier, which the runtime
 * persists. Deleting expires a silence (it stays listed): expired counts as gone.
 *
 * Identity: `createdBy` together with `comment` must be unique among active silences. Lookup by
 * that pair is how the runtime finds a silence whose identifier was lost (a crash right after
 * create, or after an update minted a new one), and how an existing silence is adopted.
 */
export const silenceMapping: HttpMapping = {
  apiVersion: `${alertmanagerGroup}/v1alpha1`,
  kind: 'Silence',
  externalName: 'server',
  observe: { method: 'GET', path: '/silence/{{ externalName }}', gone: { path: '$.status.state', in: ['expired'] } },
  create: {
    method: 'POST',
    path: '/silences',
    body: {
      matchers: '{{ spec.forProvider.matchers }}',
      startsAt: '{{ spec.forProvider.startsAt ?? now }}',
      endsAt: '{{ spec.forProvider.endsAt }}',
      createdBy: '{{ spec.forProvider.createdBy }}',
      comment: '{{ spec.forProvider.comment }}',
    },
    id: '$.silenceID',
  },
  update: {
    method: 'POST',
    path: '/silences',
    body: {
      id: '{{ externalName }}',
      matchers: '{{ spec.forProvider.matchers }}',
      startsAt: '{{ spec.forProvider.startsAt ?? now }}',
      endsAt: '{{ spec.forProvider.endsAt }}',
      createdBy: '{{ spec.forProvider.createdBy }}',
      comment: '{{ spec.forProvider.comment }}',
    },
    id: '$.silenceID',
  },
  delete: { method: 'DELETE', path: '/silence/{{ externalName }}' },
  lookup: {
    request: { method: 'GET', path: '/silences' },
    items: '$[*]',
    match: { '$.createdBy': '{{ spec.forProvider.createdBy }}', '$.comment': '{{ spec.forProvider.comment }}' },
    id: '$.id',
    exclude: { path: '$.status.state', in: ['expired'] },
  },
  fields: [
    { field: 'matchers', observed: '$.matchers', compare: 'set' },
    { field: 'endsAt', observed: '$.endsAt', compare: 'time' },
    // The server moves a start in the past to "now": sent on create, never compared.
    { field: 'startsAt', observed: '$.startsAt', createOnly: true, lateInit: true },
    { field: 'createdBy', observed: '$.createdBy' },
    { field: 'comment', observed: '$.comment' },
  ],
  atProvider: { id: '$.id', state: '$.status.state', updatedAt: '$.updatedAt' },
  ready: { path: '$.status.state', in: ['active'], message: 'the silence is not active yet (startsAt is in the future)' },
};
