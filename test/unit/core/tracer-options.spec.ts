import { describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { AlwaysOffSampler } from '../../../lib/core/samplers.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import type { SpanProcessor } from '../../../lib/core/span-processor.js';
import { activeContext, runWithContext } from '../../../lib/core/trace-context.js';
import { Tracer } from '../../../lib/core/tracer.js';
import type { ReadableSpan } from '../../../lib/core/types.js';

const resource = { attributes: { 'service.name': 'opts' } };

describe('Tracer options', () => {
  it('records dropped spans for processors when recordUnsampled is on, without exporting them', () => {
    const seen: ReadableSpan[] = [];
    const exporter = new InMemorySpanExporter();
    const exporting = new SimpleSpanProcessor(exporter);
    const counting: SpanProcessor = {
      onEnd: (span) => {
        seen.push(span);
        exporting.onEnd(span);
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    const tracer = new Tracer({
      processor: counting,
      resource,
      sampler: new AlwaysOffSampler(),
      recordUnsampled: true,
    });
    const span = tracer.startSpan('counted');
    span.setAttribute('k', 1);
    expect(span.isRecording()).toBe(true);
    span.end();
    expect(seen.map((s) => [s.name, s.attributes.k, s.traceFlags & 1])).toEqual([
      ['counted', 1, 0],
    ]);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('does not record dropped spans by default', () => {
    const tracer = new Tracer({
      processor: new SimpleSpanProcessor(new InMemorySpanExporter()),
      resource,
      sampler: new AlwaysOffSampler(),
    });
    expect(tracer.startSpan('dropped').isRecording()).toBe(false);
  });

  it('puts the fields bound to a context on every span started inside it, and child contexts inherit them', () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new Tracer({ processor: new SimpleSpanProcessor(exporter), resource });
    const ctx = tracer
      .createContext(undefined, 'corr', undefined)
      .withFields({ 'run.id': 'r-1', tenant: 'acme' });
    runWithContext(ctx, () =>
      tracer.withSpan('outer', () => {
        expect(activeContext().fields).toEqual({ 'run.id': 'r-1', tenant: 'acme' });
        runWithContext(activeContext().withFields({ stage: 'load' }), () =>
          tracer.withSpan('inner', () => {}),
        );
      }),
    );
    const [inner, outer] = exporter.getFinishedSpans();
    expect(outer!.attributes).toMatchObject({ 'run.id': 'r-1', tenant: 'acme' });
    expect(inner!.attributes).toMatchObject({ 'run.id': 'r-1', tenant: 'acme', stage: 'load' });
    expect(outer!.attributes.stage).toBeUndefined();
  });
});
