import { Injectable, Module } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { TracedHttpModule, TracedHttpService } from 'nestjs-tracing/http';

@Injectable()
export class CatalogClient {
  constructor(private readonly http: TracedHttpService) {}

  async product(sku: string) {
    const res = await firstValueFrom(
      this.http.get(`/products/${sku}`, { urlTemplate: '/products/:sku' }),
    );
    return res.data;
  }
}

@Module({
  imports: [
    TracedHttpModule.register({
      baseURL: 'http://127.0.0.1:3001',
      timeout: 3000,
      tracing: { recordBodies: true, redactHeaders: ['x-internal-token'] },
    }),
  ],
  providers: [CatalogClient],
})
export class CatalogModule {}
