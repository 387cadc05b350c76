import { BadGatewayException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { SpanKind, TracingService } from 'nestjs-tracing';
import type { Product } from './product.js';

export const CATALOG_URL = Symbol('CATALOG_URL');

const TIMEOUT_MS = 3_000;

/**
 * Calls the catalog over HTTP with Node's fetch. Each call is a client span, and
 * `TracingService.inject` writes `traceparent` (and the correlation id) into the
 * request headers, so the catalog continues this trace.
 */
@Injectable()
export class CatalogClient {
  constructor(
    private readonly tracing: TracingService,
    @Inject(CATALOG_URL) private readonly baseUrl: string,
  ) {}

  getProduct(sku: string): Promise<Product> {
    const url = `${this.baseUrl}/products/${encodeURIComponent(sku)}`;
    return this.tracing.withSpan(
      'GET /products/:sku',
      async (span) => {
        span.setAttributes({
          'http.request.method': 'GET',
          'url.full': url,
          'url.template': '/products/:sku',
          'server.address': new URL(url).hostname,
        });
        // Inside withSpan the client span is the active one: it becomes the catalog's parent.
        const headers = this.tracing.inject<Record<string, string>>({ accept: 'application/json' });
        let response: Response;
        try {
          response = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
        } catch (error) {
          throw new BadGatewayException('The catalog is unreachable', { cause: error });
        }
        span.setAttribute('http.response.status_code', response.status);
        if (response.status === 404) throw new NotFoundException(`Unknown product ${sku}`);
        if (!response.ok) {
          throw new BadGatewayException(`The catalog answered ${response.status} for ${sku}`);
        }
        return (await response.json()) as Product;
      },
      { kind: SpanKind.CLIENT },
    );
  }
}
