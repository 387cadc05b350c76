import { Logger, type LoggerService } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Baggage } from '../../../lib/core/baggage.js';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { createResource } from '../../../lib/core/resource.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { runSuppressed, runWithContext } from '../../../lib/core/trace-context.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { LogPipeline, type LogPipelineOptions } from '../../../lib/logging/log-pipeline.js';
import type { LogProcessor } from '../../../lib/logging/log-processor.js';
import type { LogRecord } from '../../../lib/core/log-record.js';
import { TraceLogger } from '../../../lib/logging/trace-logger.js';
import { Capture } from '../../fixtures/capture-stream.js';

class CollectingProcessor implements LogProcessor {
  readonly records: LogRecord[] = [];
  onEmit(record: LogRecord): void {
    this.records.push(record);
  }
  forceFlush = () => Promise.resolve();
  shutdown = () => Promise.resolve();
}

const staticLogger = Logger as unknown as { staticInstanceRef: LoggerService | undefined };
let previousStatic: LoggerService | undefined;
let capture: Capture;
let spans: InMemorySpanExporter;
let tracer: Tracer;

beforeEach(() => {
  previousStatic = staticLogger.staticInstanceRef;
  capture = new Capture();
  spans = new InMemorySpanExporter();
  tracer = new Tracer({
    processor: new SimpleSpanProcessor(spans),
    resource: createResource({ serviceName: 'orders', environment: 'test' }),
  });
});

afterEach(() => {
  staticLogger.staticInstanceRef = previousStatic;
});

function loggerWith(options: Partial<LogPipelineOptions> = {}) {
  const pipeline = new LogPipeline({
    resource: tracer.resource,
    destination: capture,
    level: 'info',
    ...options,
  });
  return { logger: new TraceLogger(pipeline), pipeline };
}

/** Runs `fn` in a request-like context with a correlation id and an active span. */
function inRequest<R>(fn: () => R): R {
  return runWithContext(tracer.createContext(undefined, 'corr-1', new Baggage()), () =>
    tracer.withSpan('GET /orders', fn),
  );
}

describe('TraceLogger', () => {
  it('writes a JSON line with the context of `new Logger(context)` once it is the app logger', async () => {
    const { logger } = loggerWith();
    Logger.overrideLogger(logger);
    new Logger('OrdersService').log('order placed', { orderId: 7 });
    await logger.flush();
    expect(capture.lines).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'order placed',
        context: 'OrdersService',
        service: 'orders',
        environment: 'test',
        orderId: 7,
      }),
    ]);
  });

  it('reads error(message, stack, context) and an Error given as the message as Nest does', async () => {
    const { logger } = loggerWith();
    Logger.overrideLogger(logger);
    const stack = 'Error: failed\n    at charge (payments.js:10:5)';
    new Logger('Payments').error('charge failed', stack);
    new Logger('ExceptionsHandler').error(new TypeError('bad card'));
    logger.error('no context, no stack');
    await logger.flush();
    const [first, second, third] = capture.lines;
    expect(first).toMatchObject({
      level: 'error',
      message: 'charge failed',
      context: 'Payments',
      error: { type: 'Error', message: 'charge failed', stack },
    });
    expect(second).toMatchObject({
      message: 'bad card',
      context: 'ExceptionsHandler',
      error: { type: 'TypeError', message: 'bad card' },
    });
    expect((second!.error as { stack: string }).stack).toContain('TypeError: bad card');
    expect(third).toMatchObject({ message: 'no context, no stack' });
    expect(third).not.toHaveProperty('context');
    expect(third).not.toHaveProperty('error');
  });

  it('puts the active span’s trace and span ids and the correlation id on every line', async () => {
    const { logger } = loggerWith();
    const ids = inRequest(() => {
      logger.log('inside', 'Orders');
      return tracer.withSpan('db.query', (span) => {
        logger.warn('slow query', 'Repo');
        return span.spanContext();
      });
    });
    logger.log('outside');
    await logger.flush();
    const [inside, nested, outside] = capture.lines;
    const server = spans.getFinishedSpans().find((s) => s.name === 'GET /orders')!;
    expect(inside).toMatchObject({
      trace_id: server.traceId,
      span_id: server.spanId,
      correlation_id: 'corr-1',
    });
    expect(nested).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId, level: 'warn' });
    expect(outside).not.toHaveProperty('trace_id');
  });

  it('drops lines below the level and follows Nest’s setLogLevels', async () => {
    const { logger } = loggerWith({ level: 'info' });
    logger.debug('hidden');
    logger.verbose('hidden too');
    logger.log('shown');
    logger.setLogLevels(['error', 'fatal']);
    logger.log('now hidden');
    logger.fatal('shown again');
    await logger.flush();
    expect(capture.lines.map((l) => l.message)).toEqual(['shown', 'shown again']);
    expect(capture.lines.map((l) => l.level)).toEqual(['info', 'fatal']);
  });

  it('records each line as a log event on the active span when span events are on', async () => {
    const { logger } = loggerWith({ spanEvents: true });
    inRequest(() => {
      logger.log('step one', 'Orders');
      logger.error(new Error('step two failed'), undefined, 'Orders');
    });
    const server = spans.getFinishedSpans()[0]!;
    expect(server.events.map((e) => e.name)).toEqual(['log', 'log']);
    expect(server.events[0]!.attributes).toEqual({
      'log.severity': 'info',
      'log.message': 'step one',
      'log.context': 'Orders',
    });
    expect(server.events[1]!.attributes).toMatchObject({
      'log.severity': 'error',
      'exception.type': 'Error',
      'exception.message': 'step two failed',
    });
  });

  it('adds no span events unless asked', () => {
    const { logger } = loggerWith();
    inRequest(() => logger.log('quiet'));
    expect(spans.getFinishedSpans()[0]!.events).toEqual([]);
  });

  it('redacts secret-looking fields, bound or given, and keeps counts under such names', async () => {
    const { logger } = loggerWith({ redactKeys: ['iban'] });
    const context = tracer
      .createContext(undefined, undefined, undefined)
      .withFields({ api_token: 'tok-123', max_tokens: 512, tenant_id: 't1' });
    runWithContext(context, () =>
      logger.log('payment', {
        password: 'hunter2',
        iban: 'DE89370400440532013000',
        header: 'Bearer abcdefghijklmnop',
        nested: { clientSecret: 's3cr3t', amount: 10 },
      }),
    );
    await logger.flush();
    expect(capture.lines[0]).toMatchObject({
      api_token: '[REDACTED]',
      max_tokens: 512,
      tenant_id: 't1',
      password: '[REDACTED]',
      iban: '[REDACTED]',
      header: '[REDACTED]',
      nested: { clientSecret: '[REDACTED]', amount: 10 },
    });
    expect(capture.text).not.toMatch(/hunter2|tok-123|s3cr3t|abcdefghijklmnop|DE8937/);
  });

  it('hands lines to the exporters, except those logged while the library itself exports', async () => {
    const processor = new CollectingProcessor();
    const { logger } = loggerWith({ processors: [processor] });
    logger.log('app line');
    runSuppressed(() => logger.warn('exporter trouble'));
    await logger.flush();
    expect(processor.records.map((r) => r.message)).toEqual(['app line']);
    expect(capture.lines.map((l) => l.message)).toEqual(['app line', 'exporter trouble']);
  });

  it('writes an Error given as a field with its type, message and stack', async () => {
    const { logger } = loggerWith();
    logger.warn('retrying', { cause: new RangeError('too far') });
    await logger.flush();
    expect(capture.lines[0]!.cause).toMatchObject({ type: 'RangeError', message: 'too far' });
    expect((capture.lines[0]!.cause as { stack: string }).stack).toContain('RangeError: too far');
  });

  it('uses a default context from forContext and takes plain-object messages as fields', async () => {
    const { logger } = loggerWith();
    const child = logger.forContext('Jobs');
    child.log({ message: 'job done', jobId: 'j1' });
    child.log('with its own context', 'Other');
    await logger.flush();
    expect(capture.lines[0]).toMatchObject({ message: 'job done', context: 'Jobs', jobId: 'j1' });
    expect(capture.lines[1]).toMatchObject({ context: 'Other' });
  });

  it('never throws into the caller, whatever it is given', async () => {
    const { logger } = loggerWith();
    const hostile = {
      toJSON() {
        throw new Error('no');
      },
    };
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => logger.log(hostile)).not.toThrow();
    expect(() => logger.log('cyclic', { cyclic })).not.toThrow();
    expect(() => logger.log(Symbol('s'))).not.toThrow();
    await logger.flush();
    expect(capture.lines).toHaveLength(3);
    expect(capture.lines[1]).toMatchObject({ cyclic: { a: 1, self: '[Circular]' } });
  });
});
