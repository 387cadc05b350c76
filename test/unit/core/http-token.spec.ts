import { describe, expect, it } from 'vitest';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import { isHeaderValue, isHttpToken } from '../../../lib/core/http-token.js';
import { parseBaggageHeader } from '../../../lib/core/propagation/w3c-baggage-propagator.js';
import { validateHeaders } from '../../../lib/export/transport/exporter-options.js';
import { OtlpHttpExporter } from '../../../lib/export/spans/otlp/otlp-http-exporter.js';
import { ZipkinExporter } from '../../../lib/export/spans/zipkin/zipkin-exporter.js';

const VALID = ['x-api-key', 'X-Api-Key', "x_a.b!#$%&'*+^`|~9"];
const INVALID = ['bad name', 'x:y', 'café', 'x(y)', 'x/y'];

function accepts(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

/** Every place that takes a header name (or a baggage key), asked the same question. */
const CHECKS: Record<string, (name: string) => boolean> = {
  'correlation.requestHeaders': (name) =>
    accepts(() => resolveTracingConfig({ correlation: { requestHeaders: [name] } }, {})),
  'correlation.responseHeader': (name) =>
    accepts(() => resolveTracingConfig({ correlation: { responseHeader: name } }, {})),
  OtlpHttpExporter: (name) => accepts(() => new OtlpHttpExporter({ headers: { [name]: 'v' } })),
  ZipkinExporter: (name) => accepts(() => new ZipkinExporter({ headers: { [name]: 'v' } })),
  'log exporters': (name) => accepts(() => validateHeaders('LokiLogExporter', { [name]: 'v' })),
  'baggage key': (name) => parseBaggageHeader(`${name}=v`).get(name) === 'v',
};

describe('isHttpToken', () => {
  it('accepts RFC 9110 tokens, in any case', () => {
    expect(VALID.filter((name) => !isHttpToken(name))).toEqual([]);
  });

  it('refuses separators, spaces, non-ASCII and the empty string', () => {
    expect([...INVALID, ''].filter(isHttpToken)).toEqual([]);
  });

  it.each(Object.keys(CHECKS))('is the rule %s applies', (where) => {
    const check = CHECKS[where]!;
    expect(VALID.filter((name) => !check(name))).toEqual([]);
    expect(INVALID.filter(check)).toEqual([]);
  });
});

const GOOD_VALUES = ['Bearer abc', 'a\tb', 'caf\u00e9', '~'];
const BAD_VALUES = ['line\r\nbreak', 'nul\u0000', 'del\u007f', 'emoji \u{1f600}', 'wide \u0100'];

/** Every place that takes a header value from options or the environment. */
const VALUE_CHECKS: Record<string, (value: string) => boolean> = {
  OtlpHttpExporter: (value) => accepts(() => new OtlpHttpExporter({ headers: { 'x-a': value } })),
  OTEL_EXPORTER_OTLP_HEADERS: (value) =>
    new OtlpHttpExporter({
      env: { OTEL_EXPORTER_OTLP_HEADERS: `x-a=${encodeURIComponent(value)}` },
    }).warnings.length === 0,
  ZipkinExporter: (value) => accepts(() => new ZipkinExporter({ headers: { 'x-a': value } })),
  'log exporters': (value) => accepts(() => validateHeaders('LokiLogExporter', { 'x-a': value })),
};

describe('isHeaderValue', () => {
  it('accepts what a request can carry, refuses what would make it throw', () => {
    expect(GOOD_VALUES.filter((value) => !isHeaderValue(value))).toEqual([]);
    expect(BAD_VALUES.filter(isHeaderValue)).toEqual([]);
  });

  it.each(Object.keys(VALUE_CHECKS))('is the rule %s applies', (where) => {
    const check = VALUE_CHECKS[where]!;
    expect(GOOD_VALUES.filter((value) => !check(value))).toEqual([]);
    expect(BAD_VALUES.filter(check)).toEqual([]);
  });
});
