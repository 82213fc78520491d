/** Error codes render() throws. Branch on these, never on message text. */
export const RenderErrorCode = {
  /** The XR, Composition or observed resources given to render are unusable. */
  InvalidInput: 'ENGINE_RENDER_INVALID_INPUT',
  /** A pipeline step names a function the resolver does not know. */
  UnknownFunction: 'ENGINE_RENDER_UNKNOWN_FUNCTION',
  /** A function could not be called, timed out, or threw. */
  FunctionFailed: 'ENGINE_RENDER_FUNCTION_FAILED',
  /** A function returned a response that does not follow the protocol. */
  MalformedResponse: 'ENGINE_RENDER_MALFORMED_RESPONSE',
  /** A function returned a result of severity FATAL. */
  PipelineFatal: 'ENGINE_RENDER_PIPELINE_FATAL',
  /** A function kept changing its requirements. */
  RequirementsUnstable: 'ENGINE_RENDER_REQUIREMENTS_UNSTABLE',
  /** A credential, required resource or schema could not be looked up. */
  LookupFailed: 'ENGINE_RENDER_LOOKUP_FAILED',
  /** A desired composed resource cannot be applied (bad name, scope, owner). */
  InvalidComposed: 'ENGINE_RENDER_INVALID_COMPOSED',
} as const;

export type RenderErrorCode = (typeof RenderErrorCode)[keyof typeof RenderErrorCode];
