export { postgresGroup, resolveConnection, sqlConfigKinds } from './config.ts';
export { crds } from './crds.ts';
export type { ConnectionInfo, Db } from './db.ts';
export { classifyPgError, PoolCache, quoteIdent, quoteLiteral } from './db.ts';
export { SqlCode } from './errors.ts';
export { databaseClient, grantClient, roleClient, scramMatches } from './kinds.ts';
export { definition, providerConfigKinds, sqlKinds } from './provider.ts';
