import type { ApplyLibrary, SchemaLibrary } from './contracts.ts';
import { standinApplyLibrary, standinSchemaLibrary } from './standins.ts';

/**
 * The schema and apply libraries the server uses. They are bound here, in one place, so the
 * stand-ins can be swapped for src/schema and src/apply as those land.
 */
export const schemaLibrary: SchemaLibrary = standinSchemaLibrary;
export const applyLibrary: ApplyLibrary = standinApplyLibrary;
