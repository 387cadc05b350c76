/** DI token of the resolved exporter instances (SpanExporter[]). */
export const TRACING_EXPORTERS = Symbol('nestjs-tracing:exporters');

/** Metadata key set by @Traced() on wrapped methods: the options they were traced with. */
export const TRACED_METADATA = 'nestjs-tracing:traced';
