import { Controller, Get, Param } from '@nestjs/common';
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
}
