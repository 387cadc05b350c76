// HTTP throughput of a NestJS 12 app, untraced and traced, each variant in its own
// process on 127.0.0.1, driven by autocannon in alternated rounds. Prints req/s,
// latency, app CPU per request, spans received per request and the ratios DESIGN 6 sets
// targets for. Run with `npm run bench:http` (it builds first).
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = 3;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
// BENCH_RATE=N offers every variant the same N req/s instead of saturating it: then the
// app CPU per request, and its ratio to the untraced app's, is the figure to read.
const RATE = Number(process.env.BENCH_RATE ?? 0);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));

const VARIANTS = [
  { id: 'express-untraced', variant: 'untraced', platform: 'express' },
  { id: 'express-ours', variant: 'ours', platform: 'express' },
  { id: 'express-otel', variant: 'otel', platform: 'express' },
  { id: 'fastify-untraced', variant: 'untraced', platform: 'fastify' },
  { id: 'fastify-ours', variant: 'ours', platform: 'fastify' },
];

// BENCH_BREAKDOWN=1 adds the steps between untraced and traced, to see what each costs:
// the Node 20 promise hooks any AsyncLocalStorage switches on, a global interceptor that
// does nothing (Nest's interceptor pipeline alone), this library with every trace
// dropped by the sampler, with spans recorded but no exporter, and with batches encoded
// for OTLP but not sent.
const STEPS = [
  { suffix: 'als-only', variant: 'untraced', env: { BENCH_ALS: '1' } },
  { suffix: 'noop-interceptor', variant: 'untraced', env: { BENCH_NOOP_INTERCEPTOR: '1' } },
  { suffix: 'ours-unsampled', variant: 'ours', opts: { sampler: 'always_off' } },
  { suffix: 'ours-no-export', variant: 'ours', opts: { exporters: [] } },
  { suffix: 'ours-encode-only', variant: 'ours', env: { BENCH_ENCODE_ONLY: '1' } },
];
if (process.env.BENCH_BREAKDOWN) {
  for (const platform of ['express', 'fastify']) {
    for (const step of STEPS)
      VARIANTS.push({ id: `${platform}-${step.suffix}`, platform, ...step });
  }
}

// BENCH_TAIL=1 prices tail sampling instead (bench/README.md): per platform, untraced, this
// library at default settings (every trace exported), the head sampler alone at 1%, and the
// tail sampler on with the same 1% head ratio (every request here fast and successful, so the
// tail keeps about 1% too, after holding every span until its request ends).
const HEAD_1PCT = { sampler: { type: 'traceidratio', ratio: 0.01 } };
const TAIL_STEPS = [
  { suffix: 'untraced', variant: 'untraced' },
  { suffix: 'ours', variant: 'ours' },
  { suffix: 'ours-head-1pct', variant: 'ours', opts: HEAD_1PCT },
  {
    suffix: 'ours-tail-1pct',
    variant: 'ours',
    opts: { ...HEAD_1PCT, sampling: { tail: { thresholdMs: 1000 } } },
  },
];
if (process.env.BENCH_TAIL) {
  VARIANTS.splice(0);
  for (const platform of ['express', 'fastify']) {
    for (const step of TAIL_STEPS)
      VARIANTS.push({ id: `${platform}-${step.suffix}`, platform, ...step });
  }
}

// BENCH_NODE=/path/to/node runs the app variants on another Node.js (the sink and the
// load generator stay on this one), to compare runtimes: bench/README.md.
function start(file, args, env = {}, execPath = process.execPath) {
  const child = fork(here(file), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
    execPath,
  });
  const waitFor = (type) =>
    new Promise((resolve, reject) => {
      const onMessage = (m) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      child.once('exit', (code) =>
        reject(new Error(`${file} ${args.join(' ')} exited with ${code}`)),
      );
    });
  return { child, waitFor, ask: (type) => (child.send({ type }), waitFor(type)) };
}

function run(url, seconds) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        ...(RATE > 0 ? { overallRate: RATE } : {}),
        requests: [{ method: 'GET', path: '/users/42' }],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

const cpuMicros = (u) => u.user + u.system;
const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];

const sink = start('./http/sink.mjs', []);
const { port: sinkPort } = await sink.waitFor('ready');
const apps = {};
let appNode = process.version;
try {
  for (const v of VARIANTS) {
    const opts = { ...JSON.parse(process.env.BENCH_OPTS ?? '{}'), ...v.opts };
    const app = start(
      './http/app.mjs',
      [v.variant, v.platform, `http://127.0.0.1:${sinkPort}/${v.id}/v1/traces`],
      { ...v.env, BENCH_OPTS: JSON.stringify(opts) },
      process.env.BENCH_NODE || process.execPath,
    );
    const { port, node } = await app.waitFor('ready');
    appNode = node;
    apps[v.id] = { ...app, url: `http://127.0.0.1:${port}`, rounds: [], requests: 0 };
  }
  console.log(`Warming up ${VARIANTS.length} variants for ${WARMUP_SECONDS} s each...`);
  for (const v of VARIANTS) {
    const r = await run(apps[v.id].url, WARMUP_SECONDS);
    apps[v.id].requests += r.requests.total;
  }
  for (let round = 1; round <= ROUNDS; round++) {
    // Rotate the order so no variant always runs right after the same neighbour.
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]);
    for (const v of order) {
      const app = apps[v.id];
      const before = (await app.ask('cpu')).usage;
      const r = await run(app.url, SECONDS);
      const after = (await app.ask('cpu')).usage;
      if (r.non2xx > 0 || r.errors > 0)
        throw new Error(`${v.id}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      app.requests += r.requests.total;
      app.rounds.push({
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        cpuUsPerRequest: (cpuMicros(after) - cpuMicros(before)) / r.requests.total,
      });
      console.log(`round ${round} ${v.id.padEnd(17)} ${Math.round(r.requests.average)} req/s`);
    }
  }
  // Let batch processors flush (default delay 5 s), then stop apps (which flushes the rest).
  for (const v of VARIANTS) {
    apps[v.id].child.send({ type: 'stop' });
    apps[v.id].exporterStats = (await apps[v.id].waitFor('stopped')).stats;
  }
  const { counts } = await sink.ask('counts');

  const rows = VARIANTS.map((v) => {
    const a = apps[v.id];
    return {
      id: v.id,
      rps: median(a.rounds.map((x) => x.rps)),
      p50: median(a.rounds.map((x) => x.p50)),
      p99: median(a.rounds.map((x) => x.p99)),
      cpuUsPerRequest: median(a.rounds.map((x) => x.cpuUsPerRequest)),
      requests: a.requests,
      spansPerRequest: (counts[v.id] ?? 0) / a.requests,
      // Summed over the variant's exporters: spans the queue dropped or the export gave up on.
      dropped: a.exporterStats?.reduce((n, e) => n + e.dropped + e.failed, 0),
    };
  });
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  // At a fixed rate every variant serves the same req/s: compare CPU per request instead.
  const ratio = (a, b) =>
    RATE > 0 ? byId[b].cpuUsPerRequest / byId[a].cpuUsPerRequest : byId[a].rps / byId[b].rps;
  console.log(
    `\nApps on Node ${appNode}, ${cpus()[0].model} x${cpus().length}; ${CONNECTIONS} connections${RATE > 0 ? ` at ${RATE} req/s` : ''}, ${ROUNDS} rounds of ${SECONDS} s (median)`,
  );
  console.log(
    'variant                     req/s  /untraced  p50 ms  p99 ms  app CPU us/req  CPU untraced/this  spans/req',
  );
  for (const r of rows) {
    const base = byId[`${r.id.split('-')[0]}-untraced`];
    console.log(
      `${r.id.padEnd(26)} ${String(Math.round(r.rps)).padStart(6)} ${(r.rps / base.rps).toFixed(2).padStart(10)} ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${r.cpuUsPerRequest.toFixed(1).padStart(15)} ${(base.cpuUsPerRequest / r.cpuUsPerRequest).toFixed(2).padStart(18)} ${r.spansPerRequest.toFixed(3).padStart(10)}`,
    );
  }
  let ratios = {};
  if (process.env.BENCH_TAIL) {
    // CPU per request of each tail variant over the default (every trace exported) one.
    for (const platform of ['express', 'fastify']) {
      const base = byId[`${platform}-ours`].cpuUsPerRequest;
      const untraced = byId[`${platform}-untraced`].cpuUsPerRequest;
      for (const suffix of ['ours', 'ours-head-1pct', 'ours-tail-1pct']) {
        const r = byId[`${platform}-${suffix}`];
        ratios[`${platform}-${suffix}`] = {
          cpuUsOverUntraced: r.cpuUsPerRequest - untraced,
          cpuOverDefault: r.cpuUsPerRequest / base,
          spansPerRequest: r.spansPerRequest,
        };
        console.log(
          `${`${platform}-${suffix}`.padEnd(26)} +${(r.cpuUsPerRequest - untraced).toFixed(1)} us CPU/req over untraced, ${(r.cpuUsPerRequest / base).toFixed(2)} of the default's CPU, ${r.spansPerRequest.toFixed(3)} spans/req exported, dropped ${r.dropped}`,
        );
      }
    }
  } else {
    ratios = {
      expressOursOverUntraced: ratio('express-ours', 'express-untraced'),
      expressOtelOverUntraced: ratio('express-otel', 'express-untraced'),
      expressOursOverOtel: ratio('express-ours', 'express-otel'),
      fastifyOursOverUntraced: ratio('fastify-ours', 'fastify-untraced'),
    };
    console.log(
      `\ntraced/untraced${RATE > 0 ? ' (by CPU per request)' : ''}  express ${ratios.expressOursOverUntraced.toFixed(2)} (target 0.90), fastify ${ratios.fastifyOursOverUntraced.toFixed(2)} (target 0.70)`,
    );
    console.log(
      `OpenTelemetry SDK/untraced  express ${ratios.expressOtelOverUntraced.toFixed(2)}; ours/OpenTelemetry ${ratios.expressOursOverOtel.toFixed(2)}`,
    );
    console.log(
      `spans received per request: ours ${byId['express-ours'].spansPerRequest.toFixed(3)} / ${byId['fastify-ours'].spansPerRequest.toFixed(3)} (2 expected: server + service), OpenTelemetry ${byId['express-otel'].spansPerRequest.toFixed(3)}`,
    );
    console.log(
      `spans dropped or given up by our exporter: express ${byId['express-ours'].dropped}, fastify ${byId['fastify-ours'].dropped}`,
    );
  }
  mkdirSync(here('./results'), { recursive: true });
  writeFileSync(
    here('./results/http.json'),
    JSON.stringify(
      {
        node: appNode,
        cpu: cpus()[0].model,
        connections: CONNECTIONS,
        rate: RATE,
        rounds: ROUNDS,
        seconds: SECONDS,
        rows,
        ratios,
      },
      null,
      2,
    ),
  );
} finally {
  for (const a of Object.values(apps)) if (a.child.exitCode === null) a.child.kill();
  sink.child.kill();
}
