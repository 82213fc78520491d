export type { PatchAndTransformOptions } from './function.ts';
export { PatchAndTransform, runPatchAndTransform } from './function.ts';
export type { ComposedTemplate, ConnectionDetail, Patch, PatchSet, ReadinessCheck, ResourcesInput, Transform } from './input.ts';
export type { Semantics } from './semantics.ts';
