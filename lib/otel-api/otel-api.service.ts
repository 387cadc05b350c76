import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ResolvedTracingConfig } from '../config/tracing-config.js';
import { Tracer } from '../core/tracer.js';
import { findPackage } from '../integrations/package-lookup.js';
import { invalidOption } from '../tracing.errors.js';
import { TRACING_CONFIG } from '../tracing.internal-constants.js';
import {
  openTelemetryApiBridge,
  type BridgeAttachment,
  type OpenTelemetryApiModule,
} from './bridge.js';

/**
 * Backs `@opentelemetry/api` with this app's tracing while the app runs (`openTelemetryApi`,
 * on by default when the app has the API 1.x installed): libraries and code that speak the
 * API join our traces. Attached when the module is built, before any app module's init hook.
 */
@Injectable()
export class OpenTelemetryApiService implements OnApplicationShutdown {
  private readonly logger = new Logger('TracingModule');
  private readonly attachment: BridgeAttachment | undefined;

  constructor(tracer: Tracer, @Inject(TRACING_CONFIG) config: ResolvedTracingConfig) {
    const option: unknown = config.options.openTelemetryApi;
    if (option !== undefined && typeof option !== 'boolean') {
      throw invalidOption('openTelemetryApi', 'a boolean', option);
    }
    if (!config.enabled || option === false) return;
    const found = findPackage('@opentelemetry/api');
    if (found === undefined) return;
    if (!found.version.startsWith('1.')) {
      this.logger.warn(
        `@opentelemetry/api ${found.version} is installed; the bridge supports 1.x: spans ` +
          'started through that API are not traced.',
      );
      return;
    }
    const api = found.load() as OpenTelemetryApiModule;
    this.attachment = openTelemetryApiBridge.attach(api, {
      tracer,
      propagator: config.propagator,
    });
    for (const conflict of this.attachment.conflicts) this.logger.warn(conflict);
  }

  onApplicationShutdown(): void {
    this.attachment?.detach();
  }
}
