import type { ManagedKind, ObjectReader, ProviderDefinition } from '@trellis/runtime';
import type { ExternalClient, KubeObject } from '@trellis/sdk';
import { postgresGroup, resolveConnection, sqlConfigKinds } from './config.ts';
import { crds } from './crds.ts';
import type { Db } from './db.ts';
import { PoolCache } from './db.ts';
import { databaseClient, grantClient, roleClient } from './kinds.ts';

const apiVersion = `${postgresGroup}/v1alpha1`;

/** SqlKinds returns provider-sql's managed kinds, sharing one pool cache. */
export function sqlKinds(reader: ObjectReader, pools: PoolCache = new PoolCache()): ManagedKind[] {
  const connector = (make: (db: Db) => ExternalClient) => ({
    async connect(mr: KubeObject, o: { signal: AbortSignal }) {
      return make(pools.db(await resolveConnection(reader, mr, o.signal)));
    },
  });
  const roleRef = { apiVersion, kind: 'Role' };
  const databaseRef = { apiVersion, kind: 'Database' };
  return [
    {
      apiVersion,
      kind: 'Role',
      externalName: 'client',
      connector: connector((db) => roleClient(db, reader)),
    },
    {
      apiVersion,
      kind: 'Database',
      externalName: 'client',
      connector: connector(databaseClient),
      references: [{ field: 'spec.forProvider.owner', to: roleRef }],
    },
    {
      apiVersion,
      kind: 'Grant',
      externalName: 'client',
      connector: connector(grantClient),
      references: [
        { field: 'spec.forProvider.role', to: roleRef },
        { field: 'spec.forProvider.database', to: databaseRef },
        { field: 'spec.forProvider.memberOf', to: roleRef },
      ],
    },
  ];
}

/** The ProviderConfig kinds of provider-sql. */
export const providerConfigKinds = sqlConfigKinds;

const pools = new PoolCache();

/** Definition is provider-sql as the runtime runs it (one pool cache per process). */
export const definition: ProviderDefinition = {
  name: 'provider-sql',
  crds,
  providerConfig: sqlConfigKinds,
  kinds: (ctx) => sqlKinds(ctx.reader, pools),
  close: () => pools.close(),
};
