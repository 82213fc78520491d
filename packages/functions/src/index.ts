export { AutoReady, healthCheckFor, runAutoReady } from './auto-ready/function.ts';
export { ENVIRONMENT_CONTEXT_KEY, EXTRA_RESOURCES_CONTEXT_KEY } from './context.ts';
export { EnvironmentConfigs, mergeMaps, runEnvironmentConfigs } from './environment-configs/function.ts';
export { FnErrorCode, GoError } from './errors.ts';
export type { GoTemplatingOptions } from './go-templating/function.ts';
export { GoTemplating, requestMap, runGoTemplating, templateFuncs } from './go-templating/function.ts';
export * from './gofmt/index.ts';
export { execute as executeTemplate, NO_VALUE, newTemplateSet } from './gotemplate/exec.ts';
export { sprigFuncs } from './gotemplate/sprig.ts';
export { marshalYamlV3 } from './gotemplate/yamlv3.ts';
export type { ConvertOptions, ConvertResult } from './legacy/convert.ts';
export { convertResourcesComposition, isResourcesMode } from './legacy/convert.ts';
export * from './patch-and-transform/index.ts';
export type {
  Capability,
  CompositionFunction,
  ConditionStatus,
  Credentials,
  FunctionCondition,
  JsonObject,
  Ready,
  RequestMeta,
  Requirements,
  Resource,
  ResourceSelector,
  Resources,
  ResponseMeta,
  Result,
  RunFunctionRequest,
  RunFunctionResponse,
  RunOptions,
  Schema,
  SchemaSelector,
  Severity,
  State,
  Target,
} from './protocol/types.ts';
export { copyTag, lazyTagMeta } from './protocol/types.ts';
export type { BuiltinKind, FunctionRef, RegistryOptions } from './registry.ts';
export { BuiltinKinds, builtinKindOf, FunctionRegistry, Memoized, requestHash } from './registry.ts';
export * from './remote/index.ts';
export { runSequencer, Sequencer } from './sequencer/function.ts';
