import {
  Body,
  Controller,
  ForbiddenException,
  Get,
  Injectable,
  Module,
  Param,
  Post,
  Query,
  Req,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
  type PipeTransform,
  type Type,
} from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost, NestFactory } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { postSlowly } from '../fixtures/slow-post.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  TracingInterceptor,
  TracingModule,
  TracingService,
  type ReadableSpan,
} from '../../lib/index.js';
import {
  expectAttributes,
  findSpan,
  findSpans,
  waitForTrace,
  type SpanSource,
} from '../../lib/testing/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';
import { usersAppModule } from '../fixtures/users-app.js';

/** What one layer of the request saw of the active trace. */
interface Sighting {
  correlationId: string | undefined;
  traceId: string | undefined;
}

type Layer = 'middleware' | 'guard' | 'pipe' | 'handler';
type Seen = Partial<Record<Layer, Sighting>>;

const seenKey = Symbol('seen');

/** Kept on the raw request: Nest middleware gets it on Fastify, guards get Fastify's wrapper. */
function seen(req: object): Seen {
  const r = req as { raw?: object };
  const target = (r.raw ?? r) as { [seenKey]?: Seen };
  return (target[seenKey] ??= {});
}

function sighting(tracing: TracingService): Sighting {
  return { correlationId: tracing.getCorrelationId(), traceId: tracing.getTraceId() };
}

@Injectable()
class SeeingMiddleware implements NestMiddleware {
  constructor(private readonly tracing: TracingService) {}
  use(req: IncomingMessage, _res: ServerResponse, next: () => void): void {
    seen(req).middleware = sighting(this.tracing);
    next();
  }
}

@Injectable()
class FailingMiddleware implements NestMiddleware {
  use(): never {
    throw new Error('middleware broke');
  }
}

@Injectable()
class RefusingMiddleware implements NestMiddleware {
  use(): never {
    throw new UnauthorizedException('no token');
  }
}

@Injectable()
class SeeingGuard implements CanActivate {
  constructor(private readonly tracing: TracingService) {}
  canActivate(context: ExecutionContext): boolean {
    seen(context.switchToHttp().getRequest<object>()).guard = sighting(this.tracing);
    return true;
  }
}

@Injectable()
class ForbiddingGuard implements CanActivate {
  canActivate(): never {
    throw new ForbiddenException('not yours');
  }
}

@Injectable()
class FailingGuard implements CanActivate {
  canActivate(): never {
    throw new Error('denied');
  }
}

interface Piped {
  pipe?: Sighting;
}

@Injectable()
class SeeingPipe implements PipeTransform {
  constructor(private readonly tracing: TracingService) {}
  transform(value: unknown): Piped {
    return { ...(value as object), pipe: sighting(this.tracing) };
  }
}

@Controller()
class PlatformController {
  constructor(private readonly tracing: TracingService) {}

  @Get('seen')
  @UseGuards(SeeingGuard)
  seenOnGet(@Query(SeeingPipe) query: Piped, @Req() req: object): Promise<Seen> {
    return this.report(req, query);
  }

  @Post('seen')
  @UseGuards(SeeingGuard)
  seenOnPost(@Body(SeeingPipe) body: Piped, @Req() req: object): Promise<Seen> {
    return this.report(req, body);
  }

  @Get('forbidden')
  @UseGuards(ForbiddingGuard)
  forbidden(): string {
    return 'unreachable';
  }

  @Get('denied')
  @UseGuards(FailingGuard)
  denied(): string {
    return 'unreachable';
  }

  @Get('broken')
  broken(): string {
    return 'unreachable';
  }

  @Get('refused')
  refused(): string {
    return 'unreachable';
  }

  @Get('failing')
  failing(): never {
    throw new Error('handler broke');
  }

  @Get('items/:id')
  item(@Param('id') id: string): { id: string } & Sighting {
    return { id, ...sighting(this.tracing) };
  }

  private async report(req: object, piped: Piped): Promise<Seen> {
    // An async hop: the handler's context must survive it too.
    await sleep(1);
    return { ...seen(req), pipe: piped.pipe, handler: sighting(this.tracing) };
  }
}

/** Makes the app a hybrid one: message handlers beside the HTTP routes. */
@Controller()
class SumController {
  @MessagePattern('sum')
  sum(values: number[]): number {
    return values.reduce((a, b) => a + b, 0);
  }
}

function platformAppModule(options: { hybrid?: boolean } = {}): Type<unknown> {
  @Module({
    imports: [TracingModule.forRoot({ serviceName: 'platform', exporters: [{ type: 'memory' }] })],
    controllers: options.hybrid ? [PlatformController, SumController] : [PlatformController],
  })
  class PlatformAppModule implements NestModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer.apply(SeeingMiddleware).forRoutes('{*path}');
      consumer.apply(FailingMiddleware).forRoutes('broken');
      consumer.apply(RefusingMiddleware).forRoutes('refused');
    }
  }
  return PlatformAppModule;
}

interface Reply {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  reusedSocket: boolean;
}

/** A GET through `agent`, saying whether it went over a connection already used. */
function getWith(agent: Agent, target: string, headers: Record<string, string> = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest(target, { agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          headers: res.headers,
          body: JSON.parse(text) as Record<string, unknown>,
          reusedSocket: req.reusedSocket,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function serverSpans(source: SpanSource): ReadableSpan[] {
  return findSpans(source, { kind: SpanKind.SERVER });
}

/** The APP_INTERCEPTOR instances Nest applies; a provider that gave null is skipped. */
function tracingInterceptorsOf(app: INestApplication): TracingInterceptor[] {
  return app
    .get(ApplicationConfig)
    .getGlobalInterceptors()
    .filter((interceptor) => interceptor instanceof TracingInterceptor);
}

describe.each(PLATFORMS)('HTTP traced from the platform on %s', (platform) => {
  let app: INestApplication;
  let url: string;
  let spans: InMemorySpanExporter;

  async function boot(module: Type<unknown>): Promise<void> {
    ({ app, url } = await startApp(module, platform));
    spans = app.get(InMemorySpanExporter);
  }

  afterEach(async () => {
    await app.close();
  });

  describe('an HTTP-only app', () => {
    beforeEach(() => boot(platformAppModule()));

    it("gives the user's own Nest middleware the request's correlation id and trace", async () => {
      const res = await request(url).get('/seen').set('x-correlation-id', 'mw-get-1').expect(200);
      const server = (await waitForTrace(spans, { span: { kind: SpanKind.SERVER } })).root;
      expect(server.name).toBe('GET /seen');
      expect(server.attributes['correlation.id']).toBe('mw-get-1');
      const expected = { correlationId: 'mw-get-1', traceId: server.traceId };
      expect(res.body).toEqual({
        middleware: expected,
        guard: expected,
        pipe: expected,
        handler: expected,
      });
    });

    it('keeps the context for middleware, guard, pipe and handler when the body arrives after a pause', async () => {
      const body = await postSlowly<Seen>(`${url}/seen`, { hello: 'slow' }, 'mw-post-1');
      const server = (await waitForTrace(spans, { span: { kind: SpanKind.SERVER } })).root;
      expect(server.name).toBe('POST /seen');
      expect(server.attributes['correlation.id']).toBe('mw-post-1');
      const expected = { correlationId: 'mw-post-1', traceId: server.traceId };
      expect(body).toEqual({
        middleware: expected,
        guard: expected,
        pipe: expected,
        handler: expected,
      });
    });

    it('records a 4xx HttpException thrown by a guard as an exception event, not an error', async () => {
      const res = await request(url)
        .get('/forbidden')
        .set('x-correlation-id', 'guard-1')
        .expect(403);
      expect(res.headers['x-correlation-id']).toBe('guard-1');
      const server = findSpan(await spans.waitForSpans(1), { kind: SpanKind.SERVER });
      expect(server.name).toBe('GET /forbidden');
      expectAttributes(server, {
        'http.route': '/forbidden',
        'http.response.status_code': 403,
        'error.type': undefined,
      });
      expect(server.status.code).toBe(SpanStatusCode.UNSET);
      expect(server.events).toHaveLength(1);
      expect(server.events[0]).toMatchObject({
        name: 'exception',
        attributes: { 'exception.type': 'ForbiddenException', 'exception.message': 'not yours' },
      });
    });

    it('records a plain Error thrown by a guard as the server span error', async () => {
      await request(url).get('/denied').expect(500);
      const server = findSpan(await spans.waitForSpans(1), { kind: SpanKind.SERVER });
      expect(server.name).toBe('GET /denied');
      expectAttributes(server, {
        'http.route': '/denied',
        'http.response.status_code': 500,
        'error.type': 'Error',
      });
      expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: 'denied' });
    });

    // Nest middleware runs before the route is known to the tracing (Express routes after
    // it; on Fastify, @fastify/middie's onRequest hook answers before the tracing's): the
    // span name is not asserted here.
    it("records an Error thrown by the user's Nest middleware as the server span error", async () => {
      const res = await request(url).get('/broken').set('x-correlation-id', 'mw-err-1').expect(500);
      // Echoed even though the error was answered before the route was reached.
      expect(res.headers['x-correlation-id']).toBe('mw-err-1');
      const server = findSpan(await spans.waitForSpans(1), { kind: SpanKind.SERVER });
      expectAttributes(server, {
        'url.path': '/broken',
        'http.response.status_code': 500,
        'error.type': 'Error',
      });
      expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: 'middleware broke' });
    });

    it("records a 4xx HttpException thrown by the user's Nest middleware as an exception event", async () => {
      await request(url).get('/refused').expect(401);
      const server = findSpan(await spans.waitForSpans(1), { kind: SpanKind.SERVER });
      expectAttributes(server, {
        'url.path': '/refused',
        'http.response.status_code': 401,
        'error.type': undefined,
      });
      expect(server.status.code).toBe(SpanStatusCode.UNSET);
      expect(server.events).toHaveLength(1);
      expect(server.events[0]).toMatchObject({
        name: 'exception',
        attributes: { 'exception.type': 'UnauthorizedException', 'exception.message': 'no token' },
      });
    });

    it('echoes the correlation id on a request that matches no route', async () => {
      const res = await request(url).get('/nowhere').set('x-correlation-id', 'lost-1').expect(404);
      expect(res.headers['x-correlation-id']).toBe('lost-1');
      const server = findSpan(await spans.waitForSpans(1), { kind: SpanKind.SERVER });
      expect(server.attributes['correlation.id']).toBe('lost-1');
    });

    it('registers no global TracingInterceptor', () => {
      expect(tracingInterceptorsOf(app)).toEqual([]);
    });

    it('gives two requests on one keep-alive connection two traces and their own correlation ids', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const first = await getWith(agent, `${url}/items/1`, { 'x-correlation-id': 'first-1' });
        const second = await getWith(agent, `${url}/items/2`);
        expect(second.reusedSocket).toBe(true);
        expect(first.body.correlationId).toBe('first-1');
        expect(first.headers['x-correlation-id']).toBe('first-1');
        // No header on the second request: its own trace id serves, not the first's id.
        expect(second.body.correlationId).not.toBe('first-1');
        expect(second.body.correlationId).toBe(second.body.traceId);
        expect(second.headers['x-correlation-id']).toBe(second.body.traceId);
        expect(second.body.traceId).not.toBe(first.body.traceId);
        const all = serverSpans(await spans.waitForSpans(2));
        const firstSpan = findSpan(all, { attributes: { 'url.path': '/items/1' } });
        const secondSpan = findSpan(all, { attributes: { 'url.path': '/items/2' } });
        expect(firstSpan.traceId).toBe(first.body.traceId);
        expect(secondSpan.traceId).toBe(second.body.traceId);
        expect(secondSpan.attributes['correlation.id']).toBe(second.body.traceId);
        expect(secondSpan.parentSpanId).toBeUndefined();
      } finally {
        agent.destroy();
      }
    });
  });

  describe('a hybrid app (HTTP routes and @MessagePattern handlers)', () => {
    beforeEach(() => boot(platformAppModule({ hybrid: true })));

    it('registers the global TracingInterceptor', () => {
      expect(tracingInterceptorsOf(app)).toHaveLength(1);
    });

    it('still records exactly one server span per HTTP request, with the handler names', async () => {
      const res = await request(url)
        .get('/items/7')
        .set('x-correlation-id', 'hybrid-1')
        .expect(200);
      await request(url).get('/items/8').expect(200);
      // Spans are exported as they end: a duplicate of the first request's would be here too.
      await spans.waitForSpans(2);
      const servers = serverSpans(spans);
      expect(servers.map((span) => span.attributes['url.path']).toSorted()).toEqual([
        '/items/7',
        '/items/8',
      ]);
      const server = findSpan(servers, { attributes: { 'url.path': '/items/7' } });
      expect(server.name).toBe('GET /items/:id');
      expectAttributes(server, {
        'http.route': '/items/:id',
        'correlation.id': 'hybrid-1',
        'nestjs.controller': 'PlatformController',
        'nestjs.handler': 'item',
      });
      expect(res.body).toMatchObject({ correlationId: 'hybrid-1', traceId: server.traceId });
    });

    it("records a handler's error once with the interceptor in the pipeline", async () => {
      await request(url).get('/failing').expect(500);
      const server = findSpan(await spans.waitForSpans(1), { kind: SpanKind.SERVER });
      expect(server.name).toBe('GET /failing');
      expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: 'handler broke' });
      expect(server.attributes['error.type']).toBe('Error');
      expect(server.events.map((event) => event.name)).toEqual(['exception']);
    });
  });
});

/**
 * Holds each request until a timer started at boot lets it go: the request then continues
 * in the timer's context, not its own (as behind a shared rate limiter or queue).
 */
class ContextFreeGate {
  private held: (() => void)[] = [];
  private readonly timer = setInterval(() => {
    for (const release of this.held.splice(0)) release();
  }, 5);

  hold(release: () => void): void {
    this.held.push(release);
  }

  close(): void {
    clearInterval(this.timer);
  }
}

interface FastifyHooks {
  addHook(
    name: 'preValidation',
    hook: (req: unknown, reply: unknown, done: () => void) => void,
  ): void;
}

describe.each(PLATFORMS)('a platform hook that loses the context on %s', (platform) => {
  let app: INestApplication;
  let gate: ContextFreeGate;

  beforeEach(async () => {
    gate = new ContextFreeGate();
    const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
    app = await NestFactory.create(platformAppModule(), adapter, { logger: false });
    // Express: before the body parsers, Nest's middleware and the tracing middleware.
    // Fastify: after the tracing onRequest hook, before the preHandler stage.
    if (platform === 'express') {
      app.use((_req: unknown, _res: unknown, next: () => void) => gate.hold(next));
    } else {
      adapter
        .getInstance<FastifyHooks>()
        .addHook('preValidation', (_req, _reply, done) => gate.hold(done));
    }
    await app.listen(0, '127.0.0.1');
  });

  afterEach(async () => {
    gate.close();
    await app.close();
  });

  it("re-enters the request's context for middleware, guard, pipe and handler", async () => {
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const res = await request(url).get('/seen').set('x-correlation-id', 'gated-1').expect(200);
    const spans = app.get(InMemorySpanExporter);
    const server = findSpan(await spans.waitForSpans(1), { kind: SpanKind.SERVER });
    const expected = { correlationId: 'gated-1', traceId: server.traceId };
    expect(res.body).toEqual({
      middleware: expected,
      guard: expected,
      pipe: expected,
      handler: expected,
    });
  });
});

describe('an Express app served by a server Nest did not create', () => {
  let app: INestApplication;
  let server: Server;
  let url: string;

  beforeEach(async () => {
    // The adapter's own express() app (this repo has no express typings of its own); Nest
    // builds a server around it that never listens, and the user serves it instead.
    const adapter = new ExpressAdapter();
    app = await NestFactory.create(
      usersAppModule({ serviceName: 'users', exporters: [{ type: 'memory' }] }),
      adapter,
      { logger: false },
    );
    await app.init();
    server = createServer(adapter.getInstance<RequestListener>());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await app.close();
  });

  it('records the server span with its route and the incoming correlation id', async () => {
    const res = await request(url)
      .get('/users/5')
      .set('x-correlation-id', 'own-server-1')
      .expect(200);
    expect(res.headers['x-correlation-id']).toBe('own-server-1');
    expect(res.body.correlationId).toBe('own-server-1');
    const spans = app.get(InMemorySpanExporter);
    const trace = await waitForTrace(spans, { traceId: res.body.traceId, minSpans: 3 });
    const root = trace.root;
    expect(root.kind).toBe(SpanKind.SERVER);
    expect(root.name).toBe('GET /users/:id');
    expectAttributes(root, {
      'http.route': '/users/:id',
      'url.path': '/users/5',
      'http.response.status_code': 200,
      'correlation.id': 'own-server-1',
    });
    expect(serverSpans(spans)).toHaveLength(1);
  });
});

/** The parts of a Fastify instance these tests use (this repo has no fastify typings). */
interface FastifyRoutesAndHooks {
  get(path: string, handler: () => Promise<unknown>): void;
  addHook(
    name: 'onRequest',
    hook: (
      req: { url: string },
      reply: { code(status: number): { send(body: unknown): void } },
      done: () => void,
    ) => void,
  ): void;
}

describe('Fastify route templates, named from a hook per route', () => {
  let app: INestApplication;

  afterEach(async () => {
    await app.close();
  });

  it('also names a route Fastify had before Nest added its own, and a route a later global hook refused', async () => {
    @Injectable()
    class LateRefusal {
      constructor(private readonly host: HttpAdapterHost) {}

      onModuleInit(): void {
        // Added after the tracing module's hooks (its configure ran first), before the server
        // is ready: it answers before the routes' own hooks run.
        this.host.httpAdapter
          .getInstance<FastifyRoutesAndHooks>()
          .addHook('onRequest', (req, reply, done) => {
            if (req.url.startsWith('/refused/')) reply.code(401).send({ refused: true });
            else done();
          });
      }
    }
    @Controller()
    class RoutesController {
      @Get('refused/:id')
      refused(): string {
        return 'never';
      }

      @Get('plain/:id')
      plain(@Param('id') id: string): { id: string } {
        return { id };
      }
    }
    @Module({
      imports: [TracingModule.forRoot({ serviceName: 'routes', exporters: [{ type: 'memory' }] })],
      controllers: [RoutesController],
      providers: [LateRefusal],
    })
    class RoutesModule {}

    const adapter = new FastifyAdapter();
    // On Fastify itself, before Nest (and the tracing module's onRoute hook) saw any route.
    adapter.getInstance<FastifyRoutesAndHooks>().get('/raw/:id', async () => ({ raw: true }));
    app = await NestFactory.create(RoutesModule, adapter, { logger: false });
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    await request(url).get('/raw/7').expect(200);
    await request(url).get('/refused/7').expect(401);
    await request(url).get('/plain/7').expect(200);
    await request(url).head('/plain/8').expect(200);
    const servers = findSpans(await app.get(InMemorySpanExporter).waitForSpans(4), {
      kind: SpanKind.SERVER,
    });
    expect(servers.map((s) => [s.name, s.attributes['http.route']]).sort()).toEqual([
      ['GET /plain/:id', '/plain/:id'],
      ['GET /raw/:id', '/raw/:id'],
      ['GET /refused/:id', '/refused/:id'],
      ['HEAD /plain/:id', '/plain/:id'],
    ]);
  });
});
