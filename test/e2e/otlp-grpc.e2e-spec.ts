import { Logger, type INestApplication } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { OtlpGrpcExporter, TRACING_EXPORTERS, TracingService } from '../../lib/index.js';
import type { TracingModuleOptions } from '../../lib/index.js';
import { startGrpcCollector, type GrpcCollector } from '../fixtures/otlp-grpc-collector.js';
import { startApp } from '../fixtures/platforms.js';
import { usersAppModule } from '../fixtures/users-app.js';

/**
 * A Nest app exporting over OTLP/gRPC to a real grpc-js collector on 127.0.0.1, selected
 * by OTEL_EXPORTER_OTLP_PROTOCOL=grpc or by `protocol: 'grpc'`: the server span of a real
 * request arrives, decoded with the official opentelemetry-proto types.
 */

let apps: INestApplication[] = [];
let collectors: GrpcCollector[] = [];
let savedEnv: Record<string, string | undefined>;
let warn: MockInstance<Logger['warn']>;

beforeEach(() => {
  warn = vi.spyOn(Logger.prototype, 'warn');
  savedEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name.startsWith('OTEL_')),
  );
});

afterEach(async () => {
  await Promise.all(apps.map((app) => app.close()));
  for (const started of collectors) started.close();
  apps = [];
  collectors = [];
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('OTEL_') && !(name in savedEnv)) delete process.env[name];
  }
  Object.assign(process.env, savedEnv);
  warn.mockRestore();
});

async function collector(): Promise<GrpcCollector> {
  const started = await startGrpcCollector();
  collectors.push(started);
  return started;
}

async function boot(
  options: TracingModuleOptions,
): Promise<{ app: INestApplication; url: string }> {
  const started = await startApp(usersAppModule({ serviceName: 'users', ...options }), 'express');
  apps.push(started.app);
  return started;
}

interface WireSpan {
  name: string;
  kind: number;
  /** Lowercase hex. */
  traceId: string;
}

function receivedSpans(target: GrpcCollector): WireSpan[] {
  return target.received.flatMap(({ request }) =>
    request.resourceSpans.flatMap((rs) =>
      rs.scopeSpans.flatMap((ss) =>
        ss.spans.map((s) => ({
          name: s.name,
          kind: s.kind,
          // The official type decodes `bytes trace_id` to a Buffer.
          traceId: Buffer.from(s.traceId).toString('hex'),
        })),
      ),
    ),
  );
}

async function getUser(url: string): Promise<string> {
  const res = await fetch(`${url}/users/7`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { traceId: string };
  return body.traceId;
}

describe('OTLP/gRPC export from a Nest app', () => {
  it('OTEL_EXPORTER_OTLP_PROTOCOL=grpc sends the server span of a request to the gRPC endpoint', async () => {
    const target = await collector();
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = target.url;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-tenant=acme';
    const { app, url } = await boot({
      exporters: [{ type: 'otlp', batch: { scheduledDelayMs: 20 } }],
    });
    const exporters = app.get<unknown[]>(TRACING_EXPORTERS);
    expect(exporters[0]).toBeInstanceOf(OtlpGrpcExporter);

    const traceId = await getUser(url);
    await app.get(TracingService).forceFlush();
    await vi.waitFor(() => expect(receivedSpans(target).some((s) => s.kind === 2)).toBe(true));
    const server = receivedSpans(target).find((s) => s.kind === 2)!;
    expect(server.name).toBe('GET /users/:id');
    expect(server.traceId).toBe(traceId);
    expect(target.received[0]!.metadata.get('x-tenant')).toEqual(['acme']);
    // The export itself is not traced: only the app's spans arrive.
    expect(receivedSpans(target).every((s) => s.traceId === server.traceId)).toBe(true);
    expect(warn.mock.calls.map(([message]) => String(message)).join('\n')).not.toMatch(/grpc/i);
  });

  it("protocol: 'grpc' with a url, gzipped, over the environment's http/protobuf", async () => {
    const target = await collector();
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/protobuf';
    const { app, url } = await boot({
      exporters: [
        {
          type: 'otlp',
          protocol: 'grpc',
          url: target.url,
          compression: 'gzip',
          batch: { scheduledDelayMs: 20 },
        },
      ],
    });
    const traceId = await getUser(url);
    await app.get(TracingService).forceFlush();
    await vi.waitFor(() => expect(receivedSpans(target).some((s) => s.kind === 2)).toBe(true));
    const server = receivedSpans(target).find((s) => s.kind === 2)!;
    expect(server.traceId).toBe(traceId);
    const stats = app.get(TracingService).getExporterStats();
    expect(stats).toHaveLength(1);
    expect(stats[0]).toMatchObject({ exporter: 'OtlpGrpcExporter', failed: 0, dropped: 0 });
    expect(stats[0]!.exported).toBeGreaterThanOrEqual(1);
  });
});
