// One benchmark app: GET /users/:id -> UsersController -> UsersService.find (awaits a
// trivial async function) -> JSON. Variants: untraced, ours (nestjs-tracing: global
// interceptor, @Traced() service, OTLP export at default settings), otel (the same design
// hand-wired on the OpenTelemetry JS SDK). Reports its port, then answers CPU queries.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

const [variant, platform, sinkUrl] = process.argv.slice(2);

const lookup = async (id) => ({ id, name: `user-${id}` });

class UsersService {
  async find(id) {
    return lookup(id);
  }
}
Injectable()(UsersService);

class UsersController {
  constructor(users) {
    this.users = users;
  }
  find(id) {
    return this.users.find(id);
  }
}
const findDescriptor = Object.getOwnPropertyDescriptor(UsersController.prototype, 'find');
Param('id')(UsersController.prototype, 'find', 0);
Get(':id')(UsersController.prototype, 'find', findDescriptor);
Object.defineProperty(UsersController.prototype, 'find', findDescriptor);
Controller('users')(UsersController);
Reflect.defineMetadata('design:paramtypes', [UsersService], UsersController);
Reflect.defineMetadata('design:paramtypes', [String], UsersController.prototype, 'find');

function decorate(cls, method, decorator) {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, method);
  decorator(cls.prototype, method, descriptor);
  Object.defineProperty(cls.prototype, method, descriptor);
}

// BENCH_ENCODE_ONLY: batches are encoded as for OTLP and thrown away, which separates
// what encoding costs from what sending it over HTTP costs.
function encodeOnlyExporter(encode) {
  let bytes = 0;
  return {
    async export(spans) {
      bytes += encode(spans).length;
      return { code: 0 };
    },
    async shutdown() {
      if (bytes === 0) process.stderr.write('encode-only exporter saw no spans\n');
    },
  };
}

const imports = [];
const providers = [UsersService];
let shutdown = async () => {};
// The library variant reports its exporter's counters when stopped (dropped, failed).
let exporterStats = async () => undefined;

if (variant === 'ours') {
  const { TracingModule, TracingService, Traced } = await import('nestjs-tracing');
  const { encodeOtlpProtobuf } = await import('nestjs-tracing/export');
  exporterStats = async (app) => {
    const tracing = app.get(TracingService);
    await tracing.forceFlush();
    return tracing.getExporterStats();
  };
  if (!process.env.BENCH_NO_TRACED) decorate(UsersService, 'find', Traced());
  imports.push(
    TracingModule.forRoot({
      serviceName: 'bench',
      exporters: [
        process.env.BENCH_ENCODE_ONLY
          ? encodeOnlyExporter(encodeOtlpProtobuf)
          : { type: 'otlp', url: sinkUrl },
      ],
      ...(process.env.BENCH_OPTS ? JSON.parse(process.env.BENCH_OPTS) : {}),
    }),
  );
} else if (variant === 'otel') {
  const otel = await import('./otel-wiring.mjs');
  const wiring = otel.setup(sinkUrl);
  decorate(UsersService, 'find', wiring.traced('UsersService.find'));
  providers.push(wiring.interceptorProvider);
  shutdown = wiring.shutdown;
}

// Experiments (bench/README.md): a global interceptor that does nothing, to price Nest's
// interceptor pipeline on its own; BENCH_NO_TRACED leaves the service method undecorated.
if (process.env.BENCH_NOOP_INTERCEPTOR) {
  const { APP_INTERCEPTOR } = await import('@nestjs/core');
  class PassThrough {
    intercept(_context, next) {
      return next.handle();
    }
  }
  providers.push({ provide: APP_INTERCEPTOR, useClass: PassThrough });
}
class AppModule {}
Module({ imports, controllers: [UsersController], providers })(AppModule);

let adapter;
if (platform === 'fastify') {
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  adapter = new FastifyAdapter();
} else {
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  adapter = new ExpressAdapter();
}
if (process.env.BENCH_ALS) {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  new AsyncLocalStorage().run(1, () => {});
}
const app = await NestFactory.create(AppModule, adapter, { logger: ['error'] });
await app.listen(0, '127.0.0.1');
const { port } = app.getHttpServer().address();
process.send({ type: 'ready', port, node: process.version });
process.on('message', async (message) => {
  if (message.type === 'cpu') process.send({ type: 'cpu', usage: process.cpuUsage() });
  if (message.type === 'stop') {
    const stats = await exporterStats(app);
    await app.close();
    await shutdown();
    process.send({ type: 'stopped', stats });
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
