import { Module } from '@nestjs/common';
import { TracingModule } from 'nestjs-tracing';
import { HealthController } from '../common/health.controller.js';
import { tracingOptions } from '../tracing-options.js';
import { ProductsController } from './products.controller.js';
import { ProductsRepository } from './products.repository.js';
import { ProductsService } from './products.service.js';

/** The catalog service: product data for the gateway. */
@Module({
  imports: [TracingModule.forRoot(tracingOptions('catalog'))],
  controllers: [ProductsController, HealthController],
  providers: [ProductsService, ProductsRepository],
})
export class CatalogModule {}
