import { describe, expect, it } from 'vitest';
import { hrTimeToUnixMillis, hrTimeToUnixNanos } from '../../../../lib/core/clock.js';
import { createResource } from '../../../../lib/core/resource.js';
import {
  splitCloudWatchBatches,
  toCloudWatchLogEvents,
  CLOUDWATCH_LIMITS,
} from '../../../../lib/export/logs/cloudwatch-log-format.js';
import {
  encodeDatadogLogs,
  toDatadogId,
  toDatadogLog,
} from '../../../../lib/export/logs/datadog-log-format.js';
import { encodeLokiPush, toLokiPush } from '../../../../lib/export/logs/loki-log-format.js';
import { encodeLogJsonArray } from '../../../../lib/export/logs/rest-log-exporter.js';
import type { LogRecord } from '../../../../lib/core/log-record.js';

const resource = createResource({
  serviceName: 'checkout',
  serviceVersion: '2.1.0',
  environment: 'staging',
});
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

function record(overrides: Partial<LogRecord> = {}): LogRecord {
  return {
    time: performance.now(),
    level: 'info',
    message: 'paid',
    context: 'Payments',
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: 1,
    correlationId: 'corr-1',
    fields: { order_id: 'o-1' },
    error: undefined,
    resource,
    source: 'log',
    ...overrides,
  };
}

describe('Datadog format', () => {
  it('converts OpenTelemetry ids to Datadog’s: the lower 64 bits as unsigned decimal', () => {
    expect(toDatadogId(TRACE_ID)).toBe(BigInt('0x8448eb211c80319c').toString());
    expect(toDatadogId(SPAN_ID)).toBe('13235353014750950193');
    expect(toDatadogId('ffffffffffffffff')).toBe('18446744073709551615');
  });

  it('sets the reserved attributes, the trace link, unified service tags and the error', () => {
    const r = record({
      level: 'fatal',
      error: { type: 'TypeError', message: 'x', stack: 'TypeError: x\n    at f (a.js:1:1)' },
      fields: { order_id: 'o-1', status: 'forged', service: 'forged' },
    });
    const log = toDatadogLog(r, { ddtags: ['team:payments'] });
    expect(log).toEqual({
      ddsource: 'nodejs',
      ddtags: 'team:payments,env:staging,version:2.1.0',
      hostname: resource.attributes['host.name'],
      service: 'checkout',
      message: 'paid',
      status: 'critical',
      timestamp: Math.round(hrTimeToUnixMillis(r.time)),
      logger: { name: 'Payments' },
      dd: { trace_id: toDatadogId(TRACE_ID), span_id: toDatadogId(SPAN_ID) },
      trace_id: TRACE_ID,
      span_id: SPAN_ID,
      correlation_id: 'corr-1',
      order_id: 'o-1',
      error: { kind: 'TypeError', message: 'x', stack: 'TypeError: x\n    at f (a.js:1:1)' },
    });
  });

  it('keeps explicit env and version tags and omits ids outside a trace', () => {
    const log = toDatadogLog(record({ traceId: undefined, spanId: undefined }), {
      ddtags: ['env:prod'],
      service: 'other',
      ddsource: 'nestjs',
    });
    expect(log.ddtags).toBe('env:prod,version:2.1.0');
    expect(log).not.toHaveProperty('dd');
    expect(log).toMatchObject({ service: 'other', ddsource: 'nestjs' });
  });

  it('splits a batch at 1000 logs per request, in order', () => {
    const records = Array.from({ length: 2500 }, (_, i) => record({ message: `m${i}` }));
    const bodies = encodeDatadogLogs(records).map((b) => JSON.parse(b) as { message: string }[]);
    expect(bodies.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(bodies.flat().map((l) => l.message)).toEqual(records.map((r) => r.message));
  });

  it('splits by payload size and cuts a log larger than the per-log limit', () => {
    const limits = { maxEntries: 1000, maxPayloadBytes: 6_000, maxEntryBytes: 4_000 };
    const records = ['a', 'b', 'c', 'd'].map((c) => record({ message: c.repeat(2_000) }));
    records.push(record({ message: 'e'.repeat(50_000) }));
    const bodies = encodeDatadogLogs(records, {}, limits);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(6_000);
    const logs = bodies.map((b) => JSON.parse(b) as { message: string; truncated?: boolean }[]);
    expect(logs.map((l) => l.length)).toEqual([2, 2, 1]);
    expect(
      logs
        .flat()
        .slice(0, 4)
        .map((l) => l.message),
    ).toEqual(records.slice(0, 4).map((r) => r.message));
    const cut = logs[2]![0]!;
    expect(Buffer.byteLength(JSON.stringify(cut))).toBeLessThanOrEqual(4_000);
    expect(cut.truncated).toBe(true);
    expect(cut.message.startsWith('eee')).toBe(true);
  });
});

describe('Loki format', () => {
  it('groups records into streams by service, environment, level and static labels, with nanosecond strings', () => {
    const t = performance.now();
    const records = [
      record({ time: t + 2, message: 'second info' }),
      record({ time: t + 1, level: 'error', message: 'an error' }),
      record({ time: t, message: 'first info' }),
    ];
    const push = toLokiPush(records, { labels: { team: 'payments' } });
    expect(push.streams).toHaveLength(2);
    const info = push.streams.find((s) => s.stream.level === 'info')!;
    expect(info.stream).toEqual({
      team: 'payments',
      service: 'checkout',
      environment: 'staging',
      level: 'info',
    });
    // Oldest first within a stream, each timestamp an integer string of epoch nanoseconds.
    expect(info.values.map(([, line]) => JSON.parse(line).message)).toEqual([
      'first info',
      'second info',
    ]);
    expect(info.values[0]![0]).toBe(hrTimeToUnixNanos(t).toString());
    expect(info.values[0]![0]).toMatch(/^\d{19}$/);
    const line = JSON.parse(info.values[0]![1]);
    expect(line).toMatchObject({ trace_id: TRACE_ID, span_id: SPAN_ID, order_id: 'o-1' });
  });

  it('splits a batch into pushes under the request size and cuts long lines', () => {
    const records = Array.from({ length: 40 }, (_, i) =>
      record({ message: `${i} `.padEnd(1_000, 'x') }),
    );
    records.push(record({ message: 'y'.repeat(20_000) }));
    const limits = { maxRequestBytes: 8_000, maxLineBytes: 4_000 };
    const bodies = encodeLokiPush(records, {}, limits);
    expect(bodies.length).toBeGreaterThan(4);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(8_000);
    const lines = bodies.flatMap((b) =>
      (JSON.parse(b) as { streams: { values: [string, string][] }[] }).streams.flatMap((s) =>
        s.values.map(([, l]) => l),
      ),
    );
    expect(lines).toHaveLength(41);
    expect(Buffer.byteLength(lines[40]!)).toBeLessThanOrEqual(4_000);
    expect(lines.slice(0, 40).map((l) => Number(JSON.parse(l).message.split(' ')[0]))).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
  });
});

describe('CloudWatch format', () => {
  it('sorts events by time, keeping log order for equal times, with the JSON line as message', () => {
    const t = performance.now();
    const events = toCloudWatchLogEvents([
      record({ time: t + 5, message: 'late' }),
      record({ time: t, message: 'early-a' }),
      record({ time: t, message: 'early-b' }),
    ]);
    expect(events.map((e) => JSON.parse(e.message).message)).toEqual([
      'early-a',
      'early-b',
      'late',
    ]);
    expect(events[0]!.timestamp).toBe(Math.floor(hrTimeToUnixMillis(t)));
  });

  it('splits by 10,000 events, by 1 MiB counting 26 bytes per event, and by a 24-hour span', () => {
    const small = Array.from({ length: 10_001 }, (_, i) => ({
      timestamp: 1_000 + i,
      message: 'x',
    }));
    expect(splitCloudWatchBatches(small).map((b) => b.length)).toEqual([10_000, 1]);

    const message = 'y'.repeat(100_000 - 26);
    const big = Array.from({ length: 11 }, (_, i) => ({ timestamp: 1_000 + i, message }));
    const bySize = splitCloudWatchBatches(big);
    expect(bySize.map((b) => b.length)).toEqual([10, 1]);
    for (const batch of bySize) {
      const bytes = batch.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0);
      expect(bytes).toBeLessThanOrEqual(CLOUDWATCH_LIMITS.maxBatchBytes);
    }

    // Two messages that fit in 1 MiB by themselves but not with 26 bytes each on top.
    const half = 'h'.repeat(524_280);
    const overhead = [1, 2].map((timestamp) => ({ timestamp, message: half }));
    expect(splitCloudWatchBatches(overhead).map((b) => b.length)).toEqual([1, 1]);

    const day = 24 * 60 * 60 * 1000;
    const spread = [0, 1_000, day - 1, day + 5].map((timestamp) => ({ timestamp, message: 'z' }));
    expect(splitCloudWatchBatches(spread).map((b) => b.length)).toEqual([3, 1]);
  });

  it('cuts an event to the 256 KB event limit', () => {
    const [event] = toCloudWatchLogEvents([record({ message: 'q'.repeat(400_000) })]);
    expect(Buffer.byteLength(event!.message) + 26).toBeLessThanOrEqual(262_144);
    expect(JSON.parse(event!.message).truncated).toBe(true);
  });
});

describe('REST format', () => {
  it('is a JSON array of the log lines’ objects by default', () => {
    const body = JSON.parse(encodeLogJsonArray([record(), record({ message: 'two' })]));
    expect(body).toHaveLength(2);
    expect(body[1]).toMatchObject({ message: 'two', trace_id: TRACE_ID, service: 'checkout' });
  });
});
