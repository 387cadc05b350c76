import {
  Catch,
  Controller,
  Get,
  HttpException,
  Injectable,
  Module,
  Param,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
  type PipeTransform,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { map, type Observable } from 'rxjs';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTracingInstrument,
  DEFAULT_FRAMEWORK_MODULES,
  InMemorySpanExporter,
  SpanStatusCode,
  TracingModule,
  type ReadableSpan,
  type TracingInstrumentOptions,
} from '../../lib/index.js';
import { PLATFORMS, type PlatformName } from '../fixtures/platforms.js';

@Injectable()
class UsersRepository {
  async find(id: number) {
    await sleep(1);
    return { id, name: `user-${id}` };
  }
}

@Injectable()
class AuditService {
  record(event: string): string {
    return `audited ${event}`;
  }
}

@Injectable()
class ClockService {
  now(): number {
    return 1;
  }
}

/** Stands for a library's module (one that `frameworkModules` can name). */
@Module({ providers: [ClockService], exports: [ClockService] })
class ClockModule {}

@Injectable()
class UsersService {
  constructor(
    private readonly repo: UsersRepository,
    private readonly audit: AuditService,
    private readonly clock: ClockService,
  ) {}

  async findOne(id: number) {
    const user = await this.repo.find(id);
    this.audit.record(`read ${id} at ${this.clock.now()}`);
    return user;
  }
}

@Injectable()
class AuthGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Injectable()
class ParseIdPipe implements PipeTransform {
  transform(value: string): number {
    const id = Number(value);
    if (!Number.isInteger(id)) throw new HttpException('bad id', 400);
    return id;
  }
}

@Injectable()
class EnvelopeInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((data) => ({ data })));
  }
}

class Teapot extends HttpException {
  constructor() {
    super('teapot', 418);
  }
}

@Catch(Teapot)
class TeapotFilter implements ExceptionFilter {
  catch(_error: Teapot, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Record<string, unknown>>();
    const body = { teapot: true };
    if (typeof res.code === 'function')
      (res as unknown as { code(n: number): { send(b: unknown): void } }).code(418).send(body);
    else
      (res as unknown as { status(n: number): { json(b: unknown): void } }).status(418).json(body);
  }
}

@Controller('users')
class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('teapot')
  @UseFilters(TeapotFilter)
  teapot(): never {
    throw new Teapot();
  }

  @Get(':id')
  @UseGuards(AuthGuard)
  @UseInterceptors(EnvelopeInterceptor)
  findOne(@Param('id', ParseIdPipe) id: number) {
    return this.users.findOne(id);
  }
}

@Module({
  imports: [
    TracingModule.forRoot({ serviceName: 'users', exporters: [{ type: 'memory' }] }),
    ClockModule,
  ],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, AuditService],
})
class UsersModule {}

async function start(platform: PlatformName, options?: TracingInstrumentOptions) {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(UsersModule, adapter, {
    logger: false,
    instrument: createTracingInstrument(options),
  });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, spans: app.get(InMemorySpanExporter) };
}

function byName(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const span = spans.find((s) => s.name === name);
  if (span === undefined)
    throw new Error(`no span ${name} in ${spans.map((s) => s.name).join(', ')}`);
  return span;
}

describe.each(PLATFORMS)('automatic instrumentation on %s', (platform) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('turns the guard, pipe, interceptor, controller and two services of a request into one span tree', async () => {
    const started = await start(platform);
    app = started.app;
    const res = await request(started.url).get('/users/7').expect(200);
    expect(res.body).toEqual({ data: { id: 7, name: 'user-7' } });
    const spans = await started.spans.waitForSpans(9);
    const server = byName(spans, 'GET /users/:id');
    const guard = byName(spans, 'AuthGuard.canActivate');
    const interceptor = byName(spans, 'EnvelopeInterceptor.intercept');
    const pipe = byName(spans, 'ParseIdPipe.transform');
    const controller = byName(spans, 'UsersController.findOne');
    const service = byName(spans, 'UsersService.findOne');
    const repo = byName(spans, 'UsersRepository.find');
    const audit = byName(spans, 'AuditService.record');
    const clock = byName(spans, 'ClockService.now');

    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([server.traceId]));
    expect(guard.parentSpanId).toBe(server.spanId);
    expect(interceptor.parentSpanId).toBe(server.spanId);
    expect(pipe.parentSpanId).toBe(interceptor.spanId);
    expect(controller.parentSpanId).toBe(interceptor.spanId);
    expect(service.parentSpanId).toBe(controller.spanId);
    expect(repo.parentSpanId).toBe(service.spanId);
    expect(audit.parentSpanId).toBe(service.spanId);
    expect(clock.parentSpanId).toBe(service.spanId);
    expect(clock.attributes['nestjs.module']).toBe('ClockModule');
    // The guard ran, and ended, before the handler started.
    expect(guard.endTime).toBeLessThanOrEqual(controller.startTime);
    expect(guard.attributes['nestjs.type']).toBe('guard');
    expect(pipe.attributes['nestjs.type']).toBe('pipe');
    expect(interceptor.attributes['nestjs.type']).toBe('interceptor');
    expect(controller.attributes['nestjs.type']).toBe('controller');
    expect(service.attributes).toMatchObject({
      'code.function.name': 'UsersService.findOne',
      'code.namespace': 'UsersService',
      'nestjs.type': 'provider',
      'nestjs.module': 'UsersModule',
    });
    // Nothing from Nest itself or from the library.
    expect(spans).toHaveLength(9);
  });

  it('gives an exception filter a span of its own', async () => {
    const started = await start(platform);
    app = started.app;
    await request(started.url).get('/users/teapot').expect(418);
    const spans = await started.spans.waitForSpans(3);
    const filter = byName(spans, 'TeapotFilter.catch');
    const handler = byName(spans, 'UsersController.teapot');
    expect(filter.attributes['nestjs.type']).toBe('filter');
    // A 4xx is the client's fault: an exception event, no error status (OpenTelemetry).
    expect(handler.status.code).toBe(SpanStatusCode.UNSET);
    expect(handler.events.map((e) => e.name)).toEqual(['exception']);
    expect(filter.parentSpanId).toBe(byName(spans, 'GET /users/teapot').spanId);
  });
});

describe('automatic instrumentation, controls', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('creates no span for a method called outside any request', async () => {
    const started = await start('express');
    app = started.app;
    await expect(app.get(UsersService).findOne(3)).resolves.toEqual({ id: 3, name: 'user-3' });
    await app.get(InMemorySpanExporter).forceFlush();
    expect(started.spans.getFinishedSpans()).toEqual([]);
  });

  it('leaves out what exclude names, by class, pattern and module', async () => {
    const started = await start('express', {
      exclude: [AuditService, 'UsersRepository.*', /^ParseIdPipe\./, { module: 'ClockModule' }],
    });
    app = started.app;
    await request(started.url).get('/users/1').expect(200);
    const names = (await started.spans.waitForSpans(5)).map((s) => s.name).toSorted();
    expect(names).toEqual([
      'AuthGuard.canActivate',
      'EnvelopeInterceptor.intercept',
      'GET /users/:id',
      'UsersController.findOne',
      'UsersService.findOne',
    ]);
  });

  it('leaves out classes of the modules frameworkModules names', async () => {
    const started = await start('express', {
      frameworkModules: [...DEFAULT_FRAMEWORK_MODULES, 'ClockModule'],
    });
    app = started.app;
    await request(started.url).get('/users/1').expect(200);
    const names = (await started.spans.waitForSpans(8)).map((s) => s.name);
    expect(names).not.toContain('ClockService.now');
    expect(names).toContain('AuditService.record');
  });

  it('traces only what include names, and a module rule brings back a framework class', async () => {
    const started = await start('express', {
      include: ['UsersService.find*', { module: 'ClockModule' }],
      frameworkModules: ['ClockModule'],
      enhancers: false,
    });
    app = started.app;
    await request(started.url).get('/users/1').expect(200);
    const spans = await started.spans.waitForSpans(3);
    expect(spans.map((s) => s.name).toSorted()).toEqual([
      'ClockService.now',
      'GET /users/:id',
      'UsersService.findOne',
    ]);
  });

  it('rejects an invalid option with a message that names it', () => {
    expect(() => createTracingInstrument({ collapse: { threshold: 0 } })).toThrow(
      'createTracingInstrument: option "collapse.threshold" must be an integer of at least 1.',
    );
    expect(() => createTracingInstrument({ exclude: [42 as unknown as string] })).toThrow(
      /option "exclude\[0\]"/,
    );
  });
});
