// controllers, apply, status, metrics, startEngine (engine-controllers)
export type { ApplyOutcome } from './apply/applier.ts';
export { applyComposed, deleteComposed } from './apply/applier.ts';
export type { ApplyDecision, LastApplied } from './apply/decide.ts';
export { AppliedHashAnnotation, ApplyReason, decideApply } from './apply/decide.ts';
export { DependenciesAnnotation, decodeDependencies, encodeDependencies, planGarbage } from './apply/inventory.ts';
export { composedFieldManager, FieldOwner } from './apply/managers.ts';
export type { ApplyPlan, Dependencies } from './apply/order.ts';
export { planApply, planDeletion } from './apply/order.ts';
export { ClaimFinalizer, ClaimReconciler } from './controllers/claim/reconciler.ts';
export type { ComposeInput, ComposeOutput, Composer } from './controllers/composite/composer.ts';
export { CompositeReconciler } from './controllers/composite/reconciler.ts';
export { renderComposer } from './controllers/composite/render-composer.ts';
export type { FunctionCatalog } from './controllers/composition/reconciler.ts';
export { CompositionReconciler, functionNames, RevisionValidator } from './controllers/composition/reconciler.ts';
export type { ControllerEngine, CrdRenderer } from './controllers/definition/reconciler.ts';
export { DefinitionReconciler } from './controllers/definition/reconciler.ts';
export type { Controller, ControllerSpec, QueueFactory } from './controllers/runtime/manager.ts';
export { ControllerManager } from './controllers/runtime/manager.ts';
export type { Engine, EngineFunctions, EngineOptions, InstalledFunctionsOptions } from './engine.ts';
export { registryFunctions, startEngine } from './engine.ts';
export type { Connection, FunctionEndpoint, PackagedFunctionsOptions } from './functions/packaged.ts';
export {
  AnnotationFunctionRuntime,
  activeRevision,
  CapabilityComposition,
  capabilitiesContain,
  endpointOf,
  FunctionErrorCode,
  FunctionRevisionType,
  FunctionType,
  isDevelopment,
  LabelParentPackage,
  loadFunctionTls,
  missingCapabilities,
  PackagedFunctions,
  RuntimeDevelopment,
  revisionsOf,
} from './functions/packaged.ts';
export type { EngineMetrics } from './metrics/engine-metrics.ts';
export { instrumentFunction, instrumentKubeClient, newEngineMetrics } from './metrics/engine-metrics.ts';
export type { MetricsServer } from './metrics/http.ts';
export { MetricsContentType, metricsHandler, serveMetrics } from './metrics/http.ts';
export type { Counter, Gauge, Histogram, Registry } from './metrics/registry.ts';
export { newRegistry } from './metrics/registry.ts';
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
export type { GoResolved } from './render/goyaml.ts';
export { compareKeys, formatFloatG, formatNumber, marshalGoYaml, resolveGoPlain } from './render/goyaml.ts';
export { parseGoYamlDocuments, parseGoYamlValue } from './render/goyaml-parse.ts';
export type { PreparedComposite, RenderOutputOptions } from './render/output.ts';
export {
  checkObservedResources,
  checkRenderInputs,
  isPaused,
  mergeOverride,
  pausedOutput,
  prepareComposite,
  RENDER_CONDITION_TIME,
  renderOutput,
  replaceConditionTimes,
} from './render/output.ts';
export type { LegacyConverter, PipelineStep } from './render/pipeline.ts';
export { convertLegacy, pipelineOf } from './render/pipeline.ts';
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
export type { RevisionPlan } from './revision/revision.ts';
export {
  compositionHash,
  compositionRevisions,
  latestRevision,
  newCompositionRevision,
  planRevisions,
  RevisionErrorCode,
  revisionName,
  revisionNumber,
  typedCompositionSpec,
} from './revision/revision.ts';
export type { RevisionChoice, Selection, SelectionFields, XrSchema } from './select/select.ts';
export {
  checkCompatible,
  checkValidPipeline,
  chooseRevision,
  SelectErrorCode,
  selectComposition,
  selectionFieldsOf,
  selectRevisionSelector,
  setSelectionFields,
} from './select/select.ts';
export { newKubeEventRecorder } from './status/events.ts';
export type { PipelineResult } from './status/results.ts';
export { PipelineResultsField } from './status/results.ts';
export { apiextensionsCrds } from './xcrd/api-crds.ts';
export {
  CategoryClaim,
  CategoryComposite,
  claimNamesProblem,
  claimPrinterColumns,
  claimSpecProps,
  compositePrinterColumns,
  compositeSpecProps,
  compositeStatusProps,
  defaultXrd,
  forCompositeResource,
  forCompositeResourceClaim,
  XcrdErrorCode,
} from './xcrd/crd.ts';
export { applyXrdDefaults } from './xcrd/defaults.ts';
export { xcrdRenderer } from './xcrd/renderer.ts';
export { CompositeResourceScope, compositeSchemaOf, scopeOf } from './xcrd/scope.ts';
export type { FieldError } from './xcrd/validate.ts';
export { assertValidXrd, formatFieldError, validateXrd } from './xcrd/validate.ts';
