import { describe, expect, it } from 'vitest';
import type { ExporterStats } from '../../../lib/core/exporter-stats.js';
import { MultiSpanProcessor, NOOP_PROCESSOR } from '../../../lib/core/multi-span-processor.js';
import type { SpanProcessor } from '../../../lib/core/span-processor.js';
import { Tracer } from '../../../lib/core/tracer.js';
import type { ReadableSpan } from '../../../lib/core/types.js';
import { createSpanPipeline } from '../../../lib/config/span-pipeline.js';
import type { ExportWrapper } from '../../../lib/config/tracing-feature.js';
import { TraceIdRatioBasedSampler } from '../../../lib/core/samplers.js';
import { DEFAULT_TAIL_BOUNDS } from '../../../lib/core/tail-sampler.js';

/** A processor that writes down the names of the spans it sees, under its own label. */
function recording(label: string, log: string[], stats?: Partial<ExporterStats>): SpanProcessor {
  return {
    onEnd: (span: ReadableSpan) => log.push(`${label} ${span.name}`),
    forceFlush: () => Promise.resolve(),
    shutdown: () => {
      log.push(`${label} shutdown`);
      return Promise.resolve();
    },
    ...(stats && {
      stats: (): ExporterStats => ({
        exporter: label,
        exported: 0,
        dropped: 0,
        failed: 0,
        retried: 0,
        queueLength: 0,
        ...stats,
      }),
    }),
  };
}

/** A wrapper that passes on only the spans `keep` accepts, and notes what it was given. */
function filtering(label: string, keep: (name: string) => boolean, log: string[]): ExportWrapper {
  return {
    wrapExport: (downstream) => ({
      onEnd: (span) => {
        log.push(`${label} ${span.name}`);
        if (keep(span.name)) downstream.onEnd(span);
      },
      forceFlush: () => downstream.forceFlush(),
      shutdown: () => downstream.shutdown(),
    }),
  };
}

/** A wrapper that passes every span on, its start included (as span collapse does). */
function passing(label: string, log: string[]): ExportWrapper {
  return {
    wrapExport: (downstream) => ({
      onStart: (span) => downstream.onStart?.(span),
      onEnd: (span) => {
        log.push(`${label} ${span.name}`);
        downstream.onEnd(span);
      },
      forceFlush: () => downstream.forceFlush(),
      shutdown: () => downstream.shutdown(),
    }),
  };
}

const exporters = (all: ExporterStats[]) => all.map((s) => [s.exporter, s.exported]);

function endSpans(processor: SpanProcessor, ...names: string[]): void {
  const tracer = new Tracer({ processor, resource: { attributes: {} } });
  for (const name of names) tracer.startSpan(name).end();
}

describe('createSpanPipeline', () => {
  it('is one flat fan-out, processors first, when no feature wraps the export chain', () => {
    const log: string[] = [];
    const metrics = recording('metrics', log);
    const logs = recording('logs', log);
    const exporter = recording('otlp', log);
    const pipeline = createSpanPipeline({
      processors: [metrics],
      exportProcessors: [logs, exporter],
      exportWrappers: [],
    });
    expect(pipeline).toBeInstanceOf(MultiSpanProcessor);
    expect((pipeline as MultiSpanProcessor).processors).toEqual([metrics, logs, exporter]);
    endSpans(pipeline, 'a');
    expect(log).toEqual(['metrics a', 'logs a', 'otlp a']);
  });

  it('is the no-op processor when there is nothing to run', () => {
    const wrapper = filtering('never', () => true, []);
    expect(
      createSpanPipeline({ processors: [], exportProcessors: [], exportWrappers: [wrapper] }),
    ).toBe(NOOP_PROCESSOR);
  });

  it('lets the processors see every span, and the export chain only what the wrapper passes on', () => {
    const log: string[] = [];
    const pipeline = createSpanPipeline({
      processors: [recording('metrics', log)],
      exportProcessors: [recording('logs', log), recording('otlp', log)],
      exportWrappers: [filtering('collapse', (name) => name !== 'cut', log)],
    });
    endSpans(pipeline, 'kept', 'cut');
    expect(log).toEqual([
      'metrics kept',
      'collapse kept',
      'logs kept',
      'otlp kept',
      'metrics cut',
      'collapse cut',
    ]);
  });

  it('applies wrappers in order, each around the chain the previous one made', () => {
    const log: string[] = [];
    const pipeline = createSpanPipeline({
      processors: [],
      exportProcessors: [recording('otlp', log)],
      exportWrappers: [
        filtering('inner', (name) => name !== 'b', log),
        filtering('outer', (name) => name !== 'a', log),
      ],
    });
    endSpans(pipeline, 'a', 'b', 'c');
    expect(log).toEqual(['outer a', 'outer b', 'inner b', 'outer c', 'inner c', 'otlp c']);
  });

  it('shuts the wrapped export chain down through the wrapper', async () => {
    const log: string[] = [];
    const pipeline = createSpanPipeline({
      processors: [recording('metrics', log)],
      exportProcessors: [recording('otlp', log)],
      exportWrappers: [filtering('collapse', () => true, log)],
    });
    await pipeline.shutdown();
    expect(log).toEqual(['metrics shutdown', 'otlp shutdown']);
  });

  it('reports the stats of every export pipeline, wrapped or not, in order', () => {
    const parts = {
      processors: [recording('metrics', [])],
      exportProcessors: [
        recording('logs (spans)', [], { exported: 1 }),
        recording('otlp', [], { exported: 2 }),
      ],
    };
    const plain = createSpanPipeline({ ...parts, exportWrappers: [] }) as MultiSpanProcessor;
    const wrapped = createSpanPipeline({
      ...parts,
      exportWrappers: [filtering('collapse', () => true, [])],
    }) as MultiSpanProcessor;
    expect(exporters(plain.allStats())).toEqual([
      ['logs (spans)', 1],
      ['otlp', 2],
    ]);
    expect(exporters(wrapped.allStats())).toEqual(exporters(plain.allStats()));
  });

  it('leaves the wrappers out when there is nothing to export', () => {
    let wrapped = 0;
    const log: string[] = [];
    const pipeline = createSpanPipeline({
      processors: [recording('metrics', log)],
      exportProcessors: [],
      exportWrappers: [
        {
          wrapExport: (downstream) => {
            wrapped++;
            return downstream;
          },
        },
      ],
    });
    endSpans(pipeline, 'a');
    expect(wrapped).toBe(0);
    expect(log).toEqual(['metrics a']);
  });

  it('puts the tail sampler innermost: processors and export wrappers see every span first', () => {
    const log: string[] = [];
    const pipeline = createSpanPipeline({
      processors: [recording('metrics', log)],
      exportProcessors: [recording('otlp', log, {})],
      exportWrappers: [passing('collapse', log)],
      tailSampling: {
        headSampler: new TraceIdRatioBasedSampler(0),
        keepErrors: true,
        thresholdMs: undefined,
        keep: [{ match: (root) => root.name === 'kept' }],
        drop: [],
        ...DEFAULT_TAIL_BOUNDS,
      },
    });
    endSpans(pipeline, 'kept', 'dropped');
    expect(log).toEqual([
      'metrics kept',
      'collapse kept',
      'otlp kept',
      'metrics dropped',
      'collapse dropped',
    ]);
    expect(exporters((pipeline as MultiSpanProcessor).allStats())).toEqual([
      ['TailSampler', 1],
      ['otlp', 0],
    ]);
  });
});
