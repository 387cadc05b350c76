import type { Provider } from '@nestjs/common';
import { Tracer } from '../core/tracer.js';
import type { SpanProcessor } from '../core/span-processor.js';
import type { ResolvedTracingConfig } from '../config/tracing-config.js';
import type { TracingFeature } from '../config/tracing-feature.js';
import { TRACING_CONFIG } from '../tracing.internal-constants.js';
import { BatchLogProcessor } from './batch-log-processor.js';
import { LogPipeline, registerLogPipeline } from './log-pipeline.js';
import type { LogExporter } from '../core/log-record.js';
import {
  createLogExporter,
  resolveLoggingConfig,
  type ResolvedLoggingConfig,
} from './logging-config.js';
import { LOG_EXPORTERS } from './logging.constants.js';
import { SpanLogProcessor } from './span-log-processor.js';
import { TraceLogger } from './trace-logger.js';

const LOGGING_RUNTIME = Symbol('nestjs-tracing:logging-runtime');
const LOGGING_SPAN_PROCESSORS = Symbol('nestjs-tracing:logging-span-processors');

/**
 * The logging config and its exporters' queues, made before the tracer (whose processors
 * include the queues shipping spans as log lines) and before the pipeline that owns them.
 */
class LoggingRuntime {
  readonly exporters: LogExporter[] = [];
  readonly processors: BatchLogProcessor[] = [];
  readonly spanProcessors: SpanProcessor[] = [];
  private pipeline: LogPipeline | undefined;

  constructor(readonly config: ResolvedLoggingConfig) {}

  /** Failures of the log queues go to the local destination only, never through an exporter. */
  readonly report = (_kind: string, message: string): void => {
    if (this.pipeline !== undefined) this.pipeline.writeInternal('warn', message);
    else process.stderr.write(`${message}\n`);
  };

  attach(pipeline: LogPipeline): void {
    this.pipeline = pipeline;
  }
}

async function createRuntime(tracing: ResolvedTracingConfig): Promise<LoggingRuntime> {
  const runtime = new LoggingRuntime(resolveLoggingConfig(tracing.options.logging));
  // Disabled tracing keeps the logger writing lines, without ids and without exporters.
  if (!tracing.enabled) return runtime;
  const { exporters, batch } = runtime.config;
  for (let i = 0; i < exporters.length; i++) {
    const entry = await createLogExporter(exporters[i]!, i, (m) => runtime.report('rejected', m));
    const options = { ...batch, ...entry.batch, level: entry.level };
    runtime.exporters.push(entry.exporter);
    runtime.processors.push(new BatchLogProcessor(entry.exporter, options, runtime.report));
    if (entry.spans) {
      runtime.spanProcessors.push(new SpanLogProcessor(entry.exporter, options, runtime.report));
    }
  }
  return runtime;
}

const providers: Provider[] = [
  {
    provide: LOGGING_RUNTIME,
    useFactory: createRuntime,
    inject: [TRACING_CONFIG],
  },
  {
    provide: LOGGING_SPAN_PROCESSORS,
    useFactory: (runtime: LoggingRuntime) => runtime.spanProcessors,
    inject: [LOGGING_RUNTIME],
  },
  {
    provide: LOG_EXPORTERS,
    useFactory: (runtime: LoggingRuntime) => runtime.exporters,
    inject: [LOGGING_RUNTIME],
  },
  {
    provide: LogPipeline,
    useFactory: (runtime: LoggingRuntime, tracer: Tracer) => {
      const { config } = runtime;
      const pipeline = new LogPipeline({
        resource: tracer.resource,
        level: config.level,
        format: config.format,
        destination: config.destination,
        maxBufferedLines: config.maxBufferedLines,
        spanEvents: config.spanEvents,
        redactKeys: config.redactKeys,
        processors: runtime.processors,
        spanProcessors: runtime.spanProcessors,
        beforeShutdown: () => tracer.processor.forceFlush(),
      });
      runtime.attach(pipeline);
      registerLogPipeline(tracer, pipeline);
      return pipeline;
    },
    inject: [LOGGING_RUNTIME, Tracer],
  },
  TraceLogger,
];

/**
 * Correlated logs: the TraceLogger (inject it, or `app.useLogger(app.get(TraceLogger))`),
 * run contexts' log lines, and the log exporters, whose queues flush on app shutdown.
 */
export const loggingFeature: TracingFeature = {
  providers,
  // Spans shipped as log lines are exported spans: they go where the exporters' go.
  exportProcessorsToken: LOGGING_SPAN_PROCESSORS,
};
