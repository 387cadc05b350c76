import {
  Controller,
  Get,
  Header,
  HttpCode,
  Injectable,
  Module,
  Param,
  ParseIntPipe,
  Post,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { ApiOperation, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, Traced, TracingModule } from '../../lib/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';

@Injectable()
class KeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string> }>();
    return req.headers['x-key'] === 'open-sesame';
  }
}

@Controller('items')
class ItemsController {
  // @Traced above the Nest decorators: it runs last and must carry their metadata over.
  @Traced()
  @Get(':id')
  @UseGuards(KeyGuard)
  @Header('x-item', 'yes')
  @ApiOperation({ summary: 'Read one item' })
  read(@Param('id', ParseIntPipe) id: number) {
    return { id, kind: typeof id };
  }

  // @Traced below: the Nest decorators see the wrapper and store their metadata on it.
  @Post(':id/touch')
  @HttpCode(202)
  @ApiOperation({ summary: 'Touch one item' })
  @Traced('items.touch')
  touch(@Param('id') id: string) {
    return { touched: id };
  }

  @Traced()
  @MessagePattern('items.read')
  readMessage(data: unknown) {
    return data;
  }
}

@Module({
  imports: [TracingModule.forRoot({ serviceName: 'items', exporters: [{ type: 'memory' }] })],
  controllers: [ItemsController],
  providers: [KeyGuard],
})
class ItemsModule {}

describe('Nest metadata on @Traced() methods', () => {
  it('survives on the wrapped method whichever order the decorators are written in', () => {
    const read = ItemsController.prototype.read;
    const touch = ItemsController.prototype.touch;
    expect(Reflect.getMetadata('path', read)).toBe(':id');
    expect(Reflect.getMetadata('__guards__', read)).toEqual([KeyGuard]);
    expect(Reflect.getMetadata('path', touch)).toBe(':id/touch');
    expect(Reflect.getMetadata('__httpCode__', touch)).toBe(202);
    expect(
      Reflect.getMetadata('microservices:pattern', ItemsController.prototype.readMessage),
    ).toEqual(['items.read']);
    // Parameter metadata lives on the class, keyed by method name; the pipe still applies.
    expect(Reflect.getMetadata('design:paramtypes', ItemsController.prototype, 'read')).toEqual([
      Number,
    ]);
  });
});

describe.each(PLATFORMS)('decorated controller methods on %s', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeEach(async () => {
    ({ app, url } = await startApp(ItemsModule, platform));
  });

  afterEach(async () => {
    await app.close();
  });

  it('keeps routes, guards, pipes, headers and status codes working', async () => {
    await request(url).get('/items/5').expect(403);
    const res = await request(url).get('/items/5').set('x-key', 'open-sesame').expect(200);
    expect(res.body).toEqual({ id: 5, kind: 'number' });
    expect(res.headers['x-item']).toBe('yes');
    await request(url).get('/items/abc').set('x-key', 'open-sesame').expect(400);
    await request(url).post('/items/9/touch').expect(202, { touched: '9' });
    const spans = app.get(InMemorySpanExporter);
    const names = (await spans.waitForSpans(6)).map((s) => s.name);
    expect(names).toContain('ItemsController.read');
    expect(names).toContain('items.touch');
    expect(names).toContain('GET /items/:id');
    expect(names).toContain('POST /items/:id/touch');
  });

  it('keeps Swagger operations on the wrapped methods', () => {
    const doc = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('items').build());
    expect(doc.paths['/items/{id}']!.get!.summary).toBe('Read one item');
    expect(doc.paths['/items/{id}/touch']!.post!.summary).toBe('Touch one item');
  });
});
