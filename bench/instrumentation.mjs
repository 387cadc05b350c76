// Per-request cost of the automatic instrumentation (createTracingInstrument) on a
// request whose handler touches five providers, against the same app with @Traced() on
// those five methods and with no tracing at all. In-process (no HTTP: socket noise would
// hide a few microseconds), exporting through the default BatchSpanProcessor to an
// exporter that discards. Needs `npm run build` first.
//
//   node bench/instrumentation.mjs [--rounds N] [--requests N] [--repeats N]
//
// The untraced app runs alone in a cold process: the first AsyncLocalStorage.run turns
// on promise hooks that tax every promise afterwards (DESIGN 6). The traced variants
// share one process and alternate round by round, so a busy phase of the machine hits
// them all alike; the set of processes is repeated in a rotated order.
import 'reflect-metadata';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const VARIANTS = {
  none: 'no tracing (no TracingModule, no hook; cold process)',
  plain: 'the same untraced app, in the traced process (promise-hook tax on)',
  traced: '@Traced() on the five provider methods',
  hook: 'instrument hook (controller + five providers)',
  'hook-5': 'instrument hook, controller excluded (the same five spans as @Traced)',
  'hook-5-nocollapse': 'instrument hook, controller excluded, collapse: false',
};
const TRACED_SET = ['plain', 'traced', 'hook', 'hook-5', 'hook-5-nocollapse'];

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string' },
    requests: { type: 'string' },
    repeats: { type: 'string' },
  },
});
const ROUNDS = Number(args.rounds ?? 9);
const REQUESTS = Number(args.requests ?? 5_000);
const REPEATS = Number(args.repeats ?? 3);

function median(xs) {
  return xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
}

if (positionals[0] === 'worker') await worker(positionals[1].split(','));
else await main();

function runWorker(variants) {
  return new Promise((resolve, reject) => {
    const child = fork(
      fileURLToPath(import.meta.url),
      ['worker', variants.join(','), ...process.argv.slice(2)],
      { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    let message;
    child.on('message', (m) => (message = m));
    child.on('exit', (code) =>
      code === 0 && message ? resolve(message) : reject(new Error(`${variants} exited ${code}`)),
    );
  });
}

async function main() {
  const runs = Object.fromEntries(Object.keys(VARIANTS).map((n) => [n, []]));
  for (let r = 0; r < REPEATS; r++) {
    const groups = [['none'], TRACED_SET];
    for (const group of r % 2 === 0 ? groups : groups.toReversed()) {
      const result = await runWorker(group);
      for (const [variant, figures] of Object.entries(result)) runs[variant].push(figures);
    }
  }
  const results = Object.fromEntries(
    Object.entries(runs).map(([n, xs]) => {
      const ns = xs.map((x) => x.nsPerRequest);
      return [
        n,
        {
          nsPerRequest: median(ns),
          spread: (Math.max(...ns) - Math.min(...ns)) / 2,
          spansPerRequest: median(xs.map((x) => x.spansPerRequest)),
        },
      ];
    }),
  );
  const base = results.none.nsPerRequest;
  console.log(
    `Node ${process.version}; ${REPEATS} x ${ROUNDS} rounds of ${REQUESTS} requests per variant (median of process medians)\n`,
  );
  console.log('variant              ns/request    ±ns   +ns vs none   spans/request   what');
  for (const [variant, r] of Object.entries(results)) {
    const extra = variant === 'none' ? '' : `+${Math.round(r.nsPerRequest - base)}`;
    console.log(
      `${variant.padEnd(20)} ${String(Math.round(r.nsPerRequest)).padStart(10)} ${String(Math.round(r.spread)).padStart(6)} ${extra.padStart(13)} ${r.spansPerRequest.toFixed(1).padStart(15)}   ${VARIANTS[variant]}`,
    );
  }
  const t = results.traced.nsPerRequest;
  const h5 = results['hook-5'].nsPerRequest;
  const plain = results.plain.nsPerRequest;
  console.log(
    `\nhook vs @Traced() (same five spans): ${(h5 / t).toFixed(2)}x, ${h5 >= t ? '+' : ''}${Math.round(h5 - t)} ns per request`,
  );
  console.log(
    `per span over the untraced app in the same process: @Traced() ${Math.round((t - plain) / results.traced.spansPerRequest)} ns, hook ${Math.round((results.hook.nsPerRequest - plain) / results.hook.spansPerRequest)} ns (the request's own span included)`,
  );
}

async function makeApp(variant, lib, onExport) {
  const { Controller, Injectable, Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { Traced, TracingModule, Tracer, createTracingInstrument, runWithContext, SpanKind } = lib;
  const discard = {
    export: async (spans) => {
      onExport(spans.length);
      return { code: 0 };
    },
    shutdown: async () => {},
  };

  // Fresh classes per variant: @Traced() changes their prototypes.
  class UsersRepository {
    async load(id) {
      return { id, name: `user-${id}` };
    }
  }
  class PermissionsService {
    check(user) {
      return user.id > 0;
    }
  }
  class PricingService {
    async price(user) {
      return user.id * 3;
    }
  }
  class Formatter {
    format(user, price) {
      return { ...user, price };
    }
  }
  class AuditService {
    async record(user) {
      return user.id;
    }
  }
  const providers = [
    [UsersRepository, 'load'],
    [PermissionsService, 'check'],
    [PricingService, 'price'],
    [Formatter, 'format'],
    [AuditService, 'record'],
  ];
  class UsersController {
    constructor(repo, permissions, pricing, formatter, audit) {
      Object.assign(this, { repo, permissions, pricing, formatter, audit });
    }
    async get(id) {
      const user = await this.repo.load(id);
      if (!this.permissions.check(user)) throw new Error('forbidden');
      const price = await this.pricing.price(user);
      await this.audit.record(user);
      return this.formatter.format(user, price);
    }
  }
  for (const [cls, method] of providers) {
    Injectable()(cls);
    if (variant === 'traced') {
      const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, method);
      Traced()(cls.prototype, method, descriptor);
      Object.defineProperty(cls.prototype, method, descriptor);
    }
  }
  Controller()(UsersController);
  Reflect.defineMetadata(
    'design:paramtypes',
    providers.map(([cls]) => cls),
    UsersController,
  );
  const traced = variant !== 'none' && variant !== 'plain';
  class AppModule {}
  Module({
    imports: traced ? [TracingModule.forRoot({ serviceName: 'bench', exporters: [discard] })] : [],
    controllers: [UsersController],
    providers: providers.map(([cls]) => cls),
  })(AppModule);

  const instrument = {
    hook: () => createTracingInstrument(),
    'hook-5': () => createTracingInstrument({ exclude: [UsersController] }),
    'hook-5-nocollapse': () =>
      createTracingInstrument({ exclude: [UsersController], collapse: false }),
  }[variant]?.();
  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: false,
    ...(instrument ? { instrument } : {}),
  });
  await app.init();
  const controller = app.get(UsersController);
  const tracer = traced ? app.get(Tracer) : undefined;

  // What the interceptor does per request: a server span and a context around the handler.
  const oneRequest = tracer
    ? async (id) => {
        const span = tracer.startSpan('GET /users/:id', { kind: SpanKind.SERVER });
        const result = await runWithContext(tracer.createContext(span, 'corr', undefined), () =>
          controller.get(id),
        );
        span.end();
        return result;
      }
    : (id) => controller.get(id);
  const check = await oneRequest(7);
  if (check.price !== 21) throw new Error(`${variant}: the handler did not run`);
  return { app, tracer, oneRequest };
}

async function worker(variants) {
  const lib = {
    ...(await import('../dist/index.js')),
    ...(await import('../dist/export/index.js')),
  };
  const exported = Object.fromEntries(variants.map((v) => [v, 0]));
  const apps = {};
  for (const v of variants) apps[v] = await makeApp(v, lib, (n) => (exported[v] += n));
  for (const v of variants) for (let i = 0; i < 20_000; i++) await apps[v].oneRequest(i + 1);
  for (const v of variants) await apps[v].tracer?.processor.forceFlush();
  const before = { ...exported };
  const rounds = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < ROUNDS; r++) {
    // Rotated each round, so no variant always follows the same neighbour.
    for (const v of variants.map((_, i) => variants[(i + r) % variants.length])) {
      globalThis.gc?.();
      const { oneRequest } = apps[v];
      const start = process.hrtime.bigint();
      for (let i = 0; i < REQUESTS; i++) await oneRequest(i + 1);
      rounds[v].push(Number(process.hrtime.bigint() - start) / REQUESTS);
    }
  }
  const result = {};
  for (const v of variants) {
    await apps[v].tracer?.processor.forceFlush();
    result[v] = {
      nsPerRequest: median(rounds[v]),
      spansPerRequest: (exported[v] - before[v]) / (ROUNDS * REQUESTS),
    };
    await apps[v].app.close();
  }
  process.send(result);
}
