import { Injectable, NotFoundException } from '@nestjs/common';
import { defer, interval, map, switchMap, take, type Observable } from 'rxjs';
import { Traced, TracingService } from 'nestjs-tracing';
import type { Product, StockUpdate } from './product.js';
import { ProductsRepository } from './products.repository.js';

const STOCK_UPDATES = 3;
const STOCK_UPDATE_INTERVAL_MS = 25;

@Injectable()
export class ProductsService {
  constructor(
    private readonly products: ProductsRepository,
    private readonly tracing: TracingService,
  ) {}

  @Traced()
  async findBySku(sku: string): Promise<Product> {
    const product = await this.products.findBySku(sku);
    if (product === undefined) throw new NotFoundException(`No product with SKU ${sku}`);
    this.tracing.setAttributes({ 'catalog.product.in_stock': product.stock > 0 });
    return product;
  }

  /** A few stock updates of one product, as a warehouse feed would send them. */
  @Traced()
  stockUpdates(sku: string): Observable<StockUpdate> {
    return defer(() => this.findBySku(sku)).pipe(
      switchMap((product) =>
        interval(STOCK_UPDATE_INTERVAL_MS).pipe(
          take(STOCK_UPDATES),
          map((i) => ({ sku, stock: Math.max(0, product.stock - i), update: i + 1 })),
        ),
      ),
    );
  }
}
