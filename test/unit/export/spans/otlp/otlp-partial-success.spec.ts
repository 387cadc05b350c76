import protoRoot from 'otlp-transformer-protos/build/src/generated/root.js';
import { describe, expect, it } from 'vitest';
import { readOtlpPartialSuccess } from '../../../../../lib/export/spans/otlp/otlp-partial-success.js';

/** The official ExportTraceServiceResponse (protobufjs, generated from opentelemetry-proto). */
const ExportTraceServiceResponse = (
  protoRoot as unknown as {
    opentelemetry: {
      proto: {
        collector: {
          trace: {
            v1: {
              ExportTraceServiceResponse: {
                encode(message: object): { finish(): Uint8Array };
                fromObject(object: Record<string, unknown>): object;
                toObject(message: object, options: { longs: StringConstructor }): object;
              };
            };
          };
        };
      };
    };
  }
).opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('readOtlpPartialSuccess', () => {
  it('reads a JSON body, int64 as a string or a number', () => {
    expect(
      readOtlpPartialSuccess(
        json({ partialSuccess: { rejectedSpans: '3', errorMessage: 'too big' } }),
        'http/json',
      ),
    ).toEqual({ rejectedSpans: 3, errorMessage: 'too big' });
    expect(
      readOtlpPartialSuccess(json({ partialSuccess: { rejectedSpans: 2 } }), 'http/json'),
    ).toEqual({ rejectedSpans: 2, errorMessage: '' });
  });

  it('reads a protobuf body and skips fields it does not know', () => {
    // partial_success { rejected_spans: 5, error_message: "no" }, then an unknown varint field 2.
    const inner = [0x08, 0x05, 0x12, 0x02, 0x6e, 0x6f];
    const body = Buffer.from([0x0a, inner.length, ...inner, 0x10, 0x01]);
    expect(readOtlpPartialSuccess(body, 'http/protobuf')).toEqual({
      rejectedSpans: 5,
      errorMessage: 'no',
    });
  });

  it('reads what the official OTLP types encode, as protobuf and as OTLP/JSON', () => {
    const message = ExportTraceServiceResponse.fromObject({
      partialSuccess: { rejectedSpans: 7, errorMessage: 'spans too old' },
    });
    const bytes = Buffer.from(ExportTraceServiceResponse.encode(message).finish());
    expect(readOtlpPartialSuccess(bytes, 'http/protobuf')).toEqual({
      rejectedSpans: 7,
      errorMessage: 'spans too old',
    });
    // OTLP/JSON writes int64 as a decimal string.
    const asJson = ExportTraceServiceResponse.toObject(message, { longs: String });
    expect(readOtlpPartialSuccess(json(asJson), 'http/json')).toEqual({
      rejectedSpans: 7,
      errorMessage: 'spans too old',
    });
  });

  it('gives undefined for a body without one or one it cannot read, never a throw', () => {
    expect(readOtlpPartialSuccess(json({}), 'http/json')).toBeUndefined();
    expect(readOtlpPartialSuccess(Buffer.from('not json'), 'http/json')).toBeUndefined();
    expect(readOtlpPartialSuccess(Buffer.from([]), 'http/protobuf')).toBeUndefined();
    // Length 10 with 2 bytes left; a varint that never ends.
    expect(
      readOtlpPartialSuccess(Buffer.from([0x0a, 0x0a, 0x08, 0x01]), 'http/protobuf'),
    ).toBeUndefined();
    expect(readOtlpPartialSuccess(Buffer.from([0x0a, 0xff]), 'http/protobuf')).toBeUndefined();
  });
});
