export type { ApplyLibrary, CauseReason, CompiledSchema, FieldCause, SchemaLibrary } from './contracts.ts';
// The schema library (CRD validation, pruning, defaulting, CEL) for offline use: `trellis validate`.
export type { FieldError, ObjectMetaOptions } from './schema/index.ts';
export { compileVersionSchema, nameIsDNSSubdomain, toCause, VersionSchema, validateCrd, validateObjectMeta } from './schema/index.ts';
export type { ApiServerOptions, RunningApiServer } from './server.ts';
export { SERVER_VERSION, startApiServer } from './server.ts';
export type { RecoveryStats, StoreOptions } from './store/store.ts';
export { Store } from './store/store.ts';
