import { describe, expect, it } from 'vitest';
import { formatPrometheus } from '../../../lib/metrics/prometheus-format.js';
import type { ExporterStats } from '../../../lib/index.js';
import { exporterMetricFamilies } from '../../../lib/metrics/exporter-metrics.js';
import { parsePrometheusText, sampleValue } from './prometheus-text-parser.js';

const stats = (exporter: string, extra: Partial<ExporterStats> = {}): ExporterStats => ({
  exporter,
  exported: 10,
  dropped: 2,
  failed: 1,
  retried: 3,
  queueLength: 4,
  ...extra,
});

describe('exporter self-telemetry metrics', () => {
  it('exposes each pipeline’s counters and queue, telling exporters of one class apart', () => {
    const text = formatPrometheus(
      exporterMetricFamilies([
        stats('ConsoleSpanExporter'),
        stats('ConsoleSpanExporter', { exported: 7 }),
        stats('OtlpHttpExporter', {
          lastError: { message: 'HTTP 503', at: '2025-01-02T03:04:05.500Z' },
        }),
      ]),
    );
    const m = parsePrometheusText(text);
    expect(
      sampleValue(m, 'tracing_exporter_spans_exported_total', { exporter: 'ConsoleSpanExporter' }),
    ).toBe(10);
    expect(
      sampleValue(m, 'tracing_exporter_spans_exported_total', {
        exporter: 'ConsoleSpanExporter#2',
      }),
    ).toBe(7);
    expect(
      sampleValue(m, 'tracing_exporter_spans_dropped_total', { exporter: 'OtlpHttpExporter' }),
    ).toBe(2);
    expect(
      sampleValue(m, 'tracing_exporter_spans_failed_total', { exporter: 'OtlpHttpExporter' }),
    ).toBe(1);
    expect(sampleValue(m, 'tracing_exporter_retries_total', { exporter: 'OtlpHttpExporter' })).toBe(
      3,
    );
    expect(sampleValue(m, 'tracing_exporter_queue_length', { exporter: 'OtlpHttpExporter' })).toBe(
      4,
    );
    expect(m.get('tracing_exporter_queue_length')!.type).toBe('gauge');
    expect(m.get('tracing_exporter_spans_dropped_total')!.type).toBe('counter');
  });

  it('gives the time of the last error in Unix seconds, only for exporters that failed', () => {
    const m = parsePrometheusText(
      formatPrometheus(
        exporterMetricFamilies([
          stats('A'),
          stats('B', { lastError: { message: 'boom', at: '2025-01-02T03:04:05.500Z' } }),
        ]),
      ),
    );
    expect(m.get('tracing_exporter_last_error_timestamp_seconds')!.samples).toEqual([
      {
        name: 'tracing_exporter_last_error_timestamp_seconds',
        labels: { exporter: 'B' },
        value: 1735787045.5,
      },
    ]);
  });

  it('adds the tail sampler’s counters when one is in the pipeline, and nothing otherwise', () => {
    const without = parsePrometheusText(formatPrometheus(exporterMetricFamilies([stats('A')])));
    expect(without.has('tracing_tail_sampled_out_spans_total')).toBe(false);
    const tail = { ...stats('TailSampler'), sampledOut: 120, overflowed: 6, heldTraces: 3 };
    const m = parsePrometheusText(formatPrometheus(exporterMetricFamilies([tail, stats('A')])));
    expect(sampleValue(m, 'tracing_tail_sampled_out_spans_total', {})).toBe(120);
    expect(sampleValue(m, 'tracing_tail_overflow_spans_total', {})).toBe(6);
    expect(sampleValue(m, 'tracing_tail_held_traces', {})).toBe(3);
    expect(m.get('tracing_tail_held_traces')!.type).toBe('gauge');
  });
});
