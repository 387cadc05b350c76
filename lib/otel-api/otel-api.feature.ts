import type { TracingFeature } from '../config/tracing-feature.js';
import { OpenTelemetryApiService } from './otel-api.service.js';

/** `@opentelemetry/api` backed by this app's tracer, context and propagators (`openTelemetryApi`). */
export const openTelemetryApiFeature: TracingFeature = {
  providers: [OpenTelemetryApiService],
};
