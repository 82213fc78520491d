/** Well-known pipeline context keys. */

/** The Composition environment, read and written by P&T and function-environment-configs. */
export const ENVIRONMENT_CONTEXT_KEY = 'apiextensions.crossplane.io/environment';
/** Where function-extra-resources style functions put extra resources. */
export const EXTRA_RESOURCES_CONTEXT_KEY = 'apiextensions.crossplane.io/extra-resources';
