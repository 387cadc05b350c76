import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ClsModule, ClsPluginBase, ClsService } from 'nestjs-cls';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTracingInstrument,
  DEFAULT_FRAMEWORK_MODULES,
  InMemorySpanExporter,
  TracingModule,
} from '../../lib/index.js';
import { PLATFORMS, type PlatformName } from '../fixtures/platforms.js';

/** A provider a nestjs-cls plugin brings (as @nestjs-cls/transactional brings TransactionHost). */
@Injectable()
class TenantLookup {
  tenantOf(id: string): string {
    return `tenant-of-${id.length}`;
  }
}

/** A real plugin: its hooks run through ClsPluginsHooksHost on every request. */
class TenantPlugin extends ClsPluginBase {
  constructor() {
    super('tenant');
    this.providers.push(TenantLookup);
    this.registerHooks({
      inject: [TenantLookup],
      useFactory: (lookup: TenantLookup) => ({
        afterSetup: (cls: ClsService) => cls.set('tenant', lookup.tenantOf(cls.getId())),
      }),
    });
  }
}

@Injectable()
class GreetingService {
  constructor(private readonly cls: ClsService) {}

  greet(): string {
    return `hello ${String(this.cls.get('tenant'))}`;
  }
}

@Controller('greet')
class GreetingController {
  constructor(private readonly greetings: GreetingService) {}

  @Get()
  greet(): { text: string } {
    return { text: this.greetings.greet() };
  }
}

@Module({
  imports: [
    TracingModule.forRoot({ serviceName: 'cls-app', exporters: [{ type: 'memory' }] }),
    // The usual set-up: global, its middleware mounted, a request id, one plugin.
    ClsModule.forRoot({
      global: true,
      middleware: { mount: true, generateId: true },
      plugins: [new TenantPlugin()],
    }),
  ],
  controllers: [GreetingController],
  providers: [GreetingService],
})
class ClsAppModule {}

async function start(platform: PlatformName, frameworkModules?: readonly string[]) {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(ClsAppModule, adapter, {
    logger: false,
    instrument: createTracingInstrument({ frameworkModules }),
  });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, spans: app.get(InMemorySpanExporter) };
}

async function spanNamesOf(started: Awaited<ReturnType<typeof start>>): Promise<string[]> {
  const res = await request(started.url).get('/greet').expect(200);
  expect(res.body).toEqual({ text: expect.stringMatching(/^hello tenant-of-\d+$/) });
  await started.spans.waitForSpans(3);
  await started.app.get(InMemorySpanExporter).forceFlush();
  return started.spans
    .getFinishedSpans()
    .map((s) => s.name)
    .toSorted();
}

describe.each(PLATFORMS)('automatic instrumentation with a real nestjs-cls on %s', (platform) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('traces the app and leaves nestjs-cls and its plugins out by default', async () => {
    const started = await start(platform);
    app = started.app;
    expect(await spanNamesOf(started)).toEqual([
      'GET /greet',
      'GreetingController.greet',
      'GreetingService.greet',
    ]);
  });

  it('traces the plugin hooks host when the nestjs-cls modules are taken off the list', async () => {
    const cls = /^Cls/;
    const started = await start(
      platform,
      DEFAULT_FRAMEWORK_MODULES.filter((m) => !cls.test(m)),
    );
    app = started.app;
    const names = await spanNamesOf(started);
    // Proves the default case above is not passing for want of anything to trace.
    expect(names).toContain('ClsPluginsHooksHost.beforeSetup');
    expect(names).toContain('ClsPluginsHooksHost.afterSetup');
    expect(names).toContain('TenantLookup.tenantOf');
  });
});
