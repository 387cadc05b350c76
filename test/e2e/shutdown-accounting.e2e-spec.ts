import { Logger, Module, type INestApplication } from '@nestjs/common';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { TracingModule, TracingService, type ExporterStats } from '../../lib/index.js';
import { OtlpSink } from '../fixtures/otlp-sink.js';
import { startApp } from '../fixtures/platforms.js';

// app.close() against a collector that never answers (a bare TCP server that accepts and
// stays silent) or answers late: every span ended is counted as exported, dropped or
// failed, and the shutdown warning says how many were lost and why.

const DEADLINE_MS = 300;

/** Accepts connections on 127.0.0.1 and a free port, reads nothing, answers nothing. */
class SilentCollector {
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<SilentCollector> {
    const server = createServer();
    const collector = new SilentCollector(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return collector;
  }

  get tracesUrl(): string {
    const address = this.server.address() as { port: number };
    return `http://127.0.0.1:${address.port}/v1/traces`;
  }

  get connections(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let warn: MockInstance<Logger['warn']>;
/** Collectors, then apps still open (a test that failed before closing its own). */
const closers: (() => Promise<unknown>)[] = [];
let openApps: INestApplication[] = [];

beforeEach(() => {
  warn = vi.spyOn(Logger.prototype, 'warn');
});

afterEach(async () => {
  // Collectors first: a hanging request is cut, so no app waits for it while shutting down.
  for (const stop of closers.splice(0)) await stop();
  await Promise.all(openApps.map((app) => app.close()));
  openApps = [];
  warn.mockRestore();
});

async function boot(
  url: string,
  shutdownTimeoutMs = DEADLINE_MS,
): Promise<{ app: INestApplication; tracing: TracingService }> {
  @Module({
    imports: [
      TracingModule.forRoot({
        serviceName: 'shutdown',
        // Room for every span, so nothing is dropped before shutdown; default batches of 512.
        exporters: [{ type: 'otlp', url, batch: { maxQueueSize: 8192, shutdownTimeoutMs } }],
      }),
    ],
  })
  class ShutdownModule {}
  const { app } = await startApp(ShutdownModule, 'express');
  openApps.push(app);
  return { app, tracing: app.get(TracingService) };
}

/** The test's own app.close(): the app is then not closed again after the test. */
async function close(app: INestApplication): Promise<void> {
  openApps = openApps.filter((a) => a !== app);
  await app.close();
}

function endSpans(tracing: TracingService, count: number): void {
  for (let i = 0; i < count; i++) tracing.startSpan(`work ${i}`).end();
}

function only(tracing: TracingService): ExporterStats {
  const [stats, ...others] = tracing.getExporterStats();
  expect(others).toEqual([]);
  return stats!;
}

function accounted(stats: ExporterStats): number {
  return stats.exported + stats.dropped + stats.failed + stats.queueLength;
}

function shutdownWarnings(): string[] {
  return warn.mock.calls.map(([m]) => String(m)).filter((m) => m.includes('shutdown deadline'));
}

/** Spans ended, and how many of them the first batch (in flight at shutdown) holds. */
const CASES = [
  [200, 200],
  [6000, 512],
] as const;

describe('shutdown accounting', () => {
  it.each(CASES)(
    'a collector that never answers: %i spans are all counted, the lost ones said',
    async (ended, unfinished) => {
      const collector = await SilentCollector.start();
      closers.push(() => collector.close());
      const { app, tracing } = await boot(collector.tracesUrl);
      endSpans(tracing, ended);
      await close(app);
      const queued = ended - unfinished;
      expect(only(tracing)).toMatchObject({
        exported: 0,
        failed: unfinished,
        dropped: queued,
        queueLength: 0,
      });
      expect(accounted(only(tracing))).toBe(ended);
      expect(shutdownWarnings()).toEqual([
        `OtlpHttpExporter: shutdown deadline (${DEADLINE_MS} ms) reached: ${unfinished} spans in an export that did not finish, ${queued} queued spans not sent`,
      ]);
      // The request really was under way, on a connection the collector accepted.
      expect(collector.connections).toBe(1);
    },
  );

  it.each(CASES)(
    'a collector that answers after the deadline: %i spans counted at close, the late batch moved to exported',
    async (ended, unfinished) => {
      const sink = await OtlpSink.start({ mode: { kind: 'slow', delayMs: 1500 } });
      closers.push(() => sink.close());
      const { app, tracing } = await boot(sink.tracesUrl);
      endSpans(tracing, ended);
      await close(app);
      const queued = ended - unfinished;
      expect(only(tracing)).toMatchObject({ exported: 0, failed: unfinished, dropped: queued });
      expect(accounted(only(tracing))).toBe(ended);
      expect(shutdownWarnings()).toHaveLength(1);
      await vi.waitFor(() => expect(sink.spanCount).toBe(unfinished), { timeout: 5000 });
      await vi.waitFor(() =>
        expect(only(tracing)).toMatchObject({ exported: unfinished, failed: 0, dropped: queued }),
      );
      expect(accounted(only(tracing))).toBe(ended);
    },
  );

  it('a collector that answers slowly within the deadline: every span exported, nothing said', async () => {
    const sink = await OtlpSink.start({ mode: { kind: 'slow', delayMs: 50 } });
    closers.push(() => sink.close());
    // A deadline far beyond the answer's delay: the outcome does not depend on timing.
    const { app, tracing } = await boot(sink.tracesUrl, 10_000);
    endSpans(tracing, 200);
    await close(app);
    expect(only(tracing)).toMatchObject({ exported: 200, failed: 0, dropped: 0, queueLength: 0 });
    expect(sink.spanCount).toBe(200);
    expect(shutdownWarnings()).toEqual([]);
  });
});
