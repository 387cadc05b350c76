import { NotFoundException } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { Test } from '@nestjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  TracingModule,
  TracingService,
  type TracingModuleOptions,
} from '../../../lib/index.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('TracingService', () => {
  let moduleRef: TestingModule;
  let tracing: TracingService;
  let spans: InMemorySpanExporter;

  async function setup(options: TracingModuleOptions = {}): Promise<void> {
    moduleRef = await Test.createTestingModule({
      imports: [
        TracingModule.forRoot({ serviceName: 'svc', exporters: [{ type: 'memory' }], ...options }),
      ],
    }).compile();
    await moduleRef.init();
    tracing = moduleRef.get(TracingService);
    spans = moduleRef.get(InMemorySpanExporter);
  }

  beforeEach(() => setup());
  afterEach(() => moduleRef.close());

  it('reports no trace outside any span', () => {
    expect(tracing.getTraceId()).toBeUndefined();
    expect(tracing.getCorrelationId()).toBeUndefined();
    expect(tracing.getCurrentSpan().isRecording()).toBe(false);
  });

  it('continues an extracted context and injects it onwards without overwriting caller headers', async () => {
    const incoming = {
      traceparent: TRACEPARENT,
      baggage: 'tenant=acme',
      'x-correlation-id': 'corr-1',
    };
    const ctx = tracing.extract(incoming);
    const outgoing = await tracing.runInContext(ctx, 'consume', async () => {
      expect(tracing.getTraceId()).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
      expect(tracing.getCorrelationId()).toBe('corr-1');
      expect(tracing.getBaggage('tenant')).toBe('acme');
      tracing.setBaggage('user', 'ada');
      const headers: Record<string, string> = { 'x-correlation-id': 'caller-set' };
      return tracing.inject(headers);
    });
    const [span] = spans.getFinishedSpans();
    expect(span!.kind).toBe(SpanKind.CONSUMER);
    expect(span!.parentSpanId).toBe('00f067aa0ba902b7');
    expect(outgoing.traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${span!.spanId}-01`);
    expect(outgoing.baggage).toBe('tenant=acme,user=ada');
    expect(outgoing['x-correlation-id']).toBe('caller-set');
  });

  it('never overwrites a traceparent the caller set', () => {
    tracing.withSpan('outer', () => {
      const headers = new Headers({ traceparent: 'mine' });
      tracing.inject(headers);
      expect(headers.get('traceparent')).toBe('mine');
    });
  });

  it('records exceptions, attributes and events on the active span', () => {
    tracing.withSpan('work', () => {
      tracing.setAttributes({ 'app.items': 3, skipped: undefined });
      tracing.addEvent('checkpoint', { step: 1 });
      tracing.recordException(new TypeError('bad input'));
    });
    const [span] = spans.getFinishedSpans();
    expect(span!.attributes).toEqual({ 'app.items': 3 });
    expect(span!.events.map((e) => e.name)).toEqual(['checkpoint', 'exception']);
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad input' });
  });

  it('records a 4xx HttpException as an event only, unless errors.countAsError lists it', async () => {
    tracing.withSpan('lookup', () => tracing.recordException(new NotFoundException('no order')));
    const [expected] = spans.getFinishedSpans();
    await moduleRef.close();
    await setup({ errors: { countAsError: [NotFoundException] } });
    tracing.withSpan('lookup', () => tracing.recordException(new NotFoundException('no order')));
    const [counted] = spans.getFinishedSpans();
    expect(expected!.events.map((e) => e.name)).toEqual(['exception']);
    expect(expected!.status.code).toBe(SpanStatusCode.UNSET);
    expect(counted!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no order' });
  });

  it('starts spans that the caller ends, as children of the active one', () => {
    tracing.startActiveSpan('parent', (parent) => {
      const child = tracing.startSpan('child');
      child.end();
      parent.end();
    });
    const [child, parent] = spans.getFinishedSpans();
    expect(child!.parentSpanId).toBe(parent!.spanId);
  });

  it('cannot set baggage outside a request context and says so', () => {
    expect(tracing.setBaggage('k', 'v')).toBe(false);
  });

  it('writes a dispatch hook that puts the trace into packet metadata', () => {
    const hook = tracing.createDispatchHook();
    const packet: { metadata?: Record<string, string> } = { metadata: { tenant: 'x' } };
    tracing.withSpan('send', () => hook(packet));
    expect(packet.metadata!.tenant).toBe('x');
    expect(packet.metadata!.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
  });

  it('injects B3 when configured', async () => {
    await moduleRef.close();
    await setup({ propagators: ['b3multi'] });
    const headers: Record<string, string> = {};
    tracing.withSpan('b3', () => tracing.inject(headers));
    expect(headers['x-b3-traceid']).toMatch(/^[0-9a-f]{32}$/);
    expect(headers['x-b3-sampled']).toBe('1');
    expect(headers.traceparent).toBeUndefined();
  });
});
