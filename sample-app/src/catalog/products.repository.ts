import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Traced } from 'nestjs-tracing';
import type { Product } from './product.js';

const PRODUCTS: readonly Product[] = [
  { sku: 'BOOK-001', name: 'Distributed Tracing in Practice', priceCents: 3990, stock: 12 },
  { sku: 'MUG-002', name: 'Trace-all-the-things mug', priceCents: 1250, stock: 40 },
  { sku: 'PEN-003', name: 'Span pen', priceCents: 199, stock: 0 },
];

/** Stands in for a database: every call is a span, with a little latency. */
@Injectable()
export class ProductsRepository {
  @Traced('db.products.findBySku', { attributes: { 'db.system.name': 'in-memory' } })
  async findBySku(sku: string): Promise<Product | undefined> {
    await sleep(2 + Math.floor(Math.random() * 4));
    const product = PRODUCTS.find((p) => p.sku === sku);
    return product && { ...product };
  }
}
