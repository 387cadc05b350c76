import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  SpanStatusCode,
  TraceFlags,
  type ReadableSpan,
  type Span,
} from '../../../lib/index.js';
import {
  SimpleSpanProcessor,
  Tracer,
  runWithContext,
  type SpanProcessor,
} from '../../../lib/export/index.js';
import type { CollapseRules } from '../../../lib/instrumentation/collapse-rules.js';
import { SpanCollapse } from '../../../lib/instrumentation/span-collapse.js';
import { DEFAULT_TAIL_BOUNDS, TailSamplingProcessor } from '../../../lib/core/tail-sampler.js';

const RULES: CollapseRules = {
  threshold: 10,
  keep: 3,
  keepOnlyRoot: undefined,
  maxSpansPerTrace: 1000,
  maxHeldSpans: 20_000,
  maxHoldMs: 60_000,
};

// The processor wraps the export chain (here one exporter) and is the tracer's processor.
function setup(rules: Partial<CollapseRules> = {}) {
  const exporter = new InMemorySpanExporter();
  const settings = new SpanCollapse();
  settings.configure({ ...RULES, ...rules });
  const collapse = settings.wrapExport(new SimpleSpanProcessor(exporter));
  const tracer = new Tracer({ processor: collapse, resource: { attributes: {} } });
  const root = (name = 'GET /fields') => tracer.startSpan(name, undefined);
  /** A child of `parent` lasting `ms` (times are set explicitly, so no waiting). */
  const child = (parent: Span, name: string, startMs: number, ms: number, error = false) => {
    const ctx = tracer.createContext(parent, undefined, undefined);
    const span = runWithContext(ctx, () =>
      tracer.startSpan(
        name,
        { startTime: startMs, attributes: { 'code.function.name': name } },
        ctx,
      ),
    );
    if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: 'invalid' });
    span.end(startMs + ms);
    return span as unknown as ReadableSpan;
  };
  return { exporter, collapse, tracer, root, child };
}

const names = (spans: readonly ReadableSpan[]) => spans.map((s) => s.name).toSorted();

/** An export chain that writes down what reaches it (and keeps doing so after shutdown). */
function recorder() {
  const events: string[] = [];
  const downstream: SpanProcessor = {
    onStart: (span) => events.push(`start ${span.name}`),
    onEnd: (span) => events.push(`end ${span.name}`),
    forceFlush: () => {
      events.push('flush');
      return Promise.resolve();
    },
    shutdown: () => {
      events.push('shutdown');
      return Promise.resolve();
    },
  };
  return { downstream, events };
}

/** A configured collapse over a recorder, its tracer, and the context of an open request. */
function recordedRequest() {
  const { downstream, events } = recorder();
  const settings = new SpanCollapse();
  settings.configure(RULES);
  const collapse = settings.wrapExport(downstream);
  const tracer = new Tracer({ processor: collapse, resource: { attributes: {} } });
  const ctx = tracer.createContext(tracer.startSpan('GET /'), undefined, undefined);
  return { events, collapse, tracer, ctx };
}

describe('CollapsingSpanProcessor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds a request’s spans until its root ends', () => {
    const { exporter, root, child } = setup();
    const request = root();
    child(request, 'UsersService.find', Date.now(), 2);
    expect(exporter.getFinishedSpans()).toEqual([]);
    request.end();
    expect(names(exporter.getFinishedSpans())).toEqual(['GET /fields', 'UsersService.find']);
  });

  it('replaces more than threshold same-named siblings by the slowest, the errored and one summary', () => {
    const { exporter, root, child } = setup();
    const request = root();
    const t0 = Date.now();
    // 14 validations of 1..14 ms; the 2 ms one fails.
    const pipes = Array.from({ length: 14 }, (_, i) =>
      child(request, 'ValidationPipe.transform', t0 + i, i + 1, i === 1),
    );
    child(request, 'FieldsService.resolve', t0, 5);
    request.end();
    const spans = exporter.getFinishedSpans();
    const validations = spans.filter((s) => s.name === 'ValidationPipe.transform');
    const summary = validations.find((s) => s.attributes['nestjs.collapsed.count'] !== undefined)!;
    const kept = validations.filter((s) => s !== summary);
    // The three slowest (14, 13, 12 ms) and the errored one.
    expect(kept.map((s) => s.durationMs).toSorted((a, b) => a - b)).toEqual([2, 12, 13, 14]);
    expect(summary.attributes['nestjs.collapsed.count']).toBe(10);
    const summed = [1, 3, 4, 5, 6, 7, 8, 9, 10, 11].reduce((a, b) => a + b, 0);
    expect(summary.attributes['nestjs.collapsed.duration_ms']).toBe(summed);
    expect(summary.parentSpanId).toBe(request.spanContext().spanId);
    expect(summary.traceId).toBe(request.spanContext().traceId);
    expect(summary.startTime).toBe(pipes[0]!.startTime);
    expect(summary.endTime).toBe(pipes[10]!.endTime);
    expect(spans.some((s) => s.name === 'FieldsService.resolve')).toBe(true);
    expect(spans).toHaveLength(1 + 1 + 4 + 1);
  });

  it('leaves runs at or under the threshold, and siblings of other parents, alone', () => {
    const { exporter, root, child } = setup({ threshold: 3 });
    const request = root();
    const t0 = Date.now();
    const a = child(request, 'A.run', t0, 50);
    for (let i = 0; i < 3; i++) child(request, 'Pipe.transform', t0, 1);
    request.end();
    expect(exporter.getFinishedSpans()).toHaveLength(5);
    expect(a.name).toBe('A.run');
  });

  it('cuts the descendants of a collapsed span with it and counts them', () => {
    const { exporter, tracer, root } = setup({ threshold: 2, keep: 1 });
    const request = root();
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      const ctx = tracer.createContext(request, undefined, undefined);
      const resolver = tracer.startSpan('Resolver.field', { startTime: t0 }, ctx);
      const inner = tracer.startSpan('Db.query', { startTime: t0 }, ctx.withSpan(resolver));
      inner.end(t0 + i);
      resolver.end(t0 + i + 1);
    }
    request.end();
    const spans = exporter.getFinishedSpans();
    const ids = new Set(spans.map((s) => s.spanId));
    // Every exported span's parent was exported too (or it is the root).
    expect(spans.every((s) => s.parentSpanId === undefined || ids.has(s.parentSpanId))).toBe(true);
    const summary = spans.find((s) => s.attributes['nestjs.collapsed.count'] !== undefined)!;
    expect(summary.attributes['nestjs.collapsed.count']).toBe(3);
    expect(summary.attributes['nestjs.collapsed.descendants']).toBe(3);
    expect(names(spans)).toEqual(['Db.query', 'GET /fields', 'Resolver.field', 'Resolver.field']);
  });

  it('exports only the root when keepOnlyRoot matches the response status', () => {
    const { exporter, root, child } = setup({
      keepOnlyRoot: (span) => span.attributes['http.response.status_code'] === 404,
    });
    const missing = root('GET /users/:id');
    child(missing, 'UsersService.find', Date.now(), 1);
    missing.setAttribute('http.response.status_code', 404);
    missing.end();
    const found = root('GET /users/:id');
    child(found, 'UsersService.find', Date.now(), 1);
    found.setAttribute('http.response.status_code', 200);
    found.end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([
      'GET /users/:id',
      'UsersService.find',
      'GET /users/:id',
    ]);
  });

  it('exports a request as it is once it holds maxSpansPerTrace spans, and later spans at once', () => {
    const { exporter, collapse, root, child } = setup({ maxSpansPerTrace: 3 });
    const request = root();
    for (let i = 0; i < 3; i++) child(request, 'Pipe.transform', Date.now(), 1);
    expect(collapse.held).toBe(3);
    child(request, 'Pipe.transform', Date.now(), 1);
    expect(collapse.held).toBe(0);
    expect(exporter.getFinishedSpans()).toHaveLength(4);
    child(request, 'Pipe.transform', Date.now(), 1);
    expect(exporter.getFinishedSpans()).toHaveLength(5);
  });

  it('bounds the spans held across requests by releasing the oldest request', () => {
    const { exporter, collapse, root, child } = setup({ maxHeldSpans: 4 });
    const first = root('first');
    const second = root('second');
    child(first, 'A.a', Date.now(), 1);
    child(first, 'A.b', Date.now(), 1);
    child(second, 'B.a', Date.now(), 1);
    child(second, 'B.b', Date.now(), 1);
    expect(exporter.getFinishedSpans()).toEqual([]);
    child(second, 'B.c', Date.now(), 1);
    expect(names(exporter.getFinishedSpans())).toEqual(['A.a', 'A.b']);
    expect(collapse.held).toBe(3);
  });

  it('releases a request held longer than maxHoldMs', () => {
    vi.useFakeTimers();
    const { exporter, collapse, root, child } = setup({ maxHoldMs: 100 });
    const request = root();
    child(request, 'Slow.step', Date.now(), 1);
    vi.advanceTimersByTime(250);
    expect(collapse.held).toBe(0);
    expect(names(exporter.getFinishedSpans())).toEqual(['Slow.step']);
  });

  it('hands everything held on before shutting the export chain down, then passes spans straight on', async () => {
    const { events, collapse, tracer, ctx } = recordedRequest();
    tracer.startSpan('A.a', undefined, ctx).end();
    const ends = () => events.filter((e) => !e.startsWith('start'));
    expect(ends()).toEqual([]);
    await collapse.shutdown();
    expect(ends()).toEqual(['end A.a', 'shutdown']);
    tracer.startSpan('A.b', undefined, ctx).end();
    expect(ends()).toEqual(['end A.a', 'shutdown', 'end A.b']);
    expect(collapse.held).toBe(0);
  });

  it('passes every span straight on until it is configured, and holds from then on', () => {
    const exporter = new InMemorySpanExporter();
    const settings = new SpanCollapse();
    const collapse = settings.wrapExport(new SimpleSpanProcessor(exporter));
    const tracer = new Tracer({ processor: collapse, resource: { attributes: {} } });
    const request = tracer.startSpan('GET /');
    const ctx = tracer.createContext(request, undefined, undefined);
    tracer.startSpan('A.a', undefined, ctx).end();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    // As `applyTo` does on a testing module: configured after the tracer was made.
    settings.configure(RULES);
    const later = tracer.startSpan('GET /later');
    tracer.startSpan('B.b', undefined, tracer.createContext(later, undefined, undefined)).end();
    expect(collapse.held).toBe(1);
    later.end();
    expect(names(exporter.getFinishedSpans())).toEqual(['A.a', 'B.b', 'GET /later']);
  });

  it('leaves the spans it holds as they are: sampled, and unchanged when handed on', () => {
    const { exporter, collapse, root, child } = setup();
    const request = root();
    const step = child(request, 'A.a', Date.now(), 1);
    expect(collapse.held).toBe(1);
    expect(step.traceFlags & TraceFlags.SAMPLED).toBe(TraceFlags.SAMPLED);
    expect(step.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(TraceFlags.SAMPLED);
    request.end();
    const [first, second] = exporter.getFinishedSpans();
    // The held span is handed on before the root that released it, as the same object.
    expect(first).toBe(step);
    expect(second!.name).toBe('GET /fields');
  });

  it('passes unsampled spans straight on without holding them', () => {
    const seen: ReadableSpan[] = [];
    const settings = new SpanCollapse();
    settings.configure(RULES);
    const collapse = settings.wrapExport({
      onEnd: (span) => seen.push(span),
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    });
    const tracer = new Tracer({
      processor: collapse,
      resource: { attributes: {} },
      sampler: new AlwaysOffSampler(),
      recordUnsampled: true,
    });
    const request = tracer.startSpan('GET /');
    const ctx = tracer.createContext(request, undefined, undefined);
    tracer.startSpan('A.a', undefined, ctx).end();
    expect(collapse.held).toBe(0);
    expect(seen.map((s) => s.name)).toEqual(['A.a']);
    expect(seen[0]!.traceFlags & TraceFlags.SAMPLED).toBe(0);
  });

  it('passes span starts on, and flushes the export chain after handing it what it holds', async () => {
    const { events, collapse, tracer, ctx } = recordedRequest();
    tracer.startSpan('A.a', undefined, ctx).end();
    expect(events).toEqual(['start GET /', 'start A.a']);
    await collapse.forceFlush();
    expect(events).toEqual(['start GET /', 'start A.a', 'end A.a', 'flush']);
  });
});

/** Span collapse around a tail sampler whose head rule drops everything. */
function tailSetup() {
  const exporter = new InMemorySpanExporter();
  const settings = new SpanCollapse();
  settings.configure({ ...RULES, threshold: 3, keep: 1 });
  const tail = new TailSamplingProcessor(new SimpleSpanProcessor(exporter), {
    headSampler: new AlwaysOffSampler(),
    keepErrors: true,
    thresholdMs: undefined,
    keep: [],
    drop: [],
    ...DEFAULT_TAIL_BOUNDS,
  });
  const collapse = settings.wrapExport(tail);
  const tracer = new Tracer({ processor: collapse, resource: { attributes: {} } });
  const request = (error: boolean) => {
    const root = tracer.startSpan('GET /rows');
    const ctx = tracer.createContext(root, undefined, undefined);
    for (let i = 0; i < 5; i++) {
      const span = runWithContext(ctx, () => tracer.startSpan('SELECT', { startTime: i }, ctx));
      if (error && i === 2) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(i + 1 + i);
    }
    root.end();
  };
  return { exporter, collapse, tail, request };
}

describe('span collapse with the tail sampler inside it', () => {
  it('keeps a failed request as collapsed, whole: kept spans, the summary and the root', () => {
    const { exporter, tail, request } = tailSetup();
    request(true);
    const spans = exporter.getFinishedSpans();
    // The slowest and the failed one, the summary of the other three, and the root.
    expect(spans).toHaveLength(4);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(spans.filter((s) => s.status.code === SpanStatusCode.ERROR)).toHaveLength(1);
    expect(tail.stats()).toMatchObject({ exported: 4, sampledOut: 0, overflowed: 0 });
  });

  it('drops a request the tail does not keep, holding nothing afterwards', () => {
    // Collapsed first (the slowest, the summary of the other four, the root), then dropped.
    const { exporter, collapse, tail, request } = tailSetup();
    request(false);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(tail.stats()).toMatchObject({ sampledOut: 3, heldTraces: 0, queueLength: 0 });
    expect((collapse as unknown as { held: number }).held).toBe(0);
  });
});
