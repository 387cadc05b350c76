import type { TracingFeature } from '../config/tracing-feature.js';
import { SpanCollapse } from './span-collapse.js';

/**
 * The collapse rule, in every app: its processor stands in front of the export chain and
 * passes spans straight on (one check per span start and end) until a TracingInstrument
 * sees the SpanCollapse being created and configures it.
 */
export const instrumentationFeature: TracingFeature = {
  providers: [{ provide: SpanCollapse, useFactory: () => new SpanCollapse() }],
  exportWrapperToken: SpanCollapse,
};
