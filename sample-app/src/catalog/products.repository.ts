import { Injectable } from '@nestjs/common';
import { CatalogDatabase } from './catalog-database.js';
import type { Product } from './product.js';

interface ProductRow {
  sku: string;
  name: string;
  price_cents: number;
  stock: number;
}

/** Products from the catalog's PostgreSQL: each query is a database span (the pg integration). */
@Injectable()
export class ProductsRepository {
  constructor(private readonly database: CatalogDatabase) {}

  async findBySku(sku: string): Promise<Product | undefined> {
    const { rows } = await this.database.pool.query<ProductRow>(
      'SELECT sku, name, price_cents, stock FROM products WHERE sku = $1',
      [sku],
    );
    const row = rows[0];
    return row && { sku: row.sku, name: row.name, priceCents: row.price_cents, stock: row.stock };
  }
}
