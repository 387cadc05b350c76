import { describe, expect, it } from 'vitest';
import { MetricsRegistry } from '../../../lib/metrics/metrics-registry.js';
import { formatPrometheus } from '../../../lib/metrics/prometheus-format.js';
import { parsePrometheusText, sampleValue } from './prometheus-text-parser.js';

describe('formatPrometheus', () => {
  it('writes HELP and TYPE lines, then the samples, ending with a newline', () => {
    const registry = new MetricsRegistry();
    registry.counter('jobs_total', 'Jobs run.', ['queue']).labels('mail').inc(2);
    registry.gauge('temperature', 'Current temperature.').labels().set(-1.5);
    expect(formatPrometheus(registry.collect())).toBe(
      [
        '# HELP jobs_total Jobs run.',
        '# TYPE jobs_total counter',
        'jobs_total{queue="mail"} 2',
        '# HELP temperature Current temperature.',
        '# TYPE temperature gauge',
        'temperature -1.5',
        '',
      ].join('\n'),
    );
  });

  it('escapes backslash, double quote and newline in label values, and a strict parser reads them back', () => {
    const registry = new MetricsRegistry();
    const nasty = 'C:\\path "quoted"\nnext line';
    registry
      .counter('odd_total', 'Help with \\ and\nnewline, "quotes" stay.', ['v'])
      .labels(nasty)
      .inc();
    const text = formatPrometheus(registry.collect());
    expect(text).toContain('odd_total{v="C:\\\\path \\"quoted\\"\\nnext line"} 1\n');
    expect(text).toContain('# HELP odd_total Help with \\\\ and\\nnewline, "quotes" stay.\n');
    const parsed = parsePrometheusText(text);
    expect(sampleValue(parsed, 'odd_total', { v: nasty })).toBe(1);
    expect(parsed.get('odd_total')!.help).toBe('Help with \\ and\nnewline, "quotes" stay.');
  });

  it('writes histograms as cumulative buckets ending in +Inf equal to _count, then _sum and _count', () => {
    const registry = new MetricsRegistry();
    const h = registry.histogram('latency_seconds', 'Latency.', ['route'], [0.005, 0.5, 2.5]);
    const series = h.labels('/a');
    for (const v of [0.001, 0.004, 0.3, 2, 2.5, 9]) series.observe(v);
    const text = formatPrometheus(registry.collect());
    expect(text).toBe(
      [
        '# HELP latency_seconds Latency.',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{route="/a",le="0.005"} 2',
        'latency_seconds_bucket{route="/a",le="0.5"} 3',
        'latency_seconds_bucket{route="/a",le="2.5"} 5',
        'latency_seconds_bucket{route="/a",le="+Inf"} 6',
        `latency_seconds_sum{route="/a"} ${0.001 + 0.004 + 0.3 + 2 + 2.5 + 9}`,
        'latency_seconds_count{route="/a"} 6',
        '',
      ].join('\n'),
    );
    parsePrometheusText(text);
  });

  it('writes an unlabelled histogram and the overflow series in a form the parser accepts', () => {
    const registry = new MetricsRegistry({ maxSeriesPerMetric: 1 });
    registry.histogram('plain_seconds', 'Plain.', [], [1]).labels().observe(0.5);
    const capped = registry.histogram('capped_seconds', 'Capped.', ['k'], [1]);
    capped.labels('a').observe(3);
    capped.labels('b').observe(0.2);
    const text = formatPrometheus(registry.collect());
    expect(text).toContain('plain_seconds_bucket{le="1"} 1\nplain_seconds_bucket{le="+Inf"} 1\n');
    expect(text).toContain('plain_seconds_sum 0.5\nplain_seconds_count 1\n');
    expect(text).toContain('capped_seconds_bucket{overflow="true",le="+Inf"} 1\n');
    const parsed = parsePrometheusText(text);
    expect(sampleValue(parsed, 'capped_seconds_count', { overflow: 'true' })).toBe(1);
  });

  it('writes special values as Prometheus reads them', () => {
    const registry = new MetricsRegistry();
    const g = registry.gauge('g', 'G.', ['k']);
    g.labels('inf').set(Infinity);
    g.labels('ninf').set(-Infinity);
    g.labels('nan').set(Number.NaN);
    g.labels('tiny').set(1e-7);
    const text = formatPrometheus(registry.collect());
    expect(text).toContain('g{k="inf"} +Inf\ng{k="ninf"} -Inf\ng{k="nan"} NaN\ng{k="tiny"} 1e-7\n');
    expect(sampleValue(parsePrometheusText(text), 'g', { k: 'tiny' })).toBe(1e-7);
  });

  it('writes HELP and TYPE for a family with no series yet', () => {
    const registry = new MetricsRegistry();
    registry.counter('idle_total', 'Nothing yet.', ['k']);
    expect(formatPrometheus(registry.collect())).toBe(
      '# HELP idle_total Nothing yet.\n# TYPE idle_total counter\n',
    );
  });
});

describe('the strict exposition parser used by these tests', () => {
  it.each([
    ['m{a="x"} 1', 'must end with'],
    ['m{a="\\t"} 1\n', 'invalid escape'],
    ['m{a="x} 1\n', 'unterminated label value'],
    ['m{a="x",a="y"} 1\n', 'duplicate label'],
    ['m 1\nm 2\n', 'duplicate series'],
    [
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
      'not _count',
    ],
    [
      '# TYPE h histogram\nh_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n',
      'bounds not increasing',
    ],
    ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', 'missing le="+Inf"'],
    [
      '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="2"} 2\nh_bucket{le="+Inf"} 3\nh_sum 1\nh_count 3\n',
      'not cumulative',
    ],
    ['m one\n', 'invalid value'],
    ['a 1\nb 1\na{x="1"} 1\n', 'not contiguous'],
  ])('rejects %j', (text, message) => {
    expect(() => parsePrometheusText(text)).toThrow(message);
  });
});
