// The README's testing-kit example, run as written against the built package.
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, SpanKind } from 'nestjs-tracing';
import {
  createTracingTestingModule,
  expectAttributes,
  expectParent,
  findSpan,
  waitForTrace,
} from 'nestjs-tracing/testing';
import { AppModule } from '../fixtures/readme/app.module.js';

describe('GET /users/:id', () => {
  let app: INestApplication;
  let spans: InMemorySpanExporter;

  beforeAll(async () => {
    // AppModule's own exporters (here the console) are swapped for an in-memory one.
    const moduleRef = await createTracingTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    spans = app.get(InMemorySpanExporter);
  });

  afterAll(() => app.close());
  beforeEach(() => spans.reset());

  it('traces the request, with the service call as its child', async () => {
    const res = await request(app.getHttpServer()).get('/users/42').expect(200);
    expect(res.body).toEqual({ id: '42', name: 'user-42' });

    // With no incoming correlation id, the response echoes the trace id.
    const trace = await waitForTrace(spans, { traceId: res.headers['x-correlation-id'] });
    const server = findSpan(trace, { kind: SpanKind.SERVER });
    expectAttributes(server, { 'http.route': '/users/:id', 'http.response.status_code': 200 });
    expectParent(findSpan(trace, 'UsersService.findOne'), server);
  });
});
