import { Module, type DynamicModule } from '@nestjs/common';
import { TracingModule } from 'nestjs-tracing';
import { TracedHttpModule } from 'nestjs-tracing/http';
import { HealthController } from '../common/health.controller.js';
import { tracingOptions } from '../tracing-options.js';
import { AuthGuard } from './auth.guard.js';
import { CATALOG_URL, CatalogClient } from './catalog.client.js';
import { OrdersController } from './orders.controller.js';
import { OrdersRepository } from './orders.repository.js';
import { OrdersService } from './orders.service.js';
import { PaymentsService } from './payments.service.js';
import { FakeLlmService } from './fake-llm.service.js';
import { LlmController } from './llm.controller.js';

export interface GatewayOptions {
  /** Base URL of the catalog service, e.g. http://127.0.0.1:3001 */
  catalogUrl: string;
}

const CATALOG_TIMEOUT_MS = 3_000;

/** The public-facing service: orders, priced by calling the catalog. */
@Module({})
export class GatewayModule {
  static register(options: GatewayOptions): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        TracingModule.forRoot(tracingOptions('gateway')),
        // HttpModule.register's options, plus what to record about each call.
        TracedHttpModule.register({
          baseURL: options.catalogUrl,
          timeout: CATALOG_TIMEOUT_MS,
          headers: { accept: 'application/json' },
          tracing: { records: { max: 50 } },
        }),
      ],
      controllers: [OrdersController, LlmController, HealthController],
      providers: [
        { provide: CATALOG_URL, useValue: options.catalogUrl },
        CatalogClient,
        OrdersRepository,
        OrdersService,
        PaymentsService,
        AuthGuard,
        FakeLlmService,
      ],
    };
  }
}
