import { Injectable, NotFoundException } from '@nestjs/common';
import { defer, switchMap, type Observable } from 'rxjs';
import { Traced } from 'nestjs-tracing';
import { CatalogClient } from './catalog.client.js';
import type { Order, OrderDetails } from './order.js';
import type { StockUpdate } from './product.js';
import { OrdersRepository } from './orders.repository.js';
import { PaymentsService } from './payments.service.js';

/** Every public method is a span (`OrdersService.findOne`, ...). */
@Traced()
@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly catalog: CatalogClient,
    private readonly payments: PaymentsService,
  ) {}

  async findOne(id: number): Promise<Order> {
    const order = await this.orders.findById(id);
    if (order === undefined) throw new NotFoundException(`No order with id ${id}`);
    return order;
  }

  /** The order with each line priced by the catalog service (one HTTP call per line). */
  async details(id: number): Promise<OrderDetails> {
    const order = await this.findOne(id);
    const lines = await Promise.all(
      order.lines.map(async (line) => {
        const product = await this.catalog.getProduct(line.sku);
        return {
          ...line,
          name: product.name,
          unitPriceCents: product.priceCents,
          inStock: product.stock >= line.quantity,
        };
      }),
    );
    const totalCents = lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);
    return { id: order.id, customer: order.customer, lines, totalCents };
  }

  /** Stock updates of the order's first product, streamed from the catalog. */
  watchStock(id: number): Observable<StockUpdate> {
    return defer(() => this.findOne(id)).pipe(
      switchMap((order) => this.catalog.stockUpdates(order.lines[0]!.sku)),
    );
  }

  async pay(id: number): Promise<never> {
    const order = await this.findOne(id);
    return this.payments.charge(order);
  }
}
