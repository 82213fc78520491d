import type { ApplyLibrary, SchemaLibrary } from './contracts.ts';
import { compileVersionSchema, validateCrd } from './schema/index.ts';
import { standinApplyLibrary } from './standins.ts';

/**
 * The schema and apply libraries the server uses, bound in one place: src/schema for CRD and
 * object validation, pruning and defaulting; the apply stand-in until src/apply lands.
 */
export const schemaLibrary: SchemaLibrary = { validateCrd, compileVersionSchema };
export const applyLibrary: ApplyLibrary = standinApplyLibrary;
