import type { Provider } from '@nestjs/common';
import { MultiSpanProcessor } from '../core/multi-span-processor.js';
import type { SpanProcessor } from '../core/span-processor.js';
import { Tracer } from '../core/tracer.js';
import type { TracingFeature } from '../nest/tracing.features.js';
import { CollapsingSpanProcessor } from './collapsing-span-processor.js';

const INSTRUMENTATION_PROCESSORS = Symbol('nestjs-tracing:instrumentation-processors');
const INSTRUMENTATION_LINK = Symbol('nestjs-tracing:instrumentation-link');

/**
 * The collapse rule's processor, in every app: idle (two empty calls per span) until a
 * TracingInstrument sees it being created and configures it. It is linked to the
 * processors after it, the exporters', once the tracer exists.
 */
const providers: Provider[] = [
  { provide: CollapsingSpanProcessor, useFactory: () => new CollapsingSpanProcessor() },
  {
    provide: INSTRUMENTATION_PROCESSORS,
    useFactory: (processor: CollapsingSpanProcessor): SpanProcessor[] => [processor],
    inject: [CollapsingSpanProcessor],
  },
  {
    provide: INSTRUMENTATION_LINK,
    useFactory: (tracer: Tracer, processor: CollapsingSpanProcessor): boolean => {
      const all = tracer.processor;
      if (!(all instanceof MultiSpanProcessor)) return false;
      const index = all.processors.indexOf(processor);
      if (index < 0) return false;
      processor.link(all.processors.slice(index + 1));
      return true;
    },
    inject: [Tracer, CollapsingSpanProcessor],
  },
];

export const instrumentationFeature: TracingFeature = {
  providers,
  processorsToken: INSTRUMENTATION_PROCESSORS,
};
