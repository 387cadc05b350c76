import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { createResource } from '../../../lib/core/resource.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanStatusCode } from '../../../lib/core/types.js';
import {
  LogPipeline,
  registerLogPipeline,
  unregisterLogPipeline,
} from '../../../lib/logging/log-pipeline.js';
import { currentRun, runJob } from '../../../lib/logging/run-context.js';
import { TraceLogger } from '../../../lib/logging/trace-logger.js';
import { Capture } from '../../fixtures/capture-stream.js';

let capture: Capture;
let spans: InMemorySpanExporter;
let tracer: Tracer;
let pipeline: LogPipeline;
let logger: TraceLogger;

beforeEach(() => {
  capture = new Capture();
  spans = new InMemorySpanExporter();
  tracer = new Tracer({
    processor: new SimpleSpanProcessor(spans),
    resource: createResource({ serviceName: 'jobs' }),
  });
  pipeline = new LogPipeline({ resource: tracer.resource, destination: capture, level: 'debug' });
  registerLogPipeline(tracer, pipeline);
  logger = new TraceLogger(pipeline);
});

afterEach(() => {
  unregisterLogPipeline(pipeline);
});

const noop = () => undefined;

/** A runJob call with `options`, to be expected to throw. */
function invalid(options: object): () => void {
  return () => runJob({ tracer, ...options }, noop);
}

const RUN = {
  runId: 'run-1',
  workflow: 'import',
  stage: 'fetch',
  job: 'orders',
  userId: 'u-7',
  tenantId: 'acme',
  tags: ['nightly', 'backfill'],
} as const;

const RUN_FIELDS = {
  run_id: 'run-1',
  workflow: 'import',
  stage: 'fetch',
  job: 'orders',
  user_id: 'u-7',
  tenant_id: 'acme',
  tags: ['nightly', 'backfill'],
};

describe('runJob', () => {
  it('binds the run’s fields to its span, every span inside it and every line logged inside it', async () => {
    await runJob({ ...RUN, tracer }, async (run) => {
      run.info('run started', { pages: 3 });
      await tracer.withSpan('fetch page', async () => {
        logger.log('page fetched', 'Importer');
        run.warning('page was slow');
      });
      run.debug('run done');
    });
    await pipeline.forceFlush();
    const [runSpan, child] = [
      spans.getFinishedSpans().find((s) => s.name === 'run import/fetch/orders')!,
      spans.getFinishedSpans().find((s) => s.name === 'fetch page')!,
    ];
    expect(runSpan.attributes).toMatchObject(RUN_FIELDS);
    expect(child.attributes).toMatchObject(RUN_FIELDS);
    expect(child.parentSpanId).toBe(runSpan.spanId);
    const lines = capture.lines;
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['info', 'run started'],
      ['info', 'page fetched'],
      ['warn', 'page was slow'],
      ['debug', 'run done'],
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({ ...RUN_FIELDS, trace_id: runSpan.traceId });
      // Outside any request the run id is the correlation id.
      expect(line.correlation_id).toBe('run-1');
    }
    expect(lines[0]).toMatchObject({ span_id: runSpan.spanId, pages: 3 });
    // Inside a child span, even the run's own methods name the innermost span.
    expect(lines[1]!.span_id).toBe(child.spanId);
    expect(lines[2]!.span_id).toBe(child.spanId);
  });

  it('makes a nested run the child of the enclosing run and inherits its fields', async () => {
    await runJob({ ...RUN, tracer }, () =>
      runJob({ runId: 'run-2', stage: 'transform' }, (inner) => inner.info('nested')),
    );
    await pipeline.forceFlush();
    expect(capture.lines[0]).toMatchObject({
      run_id: 'run-2',
      parent_run_id: 'run-1',
      workflow: 'import',
      stage: 'transform',
      tenant_id: 'acme',
    });
    const inner = spans.getFinishedSpans().find((s) => s.name === 'run transform')!;
    const outer = spans.getFinishedSpans().find((s) => s.name === 'run import/fetch/orders')!;
    expect(inner.parentSpanId).toBe(outer.spanId);
  });

  it('starts a new trace, without the enclosing fields, when asked for a root run', async () => {
    await runJob({ ...RUN, tracer }, () =>
      runJob({ runId: 'detached', job: 'cleanup', root: true }, (run) => run.info('alone')),
    );
    await pipeline.forceFlush();
    const detached = spans.getFinishedSpans().find((s) => s.name === 'run cleanup')!;
    const outer = spans.getFinishedSpans().find((s) => s.name === 'run import/fetch/orders')!;
    expect(detached.parentSpanId).toBeUndefined();
    expect(detached.traceId).not.toBe(outer.traceId);
    expect(capture.lines[0]).not.toHaveProperty('workflow');
    expect(capture.lines[0]).not.toHaveProperty('parent_run_id');
  });

  it('returns what the function returns, sync staying sync, and ends the span when a promise settles', async () => {
    const sync = runJob({ tracer, job: 'sync' }, () => 42);
    expect(sync).toBe(42);
    let finish!: (value: string) => void;
    const pending = runJob(
      { tracer, job: 'async' },
      () => new Promise<string>((resolve) => (finish = resolve)),
    );
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['run sync']);
    finish('done');
    await expect(pending).resolves.toBe('done');
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['run sync', 'run async']);
  });

  it('records a thrown or rejected error on the run span and rethrows it unchanged', async () => {
    const error = new Error('source down');
    expect(() =>
      runJob({ tracer, job: 'throws' }, () => {
        throw error;
      }),
    ).toThrow(error);
    await expect(
      runJob({ tracer, job: 'rejects' }, async () => Promise.reject(error)),
    ).rejects.toBe(error);
    for (const span of spans.getFinishedSpans()) {
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'source down' });
      expect(span.events[0]!.name).toBe('exception');
    }
  });

  it('logs exception() with the stack and records it on the span without failing the run', async () => {
    runJob({ ...RUN, tracer }, (run) =>
      run.exception(new RangeError('row 7 invalid'), 'row skipped'),
    );
    await pipeline.forceFlush();
    expect(capture.lines[0]).toMatchObject({
      level: 'error',
      message: 'row skipped',
      run_id: 'run-1',
      error: { type: 'RangeError', message: 'row 7 invalid' },
    });
    expect((capture.lines[0]!.error as { stack: string }).stack).toContain(
      'RangeError: row 7 invalid',
    );
    const span = spans.getFinishedSpans()[0]!;
    expect(span.events[0]).toMatchObject({
      name: 'exception',
      attributes: { 'exception.type': 'RangeError' },
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('logs with the run’s fields from a callback that lost the async context', async () => {
    let saved!: ReturnType<typeof currentRun>;
    runJob({ ...RUN, tracer }, () => {
      saved = currentRun();
    });
    saved!.error('late callback');
    await pipeline.forceFlush();
    expect(capture.lines[0]).toMatchObject({ message: 'late callback', ...RUN_FIELDS });
    expect(currentRun()).toBeUndefined();
  });

  it('generates a run id, binds tag objects as key:value, and redacts secret fields before the span keeps them', () => {
    runJob(
      { tracer, job: 'tagged', tags: { team: 'data' }, fields: { apiKey: 'k-1', batch: 5 } },
      (run) => {
        expect(run.runId).toMatch(/^[0-9a-f-]{36}$/);
      },
    );
    const span = spans.getFinishedSpans()[0]!;
    expect(span.attributes).toMatchObject({
      tags: ['team:data'],
      apiKey: '[REDACTED]',
      batch: 5,
    });
  });

  it('rejects invalid options with the option named', () => {
    expect(invalid({ runId: 42 })).toThrow(/option "runId" must be a non-empty string; got 42/);
    expect(invalid({ userId: '' })).toThrow(/option "userId"/);
    expect(invalid({ fields: { nested: { a: 1 } } })).toThrow(/option "fields.nested"/);
    expect(invalid({ tags: { team: 1 } })).toThrow(/option "tags.team"/);
    expect(spans.getFinishedSpans()).toEqual([]);
  });

  it('still binds fields to log lines when there is no tracer', async () => {
    runJob({ ...RUN, tracer: undefined }, (run) => {
      expect(run.span.isRecording()).toBe(false);
      logger.log('no tracing here');
    });
    await pipeline.forceFlush();
    expect(capture.lines[0]).toMatchObject({ ...RUN_FIELDS, correlation_id: 'run-1' });
    expect(capture.lines[0]).not.toHaveProperty('trace_id');
  });
});
