// The cost of the pg integration per query: one pg Client against a real local PostgreSQL,
// `SELECT $1::int` awaited one after the other, with the integration off (pg unwrapped) and
// on (pg wrapped, a sampled CLIENT span per query, batch processor and an exporter that
// discards), alternated round by round in one process. Both run inside the same traced
// request context, so the difference is the integration alone. Also: wrapped but the
// request unsampled (what a 1% head sampler costs the other 99%).
//
//   npm run build && node bench/db.mjs
//
// Starts its own PostgreSQL (the test fixture, compiled on the fly), or uses BENCH_PG_URL.
// BENCH_QUERIES (per round, default 1000), BENCH_ROUNDS (default 21), BENCH_IN_FLIGHT
// (queries queued at once, default 1).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const QUERIES = Number(process.env.BENCH_QUERIES ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const dist = (file) => import(pathToFileURL(join(root, 'dist', file)).href);

const { resolveTracingConfig } = await dist('config/tracing-config.js');
const { Tracer } = await dist('core/tracer.js');
const { BatchSpanProcessor } = await dist('core/batch-span-processor.js');
const { createSampler } = await dist('core/samplers.js');
const { runWithContext } = await dist('core/trace-context.js');
const { createIntegrationHost } = await dist('integrations/host.js');
const { IntegrationRegistry } = await dist('integrations/registry.js');
const { instrumentPg, pgIntegration } = await dist('integrations/pg.integration.js');
const pg = require('pg');

/** test/fixtures/postgres-server.ts and what it imports, compiled with swc into a temp dir. */
async function startPostgres() {
  const swc = require('@swc/core');
  const out = mkdtempSync(join(tmpdir(), 'bench-db-'));
  for (const name of ['postgres-server', 'database-process', 'free-port', 'system-services']) {
    const source = readFileSync(join(root, 'test', 'fixtures', `${name}.ts`), 'utf8');
    const { code } = swc.transformSync(source, {
      filename: `${name}.ts`,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    });
    writeFileSync(
      join(out, `${name}.mjs`),
      code.replaceAll(/from '(\.\/[a-z-]+)\.js'/g, "from '$1.mjs'"),
    );
  }
  try {
    return await (
      await import(pathToFileURL(join(out, 'postgres-server.mjs')).href)
    ).startPostgres();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const server = process.env.BENCH_PG_URL ? undefined : await startPostgres();
const url = process.env.BENCH_PG_URL ?? server.url;

function app(sampler) {
  const config = resolveTracingConfig({ serviceName: 'bench-db' }, {});
  let exported = 0;
  const exporter = {
    export: (spans) => {
      exported += spans.length;
      return Promise.resolve({ code: 0 });
    },
    shutdown: () => Promise.resolve(),
  };
  const processor = new BatchSpanProcessor(exporter);
  const tracer = new Tracer({
    processor,
    resource: { attributes: { 'service.name': 'bench-db' } },
    sampler: createSampler(sampler),
  });
  return {
    tracer,
    host: createIntegrationHost(tracer, config),
    exported: async () => {
      await processor.forceFlush();
      return exported;
    },
  };
}

const client = new pg.Client({ connectionString: url });
await client.connect();
const registry = new IntegrationRegistry([pgIntegration]);
const sampled = app('always_on');
const unsampled = app('always_off');

const CASES = {
  untraced: { app: sampled, wrap: false },
  traced: { app: sampled, wrap: true },
  'traced, request unsampled': { app: unsampled, wrap: true },
};

// IN_FLIGHT queries queued on the client at once (pg sends them one after the other on its
// connection): the client's own work per query is what is left of the round trips.
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 1);

async function one(i) {
  const { rows } = await client.query('SELECT $1::int AS n', [i]);
  if (rows[0].n !== i) throw new Error('wrong row');
}

async function loop(n) {
  for (let i = 0; i < n; i += IN_FLIGHT) {
    if (IN_FLIGHT === 1) await one(i);
    else
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, n - i) }, (_, k) => one(i + k)));
  }
}

async function run(name, n) {
  const { app: which, wrap } = CASES[name];
  const registered = wrap ? registry.register(which.host) : undefined;
  if (wrap && pg.Client.prototype.query.name !== 'query') throw new Error('not wrapped as query');
  try {
    const request = which.tracer.startSpan('request');
    const context = which.tracer.createContext(request, 'bench', undefined);
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    await runWithContext(context, loop, n);
    const wall = Number(process.hrtime.bigint() - start) / 1e3 / n;
    const used = process.cpuUsage(cpu);
    request.end();
    return { wall, cpu: (used.user + used.system) / n };
  } finally {
    registered?.unregister();
  }
}

// Check each case does what it says before timing.
const before = await sampled.exported();
await run('traced', 10);
const afterTraced = await sampled.exported();
if (afterTraced - before !== 11) throw new Error('traced case: not 10 db spans and the request');
await run('untraced', 10);
if ((await sampled.exported()) !== afterTraced + 1) throw new Error('untraced case made db spans');
await run('traced, request unsampled', 10);
if ((await unsampled.exported()) !== 0) throw new Error('unsampled case exported spans');

for (const name of Object.keys(CASES)) await run(name, QUERIES / 2); // warm-up
const samples = Object.fromEntries(Object.keys(CASES).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(CASES);
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length];
    globalThis.gc?.();
    samples[name].push(await run(name, QUERIES));
  }
}

await client.end();
await server?.stop();

const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const quartiles = (xs) => {
  const sorted = xs.toSorted((a, b) => a - b);
  return [sorted[Math.floor(sorted.length / 4)], sorted[Math.floor((sorted.length * 3) / 4)]];
};
const fmt = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
console.log(
  `pg ${require('pg/package.json').version}, Node ${process.version}, ${ROUNDS} rounds x ${QUERIES} queries, ` +
    `${IN_FLIGHT} in flight; medians, [quartiles] of the per-round difference to untraced`,
);
console.log(
  'case                        wall us/query   CPU us/query    wall over untraced      CPU over untraced',
);
for (const [name, list] of Object.entries(samples)) {
  const wall = median(list.map((s) => s.wall));
  const cpu = median(list.map((s) => s.cpu));
  const row = `${name.padEnd(28)}${wall.toFixed(1).padEnd(16)}${cpu.toFixed(1).padEnd(16)}`;
  if (name === 'untraced') {
    console.log(row);
    continue;
  }
  const dWall = list.map((s, r) => s.wall - samples.untraced[r].wall);
  const dCpu = list.map((s, r) => s.cpu - samples.untraced[r].cpu);
  const [wq1, wq3] = quartiles(dWall);
  const [cq1, cq3] = quartiles(dCpu);
  console.log(
    row +
      `${fmt(median(dWall))} [${fmt(wq1)}, ${fmt(wq3)}]`.padEnd(24) +
      `${fmt(median(dCpu))} [${fmt(cq1)}, ${fmt(cq3)}]`,
  );
}

// The wrapper's own work, without the network: the same wrapper put on a stand-in Client
// whose query answers at once (promise form), so what is timed is the span, its attributes
// (the statement's sanitized text and summary, cached), the callbacks and the batch
// processor's enqueue. Not a database: the real figures are the ones above.
class InstantClient {
  database = 'bench';
  host = '127.0.0.1';
  port = 5432;
  query(text, values) {
    return Promise.resolve({ rows: [{ n: values[0] }] });
  }
}
async function instantLoop(c, n) {
  for (let i = 0; i < n; i++) {
    const { rows } = await c.query('SELECT $1::int AS n', [i]);
    if (rows[0].n !== i) throw new Error('wrong row');
  }
}
const N = 200_000;
const instant = new InstantClient();
const instantCases = {
  untraced: { which: sampled, wrap: false },
  traced: { which: sampled, wrap: true },
  'traced, request unsampled': { which: unsampled, wrap: true },
};
const instantSamples = Object.fromEntries(Object.keys(instantCases).map((k) => [k, []]));
for (let round = 0; round < 12; round++) {
  for (const [name, { which, wrap }] of Object.entries(instantCases)) {
    const undo = wrap ? instrumentPg({ Client: InstantClient }, registry) : () => {};
    const host = registry.register(which.host);
    try {
      const request = which.tracer.startSpan('request');
      const context = which.tracer.createContext(request, 'bench', undefined);
      globalThis.gc?.();
      const start = process.hrtime.bigint();
      await runWithContext(context, instantLoop, instant, N);
      if (round > 1) instantSamples[name].push(Number(process.hrtime.bigint() - start) / N);
      request.end();
    } finally {
      host.unregister();
      undo();
    }
  }
}
console.log(
  '\nthe wrapper alone, a stand-in client answering at once (ns/query, median of 10 rounds):',
);
const instantBase = median(instantSamples.untraced);
for (const [name, list] of Object.entries(instantSamples)) {
  const m = median(list);
  console.log(
    `${name.padEnd(28)}${m.toFixed(0).padEnd(10)}${name === 'untraced' ? '' : `+${(m - instantBase).toFixed(0)} ns`}`,
  );
}
