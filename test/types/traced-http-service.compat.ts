/**
 * Compile-time test, checked by `tsc --noEmit -p tsconfig.json` (never run): code written
 * for `@nestjs/axios`'s HttpService compiles unchanged with TracedHttpService, and wrong
 * calls still fail to compile.
 */
import { HttpModule, HttpService } from '@nestjs/axios';
import { Injectable, Module } from '@nestjs/common';
import type { AxiosResponse } from 'axios';
import { catchError, firstValueFrom, map, type Observable } from 'rxjs';
import {
  TracedHttpModule,
  TracedHttpService,
  type TracedHttpModuleOptions,
} from '../../lib/http/index.js';

interface Product {
  sku: string;
  priceCents: number;
}

/** A client as written for HttpService; only the injected type differs. */
@Injectable()
export class CatalogClient {
  constructor(private readonly http: TracedHttpService) {}

  product(sku: string): Observable<Product> {
    return this.http.get<Product>(`/products/${sku}`).pipe(map((response) => response.data));
  }

  async price(sku: string): Promise<number> {
    const { data } = await firstValueFrom(this.http.get<Product>(`/products/${sku}`));
    return data.priceCents;
  }

  /** Untyped calls keep HttpService's `any` data, as existing code relies on. */
  async legacyName(sku: string): Promise<string> {
    const response = await firstValueFrom(this.http.get(`/products/${sku}`));
    return response.data.name;
  }

  create(product: Product): Observable<AxiosResponse<Product, Product>> {
    return this.http.post<Product, Product>('/products', product, {
      headers: { 'content-type': 'application/json' },
      timeout: 1000,
    });
  }

  all(): Observable<number> {
    return this.http
      .request<Product[]>({ url: '/products', method: 'GET', params: { page: 1 } })
      .pipe(
        map((response) => response.data.length),
        catchError(() => [0]),
      );
  }

  rest(): Observable<AxiosResponse<unknown>>[] {
    return [
      this.http.put('/p/1', { a: 1 }),
      this.http.patch('/p/1', { a: 2 }),
      this.http.delete('/p/1'),
      this.http.head('/p/1'),
      this.http.postForm('/upload', { file: 'x' }),
      this.http.options('/p'),
    ];
  }

  interceptors(): number {
    return this.http.axiosRef.interceptors.request.use((config) => config);
  }

  template(): Observable<AxiosResponse<Product>> {
    // The extra per-call option TracedHttpService reads.
    return this.http.get<Product>('/products/BOOK-001', { urlTemplate: '/products/:sku' });
  }
}

/** Wherever an HttpService is expected, a TracedHttpService fits. */
export function asHttpService(traced: TracedHttpService): HttpService {
  return traced;
}

/** HttpModule's options are TracedHttpModule's options. */
export function sameOptions(
  options: Parameters<typeof HttpModule.register>[0],
): TracedHttpModuleOptions {
  return options;
}

@Module({
  imports: [
    TracedHttpModule.register({ baseURL: 'http://127.0.0.1:3001', timeout: 3000, maxRedirects: 0 }),
    TracedHttpModule.registerAsync({
      useFactory: () => ({ baseURL: 'http://127.0.0.1:3001', tracing: { recordBodies: true } }),
    }),
  ],
  providers: [CatalogClient],
})
export class CatalogModule {}

export async function wrongCalls(http: TracedHttpService): Promise<void> {
  // @ts-expect-error a URL is a string
  http.get(42);
  // @ts-expect-error the axios config is checked
  http.post('/p', {}, { timeout: 'soon' });
  const { data } = await firstValueFrom(http.get<Product>('/p'));
  // @ts-expect-error typed data keeps its type
  const name: string = data.priceCents;
  void name;
  // @ts-expect-error tracing options are checked
  TracedHttpModule.register({ tracing: { recordBodies: 'yes' } });
  // @ts-expect-error unknown tracing options are refused
  TracedHttpModule.register({ tracing: { redactHeader: ['x'] } });
}
