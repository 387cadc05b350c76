/** DI token of the log exporter instances (LogExporter[]), in `logging.exporters` order. */
export const LOG_EXPORTERS = Symbol('nestjs-tracing:log-exporters');
