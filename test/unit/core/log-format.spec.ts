import { describe, expect, it } from 'vitest';
import { hrTimeToUnixMillis } from '../../../lib/core/clock.js';
import { createResource } from '../../../lib/core/resource.js';
import {
  fitLogRecord,
  formatLogJsonLine,
  formatLogPrettyLine,
  logRecordToJson,
} from '../../../lib/core/log-format.js';
import type { LogRecord } from '../../../lib/core/log-record.js';

const resource = createResource({
  serviceName: 'orders',
  serviceVersion: '1.4.0',
  environment: 'prod',
});

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    time: performance.now(),
    level: 'info',
    message: 'order placed',
    context: 'OrdersService',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
    correlationId: 'req-1',
    fields: {},
    error: undefined,
    resource,
    source: 'log',
    ...overrides,
  };
}

describe('logRecordToJson', () => {
  it('writes the standard keys in their documented order, then the fields', () => {
    const r = record({ fields: { run_id: 'r1', amount: 12.5 } });
    const line = formatLogJsonLine(r);
    expect(Object.keys(JSON.parse(line))).toEqual([
      'timestamp',
      'level',
      'message',
      'context',
      'service',
      'environment',
      'version',
      'trace_id',
      'span_id',
      'correlation_id',
      'run_id',
      'amount',
    ]);
    expect(JSON.parse(line)).toMatchObject({
      timestamp: new Date(hrTimeToUnixMillis(r.time)).toISOString(),
      level: 'info',
      message: 'order placed',
      context: 'OrdersService',
      service: 'orders',
      environment: 'prod',
      version: '1.4.0',
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      span_id: 'b7ad6b7169203331',
      correlation_id: 'req-1',
      run_id: 'r1',
      amount: 12.5,
    });
  });

  it('never lets a field take over a standard key', () => {
    const json = logRecordToJson(
      record({ fields: { level: 'fatal', trace_id: 'forged', message: 'x', note: 'kept' } }),
    );
    expect(json.level).toBe('info');
    expect(json.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(json.message).toBe('order placed');
    expect(json.note).toBe('kept');
  });

  it('leaves out the ids outside a trace and writes an error with its type, message and stack', () => {
    const json = logRecordToJson(
      record({
        traceId: undefined,
        spanId: undefined,
        correlationId: undefined,
        level: 'error',
        error: { type: 'TypeError', message: 'bad', stack: 'TypeError: bad\n    at x (a.js:1:1)' },
      }),
    );
    expect(json).not.toHaveProperty('trace_id');
    expect(json).not.toHaveProperty('correlation_id');
    expect(json.error).toEqual({
      type: 'TypeError',
      message: 'bad',
      stack: 'TypeError: bad\n    at x (a.js:1:1)',
    });
  });

  it('turns bigint fields into strings instead of failing the line', () => {
    const line = formatLogJsonLine(record({ fields: { big: 12345678901234567890n } }));
    expect(JSON.parse(line).big).toBe('12345678901234567890');
  });
});

describe('fitLogRecord', () => {
  it('cuts the stack, then the message, so the line fits and says it was cut', () => {
    const long = record({
      message: 'm'.repeat(5000),
      error: { type: 'Error', message: 'boom', stack: 's'.repeat(20_000) },
    });
    const fitted = fitLogRecord(long, 4000);
    const line = formatLogJsonLine(fitted);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(4000);
    expect(JSON.parse(line).truncated).toBe(true);
    expect(fitted.traceId).toBe(long.traceId);
    expect(fitted.error?.stack?.length).toBeLessThan(100);
  });

  it('counts bytes, not characters, for multi-byte text', () => {
    const fitted = fitLogRecord(record({ message: 'é'.repeat(3000) }), 2000);
    expect(Buffer.byteLength(formatLogJsonLine(fitted))).toBeLessThanOrEqual(2000);
  });

  it('returns a record that already fits unchanged', () => {
    const small = record();
    expect(fitLogRecord(small, 10_000)).toBe(small);
  });
});

describe('formatLogPrettyLine', () => {
  it('shows time, level, context, message, ids and fields on one line and the stack below', () => {
    const line = formatLogPrettyLine(
      record({
        level: 'error',
        fields: { run_id: 'r1' },
        error: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (a.js:1:1)' },
      }),
    );
    const [first, ...rest] = line.split('\n');
    expect(first).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} ERROR \[OrdersService\] order placed trace_id=0af7651916cd43dd8448eb211c80319c correlation_id=req-1 run_id=r1$/,
    );
    expect(rest).toEqual(['    Error: boom', '        at f (a.js:1:1)']);
  });
});
