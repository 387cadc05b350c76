import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Traced } from 'nestjs-tracing';
import type { Order } from './order.js';

const ORDERS: readonly Order[] = [
  {
    id: 1,
    customer: 'ada',
    lines: [
      { sku: 'BOOK-001', quantity: 1 },
      { sku: 'MUG-002', quantity: 2 },
    ],
  },
  { id: 2, customer: 'grace', lines: [{ sku: 'PEN-003', quantity: 10 }] },
];

/** Stands in for the orders database. */
@Injectable()
export class OrdersRepository {
  @Traced('db.orders.findById', { attributes: { 'db.system.name': 'in-memory' } })
  async findById(id: number): Promise<Order | undefined> {
    await sleep(1 + Math.floor(Math.random() * 3));
    const order = ORDERS.find((o) => o.id === id);
    return order && structuredClone(order);
  }
}
