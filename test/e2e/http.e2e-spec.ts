import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { postSlowly } from '../fixtures/slow-post.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  type ReadableSpan,
} from '../../lib/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';
import { expectAttributes, expectParent, findSpan, waitForTrace } from '../../lib/testing/index.js';
import { usersAppModule } from '../fixtures/users-app.js';

const INCOMING_TRACE = '0af7651916cd43dd8448eb211c80319c';
const INCOMING_PARENT = 'b7ad6b7169203331';

describe.each(PLATFORMS)('HTTP tracing on %s', (platform) => {
  let app: INestApplication;
  let url: string;
  let spans: InMemorySpanExporter;

  beforeEach(async () => {
    ({ app, url } = await startApp(
      usersAppModule({
        serviceName: 'users',
        exporters: [{ type: 'memory' }],
        ignoreRoutes: ['/health'],
      }),
      platform,
    ));
    spans = app.get(InMemorySpanExporter);
  });

  afterEach(async () => {
    await app.close();
  });

  async function trace(count: number): Promise<ReadableSpan[]> {
    return spans.waitForSpans(count);
  }

  it('records a server span named by route template with the traced service calls nested under it', async () => {
    const res = await request(url).get('/users/42').expect(200);
    // Read with the library's own testing kit, as users would.
    const finished = await waitForTrace(spans, { traceId: res.body.traceId, minSpans: 3 });
    const server = findSpan(finished, { kind: SpanKind.SERVER });
    const service = findSpan(finished, 'UsersService.findOne');
    const repo = findSpan(finished, 'UsersRepository.lookup');
    expect(server.name).toBe('GET /users/:id');
    expectAttributes(server, {
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'url.path': '/users/42',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
    });
    expect(server.parentSpanId).toBeUndefined();
    expect(finished.root).toBe(server);
    expectParent(service, server);
    expectParent(repo, service);
    expect(finished.spans).toHaveLength(3);
    expect(server.resource.attributes['service.name']).toBe('users');
    // No incoming correlation id: the trace id serves, and is echoed.
    expect(res.headers['x-correlation-id']).toBe(server.traceId);
    expect(res.body.correlationId).toBe(server.traceId);
  });

  it('continues an incoming traceparent with the same trace id and remote parent', async () => {
    await request(url)
      .get('/users/7')
      .set('traceparent', `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`)
      .expect(200);
    const all = await trace(3);
    const server = all.find((s) => s.kind === SpanKind.SERVER)!;
    expect(server.traceId).toBe(INCOMING_TRACE);
    expect(server.parentSpanId).toBe(INCOMING_PARENT);
    expect(server.parentIsRemote).toBe(true);
    expect(all.every((s) => s.traceId === INCOMING_TRACE)).toBe(true);
  });

  it('ignores a malformed traceparent and starts a new trace', async () => {
    await request(url)
      .get('/users/7')
      .set('traceparent', `00-${INCOMING_TRACE.toUpperCase()}-${INCOMING_PARENT}-01`)
      .expect(200);
    const server = (await trace(3)).find((s) => s.kind === SpanKind.SERVER)!;
    expect(server.traceId).not.toBe(INCOMING_TRACE);
    expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(server.parentSpanId).toBeUndefined();
  });

  it('does not export a trace whose incoming parent was not sampled, but still propagates its ids', async () => {
    const res = await request(url)
      .get('/users/7')
      .set('traceparent', `00-${INCOMING_TRACE}-${INCOMING_PARENT}-00`)
      .expect(200);
    expect(res.body.traceId).toBe(INCOMING_TRACE);
    await request(url).get('/users/8').expect(200);
    const all = await trace(3);
    expect(all.some((s) => s.traceId === INCOMING_TRACE)).toBe(false);
  });

  it('echoes a well-formed incoming correlation id and rejects a malformed one', async () => {
    const good = await request(url)
      .get('/users/1')
      .set('x-correlation-id', 'order-123_abc')
      .expect(200);
    expect(good.headers['x-correlation-id']).toBe('order-123_abc');
    expect(good.body.correlationId).toBe('order-123_abc');
    const stored = (await trace(3)).find((s) => s.kind === SpanKind.SERVER)!;
    expect(stored.attributes['correlation.id']).toBe('order-123_abc');
    const viaRequestId = await request(url)
      .get('/users/1')
      .set('x-request-id', 'req:9')
      .expect(200);
    expect(viaRequestId.headers['x-correlation-id']).toBe('req:9');
    const bad = await request(url)
      .get('/users/1')
      .set('x-correlation-id', 'evil value<script>')
      .expect(200);
    expect(bad.headers['x-correlation-id']).not.toBe('evil value<script>');
    expect(bad.headers['x-correlation-id']).toBe(bad.body.traceId);
    const long = await request(url)
      .get('/users/1')
      .set('x-correlation-id', 'a'.repeat(129))
      .expect(200);
    expect(long.headers['x-correlation-id']).toBe(long.body.traceId);
  });

  it('gives guards, pipes, the handler and exception filters the same correlation id', async () => {
    const res = await request(url)
      .post('/layers')
      .set('x-correlation-id', 'layers-1')
      .send({ hello: 'world' })
      .expect(201);
    expect(res.body).toMatchObject({ guard: 'layers-1', pipe: 'layers-1', handler: 'layers-1' });
    const filtered = await request(url)
      .get('/teapot')
      .set('x-correlation-id', 'filter-1')
      .expect(418);
    expect(filtered.body).toEqual({ filter: 'filter-1' });
    const afterBody = await request(url)
      .post('/teapot')
      .set('x-correlation-id', 'filter-2')
      .send({ big: 'x'.repeat(100_000) })
      .expect(418);
    expect(afterBody.body).toEqual({ filter: 'filter-2' });
  });

  it('keeps the context when the request body arrives after a pause', async () => {
    const body = await postSlowly(`${url}/layers`, { hello: 'slow' }, 'slow-1');
    expect(body).toMatchObject({ guard: 'slow-1', pipe: 'slow-1', handler: 'slow-1' });
  });

  it('records a thrown error on the service span and the server span with status 500', async () => {
    await request(url).get('/fail').expect(500);
    const all = await trace(2);
    const server = all.find((s) => s.kind === SpanKind.SERVER)!;
    const failing = all.find((s) => s.name === 'users.explode')!;
    expect(failing.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
    expect(failing.events[0]).toMatchObject({
      name: 'exception',
      attributes: { 'exception.type': 'Error', 'exception.message': 'boom' },
    });
    expect(failing.parentSpanId).toBe(server.spanId);
    // The handler's error, not just the status code, describes the server span.
    expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
    expect(server.attributes['error.type']).toBe('Error');
    expect(server.attributes['http.response.status_code']).toBe(500);
    expect(server.name).toBe('GET /fail');
  });

  it('records an HttpException 4xx as an event with the status code but not as a server error', async () => {
    await request(url).get('/missing').expect(404);
    const [server] = await trace(1);
    expect(server!.attributes['http.response.status_code']).toBe(404);
    expect(server!.status.code).toBe(SpanStatusCode.UNSET);
    expect(server!.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('names the span of a request that matches no route by its method alone', async () => {
    await request(url).get('/no/such/route').expect(404);
    const [server] = await trace(1);
    expect(server!.name).toBe('GET');
    expect(server!.attributes['http.route']).toBeUndefined();
    expect(server!.attributes['http.response.status_code']).toBe(404);
    expect(server!.attributes['url.path']).toBe('/no/such/route');
  });

  it('records a method outside the HTTP conventions list as _OTHER with the original name', async () => {
    const res = await request(url).purge('/users/1');
    expect(res.status).toBeGreaterThanOrEqual(400);
    const [server] = await trace(1);
    expect(server!.name).toMatch(/^HTTP( |$)/);
    expectAttributes(server!, {
      'http.request.method': '_OTHER',
      'http.request.method_original': 'PURGE',
    });
  });

  it('injects the correlation id and current span into handler parameters', async () => {
    const res = await request(url).get('/params').set('x-correlation-id', 'param-1').expect(200);
    const [server] = await trace(1);
    expect(res.body).toEqual({ correlationId: 'param-1', spanId: server!.spanId, recording: true });
  });

  it('produces no spans for ignored routes but still answers them', async () => {
    await request(url).get('/health').expect(200);
    await request(url).get('/users/1').expect(200);
    const all = await trace(3);
    expect(all.find((s) => s.attributes['url.path'] === '/health')).toBeUndefined();
    expect(all).toHaveLength(3);
  });

  it('keeps the contexts of many concurrent requests apart', async () => {
    const n = 60;
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        request(url).get(`/users/${i}`).set('x-correlation-id', `c-${i}`).expect(200),
      ),
    );
    const all = await trace(n * 3);
    for (const [i, res] of responses.entries()) {
      expect(res.body.correlationId).toBe(`c-${i}`);
      expect(res.headers['x-correlation-id']).toBe(`c-${i}`);
      const server = all.find(
        (s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === `/users/${i}`,
      )!;
      expect(res.body.traceId).toBe(server.traceId);
      const service = all.find(
        (s) => s.name === 'UsersService.findOne' && s.traceId === server.traceId,
      )!;
      expect(service.parentSpanId).toBe(server.spanId);
      const repo = all.find(
        (s) => s.name === 'UsersRepository.lookup' && s.traceId === server.traceId,
      )!;
      expect(repo.parentSpanId).toBe(service.spanId);
    }
    expect(new Set(all.map((s) => s.traceId)).size).toBe(n);
  });
});
