import { describe, expect, it } from 'vitest';
import { spanToJson } from '../../../lib/export/spans/console-format.js';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { encodeOtlpJson } from '../../../lib/export/spans/otlp/otlp-json-encoder.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { SpanKind, SpanStatusCode } from '../../../lib/core/types.js';
import { decodeOtlpJson } from '../../../lib/devtools/received-span.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

function recordedSpans() {
  const exporter = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'catalog', 'service.version': '1.2.0' } },
  });
  const remoteParent = {
    traceId: TRACE,
    spanId: '00f067aa0ba902b7',
    traceFlags: 1,
    isRemote: true,
  };
  tracer.withSpan(
    'GET /products/:sku',
    (server) => {
      server.setAttributes({
        'http.route': '/products/:sku',
        'http.response.status_code': 200,
        ratio: 0.5,
        cached: false,
        tags: ['a', 'b'],
        sizes: [1, 2],
      });
      server.addEvent('cache.miss', { key: 'BOOK-1' });
      const child = tracer.startSpan('db.find', { kind: SpanKind.CLIENT });
      child.recordException(new TypeError('bad row'));
      child.setStatus({ code: SpanStatusCode.ERROR, message: 'bad row' });
      child.end();
    },
    { kind: SpanKind.SERVER, parent: remoteParent },
  );
  return exporter.getFinishedSpans();
}

/** A span's JSON without its event times (compared apart, to within a microsecond). */
function withoutEventTimes(json: ReturnType<typeof spanToJson>) {
  return { ...json, events: json.events.map(({ timeUnixNano: _time, ...event }) => event) };
}

describe('decodeOtlpJson', () => {
  it("reads back what the OTLP JSON encoder writes, as the exporters' JSON form", () => {
    const spans = recordedSpans();
    const decoded = decodeOtlpJson(JSON.parse(encodeOtlpJson(spans)));
    expect(decoded.rejected).toBe(0);
    const got = decoded.spans.map(spanToJson);
    const sent = spans.map(spanToJson);
    expect(got.map(withoutEventTimes)).toEqual(sent.map(withoutEventTimes));
    // Event times pass through this process's high-resolution clock: equal to the microsecond.
    const drift = got.flatMap((span, i) =>
      span.events.map((event, j) =>
        Number(BigInt(event.timeUnixNano) - BigInt(sent[i]!.events[j]!.timeUnixNano)),
      ),
    );
    expect(drift).toHaveLength(2);
    for (const ns of drift) expect(Math.abs(ns)).toBeLessThanOrEqual(1000);
    const server = decoded.spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(server.parentIsRemote).toBe(true);
    expect(server.spanContext()).toMatchObject({ traceId: TRACE, isRemote: true });
  });

  it('rejects and counts spans with malformed ids or times, and keeps the rest', () => {
    const good = {
      traceId: TRACE,
      spanId: '1111111111111111',
      name: 'ok',
      startTimeUnixNano: '1',
      endTimeUnixNano: '2',
    };
    const decoded = decodeOtlpJson({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'other' } }] },
          scopeSpans: [
            {
              scope: { name: 'java' },
              spans: [
                good,
                { ...good, traceId: '0'.repeat(32) },
                { ...good, spanId: 'xyz' },
                { ...good, startTimeUnixNano: 'soon' },
                { ...good, endTimeUnixNano: '0' },
                { ...good, parentSpanId: 'nope' },
                'not a span',
              ],
            },
          ],
        },
      ],
    });
    expect(decoded.spans.map((s) => s.name)).toEqual(['ok']);
    expect(decoded.rejected).toBe(6);
    expect(decoded.spans[0]!.resource.attributes).toEqual({ 'service.name': 'other' });
  });

  it('understands enum names, upper-case hex ids and values that are not attribute types', () => {
    const [span] = decodeOtlpJson({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE.toUpperCase(),
                  spanId: 'ABCDEF0123456789',
                  name: 'consume',
                  kind: 'SPAN_KIND_CONSUMER',
                  status: { code: 'STATUS_CODE_ERROR', message: 'late' },
                  startTimeUnixNano: 1_000_000,
                  endTimeUnixNano: '3000000',
                  attributes: [
                    { key: 'map', value: { kvlistValue: { values: [] } } },
                    {
                      key: 'mixed',
                      value: { arrayValue: { values: [{ intValue: '1' }, { stringValue: 'x' }] } },
                    },
                    { key: '__proto__', value: { stringValue: 'own' } },
                    { key: 'empty', value: {} },
                  ],
                },
              ],
            },
          ],
        },
      ],
    }).spans;
    expect(span).toMatchObject({
      traceId: TRACE,
      spanId: 'abcdef0123456789',
      kind: SpanKind.CONSUMER,
      status: { code: SpanStatusCode.ERROR, message: 'late' },
      durationMs: 2,
    });
    expect(span && 'duration' in span).toBe(false);
    expect(span!.attributes).toEqual({
      map: '{"values":[]}',
      mixed: '[1,"x"]',
      ['__proto__']: 'own',
    });
    expect(Object.getPrototypeOf(span!.attributes)).toBe(Object.prototype);
  });

  it('throws on a body that is not an export request at all', () => {
    expect(() => decodeOtlpJson({ spans: [] })).toThrow('"resourceSpans"');
    expect(() => decodeOtlpJson(null)).toThrow(TypeError);
  });
});
