// Cost of the mysql2, ioredis and node-redis integrations per query / command, against real
// servers on 127.0.0.1 (redis-server and mariadbd, started here from temporary directories and
// stopped at the end). One process; for each client, rounds alternate between:
//   untraced     no integration subscribed (the library's own no-subscriber fast path)
//   traced       the integration subscribed, each call inside a sampled parent span: one CLIENT
//                span per call, BatchSpanProcessor, an exporter that discards
//   outside-span the integration subscribed, calls made outside any span (not traced)
//   plain-span   no integration; the loop itself starts and ends one plain CLIENT span per
//                call (tracer.startSpan): the tracer's own share of the traced cost
//   empty-sub    an empty subscriber on the library's channels, no integration: what the
//                library's own TracingChannel path costs once anyone listens
// Every case runs inside the same AsyncLocalStorage context machinery, so the difference is
// the integration. Reports the median wall time and the client process's CPU per call.
// Run: `npm run build && node bench/cache-db.mjs` (BENCH_ROUNDS, BENCH_CALLS to change).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tracingChannel } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const require = createRequire(import.meta.url);

/** The test fixtures that start the servers, compiled once (TypeScript's own transpiler). */
async function loadFixtures() {
  const ts = require('typescript');
  const out = mkdtempSync(join(tmpdir(), 'bench-fixtures-'));
  const dir = here('../test/fixtures/');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(readFileSync(join(dir, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(out, file.replace(/\.ts$/, '.js')), outputText);
  }
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  const load = (name) => import(pathToFileURL(join(out, name)).href);
  const fixtures = {
    ...(await load('redis-server.js')),
    ...(await load('mariadb-server.js')),
  };
  return { ...fixtures, cleanup: () => rmSync(out, { recursive: true, force: true }) };
}

/** A registry look-alike whose registration subscribes handlers that do nothing. */
function emptySubscriber(name) {
  const noop = () => {};
  const handlers = { start: noop, end: noop, asyncStart: noop, asyncEnd: noop, error: noop };
  return {
    register() {
      tracingChannel(name).subscribe(handlers);
      return { unregister: () => tracingChannel(name).unsubscribe(handlers) };
    },
  };
}

const median = (values) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const lib = { ...(await import('nestjs-tracing')), ...(await import('nestjs-tracing/export')) };
  // Internal paths on purpose: the integrations and their registry are not public API.
  const { IntegrationRegistry } = await import('../dist/integrations/registry.js');
  const { createIntegrationHost } = await import('../dist/integrations/host.js');
  const { resolveTracingConfig } = await import('../dist/config/tracing-config.js');
  const { mysql2Integration } = await import('../dist/integrations/mysql2.integration.js');
  const { ioredisIntegration } = await import('../dist/integrations/ioredis.integration.js');
  const { redisIntegration } = await import('../dist/integrations/redis.integration.js');
  const { Redis } = await import('ioredis');
  const { createClient } = await import('redis');
  const mysql = (await import('mysql2/promise')).default;

  let exported = 0;
  const exporter = {
    export(spans) {
      exported += spans.length;
      return Promise.resolve({ code: lib.ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  };
  const config = resolveTracingConfig({ serviceName: 'bench' }, {});
  const processor = new lib.BatchSpanProcessor(exporter);
  const tracer = new lib.Tracer({
    processor,
    resource: { attributes: { 'service.name': 'bench' } },
  });
  const host = createIntegrationHost(tracer, config);
  const parent = tracer.startSpan('request');
  const inSpan = new lib.TraceContext(parent, 'corr', undefined, tracer, false);
  const outside = new lib.TraceContext(undefined, 'corr', undefined, tracer, false);

  const fixtures = await loadFixtures();
  const [redisServer, mariadb] = await Promise.all([
    fixtures.startRedis(),
    fixtures.startMariaDb(),
  ]);
  const io = new Redis({ host: redisServer.host, port: redisServer.port });
  const node = createClient({ url: `redis://${redisServer.host}:${redisServer.port}` });
  await node.connect();
  const conn = await mysql.createConnection({
    host: mariadb.host,
    port: mariadb.port,
    user: mariadb.user,
    password: mariadb.password,
    database: mariadb.database,
  });
  try {
    await conn.query('CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(64))');
    await conn.query("INSERT INTO users VALUES (1, 'ada')");
    await io.set('user:1', 'ada');

    const clients = [
      {
        name: 'ioredis GET',
        integration: ioredisIntegration,
        channel: 'ioredis:command',
        call: () => io.get('user:1'),
      },
      {
        name: 'node-redis GET',
        integration: redisIntegration,
        channel: 'node-redis:command',
        call: () => node.get('user:1'),
      },
      {
        name: 'mysql2 execute SELECT',
        integration: mysql2Integration,
        channel: 'mysql2:execute',
        call: () => conn.execute('SELECT name FROM users WHERE id = ?', [1]),
      },
    ];
    const results = [];
    for (const client of clients) {
      const cases = {
        untraced: { registry: undefined, context: inSpan },
        traced: { registry: new IntegrationRegistry([client.integration]), context: inSpan },
        'outside-span': {
          registry: new IntegrationRegistry([client.integration]),
          context: outside,
        },
        'plain-span': { registry: undefined, context: inSpan, span: true },
        'empty-sub': { registry: emptySubscriber(client.channel), context: inSpan },
      };
      const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, { wall: [], cpu: [] }]));
      const run = async (id, n) => {
        const { registry, context, span } = cases[id];
        const registered = registry?.register(host);
        try {
          const loop = async () => {
            if (span) {
              for (let i = 0; i < n; i++) {
                const s = tracer.startSpan('GET', { kind: lib.SpanKind.CLIENT }, inSpan);
                await client.call();
                s.end();
              }
            } else {
              for (let i = 0; i < n; i++) await client.call();
            }
          };
          const cpu0 = process.cpuUsage();
          const t0 = process.hrtime.bigint();
          await lib.runWithContext(context, loop);
          const wall = Number(process.hrtime.bigint() - t0) / n / 1000;
          const used = process.cpuUsage(cpu0);
          return { wall, cpu: (used.user + used.system) / n };
        } finally {
          registered?.unregister();
        }
      };
      for (const id of Object.keys(cases)) await run(id, CALLS); // warm-up
      await processor.forceFlush();
      const before = exported;
      for (let round = 0; round < ROUNDS; round++) {
        for (const id of Object.keys(cases)) {
          const r = await run(id, CALLS);
          samples[id].wall.push(r.wall);
          samples[id].cpu.push(r.cpu);
        }
      }
      await processor.forceFlush();
      const row = { client: client.name };
      for (const id of Object.keys(cases)) {
        row[`${id} µs`] = median(samples[id].wall).toFixed(1);
        row[`${id} cpu µs`] = median(samples[id].cpu).toFixed(1);
      }
      const cpu = (id) => median(samples[id].cpu);
      row['traced - untraced cpu µs'] = (cpu('traced') - cpu('untraced')).toFixed(1);
      row['of which the library'] = (cpu('empty-sub') - cpu('untraced')).toFixed(1);
      row['a plain span'] = (cpu('plain-span') - cpu('untraced')).toFixed(1);
      row['spans/call'] = ((exported - before) / (2 * ROUNDS * CALLS)).toFixed(2);
      results.push(row);
    }
    console.log(
      `Node ${process.version}, ${ROUNDS} alternated rounds of ${CALLS} sequential calls each, medians`,
    );
    console.table(results);
  } finally {
    io.disconnect();
    node.destroy();
    await conn.end();
    await Promise.all([redisServer.stop(), mariadb.stop()]);
    fixtures.cleanup();
    parent.end();
    await processor.shutdown();
  }
}

await main();
