import type { ExporterStats } from '../core/exporter-stats.js';
import type { MetricFamilySnapshot, ScalarSeries } from './metrics-registry.js';

/** The exporter self-telemetry metric names. */
export const EXPORTER_METRIC_NAMES = {
  exported: 'tracing_exporter_spans_exported_total',
  dropped: 'tracing_exporter_spans_dropped_total',
  failed: 'tracing_exporter_spans_failed_total',
  retries: 'tracing_exporter_retries_total',
  queueLength: 'tracing_exporter_queue_length',
  lastError: 'tracing_exporter_last_error_timestamp_seconds',
} as const;

/**
 * Exporter names made unique (`ConsoleSpanExporter`, `ConsoleSpanExporter#2`), so two
 * exporters of one class never share a series.
 */
export function exporterLabels(stats: readonly ExporterStats[]): string[] {
  const seen = new Map<string, number>();
  return stats.map((s) => {
    const n = (seen.get(s.exporter) ?? 0) + 1;
    seen.set(s.exporter, n);
    return n === 1 ? s.exporter : `${s.exporter}#${n}`;
  });
}

/** Each exporter pipeline's counters as metric families, read at scrape time. */
export function exporterMetricFamilies(stats: readonly ExporterStats[]): MetricFamilySnapshot[] {
  const names = exporterLabels(stats);
  const series = (value: (s: ExporterStats) => number | undefined): ScalarSeries[] =>
    stats.flatMap((s, i) => {
      const v = value(s);
      return v === undefined ? [] : [{ labels: [['exporter', names[i]!]], value: v }];
    });
  const n = EXPORTER_METRIC_NAMES;
  return [
    {
      name: n.exported,
      help: 'Spans the exporter backend accepted.',
      type: 'counter',
      series: series((s) => s.exported),
    },
    {
      name: n.dropped,
      help: 'Spans never sent: the export queue was full, or shutdown ran out of time.',
      type: 'counter',
      series: series((s) => s.dropped),
    },
    {
      name: n.failed,
      help: 'Spans given up on: a final failure, exhausted retries, or unanswered at shutdown.',
      type: 'counter',
      series: series((s) => s.failed),
    },
    {
      name: n.retries,
      help: 'Export retry attempts.',
      type: 'counter',
      series: series((s) => s.retried),
    },
    {
      name: n.queueLength,
      help: 'Spans waiting to be exported.',
      type: 'gauge',
      series: series((s) => s.queueLength),
    },
    {
      name: n.lastError,
      help: 'When the exporter last failed, in Unix seconds (absent if it never failed).',
      type: 'gauge',
      series: series((s) => (s.lastError ? Date.parse(s.lastError.at) / 1000 : undefined)),
    },
  ];
}
