import type { INestApplication } from '@nestjs/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORMS, startApp, type PlatformName } from '../fixtures/platforms.js';
import { usersAppModule } from '../fixtures/users-app.js';
import { freePort } from '../fixtures/free-port.js';
import { binaryPath, needsServices } from '../fixtures/system-services.js';

// A real Prometheus (the Debian package .ci/run installs) scrapes an Express and a
// Fastify app every second; the test reads what it stored through its HTTP API.

const PROMETHEUS = binaryPath('prometheus');

interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

describe('a real Prometheus server scraping the metrics path', needsServices('prometheus'), () => {
  const apps = new Map<PlatformName, { app: INestApplication; url: string }>();
  let prometheus: ChildProcess | undefined;
  let promUrl: string;
  let dir: string;
  let log = '';

  beforeAll(async () => {
    for (const platform of PLATFORMS) {
      apps.set(
        platform,
        await startApp(
          usersAppModule({ serviceName: 'users', exporters: [{ type: 'memory' }], metrics: true }),
          platform,
        ),
      );
    }
    dir = mkdtempSync(join(tmpdir(), 'nestjs-tracing-prometheus-'));
    const jobs = [...apps].map(
      ([platform, { url }]) =>
        `  - job_name: ${platform}\n    static_configs:\n      - targets: ['${new URL(url).host}']\n`,
    );
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${jobs.join('')}`,
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    await until(async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok, 20_000);
  });

  afterAll(async () => {
    if (prometheus?.pid !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      process.kill(prometheus.pid, 'SIGTERM');
      await exited;
    }
    for (const { app } of apps.values()) await app.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Polls until `check` is truthy (bounded), with Prometheus's log in the failure. */
  async function until<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out; prometheus log:\n${log}`);
      await sleep(250);
    }
  }

  async function query(promql: string): Promise<QueryResult[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data: { result: QueryResult[] } };
    expect(body.status).toBe('success');
    return body.data.result;
  }

  /** Waits until `promql` returns exactly `expected` (one series). */
  async function expectValue(promql: string, expected: number): Promise<void> {
    let last: QueryResult[] = [];
    await until(async () => {
      last = await query(promql);
      return last.length === 1 && Number(last[0]!.value[1]) === expected;
    }).catch((error: Error) => {
      throw new Error(
        `${promql}: expected ${expected}, got ${JSON.stringify(last)}\n${error.message}`,
      );
    });
  }

  it.each(PLATFORMS)(
    'stores the request counts, errors, histogram and exporter telemetry of the %s app',
    async (platform) => {
      const { url } = apps.get(platform)!;
      for (let i = 0; i < 3; i++) await request(url).get(`/users/${i}`).expect(200);
      await request(url).get('/fail').expect(500);
      const job = `job="${platform}"`;
      await expectValue(`up{${job}}`, 1);
      await expectValue(
        `http_server_requests_total{${job},http_route="/users/:id",http_response_status_code="200"}`,
        3,
      );
      await expectValue(`http_server_request_errors_total{${job},http_route="/fail"}`, 1);
      await expectValue(
        `http_server_request_duration_seconds_bucket{${job},http_route="/users/:id",le="+Inf"}`,
        3,
      );
      await expectValue(
        `http_server_request_duration_seconds_count{${job},http_route="/users/:id"}`,
        3,
      );
      await expectValue(`traced_operation_calls_total{${job},operation="UsersService.findOne"}`, 3);
      // Prometheus computes quantiles from our buckets: the value lies in a finite bucket.
      const [p50] = await query(
        `histogram_quantile(0.5, http_server_request_duration_seconds_bucket{${job},http_route="/users/:id"})`,
      );
      expect(Number(p50!.value[1])).toBeGreaterThan(0);
      expect(Number(p50!.value[1])).toBeLessThanOrEqual(10);
      // 3 requests x 3 spans + /fail's 2 spans, read by the scrape after the spans ended.
      await expectValue(
        `tracing_exporter_spans_exported_total{${job},exporter="InMemorySpanExporter"}`,
        11,
      );
      await expectValue(`tracing_exporter_queue_length{${job}}`, 0);
      // The scrapes themselves are neither traced nor counted.
      expect(await query(`http_server_requests_total{${job},http_route=""}`)).toEqual([]);
    },
    40_000,
  );

  it('reads the HELP and TYPE of each metric', async () => {
    const res = await until(async () => {
      const r = await fetch(`${promUrl}/api/v1/metadata`);
      const body = (await r.json()) as {
        data: Record<string, { type: string; help: string }[]>;
      };
      return body.data.http_server_request_duration_seconds ? body.data : undefined;
    });
    expect(res.http_server_request_duration_seconds![0]).toEqual({
      type: 'histogram',
      help: 'Duration of HTTP requests served, in seconds.',
      unit: '',
    });
    expect(res.http_server_requests_total![0]!.type).toBe('counter');
    expect(res.tracing_exporter_queue_length![0]!.type).toBe('gauge');
  });
});
