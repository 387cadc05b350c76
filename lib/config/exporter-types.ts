/**
 * The built-in span exporters, by the `type` an `exporters` entry names. The one list that
 * the options type (`BuiltInExporterConfig`), the option validator, OTEL_TRACES_EXPORTER,
 * the provider that builds them and the error messages derive from.
 */
export const SPAN_EXPORTER_TYPES = [
  'console',
  'memory',
  'file',
  'otlp',
  'jaeger',
  'zipkin',
] as const;

export type SpanExporterType = (typeof SPAN_EXPORTER_TYPES)[number];

/** The type OTEL_TRACES_EXPORTER cannot name: it needs an option the environment does not give. */
type OptionsOnly = 'file';

/** What OTEL_TRACES_EXPORTER accepts: each type it can build with defaults, and `none`. */
export type EnvExporterName = Exclude<SpanExporterType, OptionsOnly> | 'none';

export const ENV_EXPORTER_NAMES: readonly EnvExporterName[] = [
  ...SPAN_EXPORTER_TYPES.filter(
    (type): type is Exclude<SpanExporterType, OptionsOnly> =>
      type !== ('file' satisfies OptionsOnly),
  ),
  'none',
];

export function isSpanExporterType(value: unknown): value is SpanExporterType {
  return typeof value === 'string' && (SPAN_EXPORTER_TYPES as readonly string[]).includes(value);
}
