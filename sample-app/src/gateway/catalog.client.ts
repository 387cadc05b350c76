import { BadGatewayException, Injectable, NotFoundException } from '@nestjs/common';
import { isAxiosError } from 'axios';
import { TracedHttpService } from 'nestjs-tracing/http';
import type { Readable } from 'node:stream';
import { firstValueFrom, switchMap, type Observable } from 'rxjs';
import type { Product, StockUpdate } from './product.js';
import { sseData } from './sse.js';

/**
 * Calls the catalog over HTTP with TracedHttpService, a drop-in for @nestjs/axios's
 * HttpService: each call is a client span (named after `urlTemplate`) whose traceparent
 * and correlation id go out with the request, so the catalog continues this trace.
 */
@Injectable()
export class CatalogClient {
  constructor(private readonly http: TracedHttpService) {}

  async getProduct(sku: string): Promise<Product> {
    try {
      const response = await firstValueFrom(
        this.http.get<Product>(`/products/${encodeURIComponent(sku)}`, {
          urlTemplate: '/products/:sku',
        }),
      );
      return response.data;
    } catch (error) {
      const status = isAxiosError(error) ? error.response?.status : undefined;
      if (status === 404) throw new NotFoundException(`Unknown product ${sku}`);
      if (status !== undefined) {
        throw new BadGatewayException(`The catalog answered ${status} for ${sku}`);
      }
      throw new BadGatewayException('The catalog is unreachable', { cause: error });
    }
  }

  /**
   * The catalog's stock updates for `sku`, a server-sent event stream: the client span
   * stays open until the stream ends and records its chunks, bytes and timing.
   */
  stockUpdates(sku: string): Observable<StockUpdate> {
    return this.http
      .get<Readable>(`/products/${encodeURIComponent(sku)}/stock-events`, {
        responseType: 'stream',
        headers: { accept: 'text/event-stream' },
        urlTemplate: '/products/:sku/stock-events',
      })
      .pipe(switchMap((response) => sseData<StockUpdate>(response.data)));
  }
}
