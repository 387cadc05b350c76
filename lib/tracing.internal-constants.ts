/** DI token of the validated, env-merged configuration (ResolvedTracingConfig). */
export const TRACING_CONFIG = Symbol('nestjs-tracing:config');

/** Per-request state stored on the raw Node request by the context middleware. */
export const REQUEST_STATE = Symbol.for('nestjs-tracing.request-state');

/** The app's registration with the process's integrations (`RegisteredHost`). */
export const TRACING_INTEGRATIONS = Symbol('nestjs-tracing:integrations');
