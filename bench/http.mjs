// HTTP cost of tracing in a NestJS 12 app (bench/README.md, DESIGN 6): for each runtime
// (the current Node.js and Node 24 from the npm registry, scripts/node-runtime.sh) and each
// platform (Express, Fastify), the same app runs untraced, untraced with the
// AsyncLocalStorage promise hooks on (the floor any context-carrying tracer pays on Node 20),
// traced by this library, and traced by the same design hand-wired on the OpenTelemetry SDK,
// each in its own process on 127.0.0.1. Every variant gets the same fixed request rate (an
// open-loop generator per app, bench/http/load.mjs), in many short rounds that run the variants
// one after another, forward and backward in turn (BENCH_MODE=concurrent drives them all at the
// same time instead); the figure is the app's CPU per request (process.cpuUsage(): all its
// threads) and, per round, its difference to the untraced (and ALS-floor) app of that round,
// summed up by the median of those differences and an order-statistic interval around it.
// Short alternated slices won the A/A comparison (bench/README.md): driving the apps at once
// made them compete for the 2 cores, which widened the spread instead of cancelling it.
// Run with `npm run bench:http` (it builds first); BENCH_QUICK=1 for a rough look.
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { drive } from './http/load.mjs';
import { median, medianInterval, quantile } from './stats.mjs';

const env = process.env;
const QUICK = Boolean(env.BENCH_QUICK);
// sequential: the variants of a group one after another in each round (the round then lasts
// SECONDS per variant); concurrent: every variant driven at once.
const MODE = env.BENCH_MODE ?? 'sequential';
if (MODE !== 'concurrent' && MODE !== 'sequential')
  throw new Error(`BENCH_MODE must be concurrent or sequential, not ${MODE}`);
const ROUNDS = Number(env.BENCH_ROUNDS ?? (QUICK ? 5 : 12));
const SECONDS = Number(env.BENCH_SECONDS ?? (QUICK ? 1 : 1.5));
const WARMUP_SECONDS = Number(env.BENCH_WARMUP ?? (QUICK ? 4 : 10));
// Per app. At 1,000 req/s the 4 Node 20 Express apps take about 1 core and the generators
// 0.25, leaving the 2 cores idle part of the time; at 500 req/s every request wakes an app on
// its own and the per-round spread was 2-5 times larger, at 2,000 Node 20 Express could not
// keep up (bench/README.md).
const RATE = Number(env.BENCH_RATE ?? 1000);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 32);
const PLATFORMS = (env.BENCH_PLATFORMS ?? 'express,fastify').split(',');
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const root = here('..');

// Runtimes: BENCH_NODE=/path/to/node runs the apps on that binary only; otherwise
// BENCH_RUNTIMES (majors, default "<current>,24"), the current one being this process's node
// and any other fetched once from the registry's node-linux-<arch> package into .cache/.
function runtimes() {
  if (env.BENCH_NODE) return [{ label: 'custom', execPath: env.BENCH_NODE }];
  const current = process.versions.node.split('.')[0];
  const majors = [...new Set((env.BENCH_RUNTIMES ?? `${current},24`).split(','))];
  return majors.map((major) => ({
    label: `n${major}`,
    execPath:
      major === current
        ? process.execPath
        : execFileSync(`${root}/scripts/node-runtime.sh`, [major], { encoding: 'utf8' }).trim(),
  }));
}

// The variants of one platform. The first is the base every difference is taken against.
const BASE = [
  { suffix: 'untraced', variant: 'untraced' },
  { suffix: 'als-floor', variant: 'untraced', env: { BENCH_ALS: '1' } },
  { suffix: 'ours', variant: 'ours' },
  { suffix: 'otel', variant: 'otel' },
];
// BENCH_BREAKDOWN=1 adds the steps between untraced and traced: a global interceptor that
// does nothing (Nest's interceptor pipeline alone), this library with every trace dropped by
// the sampler, with spans recorded but no exporter, and with batches encoded, not sent.
const BREAKDOWN = [
  { suffix: 'noop-interceptor', variant: 'untraced', env: { BENCH_NOOP_INTERCEPTOR: '1' } },
  { suffix: 'ours-unsampled', variant: 'ours', opts: { sampler: 'always_off' } },
  { suffix: 'ours-no-export', variant: 'ours', opts: { exporters: [] } },
  { suffix: 'ours-encode-only', variant: 'ours', env: { BENCH_ENCODE_ONLY: '1' } },
];
// BENCH_TAIL=1 prices tail sampling instead: untraced, the default (every trace exported), the
// head sampler alone at 1%, and the tail sampler on with the same 1% head ratio.
const HEAD_1PCT = { sampler: { type: 'traceidratio', ratio: 0.01 } };
const TAIL = [
  { suffix: 'untraced', variant: 'untraced' },
  { suffix: 'ours', variant: 'ours' },
  { suffix: 'ours-head-1pct', variant: 'ours', opts: HEAD_1PCT },
  {
    suffix: 'ours-tail-1pct',
    variant: 'ours',
    opts: { ...HEAD_1PCT, sampling: { tail: { thresholdMs: 1000 } } },
  },
];
let STEPS = env.BENCH_TAIL ? TAIL : env.BENCH_BREAKDOWN ? [...BASE, ...BREAKDOWN] : BASE;
// BENCH_VARIANTS=untraced,ours keeps only those (the untraced base always stays).
if (env.BENCH_VARIANTS) {
  const keep = new Set(['untraced', ...env.BENCH_VARIANTS.split(',')]);
  STEPS = STEPS.filter((s) => keep.has(s.suffix));
}
// BENCH_PROF=ours,otel writes a V8 CPU profile of those variants' apps (measured rounds and
// warm-up) to bench/results/prof/.
const PROF = new Set((env.BENCH_PROF ?? '').split(',').filter(Boolean));

function start(file, args, { env: extra = {}, execPath = process.execPath, execArgv = [] } = {}) {
  const child = fork(here(file), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...env, ...extra },
    execPath,
    execArgv,
  });
  const waitFor = (type) =>
    new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`${file} ${args.join(' ')} exited with ${code}`));
      const onMessage = (m) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  return { child, waitFor, ask: (type) => (child.send({ type }), waitFor(type)) };
}

const load = (url, seconds, rate = RATE) =>
  drive(url, { rate, seconds, connections: CONNECTIONS, path: '/users/42' });
const cpuMicros = (u) => u.user + u.system;
const version = (pkg) =>
  JSON.parse(readFileSync(`${root}/node_modules/${pkg}/package.json`, 'utf8')).version;
/** Busy and total CPU time of the machine (all cores), ms. */
const machineTimes = () =>
  cpus().reduce(
    (t, { times: c }) => {
      const total = c.user + c.nice + c.sys + c.idle + c.irq;
      return { busy: t.busy + total - c.idle, total: t.total + total };
    },
    { busy: 0, total: 0 },
  );
/** Runs fn for every app, all at once (concurrent mode) or one after another. */
const each = async (apps, fn) => {
  if (MODE === 'concurrent') return Promise.all(apps.map(fn));
  const results = [];
  for (const app of apps) results.push(await fn(app));
  return results;
};
// Generators that fell behind their rate (requests / seconds under 98% of it), reported.
const slowGenerators = [];
const checkRate = (app, r, rate, seconds) => {
  const achieved = r.requests / r.seconds;
  app.minRate = Math.min(app.minRate ?? Infinity, achieved / rate);
  app.maxLateMs = Math.max(app.maxLateMs ?? 0, r.lateMs);
  if (achieved < 0.98 * rate) {
    const note = `${app.id}: ${r.requests} requests in ${r.seconds.toFixed(2)} s (${Math.round(achieved)} req/s of ${rate}, planned ${seconds} s; last request sent ${r.lateMs.toFixed(0)} ms late)`;
    slowGenerators.push(note);
    process.stderr.write(`rate not achieved: ${note}\n`);
  }
};

/** Runs every variant of one platform on one runtime; returns their rounds. */
async function group(runtime, platform, sinkPort) {
  const apps = [];
  try {
    for (const step of STEPS) {
      const id = `${runtime.label}-${platform}-${step.suffix}`;
      const opts = { ...JSON.parse(env.BENCH_OPTS ?? '{}'), ...step.opts };
      const execArgv = PROF.has(step.suffix)
        ? [
            '--cpu-prof',
            `--cpu-prof-dir=${here('./results/prof')}`,
            `--cpu-prof-name=${id}.cpuprofile`,
          ]
        : [];
      const app = start(
        './http/app.mjs',
        [step.variant, platform, `http://127.0.0.1:${sinkPort}/${id}/v1/traces`],
        {
          env: { ...step.env, BENCH_OPTS: JSON.stringify(opts) },
          execPath: runtime.execPath,
          execArgv,
        },
      );
      const { port, node } = await app.waitFor('ready');
      runtime.node = node;
      apps.push({ ...app, id, step, url: `http://127.0.0.1:${port}`, rounds: [], requests: 0 });
    }
    // Warm-up: a fifth of it at twice the rate (JIT tier-up), the rest at the rate, so that
    // the first round is not dearer than the others.
    const warm = async (app) => {
      for (const [seconds, rate] of [
        [WARMUP_SECONDS / 5, 2 * RATE],
        [(WARMUP_SECONDS * 4) / 5, RATE],
      ]) {
        if (seconds <= 0) continue;
        const r = await load(app.url, seconds, rate);
        app.requests += r.requests;
      }
    };
    await each(apps, warm);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? apps : apps.toReversed();
      const machineBefore = machineTimes();
      const driverBefore = process.cpuUsage();
      const wallBefore = performance.now();
      await each(order, async (app) => {
        const before = (await app.ask('cpu')).usage;
        const r = await load(app.url, SECONDS);
        const after = (await app.ask('cpu')).usage;
        if (r.non2xx > 0 || r.errors > 0)
          throw new Error(`${app.id}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        checkRate(app, r, RATE, SECONDS);
        app.requests += r.requests;
        app.rounds.push({
          cpu: (cpuMicros(after) - cpuMicros(before)) / r.requests,
          user: (after.user - before.user) / r.requests,
          system: (after.system - before.system) / r.requests,
          p50: r.p50,
          p99: r.p99,
        });
      });
      const wall = performance.now() - wallBefore;
      const machineAfter = machineTimes();
      const busy =
        (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
      const driver = cpuMicros(process.cpuUsage(driverBefore)) / 1000 / wall;
      process.stderr.write(
        `${runtime.label} ${platform} round ${round + 1}/${ROUNDS}: ${apps.map((a) => `${a.step.suffix} ${a.rounds.at(-1).cpu.toFixed(1)}`).join(', ')} us/req; apps ${fmt(apps.reduce((n, a) => n + a.rounds.at(-1).cpu, 0) * RATE * 1e-6, 2)} cores, generators ${fmt(driver, 2)}, machine ${Math.round(busy * 100)}% busy, load ${loadavg()[0].toFixed(2)}\n`,
      );
    }
    // Stopping flushes the exporters and reports their counters (dropped, failed).
    for (const app of apps) {
      app.child.send({ type: 'stop' });
      app.exporterStats = (await app.waitFor('stopped')).stats;
      // Let it exit by itself (a --cpu-prof profile is written at exit).
      if (app.child.exitCode === null)
        await new Promise((resolve) => app.child.once('exit', resolve));
    }
  } finally {
    for (const a of apps) if (a.child.exitCode === null) a.child.kill();
  }
  return apps;
}

/**
 * a's CPU per request minus base's, round by round: their median, an interval for that median
 * (medianInterval) and the quartiles.
 */
function diff(a, base) {
  if (!base) return undefined;
  const rounds = a.rounds.map((r, i) => r.cpu - base.rounds[i].cpu);
  const { lo, hi, coverage } = medianInterval(rounds);
  return {
    median: median(rounds),
    lo,
    hi,
    coverage,
    q1: quantile(rounds, 0.25),
    q3: quantile(rounds, 0.75),
    rounds,
  };
}

/** Per variant: medians, and medians of the per-round differences to the base variants. */
function summarize(apps, counts) {
  const by = Object.fromEntries(apps.map((a) => [a.step.suffix, a]));
  const rows = apps.map((a) => ({
    id: a.id,
    variant: a.step.suffix,
    cpu: median(a.rounds.map((r) => r.cpu)),
    overUntraced: a === by.untraced ? undefined : diff(a, by.untraced),
    overFloor: a.step.variant === 'untraced' ? undefined : diff(a, by['als-floor']),
    p50: median(a.rounds.map((r) => r.p50)),
    p99: median(a.rounds.map((r) => r.p99)),
    requests: a.requests,
    lowestRate: a.minRate,
    latestSendMs: a.maxLateMs,
    spansPerRequest: (counts[a.id] ?? 0) / a.requests,
    dropped: a.exporterStats?.reduce((n, e) => n + e.dropped + e.failed, 0),
    rounds: a.rounds,
  }));
  const otel = rows.find((r) => r.variant === 'otel');
  const untraced = rows.find((r) => r.variant === 'untraced');
  for (const r of rows) {
    r.p99OverUntraced = r.p99 / untraced.p99;
    if (otel && r.variant.startsWith('ours'))
      r.ofOtel = r.overUntraced.median / otel.overUntraced.median;
  }
  return rows;
}

const fmt = (x, digits = 1, sign = false) =>
  x === undefined || Number.isNaN(x) ? '' : `${sign && x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
/** A difference as "+median (lo, hi)". */
const fmtDiff = (d) =>
  d ? `${fmt(d.median, 1, true)} (${fmt(d.lo, 1, true)}, ${fmt(d.hi, 1, true)})` : '';

const machine = {
  cpu: cpus()[0].model,
  cores: cpus().length,
  memGiB: Math.round(totalmem() / 2 ** 30),
  kernel: release(),
  loadavgStart: loadavg().map((x) => Number(x.toFixed(2))),
};
const versions = {
  driver: process.version,
  nest: version('@nestjs/core'),
  express: version('express'),
  fastify: version('fastify'),
  otelSdk: version('@opentelemetry/sdk-trace-base'),
  otelExporter: version('@opentelemetry/exporter-trace-otlp-proto'),
};

const sink = start('./http/sink.mjs', []);
const { port: sinkPort } = await sink.waitFor('ready');
const startedAt = Date.now();
const groups = [];
let counts;
try {
  for (const runtime of runtimes()) {
    for (const platform of PLATFORMS)
      groups.push({ runtime, platform, apps: await group(runtime, platform, sinkPort) });
  }
  ({ counts } = await sink.ask('counts'));
} finally {
  sink.child.kill();
}
machine.loadavgEnd = loadavg().map((x) => Number(x.toFixed(2)));

const lines = [
  `Apps on ${[...new Set(groups.map((g) => `Node ${g.runtime.node}`))].join(' and ')}; ${machine.cpu} x${machine.cores}, load average ${machine.loadavgStart[0]} -> ${machine.loadavgEnd[0]}`,
  `NestJS ${versions.nest}, Express ${versions.express}, Fastify ${versions.fastify}, OpenTelemetry SDK ${versions.otelSdk}; ${RATE} req/s per app over ${CONNECTIONS} connections, ${MODE === 'concurrent' ? 'all variants at once' : 'variants one after another'}, ${ROUNDS} rounds of ${SECONDS} s after ${WARMUP_SECONDS} s of warm-up (${Math.round((Date.now() - startedAt) / 1000)} s in all)`,
  '',
  "| Node | platform | variant | CPU µs/req | added over untraced | added over ALS floor | of OTel's added | p99 ms | p99 / untraced | spans/req | dropped |",
  '| ---- | -------- | ------- | ---------: | ------------------: | -------------------: | --------------: | -----: | -------------: | --------: | ------: |',
];
const summary = [];
const verdicts = [];
for (const g of groups) {
  const rows = summarize(g.apps, counts);
  summary.push({ node: g.runtime.node, platform: g.platform, rows });
  for (const r of rows) {
    lines.push(
      `| ${g.runtime.node.split('.')[0]} | ${g.platform} | ${r.variant} | ${fmt(r.cpu)} | ${fmtDiff(r.overUntraced)} | ${fmtDiff(r.overFloor)} | ${fmt(r.ofOtel, 2)} | ${fmt(r.p99, 2)} | ${r.variant === 'untraced' ? '' : fmt(r.p99OverUntraced, 2)} | ${fmt(r.spansPerRequest, 3)} | ${r.dropped ?? ''} |`,
    );
  }
  const ours = rows.find((r) => r.variant === 'ours');
  if (ours) {
    // DESIGN 6: Node 24 against untraced; Node 20 (promise hooks) against the ALS floor.
    const hooks = Number(g.runtime.node.slice(1).split('.')[0]) < 24;
    const added = hooks ? ours.overFloor : ours.overUntraced;
    verdicts.push(
      `${g.runtime.node} ${g.platform}: ours adds ${fmt(added?.median)} µs (${fmt(added?.lo)} to ${fmt(added?.hi)}) over ${hooks ? 'the ALS floor' : 'untraced'} (target ≤ 5), ${fmt(ours.ofOtel, 2)} of OTel's added CPU (target ≤ 0.25), p99 x${fmt(ours.p99OverUntraced, 2)} of untraced (target ≤ 1.10), ${fmt(ours.spansPerRequest, 3)} spans/req received, ${ours.dropped} dropped`,
    );
  }
}
const coverage = medianInterval(Array.from({ length: ROUNDS }, () => 0)).coverage;
lines.push(
  '',
  `Added: median of the ${ROUNDS} per-round differences (variant - untraced or ALS floor, same round) and, in parentheses, their ${ROUNDS < 5 ? 'lowest and highest' : 'order statistics around it'}, an interval that holds the median with probability ${fmt(coverage * 100, 0)}%.`,
);
const allApps = groups.flatMap((g) => g.apps);
lines.push(
  slowGenerators.length === 0
    ? `Every generator held its rate (lowest round ${fmt(Math.min(...allApps.map((a) => a.minRate)) * 100, 1)}% of ${RATE} req/s, last request at most ${fmt(Math.max(...allApps.map((a) => a.maxLateMs)), 0)} ms late).`
    : `RATE NOT HELD in ${slowGenerators.length} app-rounds: ${slowGenerators.join('; ')}`,
);
const text = [...lines, '', ...verdicts].join('\n');
console.log(`\n${text}`);
mkdirSync(here('./results'), { recursive: true });
writeFileSync(here('./results/http.md'), `${text}\n`);
writeFileSync(
  here('./results/http.json'),
  JSON.stringify(
    {
      machine,
      versions,
      mode: MODE,
      rate: RATE,
      warmupSeconds: WARMUP_SECONDS,
      slowGenerators,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      seconds: SECONDS,
      groups: summary,
    },
    null,
    2,
  ),
);
