import { Module } from '@nestjs/common';
import { TracingModule } from 'nestjs-tracing';
import { HealthController } from '../common/health.controller.js';
import { tracingOptions } from '../tracing-options.js';
import { CatalogDatabase } from './catalog-database.js';
import { ProductsController } from './products.controller.js';
import { ProductsRepository } from './products.repository.js';
import { ProductsService } from './products.service.js';

/** The catalog service: product data for the gateway. */
@Module({
  imports: [TracingModule.forRoot(tracingOptions('catalog'))],
  controllers: [ProductsController, HealthController],
  providers: [
    // Nest waits for the database before it listens; it closes it on shutdown.
    { provide: CatalogDatabase, useFactory: () => CatalogDatabase.start() },
    ProductsService,
    ProductsRepository,
  ],
})
export class CatalogModule {}
