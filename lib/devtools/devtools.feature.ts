import type { Provider } from '@nestjs/common';
import type { TracingFeature } from '../config/tracing-feature.js';
import type { ResolvedTracingConfig } from '../config/tracing-config.js';
import { TRACING_CONFIG } from '../tracing.internal-constants.js';
import { DEVTOOLS_OPTIONS, DEVTOOLS_PROCESSORS } from './devtools.constants.js';
import { resolveDevtoolsOptions, type ResolvedDevtoolsOptions } from './devtools-options.js';
import { TraceStore } from './trace-store.js';
import { TracingDevtoolsMiddleware } from './tracing-devtools.middleware.js';
import { TracingDevtoolsService } from './tracing-devtools.service.js';

const providers: Provider[] = [
  {
    provide: DEVTOOLS_OPTIONS,
    // Validated here, at start-up: a bad `devtools` option stops the app with its name.
    useFactory: (config: ResolvedTracingConfig): ResolvedDevtoolsOptions | null =>
      (config.enabled && resolveDevtoolsOptions(config.options.devtools)) || null,
    inject: [TRACING_CONFIG],
  },
  {
    provide: TraceStore,
    useFactory: (options: ResolvedDevtoolsOptions | null): TraceStore | null =>
      options &&
      new TraceStore({
        maxTraces: options.maxTraces,
        maxSpansPerTrace: options.maxSpansPerTrace,
        ignorePath: options.path,
      }),
    inject: [DEVTOOLS_OPTIONS],
  },
  {
    provide: DEVTOOLS_PROCESSORS,
    useFactory: (store: TraceStore | null) => (store ? [store] : []),
    inject: [TraceStore],
  },
  TracingDevtoolsService,
];

/**
 * The trace viewer (`devtools` option): a store of recent traces fed by a span
 * processor, and a page with its JSON API served by the app under `devtools.path`.
 */
export const devtoolsFeature: TracingFeature = {
  providers,
  processorsToken: DEVTOOLS_PROCESSORS,
  // The page polls and streams: tracing it would fill the store with itself.
  ignoredRoutes(options) {
    const devtools = resolveDevtoolsOptions(options.devtools);
    return devtools === undefined ? [] : [devtools.path, `${devtools.path}/*`];
  },
  configure(consumer, config) {
    if (!config.enabled || config.options.devtools === undefined) return;
    if (config.options.devtools === false) return;
    // Every route, so one check covers the path on Express and Fastify alike; the
    // middleware passes other requests straight on.
    consumer.apply(TracingDevtoolsMiddleware).forRoutes('{*path}');
  },
};
