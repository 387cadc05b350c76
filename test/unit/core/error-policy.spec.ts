import 'reflect-metadata';
import {
  BadRequestException,
  ConflictException,
  HttpException,
  InternalServerErrorException,
  NotFoundException,
} from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { WsException } from '@nestjs/websockets';
import { firstValueFrom, throwError } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearGlobalTracer, setGlobalTracer } from '../../../lib/core/global-tracer.js';
import { DEFAULT_ERROR_POLICY, ErrorPolicy, httpStatusOf } from '../../../lib/core/error-policy.js';
import {
  InMemorySpanExporter,
  SpanStatusCode,
  Traced,
  type ReadableSpan,
} from '../../../lib/index.js';
import { SimpleSpanProcessor, Tracer } from '../../../lib/export/index.js';

describe('ErrorPolicy', () => {
  it('follows the OpenTelemetry conventions by default: 4xx HttpExceptions are not errors', () => {
    const policy = DEFAULT_ERROR_POLICY;
    expect(policy.isError(new NotFoundException())).toBe(false);
    expect(policy.isError(new BadRequestException())).toBe(false);
    expect(policy.isError(new HttpException('moved', 302))).toBe(false);
    expect(policy.isError(new InternalServerErrorException())).toBe(true);
    expect(policy.isError(new HttpException('bad gateway', 502))).toBe(true);
    expect(policy.isError(new Error('boom'))).toBe(true);
    expect(policy.isError('a string')).toBe(true);
    // Microservice and WebSocket exceptions carry no status: errors, as any other throw.
    expect(policy.isError(new RpcException('no such order'))).toBe(true);
    expect(policy.isError(new WsException('bad event'))).toBe(true);
  });

  it('judges response statuses: 5xx fail a server span, 4xx do not', () => {
    expect(DEFAULT_ERROR_POLICY.isErrorStatus(500)).toBe(true);
    expect(DEFAULT_ERROR_POLICY.isErrorStatus(503)).toBe(true);
    expect(DEFAULT_ERROR_POLICY.isErrorStatus(404)).toBe(false);
    expect(DEFAULT_ERROR_POLICY.isErrorStatus(409)).toBe(false);
  });

  it('counts listed statuses, classes and predicates as errors too, never fewer', () => {
    class QuotaError extends HttpException {
      constructor() {
        super('quota', 429);
      }
    }
    const policy = new ErrorPolicy([
      409,
      QuotaError,
      (e) => e instanceof HttpException && e.message === 'gone for good',
    ]);
    expect(policy.isError(new ConflictException())).toBe(true);
    expect(policy.isErrorStatus(409)).toBe(true);
    expect(policy.isError(new QuotaError())).toBe(true);
    expect(policy.isErrorStatus(429)).toBe(false);
    expect(policy.isError(new HttpException('gone for good', 410))).toBe(true);
    expect(policy.isError(new HttpException('gone', 410))).toBe(false);
    expect(policy.isError(new NotFoundException())).toBe(false);
    expect(policy.isError(new Error('boom'))).toBe(true);
  });

  it('keeps the default decision when a predicate throws', () => {
    const policy = new ErrorPolicy([
      () => {
        throw new Error('bad predicate');
      },
    ]);
    expect(policy.isError(new NotFoundException())).toBe(false);
    expect(policy.isError(new Error('boom'))).toBe(true);
  });

  it('reads the status of an HttpException by shape (a second copy of @nestjs/common too)', () => {
    const foreign = Object.assign(new Error('not found'), {
      getStatus: () => 404,
      getResponse: () => 'not found',
    });
    expect(httpStatusOf(foreign)).toBe(404);
    expect(httpStatusOf(Object.assign(new Error('x'), { getStatus: () => 404 }))).toBeUndefined();
    expect(httpStatusOf({ getStatus: () => 404, getResponse: () => '' })).toBeUndefined();
  });
});

function expectExpected(span: ReadableSpan, message: string): void {
  expect(span.status.code).toBe(SpanStatusCode.UNSET);
  expect(span.events).toHaveLength(1);
  expect(span.events[0]).toMatchObject({
    name: 'exception',
    attributes: { 'exception.type': 'NotFoundException', 'exception.message': message },
  });
}

describe('@Traced() with expected errors', () => {
  let exporter: InMemorySpanExporter;
  let tracer: Tracer;

  function useTracer(policy?: ErrorPolicy): void {
    exporter = new InMemorySpanExporter();
    tracer = new Tracer({
      processor: new SimpleSpanProcessor(exporter),
      resource: { attributes: { 'service.name': 'unit' } },
      errorPolicy: policy,
    });
    setGlobalTracer(tracer);
  }

  beforeEach(() => useTracer());
  afterEach(() => clearGlobalTracer(tracer));

  class Orders {
    @Traced()
    find(id: string): never {
      throw new NotFoundException(`order ${id}`);
    }

    @Traced()
    async findLater(id: string): Promise<never> {
      await Promise.resolve();
      throw new NotFoundException(`order ${id}`);
    }

    @Traced()
    watch() {
      return throwError(() => new NotFoundException('order 7'));
    }

    @Traced()
    *walk(): Generator<number> {
      yield 1;
      throw new NotFoundException('order 8');
    }

    @Traced()
    async create(): Promise<never> {
      await Promise.resolve();
      throw new ConflictException('exists');
    }

    @Traced()
    async crash(): Promise<never> {
      await Promise.resolve();
      throw new InternalServerErrorException('db down');
    }
  }

  function onlySpan(): ReadableSpan {
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    return spans[0]!;
  }

  it('records a 4xx thrown synchronously as an exception event, status unset', () => {
    expect(() => new Orders().find('42')).toThrow(NotFoundException);
    expectExpected(onlySpan(), 'order 42');
  });

  it('does the same for a rejection, an Observable error and a generator', async () => {
    await expect(new Orders().findLater('43')).rejects.toThrow(NotFoundException);
    expectExpected(onlySpan(), 'order 43');
    exporter.reset();
    await expect(firstValueFrom(new Orders().watch())).rejects.toThrow(NotFoundException);
    expectExpected(onlySpan(), 'order 7');
    exporter.reset();
    const walk = new Orders().walk();
    walk.next();
    expect(() => walk.next()).toThrow(NotFoundException);
    expectExpected(onlySpan(), 'order 8');
  });

  it('keeps 5xx an error', async () => {
    await expect(new Orders().crash()).rejects.toThrow(InternalServerErrorException);
    expect(onlySpan().status).toEqual({ code: SpanStatusCode.ERROR, message: 'db down' });
  });

  it("uses the tracer's policy: a listed status is an error", async () => {
    await expect(new Orders().create()).rejects.toThrow(ConflictException);
    expect(onlySpan().status.code).toBe(SpanStatusCode.UNSET);
    clearGlobalTracer(tracer);
    useTracer(new ErrorPolicy([409]));
    await expect(new Orders().create()).rejects.toThrow(ConflictException);
    expect(onlySpan().status).toEqual({ code: SpanStatusCode.ERROR, message: 'exists' });
  });

  it('applies to tracer.withSpan and its rejections too', async () => {
    await expect(
      tracer.withSpan('lookup', async () => {
        throw new NotFoundException('nothing');
      }),
    ).rejects.toThrow(NotFoundException);
    expect(onlySpan().status.code).toBe(SpanStatusCode.UNSET);
  });
});
