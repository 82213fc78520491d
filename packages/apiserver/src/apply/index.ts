export { serverSideApply, trackUpdate } from './fieldmanager.ts';
export type { FieldSet, Path, PathElement } from './fieldpath.ts';
export { pathString } from './fieldpath.ts';
export { decodeManagedFields, encodeManagedFields, managerId } from './managed.ts';
export type { ApplyTypeInfo, TypeNode } from './types.ts';
export { builtinTypeInfo, typeInfoFromSchema } from './types.ts';
