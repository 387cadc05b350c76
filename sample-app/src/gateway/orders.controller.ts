import {
  Controller,
  Get,
  Param,
  ParseIntPipe,
  Post,
  Sse,
  UseGuards,
  type MessageEvent,
} from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { CorrelationId } from 'nestjs-tracing';
import { AuthGuard } from './auth.guard.js';
import type { Order, OrderDetails } from './order.js';
import { OrdersService } from './orders.service.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  /** Served by the gateway alone. */
  @Get(':id')
  async findOne(
    @Param('id', ParseIntPipe) id: number,
    @CorrelationId() correlationId: string | undefined,
  ): Promise<Order & { correlationId: string | undefined }> {
    return { ...(await this.orders.findOne(id)), correlationId };
  }

  /** Calls the catalog service: one trace across both processes. */
  @Get(':id/details')
  details(@Param('id', ParseIntPipe) id: number): Promise<OrderDetails> {
    return this.orders.details(id);
  }

  /**
   * Server-sent events: the catalog's stock updates for the order's first line, relayed
   * as they arrive. One trace: this server span, the catalog call (a streamed client
   * span) and the catalog's own SSE server span.
   */
  @Sse(':id/stock')
  stock(@Param('id', ParseIntPipe) id: number): Observable<MessageEvent> {
    return this.orders.watchStock(id).pipe(map((update) => ({ data: update })));
  }

  /** Fails on purpose: the payment provider throws, the client gets a 500. */
  @Post(':id/payment')
  @UseGuards(AuthGuard)
  pay(@Param('id', ParseIntPipe) id: number): Promise<never> {
    return this.orders.pay(id);
  }
}
