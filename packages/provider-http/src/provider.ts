import type { ManagedKind, ObjectReader, ProviderDefinition } from '@trellis/runtime';
import type { HttpClientOptions } from './client.ts';
import { httpConfigKinds, newHttpConnector } from './client.ts';
import { crds } from './crds.ts';
import type { HttpMapping } from './mapping.ts';
import { silenceMapping } from './mappings/alertmanager.ts';
import { rrsetMapping, zoneMapping } from './mappings/powerdns.ts';

/** The mappings provider-http ships. */
export const mappings: readonly HttpMapping[] = [zoneMapping, rrsetMapping, silenceMapping];

/** HttpKind turns a mapping into a managed kind for the runtime. */
export function httpKind(mapping: HttpMapping, reader: ObjectReader, opts: HttpClientOptions = {}): ManagedKind {
  return {
    apiVersion: mapping.apiVersion,
    kind: mapping.kind,
    connector: newHttpConnector(mapping, reader, opts),
    externalName: mapping.externalName,
    lookup: mapping.lookup !== undefined,
    ...(mapping.references === undefined ? {} : { references: mapping.references }),
  };
}

/** The ProviderConfig kinds of provider-http. */
export const providerConfigKinds = httpConfigKinds;

/** Definition is provider-http as the runtime runs it. */
export const definition: ProviderDefinition = {
  name: 'provider-http',
  crds,
  providerConfig: httpConfigKinds,
  kinds: (ctx) => mappings.map((m) => httpKind(m, ctx.reader)),
};
