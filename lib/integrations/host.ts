import type { ResolvedTracingConfig } from '../config/tracing-config.js';
import type { TraceContext } from '../core/trace-context.js';
import type { Tracer } from '../core/tracer.js';
import type { Span } from '../core/types.js';
import type { HeaderSink, IntegrationHost } from './integration.js';

/** The integrations' view of one app: its tracer, propagators, correlation header and switches. */
export function createIntegrationHost(
  tracer: Tracer,
  config: ResolvedTracingConfig,
): IntegrationHost {
  const correlationHeader = config.correlationRequestHeaders[0];
  return {
    tracer,
    settings: config.integrations,
    inject(
      context: TraceContext,
      span: Span,
      sink: HeaderSink,
      has: (name: string) => boolean,
    ): void {
      config.propagator.inject(
        { spanContext: span.spanContext(), baggage: context.baggage },
        {},
        {
          set: (_carrier, key, value) => {
            if (!has(key)) sink(key, value);
          },
        },
      );
      if (context.correlationId !== undefined && correlationHeader !== undefined) {
        if (!has(correlationHeader)) sink(correlationHeader, context.correlationId);
      }
    },
  };
}
