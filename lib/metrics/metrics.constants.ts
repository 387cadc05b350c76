/** DI token of the metrics state of one app (ObservabilityState). */
export const OBSERVABILITY_STATE = Symbol('nestjs-tracing:observability-state');

/** DI token of the metrics feature's span processors (SpanProcessor[]). */
export const METRICS_PROCESSORS = Symbol('nestjs-tracing:metrics-processors');
