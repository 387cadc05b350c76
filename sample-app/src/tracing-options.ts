import { appendFileSync } from 'node:fs';
import type { ExporterOption, TracingModuleOptions } from 'nestjs-tracing';
import { STREAM_ATTRIBUTES } from 'nestjs-tracing/http';
import { HOST, SERVICE_VERSION, servicePort, type ServiceName } from './config.js';

/** Where the gateway serves the trace viewer. */
export const VIEWER_PATH = '/_tracing';

/**
 * The tracing set-up both services share: a readable trace tree on stdout and, when
 * SPANS_JSON_FILE is set (the demo sets it), every span as a JSON line in that file so
 * another process can check what was traced.
 */
export function tracingOptions(
  serviceName: ServiceName,
  env: NodeJS.ProcessEnv = process.env,
): TracingModuleOptions {
  const exporters: ExporterOption[] = [
    {
      type: 'console',
      // Besides the defaults: the user, and the figures of streamed bodies (SSE).
      attributeKeys: [
        'user.id',
        // Database spans: which database, and the statement (literals replaced by ?).
        'db.system.name',
        'db.query.text',
        STREAM_ATTRIBUTES.kind,
        STREAM_ATTRIBUTES.chunks,
        STREAM_ATTRIBUTES.bytes,
        STREAM_ATTRIBUTES.timeToFirstByteMs,
        STREAM_ATTRIBUTES.durationMs,
        'gen_ai.request.model',
        'gen_ai.usage.input_tokens',
        'gen_ai.usage.output_tokens',
        'gen_ai.usage.cost',
      ],
    },
  ];
  const spansFile = env.SPANS_JSON_FILE;
  if (spansFile) {
    exporters.push({
      type: 'console',
      format: 'json',
      write: (text) => appendFileSync(spansFile, text),
    });
  }
  const gatewayPort = servicePort('gateway', env);
  if (serviceName === 'catalog' && gatewayPort !== 0) {
    // The catalog's spans go to the gateway's viewer too, so a request that crosses both
    // services shows as one trace there.
    exporters.push({
      type: 'otlp',
      protocol: 'http/json',
      url: env.TRACE_VIEWER_URL ?? `http://${HOST}:${gatewayPort}${VIEWER_PATH}/v1/traces`,
      // A development feed: when the gateway is gone, give up quickly rather than retry.
      batch: {
        scheduledDelayMs: 200,
        maxRetries: 1,
        retryInitialDelayMs: 100,
        shutdownTimeoutMs: 1000,
      },
    });
  }
  return {
    serviceName,
    serviceVersion: SERVICE_VERSION,
    environment: env.APP_ENV ?? 'development',
    exporters,
    ignoreRoutes: ['/health'],
    devtools: serviceName === 'gateway' ? { path: VIEWER_PATH } : undefined,
    // RED metrics at /metrics (Prometheus text) and a health summary at /tracing/health.
    metrics: true,
    health: true,
    genAi: { prices: { 'fake-llm-mini': { inputPerMillion: 150, outputPerMillion: 600 } } },
    // Readable log lines with the trace ids; each line is also an event on its span.
    logging: {
      format: 'pretty',
      spanEvents: true,
      level: env.LOG_LEVEL === 'warn' ? 'warn' : 'info',
    },
  };
}
