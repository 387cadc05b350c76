// HTTP cost of tracing with the host's noise taken out: several copies of the bench app
// (`GET /users/:id` -> controller -> one service method) live in ONE process, each on its own
// port on 127.0.0.1, and one keep-alive client in the same process sends them requests over
// real sockets in short alternating slices (forward, then backward). The figure is the
// process's CPU per request (client included: the same in every slice) and each variant's
// difference to the untraced app of the same round, median and interquartile range.
//
// Variants: untraced; traced with every trace dropped by the sampler; traced with spans
// recorded and no exporter; traced with OTLP/protobuf export to a sink in another process
// (default settings). Process-wide work of the library (the response-write accounting, the
// channel subscriptions, AsyncLocalStorage) also reaches the untraced app here, so the
// differences are what each request pays on its own path; `npm run bench:http` measures
// separate processes, but on this VM its rounds vary by more than the figures below.
//
// Usage (after `npm run build`): node bench/http-one-process.mjs [express|fastify]
//   BENCH_ROUNDS (default 30), BENCH_REQUESTS per slice (default 1500).
// `node bench/runtimes.mjs bench/http-one-process.mjs fastify` runs it on Node 20 and 24.
import 'reflect-metadata';
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Injectable, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TracingModule, TracingService, Traced } from 'nestjs-tracing';
import { median, medianInterval, quantile } from './stats.mjs';

const platform = process.argv[2] ?? 'fastify';
if (platform !== 'express' && platform !== 'fastify')
  throw new Error(`platform must be express or fastify, not ${platform}`);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1500);
const CONCURRENCY = 8;

/** A fresh set of classes per app, so no two apps share decorated prototypes. */
function appModule(tracing) {
  class UsersService {
    async find(id) {
      return { id, name: `user-${id}` };
    }
  }
  Injectable()(UsersService);
  if (tracing !== undefined) decorate(UsersService, 'find', Traced());
  class UsersController {
    constructor(users) {
      this.users = users;
    }
    find(id) {
      return this.users.find(id);
    }
  }
  Param('id')(UsersController.prototype, 'find', 0);
  decorate(UsersController, 'find', Get(':id'));
  Controller('users')(UsersController);
  Reflect.defineMetadata('design:paramtypes', [UsersService], UsersController);
  Reflect.defineMetadata('design:paramtypes', [String], UsersController.prototype, 'find');
  class AppModule {}
  Module({
    imports:
      tracing === undefined ? [] : [TracingModule.forRoot({ serviceName: 'bench', ...tracing })],
    controllers: [UsersController],
    providers: [UsersService],
  })(AppModule);
  return AppModule;
}

function decorate(cls, method, decorator) {
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, method);
  decorator(cls.prototype, method, descriptor);
  Object.defineProperty(cls.prototype, method, descriptor);
}

const sink = fork(fileURLToPath(new URL('./http/sink.mjs', import.meta.url)), [], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const { port: sinkPort } = await new Promise((resolve) =>
  sink.on('message', (m) => m.type === 'ready' && resolve(m)),
);
const VARIANTS = [
  ['untraced', undefined],
  ['unsampled', { sampler: 'always_off', exporters: [] }],
  ['recorded, no export', { exporters: [] }],
  [
    'exported (OTLP)',
    { exporters: [{ type: 'otlp', url: `http://127.0.0.1:${sinkPort}/one/v1/traces` }] },
  ],
];
// BENCH_VARIANTS=untraced,unsampled keeps only those (by the name's first word), e.g. to profile one.
const only = process.env.BENCH_VARIANTS?.split(',');
if (only !== undefined) {
  const kept = VARIANTS.filter(([name]) => only.includes(name.split(/[ ,]/)[0]));
  if (kept.length === 0)
    throw new Error(`BENCH_VARIANTS matches none of ${VARIANTS.map(([n]) => n)}`);
  VARIANTS.splice(0, VARIANTS.length, ...kept);
}
const adapter = async () => {
  if (platform === 'fastify') {
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    return new FastifyAdapter();
  }
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  return new ExpressAdapter();
};
const apps = [];
for (const [name, tracing] of VARIANTS) {
  const app = await NestFactory.create(appModule(tracing), await adapter(), { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  apps.push({
    name,
    app,
    traced: tracing !== undefined,
    port: app.getHttpServer().address().port,
    cpu: [],
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function get(port) {
  return new Promise((resolve, reject) => {
    const req = request({ agent, port, host: '127.0.0.1', path: '/users/42' }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}
async function slice(port, n) {
  let sent = 0;
  const worker = async () => {
    while (sent < n) {
      sent++;
      await get(port);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

for (const a of apps) await slice(a.port, 5000);
for (let round = 0; round < ROUNDS; round++) {
  for (const a of round % 2 === 0 ? apps : apps.toReversed()) {
    const before = process.cpuUsage();
    await slice(a.port, REQUESTS);
    const used = process.cpuUsage(before);
    a.cpu.push((used.user + used.system) / REQUESTS);
  }
}

const base = apps[0];
const us = (x) => `${x < 0 ? '' : '+'}${x.toFixed(1)}`;
const lines = [
  `Node ${process.version}, ${platform}, one process: ${ROUNDS} rounds of ${REQUESTS} requests per app, ${CONCURRENCY} keep-alive connections`,
  `${base.name}: ${median(base.cpu).toFixed(1)} µs of CPU a request (client included)`,
];
for (const a of apps.slice(1)) {
  const diff = a.cpu.map((x, i) => x - base.cpu[i]);
  const { lo, hi, coverage } = medianInterval(diff, 0.95);
  lines.push(
    `${a.name}: ${us(median(diff))} µs a request over ${base.name} (median in ${us(lo)} to ${us(hi)} with ${(coverage * 100).toFixed(0)}%; quartiles ${us(quantile(diff, 0.25))}, ${us(quantile(diff, 0.75))})`,
  );
}
for (const a of apps.filter((x) => x.traced)) {
  const tracing = a.app.get(TracingService);
  await tracing.forceFlush();
  const lost = tracing.getExporterStats().reduce((n, s) => n + s.dropped + s.failed, 0);
  if (lost > 0) lines.push(`${a.name}: ${lost} spans dropped or failed`);
}
console.log(lines.join('\n'));
for (const a of apps) await a.app.close();
agent.destroy();
sink.kill();
