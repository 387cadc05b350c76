import { Injectable, NotFoundException } from '@nestjs/common';
import { Traced, TracingService } from 'nestjs-tracing';
import type { Product } from './product.js';
import { ProductsRepository } from './products.repository.js';

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
}
