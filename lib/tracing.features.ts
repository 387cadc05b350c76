import type { TracingFeature } from './config/tracing-feature.js';
import { devtoolsFeature } from './devtools/devtools.feature.js';
import { instrumentationFeature } from './instrumentation/instrumentation.feature.js';
import { metricsFeature } from './metrics/metrics.feature.js';
import { genAiFeature } from './genai/genai.feature.js';
import { loggingFeature } from './logging/logging.feature.js';
import { openTelemetryApiFeature } from './otel-api/otel-api.feature.js';

// Within each stage of the span pipeline, processors run in this order; export wrappers are
// applied in this order, each around the chain the previous one made (the last one sees
// spans first). Which stage a feature's processors join is named by its tokens, never by
// its place here.
export const TRACING_FEATURES: readonly TracingFeature[] = [
  devtoolsFeature,
  metricsFeature,
  genAiFeature,
  instrumentationFeature,
  loggingFeature,
  openTelemetryApiFeature,
];
