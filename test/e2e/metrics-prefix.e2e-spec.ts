import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, type TracingModuleOptions } from '../../lib/index.js';
import { PLATFORMS, type PlatformName } from '../fixtures/platforms.js';
import { usersAppModule } from '../fixtures/users-app.js';

// Nest mounts middleware under the global prefix, so the metrics path moves with it.

async function startPrefixed(
  platform: PlatformName,
  options: TracingModuleOptions,
  exclude?: string[],
): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(
    usersAppModule(options),
    platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { logger: false },
  );
  app.setGlobalPrefix('api', exclude ? { exclude } : undefined);
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

describe.each(PLATFORMS)('the metrics path with a global prefix on %s', (platform) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function tracedPaths(): Promise<unknown[]> {
    const spans = await app!.get(InMemorySpanExporter).waitForSpans(3);
    return spans.map((s) => s.attributes['url.path']).filter((p) => p !== undefined);
  }

  it('is served outside the prefix, untraced, when excluded from it', async () => {
    let url: string;
    ({ app, url } = await startPrefixed(
      platform,
      { exporters: [{ type: 'memory' }], metrics: true },
      ['metrics'],
    ));
    await request(url).get('/metrics').expect(200);
    await request(url).get('/api/users/1').expect(200);
    expect(await tracedPaths()).toEqual(['/api/users/1']);
  });

  it('is served under the prefix, untraced when listed in ignoreRoutes', async () => {
    let url: string;
    ({ app, url } = await startPrefixed(platform, {
      exporters: [{ type: 'memory' }],
      metrics: true,
      ignoreRoutes: ['/api/metrics'],
    }));
    const res = await request(url).get('/api/metrics').expect(200);
    expect(res.text).toContain('# TYPE http_server_requests_total counter');
    await request(url).get('/api/users/1').expect(200);
    expect(await tracedPaths()).toEqual(['/api/users/1']);
  });
});
