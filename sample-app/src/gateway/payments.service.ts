import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Traced } from 'nestjs-tracing';
import type { Order } from './order.js';

export class PaymentProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentProviderError';
  }
}

/** Charges orders. The sample's card processor is always down: this is the failing route. */
@Injectable()
export class PaymentsService {
  @Traced({ attributes: { 'payment.provider': 'acme-pay' } })
  async charge(order: Order): Promise<never> {
    await sleep(3);
    throw new PaymentProviderError(`card processor unavailable (order ${order.id})`);
  }
}
