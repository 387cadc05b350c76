import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, SpanKind } from '../../lib/index.js';
import { findSpan, waitForTrace } from '../../lib/testing/index.js';
import { usersAppModule } from '../fixtures/users-app.js';

/** An adapter the library has no platform hooks for (as a third-party adapter would be). */
class OtherAdapter extends ExpressAdapter {
  override getType(): string {
    return 'other';
  }
}

describe('HTTP tracing on an adapter other than Express or Fastify', () => {
  let app: INestApplication;
  let url: string;

  beforeEach(async () => {
    app = await NestFactory.create(
      usersAppModule({ serviceName: 'other', exporters: [{ type: 'memory' }] }),
      new OtherAdapter(),
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterEach(async () => {
    await app.close();
  });

  it('opens the context in the Nest context middleware: guards, pipes and handler see it', async () => {
    const res = await request(url)
      .post('/layers')
      .set('x-correlation-id', 'other-1')
      .send({ hello: 'other' })
      .expect(201);
    expect(res.headers['x-correlation-id']).toBe('other-1');
    expect(res.body).toMatchObject({ guard: 'other-1', pipe: 'other-1', handler: 'other-1' });
    const spans = await waitForTrace(app.get(InMemorySpanExporter), {
      traceId: res.body.traceId,
      minSpans: 1,
    });
    const server = findSpan(spans, { kind: SpanKind.SERVER });
    expect(server.name).toBe('POST /layers');
    expect(server.attributes['correlation.id']).toBe('other-1');
  });

  it("records a handler's error on the server span", async () => {
    await request(url).get('/fail').expect(500);
    const [server] = (await app.get(InMemorySpanExporter).waitForSpans(2)).filter(
      (s) => s.kind === SpanKind.SERVER,
    );
    expect(server!.name).toBe('GET /fail');
    expect(server!.status.message).toBe('boom');
    expect(server!.attributes['error.type']).toBe('Error');
  });
});
