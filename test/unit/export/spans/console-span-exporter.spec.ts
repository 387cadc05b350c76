import { describe, expect, it } from 'vitest';
import { formatDuration, formatTraceTree } from '../../../../lib/export/spans/console-format.js';
import { ConsoleSpanExporter } from '../../../../lib/export/spans/console-span-exporter.js';
import { InMemorySpanExporter } from '../../../../lib/export/spans/in-memory-span-exporter.js';
import { SimpleSpanProcessor } from '../../../../lib/core/simple-span-processor.js';
import { ExportResultCode } from '../../../../lib/core/span-exporter.js';
import { Tracer } from '../../../../lib/core/tracer.js';
import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type ReadableSpan,
  type SpanContext,
} from '../../../../lib/core/types.js';

const T0 = Date.now();
const at = (ms: number): number => T0 + ms;

function setup(options: ConstructorParameters<typeof ConsoleSpanExporter>[0] = {}) {
  const writes: string[] = [];
  const exporter = new ConsoleSpanExporter({ write: (text) => writes.push(text), ...options });
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'orders', 'service.version': '1.2.3' } },
  });
  const output = (): string => writes.join('');
  return { exporter, tracer, writes, output };
}

/** A request: a server span with a failing service call and a cache lookup under it. */
function recordRequest(tracer: Tracer): void {
  tracer.startActiveSpan(
    'GET /users/:id',
    (root) => {
      tracer.startActiveSpan(
        'UsersService.find',
        (find) => {
          tracer.startActiveSpan(
            'db.query',
            (query) => {
              query.recordException(new TypeError('db down'));
              query.setStatus({ code: SpanStatusCode.ERROR, message: 'db down' });
              query.end(at(25));
            },
            {
              kind: SpanKind.CLIENT,
              startTime: at(5),
              attributes: { 'server.address': 'db.local' },
            },
          );
          find.setStatus({ code: SpanStatusCode.ERROR, message: 'db down' });
          find.end(at(30));
        },
        { startTime: at(2), attributes: { 'code.function.name': 'find' } },
      );
      tracer.startSpan('cache.get', { kind: SpanKind.CLIENT, startTime: at(31) }).end(at(36));
      root.setAttribute('http.response.status_code', 500);
      root.end(at(50));
    },
    {
      kind: SpanKind.SERVER,
      startTime: at(0),
      attributes: { 'http.request.method': 'GET', 'http.route': '/users/:id', 'user.id': 'u1' },
    },
  );
}

const remoteParent: SpanContext = {
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: '00f067aa0ba902b7',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
};

describe('ConsoleSpanExporter in tree mode', () => {
  it('prints a whole trace as an indented tree once its root span ends', () => {
    const { tracer, output } = setup();
    recordRequest(tracer);
    const traceId = /trace ([0-9a-f]{32})/.exec(output())?.[1];
    expect(output()).toBe(
      [
        `trace ${traceId}  orders  50.0 ms  (4 spans)`,
        'GET /users/:id [server] 50.0 ms  http.request.method=GET http.route=/users/:id http.response.status_code=500',
        '├─ UsersService.find [internal] 28.0 ms ERROR: db down  code.function.name=find',
        '│  └─ db.query [client] 20.0 ms ERROR: db down  server.address=db.local',
        '│        ! TypeError: db down',
        '└─ cache.get [client] 5.00 ms',
        '',
        '',
      ].join('\n'),
    );
  });

  it('writes nothing until the local root of the trace ends', () => {
    const { tracer, writes } = setup();
    tracer.startActiveSpan('root', (root) => {
      tracer.withSpan('child', () => {});
      expect(writes).toEqual([]);
      root.end();
    });
    expect(writes).toHaveLength(1);
  });

  it('treats a span with a remote parent as the local root', () => {
    const { tracer, output } = setup();
    tracer.withSpan('GET /orders', () => tracer.withSpan('load', () => {}), {
      kind: SpanKind.SERVER,
      parent: remoteParent,
    });
    expect(output()).toMatch(
      /^trace 4bf92f3577b34da6a3ce929d0e0e4736 {2}orders {2}[\d.]+ ms {2}\(2 spans\)\n/,
    );
    expect(output()).toMatch(
      /\nGET \/orders \[server\] [\d.]+ ms\n└─ load \[internal\] [\d.]+ ms\n/,
    );
  });

  it('orders siblings by start time, not by the order they ended', () => {
    const { tracer, output } = setup();
    tracer.startActiveSpan(
      'root',
      (root) => {
        const slow = tracer.startSpan('started-first', { startTime: at(1) });
        const fast = tracer.startSpan('started-second', { startTime: at(2) });
        fast.end(at(3));
        slow.end(at(9));
        root.end(at(10));
      },
      { startTime: at(0) },
    );
    const lines = output().split('\n');
    expect(lines[2]).toMatch(/^├─ started-first /);
    expect(lines[3]).toMatch(/^└─ started-second /);
  });

  it('shows the extra attribute keys it is given', () => {
    const { tracer, output } = setup({ attributeKeys: ['user.id'] });
    recordRequest(tracer);
    expect(output()).toContain('http.response.status_code=500 user.id=u1\n');
  });

  it('prints a child that ends after its already printed parent at once', () => {
    const { tracer, writes } = setup();
    let late: ReturnType<Tracer['startSpan']> | undefined;
    tracer.withSpan('request', () => {
      late = tracer.startSpan('fire-and-forget');
    });
    expect(writes).toHaveLength(1);
    late!.end();
    expect(writes).toHaveLength(2);
    expect(writes[1]).toMatch(/\nfire-and-forget \[internal\]/);
  });

  it('flushes the oldest trace as-is when too many orphan spans are pending', () => {
    const { tracer, exporter, output } = setup({ maxPendingSpans: 3 });
    for (const name of ['orphan-1', 'orphan-2', 'orphan-3', 'orphan-4']) {
      // The parent never ends, so its children wait for a root that never comes.
      const parent = tracer.startSpan(`${name}-parent`);
      tracer.startSpan(name, { parent: parent.spanContext() }).end();
    }
    expect(exporter.pendingSpans).toBe(3);
    expect(output()).toMatch(/\(1 span\)\norphan-1 \[internal\]/);
    expect(output()).not.toContain('orphan-2');
  });

  it('keeps at most a thousand spans pending by default', () => {
    const { tracer, exporter } = setup();
    const parent = tracer.startSpan('never-ends');
    for (let i = 0; i < 1_001; i++) {
      tracer.startSpan(`orphan-${i}`, { parent: parent.spanContext() }).end();
    }
    expect(exporter.pendingSpans).toBeLessThanOrEqual(1_000);
  });

  it('prints whatever is pending on forceFlush', async () => {
    const { tracer, exporter, output } = setup();
    const parent = tracer.startSpan('never-ends');
    tracer.startSpan('waiting-child', { parent: parent.spanContext() }).end();
    expect(output()).toBe('');
    await exporter.forceFlush();
    expect(output()).toMatch(/\nwaiting-child \[internal\]/);
    expect(exporter.pendingSpans).toBe(0);
  });

  it('flushes pending spans on shutdown and fails exports after it', async () => {
    const { tracer, exporter, output } = setup();
    const parent = tracer.startSpan('never-ends');
    tracer.startSpan('waiting-child', { parent: parent.spanContext() }).end();
    await exporter.shutdown();
    expect(output()).toContain('waiting-child');
    const result = await exporter.export([]);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toMatch(/after shutdown/);
  });

  it('never writes colour codes to a custom writer', () => {
    const { tracer, output } = setup();
    recordRequest(tracer);
    expect(output()).not.toContain('\u001b[');
  });

  it('reports a writer that throws as a failed export instead of throwing', async () => {
    const exporter = new ConsoleSpanExporter({
      format: 'json',
      write: () => {
        throw new Error('EPIPE');
      },
    });
    const { tracer, spans } = recording();
    tracer.withSpan('x', () => {});
    const result = await exporter.export(spans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toBe('EPIPE');
  });

  it('rejects an unknown format, naming the option', () => {
    expect(() => new ConsoleSpanExporter({ format: 'xml' as 'json' })).toThrow(/"format"/);
  });
});

describe('ConsoleSpanExporter in json mode', () => {
  it('writes one parseable JSON line per span with ids, parentage and string times', () => {
    const { tracer, output } = setup({ format: 'json' });
    recordRequest(tracer);
    const lines = output().trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    const spans = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const byName = new Map(spans.map((span) => [span.name, span]));
    const root = byName.get('GET /users/:id')!;
    const find = byName.get('UsersService.find')!;
    const query = byName.get('db.query')!;
    expect(root.parentSpanId).toBeNull();
    expect(find.parentSpanId).toBe(root.spanId);
    expect(query.parentSpanId).toBe(find.spanId);
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(root.kind).toBe('server');
    expect(query.kind).toBe('client');
    expect(root.startTimeUnixNano).toMatch(/^\d{19}$/);
    expect(BigInt(root.endTimeUnixNano as string) - BigInt(root.startTimeUnixNano as string)).toBe(
      50_000_000n,
    );
    expect(root.durationMs).toBeCloseTo(50, 2);
    expect(query.status).toEqual({ code: 'error', message: 'db down' });
    expect(root.status).toEqual({ code: 'unset' });
    expect(root.attributes).toEqual({
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'user.id': 'u1',
      'http.response.status_code': 500,
    });
    expect(root.resource).toEqual({
      attributes: { 'service.name': 'orders', 'service.version': '1.2.3' },
    });
    expect(root.scope).toEqual({ name: 'nestjs-tracing', version: '0.1.0' });
    const [exception] = query.events as {
      name: string;
      timeUnixNano: string;
      attributes: object;
    }[];
    expect(exception?.name).toBe('exception');
    expect(exception?.timeUnixNano).toMatch(/^\d{19}$/);
    expect(exception?.attributes).toMatchObject({
      'exception.type': 'TypeError',
      'exception.message': 'db down',
    });
  });

  it('writes each span as it ends without waiting for the root', () => {
    const { tracer, writes } = setup({ format: 'json' });
    tracer.startActiveSpan('root', (root) => {
      tracer.withSpan('child', () => {});
      expect(writes).toHaveLength(1);
      root.end();
    });
    expect(writes).toHaveLength(2);
  });

  it('carries links with their trace and span ids', () => {
    const { tracer, output } = setup({ format: 'json' });
    tracer.withSpan('consume', () => {}, {
      links: [{ context: remoteParent, attributes: { 'messaging.batch': true } }],
    });
    const span = JSON.parse(output()) as { links: unknown };
    expect(span.links).toEqual([
      {
        traceId: remoteParent.traceId,
        spanId: remoteParent.spanId,
        attributes: { 'messaging.batch': true },
      },
    ]);
  });
});

describe('formatTraceTree', () => {
  it('wraps the error marker in red when colour is asked for', () => {
    const { tracer, spans } = recording();
    recordRequest(tracer);
    const tree = formatTraceTree(spans(), { color: true });
    expect(tree).toContain('\u001b[31mERROR: db down\u001b[39m');
  });

  it('keeps each span on one line with no control characters from user input', () => {
    const { tracer, spans } = recording();
    tracer.withSpan('evil\nname\u001b[2J', () => {});
    const tree = formatTraceTree(spans());
    expect(tree.split('\n')).toHaveLength(2);
    expect(tree).toContain('evil name?[2J');
  });

  it('shows spans caught in a parent cycle instead of losing them', () => {
    const { tracer, spans } = recording();
    tracer.withSpan('a', () => {});
    tracer.withSpan('b', () => {});
    const [a, b] = spans();
    const tree = formatTraceTree([withParent(a!, b!.spanId), withParent(b!, a!.spanId)]);
    expect(tree).toMatch(/\na \[internal\]/);
    expect(tree).toMatch(/\n└─ b \[internal\]/);
  });

  it('returns an empty string for no spans', () => {
    expect(formatTraceTree([])).toBe('');
  });
});

describe('formatDuration', () => {
  it('shows milliseconds with finer steps for short spans', () => {
    expect(formatDuration(12.34)).toBe('12.3 ms');
    expect(formatDuration(1.234)).toBe('1.23 ms');
    expect(formatDuration(0.0456)).toBe('0.046 ms');
    expect(formatDuration(1500)).toBe('1500.0 ms');
  });
});

/** A tracer whose ended spans are kept in memory, for feeding the pure formatters. */
function recording(): { tracer: Tracer; spans: () => ReadableSpan[] } {
  const memory = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(memory),
    resource: { attributes: { 'service.name': 'orders' } },
  });
  return { tracer, spans: () => memory.getFinishedSpans() };
}

/** The same span seen with another parent. */
function withParent(span: ReadableSpan, parentSpanId: string): ReadableSpan {
  return Object.create(span, { parentSpanId: { value: parentSpanId } }) as ReadableSpan;
}
