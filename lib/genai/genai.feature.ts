import { Tracer } from '../core/tracer.js';
import type { ResolvedTracingConfig } from '../config/tracing-config.js';
import { setGenAiMethodWrapper } from '../decorators/genai-method-hook.js';
import type { TracingFeature } from '../config/tracing-feature.js';
import { TRACING_CONFIG } from '../tracing.internal-constants.js';
import { traceGenAiMethod } from './genai-method.js';
import { GenAiPricing, resolveGenAiPricing, setGenAiPricing } from './genai-pricing.js';

// On load, not at start-up: `@Traced({ genAi })` wraps methods when their class is defined.
setGenAiMethodWrapper(traceGenAiMethod);

/** Validates `genAi` at start-up and gives the app's tracer its price table. */
export const genAiFeature: TracingFeature = {
  providers: [
    {
      provide: GenAiPricing,
      useFactory: (config: ResolvedTracingConfig, tracer: Tracer): GenAiPricing => {
        const pricing = resolveGenAiPricing(config.options.genAi);
        setGenAiPricing(tracer, pricing);
        return pricing;
      },
      inject: [TRACING_CONFIG, Tracer],
    },
  ],
};
