/** DI token of the resolved `devtools` option (ResolvedDevtoolsOptions, or null when off). */
export const DEVTOOLS_OPTIONS = Symbol('nestjs-tracing:devtools:options');

/** DI token of the devtools span processors (the trace store, or none when off). */
export const DEVTOOLS_PROCESSORS = Symbol('nestjs-tracing:devtools:processors');
