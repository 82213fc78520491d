export { serverSideApply, trackUpdate } from './fieldmanager.ts';
export type { FieldSet, Path, PathElement } from './fieldpath.ts';
export { pathString } from './fieldpath.ts';
export { decodeManagedFields, encodeManagedFields, managerId } from './managed.ts';
export type { ApplyTypeInfo, TypeNode } from './types.ts';
export { builtinTypeInfo, typeInfoFromSchema } from './types.ts';

import type { ApplyLibrary } from '../contracts.ts';
import { serverSideApply as apply, trackUpdate as track } from './fieldmanager.ts';
import { builtinTypeInfo as builtin, typeInfoFromSchema as fromSchema } from './types.ts';

/** ApplyLibrary is this module bound to the core's contract (src/contracts.ts). */
export const applyLibrary: ApplyLibrary = {
  serverSideApply: apply,
  trackUpdate: track,
  typeInfoFromSchema: (schema) => fromSchema(schema),
  builtinTypeInfo: builtin,
};
