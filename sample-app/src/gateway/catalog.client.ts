import { BadGatewayException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { TracedHttpService } from 'nestjs-tracing/http';
import type { Readable } from 'node:stream';
import { switchMap, type Observable } from 'rxjs';
import type { Product, StockUpdate } from './product.js';
import { sseData } from './sse.js';

export const CATALOG_URL = Symbol('CATALOG_URL');
const CATALOG_TIMEOUT_MS = 3_000;

/**
 * Calls the catalog over HTTP two ways. A product is read with plain `fetch`: nestjs-tracing's
 * fetch integration makes the client span and sends the trace headers on, with no code here.
 * The stock stream goes through TracedHttpService, a drop-in for @nestjs/axios's HttpService,
 * whose client span (named after `urlTemplate`) records the stream's chunks and timing.
 */
@Injectable()
export class CatalogClient {
  constructor(
    private readonly http: TracedHttpService,
    @Inject(CATALOG_URL) private readonly baseUrl: string,
  ) {}

  async getProduct(sku: string): Promise<Product> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}/products/${encodeURIComponent(sku)}`, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(CATALOG_TIMEOUT_MS),
      });
    } catch (error) {
      throw new BadGatewayException('The catalog is unreachable', { cause: error });
    }
    if (response.status === 404) throw new NotFoundException(`Unknown product ${sku}`);
    if (!response.ok) {
      throw new BadGatewayException(`The catalog answered ${response.status} for ${sku}`);
    }
    return (await response.json()) as Product;
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
