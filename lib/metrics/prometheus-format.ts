import type { MetricFamilySnapshot, MetricLabels } from './metrics-registry.js';

/** The Content-Type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Renders metric families in the Prometheus text exposition format (0.0.4): a HELP and a
 * TYPE line per family, then its samples; histograms as cumulative `_bucket` lines ending
 * with `le="+Inf"`, then `_sum` and `_count`. Pure: no clock, no I/O.
 */
export function formatPrometheus(families: Iterable<MetricFamilySnapshot>): string {
  const out: string[] = [];
  for (const family of families) {
    const name = family.name;
    out.push(`# HELP ${name} ${escapeHelp(family.help)}\n`, `# TYPE ${name} ${family.type}\n`);
    if (family.type === 'histogram') {
      const les = family.buckets.map((b) => `le="${formatNumber(b)}"`);
      les.push('le="+Inf"');
      for (const series of family.series) {
        const prefix = labelPrefix(series.labels);
        let cumulative = 0;
        for (let i = 0; i < les.length; i++) {
          cumulative += series.bucketCounts[i] ?? 0;
          out.push(`${name}_bucket{${prefix}${les[i]}} ${formatNumber(cumulative)}\n`);
        }
        const labels = formatLabels(series.labels);
        out.push(
          `${name}_sum${labels} ${formatNumber(series.sum)}\n`,
          `${name}_count${labels} ${formatNumber(series.count)}\n`,
        );
      }
    } else {
      for (const series of family.series) {
        out.push(`${name}${formatLabels(series.labels)} ${formatNumber(series.value)}\n`);
      }
    }
  }
  return out.join('');
}

/** `{a="1",b="2"}`, or nothing for no labels. */
export function formatLabels(labels: MetricLabels): string {
  if (labels.length === 0) return '';
  let text = '{';
  for (let i = 0; i < labels.length; i++) {
    const [name, value] = labels[i]!;
    text += `${i === 0 ? '' : ','}${name}="${escapeLabelValue(value)}"`;
  }
  return text + '}';
}

/** The labels of a bucket line before `le`: `a="1",b="2",`. */
function labelPrefix(labels: MetricLabels): string {
  let text = '';
  for (const [name, value] of labels) text += `${name}="${escapeLabelValue(value)}",`;
  return text;
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : value;
}

/** HELP text escapes backslash and line feed (quotes stay as they are). */
export function escapeHelp(help: string): string {
  return /[\\\n]/.test(help) ? help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : help;
}

/** Sample values and bucket bounds as Prometheus parses them (Go's ParseFloat). */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
