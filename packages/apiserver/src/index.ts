export type { ApplyLibrary, CauseReason, CompiledSchema, FieldCause, SchemaLibrary } from './contracts.ts';
export type { ApiServerOptions, RunningApiServer } from './server.ts';
export { SERVER_VERSION, startApiServer } from './server.ts';
export type { RecoveryStats, StoreOptions } from './store/store.ts';
export { Store } from './store/store.ts';
