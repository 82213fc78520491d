// render, names (engine-render)
export {
  AnnotationCompositionResourceName,
  AnnotationDependsOn,
  AnnotationPaused,
  childName,
  isValidName,
  LabelClaimName,
  LabelClaimNamespace,
  LabelComposite,
  LabelCompositionHash,
  LabelCompositionName,
  nameProblems,
  parseDependsOn,
  renderUid,
} from './names/names.ts';
export { dependencyMap, findDependencies } from './render/dependencies.ts';
export { RenderErrorCode } from './render/errors.ts';
export { compareKeys, formatNumber, marshalGoYaml } from './render/goyaml.ts';
export type { LegacyConverter, PipelineStep } from './render/pipeline.ts';
export { pipelineOf } from './render/pipeline.ts';
export type { RenderOptions } from './render/render.ts';
export { compositeConditions, MaxRequirementsIterations, render, stableNAndSomeMore } from './render/render.ts';
export { checkResponse } from './render/response.ts';
export { requestTag } from './render/tag.ts';
export type {
  ComposedDependency,
  CompositeSchema,
  CredentialsLookup,
  DesiredComposed,
  FunctionResolver,
  ObservedComposed,
  RenderEvent,
  RenderInput,
  RenderResult,
  RequiredResourcesLookup,
  RequiredSchemasLookup,
  StepResult,
  TargetedCondition,
} from './render/types.ts';
