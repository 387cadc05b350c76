import type { ExporterStats } from '../core/exporter-stats.js';
import type { TailSamplerStats } from '../core/tail-sampler.js';
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

/** The tail sampler's own counters (present only when `sampling.tail` is on). */
export const TAIL_METRIC_NAMES = {
  sampledOut: 'tracing_tail_sampled_out_spans_total',
  overflowed: 'tracing_tail_overflow_spans_total',
  heldTraces: 'tracing_tail_held_traces',
} as const;

function isTailStats(stats: ExporterStats): stats is TailSamplerStats {
  return typeof (stats as Partial<TailSamplerStats>).sampledOut === 'number';
}

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
  return [...exporterFamilies(n, series), ...tailFamilies(stats)];
}

/** The tail sampler's families, when one is in the pipeline (none otherwise). */
function tailFamilies(stats: readonly ExporterStats[]): MetricFamilySnapshot[] {
  const tail = stats.find(isTailStats);
  if (tail === undefined) return [];
  const t = TAIL_METRIC_NAMES;
  return [
    {
      name: t.sampledOut,
      help: 'Spans the tail sampler did not keep: never exported (their metrics still count).',
      type: 'counter',
      series: [{ labels: [], value: tail.sampledOut }],
    },
    {
      name: t.overflowed,
      help: 'Spans decided by the head sampler because a tail-sampling bound was hit.',
      type: 'counter',
      series: [{ labels: [], value: tail.overflowed }],
    },
    {
      name: t.heldTraces,
      help: 'Traces held by the tail sampler, waiting for their local root span to end.',
      type: 'gauge',
      series: [{ labels: [], value: tail.heldTraces }],
    },
  ];
}

function exporterFamilies(
  n: typeof EXPORTER_METRIC_NAMES,
  series: (value: (s: ExporterStats) => number | undefined) => ScalarSeries[],
): MetricFamilySnapshot[] {
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
