import { Controller, Get, Param, Sse, type MessageEvent } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import type { Product } from './product.js';
import { ProductsService } from './products.service.js';
import { SkuPipe } from './sku.pipe.js';

@Controller('products')
export class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get(':sku')
  findOne(@Param('sku', SkuPipe) sku: string): Promise<Product> {
    return this.products.findBySku(sku);
  }

  /** Server-sent events: a few stock updates, then the stream ends (and so does its span). */
  @Sse(':sku/stock-events')
  stockEvents(@Param('sku', SkuPipe) sku: string): Observable<MessageEvent> {
    return this.products.stockUpdates(sku).pipe(map((update) => ({ data: update })));
  }
}
