import { applyLibrary as apply } from './apply/index.ts';
import type { ApplyLibrary, SchemaLibrary } from './contracts.ts';
import { compileVersionSchema, validateCrd } from './schema/index.ts';

/**
 * The schema and apply libraries the server uses, bound in one place: src/schema for CRD and
 * object validation, pruning and defaulting; src/apply for server-side apply and managedFields.
 */
export const schemaLibrary: SchemaLibrary = { validateCrd, compileVersionSchema };
export const applyLibrary: ApplyLibrary = apply;
