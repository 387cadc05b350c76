import { appendFileSync } from 'node:fs';
import type { ExporterOption, TracingModuleOptions } from 'nestjs-tracing';
import { STREAM_ATTRIBUTES } from 'nestjs-tracing/http';
import { SERVICE_VERSION, type ServiceName } from './config.js';

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
        STREAM_ATTRIBUTES.kind,
        STREAM_ATTRIBUTES.chunks,
        STREAM_ATTRIBUTES.bytes,
        STREAM_ATTRIBUTES.timeToFirstByteMs,
        STREAM_ATTRIBUTES.durationMs,
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
  return {
    serviceName,
    serviceVersion: SERVICE_VERSION,
    environment: env.APP_ENV ?? 'development',
    exporters,
    ignoreRoutes: ['/health'],
  };
}
