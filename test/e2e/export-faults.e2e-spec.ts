import { Logger, type INestApplication } from '@nestjs/common';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  vi,
  type MockInstance,
} from 'vitest';
import { TracingService, type ExporterStats, type TracingModuleOptions } from '../../lib/index.js';
import type { BatchSpanProcessorOptions } from '../../lib/export/index.js';
import { OtlpSink, type SinkMode } from '../fixtures/otlp-sink.js';
import { PLATFORMS, startApp, type PlatformName } from '../fixtures/platforms.js';
import { usersAppModule } from '../fixtures/users-app.js';

/**
 * Tracing never breaks the app (DESIGN 5): real Nest apps export over real HTTP to a local
 * collector that is down, hangs, answers 500 or 429, or is slow. The app keeps answering,
 * the queue stays bounded with drops counted, failures are logged once per kind, retries
 * follow the OTLP rules, and spans still queued arrive once the collector is back.
 */

/** Small everything, so faults show within a few hundred ms. */
const BATCH: BatchSpanProcessorOptions = {
  scheduledDelayMs: 20,
  maxExportBatchSize: 6,
  maxQueueSize: 30,
  maxRetries: 1000,
  retryInitialDelayMs: 20,
  retryMaxDelayMs: 100,
  exportTimeoutMs: 1000,
  shutdownTimeoutMs: 500,
};
/** The users app ends three spans per `GET /users/:id`: server, service, repository. */
const SPANS_PER_REQUEST = 3;
/** The app must answer well within this whatever the collector does. */
const FAST_MS = 2000;

const unhandledRejections = vi.fn<(reason: unknown) => void>();
beforeAll(() => {
  process.on('unhandledRejection', unhandledRejections);
});
afterAll(() => {
  process.off('unhandledRejection', unhandledRejections);
});

let apps: INestApplication[] = [];
let sinks: OtlpSink[] = [];
let warn: MockInstance<Logger['warn']>;
let savedEnv: Record<string, string | undefined>;

beforeEach(() => {
  warn = vi.spyOn(Logger.prototype, 'warn');
  savedEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name.startsWith('OTEL_')),
  );
});

afterEach(async () => {
  // Sinks first: a hanging request is cut, so no app waits for it while shutting down.
  await Promise.all(sinks.map((sink) => sink.close()));
  await Promise.all(apps.map((app) => app.close()));
  sinks = [];
  apps = [];
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('OTEL_') && !(name in savedEnv)) delete process.env[name];
  }
  Object.assign(process.env, savedEnv);
  warn.mockRestore();
  if (unhandledRejections.mock.calls.length > 0) {
    throw new Error(
      `unhandled rejection during the test: ${String(unhandledRejections.mock.calls[0]![0])}`,
    );
  }
});

async function startSink(mode?: SinkMode): Promise<OtlpSink> {
  const started = await OtlpSink.start({ mode });
  sinks.push(started);
  return started;
}

interface Booted {
  app: INestApplication;
  url: string;
  tracing: TracingService;
}

async function boot(
  options: TracingModuleOptions,
  platform: PlatformName = 'express',
): Promise<Booted> {
  const { app, url } = await startApp(
    usersAppModule({ serviceName: 'users', ...options }),
    platform,
  );
  apps.push(app);
  return { app, url, tracing: app.get(TracingService) };
}

/** GET /users/:id, checking the answer is the app's own, whole and fast; the trace id. */
async function getUser(url: string, id: number): Promise<string> {
  const started = performance.now();
  const res = await fetch(`${url}/users/${id}`, { signal: AbortSignal.timeout(FAST_MS * 2) });
  const body = (await res.json()) as { id: string; name: string; traceId: string };
  const elapsed = performance.now() - started;
  expect(res.status).toBe(200);
  expect(body).toMatchObject({ id: String(id), name: `user-${id}` });
  expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(elapsed).toBeLessThan(FAST_MS);
  return body.traceId;
}

/** `count` requests, `concurrency` at a time; trace ids in request order. */
async function getUsers(url: string, count: number, concurrency = 1): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const wave = Array.from({ length: Math.min(concurrency, count - start) }, (_, i) =>
      getUser(url, start + i),
    );
    ids.push(...(await Promise.all(wave)));
  }
  return ids;
}

function stats(tracing: TracingService, index = 0): ExporterStats {
  const all = tracing.getExporterStats();
  expect(all.length).toBeGreaterThan(index);
  return all[index]!;
}

/** Samples the queue length every millisecond until stopped; returns the largest seen. */
function watchQueue(tracing: TracingService): () => number {
  let max = 0;
  const sample = () => {
    for (const s of tracing.getExporterStats()) max = Math.max(max, s.queueLength);
  };
  const timer = setInterval(sample, 1);
  return () => {
    clearInterval(timer);
    sample();
    return max;
  };
}

function warnings(pattern: RegExp): string[] {
  return warn.mock.calls.map((call) => String(call[0])).filter((message) => pattern.test(message));
}

/** Every span ended so far is accounted for: exported, dropped or failed, none queued. */
async function settled(tracing: TracingService, total: number): Promise<ExporterStats> {
  await vi.waitFor(
    async () => {
      await tracing.forceFlush();
      const s = stats(tracing);
      expect(s.queueLength).toBe(0);
      expect(s.exported + s.dropped + s.failed).toBe(total);
    },
    { timeout: 5000, interval: 20 },
  );
  return stats(tracing);
}

interface Fault {
  name: string;
  mode: SinkMode;
  protocol: 'http/json' | 'http/protobuf';
  batch?: BatchSpanProcessorOptions;
  /** The exporter's own request timeout. @default 5000 */
  timeoutMs?: number;
  /** A final failure: the collector's answer is not retried, so spans end up failed. */
  rejects: boolean;
}

const FAULTS: Fault[] = [
  {
    name: 'down (connection refused)',
    mode: { kind: 'down' },
    protocol: 'http/json',
    rejects: false,
  },
  {
    name: 'hanging',
    mode: { kind: 'hang' },
    protocol: 'http/protobuf',
    batch: { exportTimeoutMs: 300 },
    // forceFlush waits for requests already sent; keep the hung ones short.
    timeoutMs: 500,
    rejects: false,
  },
  {
    name: 'answering 500',
    mode: { kind: 'status', status: 500 },
    protocol: 'http/json',
    rejects: true,
  },
  {
    name: 'answering 429 with Retry-After',
    mode: { kind: 'status', status: 429, retryAfter: '1' },
    protocol: 'http/protobuf',
    batch: { retryMaxDelayMs: 2000 },
    rejects: false,
  },
  {
    name: 'slow (answers after 2 s)',
    mode: { kind: 'slow', delayMs: 2000 },
    protocol: 'http/json',
    batch: { exportTimeoutMs: 5000 },
    rejects: false,
  },
];

describe.each(PLATFORMS)('the app on %s while the collector is faulty', (platform) => {
  it.each(FAULTS)(
    'answers correctly and fast, keeps the queue bounded and counts every span: $name',
    async ({ mode, protocol, batch, timeoutMs, rejects }) => {
      const collector = await startSink(mode);
      const { url, tracing } = await boot(
        {
          exporters: [
            {
              type: 'otlp',
              url: collector.tracesUrl,
              protocol,
              timeoutMs: timeoutMs ?? 5000,
              batch: { ...BATCH, ...batch },
            },
          ],
        },
        platform,
      );
      const maxQueue = watchQueue(tracing);
      const requests = 24;
      const traceIds = await getUsers(url, requests, 6);
      // Nothing got through, and lost spans are counted (dropped, or failed for a 500).
      await vi.waitFor(() => {
        const during = stats(tracing);
        expect(during.dropped + during.failed).toBeGreaterThan(0);
        expect(during.exported).toBe(0);
      });
      expect(maxQueue()).toBeLessThanOrEqual(BATCH.maxQueueSize!);
      // Each kind of failure is logged once, however many batches it hit.
      const logged = warnings(/OtlpHttpExporter/);
      expect(new Set(logged).size).toBe(logged.length);

      await collector.setMode({ kind: 'ok' });
      const total = requests * SPANS_PER_REQUEST;
      const after = await settled(tracing, total);
      expect(after.exported).toBe(collector.spanCount);
      expect(after.exported).toBeGreaterThan(0);
      // Retryable faults lose nothing beyond the queue cap; a 500 loses what it rejected.
      expect(after.failed > 0).toBe(rejects);
      // What arrived is what the app traced, each span once.
      const received = collector.spans;
      expect(new Set(received.map((s) => s.spanId)).size).toBe(received.length);
      for (const id of collector.traceIds()) expect(traceIds).toContain(id);
      expect(received.every((s) => s.serviceName === 'users')).toBe(true);
    },
  );
});

describe('failures are logged once per kind, never thrown', () => {
  it('logs connection refused once, then a 500 once, each naming the cause', async () => {
    const collector = await startSink({ kind: 'down' });
    const { url, tracing } = await boot({
      exporters: [
        {
          type: 'otlp',
          url: collector.tracesUrl,
          protocol: 'http/json',
          batch: { ...BATCH, maxRetries: 1, retryInitialDelayMs: 5, retryMaxDelayMs: 10 },
        },
      ],
    });
    await getUsers(url, 8);
    await vi.waitFor(() => expect(stats(tracing).failed).toBeGreaterThanOrEqual(12), {
      timeout: 3000,
    });
    // Once when the first batch fails (so the outage shows at once), once when one is given up.
    const refused = warnings(/ECONNREFUSED/);
    expect(refused).toHaveLength(2);
    expect(refused[0]).toContain('will retry');
    expect(refused[1]).toContain('gave up');
    expect(refused[1]).toContain(collector.tracesUrl);

    await collector.setMode({ kind: 'status', status: 500 });
    await getUsers(url, 8);
    await collector.waitForRequests(2, 3000);
    await vi.waitFor(() => expect(stats(tracing).queueLength).toBe(0));
    const rejected = warnings(/HTTP 500/);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toContain('not retried');
    expect(warnings(/ECONNREFUSED/)).toHaveLength(2);
  });
});

/** The users app exporting OTLP/protobuf to `collector` with BATCH (and `batch` over it). */
async function bootWith(collector: OtlpSink, batch: BatchSpanProcessorOptions = {}) {
  return boot({
    exporters: [
      {
        type: 'otlp',
        url: collector.tracesUrl,
        protocol: 'http/protobuf',
        batch: { ...BATCH, ...batch },
      },
    ],
  });
}

describe('retries follow the OTLP/HTTP rules', () => {
  it('does not retry a 500: each span is sent once and counted as failed', async () => {
    const collector = await startSink({ kind: 'status', status: 500 });
    const { url, tracing } = await bootWith(collector);
    await getUsers(url, 4);
    const total = 4 * SPANS_PER_REQUEST;
    const s = await settled(tracing, total);
    expect(s).toMatchObject({ exported: 0, failed: total, dropped: 0, retried: 0 });
    const sent = collector.requests.flatMap((r) => r.spans.map((span) => span.spanId));
    expect(sent).toHaveLength(total);
    expect(new Set(sent).size).toBe(total);
    expect(collector.requests.every((r) => r.status === 500)).toBe(true);
    expect(s.lastError?.message).toMatch(/HTTP 500/);
  });

  it.each([503, 429])('retries a %i, then delivers the same batch', async (status) => {
    const collector = await startSink({ kind: 'status', status, times: 2 });
    const { url, tracing } = await bootWith(collector);
    const [traceId] = await getUsers(url, 1);
    const spans = await collector.waitForSpans(SPANS_PER_REQUEST);
    // The sink counts a batch as it answers; the exporter when the answer has arrived.
    await vi.waitFor(() =>
      expect(stats(tracing)).toMatchObject({
        exported: SPANS_PER_REQUEST,
        retried: 2,
        failed: 0,
      }),
    );
    expect(collector.requests.map((r) => r.status)).toEqual([status, status, 200]);
    const ids = (i: number) => collector.requests[i]!.spans.map((s) => s.spanId).toSorted();
    expect(ids(0)).toEqual(ids(2));
    expect(ids(1)).toEqual(ids(2));
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);
  });

  it('waits for Retry-After before retrying a 429', async () => {
    const collector = await startSink({ kind: 'status', status: 429, retryAfter: '1', times: 1 });
    const { url, tracing } = await bootWith(collector, { retryMaxDelayMs: 5000 });
    const [traceId] = await getUsers(url, 1);
    await collector.waitForSpans(SPANS_PER_REQUEST, 5000);
    const [first, retry] = collector.requests;
    // Timers may fire a few ms early against a stale loop clock; the jitter alone is < 20 ms.
    expect(retry!.receivedAt - first!.answeredAt!).toBeGreaterThanOrEqual(1000 - 15);
    await vi.waitFor(() =>
      expect(stats(tracing)).toMatchObject({ retried: 1, exported: SPANS_PER_REQUEST }),
    );
    expect(collector.spans.every((s) => s.traceId === traceId)).toBe(true);
  });

  it('honours a Retry-After longer than retryMaxDelayMs (it is the server asking)', async () => {
    const collector = await startSink({ kind: 'status', status: 429, retryAfter: '1', times: 1 });
    // BATCH: retryMaxDelayMs 100, far below the 1 s the collector asks for.
    const { url } = await bootWith(collector);
    await getUsers(url, 1);
    await collector.waitForSpans(SPANS_PER_REQUEST, 5000);
    const [first, retry] = collector.requests;
    expect(retry!.receivedAt - first!.answeredAt!).toBeGreaterThanOrEqual(1000 - 15);
  });
});

describe('an outage', () => {
  it('queues up to maxQueueSize, counts drops, and delivers the queued spans once the collector is back', async () => {
    const collector = await startSink({ kind: 'down' });
    const { url, tracing } = await boot(
      {
        exporters: [
          { type: 'otlp', url: collector.tracesUrl, protocol: 'http/protobuf', batch: BATCH },
        ],
      },
      'fastify',
    );
    const maxQueue = watchQueue(tracing);
    // 10 requests: 30 spans, within one batch in flight (6) plus the queue (30).
    const kept = await getUsers(url, 10);
    await vi.waitFor(() => expect(stats(tracing).queueLength).toBe(30 - 6));
    // 15 more overflow it.
    const overflow = await getUsers(url, 15);
    const total = 25 * SPANS_PER_REQUEST;
    await vi.waitFor(() => {
      const s = stats(tracing);
      expect(s.queueLength + 6 + s.dropped).toBe(total);
    });
    const during = stats(tracing);
    expect(during.queueLength).toBe(BATCH.maxQueueSize);
    expect(during).toMatchObject({ exported: 0, failed: 0 });
    expect(during.retried).toBeGreaterThan(0);
    expect(during.lastError?.message).toMatch(/ECONNREFUSED/);
    expect(warnings(/is full/)).toHaveLength(1);
    expect(collector.requests).toHaveLength(0);

    await collector.setMode({ kind: 'ok' });
    const after = await settled(tracing, total);
    expect(maxQueue()).toBeLessThanOrEqual(BATCH.maxQueueSize!);
    expect(after).toMatchObject({
      exported: 6 + BATCH.maxQueueSize!,
      dropped: total - 6 - BATCH.maxQueueSize!,
      failed: 0,
    });
    expect(collector.spanCount).toBe(after.exported);
    // The first requests' spans are the ones that were queued: every one of them arrived.
    for (const traceId of [...kept, ...overflow.slice(0, 2)]) {
      const spans = collector.spans.filter((s) => s.traceId === traceId);
      expect(spans.map((s) => s.name).toSorted()).toEqual([
        'GET /users/:id',
        'UsersRepository.lookup',
        'UsersService.findOne',
      ]);
    }
    for (const traceId of collector.traceIds()) expect([...kept, ...overflow]).toContain(traceId);
  });
});

describe('shutdown', () => {
  it.each([
    ['express', 'http/json'],
    ['fastify', 'http/protobuf'],
  ] as const)(
    'on %s, app.close() delivers every queued span (%s) before it resolves',
    async (platform, protocol) => {
      const collector = await startSink();
      const { app, url, tracing } = await boot(
        {
          exporters: [
            {
              type: 'otlp',
              url: collector.tracesUrl,
              protocol,
              batch: {
                ...BATCH,
                // Nothing leaves before shutdown: no timer fires, no batch fills.
                scheduledDelayMs: 60_000,
                maxExportBatchSize: 100,
                maxQueueSize: 100,
                shutdownTimeoutMs: 5000,
              },
            },
          ],
        },
        platform,
      );
      const traceIds = await getUsers(url, 4);
      await vi.waitFor(() => expect(stats(tracing).queueLength).toBe(12));
      expect(collector.requests).toHaveLength(0);
      apps = apps.filter((a) => a !== app);
      await app.close();
      expect(collector.spanCount).toBe(12);
      expect(collector.traceIds()).toEqual(new Set(traceIds));
    },
  );

  it('keeps to shutdownTimeoutMs while the collector hangs, counting what it could not send', async () => {
    const collector = await startSink({ kind: 'hang' });
    const { app, url, tracing } = await boot({
      exporters: [
        {
          type: 'otlp',
          url: collector.tracesUrl,
          timeoutMs: 5000,
          batch: { ...BATCH, exportTimeoutMs: 5000, shutdownTimeoutMs: 300 },
        },
      ],
    });
    await getUsers(url, 4);
    await collector.waitForRequests(1);
    apps = apps.filter((a) => a !== app);
    const started = performance.now();
    await app.close();
    // Far below the exporter's 5 s request timeout: nobody waited for the hanging request.
    expect(performance.now() - started).toBeLessThan(2500);
    // The hanging batch is failed, the rest dropped: all 12 spans are accounted for.
    const { exported, dropped, failed } = stats(tracing);
    expect(dropped).toBeGreaterThan(0);
    expect(failed).toBeGreaterThan(0);
    expect(exported + dropped + failed).toBe(4 * SPANS_PER_REQUEST);
    expect(warnings(/shutdown deadline \(300 ms\) reached/)).toHaveLength(1);
  });
});

describe('several exporters', () => {
  it('a hanging collector does not delay a healthy one', async () => {
    const hanging = await startSink({ kind: 'hang' });
    const healthy = await startSink();
    const { url, tracing } = await boot({
      exporters: [
        {
          type: 'otlp',
          url: hanging.tracesUrl,
          timeoutMs: 10_000,
          batch: { ...BATCH, exportTimeoutMs: 10_000 },
        },
        { type: 'otlp', url: healthy.tracesUrl, protocol: 'http/json', batch: BATCH },
      ],
    });
    const first = await getUsers(url, 1);
    await hanging.waitForRequests(1);
    // The hanging export is now in flight for up to 10 s; the healthy pipeline goes on.
    const traceIds = [...first, ...(await getUsers(url, 4))];
    await healthy.waitForSpans(5 * SPANS_PER_REQUEST, FAST_MS);
    expect(healthy.traceIds()).toEqual(new Set(traceIds));
    await vi.waitFor(() => expect(stats(tracing, 1)).toMatchObject({ exported: 15, failed: 0 }));
    expect(stats(tracing, 0).exported).toBe(0);
    expect(hanging.requests.every((r) => r.status === undefined)).toBe(true);
  });
});

describe('configuration from the environment alone', () => {
  it('OTEL_TRACES_EXPORTER=otlp sends OTLP/JSON to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces', async () => {
    const collector = await startSink();
    Object.assign(process.env, {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.baseUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_BSP_SCHEDULE_DELAY: '20',
    });
    const { url, tracing } = await boot({});
    const [traceId] = await getUsers(url, 1);
    const spans = await collector.waitForSpans(SPANS_PER_REQUEST);
    expect(spans.every((s) => s.traceId === traceId && s.serviceName === 'users')).toBe(true);
    expect(collector.requests[0]).toMatchObject({ path: '/v1/traces', format: 'otlp-json' });
    expect(collector.requests[0]!.headers['content-encoding']).toBe('gzip');
    expect(stats(tracing).exporter).toBe('OtlpHttpExporter');
  });

  it('OTEL_TRACES_EXPORTER=zipkin sends Zipkin v2 JSON to OTEL_EXPORTER_ZIPKIN_ENDPOINT', async () => {
    const collector = await startSink();
    Object.assign(process.env, {
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: collector.zipkinUrl,
      OTEL_BSP_SCHEDULE_DELAY: '20',
    });
    const { url, tracing } = await boot({});
    const [traceId] = await getUsers(url, 1);
    const spans = await collector.waitForSpans(SPANS_PER_REQUEST);
    expect(spans.every((s) => s.traceId === traceId && s.serviceName === 'users')).toBe(true);
    expect(collector.requests[0]).toMatchObject({ path: '/api/v2/spans', format: 'zipkin' });
    expect(stats(tracing).exporter).toBe('ZipkinExporter');
  });

  it('OTEL_TRACES_EXPORTER=jaeger sends OTLP/protobuf to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', async () => {
    const collector = await startSink();
    Object.assign(process.env, {
      OTEL_TRACES_EXPORTER: 'jaeger',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.tracesUrl,
      OTEL_BSP_SCHEDULE_DELAY: '20',
    });
    const { url } = await boot({});
    const [traceId] = await getUsers(url, 1);
    const spans = await collector.waitForSpans(SPANS_PER_REQUEST);
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);
    expect(collector.requests[0]).toMatchObject({ path: '/v1/traces', format: 'otlp-protobuf' });
  });

  it("{ type: 'jaeger', url } sends OTLP to the given url", async () => {
    const collector = await startSink();
    const { url } = await boot({
      exporters: [{ type: 'jaeger', url: collector.tracesUrl, batch: BATCH }],
    });
    const [traceId] = await getUsers(url, 1);
    const spans = await collector.waitForSpans(SPANS_PER_REQUEST);
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);
    expect(collector.requests[0]!.format).toBe('otlp-protobuf');
  });
});
